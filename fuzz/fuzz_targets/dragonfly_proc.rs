//! Arbitrary bytes into the DragonFly `/proc` status and rlimit parsers and `kinfo_proc`
//! decoder: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_dragonfly::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(status) = decode::status(data, None) {
        // Told the pid, the parser may only find a reading with that pid.
        if let Ok(told) = decode::status(data, Some(status.pid)) {
            assert_eq!(told.pid, status.pid);
        }
    }
    // A pid from the first bytes, as the backend passes the one it asked for.
    if let Some(pid) = data.get(..4) {
        let pid = i32::from_ne_bytes([pid[0], pid[1], pid[2], pid[3]]);
        if let Ok(status) = decode::status(data, Some(pid)) {
            assert_eq!(status.pid, pid);
        }
    }
    let _ = decode::rlimits(data);
    let _ = decode::kinfo(data);
});
