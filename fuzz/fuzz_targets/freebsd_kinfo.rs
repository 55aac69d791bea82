//! Arbitrary bytes into the FreeBSD `kinfo_proc` (one, or the whole table), the
//! `kinfo_file` walk and the sysctl reply decoders: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_freebsd::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::kinfo(data);
    let _ = decode::table(data);
    let _ = decode::boottime(data);
    let _ = decode::groups(data);
    let _ = decode::umask(data);
    let _ = decode::rlimit(data);
    let _ = decode::open_files(data);
});
