//! Pure decoding and decisions for FreeBSD, tested on every host: `struct kinfo_proc`
//! bytes (one, or the whole table) and the replies of `KERN_PROC_GROUPS`,
//! `KERN_PROC_UMASK`, `KERN_PROC_RLIMIT`, `KERN_PROC_FILEDESC` and `kern.boottime` to
//! psx types, the resource use `kinfo_proc` tells, the MIBs,
//! resource numbers, which ids can name a process, when a refused call is tried again,
//! and whether a `kinfo_proc` belongs to a pinned process.
//!
//! Layouts: FreeBSD `sys/sys/user.h`, `struct kinfo_proc`, in its two ABIs: LP64
//! (amd64, aarch64, riscv64, powerpc64; `KINFO_PROC_SIZE` 1088) and i386
//! (`KINFO_PROC_SIZE` 768, also what a 32-bit process gets from a 64-bit kernel).
//! `sys.rs` asserts at compile time, on FreeBSD, that every offset of the build's own
//! layout equals libc's `offset_of!`; the tests pin both with the header's offsets.
//! Fields are in the kernel's native byte order.

use std::io;
use std::time::Duration;

use psx_core::bytes::{c_string_at, i32_at, i64_at, u16_at, u32_at, u64_at};
use psx_core::{Limit, OpenFiles, RLimit, Resource, SigSet, SignalMasks, StartTime};

/// Where psx's fields sit in `struct kinfo_proc`.
pub mod layout {
    /// Byte offsets, in one ABI, of the `struct kinfo_proc` fields psx reads.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Layout {
        /// `KINFO_PROC_SIZE`, which the kernel also writes in `ki_structsize`.
        pub size: usize,
        /// `pid_t ki_pid`.
        pub pid: usize,
        /// `pid_t ki_pgid`.
        pub pgid: usize,
        /// `pid_t ki_sid`.
        pub sid: usize,
        /// `sigset_t ki_siglist` (4 x `uint32_t`): pending.
        pub siglist: usize,
        /// `sigset_t ki_sigmask`: blocked (the first thread's).
        pub sigmask: usize,
        /// `sigset_t ki_sigignore`.
        pub sigignore: usize,
        /// `sigset_t ki_sigcatch`.
        pub sigcatch: usize,
        /// `short ki_ngroups`.
        pub ngroups: usize,
        /// `gid_t ki_groups[KI_NGROUPS]`.
        pub groups: usize,
        /// `u_int ki_cr_flags`.
        pub cr_flags: usize,
        /// `struct timeval ki_start`.
        pub start: usize,
        /// `sizeof(long)`, which is also `sizeof(time_t)` in both ABIs: the width of
        /// each of a `struct timeval`'s two fields.
        pub long: usize,
        /// `char ki_comm[COMMLEN + 1]`.
        pub comm: usize,
        /// `uid_t ki_ruid`: the real uid, which `RLIMIT_NPROC` counts against.
        pub ruid: usize,
        /// `vm_size_t ki_size` (a `long`-wide unsigned): the map's size in bytes.
        pub vsize: usize,
        /// `segsz_t ki_rssize` (a `long`-wide signed count of pages).
        pub rssize: usize,
        /// `segsz_t ki_dsize`: pages.
        pub dsize: usize,
        /// `segsz_t ki_ssize`: pages.
        pub ssize: usize,
        /// `u_int64_t ki_runtime`: microseconds.
        pub runtime: usize,
        /// `char ki_stat`: `SZOMB` for a zombie.
        pub stat: usize,
    }

    /// LP64: 8-byte pointers, `long`, `vm_size_t`, `segsz_t` and `time_t`.
    pub const LP64: Layout = Layout {
        size: 1088,
        pid: 72,
        pgid: 80,
        sid: 88,
        siglist: 104,
        sigmask: 120,
        sigignore: 136,
        sigcatch: 152,
        ngroups: 188,
        groups: 192,
        cr_flags: 588,
        start: 336,
        long: 8,
        comm: 447,
        ruid: 172,
        vsize: 256,
        rssize: 264,
        dsize: 288,
        ssize: 296,
        runtime: 328,
        stat: 388,
    };

    /// i386: 4-byte pointers, `long`, `vm_size_t`, `segsz_t` and `time_t`.
    pub const I386: Layout = Layout {
        size: 768,
        pid: 40,
        pgid: 48,
        sid: 56,
        siglist: 72,
        sigmask: 88,
        sigignore: 104,
        sigcatch: 120,
        ngroups: 156,
        groups: 160,
        cr_flags: 508,
        start: 280,
        long: 4,
        comm: 367,
        ruid: 140,
        vsize: 224,
        rssize: 228,
        dsize: 240,
        ssize: 244,
        runtime: 272,
        stat: 308,
    };

    /// The layout the kernel hands a process built for this target.
    #[cfg(target_arch = "x86")]
    pub const NATIVE: Layout = I386;
    /// The layout the kernel hands a process built for this target.
    #[cfg(not(target_arch = "x86"))]
    pub const NATIVE: Layout = LP64;

    /// `int ki_structsize`, first in every layout.
    pub const KI_STRUCTSIZE: usize = 0;
    /// `KI_NGROUPS`: `kinfo_proc` holds at most this many groups.
    pub const KI_NGROUPS: usize = 16;
    /// `KI_CRF_GRP_OVERFLOW`: the process has more groups than `ki_groups` holds.
    pub const KI_CRF_GRP_OVERFLOW: u32 = 0x8000_0000;
    /// `COMMLEN + 1`: the size of `ki_comm`.
    pub const KI_COMM_SIZE: usize = 20;
    /// `SZOMB` (`sys/sys/proc.h`): `ki_stat` of a zombie.
    pub const SZOMB: u8 = 5;
}

use layout::Layout;

/// `PID_MAX` (`sys/sys/proc.h`): the largest process id. Thread ids start just above
/// it, at `NO_PID` (`tid_alloc()` in `sys/kern/kern_thread.c`).
pub const PID_MAX: i32 = 99_999;

/// Whether `pid` can name a process.
///
/// `pget()` (`sys/kern/kern_proc.c`) looks an id above `PID_MAX` up as a thread
/// (`tdfind()`) unless its caller passes `PGET_NOTID`, which none of the
/// `KERN_PROC_PID`, `_GROUPS`, `_UMASK` and `_RLIMIT` handlers does, and then answers
/// for the thread's process: asked about a thread id, the kernel would read,
/// and set the limits of, another pid. `getpgid(2)` says ESRCH for the same id.
pub fn is_process_id(pid: i32) -> bool {
    (1..=PID_MAX).contains(&pid)
}

/// `CTL_KERN`, `KERN_PROC` and its sub-nodes, `KERN_BOOTTIME` (`sys/sys/sysctl.h`).
const CTL_KERN: i32 = 1;
const KERN_PROC: i32 = 14;
const KERN_PROC_PID: i32 = 1;
const KERN_PROC_PROC: i32 = 8;
const KERN_BOOTTIME: i32 = 21;
const KERN_PROC_GROUPS: i32 = 34;
const KERN_PROC_RLIMIT: i32 = 37;
const KERN_PROC_UMASK: i32 = 39;
const KERN_PROC_FILEDESC: i32 = 33;

/// `EBUSY` and `EINVAL` (`sys/sys/errno.h`).
const EBUSY: i32 = 16;
const EINVAL: i32 = 22;
/// `ENOMEM` (`sys/sys/errno.h`): the reply is larger than the buffer given.
pub const ENOMEM: i32 = 12;

/// FreeBSD's `RLIM_INFINITY` (`sys/resource.h`): `((rlim_t)(((uint64_t)1 << 63) - 1))`.
pub const RLIM_INFINITY: u64 = 0x7fff_ffff_ffff_ffff;

/// `kern.proc.pid.<pid>`: one `kinfo_proc`.
pub fn kinfo_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
}

/// `kern.proc.proc`: every process's `kinfo_proc`, one each (no threads), in one reply.
///
/// `sysctl_kern_proc` (`sys/kern/kern_proc.c`) takes no further name element for it
/// and walks the pid hash (`proc_iterate`), which holds zombies too (`exit1` in
/// `sys/kern/kern_exit.c` takes a process off `allproc` but leaves it in the hash until
/// `proc_reap`); it skips processes still being forked (`PRS_NEW`) and those the caller
/// may not see (`p_cansee`), and writes them in hash order, not by pid.
pub fn table_mib() -> [i32; 3] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PROC]
}

/// `kern.boottime`: a `struct timeval`.
pub fn boottime_mib() -> [i32; 2] {
    [CTL_KERN, KERN_BOOTTIME]
}

/// `kern.proc.groups.<pid>`: the full group list, `gid_t[]`.
pub fn groups_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_GROUPS, pid]
}

/// `kern.proc.umask.<pid>`: a `u_short`. Pid 0 would mean the caller itself.
pub fn umask_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_UMASK, pid]
}

/// `kern.proc.rlimit.<pid>.<resource>`: `struct rlimit`, read and written in one call.
pub fn rlimit_mib(pid: i32, resource_number: i32) -> [i32; 5] {
    [CTL_KERN, KERN_PROC, KERN_PROC_RLIMIT, pid, resource_number]
}

/// FreeBSD's `RLIMIT_*` number for `resource` (`sys/sys/resource.h`), whether or not
/// the running kernel has it (see [`known_resource_numbers`]).
pub fn resource_number(resource: Resource) -> Option<i32> {
    Some(match resource {
        Resource::Cpu => 0,
        Resource::Fsize => 1,
        Resource::Data => 2,
        Resource::Stack => 3,
        Resource::Core => 4,
        Resource::Rss => 5,
        Resource::Memlock => 6,
        Resource::Nproc => 7,
        Resource::Nofile => 8,
        Resource::Sbsize => 9,
        Resource::As => 10,
        Resource::Npts => 11,
        Resource::Swap => 12,
        Resource::Kqueues => 13,
        Resource::Umtxp => 14,
        Resource::Pipebuf => 15,
        Resource::Vmm => 16,
        _ => return None,
    })
}

/// The largest number [`resource_number`] gives.
const LAST_RESOURCE_NUMBER: i32 = 16;

/// Which `RLIMIT_*` numbers the running kernel has, as a bit mask (bit `n` for
/// number `n`), from the caller's own `getrlimit(2)` of each.
///
/// `sys_getrlimit` (`sys/kern/kern_resource.c`) refuses `which >= RLIM_NLIMITS` with
/// EINVAL and nothing else for the caller's own limits, so EINVAL means the kernel
/// lacks the resource: `RLIMIT_VMM` before FreeBSD 15, `RLIMIT_PIPEBUF` on older ones.
/// `KERN_PROC_RLIMIT` refuses the same numbers with EINVAL, so listing such a
/// resource among a process's limits would fail the whole list.
pub fn known_resource_numbers(mut getrlimit: impl FnMut(i32) -> io::Result<()>) -> u32 {
    (0..=LAST_RESOURCE_NUMBER)
        .filter(|&number| match getrlimit(number) {
            Err(e) => e.raw_os_error() != Some(EINVAL),
            Ok(()) => true,
        })
        .fold(0, |mask, number| mask | 1 << number)
}

/// [`resource_number`], for a kernel that has the numbers in `known`
/// ([`known_resource_numbers`]).
pub fn resource_number_in(resource: Resource, known: u32) -> Option<i32> {
    resource_number(resource).filter(|&number| known & 1 << number != 0)
}

/// How many times a call refused with EBUSY is made in all, and the pause between.
pub const BUSY_ATTEMPTS: u32 = 10;
/// See [`BUSY_ATTEMPTS`].
pub const BUSY_PAUSE: Duration = Duration::from_millis(5);

/// Makes `call`, and makes it again after `pause(BUSY_PAUSE)` while it fails with
/// EBUSY, [`BUSY_ATTEMPTS`] times in all; returns the last answer.
///
/// `p_candebug` (`sys/kern/kern_prot.c`), which `KERN_PROC_UMASK` and a
/// `KERN_PROC_RLIMIT` set go through, answers EBUSY while the target is in `execve`
/// (`P_INEXEC`): a passing state, not an answer about the process.
pub fn retry_while_busy<T>(
    mut call: impl FnMut() -> io::Result<T>,
    mut pause: impl FnMut(Duration),
) -> io::Result<T> {
    let mut attempt = 1;
    loop {
        match call() {
            Err(e) if e.raw_os_error() == Some(EBUSY) && attempt < BUSY_ATTEMPTS => {
                attempt += 1;
                pause(BUSY_PAUSE);
            }
            answer => return answer,
        }
    }
}

/// Whether a failed `KERN_PROC_RLIMIT` call was refused for its resource number:
/// `sysctl_kern_proc_rlimit` (`sys/kern/kern_proc.c`) answers EINVAL only for
/// `which >= RLIM_NLIMITS` or a new value of the wrong size, which psx never sends.
pub fn is_unknown_resource(err: &io::Error) -> bool {
    err.raw_os_error() == Some(EINVAL)
}

/// Why a reply could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than expected.
    Truncated {
        /// What was being decoded.
        what: &'static str,
        /// Bytes received.
        len: usize,
    },
    /// `ki_structsize` is not the size psx was built for: a kernel with another ABI.
    StructSize {
        /// The kernel's `ki_structsize`.
        got: i32,
        /// The layout's size.
        expected: usize,
    },
    /// `ki_ngroups` outside `0..=KI_NGROUPS`.
    BadGroupCount(i16),
    /// A `kinfo_file` whose `kf_structsize` cannot be its size.
    BadRecordSize(i32),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { what, len } => {
                write!(f, "{what} reply of {len} bytes is too short")
            }
            DecodeError::StructSize { got, expected } => write!(
                f,
                "kernel's kinfo_proc is {got} bytes, psx was built for {expected}: \
                 a different FreeBSD ABI"
            ),
            DecodeError::BadGroupCount(n) => write!(f, "kinfo_proc claims {n} groups"),
            DecodeError::BadRecordSize(n) => write!(f, "kinfo_file claims to be {n} bytes"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What psx takes from one `kinfo_proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `ki_pid`.
    pub pid: i32,
    /// `ki_pgid`.
    pub pgid: i32,
    /// `ki_sid`.
    pub sid: i32,
    /// `ki_comm`: the command name, `p_comm` (`fill_kinfo_proc_only` copies it when it
    /// is not empty).
    pub comm: String,
    /// `ki_start`: when the process was forked, as boot time plus the uptime then
    /// (`fill_kinfo_proc_only` adds `getboottime()` to `p_stats->p_start` on every
    /// read), so it moves when the clock is stepped. A zombie keeps it: `p_stats` is
    /// allocated with the `struct proc` (`proc_init`) and outlives `exit1`.
    pub start: StartTime,
    /// `ki_groups[..ki_ngroups]`, the effective gid first (`fill_kinfo_proc_only` in
    /// `sys/kern/kern_proc.c`, on every release), or `None` when
    /// `KI_CRF_GRP_OVERFLOW` says it is truncated (then `KERN_PROC_GROUPS` has the
    /// full list).
    pub groups: Option<Vec<u32>>,
    /// pending, blocked, ignored, caught (no separate process-wide pending on FreeBSD).
    pub sigmasks: SignalMasks,
    /// `ki_ruid`: the real uid (`cr_ruid`), which `RLIMIT_NPROC` counts against. A
    /// zombie keeps its credential until it is reaped (`proc_reap`), and its count
    /// against the limit with it.
    pub ruid: u32,
    /// The figures the resource limits are checked against.
    pub usage: KinfoUsage,
}

/// What `kinfo_proc` tells of a process's use of its limited resources, raw.
///
/// `fill_kinfo_proc_only` (`sys/kern/kern_proc.c`) fills the memory figures from the
/// process's `vmspace` only when the process is neither new nor a zombie: a zombie's
/// are left 0 (its `ki_stat` is `SZOMB`). `ki_runtime` is
/// `cputick2usec(p_rux.rux_runtime)` for every process, zombies included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KinfoUsage {
    /// `ki_size`: `vm_map.size`, bytes.
    pub vsize: u64,
    /// `ki_rssize`: pages.
    pub rss_pages: i64,
    /// `ki_dsize`: `vm_dsize`, pages.
    pub data_pages: i64,
    /// `ki_ssize`: `vm_ssize`, pages.
    pub stack_pages: i64,
    /// `ki_runtime`: microseconds.
    pub runtime_usec: u64,
    /// `ki_stat == SZOMB`.
    pub zombie: bool,
}

fn truncated(what: &'static str, buf: &[u8]) -> DecodeError {
    DecodeError::Truncated {
        what,
        len: buf.len(),
    }
}

fn sigset_at(buf: &[u8], at: usize) -> Option<SigSet> {
    let mut words = [0u32; 4];
    for (i, word) in words.iter_mut().enumerate() {
        *word = u32_at(buf, at.checked_add(4 * i)?)?;
    }
    Some(SigSet::from_words(&words))
}

/// A `struct timeval` at `at`: two `long`s in `layout` (`time_t` is as wide).
fn timeval_at(layout: &Layout, buf: &[u8], at: usize) -> Option<StartTime> {
    let usec_at = at.checked_add(layout.long)?;
    Some(match layout.long {
        8 => StartTime {
            sec: i64_at(buf, at)?,
            usec: i64_at(buf, usec_at)?,
        },
        _ => StartTime {
            sec: i64::from(i32_at(buf, at)?),
            usec: i64::from(i32_at(buf, usec_at)?),
        },
    })
}

/// Decodes one `kinfo_proc` in this target's layout ([`layout::NATIVE`]).
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    kinfo_as(&layout::NATIVE, buf)
}

/// Decodes one `kinfo_proc` in `layout`, checking `ki_structsize` first.
pub fn kinfo_as(layout: &Layout, buf: &[u8]) -> Result<Kinfo, DecodeError> {
    let short = || truncated("kinfo_proc", buf);
    let structsize = i32_at(buf, layout::KI_STRUCTSIZE).ok_or_else(short)?;
    if usize::try_from(structsize).ok() != Some(layout.size) {
        return Err(DecodeError::StructSize {
            got: structsize,
            expected: layout.size,
        });
    }
    let buf = buf.get(..layout.size).ok_or_else(short)?;
    let ngroups = u16_at(buf, layout.ngroups).ok_or_else(short)? as i16;
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= layout::KI_NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    let cr_flags = u32_at(buf, layout.cr_flags).ok_or_else(short)?;
    let groups = match cr_flags & layout::KI_CRF_GRP_OVERFLOW {
        0 => Some(
            (0..count)
                .map(|i| u32_at(buf, layout.groups + 4 * i))
                .collect::<Option<_>>()
                .ok_or_else(short)?,
        ),
        _ => None,
    };
    let sigset = |at| sigset_at(buf, at).ok_or_else(short);
    Ok(Kinfo {
        pid: i32_at(buf, layout.pid).ok_or_else(short)?,
        pgid: i32_at(buf, layout.pgid).ok_or_else(short)?,
        sid: i32_at(buf, layout.sid).ok_or_else(short)?,
        comm: c_string_at(buf, layout.comm, layout::KI_COMM_SIZE).ok_or_else(short)?,
        start: timeval_at(layout, buf, layout.start).ok_or_else(short)?,
        groups,
        sigmasks: SignalMasks {
            pending: Some(sigset(layout.siglist)?),
            blocked: Some(sigset(layout.sigmask)?),
            ignored: Some(sigset(layout.sigignore)?),
            caught: Some(sigset(layout.sigcatch)?),
            process_pending: None,
        },
        ruid: u32_at(buf, layout.ruid).ok_or_else(short)?,
        usage: KinfoUsage {
            vsize: ulong_at(layout, buf, layout.vsize).ok_or_else(short)?,
            rss_pages: long_at(layout, buf, layout.rssize).ok_or_else(short)?,
            data_pages: long_at(layout, buf, layout.dsize).ok_or_else(short)?,
            stack_pages: long_at(layout, buf, layout.ssize).ok_or_else(short)?,
            runtime_usec: u64_at(buf, layout.runtime).ok_or_else(short)?,
            zombie: buf.get(layout.stat).ok_or_else(short)? == &layout::SZOMB,
        },
    })
}

/// A signed `long`-wide field (`segsz_t`) at `at` in `layout`.
fn long_at(layout: &Layout, buf: &[u8], at: usize) -> Option<i64> {
    match layout.long {
        8 => i64_at(buf, at),
        _ => i32_at(buf, at).map(i64::from),
    }
}

/// An unsigned `long`-wide field (`vm_size_t`) at `at` in `layout`.
fn ulong_at(layout: &Layout, buf: &[u8], at: usize) -> Option<u64> {
    match layout.long {
        8 => u64_at(buf, at),
        _ => u32_at(buf, at).map(u64::from),
    }
}

/// Splits a `KERN_PROC_PROC` reply ([`table_mib`]) into its processes, in this target's
/// layout: ascending by pid, and only the ids that can name a process
/// ([`is_process_id`]; the table also holds the kernel's own process 0).
pub fn table(buf: &[u8]) -> Result<Vec<Kinfo>, DecodeError> {
    table_as(&layout::NATIVE, buf)
}

/// [`table`] in `layout`. Every record's `ki_structsize` is checked; a reply that is
/// not a whole number of records is [`DecodeError::Truncated`].
pub fn table_as(layout: &Layout, buf: &[u8]) -> Result<Vec<Kinfo>, DecodeError> {
    let mut records = Vec::with_capacity(buf.len() / layout.size);
    let mut rest = buf;
    while !rest.is_empty() {
        records.push(kinfo_as(layout, rest)?);
        rest = rest.get(layout.size..).unwrap_or_default();
    }
    records.retain(|k| is_process_id(k.pid));
    records.sort_unstable_by_key(|k| k.pid);
    Ok(records)
}

/// Decodes a `kern.boottime` reply in this target's layout: the boot time the kernel
/// now derives the wall clock from.
///
/// `sysctl_kern_boottime` (`sys/kern/kern_tc.c`) answers `getboottime()`, the timehands'
/// `th_boottime`, which `tc_setclock` moves to `new time - uptime` whenever the clock is
/// set or stepped (and `tc_windup` by a second at a leap second); to a 32-bit process on
/// amd64 it writes two `int`s, which is the i386 layout.
pub fn boottime(buf: &[u8]) -> Result<StartTime, DecodeError> {
    boottime_as(&layout::NATIVE, buf)
}

/// [`boottime`] in `layout`.
pub fn boottime_as(layout: &Layout, buf: &[u8]) -> Result<StartTime, DecodeError> {
    if buf.len() != 2 * layout.long {
        return Err(truncated("boottime", buf));
    }
    timeval_at(layout, buf, 0).ok_or_else(|| truncated("boottime", buf))
}

/// `start` (a `ki_start`) less `boottime`: the uptime at which the process was forked,
/// `p_stats->p_start` itself. `fill_kinfo_proc_only` computes `ki_start` as
/// `p_start + getboottime()` (`timevaladd`, normalised), so with the boot time that
/// read used this is exact, whatever the clock did since.
pub fn since_boot(start: StartTime, boottime: StartTime) -> StartTime {
    let micros = |t: StartTime| i128::from(t.sec) * 1_000_000 + i128::from(t.usec);
    let diff = micros(start) - micros(boottime);
    let sec = diff.div_euclid(1_000_000);
    StartTime {
        sec: i64::try_from(sec).unwrap_or(if sec < 0 { i64::MIN } else { i64::MAX }),
        usec: diff.rem_euclid(1_000_000) as i64,
    }
}

/// What a FreeBSD `Process` handle holds: its process's start time, in the two forms
/// [`StartPin::is`] and [`StartPin::is_since_boot`] compare.
///
/// A pid is reused only once its process has been reaped (`proc_reap` clears it from
/// the pid bitmap), and a newcomer forks later, so its `p_start` is later: a start
/// that is the same to the microsecond is the same process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StartPin {
    /// `ki_start` when the handle was made.
    pub start: StartTime,
    /// The same start counted from boot ([`since_boot`]).
    pub since_boot: StartTime,
}

impl StartPin {
    /// The pin of the process whose `ki_start` is `start`, read while the boot time was
    /// `boottime`.
    pub fn new(start: StartTime, boottime: StartTime) -> Self {
        StartPin {
            start,
            since_boot: since_boot(start, boottime),
        }
    }

    /// Whether a `kinfo_proc` whose `ki_start` is `start` is the pinned process's, read
    /// while the clock has not been stepped since the pin: the same to the microsecond.
    ///
    /// No tolerance: `ki_start` of one process is identical between reads until the
    /// clock is stepped, and a tolerance would let a newcomer that got the pid within
    /// it pass: nothing bounds how soon a short-lived process's pid comes round again
    /// (`fork_findpid` in `sys/kern/kern_fork.c` takes the next free one, at most
    /// `PID_MAX` forks later, a few seconds on a busy machine). A start that differs
    /// is settled by [`StartPin::is_since_boot`] instead.
    pub fn is(&self, start: StartTime) -> bool {
        self.start.matches(start, 0)
    }

    /// Whether a `kinfo_proc` whose `ki_start` is `start`, read while the boot time was
    /// `boottime`, is the pinned process's: the same start counted from boot, which a
    /// clock step does not move.
    pub fn is_since_boot(&self, start: StartTime, boottime: StartTime) -> bool {
        self.since_boot == since_boot(start, boottime)
    }
}

/// The `KERN_PROC_PID` reply to a question about `pid`: `None` when it names no such
/// process, either because it is empty or because it describes another pid (the
/// process of a thread id, which `pget()` resolves; see [`is_process_id`]).
pub fn kinfo_for(pid: i32, reply: &[u8]) -> Result<Option<Kinfo>, DecodeError> {
    if reply.is_empty() {
        return Ok(None);
    }
    Ok(Some(kinfo(reply)?).filter(|k| k.pid == pid))
}

/// Decodes a `KERN_PROC_GROUPS` reply: `gid_t[]`, as many as fit in `buf` (a trailing
/// partial `gid_t` is ignored).
///
/// `sysctl_kern_proc_groups` (`sys/kern/kern_proc.c`) writes the effective gid first
/// on every release (from FreeBSD 15 `cr_gid` ahead of `cr_groups`, before that
/// `cr_groups`, whose first entry it was), then the supplementary groups: a reply
/// without one whole `gid_t` did not come from it.
pub fn groups(buf: &[u8]) -> Result<Vec<u32>, DecodeError> {
    if buf.len() < 4 {
        return Err(truncated("groups", buf));
    }
    Ok(buf.chunks_exact(4).filter_map(|c| u32_at(c, 0)).collect())
}

/// Decodes a `KERN_PROC_UMASK` reply: one `u_short`.
pub fn umask(buf: &[u8]) -> Result<u32, DecodeError> {
    match (buf.len(), u16_at(buf, 0)) {
        (2, Some(mask)) => Ok(u32::from(mask)),
        _ => Err(truncated("umask", buf)),
    }
}

/// `sizeof(struct rlimit)` (`sys/resource.h`: two `rlim_t`, i.e. `int64_t`, `rlim_cur`
/// then `rlim_max`; the same on i386).
pub const RLIMIT_SIZE: usize = 16;

/// Decodes a `KERN_PROC_RLIMIT` reply: `struct rlimit { rlim_t rlim_cur, rlim_max; }`.
///
/// `rlim_t` is signed on FreeBSD and the kernel treats a negative limit as infinity;
/// read as unsigned, such a value is above `RLIM_INFINITY` and so also unlimited.
pub fn rlimit(buf: &[u8]) -> Result<RLimit, DecodeError> {
    match (buf.len(), u64_at(buf, 0), u64_at(buf, 8)) {
        (RLIMIT_SIZE, Some(soft), Some(hard)) => Ok(RLimit::from_raw(soft, hard, RLIM_INFINITY)),
        _ => Err(truncated("rlimit", buf)),
    }
}

/// Encodes a `struct rlimit` for `KERN_PROC_RLIMIT` (a value at or above
/// `RLIM_INFINITY` becomes `RLIM_INFINITY`, never a negative `rlim_t`).
pub fn encode_rlimit(limit: RLimit) -> [u8; RLIMIT_SIZE] {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = raw(limit.soft).to_ne_bytes();
    let [h0, h1, h2, h3, h4, h5, h6, h7] = raw(limit.hard).to_ne_bytes();
    [
        s0, s1, s2, s3, s4, s5, s6, s7, h0, h1, h2, h3, h4, h5, h6, h7,
    ]
}

fn raw(limit: Limit) -> u64 {
    limit.to_raw(RLIM_INFINITY)
}

/// The resources whose use `kinfo_proc` tells ([`kinfo_usage`]). FreeBSD has no
/// `RLIMIT_NICE` nor `RLIMIT_RTPRIO`, keeps no per-process pending-signal count
/// against a limit, and checks `RLIMIT_MEMLOCK` against the pmap's wired page count
/// (`kern_mlock` in `sys/vm/vm_mmap.c`: `ptoa(pmap_wired_count(map->pmap))`), which no
/// `kern.proc` sysctl exports: those are left out.
pub const KINFO_MEASURES: &[Resource] = &[
    Resource::As,
    Resource::Data,
    Resource::Stack,
    Resource::Rss,
    Resource::Cpu,
];

/// Why [`kinfo_usage`] has no figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoUsage {
    /// A zombie: `kinfo_proc` leaves its memory figures 0.
    Zombie,
    /// Not among [`KINFO_MEASURES`].
    Unsupported,
}

/// `resource`'s use from a `kinfo_proc`, in the units of its limit, with the kernel's
/// page size `page_size` (`getpagesize()`: `PAGE_SIZE`, the unit of `segsz_t` counts).
///
/// Each is the figure the kernel checks the limit against:
/// - `as`: `ki_size`, `vm_map.size` in bytes, which `vm_mmap_object` and `kern_break`
///   (`sys/vm/vm_mmap.c`, `sys/vm/vm_unix.c`) compare with `RLIMIT_VMEM`;
/// - `data`: `ki_dsize` pages, `vm_dsize`, the break's size (`kern_break` checks
///   `new - base > datalim` with `old = base + ctob(vm_dsize)`);
/// - `stack`: `ki_ssize` pages, `vm_ssize` (`vm_map_growstack` in `sys/vm/vm_map.c`
///   compares `ctob(vm_ssize) + grow` with `RLIMIT_STACK`);
/// - `rss`: `ki_rssize` pages, `vmspace_resident_count` plus each thread's kernel
///   stack pages; `vm_daemon` (`sys/vm/vm_pageout.c`) compares the pmap's resident
///   count alone with `RLIMIT_RSS`, so this is above it by those few pages;
/// - `cpu`: `ki_runtime` microseconds (user, system and interrupt time), whole
///   seconds: `lim_cb` (`sys/kern/kern_resource.c`) sends `SIGXCPU` once
///   `p_rux.rux_runtime` passes the limit in seconds, and `ki_runtime` is that
///   count in microseconds.
///
/// A zombie's CPU time is still there; its memory figures are not ([`NoUsage::Zombie`]).
pub fn kinfo_usage(usage: &KinfoUsage, resource: Resource, page_size: u64) -> Result<u64, NoUsage> {
    let bytes = |pages: i64| u64::try_from(pages).unwrap_or(0).saturating_mul(page_size);
    let memory = |figure: u64| {
        if usage.zombie {
            Err(NoUsage::Zombie)
        } else {
            Ok(figure)
        }
    };
    match resource {
        Resource::Cpu => Ok(usage.runtime_usec / 1_000_000),
        Resource::As => memory(usage.vsize),
        Resource::Data => memory(bytes(usage.data_pages)),
        Resource::Stack => memory(bytes(usage.stack_pages)),
        Resource::Rss => memory(bytes(usage.rss_pages)),
        _ => Err(NoUsage::Unsupported),
    }
}

/// `kern.proc.filedesc.<pid>`: the process's descriptors as packed `kinfo_file`s.
pub fn filedesc_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_FILEDESC, pid]
}

/// `KINFO_FILE_SIZE` (`sys/sys/user.h`): the largest record `KERN_PROC_FILEDESC`
/// writes (a packed one is shorter: its `kf_path` cut after the NUL, rounded up to 8).
pub const KINFO_FILE_SIZE: usize = 1392;

/// Whether a `KERN_PROC_FILEDESC` reply of `reply_len` bytes into a buffer of
/// `buffer_len` is the whole list.
///
/// `export_kinfo_to_sb` (`sys/kern/kern_descrip.c`) stops at the first record that
/// does not fit in what is left of the caller's buffer: FreeBSD 13 and later say
/// ENOMEM, older kernels return what fitted without an error. Room for one more
/// record of the largest size left unused means nothing was cut.
pub fn filedesc_reply_is_whole(buffer_len: usize, reply_len: usize) -> bool {
    buffer_len.saturating_sub(reply_len) >= KINFO_FILE_SIZE
}

/// `int kf_structsize` and `int kf_fd` in `struct kinfo_file` (`sys/sys/user.h`).
const KF_STRUCTSIZE: usize = 0;
const KF_FD: usize = 8;

/// Counts the descriptors in a `KERN_PROC_FILEDESC` reply: how many, and the highest
/// number. Walks the records in place, allocating nothing.
///
/// `kern_proc_filedesc_out` (`sys/kern/kern_descrip.c`) writes first the process's
/// vnodes that are not descriptors, with negative `kf_fd`s (`KF_FD_TYPE_TRACE`,
/// `_TEXT`, `_CTTY`, `_CWD`, `_ROOT`, `_JAIL`), then one record per open descriptor
/// (`FILEDESC_FOREACH_FP`), each led by its own `kf_structsize`.
pub fn open_files(buf: &[u8]) -> Result<OpenFiles, DecodeError> {
    let mut files = OpenFiles::default();
    let mut at = 0;
    while at < buf.len() {
        let rest = &buf[at..];
        let size = i32_at(rest, KF_STRUCTSIZE).ok_or_else(|| truncated("kinfo_file", rest))?;
        let fd = i32_at(rest, KF_FD).ok_or_else(|| truncated("kinfo_file", rest))?;
        // A record holds at least its own size, type and fd, and lies within the reply.
        let size = usize::try_from(size)
            .ok()
            .filter(|&n| n >= KF_FD + 4 && n <= rest.len())
            .ok_or(DecodeError::BadRecordSize(size))?;
        if let Ok(fd) = u64::try_from(fd) {
            files.count += 1;
            files.highest = files.highest.max(Some(fd));
        }
        at += size;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        amd64_kinfo, expected, i386_kinfo, kinfo_file, native_kinfo, proc_501, Proc,
    };
    use proptest::prelude::*;

    #[test]
    fn amd64_layout_is_the_headers() {
        let k = kinfo_as(&layout::LP64, &amd64_kinfo(&proc_501())).unwrap();
        assert_eq!(k, expected(&proc_501()));
        assert_eq!(k.comm, "sshd");
        assert_eq!(
            k.start,
            StartTime {
                sec: 1_700_000_000,
                usec: 250_000
            }
        );
        let m = k.sigmasks;
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![65]);
    }

    #[test]
    fn i386_layout_is_the_headers() {
        let k = kinfo_as(&layout::I386, &i386_kinfo(&proc_501())).unwrap();
        assert_eq!(k, expected(&proc_501()));
    }

    /// A `KERN_PROC_PROC` reply: records one after the other in hash order, the
    /// kernel's process 0 among them.
    fn kern_proc_proc(build: fn(&Proc) -> Vec<u8>, pids: &[i32]) -> Vec<u8> {
        pids.iter()
            .flat_map(|&pid| {
                build(&Proc {
                    pid,
                    comm: format!("p{pid}"),
                    start: (1_700_000_000 + pid, pid),
                    ..proc_501()
                })
            })
            .collect()
    }

    #[test]
    fn the_whole_table_is_split_sorted_and_checked() {
        for (layout, build) in [
            (layout::LP64, amd64_kinfo as fn(&Proc) -> Vec<u8>),
            (layout::I386, i386_kinfo),
        ] {
            let reply = kern_proc_proc(build, &[700, 0, 3, 501, 99_999]);
            assert_eq!(reply.len(), 5 * layout.size);
            let records = table_as(&layout, &reply).unwrap();
            let got: Vec<_> = records
                .iter()
                .map(|k| (k.pid, k.comm.as_str(), k.start.sec - 1_700_000_000))
                .collect();
            assert_eq!(
                got,
                [
                    (3, "p3", 3),
                    (501, "p501", 501),
                    (700, "p700", 700),
                    (99_999, "p99999", 99_999)
                ]
            );
            assert_eq!(table_as(&layout, &[]), Ok(vec![]));
            // A torn last record is not a process.
            assert_eq!(
                table_as(&layout, &reply[..reply.len() - 1]),
                Err(DecodeError::Truncated {
                    what: "kinfo_proc",
                    len: layout.size - 1
                })
            );
        }
        // Every record's ki_structsize is checked, not only the first's.
        let mut mixed = kern_proc_proc(amd64_kinfo, &[1, 2]);
        mixed.extend(kern_proc_proc(i386_kinfo, &[3]));
        assert_eq!(
            table_as(&layout::LP64, &mixed),
            Err(DecodeError::StructSize {
                got: 768,
                expected: 1088
            })
        );
        let native = kern_proc_proc(native_kinfo, &[9, 8]);
        assert_eq!(
            table(&native).unwrap()[0],
            table_as(&layout::NATIVE, &native).unwrap()[0]
        );
    }

    #[test]
    fn boottime_in_both_layouts() {
        // LP64: struct timeval { time_t tv_sec; long tv_usec; }, 8 bytes each.
        let mut lp64 = 1_700_000_000i64.to_ne_bytes().to_vec();
        lp64.extend(123_456i64.to_ne_bytes());
        let want = StartTime {
            sec: 1_700_000_000,
            usec: 123_456,
        };
        assert_eq!(boottime_as(&layout::LP64, &lp64), Ok(want));
        // i386, and a 32-bit process on amd64 (`int tv[2]`): 4 bytes each.
        let mut i386 = 1_700_000_000i32.to_ne_bytes().to_vec();
        i386.extend(123_456i32.to_ne_bytes());
        assert_eq!(boottime_as(&layout::I386, &i386), Ok(want));
        assert!(boottime_as(&layout::LP64, &i386).is_err());
        assert!(boottime_as(&layout::I386, &lp64).is_err());
        assert!(boottime(&[]).is_err());
    }

    #[test]
    fn a_pin_survives_a_clock_step_and_refuses_a_newcomer() {
        let t = |sec, usec| StartTime { sec, usec };
        // fill_kinfo_proc_only: ki_start = p_start + boottime, usec carried.
        let boot = t(1_700_000_000, 900_000);
        let p_start = t(12, 300_000);
        let ki_start = t(1_700_000_013, 200_000);
        assert_eq!(since_boot(ki_start, boot), p_start);
        let pin = StartPin::new(ki_start, boot);
        assert_eq!(pin.since_boot, p_start);
        assert!(pin.is(ki_start));
        // The clock is stepped back by an hour and a half second: tc_setclock moves
        // the boot time, and every ki_start with it.
        let stepped = t(1_699_996_400, 400_000);
        let ki_start_now = t(1_699_996_412, 700_000);
        assert_eq!(since_boot(ki_start_now, stepped), p_start);
        assert!(!pin.is(ki_start_now));
        assert!(pin.is_since_boot(ki_start_now, stepped));
        // A newcomer that reused the pid forked later, if only by a microsecond.
        assert!(!pin.is(t(1_700_000_013, 200_001)));
        assert!(!pin.is_since_boot(t(1_700_000_013, 200_001), boot));
        assert!(!pin.is_since_boot(t(1_699_996_412, 700_001), stepped));
        // Far apart, and negative, without overflow.
        assert_eq!(since_boot(t(0, 0), t(1, 1)), t(-2, 999_999));
        assert_eq!(since_boot(t(i64::MAX, 0), t(i64::MIN, 0)).sec, i64::MAX);
    }

    #[test]
    fn usage_figures_come_from_either_layout_in_bytes() {
        let p = proc_501();
        for k in [
            kinfo_as(&layout::LP64, &amd64_kinfo(&p)).unwrap(),
            kinfo_as(&layout::I386, &i386_kinfo(&p)).unwrap(),
        ] {
            assert_eq!(k.ruid, 1001);
            let used = |r, page| kinfo_usage(&k.usage, r, page);
            // ki_size is bytes already; the segsz_t counts are pages.
            assert_eq!(used(Resource::As, 4096), Ok(100_663_296));
            assert_eq!(used(Resource::Rss, 4096), Ok(1500 * 4096));
            assert_eq!(used(Resource::Data, 4096), Ok(300 * 4096));
            assert_eq!(used(Resource::Stack, 4096), Ok(8 * 4096));
            assert_eq!(used(Resource::Rss, 16384), Ok(1500 * 16384));
            assert_eq!(used(Resource::As, 16384), Ok(100_663_296));
            // 2.75 s of ki_runtime: 2 whole seconds.
            assert_eq!(used(Resource::Cpu, 4096), Ok(2));
            for r in [
                Resource::Memlock,
                Resource::Nice,
                Resource::Rtprio,
                Resource::Sigpending,
            ] {
                assert_eq!(used(r, 4096), Err(NoUsage::Unsupported), "{r}");
            }
        }
        // vm_size_t is unsigned: an i386 map of nearly 4 GiB is not negative.
        let big = Proc {
            vsize: 0xffff_f000,
            ..proc_501()
        };
        let k = kinfo_as(&layout::I386, &i386_kinfo(&big)).unwrap();
        assert_eq!(kinfo_usage(&k.usage, Resource::As, 4096), Ok(0xffff_f000));
    }

    #[test]
    fn a_zombie_has_cpu_time_but_no_memory_figures() {
        // fill_kinfo_proc_only: a zombie's vmspace figures are left 0, ki_stat SZOMB.
        let zombie = Proc {
            stat: 5,
            vsize: 0,
            pages: [0; 3],
            ..proc_501()
        };
        for k in [
            kinfo_as(&layout::LP64, &amd64_kinfo(&zombie)).unwrap(),
            kinfo_as(&layout::I386, &i386_kinfo(&zombie)).unwrap(),
        ] {
            assert!(k.usage.zombie);
            for r in [Resource::As, Resource::Rss, Resource::Data, Resource::Stack] {
                assert_eq!(kinfo_usage(&k.usage, r, 4096), Err(NoUsage::Zombie), "{r}");
            }
            assert_eq!(kinfo_usage(&k.usage, Resource::Cpu, 4096), Ok(2));
        }
        assert!(KINFO_MEASURES
            .iter()
            .all(|&r| kinfo_usage(&KinfoUsage::default(), r, 4096).is_ok()));
    }

    /// What `kern_proc_filedesc_out` writes for a process with a text vnode, a cwd and
    /// a root, and descriptors 0, 1, 2 and 7: packed records of several sizes.
    fn filedesc_reply() -> Vec<u8> {
        [
            (-5, 400),
            (-1, 392),
            (-2, 368),
            (0, 384),
            (1, 384),
            (2, 376),
            (7, 424),
        ]
        .iter()
        .flat_map(|&(fd, size)| kinfo_file(fd, size))
        .collect()
    }

    #[test]
    fn descriptors_are_counted_past_the_vnodes() {
        let reply = filedesc_reply();
        assert_eq!(
            open_files(&reply),
            Ok(OpenFiles {
                count: 4,
                highest: Some(7)
            })
        );
        // No descriptors at all (a kernel process), or none but the vnodes.
        assert_eq!(open_files(&[]), Ok(OpenFiles::default()));
        assert_eq!(
            open_files(&reply[..400 + 392 + 368]),
            Ok(OpenFiles::default())
        );
        // A reply cut inside a record, or a record claiming a size it cannot have.
        assert!(matches!(
            open_files(&reply[..reply.len() - 8]),
            Err(DecodeError::BadRecordSize(424))
        ));
        assert!(matches!(
            open_files(&reply[..reply.len() - 420]),
            Err(DecodeError::Truncated { .. })
        ));
        for size in [0i32, 8, -1] {
            let mut bad = kinfo_file(3, 64);
            bad[..4].copy_from_slice(&size.to_ne_bytes());
            assert_eq!(open_files(&bad), Err(DecodeError::BadRecordSize(size)));
        }
    }

    #[test]
    fn a_filedesc_reply_is_whole_only_with_room_to_spare() {
        // export_kinfo_to_sb stops at the first record that does not fit: with less
        // than the largest record left over, one may have been dropped.
        assert!(filedesc_reply_is_whole(10_000, 10_000 - 1392));
        assert!(!filedesc_reply_is_whole(10_000, 10_000 - 1391));
        assert!(!filedesc_reply_is_whole(10_000, 10_000));
        assert!(filedesc_reply_is_whole(1392, 0));
        assert_eq!(filedesc_mib(7), [1, 14, 33, 7]);
    }

    #[test]
    fn one_abis_struct_is_not_read_as_the_others() {
        let err = kinfo_as(&layout::LP64, &i386_kinfo(&proc_501())).unwrap_err();
        assert_eq!(
            err,
            DecodeError::StructSize {
                got: 768,
                expected: 1088
            }
        );
        let err = kinfo_as(&layout::I386, &amd64_kinfo(&proc_501())).unwrap_err();
        assert_eq!(
            err,
            DecodeError::StructSize {
                got: 1088,
                expected: 768
            }
        );
    }

    #[test]
    fn the_native_layout_is_the_targets() {
        let size = if cfg!(target_arch = "x86") { 768 } else { 1088 };
        assert_eq!(layout::NATIVE.size, size);
        assert_eq!(kinfo(&native_kinfo(&proc_501())), Ok(expected(&proc_501())));
    }

    /// What `pget()` (`sys/kern/kern_proc.c`) resolves an id to, on a system with
    /// process 501 whose second thread is 100123: a pid up to `PID_MAX` names itself,
    /// a larger id is looked up as a thread (`tdfind()`) and answers for its process.
    fn pget(id: i32) -> Option<i32> {
        if id <= 99_999 {
            (id == 501).then_some(id)
        } else {
            (id == 100_123).then_some(501)
        }
    }

    /// The `KERN_PROC_PID` handler (`sysctl_kern_proc`): the `kinfo_proc` of what
    /// `pget()` found, ESRCH (here: no bytes) otherwise.
    fn kern_proc_pid(id: i32) -> Vec<u8> {
        pget(id).map_or_else(Vec::new, |pid| native_kinfo(&Proc { pid, ..proc_501() }))
    }

    #[test]
    fn a_thread_id_names_no_process() {
        assert_eq!(
            kinfo_for(501, &kern_proc_pid(501)),
            Ok(Some(expected(&proc_501())))
        );
        // The kernel answers thread 100123 with process 501's kinfo_proc.
        assert!(!kern_proc_pid(100_123).is_empty());
        assert_eq!(kinfo_for(100_123, &kern_proc_pid(100_123)), Ok(None));
        assert_eq!(kinfo_for(502, &kern_proc_pid(502)), Ok(None));
        // And psx does not ask: above PID_MAX no id is a process.
        assert!(is_process_id(1) && is_process_id(99_999));
        for id in [100_000, 100_123, i32::MAX, 0, -1, i32::MIN] {
            assert!(!is_process_id(id), "{id}");
        }
    }

    #[test]
    fn zero_sixteen_and_overflowing_groups() {
        let with = |groups: Vec<u32>, ngroups: i16, cr_flags: u32| Proc {
            groups,
            ngroups,
            cr_flags,
            ..proc_501()
        };
        for (layout, build) in [
            (layout::LP64, amd64_kinfo as fn(&Proc) -> Vec<u8>),
            (layout::I386, i386_kinfo),
        ] {
            let decode = |p: &Proc| kinfo_as(&layout, &build(p)).map(|k| k.groups);
            assert_eq!(decode(&with(vec![], 0, 0)), Ok(Some(vec![])));
            let sixteen: Vec<u32> = (10..26).collect();
            assert_eq!(
                decode(&with(sixteen.clone(), 16, 0)),
                Ok(Some(sixteen.clone()))
            );
            // fill_kinfo_proc_only: more groups than KI_NGROUPS sets the flag.
            assert_eq!(decode(&with(sixteen.clone(), 16, 0x8000_0000)), Ok(None));
            assert_eq!(
                decode(&with(vec![], 99, 0)),
                Err(DecodeError::BadGroupCount(99))
            );
        }
    }

    #[test]
    fn structsize_and_length_are_checked() {
        let mut other_abi = amd64_kinfo(&proc_501());
        other_abi[..4].copy_from_slice(&1096i32.to_ne_bytes());
        assert_eq!(
            kinfo_as(&layout::LP64, &other_abi),
            Err(DecodeError::StructSize {
                got: 1096,
                expected: 1088
            })
        );
        let buf = amd64_kinfo(&proc_501());
        for len in [0, 3] {
            assert!(matches!(
                kinfo_as(&layout::LP64, &buf[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        assert_eq!(
            kinfo_as(&layout::LP64, &buf[..100]),
            Err(DecodeError::Truncated {
                what: "kinfo_proc",
                len: 100
            })
        );
    }

    #[test]
    fn a_larger_kernel_struct_is_named_in_the_error() {
        // What read_kinfo hands over when a newer kernel's kinfo_proc is bigger than
        // the struct psx knows: the kernel's bytes, led by its own ki_structsize.
        let mut newer = vec![0u8; 2 * layout::NATIVE.size];
        newer[..4].copy_from_slice(&1152i32.to_ne_bytes());
        let err = kinfo(&newer).unwrap_err();
        assert!(matches!(err, DecodeError::StructSize { got: 1152, .. }));
        assert!(err.to_string().contains("1152"), "{err}");
        let own = layout::NATIVE.size.to_string();
        assert!(err.to_string().contains(&own), "{err}");
    }

    /// `sysctl_kern_proc_groups` (`sys/kern/kern_proc.c`, FreeBSD 15): `cr_gid`, then
    /// `cr_groups[..cr_ngroups]`, which since 15 holds only the supplementary groups.
    /// Up to 14 the handler wrote `cr_groups` alone, whose first entry was the
    /// effective gid: the same bytes.
    fn kern_proc_groups(egid: u32, supplementary: &[u32]) -> Vec<u8> {
        std::iter::once(egid)
            .chain(supplementary.iter().copied())
            .flat_map(u32::to_ne_bytes)
            .collect()
    }

    #[test]
    fn group_lists_start_with_the_effective_gid() {
        // No supplementary groups is still one gid, never an empty reply.
        assert_eq!(groups(&kern_proc_groups(20, &[])), Ok(vec![20]));
        let many: Vec<u32> = (1000..1040).collect();
        let mut bytes = kern_proc_groups(20, &many);
        let mut want = vec![20];
        want.extend(&many);
        assert_eq!(groups(&bytes), Ok(want.clone()));
        // A torn trailing gid_t is dropped, not misread.
        bytes.extend_from_slice(&[1, 2]);
        assert_eq!(groups(&bytes), Ok(want));
        // Less than one gid is no reply of this handler.
        for len in [0, 3] {
            assert_eq!(
                groups(&bytes[..len]),
                Err(DecodeError::Truncated {
                    what: "groups",
                    len
                })
            );
        }
    }

    #[test]
    fn small_replies() {
        assert_eq!(umask(&0o022u16.to_ne_bytes()), Ok(0o022));
        assert!(umask(&[1]).is_err());
        let pair = RLimit::new(Limit::Value(1024), Limit::Unlimited);
        let bytes = encode_rlimit(pair);
        assert_eq!(&bytes[8..], &RLIM_INFINITY.to_ne_bytes());
        assert_eq!(rlimit(&bytes), Ok(pair));
        assert!(rlimit(&bytes[..15]).is_err());
    }

    #[test]
    fn negative_rlim_t_is_unlimited() {
        // rlim_t is int64_t: the kernel stores -1 (or any negative) as infinity.
        let mut bytes = [0u8; RLIMIT_SIZE];
        bytes[..8].copy_from_slice(&(-1i64).to_ne_bytes());
        bytes[8..].copy_from_slice(&4096i64.to_ne_bytes());
        assert_eq!(
            rlimit(&bytes),
            Ok(RLimit::new(Limit::Unlimited, Limit::Value(4096)))
        );
        // A value psx is asked to set at or above infinity is sent as RLIM_INFINITY.
        let huge = encode_rlimit(RLimit::new(Limit::Value(u64::MAX), Limit::Unlimited));
        assert_eq!(&huge[..8], &RLIM_INFINITY.to_ne_bytes());
    }

    #[test]
    fn mibs_and_resources() {
        assert_eq!(kinfo_mib(7), [1, 14, 1, 7]);
        assert_eq!(table_mib(), [1, 14, 8]);
        assert_eq!(boottime_mib(), [1, 21]);
        assert_eq!(umask_mib(7), [1, 14, 39, 7]);
        assert_eq!(groups_mib(7), [1, 14, 34, 7]);
        assert_eq!(rlimit_mib(7, 8), [1, 14, 37, 7, 8]);
        assert_eq!(resource_number(Resource::Umtxp), Some(14));
        assert_eq!(resource_number(Resource::Pipebuf), Some(15));
        // RLIMIT_VMM, sys/sys/resource.h (FreeBSD 15).
        assert_eq!(resource_number(Resource::Vmm), Some(16));
        assert_eq!(resource_number(Resource::Rttime), None);
        assert!(Resource::ALL
            .iter()
            .filter_map(|&r| resource_number(r))
            .all(|n| n <= LAST_RESOURCE_NUMBER));
    }

    /// `sys_getrlimit` (`sys/kern/kern_resource.c`) on a kernel with `nlimits`
    /// resources (`RLIM_NLIMITS`: 16 on FreeBSD 14, 17 on 15): EINVAL past the end.
    fn sys_getrlimit(nlimits: i32) -> impl FnMut(i32) -> io::Result<()> {
        move |which| {
            if which >= nlimits {
                Err(io::Error::from_raw_os_error(22))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn resources_the_running_kernel_lacks_are_left_out() {
        let freebsd14 = known_resource_numbers(sys_getrlimit(16));
        assert_eq!(resource_number_in(Resource::Pipebuf, freebsd14), Some(15));
        assert_eq!(resource_number_in(Resource::Vmm, freebsd14), None);
        let freebsd15 = known_resource_numbers(sys_getrlimit(17));
        assert_eq!(resource_number_in(Resource::Vmm, freebsd15), Some(16));
        let before_pipebuf = known_resource_numbers(sys_getrlimit(15));
        assert_eq!(resource_number_in(Resource::Pipebuf, before_pipebuf), None);
        assert_eq!(
            resource_number_in(Resource::Umtxp, before_pipebuf),
            Some(14)
        );
        // Only EINVAL says "no such resource"; another failure leaves it to the call.
        let odd = known_resource_numbers(|_| Err(io::Error::from_raw_os_error(14)));
        assert_eq!(resource_number_in(Resource::Vmm, odd), Some(16));
        assert_eq!(resource_number_in(Resource::Rttime, u32::MAX), None);
        assert!(is_unknown_resource(&io::Error::from_raw_os_error(22)));
        assert!(!is_unknown_resource(&io::Error::from_raw_os_error(1)));
    }

    /// A target in `execve` for its first `busy` checks: `p_candebug`
    /// (`sys/kern/kern_prot.c`) answers EBUSY while `P_INEXEC` is set, then the
    /// handler answers (here: umask 022).
    fn execing(busy: u32) -> impl FnMut() -> io::Result<u32> {
        let mut checks = 0;
        move || {
            checks += 1;
            if checks <= busy {
                Err(io::Error::from_raw_os_error(16))
            } else {
                Ok(0o022)
            }
        }
    }

    #[test]
    fn a_target_in_exec_is_asked_again() {
        let mut pauses = Vec::new();
        let answer = retry_while_busy(execing(3), |d| pauses.push(d));
        assert_eq!(answer.unwrap(), 0o022);
        assert_eq!(pauses, vec![BUSY_PAUSE; 3]);
        // Still busy after the last attempt: that EBUSY is the answer.
        let mut pauses = 0;
        let err = retry_while_busy(execing(u32::MAX), |_| pauses += 1).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(16));
        assert_eq!(pauses, BUSY_ATTEMPTS - 1);
        // Any other answer is final at once.
        let mut calls = 0;
        let err = retry_while_busy(
            || -> io::Result<()> {
                calls += 1;
                Err(io::Error::from_raw_os_error(1))
            },
            |_| unreachable!("EPERM is not retried"),
        )
        .unwrap_err();
        assert_eq!((err.raw_os_error(), calls), (Some(1), 1));
    }

    fn arbitrary_proc() -> impl Strategy<Value = Proc> {
        (
            proptest::collection::vec(any::<u32>(), 0..=16),
            any::<[[u32; 4]; 4]>(),
            any::<bool>(),
            any::<[i32; 3]>(),
            "[a-z0-9-]{0,19}",
            any::<(i32, i32)>(),
            (
                any::<u32>(),
                any::<u32>(),
                any::<[i32; 3]>(),
                any::<u64>(),
                0u8..8,
            ),
        )
            .prop_map(
                |(
                    groups,
                    masks,
                    overflow,
                    [pid, pgid, sid],
                    comm,
                    start,
                    (ruid, vsize, pages, runtime, stat),
                )| Proc {
                    pid,
                    pgid,
                    sid,
                    ngroups: groups.len() as i16,
                    groups,
                    cr_flags: if overflow { 0x8000_0000 } else { 0 },
                    masks,
                    comm,
                    start,
                    ruid,
                    vsize,
                    pages,
                    runtime,
                    stat,
                },
            )
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let _ = kinfo_as(&layout::LP64, &bytes);
            let _ = kinfo_as(&layout::I386, &bytes);
            let _ = kinfo_for(1, &bytes);
            let _ = table_as(&layout::LP64, &bytes);
            let _ = table_as(&layout::I386, &bytes);
            let _ = boottime_as(&layout::LP64, &bytes);
            let _ = boottime_as(&layout::I386, &bytes);
            let _ = groups(&bytes);
            let _ = umask(&bytes);
            let _ = rlimit(&bytes);
            let _ = open_files(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn kinfo_round_trips(p in arbitrary_proc()) {
            prop_assert_eq!(kinfo_as(&layout::LP64, &amd64_kinfo(&p)), Ok(expected(&p)));
            prop_assert_eq!(kinfo_as(&layout::I386, &i386_kinfo(&p)), Ok(expected(&p)));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn group_lists_round_trip(
            egid in any::<u32>(),
            gids in proptest::collection::vec(any::<u32>(), 0..200),
        ) {
            let mut want = vec![egid];
            want.extend(&gids);
            prop_assert_eq!(groups(&kern_proc_groups(egid, &gids)), Ok(want));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn rlimits_round_trip(soft in any::<u64>(), hard in any::<u64>()) {
            let pair = RLimit::from_raw(soft, hard, RLIM_INFINITY);
            prop_assert_eq!(rlimit(&encode_rlimit(pair)).unwrap(), pair);
        }
    }
}
