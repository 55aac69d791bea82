//! Arbitrary bytes as a `/proc/<pid>/status` file: decoding must never panic, and the
//! one-pass decoder and the single-field decoders must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_linux::decode;

fuzz_target!(|data: &[u8]| {
    let zombie = decode::is_zombie(data);
    let umask = decode::umask(data);
    let pair = decode::umask_or_zombie(data);
    assert_eq!(
        pair.as_ref().ok(),
        umask.as_ref().ok().map(|u| (*u, zombie)).as_ref()
    );
    if let Ok(status) = decode::status(data) {
        // What the one-pass decoder found, the single-field decoders find too.
        assert_eq!(decode::groups(data).ok(), Some(status.groups.clone()));
        assert_eq!(decode::sigmasks(data).ok(), Some(status.sigmasks));
        assert_eq!(pair.ok(), Some((status.umask, status.zombie)));
    }
    let _ = decode::sigmasks(data);
    // The same bytes as a `uname` release string.
    let _ = decode::kernel_at_least(data, 4, 7);
});
