//! The NetBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups, signal masks | `kinfo_proc2` (`sysctl {CTL_KERN, KERN_PROC2, KERN_PROC_PID, pid, sizeof(struct kinfo_proc2), 1}`): `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `ESRCH` (a zombie), and inside a oneshot, `kinfo_proc2`'s `p__pgid`/`p_sid` |
//! | resource limits, get and set | `sysctl proc.<pid>.rlimit.<resource>.{soft,hard}` (`{CTL_PROC, pid, PROC_PID_LIMIT, resource + 1, PROC_PID_LIMIT_TYPE_SOFT or _HARD}`, one `rlim_t` each) |
//! | umask | none: `Unsupported` |
//!
//! The `kinfo_proc2` MIB has six elements: the element size and count are part of it,
//! and the kernel rejects the four-element form some libraries pass.
//!
//! Pids: `0x7fffffff` is `PROC_CURPROC`, which the limit sysctls read as the calling
//! process; psx answers [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess) for it
//! (as for any number outside `1..=i32::MAX`) before any system call.
//!
//! Groups: `kinfo_proc2` holds at most 16 (`KI_NGROUPS`); a process in more groups
//! shows its first 16 (NetBSD's `NGROUPS_MAX` is 16 too).
//!
//! Signal masks are 128 bits (`ki_sigset_t`). The kernel fills them for the whole
//! process: pending is what is pending for the process or any of its threads (LWPs),
//! blocked the union of its threads' masks. (Older kernels' `fill_kproc2` added the
//! process-wide pending set to blocked instead of pending; psx reports what the
//! kernel gives.) The threads' sets are read only when `p_uvalid` says so: while an
//! exec holds the process (`p_reflock`), pending and blocked are `None`, not empty;
//! ignored and caught are still given.
//!
//! Limits: each side is its own sysctl, so a (soft, hard) pair is set in two calls,
//! ordered so the kernel, which refuses soft above hard at every step, never sees it
//! (hard first when it rises, soft first when it falls, soft alone when hard stays).
//! The kernel caps data, stack, nofile, nproc and nthr at its maxima as `setrlimit(2)`
//! does; after raising hard, the soft limit is capped to the hard limit the kernel
//! kept, so the result is what `setrlimit(2)` would give. The kernel rounds the
//! stack's soft limit up to a page after its check, so a stack pair whose soft limit,
//! rounded up to a page, exceeds its hard limit is refused with
//! [`Error::InvalidArgument`](psx_core::Error::InvalidArgument) before anything is
//! written. A call the kernel answers `EBUSY` (an exec holds the process) is made again,
//! up to 8 times over about 130 ms. The pair is **not atomic**: another change can
//! land between the two, and if the second call fails the first has already happened.
//!
//! Zombies: `getpgid`, `getsid` and the limit sysctls find only live processes
//! (`proc_find`: `ESRCH`, and never `EPERM`); `kinfo_proc2` still lists a zombie. So a
//! zombie's process group and session come from `kinfo_proc2`, and its signal masks
//! (the kernel fills its ignored set as it exits) and limits are
//! [`Error::Zombie`](psx_core::Error::Zombie).
//!
//! Hidden processes: with `security.curtain` set, `kinfo_proc2` leaves out another
//! user's processes, replying with nothing as for a pid no process has. psx then asks
//! `kill(pid, 0)`: `ESRCH` is [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess),
//! anything else (the process exists) [`Error::AccessDenied`](psx_core::Error::AccessDenied),
//! which is also what its limits answer; `getpgid`/`getsid` still answer for it, inside
//! a oneshot too.
//!
//! Process handles: NetBSD has no way to pin a process, so a `Process` here does not
//! detect a reused pid: `is_running` asks by pid (whether `kinfo_proc2` lists it, a
//! zombie included, or `kill(pid, 0)` finds it hidden).
//!
//! Inside a oneshot one `kinfo_proc2` serves groups, signal masks, process group and
//! session. [`decode`] is pure and builds on every host; the system calls build on
//! NetBSD only. The `sysctl` crate is not used: it addresses MIBs by name or fixed
//! `CtlValue` types, while psx needs raw integer MIBs with a pid in them and a struct
//! reply; `libc::sysctl` does that in one call.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "netbsd")]
mod sys;

#[cfg(target_os = "netbsd")]
pub use sys::NetBsd;
