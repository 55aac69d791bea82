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
//! the first limit read caches every resource (a resource DragonFly lacks is
//! `InvalidArgument("invalid resource specified")`). Limits need procfs mounted at
//! `/proc`: without it they are `Unsupported`, with a message saying procfs is missing,
//! while groups, process group and session come from `kinfo_proc` instead (as they also
//! do when the status line overflows procfs's 256-byte buffer: ENOMEM).
//!
//! The `status` parser takes the command name raw, as procfs writes it (spaces,
//! newlines, any byte), and allows spaces in the wait message and the jail host name.
//! `kinfo_proc` has no size field on DragonFly: a reply of any length but the 992
//! bytes psx was built for is reported as another ABI, never misread.
//!
//! Zombies: DragonFly's process lookups skip them, so a zombie reads as gone
//! (`NoSuchProcess`).
//!
//! Process handles: DragonFly has no way to pin a process, so a `Process` here does not
//! detect a reused pid; `is_running` answers whether `kinfo_proc` still shows the pid.
//!
//! [`decode`] is pure and builds on every host; the system calls build on DragonFly only.
//! The `sysctl` crate is not used: the one sysctl psx makes is a four-integer MIB with
//! a pid in it and a struct reply, which `libc::sysctl` gives directly.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "dragonfly")]
mod sys;

#[cfg(target_os = "dragonfly")]
pub use sys::DragonFly;
