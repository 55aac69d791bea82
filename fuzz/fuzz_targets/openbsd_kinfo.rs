//! Arbitrary bytes into the OpenBSD `kinfo_proc` decoder: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_openbsd::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::kinfo(data);
});
