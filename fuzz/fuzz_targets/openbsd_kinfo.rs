//! Arbitrary bytes into the OpenBSD `kinfo_proc` and process-table and
//! open-file decoders: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_openbsd::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::kinfo(data);
    let _ = decode::table(data);
    let _ = decode::open_files(data);
});
