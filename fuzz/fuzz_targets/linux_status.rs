//! Arbitrary bytes as a `/proc/<pid>/status` file: decoding must never panic, and the
//! one-pass decoder and the single-field decoders must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_linux::decode::{self, Field};

fuzz_target!(|data: &[u8]| {
    let all = decode::status(data);
    // What the one-pass decoder found, the single-field decoders find too.
    assert_eq!(all.identity.zombie, decode::is_zombie(data));
    assert_eq!(all.umask, decode::umask(data));
    assert_eq!(all.groups, decode::groups(data));
    assert_eq!(all.sigmasks, decode::sigmasks(data));
    // And a read of one field finds the same identity and field.
    let umask = decode::status_for(data, Field::Umask);
    assert_eq!((umask.identity, &umask.umask), (all.identity, &all.umask));
    let groups = decode::status_for(data, Field::Groups);
    assert_eq!(
        (groups.identity, &groups.groups),
        (all.identity, &all.groups)
    );
    let name = decode::status_for(data, Field::Name);
    assert_eq!((name.identity, &name.name), (all.identity, &all.name));
    let masks = decode::status_for(data, Field::Sigmasks);
    assert_eq!(
        (masks.identity, &masks.sigmasks),
        (all.identity, &all.sigmasks)
    );
    let _ = all.identity.verdict(Some(1));
    // The same bytes as a `uname` release string.
    let _ = decode::kernel_at_least(data, 4, 7);
});
