//! Pure decoding for OpenBSD, tested on every host: `struct kinfo_proc` bytes (one
//! process's, or the whole table's) to psx types, the MIBs, and which refusals of
//! `getpgid`/`getsid` `kinfo_proc` answers instead. What it shares with NetBSD's
//! `kinfo_proc2` is in [`psx_netbsd::netbsdlike`].
//!
//! Layout: OpenBSD `sys/sys/sysctl.h`, `struct kinfo_proc` (648 bytes on x86_64), as the
//! libc crate also defines it; `sys.rs` asserts at compile time, on OpenBSD, that every
//! offset below equals libc's `offset_of!`, and the tests pin each one to the header's
//! literal offset. Fields are in the kernel's native byte order; OpenBSD's signal sets
//! are one 32-bit word (signals 1 to 32).

use psx_core::{bytes, Error, OpenFiles, Resource, SigSet, SignalMasks, StartTime};
use psx_netbsd::netbsdlike::{
    self, pages_at, Layout, Memory, OsFields, KERN_PROC_ALL, KERN_PROC_PID,
};
pub use psx_netbsd::netbsdlike::{DecodeError, Kinfo, Life};

/// Byte offsets in `struct kinfo_proc` (x86_64).
pub mod layout {
    /// `sizeof(struct kinfo_proc)`.
    pub const SIZE: usize = 648;
    /// `int32_t p_pid`.
    pub const P_PID: usize = 108;
    /// `int32_t p_sid`.
    pub const P_SID: usize = 116;
    /// `int32_t p__pgid`.
    pub const P_PGID: usize = 120;
    /// `u_int32_t p_ruid`: the real user id.
    pub const P_RUID: usize = 132;
    /// `u_int32_t p_rtime_sec`: run time (`tu_runtime`), seconds.
    pub const P_RTIME_SEC: usize = 220;
    /// `uint32_t p_groups[KI_NGROUPS]`.
    pub const P_GROUPS: usize = 144;
    /// `int16_t p_ngroups`.
    pub const P_NGROUPS: usize = 208;
    /// `int32_t p_siglist`: signals arrived, not yet delivered.
    pub const P_SIGLIST: usize = 288;
    /// `uint32_t p_sigmask`: blocked.
    pub const P_SIGMASK: usize = 292;
    /// `uint32_t p_sigignore`.
    pub const P_SIGIGNORE: usize = 296;
    /// `uint32_t p_sigcatch`.
    pub const P_SIGCATCH: usize = 300;
    /// `char p_comm[KI_MAXCOMLEN]`: the process's name.
    pub const P_COMM: usize = 312;
    /// `int32_t p_vm_rssize`: resident set size, pages.
    pub const P_VM_RSSIZE: usize = 384;
    /// `int32_t p_vm_dsize`: data size (`vm_dused`), pages.
    pub const P_VM_DSIZE: usize = 392;
    /// `int32_t p_vm_ssize`: stack size, pages.
    pub const P_VM_SSIZE: usize = 396;
    /// `int64_t p_uvalid`: nonzero unless the process is a zombie.
    pub const P_UVALID: usize = 400;
    /// `uint64_t p_ustart_sec`: when the process started.
    pub const P_USTART_SEC: usize = 408;
    /// `uint32_t p_ustart_usec`.
    pub const P_USTART_USEC: usize = 416;
    /// `uint32_t p_psflags`: the process's `PS_*` flags.
    pub const P_PSFLAGS: usize = 560;
    /// `KI_NGROUPS`: `kinfo_proc` holds at most this many groups.
    pub const KI_NGROUPS: usize = psx_netbsd::netbsdlike::KI_NGROUPS;
}

/// The fields `kinfo_proc` shares with NetBSD's `kinfo_proc2`.
const LAYOUT: Layout = Layout {
    size: layout::SIZE,
    p_pid: layout::P_PID,
    p_sid: layout::P_SID,
    p_pgid: layout::P_PGID,
    p_groups: layout::P_GROUPS,
    p_ngroups: layout::P_NGROUPS,
    p_comm: layout::P_COMM,
    p_ruid: layout::P_RUID,
};

/// Byte offsets in `struct kinfo_file` (`sys/sys/sysctl.h`), what `KERN_FILE` lists.
pub mod kinfo_file {
    /// `sizeof(struct kinfo_file)`.
    pub const SIZE: usize = 632;
    /// `int32_t fd_fd`: the descriptor number, or a negative `KERN_FILE_*` pseudo-entry.
    pub const FD_FD: usize = 380;
}

/// `KERN_FILE` (`sys/sysctl.h`).
pub const KERN_FILE: i32 = 73;
/// `KERN_FILE_BYPID`: the files of one process.
pub const KERN_FILE_BYPID: i32 = 2;

/// The MIB `{CTL_KERN, KERN_FILE, KERN_FILE_BYPID, pid, sizeof(struct kinfo_file),
/// count}`: `sysctl_file` (`sys/kern/kern_sysctl.c`) wants exactly four names after
/// `kern.file`, and an element no larger than its struct.
pub fn files_mib(pid: i32, count: usize) -> [i32; 6] {
    netbsdlike::kinfo_mib(KERN_FILE, KERN_FILE_BYPID, pid, kinfo_file::SIZE, count)
}

/// The open descriptors in a reply to [`files_mib`]. `sysctl_file` lists, for the
/// process, first its text vnode, current and root directories and trace vnode where it
/// has them (`fd_fd` `KERN_FILE_TEXT` -1 to `KERN_FILE_TRACE` -4, not descriptors:
/// skipped), then one entry per open descriptor (`fd_getfile` over `fd_nfiles`).
/// It makes no permission check (another user's process is listed, its kernel
/// addresses hidden) and answers ESRCH for a pid with no process, and for a system,
/// embryonic, exiting or zombie one.
pub fn open_files(buf: &[u8]) -> Result<OpenFiles, DecodeError> {
    netbsdlike::count_fds(buf, kinfo_file::SIZE, kinfo_file::FD_FD)
}

/// The resources whose use `kinfo_proc` tells (see [`kinfo`]). OpenBSD has no
/// `RLIMIT_AS` (its `p_vm_map_size` is never filled), and checks `RLIMIT_MEMLOCK`
/// against the pmap's wired count (`sys_mlock`), which no field carries.
pub const MEASURED: &[Resource] = &[
    Resource::Cpu,
    Resource::Data,
    Resource::Stack,
    Resource::Rss,
];

/// `KERN_PROC` (`sys/sysctl.h`).
pub const KERN_PROC: i32 = 66;

/// `PS_EXITING` (`sys/proc.h`): the process is exiting, or has exited.
pub const PS_EXITING: u32 = 0x0000_0008;

/// How far apart two readings of one process's start may be: one second. `fill_kproc`
/// (`sys/kern/kern_sysctl.c`) derives the start each time from the wall clock, as
/// `nanoboottime()` plus the process's start in uptime (`ps_start`); setting the clock
/// moves the boot time (`tc_setclock` in `sys/kern/kern_tc.c`, while `adjtime` slews
/// the rate and leaves it), and with it every process's start. A step under a second
/// keeps a handle; a larger one makes its process read as gone, never as another.
pub const START_TOLERANCE_USEC: i64 = 1_000_000;

/// Which refusals of `getpgid`/`getsid` by pid `kinfo_proc` answers instead: EPERM and
/// ESRCH.
///
/// `sys_getpgid` and `sys_getsid` (`sys/kern/kern_prot.c`) answer EPERM for a process
/// in another session, and ESRCH when `prfind` fails, which it does for a zombie
/// (`exit1` in `sys/kern/kern_exit.c` takes the process off the pid hash), while
/// `sysctl_doproc` still lists zombies. `sys_getsid` also answers ESRCH for a live
/// process whose session leader has exited, where `fill_kproc` leaves `p_sid` 0. So on
/// either error the id comes from `kinfo_proc`, as it does inside a oneshot; a pid
/// `kinfo_proc` does not list either is no such process.
pub fn id_falls_back(err: &Error) -> bool {
    matches!(
        err,
        Error::AccessDenied { .. } | Error::NoSuchProcess { .. }
    )
}

/// The MIB for one process's `kinfo_proc`: six elements, the element size and count
/// being part of it.
pub fn kinfo_mib(pid: i32) -> [i32; 6] {
    netbsdlike::kinfo_mib(KERN_PROC, KERN_PROC_PID, pid, layout::SIZE, 1)
}

/// The MIB for every process's `kinfo_proc`, room for `count` of them. Without
/// `KERN_PROC_SHOW_THREADS` in the operation, one record per process, none per thread.
pub fn table_mib(count: usize) -> [i32; 6] {
    netbsdlike::kinfo_mib(KERN_PROC, KERN_PROC_ALL, 0, layout::SIZE, count)
}

/// Decodes one `kinfo_proc` (see [`netbsdlike::decode`] for ids, groups and name).
///
/// Signal masks: pending is the process's and its main thread's, blocked the main
/// thread's mask (`FILL_KPROC` in `sys/sys/sysctl.h`), for zombies too.
///
/// Life: `fill_kproc` (`sys/kern/kern_sysctl.c`) fills `p_ustart_sec`/`p_ustart_usec`
/// only while `PS_EXITING` is clear in `p_psflags`, and `FILL_KPROC` sets `p_uvalid`
/// only while `PS_ZOMBIE` is: an exiting process has `p_uvalid` set and a start of 0.
/// So the start is read only when the process is not exiting ([`Life::Started`]);
/// otherwise, or with `p_uvalid` clear, it has exited ([`Life::Exited`]).
///
/// Usage: `FILL_KPROC` zeroes the record, fills the memory figures only while neither
/// `PS_EMBRYO` nor `PS_ZOMBIE` is set (embryos are never listed), so exactly when
/// `p_uvalid` is set, and `fill_kproc` then replaces `p_vm_rssize` with
/// `vm_resident_count`. In pages: `p_vm_dsize` is `vm_dused`, what `sys_mmap` and
/// `uvm_map` (`sys/uvm/`) check against `RLIMIT_DATA` (every private writable mapping,
/// not only the break); `p_vm_ssize` is `vm_ssize`, what `uvm_grow` checks against
/// `RLIMIT_STACK`. CPU: `p_rtime_sec` is the process's `tu_runtime` summed over its
/// threads (`tuagg_get_process`), what `rucheck` (`sys/kern/kern_resource.c`) compares
/// with `RLIMIT_CPU`; it is filled for zombies too.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    netbsdlike::decode(buf, &LAYOUT, |buf| {
        // One 32-bit word: signal N at bit N - 1.
        let set = |at: usize| bytes::u32_at(buf, at).map(|word| SigSet::from_words(&[word]));
        let masks = SignalMasks {
            pending: Some(set(P_SIGLIST)?),
            blocked: Some(set(P_SIGMASK)?),
            ignored: Some(set(P_SIGIGNORE)?),
            caught: Some(set(P_SIGCATCH)?),
            process_pending: None,
        };
        let uvalid = bytes::i64_at(buf, P_UVALID)? != 0;
        let exiting = bytes::u32_at(buf, P_PSFLAGS)? & PS_EXITING != 0;
        let life = if uvalid && !exiting {
            let sec = bytes::u64_at(buf, P_USTART_SEC)?;
            Life::Started(StartTime {
                sec: i64::try_from(sec).unwrap_or(i64::MAX),
                usec: i64::from(bytes::u32_at(buf, P_USTART_USEC)?),
            })
        } else {
            Life::Exited
        };
        let memory = Memory {
            rss: pages_at(buf, P_VM_RSSIZE)?,
            data: pages_at(buf, P_VM_DSIZE)?,
            stack: pages_at(buf, P_VM_SSIZE)?,
            map: None,
        };
        Some(OsFields {
            sigmasks: Some(masks),
            life,
            memory: uvalid.then_some(memory),
            cpu_seconds: Some(u64::from(bytes::u32_at(buf, P_RTIME_SEC)?)),
        })
    })
}

/// Every process's `kinfo_proc` from the reply to [`table_mib`], ascending by pid
/// (see [`netbsdlike::records`]).
///
/// `sysctl_doproc` (`sys/kern/kern_sysctl.c`) lists, for `KERN_PROC_ALL`, live
/// processes and then zombies, one record per process, skipping embryonic ones
/// (`PS_EMBRYO`) and system processes (`PS_SYSTEM`: the kernel's threads, such as the
/// swapper, pid 0), with no permission check: every other process is listed, whoever
/// asks.
pub fn table(buf: &[u8]) -> Result<Vec<Kinfo>, DecodeError> {
    netbsdlike::records(buf, layout::SIZE, kinfo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use psx_core::Pid;
    use psx_netbsd::netbsdlike::id_from_call;

    fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// A `kinfo_proc` as OpenBSD's `sys/sys/sysctl.h` lays it out on LP64, written at
    /// the header's literal offsets (not through `layout`, so a wrong constant there
    /// fails these tests).
    fn fixture(groups: &[u32], ngroups: i16, masks: [u32; 4]) -> Vec<u8> {
        // sizeof(struct kinfo_proc): 12 uint64_t pointers, then the fields below,
        // through p_name[KI_MAXCOMLEN]; the one padding is 4 bytes after
        // p_ustime_usec (436), before the uint64_t p_uru_maxrss (440).
        let mut buf = vec![0x55u8; 648];
        put(&mut buf, 108, &777i32.to_ne_bytes()); // int32_t p_pid
        put(&mut buf, 116, &700i32.to_ne_bytes()); // int32_t p_sid
        put(&mut buf, 120, &770i32.to_ne_bytes()); // int32_t p__pgid
        for (i, g) in groups.iter().enumerate() {
            put(&mut buf, 144 + 4 * i, &g.to_ne_bytes()); // u_int32_t p_groups[16]
        }
        put(&mut buf, 208, &ngroups.to_ne_bytes()); // int16_t p_ngroups

        // int32_t p_siglist, u_int32_t p_sigmask, p_sigignore, p_sigcatch.
        for (m, at) in masks.iter().zip([288, 292, 296, 300]) {
            put(&mut buf, at, &m.to_ne_bytes());
        }
        put(&mut buf, 312, b"ksh\0"); // char p_comm[KI_MAXCOMLEN]
        put(&mut buf, 400, &1i64.to_ne_bytes()); // int64_t p_uvalid
        put(&mut buf, 408, &1_700_000_000u64.to_ne_bytes()); // u_int64_t p_ustart_sec
        put(&mut buf, 416, &250_000u32.to_ne_bytes()); // u_int32_t p_ustart_usec
        put(&mut buf, 560, &0x3u32.to_ne_bytes()); // u_int32_t p_psflags: CONTROLT, EXEC
        buf
    }

    /// The fixture's start time.
    const STARTED: Life = Life::Started(StartTime {
        sec: 1_700_000_000,
        usec: 250_000,
    });

    #[test]
    fn layout_is_the_headers() {
        // sys/sys/sysctl.h, struct kinfo_proc, LP64.
        use layout::*;
        assert_eq!(SIZE, 648);
        assert_eq!((P_PID, P_SID, P_PGID), (108, 116, 120));
        assert_eq!((P_GROUPS, P_NGROUPS, KI_NGROUPS), (144, 208, 16));
        assert_eq!(
            (P_SIGLIST, P_SIGMASK, P_SIGIGNORE, P_SIGCATCH),
            (288, 292, 296, 300)
        );
        assert_eq!((P_COMM, P_UVALID, P_PSFLAGS), (312, 400, 560));
        assert_eq!((P_USTART_SEC, P_USTART_USEC), (408, 416));
        assert_eq!((P_RUID, P_RTIME_SEC), (132, 220));
        assert_eq!((P_VM_RSSIZE, P_VM_DSIZE, P_VM_SSIZE), (384, 392, 396));
    }

    #[test]
    fn usage_figures_are_pages_and_run_time_seconds() {
        let mut buf = fixture(&[], 0, [0; 4]);
        // sys/sys/sysctl.h, struct kinfo_proc, LP64.
        put(&mut buf, 132, &1001u32.to_ne_bytes()); // u_int32_t p_ruid
        put(&mut buf, 220, &75u32.to_ne_bytes()); // u_int32_t p_rtime_sec
        put(&mut buf, 384, &300i32.to_ne_bytes()); // int32_t p_vm_rssize
        put(&mut buf, 392, &50i32.to_ne_bytes()); // int32_t p_vm_dsize
        put(&mut buf, 396, &4i32.to_ne_bytes()); // int32_t p_vm_ssize
        let k = kinfo(&buf).unwrap();
        let pid = psx_core::Pid::from(777);
        assert_eq!(k.ruid, 1001);
        let used = |r, page| k.used(r, page, pid).unwrap();
        assert_eq!(used(Resource::Rss, 4096), 300 * 4096);
        assert_eq!(used(Resource::Data, 4096), 50 * 4096);
        assert_eq!(used(Resource::Stack, 16384), 4 * 16384);
        assert_eq!(used(Resource::Cpu, 4096), 75);
        // No address space figure (and no RLIMIT_AS).
        assert!(matches!(
            k.used(Resource::As, 4096, pid),
            Err(Error::Unsupported { .. })
        ));
        assert!(!MEASURED.contains(&Resource::As));
        // A zombie (p_uvalid 0): no memory figures, but its run time stays.
        put(&mut buf, 400, &0i64.to_ne_bytes()); // int64_t p_uvalid
        let zombie = kinfo(&buf).unwrap();
        assert_eq!(zombie.memory, None);
        assert!(matches!(
            zombie.used(Resource::Data, 4096, pid),
            Err(Error::Zombie { .. })
        ));
        assert_eq!(zombie.used(Resource::Cpu, 4096, pid).unwrap(), 75);
    }

    #[test]
    fn counts_open_descriptors_not_the_pseudo_entries() {
        // sys/sys/sysctl.h, struct kinfo_file: 632 bytes, int32_t fd_fd at 380.
        let record = |fd: i32| {
            let mut r = vec![0x66u8; 632];
            put(&mut r, 380, &fd.to_ne_bytes());
            r
        };
        // KERN_FILE_TEXT, _CDIR, _RDIR, _TRACE (-1 to -4), then descriptors 0, 1, 5.
        let table = [-1, -2, -3, -4, 0, 1, 5].map(record).concat();
        let files = open_files(&table).unwrap();
        assert_eq!((files.count, files.highest), (3, Some(5)));
        // Only pseudo-entries: no descriptor open.
        let files = open_files(&[record(-1), record(-2)].concat()).unwrap();
        assert_eq!((files.count, files.highest), (0, None));
        assert!(open_files(&table[..631]).is_err());
        // CTL_KERN, KERN_FILE, KERN_FILE_BYPID, pid, sizeof(struct kinfo_file), count.
        assert_eq!(files_mib(42, 7), [1, 73, 2, 42, 632, 7]);
        assert_eq!((kinfo_file::SIZE, kinfo_file::FD_FD), (632, 380));
    }

    #[test]
    fn decodes_ids_groups_and_masks() {
        // SIGUSR1 (30) pending, SIGINT blocked, SIGPIPE ignored, SIGTHR (32) caught.
        let k = kinfo(&fixture(
            &[0, 5, 20],
            3,
            [1 << 29, 1 << 1, 1 << 12, 1 << 31],
        ))
        .unwrap();
        assert_eq!((k.pid, k.pgid, k.sid), (777, 770, 700));
        assert_eq!(k.groups, vec![0, 5, 20]);
        assert_eq!((k.comm.as_str(), k.life), ("ksh", STARTED));
        let m = k.sigmasks.unwrap();
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![32]);
        assert_eq!(m.process_pending, None);
    }

    #[test]
    fn every_signal_up_to_32() {
        // All 32 bits: signals 1 to 32, nothing above (OpenBSD has 32 signals).
        let m = kinfo(&fixture(&[], 0, [u32::MAX, 0, 1 << 31, 1]))
            .unwrap()
            .sigmasks
            .unwrap();
        assert_eq!(
            m.pending.unwrap().iter().collect::<Vec<_>>(),
            (1..=32).collect::<Vec<_>>()
        );
        assert!(m.blocked.unwrap().is_empty());
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), [32]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn only_a_whole_struct_decodes() {
        let buf = fixture(&[1], 1, [0; 4]);
        let (len, expected) = (647, 648);
        let truncated = DecodeError::Truncated { len, expected };
        assert_eq!(kinfo(&buf[..len]), Err(truncated));
        // A longer reply (a newer kernel's bigger struct) decodes from its prefix.
        let longer = [buf.clone(), vec![0; 64]].concat();
        assert_eq!(kinfo(&longer), kinfo(&buf));
    }

    #[test]
    fn the_mib_has_six_elements_with_the_struct_size() {
        let mib = kinfo_mib(9);
        assert_eq!(mib.len(), 6);
        // CTL_KERN, KERN_PROC, KERN_PROC_PID, pid, sizeof(struct kinfo_proc), count.
        assert_eq!(mib, [1, 66, 1, 9, 648, 1]);
        // CTL_KERN, KERN_PROC, KERN_PROC_ALL (no KERN_PROC_SHOW_THREADS), 0, size, count.
        assert_eq!(table_mib(300), [1, 66, 0, 0, 648, 300]);
    }

    #[test]
    fn an_exiting_process_has_no_start() {
        // fill_kproc: PS_EXITING (0x8) set, p_uvalid still 1, p_ustart left 0.
        let mut buf = fixture(&[], 0, [0; 4]);
        put(&mut buf, 560, &0xbu32.to_ne_bytes()); // u_int32_t p_psflags
        put(&mut buf, 408, &0u64.to_ne_bytes()); // u_int64_t p_ustart_sec
        put(&mut buf, 416, &0u32.to_ne_bytes()); // u_int32_t p_ustart_usec
        let k = kinfo(&buf).unwrap();
        assert_eq!(k.life, Life::Exited);
        // Its ids, groups, name and masks still read.
        assert_eq!((k.pid, k.pgid, k.comm.as_str()), (777, 770, "ksh"));
        assert!(k.sigmasks.is_some());
        // A zombie: PS_ZOMBIE (0x40000) too, p_uvalid 0.
        put(&mut buf, 560, &0x4_000bu32.to_ne_bytes()); // u_int32_t p_psflags
        put(&mut buf, 400, &0i64.to_ne_bytes()); // int64_t p_uvalid
        assert_eq!(kinfo(&buf).unwrap().life, Life::Exited);
        // p_uvalid 0 alone is enough.
        let mut buf = fixture(&[], 0, [0; 4]);
        put(&mut buf, 400, &0i64.to_ne_bytes()); // int64_t p_uvalid
        assert_eq!(kinfo(&buf).unwrap().life, Life::Exited);
    }

    #[test]
    fn decodes_the_name_and_a_64_bit_start() {
        let mut buf = fixture(&[], 0, [0; 4]);
        put(&mut buf, 312, b"abcdefghijklmnopqrstuvwx"); // char p_comm[24], no NUL
        put(&mut buf, 336, b"wmesg\0"); // char p_wmesg[8], after it
        put(&mut buf, 408, &(1u64 << 40).to_ne_bytes()); // u_int64_t p_ustart_sec
        put(&mut buf, 416, &7u32.to_ne_bytes()); // u_int32_t p_ustart_usec
        let k = kinfo(&buf).unwrap();
        assert_eq!(k.comm, "abcdefghijklmnopqrstuvwx");
        let start = StartTime {
            sec: 1 << 40,
            usec: 7,
        };
        assert_eq!(k.life, Life::Started(start));
    }

    /// A record of the fixture with `p_pid` set (literal offset).
    fn record(pid: i32) -> Vec<u8> {
        let mut buf = fixture(&[5], 1, [0; 4]);
        put(&mut buf, 108, &pid.to_ne_bytes()); // int32_t p_pid
        buf
    }

    #[test]
    fn decodes_a_whole_table() {
        // sysctl_doproc: live processes, then zombies; pid 40 listed live, then again
        // as the zombie it became while the kernel copied the list out.
        let mut zombie = record(40);
        put(&mut zombie, 400, &0i64.to_ne_bytes()); // int64_t p_uvalid
        let parts = [record(40), record(3), record(1), zombie];
        let all = table(&parts.concat()).unwrap();
        let got: Vec<_> = all.iter().map(|k| (k.pid, k.life)).collect();
        assert_eq!(got, [(1, STARTED), (3, STARTED), (40, Life::Exited)]);
        assert!(all.iter().all(|k| k.groups == [5] && k.comm == "ksh"));
        assert!(table(&[]).unwrap().is_empty());
        // Not a whole number of 648-byte records.
        let ragged = [record(1), vec![0; 8]].concat();
        assert_eq!(
            table(&ragged),
            Err(DecodeError::Ragged {
                len: 656,
                record: 648
            })
        );
    }

    /// A process as OpenBSD shows it to another process: `sys_getpgid`/`sys_getsid`
    /// refuse another session (EPERM) and fail `prfind` for a zombie (ESRCH);
    /// `sys_getsid` answers ESRCH once the session leader has exited; `sysctl_doproc`
    /// lists live processes and zombies, with `p_sid` 0 when the session has no leader.
    #[derive(Clone, Copy)]
    struct Proc {
        exists: bool,
        zombie: bool,
        same_session: bool,
        leader_alive: bool,
    }

    impl Proc {
        fn kinfo(self) -> Result<Kinfo, Error> {
            if !self.exists {
                return Err(Error::NoSuchProcess {
                    pid: Pid::from(777),
                });
            }
            let mut buf = fixture(&[], 0, [0; 4]);
            if !self.leader_alive {
                put(&mut buf, 116, &0i32.to_ne_bytes()); // int32_t p_sid
            }
            Ok(kinfo(&buf).unwrap())
        }

        fn prfind(self) -> Result<(), Error> {
            let pid = Pid::from(777);
            if !self.exists || self.zombie {
                Err(Error::NoSuchProcess { pid })
            } else if !self.same_session {
                Err(Error::access_denied(pid))
            } else {
                Ok(())
            }
        }

        fn getpgid(self) -> Result<Pid, Error> {
            self.prfind().map(|()| Pid::from(770))
        }

        fn getsid(self) -> Result<Pid, Error> {
            self.prfind()?;
            if self.leader_alive {
                Ok(Pid::from(700))
            } else {
                Err(Error::NoSuchProcess {
                    pid: Pid::from(777),
                })
            }
        }
    }

    #[test]
    fn ids_fall_back_to_kinfo_where_the_calls_refuse() {
        let live = Proc {
            exists: true,
            zombie: false,
            same_session: true,
            leader_alive: true,
        };
        let cases = [
            (live, Some((770, 700))),
            // EPERM: another session.
            (
                Proc {
                    same_session: false,
                    ..live
                },
                Some((770, 700)),
            ),
            // ESRCH: a zombie.
            (
                Proc {
                    zombie: true,
                    same_session: false,
                    ..live
                },
                Some((770, 700)),
            ),
            // getsid's ESRCH for a leaderless session; kinfo_proc says 0.
            (
                Proc {
                    leader_alive: false,
                    ..live
                },
                Some((770, 0)),
            ),
            (
                Proc {
                    leader_alive: false,
                    same_session: false,
                    ..live
                },
                Some((770, 0)),
            ),
            (
                Proc {
                    exists: false,
                    ..live
                },
                None,
            ),
        ];
        for (proc, expected) in cases {
            let pgid = id_from_call(proc.getpgid(), id_falls_back, || {
                proc.kinfo().map(|k| k.pgid)
            });
            let sid = id_from_call(proc.getsid(), id_falls_back, || proc.kinfo().map(|k| k.sid));
            match expected {
                Some((g, s)) => {
                    assert_eq!(pgid.unwrap(), Pid::from(g));
                    assert_eq!(sid.unwrap(), Pid::from(s));
                }
                None => {
                    assert!(matches!(pgid, Err(Error::NoSuchProcess { .. })));
                    assert!(matches!(sid, Err(Error::NoSuchProcess { .. })));
                }
            }
            // Inside a oneshot the ids come from kinfo_proc alone: the same answer.
            if let (Some((g, s)), Ok(k)) = (expected, proc.kinfo()) {
                assert_eq!((k.pgid, k.sid), (g, s));
            }
        }
        // Other errors are not looked into.
        let other = Err(Error::os(
            Pid::from(777),
            std::io::Error::from_raw_os_error(22),
        ));
        assert!(matches!(
            id_from_call(other, id_falls_back, || unreachable!(
                "EINVAL needs no kinfo_proc"
            )),
            Err(Error::Os { .. })
        ));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
            let _ = kinfo(&bytes);
            let _ = table(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(
            groups in proptest::collection::vec(any::<u32>(), 0..=16),
            masks in any::<[u32; 4]>(),
            ids in any::<(i32, i32, i32)>(),
        ) {
            let mut buf = fixture(&groups, groups.len() as i16, masks);
            // int32_t p_pid, p__pgid, p_sid (sys/sys/sysctl.h, struct kinfo_proc).
            for (at, id) in [(108, ids.0), (120, ids.1), (116, ids.2)] {
                put(&mut buf, at, &id.to_ne_bytes());
            }
            let k = kinfo(&buf).unwrap();
            prop_assert_eq!((k.pid, k.pgid, k.sid), ids);
            prop_assert_eq!(&k.groups, &groups);
            let m = k.sigmasks.unwrap();
            let set = |w: u32| Some(SigSet::from_bits(u128::from(w)));
            prop_assert_eq!(m.pending, set(masks[0]));
            prop_assert_eq!(m.blocked, set(masks[1]));
            prop_assert_eq!(m.ignored, set(masks[2]));
            prop_assert_eq!(m.caught, set(masks[3]));
        }
    }
}
