//! The FreeBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | umask | `sysctl kern.proc.umask.<pid>` (`KERN_PROC_UMASK`); needs the right to debug the process (see below), else access denied |
//! | groups | `sysctl kern.proc.groups.<pid>` (`KERN_PROC_GROUPS`), sized first and retried if it grows; in a oneshot `kinfo_proc`'s `ki_groups`, unless `KI_CRF_GRP_OVERFLOW` says it is truncated |
//! | resource limits, get | `sysctl kern.proc.rlimit.<pid>.<resource>` (`KERN_PROC_RLIMIT`); any process the caller can see |
//! | resource limits, set | the same sysctl, old and new in one call, but not atomic (see below); needs the right to debug the process |
//! | signal masks | `kinfo_proc`: `ki_siglist`, `ki_sigmask` (the first thread's), `ki_sigignore`, `ki_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; in a oneshot, and on `EPERM` or `ESRCH` (they skip zombies), `kinfo_proc`'s `ki_pgid`/`ki_sid` |
//!
//! Inside a oneshot one `kinfo_proc` serves groups, signal masks, process group and
//! session. `ki_structsize` is checked against the size psx was built for (1088 bytes on
//! 64-bit targets, 768 on i386, which is also what a 32-bit process gets from a 64-bit
//! kernel); a kernel with another layout is reported as an error, never misread.
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
//! Zombies: `kinfo_proc` and `KERN_PROC_GROUPS` still answer for a zombie, so groups,
//! signal masks, process group and session are read; the umask and limit sysctls refuse
//! an exiting process, which psx reports as [`Error::Zombie`](psx_core::Error::Zombie).
//!
//! Process handles: FreeBSD offers no pin psx uses yet (process descriptors only exist
//! for one's own children), so a `Process` here does not detect a reused pid;
//! `is_running` answers whether `kinfo_proc` still shows the pid.
//!
//! [`decode`] is pure and builds on every host; the system calls build on FreeBSD only.
//! The `sysctl` crate is not used: psx needs raw integer MIBs with a pid in them,
//! struct replies, and a read-and-write in one call, which `libc::sysctl` gives directly.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "freebsd")]
mod sys;

#[cfg(target_os = "freebsd")]
pub use sys::FreeBsd;
