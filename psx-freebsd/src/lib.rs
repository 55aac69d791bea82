//! The FreeBSD backend of [psx](https://docs.rs/psx-process) (the `psx-process` crate).
//!
//! | attribute | source |
//! |---|---|
//! | name (`comm`) | `kinfo_proc`'s `ki_comm` (`p_comm`, at most 19 bytes) |
//! | umask | `sysctl kern.proc.umask.<pid>` (`KERN_PROC_UMASK`); needs the right to debug the process (see below), else access denied |
//! | groups | `sysctl kern.proc.groups.<pid>` (`KERN_PROC_GROUPS`), sized first and retried if it grows; in a oneshot `kinfo_proc`'s `ki_groups`, unless `KI_CRF_GRP_OVERFLOW` says it is truncated |
//! | resource limits, get | `sysctl kern.proc.rlimit.<pid>.<resource>` (`KERN_PROC_RLIMIT`); any process the caller can see |
//! | resource limits, set | the same sysctl, old and new in one call, but not atomic (see below); needs the right to debug the process |
//! | signal masks | `kinfo_proc`: `ki_siglist`, `ki_sigmask` (the first thread's), `ki_sigignore`, `ki_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; in a oneshot, through a `Process`, and on `EPERM` or `ESRCH` (they skip zombies), `kinfo_proc`'s `ki_pgid`/`ki_sid` |
//! | pid-reuse detection (`Process`) | `kinfo_proc`'s `ki_start`, and `kern.boottime` when the clock was stepped (see below) |
//! | listing (`pids`, `scan`) | `sysctl kern.proc.proc` (`KERN_PROC_PROC`): every process's `kinfo_proc` in one call |
//! | usage (headroom) | see the table below |
//!
//! Usage, in the units of each limit (the figure the kernel checks the limit against):
//!
//! | resource | source |
//! |---|---|
//! | `nofile` count, highest fd | `sysctl kern.proc.filedesc.<pid>` (`KERN_PROC_FILEDESC`): the records with `kf_fd >= 0`, their number and the largest; needs the right to debug the process (else access denied); a zombie is [`Error::Zombie`](psx_core::Error::Zombie). `kern.proc.nfds` answers only for the caller itself |
//! | `as` | `kinfo_proc`'s `ki_size` (`vm_map.size`, bytes) |
//! | `data` | `ki_dsize` (`vm_dsize`, pages) × page size |
//! | `stack` | `ki_ssize` (`vm_ssize`, pages) × page size |
//! | `rss` | `ki_rssize` (resident pages, plus each thread's kernel stack pages) × page size |
//! | `cpu` | `ki_runtime` (microseconds of user, system and interrupt time, what `RLIMIT_CPU` is checked against), whole seconds |
//! | `nproc` | in a scan: processes (not threads) per `ki_ruid`, zombies included |
//! | `memlock` | none: the pmap's wired page count it is checked against is not exported |
//! | `nice`, `rtprio`, `sigpending` | none: FreeBSD has no such limits |
//!
//! The memory figures and CPU time come from the same `kinfo_proc` as the other
//! attributes, so a scan reads them with the table and a oneshot with its one record.
//! A zombie's memory figures are left 0 by the kernel: they are
//! [`Error::Zombie`](psx_core::Error::Zombie), its CPU time is still read. Counting
//! descriptors costs two sysctls per process (size, then read). A 32-bit build reading
//! a 64-bit process gets `ki_size` cut to 32 bits by the kernel's compat layer.
//!
//! Inside a oneshot one `kinfo_proc` serves the name, groups, signal masks, process
//! group and session, and the memory, CPU and real-uid figures of the usage. `ki_structsize` is checked against the size psx was built for
//! (1088 bytes on 64-bit targets, 768 on i386, which is also what a 32-bit process gets
//! from a 64-bit kernel), in every record of the whole table too; a kernel with another
//! layout is reported as an error, never misread.
//!
//! Thread ids: FreeBSD numbers threads above `PID_MAX` (99999), and the kernel looks
//! any such id up as a thread for every `kern.proc` sysctl psx uses (`pget()`), answering
//! for the thread's process. psx answers [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess) for
//! an id above `PID_MAX` without asking the kernel, as `getpgid(2)` does, and checks
//! `ki_pid` in every `kinfo_proc` it reads.
//!
//! Groups: on every release the list starts with the effective gid, followed by the
//! supplementary groups; both `kinfo_proc` and `KERN_PROC_GROUPS` still give it so on
//! FreeBSD 15, where only `getgroups(2)` and `setgroups(2)` changed to leave it out.
//!
//! Debugging rights (`p_candebug`), which reading the umask and setting limits need: the
//! caller's effective uid equals all three of the target's uids, the target's groups are
//! all among the caller's, the target has not changed credentials since its last exec
//! (`P_SUGID`), `security.bsd.unprivileged_proc_debug` is on, and the target is not init
//! while the securelevel is above 0; a privileged caller needs none of that. "Same user"
//! is not enough. A process in `execve` answers `EBUSY` for a moment: psx asks again, a
//! few times, before reporting it. Reading limits needs only that the caller can see the
//! process (`p_cansee`); a process the caller cannot see (other users' with
//! `security.bsd.see_other_uids=0`, other jails) is [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess).
//!
//! Setting limits: the sysctl holds the process for the whole call, so the pid cannot
//! change hands, but drops its lock between reading the old pair and setting the new one,
//! so another `setrlimit` can land in between and the "old" pair returned may not be the
//! one replaced. Raising either value above the current hard limit needs privilege
//! (else access denied); what the kernel accepts it may still install lower than asked,
//! without an error: data, stack, nofile and nproc are capped at the system maxima, as
//! `setrlimit(2)` caps them. The pair returned is the one from before; read the limits
//! again for what was installed. A resource the running kernel lacks (`vmm` before
//! FreeBSD 15, `pipebuf` on older ones) is `InvalidArgument("invalid resource specified")`
//! and is left out of a process's list of limits.
//!
//! Zombies: `kinfo_proc` and `KERN_PROC_GROUPS` still answer for a zombie, so its name,
//! groups, signal masks, process group and session are read; the umask and limit sysctls refuse
//! an exiting process, which psx reports as [`Error::Zombie`](psx_core::Error::Zombie).
//!
//! Process handles: a `Process` pins its process by `ki_start`, the time it was forked
//! ([`decode::StartPin`]); a pid is reused only after its process is reaped, and the
//! newcomer forks later. Every read through a handle checks that the `kinfo_proc` it
//! reads, fresh or the oneshot's, has the pinned start, and a call by pid (the umask
//! and limit sysctls, and the group list when `kinfo_proc` truncates it) checks the
//! pin again after the call, before its answer or its error is believed: once the pid
//! names another process, every call through the handle is
//! [`Error::NoSuchProcess`](psx_core::Error::NoSuchProcess), never the newcomer's values
//! or its [`Error::AccessDenied`](psx_core::Error::AccessDenied). Setting a limit checks
//! the pin before and after; between the check and the call the pid can still change
//! hands, and the set then lands on the newcomer (and is reported as `NoSuchProcess`).
//! `ki_start` is boot time plus uptime, so a step of the clock (`settimeofday`, ntpd,
//! resuming) moves it for every process: the start is compared to the microsecond, and
//! when it differs psx reads `kern.boottime` around a fresh `kinfo_proc` and compares
//! the start counted from boot, which no clock step moves. A zombie keeps its start
//! (`p_stats` lives as long as the `struct proc`), so a handle to a zombie still works:
//! `is_running` is true, the name, groups, masks, group and session are read, the umask
//! and limits are [`Error::Zombie`](psx_core::Error::Zombie). Making a handle costs three
//! sysctls (`kern.boottime`, `kinfo_proc`, `kern.boottime`); a read through one costs
//! at most one `kinfo_proc` more than a read by pid (none for what `kinfo_proc` holds),
//! and after a clock step one more `kinfo_proc` between two reads of the boot time.
//!
//! Listing: [`psx::pids`](https://docs.rs/psx-process/latest/psx/fn.pids.html)
//! and [`psx::scan`](https://docs.rs/psx-process/latest/psx/fn.scan.html) read the
//! whole process table with one `KERN_PROC_PROC` sysctl (sized first, with room to
//! grow, asked again if it grew): every process the caller may see
//! (`security.bsd.see_other_uids`, jails), zombies included, ascending by pid. A scan
//! serves the name, groups, signal masks, process group and session of every process
//! from that one read; the umask costs one sysctl per process and the limits one per
//! process and resource.
//!
//! [`decode`] and [`backend`] are pure and build on every host (the backend's logic is
//! tested there against a fake kernel); the system calls build on FreeBSD only.
//! The `sysctl` crate is not used: psx needs raw integer MIBs with a pid in them,
//! struct replies, and a read-and-write in one call, which `libc::sysctl` gives directly.
//!
//! # Using this crate alone
//!
//! Most programs want the `psx-process` facade, which picks the backend for the target.
//! On FreeBSD this crate works on its own too: call the
//! [`Backend`](psx_core::Backend) methods of `FreeBsd` with a
//! [`Target`](psx_core::Target), checked as the facade checks it: `Target::new`
//! refuses a pid that names no process (0, negatives, numbers outside `pid_t`) with
//! `NoSuchProcess` before any system call; a pinned target comes only from a
//! [`Pinned`](psx_core::Pinned), which keeps the pin with the pid it was made for; and
//! `set_rlimit` takes only a [`ValidRLimit`](psx_core::ValidRLimit), soft at most hard.
//!
//! ```no_run
//! # #[cfg(target_os = "freebsd")]
//! # fn main() -> psx_core::Result<()> {
//! use psx_core::{Backend, Error, Limit, Pinned, Resource, Target, ValidRLimit};
//! use psx_freebsd::FreeBsd;
//!
//! // The caller itself, by pid.
//! let me = Target::new(std::process::id())?;
//! println!("groups {:?}, process group {}", FreeBsd::groups(me)?, FreeBsd::pgid(me)?);
//!
//! // 0 is refused before any system call.
//! let zero = Target::new(0).and_then(FreeBsd::pgid);
//! assert!(matches!(zero, Err(Error::NoSuchProcess { .. })));
//!
//! // A handle: a reused pid reads as gone.
//! let pinned = Pinned::new::<FreeBsd>(std::process::id())?;
//! assert_eq!(FreeBsd::pgid(pinned.target())?, FreeBsd::pgid(me)?);
//!
//! // Limits to set are checked first: soft above hard never reaches the kernel.
//! let nofile = FreeBsd::get_rlimit(me, Resource::Nofile)?;
//! let same = ValidRLimit::for_backend::<FreeBsd>(nofile)?;
//! FreeBsd::set_rlimit(pinned.target(), Resource::Nofile, same)?;
//! assert!(ValidRLimit::new(Limit::Value(2), Limit::Value(1)).is_err());
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "freebsd"))]
//! # fn main() {}
//! ```
#![warn(missing_docs)]

pub mod backend;
pub mod decode;
#[cfg(test)]
mod fixtures;

#[cfg(target_os = "freebsd")]
mod sys;

#[cfg(target_os = "freebsd")]
pub use sys::{FreeBsd, Syscalls};
