//! The DragonFly BSD backend of [psx](https://docs.rs/psx-process) (the `psx-process` crate).
//!
//! | attribute | source |
//! |---|---|
//! | name (`comm`) | `kinfo_proc`'s `kp_comm` (`p_comm`: at most 16 bytes) |
//! | groups | `kinfo_proc`'s `kp_groups[..kp_ngroups]` (the effective gid first, as `getgroups(2)`); never truncated: `setgroups(2)` refuses more than `NGROUPS` (16), the size of `kp_groups` |
//! | process group, session | `kinfo_proc`'s `kp_pgid` and `kp_sid` (the session's id, as `getsid(2)`, also after its leader has exited) |
//! | resource limits, get | `/proc/<pid>/rlimit`: one read gives every resource (`-1` is unlimited) |
//! | signal masks | `kinfo_proc`: `kp_siglist`, the first thread's `kp_lwp.kl_sigmask`, `kp_sigignore`, `kp_sigcatch` (psutil-extra has none on DragonFly) |
//! | pin of a `Process` | `kinfo_proc`'s `kp_start` |
//! | listing (`pids`, `scan`) | `sysctl {CTL_KERN, KERN_PROC, KERN_PROC_ALL}`: every process in one call |
//! | umask, setting limits | no interface: `Unsupported` |
//! | usage: `nofile` (count, highest fd) | `sysctl {CTL_KERN, KERN_FILE}` (`kern.file`): every open descriptor of the system (`f_pid`, `f_fd`), counted for the pid without allocating per descriptor; one read per `scan`, one whole-system read for a single process (`kern.proc` has no per-process descriptor node: its nodes are `all`, `pgrp`, `tty`, `uid`, `ruid`, `pid`, their `_lwp` forms, `args`, `cwd`, `pathname`) |
//! | usage: `as` | `kinfo_proc`'s `kp_vm_map_size` (bytes, `vm_map.size`: what `mmap` and `brk` check `RLIMIT_VMEM` against) |
//! | usage: `data`, `stack`, `rss` | `kp_vm_dsize`, `kp_vm_ssize`, `kp_vm_rssize`, pages times the page size (`brk` checks `RLIMIT_DATA` against `vm_dsize`, stack growth `RLIMIT_STACK` against `vm_ssize`) |
//! | usage: `cpu` | `kp_lwp.kl_uticks + kl_sticks` (microseconds) summed over every thread, whole seconds: what `schedcpu_resource` checks `RLIMIT_CPU` against. A plain record holds the first thread's: a threaded process costs one `KERN_PROC_PID \| KERN_PROC_FLAG_LWP` read (a `scan` with usage reads the table a record per thread instead) |
//! | usage: `nproc` (in a scan) | `kp_ruid`, 1 per process, zombies included (`kern_wait` uncharges the user only when it reaps) |
//! | usage: `memlock` | `Unsupported`: `mlock` checks the pmap's wired page count, which nothing exports |
//!
//! Inside a oneshot one `kinfo_proc` serves the name, groups, process group, session
//! and signal masks, and the first limit read caches every resource (a resource
//! DragonFly lacks is `InvalidArgument("invalid resource specified")`). Only limits
//! need procfs mounted at `/proc`: without it they are `Unsupported`, with a message
//! saying procfs is missing.
//!
//! `/proc/<pid>/status` is not read: its session field is the session leader's pid,
//! 0 once the leader has exited. Nor are `getpgid(2)`/`getsid(2)`: they find the same
//! processes as `kinfo_proc` but skip its jail check.
//!
//! `kinfo_proc` has no size field on DragonFly: a reply of any length but the 992
//! bytes psx was built for (or a table that is not a whole number of them) is reported
//! as another ABI, never misread.
//!
//! # Listing
//!
//! `pids()` and `scan()` read the whole process table in one `sysctl`, one record per
//! process. It holds every process of the caller's jail but those `fork` has not
//! finished, zombies included, and, when `security.ps_showallprocs` is 0, only the
//! caller's own (other users' processes still read by pid). Kernel threads (`kp_pid`
//! -1) and pid 0 (the swapper) are left out. `scan` seeds each process's oneshot with
//! its own record, so everything `kinfo_proc` holds costs no further call; limits cost
//! one procfs read per process.
//!
//! # Zombies
//!
//! The kernel's lookup by pid (`pfind`), which the per-pid `kinfo_proc`, procfs and
//! `getpgid`/`getsid` all use, skips zombies, so by pid a zombie reads as gone
//! (`NoSuchProcess`), at the price of no further call. The whole table still lists
//! it, with its name, groups, process group, session and signal masks (`exit1` has
//! emptied its pending sets), which the kernel keeps until the zombie is reaped: `scan`
//! reports a zombie with those, its limits `None` (they went with it), and a `Process`
//! handle finds its zombie there (see below). A process that is exiting but not yet a
//! zombie (`P_POSTEXIT`) still shows in `kinfo_proc` while procfs refuses it (`ENOENT`
//! at open, `EINVAL` at read): its limits are then `Zombie`; a procfs refusal for a
//! process `kinfo_proc` no longer shows is `NoSuchProcess`.
//!
//! # Process handles
//!
//! A `Process` pins its process by `kp_start`, the time `fork` stored once (a clock
//! step does not move it, so it is compared exactly). Every read through the handle
//! checks that the record it reads, the oneshot's or a fresh one, carries that start,
//! and the limits, read by pid from procfs, are believed (answer or error) only if the
//! pid still names the pinned process after the read: a reused pid is `NoSuchProcess`,
//! never the newcomer's data or its `AccessDenied`. A handle can be made for a zombie
//! and keeps working while the zombie waits to be reaped: `is_running` is true and the
//! reads answer from its table record as `scan` does (finding it costs one table read
//! per call, since only the table shows zombies). Once reaped, `is_running` is false
//! and every read `NoSuchProcess`.
//!
//! # Usage
//!
//! A process that is exiting (`P_POSTEXIT`) or a zombie has no usage (`Zombie`):
//! `kern.file` skips zombies, and its figures are those of a process going away. Only its
//! `nproc` share still counts, as the kernel's count does. Through a handle, the
//! descriptor count (read by pid from the whole-system table) is believed only if a
//! record read after it carries the pinned start, as for limits.
//!
//! [`decode`] is pure and builds on every host, and holds every decision and the
//! backend itself ([`decode::Over`]), run by the tests against a fake kernel; the
//! system calls build on DragonFly only.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target.
//! On DragonFly this crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of `DragonFly` with a
//! [`Target`](psx_core::Target), checked as the facade checks it: `Target::new`
//! refuses a pid that names no process (0, negatives, numbers outside `pid_t`) with
//! `NoSuchProcess` before any system call; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! `set_rlimit` takes only a [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```no_run
//! # #[cfg(target_os = "dragonfly")]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Pinned, Target};
//! use psx_dragonfly::DragonFly;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! println!("groups {:?}, process group {}", DragonFly::groups(me)?, DragonFly::pgid(me)?);
//!
//! // 0 is refused before any system call.
//! let zero = Target::new(0).and_then(DragonFly::pgid);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: a reused pid reads as gone.
//! let pinned = Pinned::new::<DragonFly>(std::process::id())?;
//! assert_eq!(DragonFly::pgid(pinned.target())?, DragonFly::pgid(me)?);
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "dragonfly"))]
//! # fn main() {}
//! ```
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "dragonfly")]
mod sys;

#[cfg(target_os = "dragonfly")]
pub use sys::DragonFly;
