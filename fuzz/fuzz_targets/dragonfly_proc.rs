//! Arbitrary bytes into the DragonFly `/proc` status and rlimit parsers and `kinfo_proc` decoder: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_dragonfly::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::status(data, None);
    let _ = decode::rlimits(data);
    let _ = decode::kinfo(data);
});
