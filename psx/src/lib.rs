//! Read, and set, the parts of another process's state that std, nix and sysinfo leave
//! out: its umask, supplementary groups, resource limits, signal masks, process group
//! and session, with psutil-extra's per-thread "oneshot" cache.
//!
//! ```
//! # fn main() -> psx::Result<()> {
//! use psx::{Process, Resource};
//!
//! let me = Process::current()?;
//! let nofile = me.getrlimit(Resource::Nofile)?;
//! println!("open files: soft {} hard {}", nofile.soft, nofile.hard);
//!
//! // Several attributes of one process: one read of the kernel where the OS allows.
//! let _oneshot = psx::oneshot_proc(&me);
//! # #[cfg(target_os = "linux")] {
//! println!("umask {:03o}, groups {:?}", me.umask()?, me.groups()?);
//! let masks = me.sigmasks()?;
//! println!("ignored signals: {:?}", masks.ignored);
//! # }
//! # Ok(())
//! # }
//! ```
//!
//! Every function takes "a pid or a process handle" ([`AsPid`]): an `i32`, a `u32`, a
//! [`Pid`], a [`Process`] or a [`std::process::Child`], by value or by reference.
//!
//! # Availability
//!
//! | function | Linux | macOS | FreeBSD | DragonFly | NetBSD | OpenBSD | Solaris, illumos |
//! |---|---|---|---|---|---|---|---|
//! | [`proc_get_umask`] | 4.7+ | – | yes | – | – | – | – |
//! | [`proc_getgroups`] | yes | first 16 | yes | yes | first 16 | first 16 | yes |
//! | [`proc_rlimit`] (set) | atomic | – | one call² | – | two writes | – | – |
//! | [`proc_getrlimit`] | yes | – | yes | yes | yes | – | – |
//! | [`proc_get_sigmask`] | all five | ignored, caught | four¹ | four¹ | four¹ | four¹ | all five |
//! | [`proc_getpgid`], [`proc_getsid`] | yes | yes | yes | yes | yes | yes | yes |
//! | [`Process`] detects a reused pid | yes | yes | yes | yes | yes | yes | yes |
//! | [`pids`], [`scan`] | `/proc` | one sysctl | one sysctl | one sysctl | one sysctl | one sysctl | `/proc` |
//!
//! | [`proc_usage`] (`Attr::Usage`) | all | nofile, as, data, rss, cpu | nofile, as, data, stack, rss, cpu | the same as FreeBSD | the same as FreeBSD | nofile, data, stack, rss, cpu | the same as FreeBSD |
//!
//! Usage: every figure in its limit's units ([`Usage`]); Linux also memlock, sigpending,
//! nice and rtprio; NPROC (the real user's processes, on Linux threads) in a [`scan`]
//! only. Sources: Linux `/proc/<pid>/fd`, `status`, the process CPU clock and
//! `sched_getattr`; macOS
//! `proc_pidinfo(PROC_PIDLISTFDS, PROC_PIDTASKINFO)`; FreeBSD `kern.proc.filedesc` and
//! `kinfo_proc`; DragonFly `kern.file` and `kinfo_proc`; NetBSD `KERN_FILE2` and
//! `kinfo_proc2`; OpenBSD `KERN_FILE` and `kinfo_proc`; Solaris and illumos
//! `/proc/<pid>/fd`, `psinfo` and `status`. Another user's descriptors are readable only
//! with privilege and are left out, except their count on Linux 6.2+ (the size of
//! `/proc/<pid>/fd`, which anyone who sees the process may `stat`; no highest then).
//!
//! ¹ pending, blocked, ignored, caught; `process_pending` only on Linux, Solaris and illumos.
//! ² old and new limits in one sysctl on one held process, but the kernel drops the
//! process lock between reading the old pair and setting the new one.
//! "–" is [`Error::Unsupported`] (or, for a resource a platform lacks,
//! `InvalidArgument("invalid resource specified")`).
//!
//! The crate builds on every target; where psx has no backend yet every call returns
//! [`Error::Unsupported`]. [`available`] answers at run time.
//!
//! # Errors
//!
//! - [`Error::NoSuchProcess`]: the pid is zero, negative or above `i32::MAX`, never
//!   existed, is a thread id rather than a process's, has exited and been reaped, or
//!   (through a [`Process`]) now names another process.
//! - [`Error::AccessDenied`]: the kernel refused (`EPERM`/`EACCES`).
//! - [`Error::Zombie`]: the process has exited, and the attribute went with it.
//! - [`Error::Unsupported`]: this platform or kernel cannot do it.
//! - [`Error::InvalidArgument`]: a resource the platform lacks ("invalid resource
//!   specified"), soft above hard ("current limit exceeds maximum limit").
//! - [`Error::Os`]: anything else the OS said, with the pid.
//!
//! Each has a stable [`Error::kind`] (`"access_denied"`, ...). `AccessDenied` and `Os`
//! say what was being done, [`Error::op`] (every function here sets it: the facade
//! knows which attribute it was reading or which limit it was setting), and keep what
//! the OS said as their [`source`](std::error::Error::source), an [`std::io::Error`]
//! (an `AccessDenied` that psx concluded, such as a process `/proc` hides, has none).
//! `Display` names the pid; [`Error::reason`] leaves it out and adds the OS's text, as
//! the `psx` command prints it.
//!
//! ```no_run
//! use std::error::Error as _;
//! use psx::{Error, Op, Resource};
//!
//! match psx::proc_getrlimit(1, Resource::As) {
//!     Err(err @ Error::AccessDenied { .. }) => {
//!         assert_eq!(err.op(), Some(Op::GetRlimit(Resource::As)));
//!         // "access denied getting the as limit (pid 1)"
//!         eprintln!("{err}");
//!         // Linux: Some(EPERM), from prlimit(2)
//!         let errno = err.source().and_then(|s| s.downcast_ref::<std::io::Error>());
//!         eprintln!("{:?}", errno.and_then(|e| e.raw_os_error()));
//!     }
//!     other => println!("{other:?}"),
//! }
//! ```
#![warn(missing_docs)]

mod interop;
mod os;
mod process;

pub use os::Pin;
pub use process::Process;
pub use psx_core::{
    oneshot, signal_name, Attr, Error, Limit, Missing, NprocShare, OneshotGuard, Op, OpenFiles,
    Pid, ProcInfo, RLimit, Resource, ResourceMap, ResourceMapIter, Result, SigSet, SigSetIter,
    SignalMasks, Target, Usage, ValidRLimit,
};

use os::Os;
use psx_core::Backend;

mod sealed {
    pub trait Sealed {}
}

/// A pid or a process handle: what every psx function takes.
///
/// Implemented for `i32`, `u32`, [`Pid`], [`Process`] (which adds pid-reuse detection)
/// and [`std::process::Child`], and for references to each; with the features of the
/// same names, for `nix::unistd::Pid`, `rustix::process::Pid` and `sysinfo::Pid`.
pub trait AsPid: sealed::Sealed {
    /// The pid.
    fn pid(&self) -> Pid;

    /// The pid and, for a [`Process`], its pin; [`Error::NoSuchProcess`] for a pid
    /// that can name no process ([`Target::new`]).
    #[doc(hidden)]
    fn target(&self) -> Result<Target<'_, Pin>> {
        Target::new(self.pid())
    }
}

impl sealed::Sealed for i32 {}
impl AsPid for i32 {
    fn pid(&self) -> Pid {
        Pid::from(*self)
    }
}

impl sealed::Sealed for u32 {}
impl AsPid for u32 {
    fn pid(&self) -> Pid {
        Pid::from(*self)
    }
}

impl sealed::Sealed for Pid {}
impl AsPid for Pid {
    fn pid(&self) -> Pid {
        *self
    }
}

/// A `Child` is read by its pid: valid until the child is waited for, after which the
/// calls report [`Error::NoSuchProcess`] (or, if the pid was reused, read the new
/// process: wrap it in a [`Process`] first to rule that out).
impl sealed::Sealed for std::process::Child {}
impl AsPid for std::process::Child {
    fn pid(&self) -> Pid {
        Pid::from(self.id())
    }
}

impl<T: AsPid + ?Sized> sealed::Sealed for &T {}
impl<T: AsPid + ?Sized> AsPid for &T {
    fn pid(&self) -> Pid {
        (**self).pid()
    }
    fn target(&self) -> Result<Target<'_, Pin>> {
        (**self).target()
    }
}

/// Marks an error with what was being done ([`Error::during`]), for `map_err`.
fn during(op: Op) -> impl Fn(Error) -> Error {
    move |err| err.during(op)
}

/// The target, or `NoSuchProcess` for a pid that can name no process.
fn target<P: AsPid + ?Sized>(proc: &P) -> Result<Target<'_, Pin>> {
    proc.target()
}

/// Caches what one bulk read of `proc` returns, on this thread, until the guard drops
/// (psutil-extra's `oneshot_proc`).
///
/// The cache is keyed by pid: calls with `1234` and with a [`Process`] for 1234 share
/// it. Guards nest; the outermost clears the cache. Outside a oneshot nothing is
/// cached. Errors are never cached. Use it only when reading several attributes: on
/// some platforms a call inside a oneshot reads more than it needs, to serve later
/// calls.
///
/// What one read serves on each platform:
///
/// | OS | one read serves |
/// |---|---|
/// | Linux | the name, [`proc_get_umask`], [`proc_getgroups`], [`proc_get_sigmask`] (`/proc/<pid>/status`) |
/// | macOS | the name, [`proc_getgroups`], [`proc_get_sigmask`], [`proc_getpgid`] (`kinfo_proc`) |
/// | FreeBSD | the name, [`proc_getgroups`]¹, [`proc_get_sigmask`], [`proc_getpgid`], [`proc_getsid`] (`kinfo_proc`) |
/// | NetBSD, OpenBSD | the name, [`proc_getgroups`], [`proc_get_sigmask`], [`proc_getpgid`], [`proc_getsid`] (`kinfo_proc`) |
/// | DragonFly | the name, [`proc_getgroups`], [`proc_get_sigmask`], [`proc_getpgid`], [`proc_getsid`] (`kinfo_proc`); every [`proc_getrlimit`] (`/proc/<pid>/rlimit`) |
/// | Solaris, illumos | the name, [`proc_getpgid`], [`proc_getsid`] (`psinfo`) |
///
/// ¹ unless the process has more groups than `kinfo_proc` holds: then the full list is
/// read separately.
///
/// The guard is not `Send`: it belongs to the thread that made it.
///
/// ```
/// # fn main() -> psx::Result<()> {
/// let me = std::process::id();
/// let _oneshot = psx::oneshot_proc(me);
/// # #[cfg(target_os = "linux")] {
/// let groups = psx::proc_getgroups(me)?; // reads the kernel
/// let umask = psx::proc_get_umask(me)?; // served from the cache
/// # let _ = (groups, umask); }
/// # Ok(())
/// # }
/// ```
///
/// ```compile_fail,E0277
/// let guard = psx::oneshot_proc(1);
/// std::thread::spawn(move || drop(guard)); // the guard cannot leave its thread
/// ```
pub fn oneshot_proc(proc: impl AsPid) -> OneshotGuard {
    OneshotGuard::enter(proc.pid())
}

/// Runs `f` inside a oneshot for `proc` ([`oneshot_proc`], as a closure).
///
/// ```
/// # fn main() -> psx::Result<()> {
/// # #[cfg(target_os = "linux")] {
/// let me = std::process::id();
/// let (umask, groups) = psx::with_oneshot(me, || -> psx::Result<_> {
///     Ok((psx::proc_get_umask(me)?, psx::proc_getgroups(me)?))
/// })?;
/// # let _ = (umask, groups); }
/// # Ok(())
/// # }
/// ```
pub fn with_oneshot<R>(proc: impl AsPid, f: impl FnOnce() -> R) -> R {
    let _guard = oneshot_proc(proc);
    f()
}

/// The umask of `proc`, without changing it.
///
/// Availability: Linux 4.7+ (`Umask:` in `/proc/<pid>/status`; older kernels answer
/// [`Error::Unsupported`], a zombie [`Error::Zombie`]), FreeBSD (`KERN_PROC_UMASK`,
/// which wants the right to debug the process: the caller's effective uid equal to all
/// three of its uids, its groups all among the caller's, no set-id change since its
/// exec, `security.bsd.unprivileged_proc_debug` on, or privilege; else
/// [`Error::AccessDenied`]; a zombie [`Error::Zombie`]).
/// Elsewhere [`Error::Unsupported`]: no other OS lets one process read another's umask.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let umask = psx::proc_get_umask(std::process::id()).unwrap();
/// assert!(umask <= 0o777);
/// # }
/// ```
pub fn proc_get_umask(proc: impl AsPid) -> Result<u32> {
    Os::umask(target(&proc)?).map_err(during(Op::Umask))
}

/// The supplementary groups of `proc`.
///
/// Availability: Linux (`/proc/<pid>/status`; in a user namespace a group with no
/// number there reads as the overflow gid, see [`overflow_gid`]), FreeBSD
/// (`KERN_PROC_GROUPS`: the effective gid first, then the supplementary groups, on
/// every release including 15, where only `getgroups(2)` dropped the effective gid),
/// DragonFly (`kinfo_proc`'s `kp_groups`, the effective gid first, as `getgroups(2)`;
/// complete, since `setgroups(2)` refuses more than the 16 it holds), Solaris and
/// illumos (`/proc/<pid>/cred`, which the kernel withholds from a zombie:
/// [`Error::Zombie`]); macOS, NetBSD and OpenBSD from `kinfo_proc`, which holds
/// at most the first 16 groups (on macOS, as if the deployment target were below 10.5,
/// the effective gid first: the kernel keeps it in `cr_groups[0]`).
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let groups = psx::proc_getgroups(std::process::id()).unwrap();
/// println!("{groups:?}");
/// # }
/// ```
pub fn proc_getgroups(proc: impl AsPid) -> Result<Vec<u32>> {
    Os::groups(target(&proc)?).map_err(during(Op::Groups))
}

/// Gets the limits of `proc` for `resource`, or sets them to `new` and returns the
/// previous ones (psutil-extra's `proc_rlimit`).
///
/// A new pair with soft above hard is refused with
/// `InvalidArgument("current limit exceeds maximum limit")` before anything changes; a
/// resource the platform lacks is `InvalidArgument("invalid resource specified")`.
/// Raising a hard limit needs privilege ([`Error::AccessDenied`]).
///
/// Availability: Linux (`prlimit(2)`: get and set in one atomic call; a NOFILE hard
/// limit above `fs.nr_open` is `InvalidArgument`, as no privilege can pass it) and
/// FreeBSD (`KERN_PROC_RLIMIT`: one call on one held process, so no pid reuse, but
/// another `setrlimit` can land between its read of the old pair and its write; values
/// above the system maxima for data, stack, nofile and nproc are installed capped,
/// without an error, and the pair returned is still the one from before; a zombie's
/// limits are [`Error::Zombie`]). NetBSD
/// (`proc.<pid>.rlimit`): one call per side, ordered so a valid pair is never refused
/// halfway (values above the kernel's maxima end capped, as `setrlimit(2)` caps them),
/// but **not atomic**: if the second write fails, the first has happened; a stack pair
/// whose soft limit, rounded up to a page, exceeds its hard limit is `InvalidArgument`
/// before any write; a zombie's limits are [`Error::Zombie`]. Elsewhere setting is
/// [`Error::Unsupported`] (see [`proc_getrlimit`] for reading).
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// use psx::{Limit, RLimit, Resource};
/// let me = std::process::id();
/// let old = psx::proc_rlimit(me, Resource::Core, None).unwrap();
/// // Lower the soft limit to 0, keep the hard one, and put it back.
/// psx::proc_rlimit(me, Resource::Core, Some(RLimit::new(Limit::Value(0), old.hard))).unwrap();
/// assert_eq!(psx::proc_rlimit(me, Resource::Core, Some(old)).unwrap().soft, Limit::Value(0));
/// # }
/// ```
pub fn proc_rlimit(proc: impl AsPid, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
    let target = target(&proc)?;
    match new {
        None => Os::get_rlimit(target, resource).map_err(during(Op::GetRlimit(resource))),
        // Compared as the kernel compares them: `Value(u64::MAX)` is unlimited on Linux.
        Some(new) => Os::set_rlimit(target, resource, ValidRLimit::for_backend::<Os>(new)?)
            .map_err(during(Op::SetRlimit(resource))),
    }
}

/// The limits of `proc` for `resource` (getting only, so it exists on platforms that can
/// read limits but not set them).
///
/// Availability: Linux, FreeBSD, NetBSD, DragonFly (`/proc/<pid>/rlimit`, which needs
/// procfs mounted: without it [`Error::Unsupported`]).
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let nofile = psx::proc_getrlimit(std::process::id(), psx::Resource::Nofile).unwrap();
/// assert!(nofile.soft <= nofile.hard);
/// # }
/// ```
pub fn proc_getrlimit(proc: impl AsPid, resource: Resource) -> Result<RLimit> {
    Os::get_rlimit(target(&proc)?, resource).map_err(during(Op::GetRlimit(resource)))
}

/// The signal masks of `proc`: pending, blocked, ignored, caught, and (Linux)
/// process-wide pending. A mask the platform cannot tell is `None`.
///
/// Availability: Linux, all five (`SigPnd`, `SigBlk`, `SigIgn`, `SigCgt`, `ShdPnd` in
/// `/proc/<pid>/status`; pending and blocked are those of the main thread, or of a live
/// thread once the main thread has exited). Solaris/illumos, all five
/// (`/proc/<pid>/status` and `sigact`: pending and blocked are the representative
/// lwp's `pr_lwppend`/`pr_lwphold`, process-wide pending is `pr_sigpend`; a zombie's are
/// [`Error::Zombie`]). FreeBSD, DragonFly, NetBSD, OpenBSD (`kinfo_proc`): pending,
/// blocked, ignored, caught. macOS: ignored and caught only, signals 1 to 31; an
/// exiting process or zombie is [`Error::Zombie`] (the kernel rewrites its ignored set
/// as it exits). On NetBSD pending and blocked are `None` while an exec holds the
/// process, and the masks of an exiting or zombie process are [`Error::Zombie`].
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let masks = psx::proc_get_sigmask(std::process::id()).unwrap();
/// assert!(masks.blocked.is_some());
/// # }
/// ```
pub fn proc_get_sigmask(proc: impl AsPid) -> Result<SignalMasks> {
    Os::sigmasks(target(&proc)?).map_err(during(Op::Sigmasks))
}

/// The process group id of `proc`.
///
/// Availability: every supported OS (`getpgid(2)`; where it refuses another session's
/// process with `EPERM` (FreeBSD, OpenBSD; NetBSD's never refuses), the BSDs fall back
/// to `kinfo_proc`; FreeBSD, NetBSD, OpenBSD and macOS also on `ESRCH`, which their
/// `getpgid`/`getsid` give for a zombie that `kinfo_proc` still lists; macOS's
/// `kinfo_proc` has no session id, so there a zombie's session is [`Error::Zombie`].
/// DragonFly always reads `kp_pgid`/`kp_sid` from `kinfo_proc`: its `getpgid`/`getsid`
/// never refuse, but skip the jail check that `kinfo_proc` and procfs make.
/// Solaris/illumos never refuse (their `pgrpsys` checks no permission) and answer for a
/// zombie too).
///
/// Linux answers 0 where the group's leader has no number in the caller's pid namespace
/// (kernel threads, pid 1 of a container seen from inside, a process whose group lies
/// outside the namespace): `getpgid(2)` returns 0 there, and psx passes it on as
/// `Pid(0)`, a pid that names no process.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let me = std::process::id();
/// assert_eq!(psx::proc_getpgid(me).unwrap().as_raw(), unsafe { libc::getpgrp() });
/// # }
/// ```
pub fn proc_getpgid(proc: impl AsPid) -> Result<Pid> {
    Os::pgid(target(&proc)?).map_err(during(Op::Pgid))
}

/// The session id of `proc`.
///
/// Availability: every supported OS (`getsid(2)`, with the same fallbacks as
/// [`proc_getpgid`], and the same 0 on Linux for a session outside the caller's pid
/// namespace). OpenBSD keeps only a session's leader, so once the leader has exited the
/// processes left in its session report session 0, as its kernel does.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// assert!(psx::proc_getsid(1).unwrap().as_raw() >= 0);
/// # }
/// ```
pub fn proc_getsid(proc: impl AsPid) -> Result<Pid> {
    Os::sid(target(&proc)?).map_err(during(Op::Sid))
}

/// Reads `attrs` of `proc` in one oneshot (psutil's `as_dict`).
///
/// An attribute the platform lacks, or that access is denied to, is left `None`; a
/// process that is gone is [`Error::NoSuchProcess`]. Names parse into [`Attr`] with
/// `str::parse`, which rejects an unknown name with [`Error::InvalidArgument`].
///
/// ```
/// # fn main() -> psx::Result<()> {
/// use psx::Attr;
/// let attrs: Vec<Attr> = ["pgid", "sid"].iter().map(|n| n.parse()).collect::<Result<_, _>>()?;
/// let info = psx::proc_info(std::process::id(), &attrs)?;
/// # #[cfg(target_os = "linux")]
/// assert!(info.pgid.is_some() && info.umask.is_none());
/// assert!("bogus".parse::<Attr>().is_err());
/// # Ok(())
/// # }
/// ```
pub fn proc_info(proc: impl AsPid, attrs: &[Attr]) -> Result<ProcInfo> {
    Os::info(target(&proc)?, attrs)
}

/// What `proc` uses of the resources its limits cap, each in its limit's units (see
/// [`Usage`]), read in one oneshot: `used / soft` is how close it is to a limit.
///
/// A resource whose use is denied or that the OS cannot tell is left out of
/// [`Usage::used`]; if every one is, that error is returned. `nproc` is counted only by
/// [`scan`] (it sums a user's processes).
///
/// Availability: see the crate's availability table and the usage note below it (the
/// figures each OS keeps, and where they come from).
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let usage = psx::proc_usage(std::process::id()).unwrap();
/// assert!(usage.used[&psx::Resource::Nofile] >= 3);
/// # }
/// ```
pub fn proc_usage(proc: impl AsPid) -> Result<Usage> {
    let target = target(&proc)?;
    let _oneshot = OneshotGuard::enter(target.pid());
    oneshot::want(target.pid(), &[Attr::Usage]);
    psx_core::usage::<Os>(target).map_err(during(Op::Usage))
}

/// Every process the caller can see, ascending by pid.
///
/// Availability: Linux (the numeric entries of `/proc`; a `/proc` that is not mounted,
/// or is mounted for another pid namespace, is an [`Error::Os`], never an empty list);
/// Solaris and illumos (the numeric entries of `/proc`); and from one sysctl of the whole
/// process table: macOS (`KERN_PROC_ALL`, zombies included, `kernel_task` left out),
/// FreeBSD (`KERN_PROC_PROC`: every process the caller may see, zombies included),
/// DragonFly (`KERN_PROC_ALL`: the caller's jail, zombies included, kernel threads and
/// pid 0 left out), NetBSD (`KERN_PROC2`: what `security.curtain` lets the caller see,
/// pid 0 left out), OpenBSD (`KERN_PROC`: every process but the kernel's own).
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let pids = psx::pids().unwrap();
/// assert!(pids.contains(&psx::Pid::current()));
/// # }
/// ```
pub fn pids() -> Result<Vec<Pid>> {
    Os::pids().map_err(during(Op::List))
}

/// The gid Linux shows in a group list for a group that has no number in the reader's
/// user namespace (`/proc/sys/kernel/overflowgid`, 65534 unless changed), so a caller
/// can tell a real group of that number from an unmapped one (compare with its own
/// `/proc/self/gid_map`). `None` on other platforms, which have no such mapping, or
/// when the file cannot be read.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert!(psx::overflow_gid().is_some());
/// ```
pub fn overflow_gid() -> Option<u32> {
    #[cfg(target_os = "linux")]
    return psx_linux::overflow_gid();
    #[cfg(not(target_os = "linux"))]
    None
}

/// Whether this platform, and on Linux this kernel, can read `attr` (the umask needs
/// Linux 4.7).
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert!(psx::available(psx::Attr::Groups));
/// ```
pub fn available(attr: Attr) -> bool {
    Os::available(attr)
}

/// `attrs` of every process alive during the scan, one [`ProcInfo`] each as
/// [`proc_info`] gives it (unreadable attributes `None`), ascending by pid; processes
/// that exit during the scan are left out. psutil's `process_iter(attrs)`, in one call.
///
/// The error means the processes cannot be listed at all ([`pids`]'s errors), or an
/// [`Error::Os`] from one of them.
///
/// Availability: Linux (the `/proc` walk, spread over the available cores). macOS,
/// FreeBSD, DragonFly, NetBSD and OpenBSD: the one sysctl [`pids`] makes seeds each
/// process's oneshot with its `kinfo_proc`, so name, groups, signal masks, process group
/// (and, but on macOS, session) cost no further call; only what `kinfo_proc` lacks is
/// read per process (macOS the session; FreeBSD umask and limits; DragonFly and NetBSD
/// limits). Solaris and illumos: one process at a time (no whole-table read exists),
/// one `psinfo` serving name, group and session.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// use psx::Attr;
/// let all = psx::scan(&[Attr::Comm, Attr::Pgid]).unwrap();
/// assert!(all.iter().any(|p| p.pid == psx::Pid::current()));
/// # }
/// ```
pub fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
    Os::scan(attrs).map_err(during(Op::List))
}

/// This platform's `RLIM_INFINITY`: a [`Limit::Value`] of this or more is unlimited to
/// its kernel, and [`proc_rlimit`] treats it so ([`RLimit::normalized`]).
pub const RLIM_INFINITY: u64 = <Os as Backend>::RLIM_INFINITY;

/// Whether this platform can set another process's limits ([`proc_rlimit`] with `Some`).
pub fn can_set_rlimit() -> bool {
    Os::can_set_rlimit()
}

/// The resources this platform has limits for, in [`Resource::ALL`]'s order.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(psx::resources().count(), 16);
/// ```
pub fn resources() -> impl Iterator<Item = Resource> {
    Resource::ALL
        .iter()
        .copied()
        .filter(|&r| Os::resource_number(r).is_some())
}

/// The resource whose `RLIMIT_*` number on this platform is `raw`, for callers holding
/// `libc::RLIMIT_*` values.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(psx::resource_from_raw(libc::RLIMIT_NOFILE as i32), Some(psx::Resource::Nofile));
/// ```
pub fn resource_from_raw(raw: i32) -> Option<Resource> {
    Resource::ALL
        .iter()
        .copied()
        .find(|&r| Os::resource_number(r) == Some(raw))
}
