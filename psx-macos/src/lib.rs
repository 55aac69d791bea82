//! The macOS backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`): `kp_eproc.e_ucred.cr_groups[..cr_ngroups]`, the effective gid first |
//! | signal masks | `kp_proc.p_sigignore`, `kp_proc.p_sigcatch` (signals 1 to 31); pending and blocked are `None` (the kernel leaves those fields empty); an exiting process or zombie: `Zombie` |
//! | process group | `getpgid(2)`; in a oneshot, and for an exiting process or zombie, `kp_eproc.e_pgid` |
//! | session | `getsid(2)`; an exiting process or zombie: `Zombie` |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//!
//! Groups: the credential's list, whose first entry is the effective gid (the kernel
//! keeps `cr_gid` in `cr_groups[0]`) and which holds at most 16 (`setgroups(2)`
//! refuses more): as if the deployment target were below 10.5, unlike `getgroups(2)`
//! today, which asks the directory service; psutil-extra documents the same.
//!
//! Exiting processes and zombies: partway through its exit, a process is no longer
//! found by `getpgid(2)` and `getsid(2)` (ESRCH), while `KERN_PROC_PID` still lists
//! it, with `P_WEXIT` in `p_flag` (and `SZOMB` in `p_stat` once it is a zombie). Its
//! process group then comes from `e_pgid` (it stays in the group until reaped); its
//! session, which `kinfo_proc` does not carry (the kernel leaves `e_sess` zero), is
//! `Zombie`. Its signal masks are `Zombie` too: exiting sets `p_sigignore` to every
//! signal but SIGKILL and SIGSTOP. Signal 32 is not a macOS signal (`NSIG` is 32,
//! counting signal 0): the sets keep signals 1 to 31.
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
//! `kinfo_proc`). The session is always `getsid(2)` (with the `kinfo_proc` consulted on
//! ESRCH, as above). A zero-length reply (the kernel's answer for a pid that names no
//! process) is `NoSuchProcess`.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "macos")]
mod sys;

#[cfg(target_os = "macos")]
pub use sys::MacOs;
