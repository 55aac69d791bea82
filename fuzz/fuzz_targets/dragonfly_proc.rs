//! Arbitrary bytes into the DragonFly `/proc/<pid>/rlimit` parser and the `kinfo_proc`
//! decoders (one record, and the whole process table) and the `kern.file` counter: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psx_dragonfly::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::rlimits(data);
    if let Ok(kinfo) = decode::kinfo(data) {
        assert!(kinfo.groups.len() <= decode::layout::NGROUPS);
    }
    if let Ok(table) = decode::kinfo_table(data) {
        assert!(table.len() <= data.len() / decode::layout::SIZE);
        assert!(table.windows(2).all(|w| w[0].pid < w[1].pid));
        assert!(table.iter().all(|k| k.pid > 0));
    }
    if let Ok(files) = decode::open_files_by_pid(data) {
        let total: u64 = files.values().map(|f| f.count).sum();
        assert_eq!(total as usize, data.len() / decode::file_layout::SIZE);
    }
});
