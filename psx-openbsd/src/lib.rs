//! The OpenBSD backend of [psx](https://docs.rs/psx-process).
//!
//! | attribute | source |
//! |---|---|
//! | name, groups, signal masks | `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid, sizeof(struct kinfo_proc), 1}`): `p_comm`, `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM` or `ESRCH`, inside a oneshot, and through a `Process`, `kinfo_proc`'s `p__pgid`/`p_sid` |
//! | umask, resource limits | no interface for another process: `Unsupported` |
//! | usage: nofile | `sysctl {CTL_KERN, KERN_FILE, KERN_FILE_BYPID, pid, sizeof(struct kinfo_file), count}`: the entries with `fd_fd >= 0` (not the text, cwd, root and trace pseudo-entries, -1 to -4); the count, and the highest `fd_fd` |
//! | usage: data, stack, rss | `kinfo_proc`'s `p_vm_dsize` (`vm_dused`), `p_vm_ssize`, `p_vm_rssize` (pages, times the page size: bytes) |
//! | usage: cpu | `kinfo_proc`'s `p_rtime_sec` (the process's run time, whole seconds) |
//! | usage: nproc (in a scan) | `kinfo_proc`'s `p_ruid`, 1 per process |
//! | usage: as, memlock (and nice/rtprio: no such limits) | none |
//! | listing (`pids`, `scan`) | one `sysctl {CTL_KERN, KERN_PROC, KERN_PROC_ALL, 0, sizeof(struct kinfo_proc), count}` |
//! | `Process` pin | `kinfo_proc`'s `p_ustart_sec`/`p_ustart_usec` |
//!
//! The MIB has six elements: the element size and count are part of it, and the
//! kernel rejects the four-element form.
//!
//! Groups: `kinfo_proc` holds at most 16 (`KI_NGROUPS`, as is `NGROUPS_MAX`); a larger
//! count would show the first 16. The name is `p_comm`, at most 16 bytes
//! (`MAXCOMLEN`). Signal sets are 32 bits (signals 1 to 32): pending is the process's
//! and its main thread's, blocked the main thread's mask.
//!
//! Session: OpenBSD keeps no session id of its own, only the leader. Once the
//! session leader has exited, `getsid(2)` answers `ESRCH` for the processes left in
//! the session and `kinfo_proc` gives `p_sid` 0; psx then reports session 0, what
//! the kernel itself reports, not "no such process".
//!
//! Zombies: `getpgid`/`getsid` skip them (`prfind`); `kinfo_proc` still lists them,
//! so their process group and session come from it.
//!
//! Listing: `pids()` and `scan()` read every process's `kinfo_proc` in one sysctl
//! (sized first, with room to grow, and read again if the table outgrew it), one
//! record per process (threads are not asked for). The kernel lists every process to
//! every caller, except its own system processes (`PS_SYSTEM`: the swapper, pid 0, and
//! the kernel threads), which are left out as `ps -ax` leaves them out without `-k`.
//! A scan seeds each process's oneshot with its record, so name, groups, signal masks,
//! process group and session cost no further call.
//!
//! Process handles: a `Process` pins its process by its start time,
//! `p_ustart_sec`/`p_ustart_usec`. `fill_kproc` derives it on each read from the wall
//! clock (the boot time plus the process's start in uptime), so setting the clock
//! moves it: two readings match within a second. A step over a second makes the
//! handle's process read as gone ([`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess)),
//! never as another; a newcomer on the pid within a second of the pinned process's
//! start would pass for it, which OpenBSD's random pids, never reused while among the
//! last ones freed, make a remote case. Every read through a handle checks that the
//! record it reads, from the oneshot or fresh, has that start: a pid now held by
//! another process is [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess), never
//! its data; process group and session come from that record, with no call by pid.
//! An exited process (a zombie, or one exiting: `fill_kproc` gives no start time once
//! `PS_EXITING` is set) cannot be told from a later process that took the pid and
//! exited in turn: through a handle its reads answer
//! [`Error::Zombie`](psx_core::Error::Zombie) (by pid, its record still reads), and
//! `is_running` stays true until it is reaped. A handle made on a zombie reads as a
//! zombie until a live process has the pid, then as gone.
//!
//! Usage (headroom): the figures are what the kernel compares with each limit:
//! `vm_dused` for `RLIMIT_DATA` (`sys_mmap` and `uvm_map`: every private writable
//! mapping, not only the break), `vm_ssize` for `RLIMIT_STACK` (`uvm_grow`), the run
//! time for `RLIMIT_CPU` (`rucheck`), the real user's processes for `RLIMIT_NPROC`
//! (`fork1`). The limits themselves cannot be read for another process here. There is
//! no `RLIMIT_AS` (and `p_vm_map_size` is never filled); `RLIMIT_MEMLOCK` is compared
//! with the pmap's wired count, which no field carries. A zombie's memory figures are
//! gone ([`Error::Zombie`](psx_core::Error::Zombie)), its run time stays. The figures
//! come from the `kinfo_proc` the other attributes use, so a scan reads them from its
//! table; descriptors take one sysctl per process, which answers `ESRCH` for an exiting
//! or exited process (then [`Error::Zombie`](psx_core::Error::Zombie), as its record
//! shows) and makes no permission check. Through a `Process` the count is believed
//! only if the pinned process is still there after the call.
//!
//! Inside a oneshot one `kinfo_proc` serves name, groups, signal masks, process group
//! and session. [`decode`] is pure and builds on every host; what it shares with
//! NetBSD's `kinfo_proc2` (the same struct with other offsets), and the backend logic
//! above the system calls, are in [`psx_netbsd::netbsdlike`]. The system calls build on
//! OpenBSD only. The `sysctl` crate is not used: it does not support OpenBSD, and
//! `libc::sysctl` with the integer MIB is one call.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target.
//! On OpenBSD this crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of `OpenBsd` with a
//! [`Target`](psx_core::Target), checked as the facade checks it: `Target::new`
//! refuses a pid that names no process (0, negatives, numbers outside `pid_t`) with
//! `NoSuchProcess` before any system call; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! `set_rlimit` takes only a [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```no_run
//! # #[cfg(target_os = "openbsd")]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Pinned, Target};
//! use psx_openbsd::OpenBsd;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! println!("groups {:?}, process group {}", OpenBsd::groups(me)?, OpenBsd::pgid(me)?);
//!
//! // 0 is refused before any system call.
//! let zero = Target::new(0).and_then(OpenBsd::pgid);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: a reused pid reads as gone.
//! let pinned = Pinned::new::<OpenBsd>(std::process::id())?;
//! assert_eq!(OpenBsd::pgid(pinned.target())?, OpenBsd::pgid(me)?);
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "openbsd"))]
//! # fn main() {}
//! ```
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "openbsd")]
mod sys;

#[cfg(target_os = "openbsd")]
pub use sys::OpenBsd;
