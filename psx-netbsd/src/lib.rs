//! The NetBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups, signal masks | `kinfo_proc2` (`sysctl {CTL_KERN, KERN_PROC2, KERN_PROC_PID, pid, sizeof(struct kinfo_proc2), 1}`): `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM`, and inside a oneshot, `kinfo_proc2`'s `p__pgid`/`p_sid` |
//! | resource limits, get and set | `sysctl proc.<pid>.rlimit.<resource>.{soft,hard}` (`CTL_PROC`, `PROC_PID_LIMIT`) |
//! | umask | none: `Unsupported` |
//!
//! Groups: `kinfo_proc2` holds at most 16 (`KI_NGROUPS`); a process in more groups
//! shows its first 16.
//!
//! Limits: each side is its own sysctl, so a (soft, hard) pair is set in two calls,
//! ordered so the kernel never sees soft above hard (hard first when it rises, soft
//! first when it falls). The pair is **not atomic**: another change can land between
//! the two, and if the second call fails the first has already happened.
//!
//! Process handles: NetBSD has no way to pin a process, so a `Process` here does not
//! detect a reused pid (its `is_running` asks by pid).
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
