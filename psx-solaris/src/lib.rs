//! The Solaris and illumos backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `/proc/<pid>/cred`: `prcred_t.pr_groups[..pr_ngroups]`, the array running on past the struct |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM`, `/proc/<pid>/psinfo`'s `pr_pgid`/`pr_sid` |
//! | signal masks | pending: `/proc/<pid>/status` `pr_sigpend`; blocked: the representative lwp's `pr_lwp.pr_lwphold`; ignored and caught: `/proc/<pid>/sigact` (`SIG_IGN`, or a handler) — psutil-extra has none here |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! Zombies: the kernel refuses `cred`, `status` and `sigact` of a zombie with `ENOENT`,
//! as if it were gone; `psinfo` stays until the zombie is reaped, so groups and signal
//! masks of a zombie are `Error::Zombie`, and `NoSuchProcess` only once it is reaped.
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
//! [`decode`] is pure and builds on every host; the system calls build on Solaris and
//! illumos only.
#![warn(missing_docs)]

pub mod decode;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
mod sys;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub use sys::Solaris;
