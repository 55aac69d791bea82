//! The OpenBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups, signal masks | `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid, sizeof(struct kinfo_proc), 1}`): `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM`, and inside a oneshot, `kinfo_proc`'s `p__pgid`/`p_sid` |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! Groups: `kinfo_proc` holds at most 16 (`KI_NGROUPS`). Signal sets are 32 bits.
//!
//! Process handles: OpenBSD has no way to pin a process, so a `Process` here does not
//! detect a reused pid (its `is_running` asks by pid).
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
