//! The macOS backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`): `kp_eproc.e_ucred.cr_groups[..cr_ngroups]` |
//! | signal masks | `kp_proc.p_sigignore`, `kp_proc.p_sigcatch`; pending and blocked are `None` (the kernel leaves those fields empty) |
//! | process group | `getpgid(2)`; in a oneshot, `kp_eproc.e_pgid` |
//! | session | `getsid(2)` |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! Groups: at most 16, the credential's first 16 — as if the deployment target were
//! below 10.5, unlike `getgroups(2)` today, which asks the directory service; psutil-extra
//! documents the same.
//!
//! The libc crate lacks `kinfo_proc` for Apple targets, so [`decode`] transcribes it
//! from XNU with compile-time size and offset checks. The `sysctl` crate is not used:
//! `libc::sysctl` with the integer MIB is one call and no allocation; `mach2` offers no
//! call that serves these attributes (task ports need privileges psx should not ask for).
//!
//! Process handles: `Pin` is `()`. macOS has no process handle psx could hold without
//! privileges (a task port needs them), so a `Process` does not detect a reused pid.
//! `is_running` asks for the `kinfo_proc`: `kill(pid, 0)` semantics (another user's
//! process counts), and a zombie, which `KERN_PROC_PID` still reports, counts as running.
//!
//! Oneshot: one `kinfo_proc` serves groups, signal masks and the process group, as in
//! psutil-extra (whose macOS `proc_getpgid` also takes `e_pgid` only from a cached
//! `kinfo_proc`). The session is always `getsid(2)`: `kinfo_proc` holds only a kernel
//! pointer to it. A zero-length reply (the kernel's answer for a pid that names no
//! process) is `NoSuchProcess`.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "macos")]
mod sys;

#[cfg(target_os = "macos")]
pub use sys::MacOs;
