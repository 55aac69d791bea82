//! Arbitrary bytes into the macOS decoders (one `kinfo_proc`, the process table,
//! `proc_uniqidentifierinfo`, `proc_taskinfo`, a descriptor list): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_macos::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::kinfo(data);
    let _ = decode::table(data);
    let _ = decode::unique_id(data);
    let _ = decode::task_info(data);
    let _ = decode::fd_list(data, data.len());
    let _ = decode::fd_list(data, data.len() + decode::FDINFO_SIZE);
});
