//! The DragonFly BSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups | `kinfo_proc`'s `kp_groups[..kp_ngroups]` (the effective gid first, as `getgroups(2)`); never truncated: `setgroups(2)` refuses more than `NGROUPS` (16), the size of `kp_groups` |
//! | process group, session | `kinfo_proc`'s `kp_pgid` and `kp_sid` (the session's id, as `getsid(2)`, also after its leader has exited) |
//! | resource limits, get | `/proc/<pid>/rlimit`: one read gives every resource (`-1` is unlimited) |
//! | signal masks | `kinfo_proc`: `kp_siglist`, the first thread's `kp_lwp.kl_sigmask`, `kp_sigignore`, `kp_sigcatch` (psutil-extra has none on DragonFly) |
//! | umask, setting limits | no interface: `Unsupported` |
//!
//! Inside a oneshot one `kinfo_proc` serves groups, process group, session and signal
//! masks, and the first limit read caches every resource (a resource DragonFly lacks is
//! `InvalidArgument("invalid resource specified")`). Only limits need procfs mounted at
//! `/proc`: without it they are `Unsupported`, with a message saying procfs is missing.
//!
//! `/proc/<pid>/status` is not read: its session field is the session leader's pid,
//! 0 once the leader has exited. Nor are `getpgid(2)`/`getsid(2)`: they find the same
//! processes as `kinfo_proc` but skip its jail check.
//!
//! `kinfo_proc` has no size field on DragonFly: a reply of any length but the 992
//! bytes psx was built for is reported as another ABI, never misread.
//!
//! Zombies: the kernel's lookup by pid (`pfind`), which `kinfo_proc`, procfs and
//! `getpgid`/`getsid` all use, skips them, so a zombie reads as gone
//! (`NoSuchProcess`). A process that is exiting but not yet a zombie (`P_POSTEXIT`)
//! still shows in `kinfo_proc` while procfs refuses it (`ENOENT` at open, `EINVAL` at
//! read): its limits are then `Zombie`; a procfs refusal for a process `kinfo_proc`
//! no longer shows is `NoSuchProcess`.
//!
//! Process handles: DragonFly has no way to pin a process, so a `Process` here does not
//! detect a reused pid; `is_running` answers whether `kinfo_proc` still shows the pid.
//!
//! [`decode`] is pure and builds on every host, and holds every decision, run by the
//! tests against a fake kernel; the system calls build on DragonFly only. The `sysctl`
//! crate is not used: the one sysctl psx makes is a four-integer MIB with a pid in it
//! and a struct reply, which `libc::sysctl` gives directly.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "dragonfly")]
mod sys;

#[cfg(target_os = "dragonfly")]
pub use sys::DragonFly;
