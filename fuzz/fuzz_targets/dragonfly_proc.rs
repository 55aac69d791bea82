//! Arbitrary bytes into the DragonFly `/proc/<pid>/rlimit` parser and the `kinfo_proc`
//! decoder: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_dragonfly::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::rlimits(data);
    if let Ok(kinfo) = decode::kinfo(data) {
        assert!(kinfo.groups.len() <= decode::layout::NGROUPS);
    }
});
