//! The FreeBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | umask | `sysctl kern.proc.umask.<pid>` (`KERN_PROC_UMASK`); the kernel wants debug rights over the process (same user, or root), else access denied |
//! | groups | `sysctl kern.proc.groups.<pid>` (`KERN_PROC_GROUPS`), sized first and retried if it grows; in a oneshot `kinfo_proc`'s `ki_groups`, unless `KI_CRF_GRP_OVERFLOW` says it is truncated |
//! | resource limits, get and set | `sysctl kern.proc.rlimit.<pid>.<resource>` (`KERN_PROC_RLIMIT`): old and new in one atomic call |
//! | signal masks | `kinfo_proc`: `ki_siglist`, `ki_sigmask` (the first thread's), `ki_sigignore`, `ki_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; in a oneshot, and on `EPERM` or `ESRCH` (they skip zombies), `kinfo_proc`'s `ki_pgid`/`ki_sid` |
//!
//! Inside a oneshot one `kinfo_proc` serves groups, signal masks, process group and
//! session. `ki_structsize` is checked against the size psx was built for; a kernel with
//! another layout is reported as an error, never misread.
//!
//! Groups: up to FreeBSD 14 the list starts with the effective gid, as `getgroups(2)`
//! did; FreeBSD 15 keeps the effective gid apart and the list holds only the
//! supplementary groups (possibly none). psx returns what the kernel holds.
//!
//! Zombies: `kinfo_proc` and `KERN_PROC_GROUPS` still answer for a zombie, so groups,
//! signal masks, process group and session are read; the umask and limit sysctls refuse
//! an exiting process, which psx reports as [`Error::Zombie`](psx_core::Error::Zombie).
//!
//! Process handles: FreeBSD offers no pin psx uses yet (process descriptors only exist
//! for one's own children), so a `Process` here does not detect a reused pid;
//! `is_running` answers whether `kinfo_proc` still shows the pid.
//!
//! [`decode`] is pure and builds on every host; the system calls build on FreeBSD only.
//! The `sysctl` crate is not used: psx needs raw integer MIBs with a pid in them,
//! struct replies, and a read-and-write in one call, which `libc::sysctl` gives directly.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "freebsd")]
mod sys;

#[cfg(target_os = "freebsd")]
pub use sys::FreeBsd;
