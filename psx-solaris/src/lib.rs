//! The Solaris and illumos backend of [psx](https://docs.rs/psx-process).
//!
//! | attribute | source |
//! |---|---|
//! | name (`comm`) | `/proc/<pid>/psinfo`: `pr_fname`, the first 15 bytes of the name of the file last executed |
//! | groups | `/proc/<pid>/cred`: `prcred_t.pr_groups[..pr_ngroups]`, the array running on past the struct |
//! | process group, session | `getpgid(2)`/`getsid(2)`; inside a oneshot, `psinfo`'s `pr_pgid`/`pr_sid` (the same fields of the process) |
//! | signal masks | all five, from `/proc/<pid>/status` (`pstatus_t`) and `/proc/<pid>/sigact`: pending is the representative lwp's `pr_lwp.pr_lwppend`, process pending the process's `pr_sigpend`, blocked the lwp's `pr_lwp.pr_lwphold`; ignored and caught come from `sigact` (`SIG_IGN`, or a handler) — psutil-extra has none here |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//! | resource use (`usage`) | see below: `psinfo`, `status` and `fd/` |
//! | listing ([`Backend::pids`](psx_core::Backend::pids)) | the numeric entries of `/proc`, which must list the caller (else an error: no procfs there) |
//!
//! The representative lwp is the one the kernel's `prchoose` picks for `pstatus_t`: the
//! `/proc` agent lwp if there is one, else one chosen by its state, not necessarily
//! lwp 1. `pending` and `process_pending` keep Linux's meaning (`SigPnd`, `ShdPnd`):
//! signals sent to that lwp, and signals sent to the process as a whole.
//!
//! Zombies: the kernel refuses `cred`, `status` and `sigact` of a zombie (or of a
//! process already exiting) with `ENOENT`, as if it were gone, and its `psinfo` loses
//! the name; `psinfo` itself stays until the zombie is reaped. So the name, groups and
//! signal masks of a zombie are `Error::Zombie`, its group and session are answered,
//! and it is `NoSuchProcess` only once reaped.
//!
//! Process group and session: illumos's `getpgid`/`getsid` (`pgrpsys`) check no
//! permission and fail only with `ESRCH` (no such process in the caller's zone) or
//! `EINVAL` (a pid at or above `maxpid`, which no process can have); both are
//! `NoSuchProcess`, as `/proc/<pid>` says for those pids.
//!
//! Resource use ([`Attr::Usage`](psx_core::Attr::Usage)), in the units of each limit:
//!
//! | resource | source | notes |
//! |---|---|---|
//! | NOFILE | `readdir` of `/proc/<pid>/fd`: the entries and the highest number | `pr_readdir_fdlist` lists each open slot of `fi_list` by its number; none for a system process |
//! | AS | `psinfo` `pr_size` (KiB, times 1024) | `a_resvsize`; `RLIMIT_VMEM` is checked against `a_size` (`as_map_locked`), which also counts `MAP_NORESERVE` mappings |
//! | RSS | `psinfo` `pr_rssize` (KiB, times 1024) | illumos has no `RLIMIT_RSS` to compare it with |
//! | CPU | `psinfo` `pr_time` whole seconds (user + system of every lwp) | `clock_tick` checks `RLIMIT_CPU` against the tick-sampled same time |
//! | DATA | `status` `pr_brksize` (bytes) | what `brk_internal` checks `RLIMIT_DATA` against |
//! | STACK | `status` `pr_stksize` (bytes) | what `grow_internal` keeps within `RLIMIT_STACK` |
//! | MEMLOCK, NICE, RTPRIO, SIGPENDING | none | no such limit here: `Unsupported` |
//! | NPROC (in a scan) | `psinfo` `pr_uid`, 1 a process | |
//!
//! `psinfo` is anyone's and costs nothing more (inside a oneshot or a scan it is the
//! read that serves the name); `status` and `fd/` are the owner's (`praccess`:
//! `priv_proc_cred_perm`), so for another user's process DATA, STACK and NOFILE are
//! `AccessDenied` while AS, RSS and CPU are read. A zombie keeps its `pr_time` and
//! `pr_uid` but has no address space, `status` or `fd/` (`ENOENT`): its CPU time is
//! read, the rest is `Zombie`. Through a handle, `fd/` and `status` are opened under
//! the pinned directory, or believed only if the pin holds afterwards, as every read is.
//!
//! Oneshot: one read of `psinfo` serves the name, the process group, the session and
//! the AS, RSS, CPU and NPROC figures; one read of `status` serves DATA and STACK (a
//! handle reads it afresh: it carries no start time to check a kept copy against);
//! `cred`, `sigact` and `fd/` each serve one attribute and are read when asked.
//!
//! Listing and scans: Solaris and illumos have no whole-table read of the processes
//! (no `sysctl` of them; `/proc` holds one `psinfo` per process), so
//! [`Backend::scan`](psx_core::Backend::scan) is the default, one process at a time:
//! one `readdir` of `/proc`, then each process's own reads (one `psinfo` for its name,
//! group, session and memory and CPU figures). A process gone by the time it is read
//! is left out.
//!
//! Process handles ([`backend::ProcPin`]): a handle pins the process by its start time
//! (`u_start`, which the kernel reports as the modification time of `/proc/<pid>`, for
//! a zombie too) and, for a process the caller may control (same uids and gids, or the
//! `proc_owner` privilege), by an open `/proc/<pid>` directory, as on Linux. Every
//! `/proc` file a handle reads is opened under that directory, which reaches its own
//! process or nothing: once the process is reaped, the kernel fails every lookup under
//! it. A read by number (another user's process) and every `getpgid`/`getsid` is
//! believed, answer or error, only if the pid's directory still reports the pinned
//! start time afterwards; so a reused pid reads as `NoSuchProcess`, never as the
//! newcomer's values or refusals. Inside a oneshot a handle is served a `psinfo` read
//! earlier only if it carries the pinned start time. A handle to a zombie stays valid
//! until the zombie is reaped (its start time is still reported, though its `psinfo`
//! no longer carries it, so a handle reads a zombie's `psinfo` afresh);
//! `is_running` is true for it. Nothing here sets anything, so no set needs a pin.
//!
//! The sysctl and mach2 crates are for BSD and Apple systems; Solaris has neither
//! interface, so only libc is used.
//!
//! [`decode`] is pure and builds on every host, 32-bit ones included (it describes the
//! 64-bit target's bytes whatever the host); [`backend`] makes every decision, on any
//! host, against any [`backend::Kernel`]; the system calls build on Solaris and illumos
//! only.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target.
//! On Solaris and illumos this crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of `Solaris` with a
//! [`Target`](psx_core::Target), checked as the facade checks it: `Target::new`
//! refuses a pid that names no process (0, negatives, numbers outside `pid_t`) with
//! `NoSuchProcess` before any system call; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! `set_rlimit` takes only a [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```no_run
//! # #[cfg(any(target_os = "solaris", target_os = "illumos"))]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Pinned, Target};
//! use psx_solaris::Solaris;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! println!("groups {:?}, process group {}", Solaris::groups(me)?, Solaris::pgid(me)?);
//!
//! // 0 is refused before any system call.
//! let zero = Target::new(0).and_then(Solaris::pgid);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: a reused pid reads as gone.
//! let pinned = Pinned::new::<Solaris>(std::process::id())?;
//! assert_eq!(Solaris::pgid(pinned.target())?, Solaris::pgid(me)?);
//! # Ok(())
//! # }
//! # #[cfg(not(any(target_os = "solaris", target_os = "illumos")))]
//! # fn main() {}
//! ```
#![warn(missing_docs)]

pub mod backend;
pub mod decode;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
mod sys;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub use sys::{Solaris, Syscalls};
