//! The NetBSD backend of [psx](https://docs.rs/psx-process).
//!
//! | attribute | source |
//! |---|---|
//! | name, groups, signal masks | `kinfo_proc2` (`sysctl {CTL_KERN, KERN_PROC2, KERN_PROC_PID, pid, sizeof(struct kinfo_proc2), 1}`): `p_comm`, `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `ESRCH` (a zombie), inside a oneshot, and through a `Process`, `kinfo_proc2`'s `p__pgid`/`p_sid` |
//! | resource limits, get and set | `sysctl proc.<pid>.rlimit.<resource>.{soft,hard}` (`{CTL_PROC, pid, PROC_PID_LIMIT, resource + 1, PROC_PID_LIMIT_TYPE_SOFT or _HARD}`, one `rlim_t` each) |
//! | usage: nofile | `sysctl {CTL_KERN, KERN_FILE2, KERN_FILE_BYPID, pid, sizeof(struct kinfo_file), count}`: one record per open descriptor; the count, and the highest `ki_fd` |
//! | usage: as, data, stack, rss | `kinfo_proc2`'s `p_vm_vsize`, `p_vm_dsize`, `p_vm_ssize`, `p_vm_rssize` (pages, times the page size: bytes) |
//! | usage: cpu | `kinfo_proc2`'s `p_rtime_sec` (user and system, whole seconds) |
//! | usage: nproc (in a scan) | `kinfo_proc2`'s `p_ruid`, 1 per process |
//! | usage: memlock, and nice/rtprio (no such limits) | none |
//! | umask | none: `Unsupported` |
//! | listing (`pids`, `scan`) | one `sysctl {CTL_KERN, KERN_PROC2, KERN_PROC_ALL, 0, sizeof(struct kinfo_proc2), count}` |
//! | `Process` pin | `kinfo_proc2`'s `p_ustart_sec`/`p_ustart_usec` |
//!
//! The `kinfo_proc2` MIB has six elements: the element size and count are part of it,
//! and the kernel rejects the four-element form some libraries pass.
//!
//! Pids: `0x7fffffff` is `PROC_CURPROC`, which the limit sysctls read as the calling
//! process; psx answers [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess) for it
//! (as for any number outside `1..=i32::MAX`) before any system call.
//!
//! Groups: `kinfo_proc2` holds at most 16 (`KI_NGROUPS`); a process in more groups
//! shows its first 16 (NetBSD's `NGROUPS_MAX` is 16 too). The name is `p_comm`, at
//! most 16 bytes (`MAXCOMLEN`).
//!
//! Signal masks are 128 bits (`ki_sigset_t`). The kernel fills them for the whole
//! process: pending is what is pending for the process or any of its threads (LWPs),
//! blocked the union of its threads' masks. (Older kernels' `fill_kproc2` added the
//! process-wide pending set to blocked instead of pending; psx reports what the
//! kernel gives.) The threads' sets are read only when `p_uvalid` says so: while an
//! exec holds the process (`p_reflock`), pending and blocked are `None`, not empty;
//! ignored and caught are still given.
//!
//! Limits: each side is its own sysctl, so a (soft, hard) pair is set in two calls,
//! ordered so the kernel, which refuses soft above hard at every step, never sees it
//! (hard first when it rises, soft first when it falls, soft alone when hard stays).
//! The kernel caps data, stack, nofile, nproc and nthr at its maxima as `setrlimit(2)`
//! does; after raising hard, the soft limit is capped to the hard limit the kernel
//! kept, so the result is what `setrlimit(2)` would give. The kernel rounds the
//! stack's soft limit up to a page after its check, so a stack pair whose soft limit,
//! rounded up to a page, exceeds its hard limit is refused with
//! [`Error::InvalidArgument`](psx_core::Error::InvalidArgument) before anything is
//! written. A call the kernel answers `EBUSY` (an exec holds the process) is made again,
//! up to 8 times over about 130 ms. The pair is **not atomic**: another change can
//! land between the two, and if the second call fails the first has already happened.
//!
//! Zombies: `getpgid`, `getsid` and the limit sysctls find only live processes
//! (`proc_find`: `ESRCH`, and never `EPERM`); `kinfo_proc2` still lists a zombie. So a
//! zombie's process group and session come from `kinfo_proc2`, and its signal masks
//! (the kernel fills its ignored set as it exits) and limits are
//! [`Error::Zombie`](psx_core::Error::Zombie).
//!
//! Hidden processes: with `security.curtain` set, `kinfo_proc2` leaves out another
//! user's processes, replying with nothing as for a pid no process has. psx then asks
//! `kill(pid, 0)`: `ESRCH` is [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess),
//! anything else (the process exists) [`Error::AccessDenied`](psx_core::Error::AccessDenied),
//! which is also what its limits answer; `getpgid`/`getsid` still answer for it, inside
//! a oneshot too.
//!
//! Listing: `pids()` and `scan()` read every process's `kinfo_proc2` in one sysctl
//! (sized first, with room to grow, and read again if the table outgrew it). They list
//! what the kernel shows the caller: not the processes `security.curtain` hides, nor
//! pid 0 (the kernel's own). A scan seeds each process's oneshot with its record, so
//! name, groups, signal masks, process group and session cost no further call; only
//! limits are read per process (two sysctls per resource).
//!
//! Process handles: a `Process` pins its process by its start time,
//! `p_ustart_sec`/`p_ustart_usec`, which `fork1` stores once from the wall clock and
//! `fill_kproc2` copies as it is (compared exactly: a clock step does not move it).
//! Every read through a handle checks that the record it reads, from the oneshot or
//! fresh, has that start: a pid now held by another process is
//! [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess), never its data. Process
//! group and session come from that record, with no call by pid; a limit sysctl by pid
//! is believed, value or error, only if a fresh record read after it still shows the
//! pinned process, and setting a limit checks before too. What a handle cannot check:
//! - an exited process (a zombie, or one exiting): `fill_kproc2` gives no start time
//!   for it, so it cannot be told from a later process that took the pid and exited
//!   in turn. Its reads answer [`Error::Zombie`](psx_core::Error::Zombie) (by pid, its
//!   record still reads), and `is_running` stays true until it is reaped;
//! - a process that `security.curtain` hides, which it did not when it was pinned (it
//!   changed user): [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess), and
//!   `is_running` false, since it may as well be another user's newcomer;
//! - while an exec holds the process, `fill_kproc2` gives no start time either: the
//!   read is made again (up to 8 times over about 130 ms) before it fails with an
//!   [`Error::Os`](psx_core::Error::Os) of kind `ResourceBusy`.
//!
//! A handle made on a zombie keeps no start time: it reads as a zombie until a live
//! process has the pid, then as gone.
//!
//! Usage (headroom): each figure is what the kernel compares with the limit.
//! `RLIMIT_AS` with `vm_map.size` (`uvm_mmap`, `sys/uvm/uvm_mmap.c`), which
//! `fill_kproc2` gives in pages as `p_vm_vsize`; `RLIMIT_DATA` with `vm_dsize`
//! (`sys_obreak`), `RLIMIT_STACK` with `vm_ssize` (`uvm_grow`), `RLIMIT_CPU` with the
//! run time in seconds (`sched_pstats`), `RLIMIT_NPROC` with the processes of the real
//! user (`fork1`'s `chgproccnt`, until the process is reaped). `RLIMIT_MEMLOCK` is
//! compared with the pmap's wired count, which `kinfo_proc2` does not carry: not read.
//! `fill_kproc2` fills the figures only with `p_uvalid`: a zombie has none
//! ([`Error::Zombie`](psx_core::Error::Zombie)); a process an exec holds is read again as
//! the pin is. The figures come from the same `kinfo_proc2` as the other attributes, so
//! a scan reads them from its table at no cost. Descriptors take one sysctl per process;
//! `sysctl_kern_file2` lists nothing, and succeeds, for a zombie, a process
//! `security.curtain` hides or one an exec holds, so an empty answer is explained by
//! `kinfo_proc2` (zombie, access denied, no such process) or, for a live process, read
//! again and believed (a process may have no descriptor open). Through a `Process`, the
//! figures come from a record with the pinned start, and the descriptor count is
//! believed only if the pinned process is still there after the call.
//!
//! Inside a oneshot one `kinfo_proc2` serves name, groups, signal masks, process group
//! and session. [`decode`] is pure and builds on every host; so does [`netbsdlike`],
//! what OpenBSD's backend shares with this one (its `kinfo_proc` is the same struct
//! with other offsets); the system calls build on NetBSD only. The `sysctl` crate is
//! not used: it addresses MIBs by name or fixed `CtlValue` types, while psx needs raw
//! integer MIBs with a pid in them and a struct reply; `libc::sysctl` does that in one
//! call.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target.
//! On NetBSD this crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of `NetBsd` with a
//! [`Target`](psx_core::Target), checked as the facade checks it: `Target::new`
//! refuses a pid that names no process (0, negatives, numbers outside `pid_t`) with
//! `NoSuchProcess` before any system call; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! `set_rlimit` takes only a [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```no_run
//! # #[cfg(target_os = "netbsd")]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Limit, Pinned, Resource, Target, ValidRLimit};
//! use psx_netbsd::NetBsd;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! println!("groups {:?}, process group {}", NetBsd::groups(me)?, NetBsd::pgid(me)?);
//!
//! // 0 is refused before any system call.
//! let zero = Target::new(0).and_then(NetBsd::pgid);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: a reused pid reads as gone.
//! let pinned = Pinned::new::<NetBsd>(std::process::id())?;
//! assert_eq!(NetBsd::pgid(pinned.target())?, NetBsd::pgid(me)?);
//!
//! // Limits to set are checked first: soft above hard never reaches the kernel.
//! let nofile = NetBsd::get_rlimit(me, Resource::Nofile)?;
//! let same = ValidRLimit::for_backend::<NetBsd>(nofile)?;
//! NetBsd::set_rlimit(pinned.target(), Resource::Nofile, same)?;
//! assert!(ValidRLimit::new(Limit::Value(2), Limit::Value(1)).is_err());
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "netbsd"))]
//! # fn main() {}
//! ```
#![warn(missing_docs)]

pub mod decode;
pub mod netbsdlike;

#[cfg(target_os = "netbsd")]
mod sys;

#[cfg(target_os = "netbsd")]
pub use sys::NetBsd;
