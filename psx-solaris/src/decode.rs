//! Pure decoding for Solaris and illumos, tested on every host: the binary files of
//! `/proc/<pid>`, the names in `/proc`, and what a failed `getpgid`/`getsid` means.
//!
//! Layouts: `usr/src/uts/common/sys/procfs.h` (illumos; Solaris 11 keeps the same
//! offsets for these fields, its `lwpstatus_t` naming the byte after `pr_cursig`
//! `pr_adi` where illumos has `pr_pad1`): `prcred_t`, `psinfo_t` up to its `pr_lwp`'s
//! `pr_sname`, the head of `pstatus_t` and of its `lwpstatus_t`, and `struct sigaction`
//! (`sys/signal.h`), for the LP64 data model. The
//! kernel serves each reader the layout of the reader's own data model (`prread` in
//! `usr/src/uts/common/fs/proc/prvnops.c` chooses by the caller's `p_model`), and
//! psx's Solaris and illumos targets are 64-bit.
//!
//! The layouts are byte offsets built field by field from the headers with the LP64
//! sizes, not `#[repr(C)]` mirrors: a mirror made of host types lays out the host's
//! struct (a `u64` is 4-byte aligned on i686), while these are the target's bytes on
//! any host. Compile-time assertions pin them to the offsets worked out by hand; the
//! tests write their fixtures at those literal offsets; `sys.rs` checks them again on
//! the target against structs laid out by the compiler from the libc crate's C types.

use psx_core::bytes::{array, c_string_at, i32_at, i64_at, u32_at, u64_at};
use psx_core::{Error, Missing, OpenFiles, Pid, Resource, Result, SigSet, SignalMasks, StartTime};

/// Byte offsets and sizes in the LP64 structs, each field placed after the one before
/// it as the C compiler places it.
pub mod layout {
    /// `int`, `pid_t`, `id_t`, `uid_t`, `gid_t`, `taskid_t`, `projid_t`, `zoneid_t`.
    pub const INT: usize = 4;
    /// `short`.
    pub const SHORT: usize = 2;
    /// `long`, `size_t`, `uintptr_t`, `time_t` and pointers in LP64, and their alignment.
    pub const LONG: usize = 8;
    /// `sigset_t`: `unsigned int __sigbits[4]` (`sys/signal.h`).
    pub const SIGSET_SIZE: usize = 16;
    /// `fltset_t`: `unsigned int word[4]` (`sys/fault.h`).
    pub const FLTSET_SIZE: usize = 16;
    /// `sysset_t`: `unsigned int word[16]` (`sys/syscall.h`).
    pub const SYSSET_SIZE: usize = 64;
    /// `timestruc_t` (`struct timespec`): `time_t tv_sec; long tv_nsec`.
    pub const TIMESTRUC_SIZE: usize = 2 * LONG;
    /// `siginfo_t`: `SI_MAXSZ`, 256 bytes for `_LP64` (`sys/siginfo.h`).
    pub const SIGINFO_SIZE: usize = 256;

    /// `offset` rounded up to the alignment of a `long` or pointer.
    const fn long_aligned(offset: usize) -> usize {
        offset.next_multiple_of(LONG)
    }

    /// `pstatus_t.pr_sigpend`, signals pending for the process: after `int pr_flags,
    /// pr_nlwp; pid_t pr_pid, pr_ppid, pr_pgid, pr_sid; id_t pr_aslwpid, pr_agentid`.
    pub const PR_SIGPEND: usize = 8 * INT;
    /// `pr_brkbase`, then `pr_brksize`, `pr_stkbase`, `pr_stksize`: four longs.
    const PR_BRKBASE: usize = long_aligned(PR_SIGPEND + SIGSET_SIZE);
    /// `pstatus_t.pr_brksize`: the heap's size in bytes (`p_brksize`).
    pub const PR_BRKSIZE: usize = PR_BRKBASE + LONG;
    /// `pstatus_t.pr_stksize`: the stack's size in bytes (`p_stksize`).
    pub const PR_STKSIZE: usize = PR_BRKBASE + 3 * LONG;
    /// The bytes of `pstatus_t` the sizes need: up to the end of `pr_stksize`.
    pub const PSTATUS_SIZES_NEEDED: usize = PR_STKSIZE + LONG;
    /// `pr_utime`, then `pr_stime`, `pr_cutime`, `pr_cstime`.
    const PR_UTIME: usize = PR_BRKBASE + 4 * LONG;
    /// `pr_sigtrace`, then `fltset_t pr_flttrace; sysset_t pr_sysentry, pr_sysexit`.
    const PR_SIGTRACE: usize = PR_UTIME + 4 * TIMESTRUC_SIZE;
    /// `char pr_dmodel; char pr_pad[3]`, then `pr_taskid, pr_projid, pr_nzomb, pr_zoneid`.
    const PR_DMODEL: usize = PR_SIGTRACE + SIGSET_SIZE + FLTSET_SIZE + 2 * SYSSET_SIZE;
    /// `int pr_filler[15]`.
    const PR_FILLER: usize = PR_DMODEL + 4 + 4 * INT;
    /// `pstatus_t.pr_lwp`, the representative lwp's `lwpstatus_t` (long-aligned: it
    /// holds longs and pointers).
    pub const PR_LWP: usize = long_aligned(PR_FILLER + 15 * INT);
    /// `lwpstatus_t.pr_info`, a long-aligned `siginfo_t`: after `int pr_flags; id_t
    /// pr_lwpid; short pr_why, pr_what, pr_cursig, pr_pad1`.
    pub const LWP_PR_INFO: usize = long_aligned(2 * INT + 4 * SHORT);
    /// `lwpstatus_t.pr_lwppend`, within the `lwpstatus_t`.
    pub const LWP_PR_LWPPEND: usize = LWP_PR_INFO + SIGINFO_SIZE;
    /// `pstatus_t.pr_lwp.pr_lwppend`: signals pending for the representative lwp.
    pub const PR_LWPPEND: usize = PR_LWP + LWP_PR_LWPPEND;
    /// `pstatus_t.pr_lwp.pr_lwphold`: signals the representative lwp has blocked.
    pub const PR_LWPHOLD: usize = PR_LWPPEND + SIGSET_SIZE;
    /// The bytes of `pstatus_t` psx reads: up to the end of `pr_lwphold`.
    pub const PSTATUS_NEEDED: usize = PR_LWPHOLD + SIGSET_SIZE;

    /// `prcred_t.pr_ngroups`: after `uid_t pr_euid, pr_ruid, pr_suid; gid_t pr_egid,
    /// pr_rgid, pr_sgid`.
    pub const PR_NGROUPS: usize = 6 * INT;
    /// `prcred_t.pr_groups`: declared `gid_t[1]`, running on past the struct.
    pub const PR_GROUPS: usize = PR_NGROUPS + INT;
    /// `sizeof(prcred_t)` (only 4-byte fields): the least `pr_read_cred` writes.
    pub const PRCRED_SIZE: usize = PR_GROUPS + INT;

    /// `struct sigaction.sa_flags`.
    pub const SA_FLAGS: usize = 0;
    /// `struct sigaction._funcptr`: `SIG_DFL`, `SIG_IGN` or the handler's address.
    pub const SA_HANDLER: usize = long_aligned(SA_FLAGS + INT);
    /// `struct sigaction.sa_mask`.
    pub const SA_MASK: usize = SA_HANDLER + LONG;
    /// `sizeof(struct sigaction)`: LP64 has no `sa_resv[2]`.
    pub const SIGACTION_SIZE: usize = long_aligned(SA_MASK + SIGSET_SIZE);

    /// `psinfo_t.pr_pgid`: after `int pr_flag, pr_nlwp; pid_t pr_pid, pr_ppid`.
    pub const PS_PGID: usize = 4 * INT;
    /// `psinfo_t.pr_sid`.
    pub const PS_SID: usize = PS_PGID + INT;
    /// `psinfo_t.pr_uid`, the real user id.
    pub const PS_UID: usize = PS_SID + INT;
    /// `pr_addr`, then `size_t pr_size, pr_rssize, pr_pad1`: after `pr_sid` and the four
    /// ids `pr_uid, pr_euid, pr_gid, pr_egid`.
    const PS_ADDR: usize = long_aligned(PS_SID + INT + 4 * INT);
    /// `psinfo_t.pr_size`: the image size in KiB.
    pub const PS_SIZE: usize = PS_ADDR + LONG;
    /// `psinfo_t.pr_rssize`: the resident set size in KiB.
    pub const PS_RSSIZE: usize = PS_SIZE + LONG;
    /// `dev_t pr_ttydev` (a `long` in LP64), then `ushort_t pr_pctcpu, pr_pctmem`.
    const PS_TTYDEV: usize = PS_ADDR + 4 * LONG;
    /// `psinfo_t.pr_start`, a long-aligned `timestruc_t`, then `pr_time` and `pr_ctime`.
    pub const PS_START: usize = long_aligned(PS_TTYDEV + LONG + 2 * SHORT);
    /// `psinfo_t.pr_time`: user + system CPU time, a `timestruc_t`.
    pub const PS_TIME: usize = PS_START + TIMESTRUC_SIZE;
    /// `psinfo_t.pr_fname`: `char[PRFNSZ]`.
    pub const PS_FNAME: usize = PS_START + 3 * TIMESTRUC_SIZE;
    /// `PRFNSZ`.
    pub const PRFNSZ: usize = 16;
    /// `int pr_wstat, pr_argc`: after `char pr_psargs[PRARGSZ]` (80).
    const PS_WSTAT: usize = PS_FNAME + PRFNSZ + 80;
    /// `uintptr_t pr_argv, pr_envp`, then `char pr_dmodel, pr_pad2[3]`.
    const PS_ARGV: usize = long_aligned(PS_WSTAT + 2 * INT);
    /// `taskid_t pr_taskid; projid_t pr_projid; int pr_nzomb; poolid_t pr_poolid;
    /// zoneid_t pr_zoneid; id_t pr_contract; int pr_filler[1]`, then `pr_lwp`.
    const PS_TASKID: usize = PS_ARGV + 2 * LONG + 4;
    /// `psinfo_t.pr_lwp`, the representative lwp's `lwpsinfo_t` (long-aligned).
    pub const PS_LWP: usize = long_aligned(PS_TASKID + 7 * INT);
    /// `lwpsinfo_t.pr_sname`: after `int pr_flag; id_t pr_lwpid; uintptr_t pr_addr,
    /// pr_wchan; char pr_stype, pr_state`.
    pub const LWPS_SNAME: usize = 2 * INT + 2 * LONG + 2;
    /// `psinfo_t.pr_lwp.pr_sname`: `'Z'` for a zombie.
    pub const PS_LWP_SNAME: usize = PS_LWP + LWPS_SNAME;
    /// The bytes of `psinfo_t` psx reads: up to `pr_lwp.pr_sname`.
    pub const PSINFO_NEEDED: usize = PS_LWP_SNAME + 1;
    /// `lwpsinfo_t.pr_start`: after `pr_sname` and `char pr_nice; short pr_syscall;
    /// char pr_oldpri, pr_cpu; int pr_pri; ushort_t pr_pctcpu, pr_pad`.
    const LWPS_START: usize = long_aligned(LWPS_SNAME + 1 + 1 + SHORT + 2 + INT + 2 * SHORT);
    /// `sizeof(lwpsinfo_t)`: `pr_start, pr_time`, `char pr_clname[8], pr_name[16]`,
    /// `pr_onpro, pr_bindpro, pr_bindpset, pr_lgrp` and `int pr_filler[4]`.
    const LWPSINFO_SIZE: usize =
        long_aligned(LWPS_START + 2 * TIMESTRUC_SIZE + 8 + PRFNSZ + 8 * INT);
    /// `sizeof(psinfo_t)`: what `pr_read_psinfo` writes for an LP64 reader.
    pub const PSINFO_SIZE: usize = PS_LWP + LWPSINFO_SIZE;
}

// The LP64 offsets worked out by hand from the headers: a slip in the arithmetic above
// fails the build on every host.
const _: () = {
    assert!(layout::PR_SIGPEND == 32);
    assert!(layout::PR_LWP == 384);
    assert!(layout::LWP_PR_INFO == 16 && layout::LWP_PR_LWPPEND == 272);
    assert!(layout::PR_LWPPEND == 656 && layout::PR_LWPHOLD == 672);
    assert!(layout::PSTATUS_NEEDED == 688);
    assert!(layout::PR_NGROUPS == 24 && layout::PR_GROUPS == 28 && layout::PRCRED_SIZE == 32);
    assert!(layout::SA_HANDLER == 8 && layout::SA_MASK == 16 && layout::SIGACTION_SIZE == 32);
    assert!(layout::PS_PGID == 16 && layout::PS_SID == 20 && layout::PS_START == 88);
    assert!(layout::PS_FNAME == 136 && layout::PS_LWP == 288 && layout::PS_LWP_SNAME == 314);
    assert!(layout::PSINFO_NEEDED == 315 && layout::PSINFO_SIZE == 416);
    assert!(layout::PS_UID == 24 && layout::PS_SIZE == 48 && layout::PS_RSSIZE == 56);
    assert!(layout::PS_TIME == 104);
    assert!(layout::PR_BRKSIZE == 56 && layout::PR_STKSIZE == 72);
    assert!(layout::PSTATUS_SIZES_NEEDED == 80);
};

/// `SIG_DFL` and `SIG_IGN` (`sys/iso/signal_iso.h`).
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

/// The `errno` values this crate tells apart (`sys/errno.h`: the same numbers on
/// Solaris, illumos and Linux).
pub mod errno {
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
}

/// Why a `/proc` file could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the struct.
    Truncated {
        /// Which file.
        what: &'static str,
        /// Bytes read.
        len: usize,
    },
    /// `pr_ngroups` negative or more than the file holds.
    BadGroupCount(i32),
    /// `sigact` is not a whole number of `struct sigaction`.
    Sigact(usize),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { what, len } => {
                write!(f, "/proc {what} of {len} bytes is too short")
            }
            DecodeError::BadGroupCount(n) => write!(f, "/proc cred claims {n} groups"),
            DecodeError::Sigact(len) => write!(
                f,
                "/proc sigact of {len} bytes is not an array of sigaction"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A `sigset_t` (4 x `uint32_t`) at `at`.
fn set_at(buf: &[u8], at: usize) -> Option<SigSet> {
    let mut words = [0u32; 4];
    for (i, w) in words.iter_mut().enumerate() {
        *w = u32_at(buf, at.checked_add(4 * i)?)?;
    }
    Some(SigSet::from_words(&words))
}

/// The supplementary groups from `/proc/<pid>/cred` (`prcred_t`, whose `pr_groups`
/// array runs on past the struct).
pub fn cred_groups(buf: &[u8]) -> Result<Vec<u32>, DecodeError> {
    use layout::*;
    let truncated = DecodeError::Truncated {
        what: "cred",
        len: buf.len(),
    };
    if buf.len() < PRCRED_SIZE {
        return Err(truncated);
    }
    let n = i32_at(buf, PR_NGROUPS).ok_or(truncated)?;
    let room = buf.len().saturating_sub(PR_GROUPS) / 4;
    let count = usize::try_from(n)
        .ok()
        .filter(|&c| c <= room)
        .ok_or(DecodeError::BadGroupCount(n))?;
    (0..count)
        .map(|i| u32_at(buf, PR_GROUPS + 4 * i).ok_or(DecodeError::BadGroupCount(n)))
        .collect()
}

/// What psx reads of `/proc/<pid>/psinfo` (`psinfo_t`), the one file the kernel serves
/// for every process to every reader (`praccess` in
/// `usr/src/uts/common/fs/proc/prvnops.c` asks no credential for it, its mode is 0644)
/// and for a zombie too (`pr_lookup_piddir` still finds it under a process marked
/// `PRC_DESTROY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Psinfo {
    /// `pr_pgid`: `p_pgrp`, what `getpgid` answers.
    pub pgid: i32,
    /// `pr_sid`: `p_sessp->s_sid`, what `getsid` answers.
    pub sid: i32,
    /// `pr_uid`: the real user id (`crgetruid`), filled for a zombie too.
    pub ruid: u32,
    /// `pr_time` in whole seconds: the user and system time of every lwp, live and
    /// exited (`mstate_aggr_state`), filled for a zombie too.
    pub cpu_seconds: u64,
    /// The name, start time and memory, `None` for a zombie (see [`psinfo`]).
    pub alive: Option<Alive>,
}

/// What `psinfo_t` holds only while the process has an lwp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive {
    /// `pr_fname` (`ps -o fname`): the first 15 bytes of `u_comm`, the name of the file
    /// the process last executed, unless its owner rewrote it through `psinfo`
    /// (`pr_write_psinfo_fname`).
    pub name: String,
    /// `pr_start`: `u_start`, the wall-clock time `getproc` (`os/fork.c`) stamped at
    /// fork, which stays with the process until it is freed.
    pub start: StartTime,
    /// `pr_size` in bytes: the reserved part of the address space (`a_resvsize`, in
    /// whole pages), which the kernel writes in KiB. 0 for a system process.
    pub size_bytes: u64,
    /// `pr_rssize` in bytes: the resident pages (`rm_asrss`), written in KiB. 0 for a
    /// system process.
    pub rss_bytes: u64,
}

impl Psinfo {
    /// When the process started, if the file says (it does not for a zombie).
    pub fn start(&self) -> Option<StartTime> {
        self.alive.as_ref().map(|a| a.start)
    }
}

/// Decodes `/proc/<pid>/psinfo`.
///
/// `prgetpsinfo` (`usr/src/uts/common/fs/proc/prsubr.c`) fills `pr_pgid` and `pr_sid`
/// for every process, but when `prchoose` finds no lwp (a zombie) it zeroes the struct,
/// fills the ids and counters but neither `pr_fname` nor `pr_start`, and gives `pr_lwp`
/// the `pr_sname` `'Z'`. A live process's `pr_start` is its fork time, never 0, so
/// `'Z'` with a zero start is the zombie.
///
/// The ids, `pr_uid` and `pr_time` are filled before that choice, so a zombie has them;
/// `pr_size` and `pr_rssize` only for a process with an lwp (and 0 for a system
/// process, which has the kernel's address space).
pub fn psinfo(buf: &[u8]) -> Result<Psinfo, DecodeError> {
    use layout::*;
    let truncated = || DecodeError::Truncated {
        what: "psinfo",
        len: buf.len(),
    };
    if buf.len() < PSINFO_NEEDED {
        return Err(truncated());
    }
    let pgid = i32_at(buf, PS_PGID).ok_or_else(truncated)?;
    let sid = i32_at(buf, PS_SID).ok_or_else(truncated)?;
    let ruid = u32_at(buf, PS_UID).ok_or_else(truncated)?;
    // A negative time is no time used.
    let cpu_seconds = u64::try_from(i64_at(buf, PS_TIME).ok_or_else(truncated)?).unwrap_or(0);
    let sec = i64_at(buf, PS_START).ok_or_else(truncated)?;
    let nsec = i64_at(buf, PS_START + LONG).ok_or_else(truncated)?;
    let sname = buf.get(PS_LWP_SNAME).copied().ok_or_else(truncated)?;
    let alive = if sname == b'Z' && sec == 0 && nsec == 0 {
        None
    } else {
        Some(Alive {
            name: c_string_at(buf, PS_FNAME, PRFNSZ).ok_or_else(truncated)?,
            start: StartTime {
                sec,
                usec: nsec / 1000,
            },
            size_bytes: kib_to_bytes(u64_at(buf, PS_SIZE).ok_or_else(truncated)?),
            rss_bytes: kib_to_bytes(u64_at(buf, PS_RSSIZE).ok_or_else(truncated)?),
        })
    };
    Ok(Psinfo {
        pgid,
        sid,
        ruid,
        cpu_seconds,
        alive,
    })
}

/// `prgetpsinfo` writes sizes in KiB (`pages * (PAGESIZE / 1024)`).
fn kib_to_bytes(kib: u64) -> u64 {
    kib.saturating_mul(1024)
}

/// Which `/proc/<pid>` file tells how much of a resource a process uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageSource {
    /// `psinfo` (readable by anyone, kept for a zombie): AS, RSS, CPU.
    Psinfo,
    /// `status` (the owner's, gone with a zombie): DATA, STACK.
    Status,
    /// Nothing: MEMLOCK, NICE, RTPRIO and SIGPENDING have no limit here (illumos's
    /// `RLIMIT_*` are CPU, FSIZE, DATA, STACK, CORE, NOFILE and VMEM) and no count.
    Nowhere,
}

/// Where `resource`'s use comes from (NOFILE is counted in `fd/`, see [`FdTally`]).
pub const fn usage_source(resource: Resource) -> UsageSource {
    match resource {
        Resource::As | Resource::Rss | Resource::Cpu => UsageSource::Psinfo,
        Resource::Data | Resource::Stack => UsageSource::Status,
        _ => UsageSource::Nowhere,
    }
}

/// `resource`'s use from `psinfo`, in the limit's units.
///
/// - AS: `pr_size`, which is `a_resvsize`. `as_map_locked` (`vm/vm_as.c`) checks
///   `RLIMIT_VMEM` against `a_size`, which also counts `MAP_NORESERVE` mappings:
///   for a process with such mappings this is below what the limit sees.
/// - RSS: `pr_rssize` (illumos enforces no RSS limit; the figure is for display).
/// - CPU: `pr_time`'s whole seconds; `clock_tick` (`os/clock.c`) tests
///   `RLIMIT_CPU` against `(p_utime + p_stime) / hz`, the tick-sampled same time.
///
/// A zombie's memory is [`Missing::Zombie`]: its address space is gone and the kernel
/// writes no size. A resource `psinfo` does not tell is [`Missing::Unsupported`].
pub fn psinfo_usage(p: &Psinfo, resource: Resource) -> Result<u64, Missing> {
    let memory = |f: fn(&Alive) -> u64| p.alive.as_ref().map(f).ok_or(Missing::Zombie);
    match resource {
        Resource::As => memory(|a| a.size_bytes),
        Resource::Rss => memory(|a| a.rss_bytes),
        Resource::Cpu => Ok(p.cpu_seconds),
        _ => Err(Missing::Unsupported),
    }
}

/// The heap and stack sizes from `/proc/<pid>/status` (`pstatus_t`), in bytes, the
/// figures `RLIMIT_DATA` and `RLIMIT_STACK` are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSizes {
    /// `pr_brksize`: `p_brksize`, the break's distance from `p_brkbase`, which
    /// `brk_internal` (`os/grow.c`) compares with `RLIMIT_DATA` before moving it.
    pub brk: u64,
    /// `pr_stksize`: `p_stksize`, the mapped stack (whole pages), which
    /// `grow_internal` (`os/grow.c`) grows only while it stays within `RLIMIT_STACK`.
    pub stack: u64,
}

impl StatusSizes {
    /// The use of DATA or STACK; `None` for any other resource.
    pub fn usage(&self, resource: Resource) -> Option<u64> {
        match resource {
            Resource::Data => Some(self.brk),
            Resource::Stack => Some(self.stack),
            _ => None,
        }
    }
}

/// The sizes from `/proc/<pid>/status`.
pub fn status_sizes(buf: &[u8]) -> Result<StatusSizes, DecodeError> {
    let truncated = || DecodeError::Truncated {
        what: "status",
        len: buf.len(),
    };
    if buf.len() < layout::PSTATUS_SIZES_NEEDED {
        return Err(truncated());
    }
    Ok(StatusSizes {
        brk: u64_at(buf, layout::PR_BRKSIZE).ok_or_else(truncated)?,
        stack: u64_at(buf, layout::PR_STKSIZE).ok_or_else(truncated)?,
    })
}

/// Counts the entries of `/proc/<pid>/fd` one name at a time, keeping nothing of them.
///
/// `pr_readdir_fdlist` (`usr/src/uts/common/fs/proc/prvnops.c`) writes `.` and `..`,
/// then one entry per slot of `fi_list` with a file, named by its descriptor number in
/// decimal, ascending; a system process (`SSYS`, or the kernel's address space) lists
/// none.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FdTally {
    count: u64,
    highest: Option<u64>,
}

impl FdTally {
    /// Counts `name` if it is a descriptor number; `.`, `..` and anything else are
    /// skipped.
    pub fn add(&mut self, name: &[u8]) {
        if name.is_empty() {
            return;
        }
        let mut fd: u64 = 0;
        for &b in name {
            if !b.is_ascii_digit() {
                return;
            }
            match fd
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
            {
                Some(n) => fd = n,
                None => return,
            }
        }
        self.count += 1;
        self.highest = Some(self.highest.map_or(fd, |h| h.max(fd)));
    }

    /// How many were counted, and the highest.
    pub fn open_files(self) -> OpenFiles {
        OpenFiles {
            count: self.count,
            highest: self.highest,
        }
    }
}

/// The processes `/proc` lists, ascending: its entries whose names are decimal
/// numbers that can name a process (`pr_readdir_procdir` writes one per process of
/// the zone `/proc` was mounted for that the reader may see, `sched`'s pid 0 included;
/// `self` is a link to the reader).
pub fn pids_from_names<S: AsRef<str>>(names: &[S]) -> Vec<Pid> {
    let mut pids: Vec<Pid> = names
        .iter()
        .map(AsRef::as_ref)
        .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|name| name.parse::<i64>().ok())
        .map(Pid::from)
        .filter(|pid| pid.is_valid())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// The signal sets of `/proc/<pid>/status` (`pstatus_t`), as `prgetstatus` and
/// `prgetlwpstatus` (`usr/src/uts/common/fs/proc/prsubr.c`) fill them: the lwp's sets
/// are those of the lwp `prchoose` picks (the agent lwp if there is one, else one
/// chosen by its state), not necessarily lwp 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMasks {
    /// `pr_lwp.pr_lwppend`: the lwp's own `t_sig`.
    pub lwp_pending: SigSet,
    /// `pr_sigpend`: the process's `p_sig`, signals sent to the process as a whole.
    pub process_pending: SigSet,
    /// `pr_lwp.pr_lwphold`: the lwp's `t_hold`.
    pub lwp_blocked: SigSet,
}

/// The signal sets from `/proc/<pid>/status`.
pub fn status_masks(buf: &[u8]) -> Result<StatusMasks, DecodeError> {
    let truncated = DecodeError::Truncated {
        what: "status",
        len: buf.len(),
    };
    if buf.len() < layout::PSTATUS_NEEDED {
        return Err(truncated);
    }
    let set = |at| set_at(buf, at).ok_or(truncated.clone());
    Ok(StatusMasks {
        lwp_pending: set(layout::PR_LWPPEND)?,
        process_pending: set(layout::PR_SIGPEND)?,
        lwp_blocked: set(layout::PR_LWPHOLD)?,
    })
}

/// `(ignored, caught)` from `/proc/<pid>/sigact`: entry N-1 is signal N (the kernel
/// writes `NSIG - 1` entries); `SIG_IGN` is ignored, any other value but `SIG_DFL` is
/// a handler: caught.
/// Entries past signal 128 are beyond any `sigset_t` and are skipped.
pub fn sigact(buf: &[u8]) -> Result<(SigSet, SigSet), DecodeError> {
    use layout::*;
    if buf.is_empty() || buf.len() % SIGACTION_SIZE != 0 {
        return Err(DecodeError::Sigact(buf.len()));
    }
    let (mut ignored, mut caught) = (SigSet::EMPTY, SigSet::EMPTY);
    for (sig, entry) in (1..=128).zip(buf.chunks_exact(SIGACTION_SIZE)) {
        let handler = array(entry, SA_HANDLER)
            .map(u64::from_ne_bytes)
            .ok_or(DecodeError::Sigact(buf.len()))?;
        match handler {
            SIG_DFL => {}
            SIG_IGN => ignored.insert(sig),
            _ => caught.insert(sig),
        }
    }
    Ok((ignored, caught))
}

/// The masks from `status` and `sigact` together, with Linux's meaning of each field:
/// `pending` is the (representative) thread's own set and `process_pending` the
/// process-wide one, as `SigPnd` and `ShdPnd` are.
pub fn sigmasks(status: &[u8], sigact_bytes: &[u8]) -> Result<SignalMasks, DecodeError> {
    let sets = status_masks(status)?;
    let (ignored, caught) = sigact(sigact_bytes)?;
    Ok(SignalMasks {
        pending: Some(sets.lwp_pending),
        blocked: Some(sets.lwp_blocked),
        ignored: Some(ignored),
        caught: Some(caught),
        process_pending: Some(sets.process_pending),
    })
}

/// What `getpgid(2)` or `getsid(2)` answered, read as illumos means it.
///
/// `pgrpsys` (`usr/src/uts/common/syscall/pgrpsys.c`, flags 2 and 4) fails in two ways
/// only, and never for permission: `EINVAL` for a pid below 0 or at or above `maxpid`,
/// which no process can have (`/proc` has no entry for it either), and `ESRCH` when
/// `prfind` finds no process in the caller's zone (or one still being created). Both
/// are [`Error::NoSuchProcess`]. `prfind` still finds a zombie (`pid_prinactive` is set
/// only when it is reaped, by `pid_exit` in `usr/src/uts/common/os/pid.c`), so a
/// zombie's group and session are answered.
pub fn pgrpsys(answer: Result<Pid>) -> Result<Pid> {
    match answer {
        Err(Error::Os { pid, source, .. }) if source.raw_os_error() == Some(errno::EINVAL) => {
            Err(Error::NoSuchProcess { pid })
        }
        other => other,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn put_u32(buf: &mut [u8], at: usize, value: u32) {
        buf[at..at + 4].copy_from_slice(&value.to_ne_bytes());
    }

    fn put_u64(buf: &mut [u8], at: usize, value: u64) {
        buf[at..at + 8].copy_from_slice(&value.to_ne_bytes());
    }

    /// A `sigset_t`: four `uint32_t`, signals 1..=32 in the first.
    fn put_set(buf: &mut [u8], at: usize, words: [u32; 4]) {
        for (i, w) in words.into_iter().enumerate() {
            put_u32(buf, at + 4 * i, w);
        }
    }

    /// `/proc/<pid>/cred` as `pr_read_cred` (`usr/src/uts/common/fs/proc/prvnops.c`)
    /// writes it: a `prcred_t` (`sys/procfs.h`, LP64: six 4-byte ids at 0..24,
    /// `int pr_ngroups` at 24, `gid_t pr_groups[1]` at 28, 32 bytes in all), the
    /// groups running on past it; `sizeof(prcred_t)` even with no groups.
    pub(crate) fn cred(groups: &[u32], claimed: i32) -> Vec<u8> {
        let mut buf = vec![0u8; 28 + 4 * groups.len().max(1)];
        for (i, id) in [100u32, 101, 102, 10, 11, 12].into_iter().enumerate() {
            put_u32(&mut buf, 4 * i, id); // pr_euid, pr_ruid, pr_suid, pr_egid, pr_rgid, pr_sgid
        }
        put_u32(&mut buf, 24, claimed as u32); // pr_ngroups
        for (i, &g) in groups.iter().enumerate() {
            put_u32(&mut buf, 28 + 4 * i, g); // pr_groups[i]
        }
        buf
    }

    /// `/proc/<pid>/status` as `prgetstatus` fills it: a `pstatus_t` (`sys/procfs.h`,
    /// LP64), of which psx reads `pr_sigpend` at 32 and, in `pr_lwp` at 384 (an
    /// `lwpstatus_t`: `pr_info` at 16 in it is a 256-byte `siginfo_t`), `pr_lwppend`
    /// at 384 + 272 = 656 and `pr_lwphold` at 384 + 288 = 672: 688 bytes at least.
    /// Every other byte is 0xCC filler, so a read at a wrong offset sees filler.
    pub(crate) fn pstatus(sigpend: [u32; 4], lwppend: [u32; 4], lwphold: [u32; 4]) -> Vec<u8> {
        let mut buf = vec![0xCCu8; 1000];
        put_set(&mut buf, 32, sigpend); // pstatus_t.pr_sigpend
        put_set(&mut buf, 656, lwppend); // pr_lwp (384) + lwpstatus_t.pr_lwppend (272)
        put_set(&mut buf, 672, lwphold); // pr_lwp (384) + lwpstatus_t.pr_lwphold (288)
        buf
    }

    /// `/proc/<pid>/sigact` as `pr_read_sigact` writes it: one `struct sigaction`
    /// (`sys/signal.h`, LP64: `int sa_flags` at 0, 4 bytes of padding, the handler
    /// union at 8, `sigset_t sa_mask` at 16, 32 bytes in all) per signal 1..=n. The
    /// flags, padding and mask are set to non-zero values, as a real entry's can be,
    /// so a handler read at a wrong offset is wrong.
    pub(crate) fn sigact_file(handlers: &[u64]) -> Vec<u8> {
        let mut buf = vec![0u8; 32 * handlers.len()];
        for (i, &h) in handlers.iter().enumerate() {
            let entry = &mut buf[32 * i..32 * (i + 1)];
            put_u32(entry, 0, 0x4 | 0x8); // sa_flags: SA_RESTART | SA_SIGINFO
            put_u32(entry, 4, 0xDDDD_DDDD); // padding before the pointer
            put_u64(entry, 8, h); // sa_handler / sa_sigaction
            put_set(entry, 16, [u32::MAX; 4]); // sa_mask
        }
        buf
    }

    /// `/proc/<pid>/psinfo` as `prgetpsinfo` fills it: a `psinfo_t` (`sys/procfs.h`,
    /// LP64, 416 bytes), of which psx reads `pr_pgid` at 16, `pr_sid` at 20, `pr_start`
    /// at 88 (`tv_sec`) and 96 (`tv_nsec`), `pr_fname` at 136 (`char[16]`) and, in
    /// `pr_lwp` at 288 (an `lwpsinfo_t`: `pr_sname` at 26 in it), `pr_sname` at 314.
    /// A live process's file has 0xCC filler in every other byte, so a read at a wrong
    /// offset sees filler; a zombie's is what `prgetpsinfo` writes when `prchoose` finds
    /// no lwp: all zero but the ids and `pr_lwp.pr_sname` `'Z'`.
    pub(crate) fn psinfo_file(pgid: i32, sid: i32, alive: Option<(&str, i64, i64)>) -> Vec<u8> {
        let mut buf = vec![if alive.is_some() { 0xCC } else { 0 }; 416];
        put_u32(&mut buf, 16, pgid as u32); // pr_pgid
        put_u32(&mut buf, 20, sid as u32); // pr_sid
        match alive {
            Some((name, sec, nsec)) => {
                put_u64(&mut buf, 88, sec as u64); // pr_start.tv_sec
                put_u64(&mut buf, 96, nsec as u64); // pr_start.tv_nsec
                buf[136..152].fill(0); // pr_fname, NUL-padded
                buf[136..136 + name.len()].copy_from_slice(name.as_bytes());
                buf[314] = b'S'; // pr_lwp.pr_sname: sleeping
            }
            None => buf[314] = b'Z', // pr_lwp.pr_sname
        }
        buf
    }

    /// Writes what `prgetpsinfo` fills for the limits into a `psinfo_file`: `pr_uid` at
    /// 24, `pr_time` at 104 (`tv_sec`) and 112 (`tv_nsec`) for every process, and for a
    /// process with an lwp `pr_size` at 48 and `pr_rssize` at 56, both in KiB
    /// (`sys/procfs.h`, LP64).
    pub(crate) fn put_psinfo_usage(
        buf: &mut [u8],
        ruid: u32,
        cpu: (i64, i64),
        sizes_kib: Option<(u64, u64)>,
    ) {
        put_u32(buf, 24, ruid); // pr_uid
        put_u64(buf, 104, cpu.0 as u64); // pr_time.tv_sec
        put_u64(buf, 112, cpu.1 as u64); // pr_time.tv_nsec
        if let Some((size, rssize)) = sizes_kib {
            put_u64(buf, 48, size); // pr_size
            put_u64(buf, 56, rssize); // pr_rssize
        }
    }

    /// Writes `pr_brksize` at 56 and `pr_stksize` at 72 (bytes) into a `pstatus`
    /// fixture (`pstatus_t`, `sys/procfs.h`, LP64: `pr_brkbase` at 48 after the
    /// 16-byte `pr_sigpend` at 32, then the three other longs).
    pub(crate) fn put_status_sizes(buf: &mut [u8], brksize: u64, stksize: u64) {
        put_u64(buf, 56, brksize); // pr_brksize
        put_u64(buf, 72, stksize); // pr_stksize
    }

    #[test]
    fn psinfo_usage_is_read_at_the_headers_offsets_in_bytes() {
        let mut file = psinfo_file(7, 7, Some(("sshd", 1_700_000_000, 0)));
        // 4 pages of 4 KiB reserved, 2 resident: the kernel writes 16 and 8 (KiB).
        put_psinfo_usage(&mut file, 1001, (75, 999_999_999), Some((16, 8)));
        let read = psinfo(&file).unwrap();
        assert_eq!((read.ruid, read.cpu_seconds), (1001, 75));
        assert_eq!(psinfo_usage(&read, Resource::As), Ok(16384));
        assert_eq!(psinfo_usage(&read, Resource::Rss), Ok(8192));
        assert_eq!(psinfo_usage(&read, Resource::Cpu), Ok(75));
        assert_eq!(
            psinfo_usage(&read, Resource::Data),
            Err(Missing::Unsupported)
        );
        // A 1 PiB image is still exact in bytes.
        put_psinfo_usage(&mut file, 0, (0, 0), Some((1 << 40, 512)));
        let big = psinfo(&file).unwrap();
        assert_eq!(psinfo_usage(&big, Resource::As), Ok(1 << 50));
        assert_eq!(psinfo_usage(&big, Resource::Rss), Ok(512 * 1024));
        // A KiB count no address space has saturates rather than wrapping.
        put_psinfo_usage(&mut file, 0, (-1, 0), Some((u64::MAX, 0)));
        let absurd = psinfo(&file).unwrap();
        assert_eq!(psinfo_usage(&absurd, Resource::As), Ok(u64::MAX));
        assert_eq!(absurd.cpu_seconds, 0, "a negative time is none");
    }

    #[test]
    fn a_zombie_has_cpu_time_and_a_user_but_no_memory() {
        let mut file = psinfo_file(690, 600, None);
        put_psinfo_usage(&mut file, 1001, (12, 500_000_000), None);
        let zombie = psinfo(&file).unwrap();
        assert_eq!((zombie.ruid, zombie.cpu_seconds), (1001, 12));
        assert_eq!(psinfo_usage(&zombie, Resource::Cpu), Ok(12));
        assert_eq!(psinfo_usage(&zombie, Resource::As), Err(Missing::Zombie));
        assert_eq!(psinfo_usage(&zombie, Resource::Rss), Err(Missing::Zombie));
    }

    #[test]
    fn status_sizes_are_read_at_the_headers_offsets() {
        let mut status = pstatus([0; 4], [0; 4], [0; 4]);
        put_status_sizes(&mut status, 135_168, 8192);
        let sizes = status_sizes(&status).unwrap();
        assert_eq!(
            sizes,
            StatusSizes {
                brk: 135_168,
                stack: 8192
            }
        );
        assert_eq!(sizes.usage(Resource::Data), Some(135_168));
        assert_eq!(sizes.usage(Resource::Stack), Some(8192));
        assert_eq!(sizes.usage(Resource::As), None);
        // Up to the end of pr_stksize (80 bytes) suffices; one fewer does not.
        assert!(status_sizes(&status[..80]).is_ok());
        assert_eq!(
            status_sizes(&status[..79]),
            Err(DecodeError::Truncated {
                what: "status",
                len: 79
            })
        );
    }

    #[test]
    fn each_resource_has_one_source() {
        assert_eq!(usage_source(Resource::As), UsageSource::Psinfo);
        assert_eq!(usage_source(Resource::Rss), UsageSource::Psinfo);
        assert_eq!(usage_source(Resource::Cpu), UsageSource::Psinfo);
        assert_eq!(usage_source(Resource::Data), UsageSource::Status);
        assert_eq!(usage_source(Resource::Stack), UsageSource::Status);
        for r in [
            Resource::Memlock,
            Resource::Nice,
            Resource::Rtprio,
            Resource::Sigpending,
            Resource::Nofile,
            Resource::Nproc,
        ] {
            assert_eq!(usage_source(r), UsageSource::Nowhere, "{r}");
        }
    }

    fn tally(names: &[&[u8]]) -> OpenFiles {
        let mut t = FdTally::default();
        names.iter().for_each(|n| t.add(n));
        t.open_files()
    }

    #[test]
    fn fd_names_are_counted_and_the_highest_kept() {
        // What pr_readdir_fdlist writes: ".", "..", then the descriptors ascending.
        let got = tally(&[b".", b"..", b"0", b"1", b"2", b"9", b"10", b"255"]);
        assert_eq!(
            got,
            OpenFiles {
                count: 6,
                highest: Some(255)
            }
        );
        // A system process: only "." and "..".
        assert_eq!(
            tally(&[b".", b".."]),
            OpenFiles {
                count: 0,
                highest: None
            }
        );
        // In any order; names that are no number are skipped, and so is one too big.
        let got = tally(&[
            b"1048575",
            b"3",
            b"",
            b"+4",
            b"4a",
            b"99999999999999999999",
            b"0",
        ]);
        assert_eq!(
            got,
            OpenFiles {
                count: 3,
                highest: Some(1_048_575)
            }
        );
    }

    #[test]
    fn psinfo_is_read_at_the_headers_offsets() {
        let file = psinfo_file(690, 600, Some(("sshd", 1_700_000_000, 123_456_789)));
        let read = psinfo(&file).unwrap();
        assert_eq!((read.pgid, read.sid), (690, 600));
        let alive = read.alive.unwrap();
        assert_eq!(alive.name, "sshd");
        assert_eq!(
            alive.start,
            StartTime {
                sec: 1_700_000_000,
                usec: 123_456
            }
        );
        // A full pr_fname with no NUL stays within its 16 bytes.
        let long = psinfo_file(1, 1, Some(("abcdefghijklmnop", 5, 0)));
        assert_eq!(
            psinfo(&long).unwrap().alive.unwrap().name,
            "abcdefghijklmnop"
        );
        // Up to pr_lwp.pr_sname (315 bytes) suffices; one fewer does not.
        assert!(psinfo(&file[..315]).is_ok());
        assert_eq!(
            psinfo(&file[..314]),
            Err(DecodeError::Truncated {
                what: "psinfo",
                len: 314
            })
        );
    }

    #[test]
    fn a_zombies_psinfo_has_ids_but_no_name_or_start() {
        let zombie = psinfo(&psinfo_file(690, 600, None)).unwrap();
        assert_eq!((zombie.pgid, zombie.sid, zombie.alive), (690, 600, None));
        // A live process whose chosen lwp is itself exiting (`TS_ZOMB`) still has its
        // fork time and name: not a zombie.
        let mut exiting = psinfo_file(7, 7, Some(("init", 9, 0)));
        exiting[314] = b'Z';
        assert_eq!(psinfo(&exiting).unwrap().alive.unwrap().name, "init");
    }

    #[test]
    fn proc_names_give_ascending_pids() {
        let names = [
            ".",
            "..",
            "self",
            "0",
            "27",
            "1",
            "3",
            "12a",
            "",
            "+5",
            "-1",
            "03",
            "2147483647",
            "2147483648",
            "99999999999999999999",
        ];
        let pids: Vec<i64> = pids_from_names(&names).iter().map(|p| p.get()).collect();
        // pid 0 (sched) can name no process psx asks about; "03" is 3 again.
        assert_eq!(pids, [1, 3, 27, 2147483647]);
        assert!(pids_from_names::<&str>(&[]).is_empty());
    }

    #[test]
    fn cred_with_0_1_and_32_groups() {
        assert_eq!(cred(&[], 0).len(), 32, "sizeof(prcred_t)");
        assert_eq!(cred_groups(&cred(&[], 0)), Ok(vec![]));
        assert_eq!(cred_groups(&cred(&[14], 1)), Ok(vec![14]));
        let many: Vec<u32> = (100..132).collect();
        assert_eq!(cred_groups(&cred(&many, 32)), Ok(many.clone()));
        assert_eq!(
            cred_groups(&cred(&many, 33)),
            Err(DecodeError::BadGroupCount(33))
        );
        assert_eq!(
            cred_groups(&cred(&[], -1)),
            Err(DecodeError::BadGroupCount(-1))
        );
        assert!(cred_groups(&cred(&[1], 1)[..20]).is_err());
        // Fewer bytes than `sizeof(prcred_t)`: truncated, even if the count fits.
        assert_eq!(
            cred_groups(&cred(&[], 0)[..31]),
            Err(DecodeError::Truncated {
                what: "cred",
                len: 31
            })
        );
        // Two groups claimed, one present.
        assert_eq!(
            cred_groups(&cred(&[5, 6], 2)[..32]),
            Err(DecodeError::BadGroupCount(2))
        );
    }

    #[test]
    fn status_sets_are_read_at_the_headers_offsets() {
        let status = pstatus(
            [0x0000_8000, 0, 0, 0], // process pending: SIGUSR1 (16 on Solaris)
            [0x0000_0002, 0, 0, 1], // lwp pending: SIGINT and signal 97
            [0x0000_4000, 0, 1, 0], // lwp blocked: SIGTERM and signal 65
        );
        let sets = status_masks(&status).unwrap();
        assert_eq!(sets.process_pending.iter().collect::<Vec<_>>(), vec![16]);
        assert_eq!(sets.lwp_pending.iter().collect::<Vec<_>>(), vec![2, 97]);
        assert_eq!(sets.lwp_blocked.iter().collect::<Vec<_>>(), vec![15, 65]);
        // Exactly the 688 bytes up to the end of pr_lwphold suffice; one fewer does not.
        assert!(status_masks(&status[..688]).is_ok());
        assert_eq!(
            status_masks(&status[..687]),
            Err(DecodeError::Truncated {
                what: "status",
                len: 687
            })
        );
    }

    #[test]
    fn pending_is_the_lwps_and_process_pending_the_processes() {
        // SIGTERM sent to the process; SIGUSR2 (17) to the lwp; SIGINT blocked.
        let status = pstatus([1 << 14, 0, 0, 0], [1 << 16, 0, 0, 0], [1 << 1, 0, 0, 0]);
        // SIGHUP default, SIGINT caught, SIGQUIT ignored, signal 72 caught.
        let mut handlers = vec![SIG_DFL; 73];
        handlers[1] = 0x4010_2030;
        handlers[2] = SIG_IGN;
        handlers[71] = 0x4010_2040;
        let m = sigmasks(&status, &sigact_file(&handlers)).unwrap();
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![17]);
        assert_eq!(
            m.process_pending.unwrap().iter().collect::<Vec<_>>(),
            vec![15]
        );
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![3]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![2, 72]);
    }

    #[test]
    fn sigact_entries_are_32_bytes_with_the_handler_at_8() {
        // illumos writes NSIG - 1 = 73 entries.
        let mut handlers = vec![SIG_DFL; 73];
        handlers[12] = SIG_IGN; // SIGPIPE
        handlers[17] = 0x7fff_0000_1000; // SIGCHLD, a handler above 4 GiB
        let file = sigact_file(&handlers);
        assert_eq!(file.len(), 73 * 32);
        let (ignored, caught) = sigact(&file).unwrap();
        assert_eq!(ignored.iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(caught.iter().collect::<Vec<_>>(), vec![18]);
        // A 28-byte sigaction (the 32-bit layout without sa_resv) is not an array of these.
        assert_eq!(sigact(&file[..73 * 28]), Err(DecodeError::Sigact(73 * 28)));
    }

    #[test]
    fn truncated_files_are_errors() {
        assert_eq!(sigact(&[]), Err(DecodeError::Sigact(0)));
        assert_eq!(sigact(&[0; 33]), Err(DecodeError::Sigact(33)));
        assert!(status_masks(&[]).is_err());
    }

    #[test]
    fn sigact_past_signal_128_is_skipped() {
        let mut handlers = vec![SIG_IGN; 200];
        handlers[127] = 0x1000;
        let (ignored, caught) = sigact(&sigact_file(&handlers)).unwrap();
        assert_eq!(ignored.len(), 127);
        assert_eq!(caught.iter().collect::<Vec<_>>(), vec![128]);
    }

    /// `getpgid`/`getsid` as illumos `pgrpsys` answers them (flags 4 and 2): `EINVAL`
    /// for `pid < 0 || pid >= maxpid`, `ESRCH` when `prfind` finds no process, else
    /// the process group or session; the errno read as `psx_core::unix::process_id`
    /// reads it (which needs the Unix errno numbers: 3 is `ESRCH` there).
    #[cfg(unix)]
    struct FakePgrpsys {
        maxpid: i32,
        /// `(pid, pgid, sid)` of every process `prfind` finds, zombies included.
        procs: Vec<(i32, i32, i32)>,
    }

    #[cfg(unix)]
    impl FakePgrpsys {
        fn call(&self, pid: i32, want_sid: bool) -> Result<Pid> {
            let asked = Pid::from(pid);
            if pid < 0 || pid >= self.maxpid {
                return Err(Error::from_errno(asked, errno::EINVAL));
            }
            match self.procs.iter().find(|p| p.0 == pid) {
                None => Err(Error::from_errno(asked, 3)),
                Some(&(_, pgid, sid)) => Ok(Pid::from(if want_sid { sid } else { pgid })),
            }
        }

        fn getpgid(&self, pid: i32) -> Result<Pid> {
            pgrpsys(self.call(pid, false))
        }

        fn getsid(&self, pid: i32) -> Result<Pid> {
            pgrpsys(self.call(pid, true))
        }
    }

    #[test]
    #[cfg(unix)]
    fn pgrpsys_answers() {
        // illumos's default maxpid is 30000 (the `pidmax` tunable raises it).
        let kernel = FakePgrpsys {
            maxpid: 30000,
            procs: vec![(1, 0, 0), (700, 690, 600)],
        };
        assert_eq!(kernel.getpgid(700).unwrap(), Pid::from(690));
        assert_eq!(kernel.getsid(700).unwrap(), Pid::from(600));
        // A pid no process holds, below and at or above maxpid: no such process both
        // times, as `/proc/<pid>` answers ENOENT for both.
        for pid in [701, 29999, 30000, 99999, i32::MAX] {
            for result in [kernel.getpgid(pid), kernel.getsid(pid)] {
                assert!(
                    matches!(result, Err(Error::NoSuchProcess { pid: p }) if p == Pid::from(pid)),
                    "pid {pid}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn pgrpsys_errnos_map_to_kinds() {
        let pid = Pid::from(42);
        let os = |errno| Error::os(pid, std::io::Error::from_raw_os_error(errno));
        assert!(matches!(
            pgrpsys(Err(os(errno::EINVAL))),
            Err(Error::NoSuchProcess { pid: p }) if p == pid
        ));
        // Every other answer is left as the errno mapping made it.
        assert!(matches!(
            pgrpsys(Err(Error::NoSuchProcess { pid })),
            Err(Error::NoSuchProcess { .. })
        ));
        assert!(matches!(
            pgrpsys(Err(Error::access_denied(pid))),
            Err(Error::AccessDenied { .. })
        ));
        match pgrpsys(Err(os(14))) {
            Err(Error::Os { pid: p, source, .. }) => {
                assert_eq!((p, source.raw_os_error()), (pid, Some(14)));
            }
            other => panic!("EFAULT: {other:?}"),
        }
        assert_eq!(pgrpsys(Ok(Pid::from(0))).unwrap(), Pid::from(0));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let _ = cred_groups(&bytes);
            let _ = status_masks(&bytes);
            let _ = sigact(&bytes);
            let _ = psinfo(&bytes);
            let _ = status_sizes(&bytes);
            let mut t = FdTally::default();
            t.add(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn cred_round_trips(groups in proptest::collection::vec(any::<u32>(), 0..64)) {
            prop_assert_eq!(cred_groups(&cred(&groups, groups.len() as i32)).unwrap(), groups);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn sigact_round_trips(handlers in proptest::collection::vec(prop_oneof![Just(0u64), Just(1u64), 2u64..], 1..80)) {
            let (ignored, caught) = sigact(&sigact_file(&handlers)).unwrap();
            for (i, h) in handlers.iter().enumerate() {
                let sig = i as i32 + 1;
                prop_assert_eq!(ignored.contains(sig), *h == 1);
                prop_assert_eq!(caught.contains(sig), *h > 1);
            }
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn status_round_trips(sigpend in any::<[u32; 4]>(), lwppend in any::<[u32; 4]>(), lwphold in any::<[u32; 4]>()) {
            let sets = status_masks(&pstatus(sigpend, lwppend, lwphold)).unwrap();
            prop_assert_eq!(sets.process_pending, SigSet::from_words(&sigpend));
            prop_assert_eq!(sets.lwp_pending, SigSet::from_words(&lwppend));
            prop_assert_eq!(sets.lwp_blocked, SigSet::from_words(&lwphold));
        }
    }
}
