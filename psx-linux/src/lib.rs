//! The Linux backend of [psx](https://docs.rs/psx-process).
//!
//! | attribute | source |
//! |---|---|
//! | umask, groups, signal masks | `/proc/<pid>/status` (`Umask`, `Groups`, `SigPnd`, `ShdPnd`, `SigBlk`, `SigIgn`, `SigCgt`) |
//! | resource limits, get and set | `prlimit(2)`: one atomic call |
//! | process group, session | `getpgid(2)`, `getsid(2)` (inside a oneshot, `NSpgid`/`NSsid` of `status`) |
//! | usage: descriptors (NOFILE) and the highest | the entries of `/proc/<pid>/fd` (`getdents64` into a buffer each thread keeps; opening it needs the directory owner's rights, as ptrace does); where that is refused, on Linux 6.2+, the count alone from the directory's size, which `stat` gives anyone who sees the process; the size first for a kernel thread or zombie (no address space), whose table is empty in practice |
//! | usage: AS, DATA, STACK, RSS, MEMLOCK | `VmSize`, `VmData`, `VmStk`, `VmRSS`, `VmLck` of `status`, in bytes |
//! | usage: SIGPENDING | the queued count of `SigQ` (the real user's, as the limit counts) |
//! | usage: CPU, NICE, RTPRIO | the process's CPUCLOCK_PROF clock (`clock_gettime`: user + system time, the clock `RLIMIT_CPU` is checked on) in whole seconds; one `sched_getattr(2)` for the nice (as `20 - nice`) and the real-time priority, with `getpriority(2)` for the nice of a real-time or deadline task, which it leaves out; where `sched_getattr` is missing, filtered or refused by a security module, `getpriority` (which none refuses) and `sched_getparam` (which one may) |
//! | usage: NPROC (in a scan) | `Uid` (real) and `Threads` of `status`, summed per user |
//!
//! Inside a oneshot, umask, groups and all five masks come from one read of `status`;
//! the usage figures too when the oneshot was told they will be asked for (`info` with
//! `Attr::Usage`, `psx::proc_usage`), and otherwise from one more read. Outside one,
//! `info` and scans take every status-borne attribute from one read of it.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target
//! and takes any pid or handle. This crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of [`Linux`] with a
//! [`Target`](psx_core::Target). The input is checked as the facade checks it, by the
//! types: [`Target::new`](psx_core::Target::new) refuses a pid that names no process
//! (0, which `prlimit(2)` would take as the caller, negatives, numbers outside `pid_t`)
//! with `NoSuchProcess`; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! [`set_rlimit`](psx_core::Backend::set_rlimit) takes only a
//! [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```
//! # #[cfg(target_os = "linux")]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Limit, Pinned, Resource, Target, ValidRLimit};
//! use psx_linux::Linux;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! let umask = Linux::umask(me)?;
//! let nofile = Linux::get_rlimit(me, Resource::Nofile)?;
//! println!("umask {umask:03o}, open files {nofile}");
//! assert!(nofile.soft <= nofile.hard);
//!
//! // 0 is refused before any system call: it never means "myself".
//! let zero = Target::new(0).and_then(Linux::umask);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: pinned by its /proc directory, so a reused pid reads as gone.
//! let pinned = Pinned::new::<Linux>(std::process::id())?;
//! assert_eq!(Linux::umask(pinned.target())?, umask);
//!
//! // Limits to set are checked first: soft above hard never reaches prlimit(2).
//! let core = Linux::get_rlimit(me, Resource::Core)?;
//! let same = ValidRLimit::for_backend::<Linux>(core)?;
//! assert_eq!(Linux::set_rlimit(pinned.target(), Resource::Core, same)?, core);
//! let refused = ValidRLimit::new(Limit::Value(2), Limit::Value(1)).unwrap_err();
//! assert_eq!(refused.to_string(), "current limit exceeds maximum limit");
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "linux"))]
//! # fn main() {}
//! ```
//!
//! [`decode`] is pure (bytes in, values out) and builds on every host; the system calls
//! build on Linux only.
//!
//! Why not the `procfs` crate: its `Process::status()` parses every line of `status`
//! into owned strings and a map before handing back the few fields psx needs, several
//! allocations and a full parse per call; psx reads into a stack buffer and decodes
//! only the lines asked for, with no allocation but the returned group list. procfs
//! stays a dev-dependency, as the yardstick in the benchmarks.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "linux")]
mod sys;

#[cfg(target_os = "linux")]
pub use sys::{fd_listings, overflow_gid, status_reads, Linux, ProcPin};
