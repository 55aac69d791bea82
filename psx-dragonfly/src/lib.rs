//! The DragonFly BSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `/proc/<pid>/status` (the effective gid first, as `getgroups(2)`); without procfs, `kinfo_proc`'s `kp_groups` (at most 16) |
//! | process group, session | `getpgid(2)`/`getsid(2)`; in a oneshot, and on `EPERM`, `/proc/<pid>/status` |
//! | resource limits, get | `/proc/<pid>/rlimit`: one read gives every resource (`-1` is unlimited) |
//! | signal masks | `kinfo_proc`: `kp_siglist`, the first thread's `kp_lwp.kl_sigmask`, `kp_sigignore`, `kp_sigcatch` (psutil-extra has none on DragonFly) |
//! | umask, setting limits | no interface: `Unsupported` |
//!
//! Inside a oneshot one read of `status` serves groups, process group and session, and
//! the first limit read caches every resource. Limits need procfs mounted at `/proc`;
//! without it the error says so.
//!
//! Process handles: DragonFly has no way to pin a process, so a `Process` here does not
//! detect a reused pid.
//!
//! [`decode`] is pure and builds on every host; the system calls build on DragonFly only.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "dragonfly")]
mod sys;

#[cfg(target_os = "dragonfly")]
pub use sys::DragonFly;
