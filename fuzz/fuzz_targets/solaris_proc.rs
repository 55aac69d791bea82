//! Arbitrary bytes into the Solaris/illumos `/proc` file decoders: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_solaris::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::cred_groups(data);
    let _ = decode::status_masks(data);
    let _ = decode::sigact(data);
    let _ = decode::psinfo(data);
    let _ = decode::status_sizes(data);
    // The same bytes as `fd/`'s entry names, split at NULs.
    let mut tally = decode::FdTally::default();
    data.split(|&b| b == 0).for_each(|name| tally.add(name));
    let _ = tally.open_files();
    // The same bytes as `/proc`'s entry names, split at newlines.
    if let Ok(text) = std::str::from_utf8(data) {
        let names: Vec<&str> = text.split('\n').collect();
        let _ = decode::pids_from_names(&names);
    }
    // The two files `sigmasks` reads, split at a point the first byte chooses.
    if let Some((&cut, rest)) = data.split_first() {
        let cut = (usize::from(cut) * 8).min(rest.len());
        let (status, sigact) = rest.split_at(cut);
        let _ = decode::sigmasks(status, sigact);
    }
});
