//! The Solaris and illumos backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `/proc/<pid>/cred`: `prcred_t.pr_groups[..pr_ngroups]`, the array running on past the struct |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM`, `/proc/<pid>/psinfo`'s `pr_pgid`/`pr_sid` |
//! | signal masks | pending: `/proc/<pid>/status` `pr_sigpend`; blocked: the representative lwp's `pr_lwp.pr_lwphold`; ignored and caught: `/proc/<pid>/sigact` (`SIG_IGN`, or a handler) — psutil-extra has none here |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! Nothing is shared between reads, so a oneshot changes nothing here. Process handles:
//! psx does not pin processes on Solaris yet, so a `Process` does not detect a reused pid.
//!
//! [`decode`] is pure and builds on every host; the system calls build on Solaris and
//! illumos only.
#![warn(missing_docs)]

pub mod decode;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
mod sys;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub use sys::Solaris;
