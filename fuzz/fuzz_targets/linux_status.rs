//! Arbitrary bytes as a `/proc/<pid>/status` file: decoding must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_linux::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(status) = decode::status(data) {
        // What the one-pass decoder found, the single-field decoders find too.
        assert_eq!(decode::groups(data).ok(), Some(status.groups.clone()));
        assert_eq!(decode::umask_or_zombie(data).ok().map(|(u, _)| u), Some(status.umask));
    }
    let _ = decode::sigmasks(data);
    let _ = decode::umask_or_zombie(data);
});
