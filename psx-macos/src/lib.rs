//! The macOS backend of [psx](https://docs.rs/psx-process).
//!
//! | attribute | source |
//! |---|---|
//! | name (`comm`) | `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`): `kp_proc.p_comm`, at most 16 bytes (`MAXCOMLEN`); a zombie keeps it |
//! | groups | `kinfo_proc`: `kp_eproc.e_ucred.cr_groups[..cr_ngroups]`, the effective gid first |
//! | signal masks | `kp_proc.p_sigignore`, `kp_proc.p_sigcatch` (signals 1 to 31); pending and blocked are `None` (the kernel leaves those fields empty); an exiting process or zombie: `Zombie` |
//! | process group | `getpgid(2)`; in a oneshot, and for an exiting process or zombie, `kp_eproc.e_pgid` |
//! | session | `getsid(2)`; an exiting process or zombie: `Zombie` |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//! | usage (headroom) | `proc_pidinfo`: `PROC_PIDLISTFDS` (descriptors), `PROC_PIDTASKINFO` (memory, CPU); the real uid from `kinfo_proc` (see below) |
//! | listing (`pids`, `scan`) | `sysctl {CTL_KERN, KERN_PROC, KERN_PROC_ALL}`: every process's `kinfo_proc` in one read, zombies included |
//! | pin (`Process`) | `p_uniqueid` from `proc_pidinfo(PROC_PIDUNIQIDENTIFIERINFO)` and `kp_proc.p_starttime` |
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
//! The libc crate lacks `kinfo_proc` and `proc_uniqidentifierinfo` for Apple targets,
//! so [`decode`] transcribes them from XNU with compile-time size and offset checks. The
//! `sysctl` crate is not used: `sysctl(3)` with the integer MIB is one call; `mach2`
//! offers no call that serves these attributes (task ports need privileges psx should
//! not ask for).
//!
//! Listing: `pids` and `scan` read the whole process table with one `KERN_PROC_ALL`
//! sysctl (sized first, read again if it grew meanwhile): every process, any user's,
//! zombies included, ascending by pid. The kernel's own task (pid 0, `kernel_task`) is
//! left out: psx names no process 0. `scan` seeds each process's oneshot with its own
//! record, so its name, groups, signal masks and process group cost no further call;
//! only the session is one `getsid(2)` per process. A process gone before its
//! `getsid(2)` is left out of the scan.
//!
//! Process handles ([`MacPin`]): a `Process` pins its process by the kernel's 64-bit
//! `p_uniqueid`, handed out once per boot by `forkproc` and kept through exec, and by
//! its start time `p_starttime` (`p_start`, stored once at fork and kept through exec),
//! read between two reads of the id so that both are the same process's.
//! `proc_pidinfo` gives the id for any user's process without privileges; where it is
//! refused (a sandbox's policy), the start time alone pins. Every read through a handle
//! checks that the `kinfo_proc` it serves (fresh, or kept by a oneshot) carries the
//! pinned start time (the record has no unique id; a later process with the pid started
//! later, so this fails only if the wall clock was set back to the very microsecond);
//! `getpgid(2)` and `getsid(2)`, which ask by pid, are believed (answer or error) only
//! once the unique id (or start time) read after them is still the pinned one. A reused
//! pid is then `NoSuchProcess`, never the newcomer's data or refusal. `is_running` is
//! the same check: true while the pinned process exists, zombie included.
//!
//! Zombies: the kernel keeps a zombie's `struct proc` until it is reaped, so a zombie
//! keeps its start time and unique id (`proc_pidinfo` finds zombies when asked to):
//! a handle can be made to a zombie, is running until the zombie is reaped, and reads
//! what a zombie has (name, groups, process group; session and masks `Zombie`).
//!
//! Oneshot: one `kinfo_proc` serves the name, groups, signal masks and the process
//! group, as in psutil-extra (whose macOS `proc_getpgid` also takes `e_pgid` only from a
//! cached `kinfo_proc`). The session is always `getsid(2)` (with the `kinfo_proc`
//! consulted on ESRCH, as above). A zero-length reply (the kernel's answer for a pid
//! that names no process) is `NoSuchProcess`.
//!
//! Usage (`Attr::Usage`, the headroom beside each limit):
//!
//! | resource | source | units |
//! |---|---|---|
//! | `nofile` count, `highest_fd` | `proc_pidinfo(PROC_PIDLISTFDS)`: one `proc_fdinfo` per open descriptor (`proc_pidfdlist`, `bsd/kern/proc_info.c`), counted in place | descriptors |
//! | `as`, `data` | `PROC_PIDTASKINFO` `pti_virtual_size` (`vm_map_adjusted_size`): the map size that `vm_map_enter` holds against both limits | bytes |
//! | `rss` | `pti_resident_size` (the task's `phys_mem` ledger) | bytes |
//! | `cpu` | `pti_total_user + pti_total_system`, Mach time converted with `mach_timebase_info` | whole seconds |
//! | `nproc` | a scan counts 1 per process, zombies included, by `kinfo_proc`'s `e_pcred.p_ruid` | processes |
//! | `stack`, `memlock`, `nice`, `rtprio`, `sigpending` | – (`Unsupported`) | |
//!
//! - Descriptors: `RLIMIT_NOFILE` caps descriptor numbers (`fdalloc` hands out numbers
//!   below `min(RLIMIT_NOFILE, maxfilesperproc)`); descriptors still being set up are
//!   not listed. A first read has room for 256 on the stack; a fuller list is sized with
//!   a NULL-buffer call (the kernel answers the table's slots plus 20) and read again.
//! - `data` is the same figure as `as`: XNU enforces `RLIMIT_DATA` against the whole
//!   map's size, not a data segment (`vm_map_set_data_limit`, `osfmk/vm/vm_map.c`).
//!   For a translated x86 process on Apple silicon the figure leaves out the map's
//!   reserved regions.
//! - `rss`: XNU enforces no resident limit; `RLIMIT_RSS` is an alias of `RLIMIT_AS`
//!   (`bsd/sys/resource.h`), so a soft limit read for it caps the address space: compare
//!   it with `as`.
//! - `cpu`: `pti_total_*` count every thread the task ran, in Mach absolute time units:
//!   nanoseconds on Intel, 24 MHz ticks on Apple silicon (timebase 125/3). `RLIMIT_CPU`
//!   is held against the same sum.
//! - `nproc`: `fork1` counts processes per real uid and reaping uncounts them; uid 0 is
//!   never held to the limit.
//! - `stack`: the stack is reserved at exec and capped by the kernel's `maxsmap`, its use
//!   not reported; `memlock`: the wired bytes (`user_wire_size` of the map) are not
//!   reported to another process; macOS has no `RLIMIT_NICE`, `RLIMIT_RTPRIO` or
//!   `RLIMIT_SIGPENDING`.
//! - Access: both flavors are served only for a process of the caller's effective uid,
//!   or to root (`proc_security_policy` with its same-user check): `AccessDenied`
//!   otherwise, the share for `nproc` still counted. A zombie or exiting process is not
//!   found by `proc_find` (ESRCH): a fresh `kinfo_proc` showing it exiting makes that
//!   `Zombie`, anything else `NoSuchProcess`.
//! - Cost: the `kinfo_proc` lacks these figures (`fill_user64_eproc` leaves `e_vm`
//!   zero), so each process costs one `PROC_PIDTASKINFO` (serving `as`, `data`, `rss`
//!   and `cpu` from the oneshot) and usually one `PROC_PIDLISTFDS`, in a scan too.
//!   Through a handle each answer (or refusal) is believed only once the pin holds after
//!   it, and an answer a oneshot kept is served to a handle only if read through the
//!   same pin: a reused pid is `NoSuchProcess`.
//! - `resource_number` stays `None` for every resource: macOS reads no other process's
//!   limits, so `psx::resources()` stays empty here; the usage map is keyed by
//!   resource all the same.
//!
//! The logic lives in [`backend`], over the [`Kernel`] trait, so that it is tested on
//! every host against a fake kernel; on macOS, `MacOs` runs it over the real calls.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target.
//! On macOS this crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of `MacOs` with a
//! [`Target`](psx_core::Target), checked as the facade checks it: `Target::new`
//! refuses a pid that names no process (0, negatives, numbers outside `pid_t`) with
//! `NoSuchProcess` before any system call; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! `set_rlimit` takes only a [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```no_run
//! # #[cfg(target_os = "macos")]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Pinned, Target};
//! use psx_macos::MacOs;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! println!("groups {:?}, process group {}", MacOs::groups(me)?, MacOs::pgid(me)?);
//!
//! // 0 is refused before any system call.
//! let zero = Target::new(0).and_then(MacOs::pgid);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: a reused pid reads as gone.
//! let pinned = Pinned::new::<MacOs>(std::process::id())?;
//! assert_eq!(MacOs::pgid(pinned.target())?, MacOs::pgid(me)?);
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "macos"))]
//! # fn main() {}
//! ```
#![warn(missing_docs)]

pub mod backend;
pub mod decode;

#[cfg(target_os = "macos")]
mod sys;

pub use backend::{Darwin, Kernel, MacPin};
#[cfg(target_os = "macos")]
pub use sys::{MacOs, Syscalls};
