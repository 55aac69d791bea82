//! The NetBSD backend of [psx](https://docs.rs/psx).
//!
//! | attribute | source |
//! |---|---|
//! | groups, signal masks | `kinfo_proc2` (`sysctl {CTL_KERN, KERN_PROC2, KERN_PROC_PID, pid, sizeof(struct kinfo_proc2), 1}`): `p_groups[..p_ngroups]`, `p_siglist`, `p_sigmask`, `p_sigignore`, `p_sigcatch` |
//! | process group, session | `getpgid(2)`/`getsid(2)`; on `EPERM` or `ESRCH`, and inside a oneshot, `kinfo_proc2`'s `p__pgid`/`p_sid` |
//! | resource limits, get and set | `sysctl proc.<pid>.rlimit.<resource>.{soft,hard}` (`{CTL_PROC, pid, PROC_PID_LIMIT, resource + 1, PROC_PID_LIMIT_TYPE_SOFT or _HARD}`, one `rlim_t` each) |
//! | umask | none: `Unsupported` |
//!
//! The `kinfo_proc2` MIB has six elements: the element size and count are part of it,
//! and the kernel rejects the four-element form some libraries pass.
//!
//! Groups: `kinfo_proc2` holds at most 16 (`KI_NGROUPS`); a process in more groups
//! shows its first 16 (NetBSD's `NGROUPS_MAX` is 16 too).
//!
//! Signal masks are 128 bits (`ki_sigset_t`). The kernel fills them for the whole
//! process: pending is what is pending for the process or any of its threads (LWPs),
//! blocked the union of its threads' masks. (Older kernels' `fill_kproc2` added the
//! process-wide pending set to blocked instead of pending; psx reports what the
//! kernel gives.)
//!
//! Limits: each side is its own sysctl, so a (soft, hard) pair is set in two calls,
//! ordered so the kernel, which refuses soft above hard at every step, never sees it
//! (hard first when it rises, soft first when it falls, soft alone when hard stays).
//! The kernel caps data, stack, nofile, nproc and nthr at its maxima as `setrlimit(2)`
//! does; after raising hard, the soft limit is capped to the hard limit the kernel
//! kept, so the result is what `setrlimit(2)` would give. The pair is **not atomic**:
//! another change can land between the two, and if the second call fails the first
//! has already happened.
//!
//! Zombies: `getpgid`, `getsid` and the limit sysctls find only live processes
//! (`proc_find`); `kinfo_proc2` still lists a zombie. So a zombie's process group and
//! session come from `kinfo_proc2`, and its limits are [`Error::Zombie`](psx_core::Error::Zombie).
//!
//! Process handles: NetBSD has no way to pin a process, so a `Process` here does not
//! detect a reused pid: `is_running` asks by pid (whether `kinfo_proc2` lists it, a
//! zombie included), like `kill(pid, 0)`.
//!
//! Inside a oneshot one `kinfo_proc2` serves groups, signal masks, process group and
//! session. [`decode`] is pure and builds on every host; the system calls build on
//! NetBSD only. The `sysctl` crate is not used: it addresses MIBs by name or fixed
//! `CtlValue` types, while psx needs raw integer MIBs with a pid in them and a struct
//! reply; `libc::sysctl` does that in one call.
#![warn(missing_docs)]

pub mod decode;

#[cfg(target_os = "netbsd")]
mod sys;

#[cfg(target_os = "netbsd")]
pub use sys::NetBsd;
