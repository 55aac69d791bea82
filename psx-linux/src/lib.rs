//! The Linux backend of [psx](https://docs.rs/psx-process).
//!
//! | attribute | source |
//! |---|---|
//! | umask, groups, signal masks | `/proc/<pid>/status` (`Umask`, `Groups`, `SigPnd`, `ShdPnd`, `SigBlk`, `SigIgn`, `SigCgt`) |
//! | resource limits, get and set | `prlimit(2)`: one atomic call |
//! | process group, session | `getpgid(2)`, `getsid(2)` (inside a oneshot, `NSpgid`/`NSsid` of `status`) |
//! | usage: descriptors (NOFILE) and the highest | the entries of `/proc/<pid>/fd` (`getdents64` into a stack buffer; needs ptrace read access, so another user's process is left out) |
//! | usage: AS, DATA, STACK, RSS, MEMLOCK | `VmSize`, `VmData`, `VmStk`, `VmRSS`, `VmLck` of `status`, in bytes |
//! | usage: SIGPENDING | the queued count of `SigQ` (the real user's, as the limit counts) |
//! | usage: CPU, NICE, RTPRIO | `/proc/<pid>/stat`: `utime + stime` in whole seconds, `20 - nice`, `rt_priority` |
//! | usage: NPROC (in a scan) | `Uid` (real) and `Threads` of `status`, summed per user |
//!
//! Inside a oneshot, umask, groups and all five masks come from one read of `status`;
//! the usage figures too when the oneshot was told they will be asked for (`info` with
//! `Attr::Usage`, `psx::proc_usage`), and otherwise from one more read.
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
pub use sys::{overflow_gid, status_reads, Linux, ProcPin};
