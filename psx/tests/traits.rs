//! What the public types promise about threads, checked at compile time.

fn send_sync<T: Send + Sync>() {}

#[test]
fn handles_and_data_are_send_and_sync() {
    send_sync::<psx::Process>();
    send_sync::<psx::Pid>();
    send_sync::<psx::Limit>();
    send_sync::<psx::RLimit>();
    send_sync::<psx::Resource>();
    send_sync::<psx::SigSet>();
    send_sync::<psx::SignalMasks>();
    send_sync::<psx::ProcInfo>();
    send_sync::<psx::Attr>();
    send_sync::<psx::Error>();
}
// The oneshot guard is the exception: it belongs to its thread. That is checked by the
// `compile_fail` examples on `psx::oneshot_proc` and `psx_core::OneshotGuard`.
