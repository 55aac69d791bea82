//! The Solaris and illumos backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `/proc/<pid>/cred`: `prcred_t.pr_groups[..pr_ngroups]`, the array running on past the struct |
//! | process group, session | `getpgid(2)`/`getsid(2)` |
//! | signal masks | all five, from `/proc/<pid>/status` (`pstatus_t`) and `/proc/<pid>/sigact`: pending is the representative lwp's `pr_lwp.pr_lwppend`, process pending the process's `pr_sigpend`, blocked the lwp's `pr_lwp.pr_lwphold`; ignored and caught come from `sigact` (`SIG_IGN`, or a handler) — psutil-extra has none here |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! The representative lwp is the one the kernel's `prchoose` picks for `pstatus_t`: the
//! `/proc` agent lwp if there is one, else one chosen by its state, not necessarily
//! lwp 1. `pending` and `process_pending` keep Linux's meaning (`SigPnd`, `ShdPnd`):
//! signals sent to that lwp, and signals sent to the process as a whole.
//!
//! Zombies: the kernel refuses `cred`, `status` and `sigact` of a zombie with `ENOENT`,
//! as if it were gone; `psinfo` stays until the zombie is reaped, so groups and signal
//! masks of a zombie are `Error::Zombie`, and `NoSuchProcess` only once it is reaped.
//! `getpgid`/`getsid` still answer for a zombie.
//!
//! Process group and session: illumos's `getpgid`/`getsid` (`pgrpsys`) check no
//! permission and fail only with `ESRCH` (no such process in the caller's zone) or
//! `EINVAL` (a pid at or above `maxpid`, which no process can have); both are
//! `NoSuchProcess`, as `/proc/<pid>` says for those pids.
//!
//! Oneshot: psutil-extra's oneshot table has no Solaris column, and no file here serves
//! two attributes psx reads from it (`status` does hold the process group and session,
//! but `getpgid`/`getsid` are cheaper than reading it), so a oneshot changes nothing.
//!
//! Process handles: `Pin` is `()`. Solaris offers no handle that outlives a pid's
//! reuse short of holding `/proc/<pid>` files open, which psx does not do, so a
//! `Process` does not detect a reused pid. `is_running` asks whether
//! `/proc/<pid>/psinfo` can be read: `kill(pid, 0)` semantics (another user's process
//! counts), a zombie counting as running.
//!
//! The sysctl and mach2 crates are for BSD and Apple systems; Solaris has neither
//! interface, so only libc is used.
//!
//! [`decode`] is pure and builds on every host, 32-bit ones included (it describes the
//! 64-bit target's bytes whatever the host); the system calls build on Solaris and
//! illumos only.
#![warn(missing_docs)]

pub mod decode;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
mod sys;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub use sys::Solaris;
