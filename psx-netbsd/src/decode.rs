//! Pure decoding for NetBSD, tested on every host: `struct kinfo_proc2` bytes (one
//! process's, or the whole table's) to psx types, the MIBs, resource numbers, the order
//! of the two limit writes, and what the kernel's answers mean (an empty `kinfo_proc2`
//! reply, ESRCH from a limit sysctl). What OpenBSD's `kinfo_proc` shares with it is in
//! [`crate::netbsdlike`].
//!
//! Layout: NetBSD `sys/sys/sysctl.h`, `struct kinfo_proc2` (680 bytes on x86_64), as the
//! libc crate also defines it; `sys.rs` asserts at compile time, on NetBSD, that every
//! offset below equals libc's `offset_of!`, and the tests pin each one to the header's
//! literal offset. Fields are in the kernel's native byte order.

use std::cmp::Ordering;

use psx_core::{bytes, Error, OpenFiles, Pid, RLimit, Resource, SigSet, SignalMasks, StartTime};

use crate::netbsdlike::{self, pages_at, Layout, Memory, OsFields, KERN_PROC_ALL, KERN_PROC_PID};
pub use crate::netbsdlike::{DecodeError, Kinfo, Life, BUSY_ATTEMPTS};

/// Byte offsets in `struct kinfo_proc2` (x86_64).
pub mod layout {
    /// `sizeof(struct kinfo_proc2)`.
    pub const SIZE: usize = 680;
    /// `int32_t p_pid`.
    pub const P_PID: usize = 116;
    /// `int32_t p_sid`.
    pub const P_SID: usize = 124;
    /// `int32_t p__pgid`.
    pub const P_PGID: usize = 128;
    /// `uint32_t p_ruid`: the real user id.
    pub const P_RUID: usize = 140;
    /// `uint32_t p_rtime_sec`: CPU time, user and system (`calcru`'s total), seconds.
    pub const P_RTIME_SEC: usize = 228;
    /// `uint32_t p_groups[KI_NGROUPS]`.
    pub const P_GROUPS: usize = 152;
    /// `int16_t p_ngroups`.
    pub const P_NGROUPS: usize = 216;
    /// `ki_sigset_t p_siglist` (4 x `uint32_t`), pending signals.
    pub const P_SIGLIST: usize = 296;
    /// `ki_sigset_t p_sigmask`, blocked signals.
    pub const P_SIGMASK: usize = 312;
    /// `ki_sigset_t p_sigignore`.
    pub const P_SIGIGNORE: usize = 328;
    /// `ki_sigset_t p_sigcatch`.
    pub const P_SIGCATCH: usize = 344;
    /// `int8_t p_stat`: the process's `p_stat` when `p_uvalid` is 0, else the state of
    /// its most active LWP.
    pub const P_STAT: usize = 360;
    /// `char p_comm[KI_MAXCOMLEN]`: the process's name.
    pub const P_COMM: usize = 368;
    /// `int32_t p_vm_rssize`: resident set size, pages.
    pub const P_VM_RSSIZE: usize = 432;
    /// `int32_t p_vm_dsize`: data segment size, pages.
    pub const P_VM_DSIZE: usize = 440;
    /// `int32_t p_vm_ssize`: stack size, pages.
    pub const P_VM_SSIZE: usize = 444;
    /// `int64_t p_uvalid`: nonzero when `fill_kproc2` filled the per-LWP fields and
    /// the start time.
    pub const P_UVALID: usize = 448;
    /// `uint32_t p_ustart_sec`: when the process started.
    pub const P_USTART_SEC: usize = 456;
    /// `uint32_t p_ustart_usec`.
    pub const P_USTART_USEC: usize = 460;
    /// `int64_t p_vm_vsize`: the address space (`vm_map.size`), pages.
    pub const P_VM_VSIZE: usize = 664;
    /// `KI_NGROUPS`: `kinfo_proc2` holds at most this many groups.
    pub const KI_NGROUPS: usize = crate::netbsdlike::KI_NGROUPS;
}

/// The fields `kinfo_proc2` shares with OpenBSD's `kinfo_proc`.
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

/// Byte offsets in `struct kinfo_file` (`sys/sys/sysctl.h`), what `KERN_FILE2` lists.
pub mod kinfo_file {
    /// `sizeof(struct kinfo_file)`.
    pub const SIZE: usize = 120;
    /// `int32_t ki_fd`: the descriptor number (`KERN_FILE_BYPID`).
    pub const KI_FD: usize = 108;
}

/// `KERN_FILE2` and `KERN_FILE_BYPID` (`sys/sysctl.h`).
pub const KERN_FILE2: i32 = 77;
/// `KERN_FILE_BYPID`: the files of one process.
pub const KERN_FILE_BYPID: i32 = 2;

/// The MIB `{CTL_KERN, KERN_FILE2, KERN_FILE_BYPID, pid, sizeof(struct kinfo_file),
/// count}`: `sysctl_kern_file2` (`sys/kern/kern_descrip.c`) wants exactly four names
/// after `kern.file2`.
pub fn files_mib(pid: i32, count: usize) -> [i32; 6] {
    netbsdlike::kinfo_mib(KERN_FILE2, KERN_FILE_BYPID, pid, kinfo_file::SIZE, count)
}

/// The open descriptors in a reply to [`files_mib`]: one `kinfo_file` per open
/// descriptor, `ki_fd` its number (`fill_file`), walked in ascending order from the
/// process's descriptor table. `sysctl_kern_file2` lists nothing, and succeeds, for a
/// pid no live process has (zombies are not on `allproc`), for a process whose
/// `KAUTH_REQ_PROCESS_CANSEE_OPENFILES` check fails (`security.curtain`), and for one
/// whose `p_reflock` an exec holds: an empty reply is 0 here, and
/// [`netbsdlike::open_files`] asks the record why.
pub fn open_files(buf: &[u8]) -> Result<OpenFiles, DecodeError> {
    netbsdlike::count_fds(buf, kinfo_file::SIZE, kinfo_file::KI_FD)
}

/// The resources whose use `kinfo_proc2` tells (see [`kinfo`]).
pub const MEASURED: &[Resource] = &[
    Resource::Cpu,
    Resource::Data,
    Resource::Stack,
    Resource::Rss,
    Resource::As,
];

/// `KERN_PROC2` (`sys/sysctl.h`).
pub const KERN_PROC2: i32 = 47;
/// `CTL_PROC`, `PROC_PID_LIMIT`, `PROC_PID_LIMIT_TYPE_SOFT`/`_HARD` (`sys/sysctl.h`).
const CTL_PROC: i32 = 10;
const PROC_PID_LIMIT: i32 = 2;
const PROC_PID_LIMIT_TYPE_SOFT: i32 = 1;
const PROC_PID_LIMIT_TYPE_HARD: i32 = 2;

/// `PROC_CURPROC` (`sys/sysctl.h`: `~((u_int)1 << 31)`): `sysctl_proc_findproc`
/// (`sys/kern/kern_resource.c`) reads this pid as the calling process, so a limit
/// sysctl for it would read and set psx's own limits.
pub const PROC_CURPROC: i32 = 0x7fff_ffff;

/// Process states (`sys/proc.h`) in which `P_ZOMBIE` holds: the process has exited
/// (`SDYING`, `SDEAD`) or is waiting to be reaped (`SZOMB`).
const SDYING: i8 = 3;
const SZOMB: i8 = 5;
const SDEAD: i8 = 6;

/// NetBSD's `RLIM_INFINITY` (`sys/resource.h`): `(rlim_t)(~(1ULL << 63))`.
pub const RLIM_INFINITY: u64 = 0x7fff_ffff_ffff_ffff;

/// How far apart two readings of one process's start may be: none. `fork1`
/// (`sys/kern/kern_fork.c`) and `do_posix_spawn` (`sys/kern/kern_exec.c`) store the
/// wall-clock time once, `getmicrotime(&p2->p_stats->p_start)`, and `fill_kproc2`
/// copies that stored value, so a clock step does not move it.
pub const START_TOLERANCE_USEC: i64 = 0;

/// Which refusals of `getpgid`/`getsid` by pid `kinfo_proc2` answers instead: ESRCH.
///
/// `sys_getpgid`/`sys_getsid` (`sys/kern/kern_prot.c`) look the pid up with `proc_find`
/// and answer ESRCH when it fails, never EPERM: no permission check, and
/// `security.curtain` does not hide a process from them. `proc_find` skips zombies,
/// which `kinfo_proc2` still lists with their group and session, so ESRCH is answered
/// from `kinfo_proc2` (a zombie's id, no such process, or a hidden zombie's
/// [`Error::AccessDenied`]).
pub fn id_falls_back(err: &Error) -> bool {
    matches!(err, Error::NoSuchProcess { .. })
}

/// Whether psx may ask the kernel about `pid`: a valid pid (`1..=i32::MAX`) other than
/// [`PROC_CURPROC`], which no process has (NetBSD hands out pids far below it) and
/// which the limit sysctls would take as psx itself.
pub fn names_a_process(pid: Pid) -> bool {
    pid.is_valid() && pid.as_raw() != PROC_CURPROC
}

/// The MIB for one process's `kinfo_proc2`. Six elements: the element size and count
/// are part of it, and the kernel rejects the four-element form.
pub fn kinfo_mib(pid: i32) -> [i32; 6] {
    netbsdlike::kinfo_mib(KERN_PROC2, KERN_PROC_PID, pid, layout::SIZE, 1)
}

/// The MIB for every process's `kinfo_proc2`, room for `count` of them.
pub fn table_mib(count: usize) -> [i32; 6] {
    netbsdlike::kinfo_mib(KERN_PROC2, KERN_PROC_ALL, 0, layout::SIZE, count)
}

/// Which side of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `rlim_cur`.
    Soft,
    /// `rlim_max`.
    Hard,
}

/// The MIB `proc.<pid>.rlimit.<resource>.{soft,hard}`; the kernel numbers resources from 1.
pub fn limit_mib(pid: i32, resource_number: i32, side: Side) -> [i32; 5] {
    let side = match side {
        Side::Soft => PROC_PID_LIMIT_TYPE_SOFT,
        Side::Hard => PROC_PID_LIMIT_TYPE_HARD,
    };
    [CTL_PROC, pid, PROC_PID_LIMIT, resource_number + 1, side]
}

/// NetBSD's `RLIMIT_*` number for `resource` (`sys/resource.h`).
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
        Resource::Nthr => 11,
        _ => return None,
    })
}

/// Decodes one `kinfo_proc2` (see [`netbsdlike::decode`] for ids, groups and name).
///
/// `fill_kproc2` (`sys/kern/kern_proc.c`) reads the process's LWPs, and its start
/// time, only when the process is not a zombie, not exiting, and `sysctl_doeproc`
/// could take its `p_reflock` (an exec, or the start of an exit, holds it); exactly
/// then it sets `p_uvalid`. So:
///
/// - Signal masks: with `p_uvalid` set, the LWPs' pending sets are ORed into
///   `p_siglist` and their masks into `p_sigmask`; without it `p_sigmask` is left
///   empty and `p_siglist` holds only the process-wide pending set, so pending and
///   blocked are unknown (`None`), not empty; ignored and caught come from the
///   process's signal context either way. A process that has exited or is exiting has
///   none ([`Kinfo::signal_masks`] is [`Error::Zombie`]): `exit1`
///   (`sys/kern/kern_exit.c`) fills its ignored set
///   (`sigfillset(&p->p_sigctx.ps_sigignore)`) and clears what was pending before it
///   sets `SDYING`, so none of the four sets says anything about the process it was.
/// - Life: with `p_uvalid` set, `p_ustart_sec`/`p_ustart_usec` are the start
///   ([`Life::Started`]); without it, a `p_stat` of `SDYING`, `SZOMB` or `SDEAD` is
///   [`Life::Exited`], and any other (`SACTIVE`, `SSTOP`: the `p_reflock` was held) is
///   [`Life::Busy`]: the process is live and a later read gives its start.
/// - Usage: the memory figures and the CPU time are filled in the same two blocks, so
///   exactly when `p_uvalid` is set; otherwise they are `None` (a zombie has none;
///   `sysctl_doeproc` reuses one zeroed buffer for the whole table, so the fields of
///   a record it did not fill hold the previous record's values). In pages:
///   `p_vm_rssize` (`vm_resident_count`), `p_vm_dsize` (`vm_dsize`, what `sys_obreak`
///   in `sys/uvm/uvm_unix.c` checks against `RLIMIT_DATA`), `p_vm_ssize` (`vm_ssize`,
///   the stack `uvm_grow` has grown, against `RLIMIT_STACK`), `p_vm_vsize`
///   (`atop(vm_map.size)`: `uvm_mmap` in `sys/uvm/uvm_mmap.c` refuses a mapping when
///   `vm_map.size` plus it exceeds `RLIMIT_AS`; kernels of 2009 filled it in bytes, every
///   release since in pages). CPU: `p_rtime_sec`, `calcru`'s total run time, the
///   seconds `sched_pstats` (`sys/kern/kern_synch.c`) compares with `RLIMIT_CPU`.
///   `RLIMIT_MEMLOCK` is checked against the pmap's wired count (`sys_mlock`), which
///   no `kinfo_proc2` field carries.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    netbsdlike::decode(buf, &LAYOUT, |buf| {
        // `ki_sigset_t`: four `uint32_t` words, signal N at bit (N - 1) % 32 of word (N - 1) / 32.
        let sigset_at = |at: usize| -> Option<SigSet> {
            let mut words = [0u32; 4];
            for (i, word) in words.iter_mut().enumerate() {
                *word = bytes::u32_at(buf, at.checked_add(4 * i)?)?;
            }
            Some(SigSet::from_words(&words))
        };
        let lwps_read = bytes::i64_at(buf, P_UVALID)? != 0;
        let stat = i8::from_ne_bytes(bytes::array::<1>(buf, P_STAT)?);
        // With `p_uvalid` set `p_stat` is an LWP state, whose numbers overlap the
        // process states (LSSLEEP is 3, as SDYING is).
        let exited = !lwps_read && matches!(stat, SDYING | SZOMB | SDEAD);
        let per_lwp = |set: SigSet| lwps_read.then_some(set);
        let masks = SignalMasks {
            pending: per_lwp(sigset_at(P_SIGLIST)?),
            blocked: per_lwp(sigset_at(P_SIGMASK)?),
            ignored: Some(sigset_at(P_SIGIGNORE)?),
            caught: Some(sigset_at(P_SIGCATCH)?),
            process_pending: None,
        };
        let life = if lwps_read {
            Life::Started(StartTime {
                sec: i64::from(bytes::u32_at(buf, P_USTART_SEC)?),
                usec: i64::from(bytes::u32_at(buf, P_USTART_USEC)?),
            })
        } else if exited {
            Life::Exited
        } else {
            Life::Busy
        };
        let memory = Memory {
            rss: pages_at(buf, P_VM_RSSIZE)?,
            data: pages_at(buf, P_VM_DSIZE)?,
            stack: pages_at(buf, P_VM_SSIZE)?,
            map: Some(u64::try_from(bytes::i64_at(buf, P_VM_VSIZE)?).unwrap_or(0)),
        };
        let cpu_seconds = u64::from(bytes::u32_at(buf, P_RTIME_SEC)?);
        Some(OsFields {
            sigmasks: (!exited).then_some(masks),
            life,
            memory: lwps_read.then_some(memory),
            cpu_seconds: lwps_read.then_some(cpu_seconds),
        })
    })
}

/// Every process's `kinfo_proc2` from the reply to [`table_mib`], ascending by pid
/// (see [`netbsdlike::records`]).
///
/// `sysctl_doeproc` (`sys/kern/kern_proc.c`) lists, for `KERN_PROC_ALL`, zombies and
/// then live processes, one record per process (LWPs have their own MIB), skipping
/// embryonic ones (`SIDL`) and those whose `KAUTH_PROCESS_CANSEE` check fails
/// (`security.curtain` makes it fail for other users' processes). It lists pid 0, the
/// kernel's own process, which is left out: no psx pid names it.
pub fn table(buf: &[u8]) -> Result<Vec<Kinfo>, DecodeError> {
    netbsdlike::records(buf, layout::SIZE, kinfo)
}

/// The `kinfo_proc2` a `KERN_PROC_PID` sysctl replied with, or why there is none.
///
/// `sysctl_doeproc` (`sys/kern/kern_proc.c`) answers success with nothing both for a
/// pid no process has and for a process the caller may not see (it skips those whose
/// `KAUTH_PROCESS_CANSEE` check fails, as `security.curtain` makes it fail for other
/// users' processes). `kill(pid, 0)` tells the two apart (`kill1` in
/// `sys/kern/kern_sig.c`): ESRCH is no such process; success (a zombie, or a process of
/// ours) or EPERM (another user's) means it exists and is hidden, which is
/// [`Error::AccessDenied`], as its limit sysctls answer. `kill_probe` makes that call,
/// and only for an empty reply.
pub fn kinfo_reply(
    pid: Pid,
    reply: &[u8],
    kill_probe: impl FnOnce() -> Result<(), Error>,
) -> Result<Kinfo, Error> {
    if !reply.is_empty() {
        return kinfo(reply).map_err(|e| Error::invalid_data(pid, e));
    }
    match kill_probe() {
        Ok(()) | Err(Error::AccessDenied { .. }) => Err(Error::access_denied(pid)),
        Err(Error::NoSuchProcess { .. }) => Err(Error::NoSuchProcess { pid }),
        Err(other) => Err(other),
    }
}

/// What a failed limit sysctl means. `sysctl_proc_findproc` finds only live processes
/// (`proc_find` takes `SACTIVE` and `SSTOP` alone), so its ESRCH is a zombie when
/// `kinfo_proc2` still lists the pid, and otherwise whatever `kinfo_proc2` says: no
/// such process, or a process `security.curtain` hides ([`Error::AccessDenied`], as
/// every other attribute of it answers). Other errors stand.
pub fn limit_error(err: Error, kinfo: impl FnOnce() -> Result<Kinfo, Error>) -> Error {
    match err {
        Error::NoSuchProcess { pid } => match kinfo() {
            Ok(_) => Error::Zombie { pid },
            Err(e) => e,
        },
        other => other,
    }
}

/// A stack limit pair the kernel would leave with soft above hard: `dosetrlimit`
/// (`sys/kern/kern_resource.c`) checks soft <= hard and only then rounds the stored
/// `RLIMIT_STACK` soft limit up to a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftRoundsAboveHard {
    /// The soft limit asked for.
    pub soft: u64,
    /// What the kernel would store for it.
    pub rounded: u64,
    /// The hard limit asked for.
    pub hard: u64,
}

impl From<SoftRoundsAboveHard> for Error {
    fn from(e: SoftRoundsAboveHard) -> Self {
        Error::InvalidArgument(format!(
            "stack soft limit {} is rounded up to a page ({}), above the hard limit {}",
            e.soft, e.rounded, e.hard
        ))
    }
}

/// Refuses a pair whose soft limit, rounded up to a multiple of `granule` as the kernel
/// stores it, exceeds the hard limit. An unlimited hard limit never refuses: the kernel
/// caps both sides at `maxsmap`, a whole number of pages, before rounding.
pub fn check_rounded_soft(soft: u64, hard: u64, granule: u64) -> Result<(), SoftRoundsAboveHard> {
    if granule == 0 || hard >= RLIM_INFINITY {
        return Ok(());
    }
    let rounded = soft.checked_next_multiple_of(granule).unwrap_or(u64::MAX);
    if rounded > hard {
        Err(SoftRoundsAboveHard {
            soft,
            rounded,
            hard,
        })
    } else {
        Ok(())
    }
}

/// One side of one resource limit of one process, as the `CTL_PROC` sysctls expose it:
/// each call reads the old value and optionally writes a new one.
pub trait LimitSysctl {
    /// The error of a failed call; a stack pair refused before any call converts into it.
    type Error: From<SoftRoundsAboveHard>;
    /// Reads `side`, and writes `new` if given; returns the value from before.
    fn exchange(&mut self, side: Side, new: Option<u64>) -> Result<u64, Self::Error>;
    /// Whether `err` is `sysctl_proc_findproc`'s EBUSY: the process's `p_reflock` was
    /// held for writing (an exec or an exit under way) and nothing was read or written,
    /// so the call may be made again. Never, by default.
    fn is_busy(err: &Self::Error) -> bool {
        let _ = err;
        false
    }
    /// Waits before retry number `attempt` (from 1) of a busy call. No wait, by default.
    fn wait(&mut self, attempt: u32) {
        let _ = attempt;
    }
    /// The multiple the kernel rounds a written soft limit up to once it has checked it
    /// against the hard limit: the page size for `RLIMIT_STACK` (`dosetrlimit`), `None`
    /// (the default) for every other resource.
    fn soft_rounding(&self) -> Option<u64> {
        None
    }
}

/// One `exchange`, made again (up to [`BUSY_ATTEMPTS`] in all) while it is busy.
fn exchange<S: LimitSysctl>(ctl: &mut S, side: Side, new: Option<u64>) -> Result<u64, S::Error> {
    let mut attempt = 1;
    loop {
        match ctl.exchange(side, new) {
            Err(e) if S::is_busy(&e) && attempt < BUSY_ATTEMPTS => {
                ctl.wait(attempt);
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Reads both sides.
pub fn get_rlimit<S: LimitSysctl>(ctl: &mut S) -> Result<RLimit, S::Error> {
    let soft = exchange(ctl, Side::Soft, None)?;
    let hard = exchange(ctl, Side::Hard, None)?;
    Ok(RLimit::from_raw(soft, hard, RLIM_INFINITY))
}

/// Sets a valid (soft <= hard) pair with one write per side, ordered so the kernel,
/// which refuses soft > hard at every step (`dosetrlimit` in `sys/kern/kern_resource.c`),
/// never sees an invalid pair: when the hard limit rises, hard goes first; when it
/// falls, soft goes first; when it stays, only soft is written.
///
/// After that check `dosetrlimit` caps some limits, as `setrlimit(2)` does: data, stack,
/// nofile, nproc and nthr at `maxdmap`, `maxsmap`, `maxfiles`, `maxproc` and `maxlwp`.
/// So once a raised hard limit is written, the value the kernel kept is read back and
/// the soft limit capped to it: (unlimited, unlimited) for nofile ends as
/// (maxfiles, maxfiles), what `setrlimit(2)` gives, instead of a refused soft write
/// after the hard one has landed.
///
/// The stack's soft limit is then rounded up to a page ([`LimitSysctl::soft_rounding`]):
/// a pair whose rounded soft limit would exceed its hard limit is refused with
/// [`SoftRoundsAboveHard`] before anything is read or written, since when the hard
/// limit falls the rounded soft write would land and the hard write then fail.
///
/// A call answered EBUSY (an exec under way) is made again, a bounded number of times.
///
/// Returns the pair from before. Not atomic: another change can land between the
/// writes, and if the second write fails, the first has happened.
pub fn set_rlimit<S: LimitSysctl>(ctl: &mut S, new: RLimit) -> Result<RLimit, S::Error> {
    let (soft, hard) = (
        new.soft.to_raw(RLIM_INFINITY),
        new.hard.to_raw(RLIM_INFINITY),
    );
    if let Some(granule) = ctl.soft_rounding() {
        check_rounded_soft(soft, hard, granule)?;
    }
    let old = get_rlimit(ctl)?;
    match new.hard.cmp(&old.hard) {
        Ordering::Greater => {
            exchange(ctl, Side::Hard, Some(hard))?;
            let kept = exchange(ctl, Side::Hard, None)?;
            exchange(ctl, Side::Soft, Some(soft.min(kept)))?;
        }
        Ordering::Equal => {
            exchange(ctl, Side::Soft, Some(soft))?;
        }
        Ordering::Less => {
            exchange(ctl, Side::Soft, Some(soft))?;
            exchange(ctl, Side::Hard, Some(hard))?;
        }
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use psx_core::Limit;
    use std::io;

    fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// A `kinfo_proc2` as NetBSD's `sys/sys/sysctl.h` lays it out on LP64, written at
    /// the header's literal offsets (not through `layout`, so a wrong constant there
    /// fails these tests): a live process, its LWPs read (`p_uvalid` 1).
    fn fixture(groups: &[u32], ngroups: i16, masks: [[u32; 4]; 4]) -> Vec<u8> {
        // sizeof(struct kinfo_proc2): 13 uint64_t pointers, then the fields below,
        // through p_vm_msize, with no padding anywhere.
        let mut buf = vec![0xAAu8; 680];
        put(&mut buf, 116, &4242i32.to_ne_bytes()); // int32_t p_pid
        put(&mut buf, 124, &4100i32.to_ne_bytes()); // int32_t p_sid
        put(&mut buf, 128, &4200i32.to_ne_bytes()); // int32_t p__pgid
        for (i, g) in groups.iter().enumerate() {
            put(&mut buf, 152 + 4 * i, &g.to_ne_bytes()); // uint32_t p_groups[16]
        }
        put(&mut buf, 216, &ngroups.to_ne_bytes()); // int16_t p_ngroups

        // ki_sigset_t (4 x uint32_t) p_siglist, p_sigmask, p_sigignore, p_sigcatch.
        for (set, at) in masks.iter().zip([296, 312, 328, 344]) {
            for (i, w) in set.iter().enumerate() {
                put(&mut buf, at + 4 * i, &w.to_ne_bytes());
            }
        }
        put(&mut buf, 360, &[7]); // int8_t p_stat: LSONPROC, an LWP state
        put(&mut buf, 368, b"sleep\0"); // char p_comm[KI_MAXCOMLEN]
        put(&mut buf, 448, &1i64.to_ne_bytes()); // int64_t p_uvalid
        put(&mut buf, 456, &1_700_000_000u32.to_ne_bytes()); // uint32_t p_ustart_sec
        put(&mut buf, 460, &250_000u32.to_ne_bytes()); // uint32_t p_ustart_usec
        buf
    }

    /// The fixture's start time.
    const STARTED: Life = Life::Started(StartTime {
        sec: 1_700_000_000,
        usec: 250_000,
    });

    /// `fill_kproc2` for a process whose LWPs it did not read: `p_uvalid` 0 and
    /// `p_stat` the process's state (`sys/proc.h`).
    fn unread(mut buf: Vec<u8>, p_stat: i8) -> Vec<u8> {
        put(&mut buf, 448, &0i64.to_ne_bytes()); // int64_t p_uvalid
        put(&mut buf, 360, &p_stat.to_ne_bytes()); // int8_t p_stat
        buf
    }

    #[test]
    fn layout_is_the_headers() {
        // sys/sys/sysctl.h, struct kinfo_proc2, LP64.
        use layout::*;
        assert_eq!(SIZE, 680);
        assert_eq!((P_PID, P_SID, P_PGID), (116, 124, 128));
        assert_eq!((P_GROUPS, P_NGROUPS, KI_NGROUPS), (152, 216, 16));
        assert_eq!(
            (P_SIGLIST, P_SIGMASK, P_SIGIGNORE, P_SIGCATCH),
            (296, 312, 328, 344)
        );
        assert_eq!((P_STAT, P_COMM, P_UVALID), (360, 368, 448));
        assert_eq!((P_USTART_SEC, P_USTART_USEC), (456, 460));
        assert_eq!((P_RUID, P_RTIME_SEC, P_VM_VSIZE), (140, 228, 664));
        assert_eq!((P_VM_RSSIZE, P_VM_DSIZE, P_VM_SSIZE), (432, 440, 444));
    }

    #[test]
    fn usage_figures_are_pages_and_seconds_filled_with_p_uvalid() {
        let mut buf = fixture(&[], 0, [[0; 4]; 4]);
        // sys/sys/sysctl.h, struct kinfo_proc2, LP64.
        put(&mut buf, 140, &1001u32.to_ne_bytes()); // uint32_t p_ruid
        put(&mut buf, 228, &75u32.to_ne_bytes()); // uint32_t p_rtime_sec
        put(&mut buf, 432, &300i32.to_ne_bytes()); // int32_t p_vm_rssize
        put(&mut buf, 440, &50i32.to_ne_bytes()); // int32_t p_vm_dsize
        put(&mut buf, 444, &4i32.to_ne_bytes()); // int32_t p_vm_ssize
        put(&mut buf, 664, &9000i64.to_ne_bytes()); // int64_t p_vm_vsize
        let k = kinfo(&buf).unwrap();
        let pid = Pid::from(4242);
        assert_eq!(k.ruid, 1001);
        let used = |r, page| k.used(r, page, pid).unwrap();
        assert_eq!(used(Resource::Rss, 4096), 300 * 4096);
        assert_eq!(used(Resource::Data, 4096), 50 * 4096);
        assert_eq!(used(Resource::Stack, 4096), 4 * 4096);
        assert_eq!(used(Resource::As, 4096), 9000 * 4096);
        // Pages of another size (aarch64 with 16 KiB pages, say).
        assert_eq!(used(Resource::Data, 16384), 50 * 16384);
        assert_eq!(used(Resource::Cpu, 4096), 75);
        assert!(matches!(
            k.used(Resource::Memlock, 4096, pid),
            Err(Error::Unsupported { .. })
        ));
        // A negative page count (never filled so) is none.
        put(&mut buf, 444, &(-1i32).to_ne_bytes()); // int32_t p_vm_ssize
        assert_eq!(
            kinfo(&buf)
                .unwrap()
                .used(Resource::Stack, 4096, pid)
                .unwrap(),
            0
        );
        // Without p_uvalid the fields hold whatever the previous record left: a zombie
        // (SZOMB) has none, and a busy process (SACTIVE, p_reflock held) none this time.
        let zombie = kinfo(&unread(buf.clone(), 5)).unwrap();
        assert_eq!((zombie.memory, zombie.cpu_seconds), (None, None));
        assert_eq!(zombie.ruid, 1001);
        assert_eq!(kind(&zombie.used(Resource::Cpu, 4096, pid)), "zombie");
        assert_eq!(kind(&zombie.used(Resource::Rss, 4096, pid)), "zombie");
        let busy = kinfo(&unread(buf, 2)).unwrap();
        assert!(matches!(
            busy.used(Resource::Data, 4096, pid),
            Err(Error::Os { source, .. }) if source.kind() == io::ErrorKind::ResourceBusy
        ));
    }

    #[test]
    fn counts_open_descriptors_from_kinfo_file_records() {
        // sys/sys/sysctl.h, struct kinfo_file: 120 bytes, int32_t ki_fd at 108.
        let record = |fd: i32| {
            let mut r = vec![0x77u8; 120];
            put(&mut r, 108, &fd.to_ne_bytes());
            r
        };
        let table = [record(0), record(1), record(2), record(9)].concat();
        let files = open_files(&table).unwrap();
        assert_eq!((files.count, files.highest), (4, Some(9)));
        assert_eq!(open_files(&[]).unwrap(), OpenFiles::default());
        assert_eq!(
            open_files(&table[..119]),
            Err(DecodeError::Ragged {
                len: 119,
                record: 120
            })
        );
        // CTL_KERN, KERN_FILE2, KERN_FILE_BYPID, pid, sizeof(struct kinfo_file), count.
        assert_eq!(files_mib(42, 7), [1, 77, 2, 42, 120, 7]);
        assert_eq!((kinfo_file::SIZE, kinfo_file::KI_FD), (120, 108));
    }

    #[test]
    fn decodes_ids_groups_and_masks() {
        // SIGUSR1 (30 on NetBSD) pending, SIGINT blocked, SIGPIPE ignored, signal 128 caught.
        let masks = [
            [1 << 29, 0, 0, 0],
            [1 << 1, 0, 0, 0],
            [1 << 12, 0, 0, 0],
            [0, 0, 0, 1 << 31],
        ];
        let k = kinfo(&fixture(&[0, 5], 2, masks)).unwrap();
        assert_eq!((k.pid, k.pgid, k.sid), (4242, 4200, 4100));
        assert_eq!(k.groups, vec![0, 5]);
        assert_eq!(k.comm, "sleep");
        assert_eq!(k.life, STARTED);
        let m = k.signal_masks(Pid::from(4242)).unwrap();
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![128]);
        assert_eq!(m.process_pending, None);
    }

    #[test]
    fn high_signals_cross_every_word() {
        // Signals 32/33, 64/65 and 96/97 sit on either side of a word boundary:
        // bit 31 of one word, bit 0 of the next.
        let w = [1 << 31, 1];
        let masks = [
            [w[0], w[1], 0, 0],
            [0, w[0], w[1], 0],
            [0, 0, w[0], w[1]],
            [0; 4],
        ];
        let m = kinfo(&fixture(&[], 0, masks)).unwrap().sigmasks.unwrap();
        let list = |s: Option<SigSet>| s.unwrap().iter().collect::<Vec<_>>();
        assert_eq!(list(m.pending), [32, 33]);
        assert_eq!(list(m.blocked), [64, 65]);
        assert_eq!(list(m.ignored), [96, 97]);
        assert!(m.caught.unwrap().is_empty());
    }

    #[test]
    fn lwp_sets_the_kernel_did_not_read_are_unknown_not_empty() {
        // p_reflock held (an exec): SACTIVE (2) or SSTOP (4), p_uvalid 0, p_sigmask
        // left empty by fill_kproc2. Blocked is unknown, not "nothing blocked".
        let masks = [
            [1 << 29, 0, 0, 0],
            [0; 4],
            [1 << 12, 0, 0, 0],
            [1 << 1, 0, 0, 0],
        ];
        for p_stat in [2, 4] {
            let k = kinfo(&unread(fixture(&[], 0, masks), p_stat)).unwrap();
            // Live, but no start time this time: a later read gives it.
            assert_eq!(k.life, Life::Busy);
            let m = k.signal_masks(Pid::from(4242)).unwrap();
            assert_eq!((m.pending, m.blocked), (None, None));
            assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), [13]);
            assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), [2]);
        }
    }

    #[test]
    fn an_exited_process_has_no_signal_masks() {
        // SDYING (3), SZOMB (5), SDEAD (6): exit1 filled the ignored set.
        let masks = [[0; 4], [0; 4], [u32::MAX; 4], [0; 4]];
        for p_stat in [3, 5, 6] {
            let k = kinfo(&unread(fixture(&[7], 1, masks), p_stat)).unwrap();
            assert_eq!(k.life, Life::Exited);
            assert!(matches!(
                k.signal_masks(Pid::from(4242)),
                Err(Error::Zombie { pid }) if pid == Pid::from(4242)
            ));
            // Its ids, groups and name still read.
            assert_eq!((k.pgid, k.sid, k.groups), (4200, 4100, vec![7]));
            assert_eq!(k.comm, "sleep");
        }
        // With p_uvalid set, p_stat 3 is an LWP asleep (LSSLEEP), not SDYING.
        let mut live = fixture(&[], 0, masks);
        put(&mut live, 360, &[3]);
        let k = kinfo(&live).unwrap();
        assert_eq!(k.life, STARTED);
        assert!(k.sigmasks.is_some());
    }

    #[test]
    fn only_a_whole_struct_decodes() {
        let buf = fixture(&[1], 1, [[0; 4]; 4]);
        let (len, expected) = (679, 680);
        let truncated = DecodeError::Truncated { len, expected };
        assert_eq!(kinfo(&buf[..len]), Err(truncated));
        // A longer reply (a newer kernel's bigger struct) decodes from its prefix.
        let longer = [buf.clone(), vec![0; 64]].concat();
        assert_eq!(kinfo(&longer), kinfo(&buf));
    }

    #[test]
    fn mibs_have_six_and_five_elements() {
        let mib = kinfo_mib(77);
        assert_eq!(mib.len(), 6);
        // CTL_KERN, KERN_PROC2, KERN_PROC_PID, pid, sizeof(struct kinfo_proc2), count.
        assert_eq!(mib, [1, 47, 1, 77, 680, 1]);
        // CTL_KERN, KERN_PROC2, KERN_PROC_ALL, 0, size, room for 300 records.
        assert_eq!(table_mib(300), [1, 47, 0, 0, 680, 300]);
        // RLIMIT_NOFILE (8) is element 9 under proc.<pid>.rlimit.
        assert_eq!(limit_mib(77, 8, Side::Soft), [10, 77, 2, 9, 1]);
        assert_eq!(limit_mib(77, 8, Side::Hard), [10, 77, 2, 9, 2]);
        assert_eq!(resource_number(Resource::Cpu), Some(0));
        assert_eq!(resource_number(Resource::As), Some(10));
        assert_eq!(resource_number(Resource::Nthr), Some(11));
        assert_eq!(resource_number(Resource::Rttime), None);
    }

    #[test]
    fn decodes_the_name_and_the_start() {
        let k = kinfo(&fixture(&[], 0, [[0; 4]; 4])).unwrap();
        assert_eq!((k.comm.as_str(), k.life), ("sleep", STARTED));
        // p_comm fills all 24 bytes, with no NUL: the 24 are the name.
        let mut buf = fixture(&[], 0, [[0; 4]; 4]);
        put(&mut buf, 368, b"abcdefghijklmnopqrstuvwx"); // char p_comm[24]
        put(&mut buf, 392, b"wmesg\0"); // char p_wmesg[8], after it
        assert_eq!(kinfo(&buf).unwrap().comm, "abcdefghijklmnopqrstuvwx");
        // The whole u32 range of seconds.
        put(&mut buf, 456, &u32::MAX.to_ne_bytes()); // uint32_t p_ustart_sec
        put(&mut buf, 460, &999_999u32.to_ne_bytes()); // uint32_t p_ustart_usec
        let start = StartTime {
            sec: i64::from(u32::MAX),
            usec: 999_999,
        };
        assert_eq!(kinfo(&buf).unwrap().life, Life::Started(start));
        // Without p_uvalid the start fields are not read: they are whatever was there.
        assert_eq!(kinfo(&unread(buf.clone(), 5)).unwrap().life, Life::Exited);
        assert_eq!(kinfo(&unread(buf, 2)).unwrap().life, Life::Busy);
    }

    /// A record of the fixture with `p_pid` and `p__pgid` set (literal offsets).
    fn record(pid: i32, pgid: i32) -> Vec<u8> {
        let mut buf = fixture(&[5], 1, [[0; 4]; 4]);
        put(&mut buf, 116, &pid.to_ne_bytes()); // int32_t p_pid
        put(&mut buf, 128, &pgid.to_ne_bytes()); // int32_t p__pgid
        buf
    }

    #[test]
    fn decodes_a_whole_table() {
        // sysctl_doeproc: zombies first (pid 30, then taken by a live process after it
        // was reaped), then live processes, pid 0 the kernel's.
        let zombie = unread(record(30, 300), 5);
        let parts = [
            zombie,
            record(12, 120),
            record(0, 0),
            record(30, 301),
            record(1, 1),
        ];
        let all = table(&parts.concat()).unwrap();
        let got: Vec<_> = all.iter().map(|k| (k.pid, k.pgid, k.life)).collect();
        assert_eq!(
            got,
            [(1, 1, STARTED), (12, 120, STARTED), (30, 301, STARTED)]
        );
        assert!(all.iter().all(|k| k.groups == [5] && k.comm == "sleep"));
        assert!(table(&[]).unwrap().is_empty());
        // Not a whole number of 680-byte records.
        let ragged = [record(1, 1), vec![0; 100]].concat();
        assert_eq!(
            table(&ragged),
            Err(DecodeError::Ragged {
                len: 780,
                record: 680
            })
        );
        // One bad record fails the table.
        let mut bad = record(2, 2);
        put(&mut bad, 216, &(-3i16).to_ne_bytes()); // int16_t p_ngroups
        assert_eq!(
            table(&[record(1, 1), bad].concat()),
            Err(DecodeError::BadGroupCount(-3))
        );
    }

    #[test]
    fn proc_curproc_and_numbers_outside_pid_t_name_no_process() {
        // ~((u_int)1 << 31): the caller itself to sysctl_proc_findproc.
        assert!(!names_a_process(Pid::from(0x7fff_ffff)));
        assert!(!names_a_process(Pid::from(i32::MAX)));
        // u32 values above i32::MAX, whatever Pid makes of them.
        assert!(!names_a_process(Pid::from(0x8000_0000u32)));
        assert!(!names_a_process(Pid::from(u32::MAX)));
        assert!(!names_a_process(Pid::from(0)));
        assert!(!names_a_process(Pid::from(-1)));
        assert!(!names_a_process(Pid::from(i32::MIN)));
        assert!(names_a_process(Pid::from(1)));
        assert!(names_a_process(Pid::from(30000)));
        assert!(names_a_process(Pid::from(i32::MAX - 1)));
    }

    /// Processes as the NetBSD kernel shows them to a caller with `security.curtain`
    /// on: `sysctl_doeproc` lists what `KAUTH_PROCESS_CANSEE` allows (nothing else:
    /// an empty reply), `kill1` answers ESRCH for no process, success for a zombie
    /// (before any permission check) or for our own, EPERM for another user's,
    /// and `sys_getpgid` finds live processes only (`proc_find`), curtain or not.
    #[derive(Clone, Copy, PartialEq)]
    enum Proc {
        Gone,
        Visible { zombie: bool },
        Hidden { zombie: bool },
    }

    impl Proc {
        fn zombie(self) -> bool {
            matches!(
                self,
                Proc::Visible { zombie: true } | Proc::Hidden { zombie: true }
            )
        }

        fn doeproc(self) -> Vec<u8> {
            match self {
                Proc::Visible { zombie } => {
                    let buf = fixture(&[5], 1, [[0; 4]; 4]);
                    if zombie {
                        unread(buf, 5)
                    } else {
                        buf
                    }
                }
                Proc::Gone | Proc::Hidden { .. } => vec![],
            }
        }

        fn kill0(self, pid: Pid) -> Result<(), Error> {
            match self {
                Proc::Gone => Err(Error::NoSuchProcess { pid }),
                _ if self.zombie() => Ok(()),
                Proc::Visible { .. } => Ok(()),
                Proc::Hidden { .. } => Err(Error::access_denied(pid)),
            }
        }

        fn getpgid(self, pid: Pid) -> Result<Pid, Error> {
            match self {
                Proc::Gone => Err(Error::NoSuchProcess { pid }),
                _ if self.zombie() => Err(Error::NoSuchProcess { pid }),
                _ => Ok(Pid::from(4200)),
            }
        }

        fn read_kinfo(self, pid: Pid, probes: &mut u32) -> Result<Kinfo, Error> {
            kinfo_reply(pid, &self.doeproc(), || {
                *probes += 1;
                self.kill0(pid)
            })
        }
    }

    fn kind(r: &Result<impl Sized, Error>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(Error::NoSuchProcess { .. }) => "no_such_process",
            Err(Error::AccessDenied { .. }) => "access_denied",
            Err(Error::Zombie { .. }) => "zombie",
            Err(_) => "other",
        }
    }

    #[test]
    fn an_empty_kinfo_reply_is_gone_or_hidden_as_kill_says() {
        let pid = Pid::from(4242);
        let expected = [
            (Proc::Gone, "no_such_process", 1),
            (Proc::Visible { zombie: false }, "ok", 0),
            (Proc::Visible { zombie: true }, "ok", 0),
            (Proc::Hidden { zombie: false }, "access_denied", 1),
            (Proc::Hidden { zombie: true }, "access_denied", 1),
        ];
        for (proc, answer, probes_made) in expected {
            let mut probes = 0;
            let read = proc.read_kinfo(pid, &mut probes);
            assert_eq!(kind(&read), answer);
            assert_eq!(probes, probes_made, "kill(pid, 0) only for an empty reply");
        }
        // Any other failure of the probe stands.
        let other = kinfo_reply(pid, &[], || {
            Err(Error::os(pid, io::Error::from_raw_os_error(22)))
        });
        assert_eq!(kind(&other), "other");
        // A short reply is malformed, not absent.
        assert_eq!(kind(&kinfo_reply(pid, &[0; 8], || Ok(()))), "other");
    }

    #[test]
    fn limit_sysctl_esrch_is_a_zombie_or_what_kinfo_says() {
        let pid = Pid::from(4242);
        // sysctl_proc_plimit: ESRCH from proc_find for a zombie or no process;
        // for a hidden live process findproc succeeds and CANSEE fails (EPERM).
        let plimit = |proc: Proc| match proc {
            Proc::Gone => Error::NoSuchProcess { pid },
            _ if proc.zombie() => Error::NoSuchProcess { pid },
            Proc::Hidden { .. } => Error::access_denied(pid),
            Proc::Visible { .. } => unreachable!("a visible live process answers"),
        };
        let expected = [
            (Proc::Gone, "no_such_process"),
            (Proc::Visible { zombie: true }, "zombie"),
            (Proc::Hidden { zombie: false }, "access_denied"),
            (Proc::Hidden { zombie: true }, "access_denied"),
        ];
        for (proc, answer) in expected {
            let err = limit_error(plimit(proc), || proc.read_kinfo(pid, &mut 0));
            assert_eq!(kind(&Err::<(), _>(err)), answer);
        }
        // Other errors are not looked into.
        let busy = Error::os(pid, io::Error::from_raw_os_error(16));
        let err = limit_error(busy, || unreachable!("EBUSY needs no kinfo_proc2"));
        assert_eq!(kind(&Err::<(), _>(err)), "other");
    }

    #[test]
    fn pgid_is_one_answer_inside_and_outside_a_oneshot() {
        let pid = Pid::from(4242);
        let expected = [
            (Proc::Gone, "no_such_process"),
            (Proc::Visible { zombie: false }, "ok"),
            (Proc::Visible { zombie: true }, "ok"),
            // The curtain hides it from kinfo_proc2, not from getpgid.
            (Proc::Hidden { zombie: false }, "ok"),
            (Proc::Hidden { zombie: true }, "access_denied"),
        ];
        for (proc, answer) in expected {
            let from_kinfo = || proc.read_kinfo(pid, &mut 0).map(|k| k.pgid);
            let outside = netbsdlike::id_from_call(proc.getpgid(pid), id_falls_back, from_kinfo);
            let inside = netbsdlike::id_from_kinfo(from_kinfo(), || proc.getpgid(pid));
            assert_eq!(kind(&outside), answer);
            assert_eq!(kind(&inside), answer);
            if let (Ok(a), Ok(b)) = (&outside, &inside) {
                assert_eq!((*a, *b), (Pid::from(4200), Pid::from(4200)));
            }
        }
    }

    /// The kernel's limit sysctls as `sysctl_proc_plimit` and `dosetrlimit` treat a
    /// call: EBUSY for the calls listed in `busy_calls` (`p_reflock` held; nothing read
    /// or written); on a write, soft > hard is refused (EINVAL), then both sides are
    /// capped at `cap` (as `maxfiles` caps nofile), then the soft side is rounded up to
    /// `granule` (the page, for `RLIMIT_STACK`). Records the writes and waits.
    struct FakeKernel {
        soft: u64,
        hard: u64,
        cap: u64,
        granule: Option<u64>,
        calls: u32,
        busy_calls: Vec<u32>,
        writes: Vec<(Side, u64)>,
        waits: Vec<u32>,
    }

    impl FakeKernel {
        fn new((soft, hard): (u64, u64), cap: u64) -> Self {
            FakeKernel {
                soft,
                hard,
                cap,
                granule: None,
                calls: 0,
                busy_calls: vec![],
                writes: vec![],
                waits: vec![],
            }
        }

        fn stack(pair: (u64, u64), page: u64) -> Self {
            FakeKernel {
                granule: Some(page),
                ..FakeKernel::new(pair, u64::MAX)
            }
        }
    }

    impl From<SoftRoundsAboveHard> for &'static str {
        fn from(_: SoftRoundsAboveHard) -> Self {
            "refused: rounded soft above hard"
        }
    }

    impl LimitSysctl for FakeKernel {
        type Error = &'static str;

        fn exchange(&mut self, side: Side, new: Option<u64>) -> Result<u64, &'static str> {
            self.calls += 1;
            if self.busy_calls.contains(&self.calls) {
                return Err("EBUSY");
            }
            let old = match side {
                Side::Soft => self.soft,
                Side::Hard => self.hard,
            };
            if let Some(v) = new {
                let (soft, hard) = match side {
                    Side::Soft => (v, self.hard),
                    Side::Hard => (self.soft, v),
                };
                if soft > hard {
                    return Err("EINVAL: soft above hard");
                }
                let (soft, hard) = (soft.min(self.cap), hard.min(self.cap));
                let soft = self.granule.map_or(soft, |g| soft.next_multiple_of(g));
                (self.soft, self.hard) = (soft, hard);
                self.writes.push((side, v));
            }
            Ok(old)
        }

        fn is_busy(err: &&'static str) -> bool {
            *err == "EBUSY"
        }

        fn wait(&mut self, attempt: u32) {
            self.waits.push(attempt);
        }

        fn soft_rounding(&self) -> Option<u64> {
            self.granule
        }
    }

    fn value_pair((soft, hard): (u64, u64)) -> RLimit {
        RLimit::new(Limit::Value(soft), Limit::Value(hard))
    }

    /// Sets `to` from `from` on an uncapped fake kernel; checks the result and the
    /// returned old pair.
    fn set(from: (u64, u64), to: (u64, u64)) -> FakeKernel {
        let mut k = FakeKernel::new(from, u64::MAX);
        let old = set_rlimit(&mut k, value_pair(to)).unwrap();
        assert_eq!(old, value_pair(from));
        assert_eq!((k.soft, k.hard), to);
        k
    }

    #[test]
    fn raising_writes_hard_first() {
        assert_eq!(
            set((10, 20), (15, 40)).writes,
            [(Side::Hard, 40), (Side::Soft, 15)]
        );
    }

    #[test]
    fn lowering_writes_soft_first() {
        assert_eq!(
            set((30, 40), (35, 38)).writes,
            [(Side::Soft, 35), (Side::Hard, 38)]
        );
    }

    #[test]
    fn crossing_the_old_hard_limit_works() {
        // New soft above the old hard: only hard-first can do it.
        assert_eq!(
            set((10, 20), (25, 30)).writes,
            [(Side::Hard, 30), (Side::Soft, 25)]
        );
        // New hard below the old soft: only soft-first can do it.
        assert_eq!(
            set((25, 30), (5, 10)).writes,
            [(Side::Soft, 5), (Side::Hard, 10)]
        );
        // The fake does refuse the other orders.
        let mut k = FakeKernel::new((10, 20), u64::MAX);
        assert!(k.exchange(Side::Soft, Some(25)).is_err());
        let mut k = FakeKernel::new((25, 30), u64::MAX);
        assert!(k.exchange(Side::Hard, Some(10)).is_err());
    }

    #[test]
    fn an_unchanged_hard_limit_is_not_written() {
        assert_eq!(set((10, 20), (20, 20)).writes, [(Side::Soft, 20)]);
        assert_eq!(set((10, 20), (0, 20)).writes, [(Side::Soft, 0)]);
    }

    #[test]
    fn a_capped_hard_limit_caps_the_soft_one_as_setrlimit_does() {
        // nofile at (64, 128) with maxfiles 1000, set to (unlimited, unlimited):
        // setrlimit(2) would give (1000, 1000).
        let mut k = FakeKernel::new((64, 128), 1000);
        let old = set_rlimit(&mut k, RLimit::new(Limit::Unlimited, Limit::Unlimited)).unwrap();
        assert_eq!(old, value_pair((64, 128)));
        assert_eq!((k.soft, k.hard), (1000, 1000));
        assert_eq!(k.writes, [(Side::Hard, RLIM_INFINITY), (Side::Soft, 1000)]);
    }

    #[test]
    fn unlimited_is_netbsds_infinity() {
        let mut k = FakeKernel::new((1, RLIM_INFINITY), u64::MAX);
        assert_eq!(get_rlimit(&mut k).unwrap().hard, Limit::Unlimited);
        assert_eq!(get_rlimit(&mut k).unwrap().soft, Limit::Value(1));
        set_rlimit(&mut k, RLimit::new(Limit::Unlimited, Limit::Unlimited)).unwrap();
        assert_eq!((k.soft, k.hard), (RLIM_INFINITY, RLIM_INFINITY));
        // A value at or above the infinity is written as the infinity.
        let mut k = FakeKernel::new((1, 2), u64::MAX);
        set_rlimit(&mut k, value_pair((u64::MAX, u64::MAX))).unwrap();
        assert_eq!((k.soft, k.hard), (RLIM_INFINITY, RLIM_INFINITY));
    }

    #[test]
    fn a_refused_write_is_reported() {
        /// Refuses every write, as for another user's process.
        struct Denied;
        impl LimitSysctl for Denied {
            type Error = &'static str;
            fn exchange(&mut self, _: Side, new: Option<u64>) -> Result<u64, &'static str> {
                match new {
                    Some(_) => Err("EPERM"),
                    None => Ok(5),
                }
            }
        }
        assert_eq!(set_rlimit(&mut Denied, value_pair((6, 6))), Err("EPERM"));
        assert_eq!(get_rlimit(&mut Denied), Ok(value_pair((5, 5))));
    }

    #[test]
    fn a_stack_soft_limit_rounding_above_the_new_hard_one_is_refused_before_any_write() {
        // stack at (16384, 16384), 4096-byte pages, set to (5000, 6000): soft-first
        // would store 8192 (5000 rounded up), and the hard write of 6000 would then
        // fail against it, the soft write having landed.
        let mut k = FakeKernel::stack((16384, 16384), 4096);
        assert_eq!(
            set_rlimit(&mut k, value_pair((5000, 6000))),
            Err("refused: rounded soft above hard")
        );
        assert_eq!((k.writes.len(), k.calls), (0, 0));
        assert_eq!((k.soft, k.hard), (16384, 16384));
        // What the kernel does with those two writes.
        let mut k = FakeKernel::stack((16384, 16384), 4096);
        assert_eq!(k.exchange(Side::Soft, Some(5000)), Ok(16384));
        assert_eq!(
            k.exchange(Side::Hard, Some(6000)),
            Err("EINVAL: soft above hard")
        );
        assert_eq!((k.soft, k.hard), (8192, 16384));
        // Refused whichever way the hard limit moves, so the answer does not depend
        // on the pair from before.
        let mut k = FakeKernel::stack((4096, 4096), 4096);
        assert!(set_rlimit(&mut k, value_pair((5000, 6000))).is_err());
        assert!(k.writes.is_empty());
        // The refusal as psx reports it.
        let err = Error::from(check_rounded_soft(5000, 6000, 4096).unwrap_err());
        assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("8192")));
    }

    #[test]
    fn a_stack_soft_limit_that_rounds_within_the_hard_one_is_set() {
        let mut k = FakeKernel::stack((16384, 16384), 4096);
        set_rlimit(&mut k, value_pair((5000, 8192))).unwrap();
        assert_eq!((k.soft, k.hard), (8192, 8192));
        assert_eq!(k.writes, [(Side::Soft, 5000), (Side::Hard, 8192)]);
        // Page-aligned and unlimited hard limits never refuse.
        let mut k = FakeKernel::stack((4096, 8192), 4096);
        set_rlimit(&mut k, value_pair((8192, 8192))).unwrap();
        let mut k = FakeKernel::stack((4096, 8192), 4096);
        set_rlimit(&mut k, RLimit::new(Limit::Value(5000), Limit::Unlimited)).unwrap();
        assert_eq!((k.soft, k.hard), (8192, RLIM_INFINITY));
        // Other resources are not rounded, so not checked.
        set((16384, 16384), (5000, 6000));
    }

    #[test]
    fn busy_calls_are_made_again() {
        // The first read answers EBUSY once, the first write twice.
        let mut k = FakeKernel::new((10, 20), u64::MAX);
        k.busy_calls = vec![1, 4, 5];
        set_rlimit(&mut k, value_pair((5, 8))).unwrap();
        assert_eq!((k.soft, k.hard), (5, 8));
        assert_eq!(k.writes, [(Side::Soft, 5), (Side::Hard, 8)]);
        assert_eq!(k.waits, [1, 1, 2]);
    }

    #[test]
    fn busy_retries_are_bounded() {
        let mut k = FakeKernel::new((10, 20), u64::MAX);
        k.busy_calls = (1..=100).collect();
        assert_eq!(get_rlimit(&mut k), Err("EBUSY"));
        assert_eq!(k.calls, BUSY_ATTEMPTS);
        assert_eq!(k.waits, (1..BUSY_ATTEMPTS).collect::<Vec<_>>());
        // Only EBUSY is made again.
        struct Refusing(u32);
        impl LimitSysctl for Refusing {
            type Error = &'static str;
            fn exchange(&mut self, _: Side, _: Option<u64>) -> Result<u64, &'static str> {
                self.0 += 1;
                Err("EPERM")
            }
            fn is_busy(err: &&'static str) -> bool {
                *err == "EBUSY"
            }
        }
        let mut refusing = Refusing(0);
        assert_eq!(get_rlimit(&mut refusing), Err("EPERM"));
        assert_eq!(refusing.0, 1);
    }

    fn ordered((a, b): (u32, u32)) -> (u64, u64) {
        (u64::from(a.min(b)), u64::from(a.max(b)))
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
        fn any_valid_pair_is_set_from_any_valid_pair(a in any::<(u32, u32)>(), b in any::<(u32, u32)>()) {
            set(ordered(a), ordered(b));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn under_a_cap_the_result_is_setrlimits(a in any::<(u32, u32)>(), b in any::<(u32, u32)>(), cap in any::<u32>()) {
            // The kernel keeps every limit at or below its cap.
            let (from, to, cap) = (ordered(a), ordered(b), u64::from(cap));
            let mut k = FakeKernel::new((from.0.min(cap), from.1.min(cap)), cap);
            set_rlimit(&mut k, value_pair(to)).unwrap();
            prop_assert_eq!((k.soft, k.hard), (to.0.min(cap), to.1.min(cap)));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn a_stack_pair_is_set_whole_or_refused_untouched(
            a in any::<(u32, u32)>(),
            soft in any::<u32>(),
            slack in 0u64..3 * 4096,
        ) {
            // The old soft limit was stored rounded, as the kernel stores it; the new
            // hard limit lies within a few pages of the new soft one.
            let page = 4096;
            let (from, to) = (ordered(a), (u64::from(soft), u64::from(soft) + slack));
            let from = (from.0.next_multiple_of(page).min(from.1), from.1);
            let mut k = FakeKernel::stack(from, page);
            match set_rlimit(&mut k, value_pair(to)) {
                Ok(old) => {
                    prop_assert_eq!(old, value_pair(from));
                    prop_assert_eq!((k.soft, k.hard), (to.0.next_multiple_of(page), to.1));
                    prop_assert!(k.soft <= k.hard);
                }
                Err(e) => {
                    prop_assert_eq!(e, "refused: rounded soft above hard");
                    prop_assert!(k.writes.is_empty());
                    prop_assert_eq!((k.soft, k.hard), from);
                }
            }
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(
            groups in proptest::collection::vec(any::<u32>(), 0..=16),
            masks in any::<[[u32; 4]; 4]>(),
            ids in any::<(i32, i32, i32)>(),
        ) {
            let mut buf = fixture(&groups, groups.len() as i16, masks);
            // int32_t p_pid, p__pgid, p_sid (sys/sys/sysctl.h, struct kinfo_proc2).
            for (at, id) in [(116, ids.0), (128, ids.1), (124, ids.2)] {
                put(&mut buf, at, &id.to_ne_bytes());
            }
            let k = kinfo(&buf).unwrap();
            prop_assert_eq!((k.pid, k.pgid, k.sid), ids);
            prop_assert_eq!(&k.groups, &groups);
            let m = k.sigmasks.unwrap();
            prop_assert_eq!(m.pending, Some(SigSet::from_words(&masks[0])));
            prop_assert_eq!(m.blocked, Some(SigSet::from_words(&masks[1])));
            prop_assert_eq!(m.ignored, Some(SigSet::from_words(&masks[2])));
            prop_assert_eq!(m.caught, Some(SigSet::from_words(&masks[3])));
        }
    }
}
