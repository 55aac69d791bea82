//! Arbitrary bytes into the Solaris/illumos `/proc` file decoders: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_solaris::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::cred_groups(data);
    let _ = decode::psinfo_ids(data);
    let _ = decode::status_masks(data);
    let _ = decode::sigact(data);
});
