//! The OpenBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups, signal masks | `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid, sizeof(struct kinfo_proc), 1}`): `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM` or `ESRCH`, and inside a oneshot, `kinfo_proc`'s `p__pgid`/`p_sid` |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! The MIB has six elements: the element size and count are part of it, and the
//! kernel rejects the four-element form.
//!
//! Groups: `kinfo_proc` holds at most 16 (`KI_NGROUPS`, as is `NGROUPS_MAX`); a larger
//! count would show the first 16. Signal sets are 32 bits (signals 1 to 32): pending
//! is the process's and its main thread's, blocked the main thread's mask.
//!
//! Session: OpenBSD keeps no session id of its own, only the leader. Once the
//! session leader has exited, `getsid(2)` answers `ESRCH` for the processes left in
//! the session and `kinfo_proc` gives `p_sid` 0; psx then reports session 0, what
//! the kernel itself reports, not "no such process".
//!
//! Zombies: `getpgid`/`getsid` skip them (`prfind`); `kinfo_proc` still lists them,
//! so their process group and session come from it.
//!
//! Process handles: OpenBSD has no way to pin a process, so a `Process` here does not
//! detect a reused pid: `is_running` asks by pid (whether `kinfo_proc` lists it, a
//! zombie included), like `kill(pid, 0)`.
//!
//! Inside a oneshot one `kinfo_proc` serves groups, signal masks, process group and
//! session. [`decode`] is pure and builds on every host; the system calls build on
//! OpenBSD only. The `sysctl` crate is not used: it does not support OpenBSD, and
//! `libc::sysctl` with the integer MIB is one call.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "openbsd")]
mod sys;

#[cfg(target_os = "openbsd")]
pub use sys::OpenBsd;
