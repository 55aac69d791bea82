//! `Process`: a handle that pins one process.

use psx_core::{Backend, Pinned};

use crate::os::{Os, Pin};
use crate::{
    sealed, AsPid, Attr, OneshotGuard, Op, Pid, ProcInfo, RLimit, Resource, Result, SignalMasks,
    Target, Usage,
};

/// A handle on one process, which keeps meaning that process.
///
/// A bare pid can be reused: once a process exits and is reaped, the next process to
/// start may get its number, and a call by pid then reads the newcomer. A `Process`
/// pins the process it was made for (Linux: an open `/proc/<pid>` directory), and
/// every call through it answers [`Error::NoSuchProcess`](crate::Error::NoSuchProcess) once that process is gone,
/// never the newcomer's data. Setting a limit through a handle checks that the process
/// is still the same one.
///
/// Pinning happens in [`Process::new`]: the handle pins whatever process `pid` names at
/// that moment.
///
/// ```
/// # fn main() -> psx::Result<()> {
/// let mut child = std::process::Command::new("sleep").arg("10").spawn().unwrap();
/// let proc = psx::Process::new(child.id())?;
/// assert!(proc.is_running());
/// child.kill().unwrap();
/// child.wait().unwrap();
/// assert!(!proc.is_running());
/// # #[cfg(target_os = "linux")]
/// assert!(matches!(proc.pgid(), Err(psx::Error::NoSuchProcess { .. })));
/// # Ok(())
/// # }
/// ```
///
/// Availability: every supported OS, each with its pin: Linux an open `/proc/<pid>`
/// directory (or a pidfd where `/proc` cannot show the process); macOS the kernel's
/// 64-bit unique id with the start time; FreeBSD, DragonFly, NetBSD and OpenBSD the
/// start time from `kinfo_proc` (FreeBSD sees through a clock step with
/// `kern.boottime`; OpenBSD compares within a second, its kernel deriving the start
/// from the wall clock); Solaris and illumos the start time and, for the caller's own
/// processes, the `/proc/<pid>` directory. Every record read through a handle is checked
/// against the pin; calls by pid are believed only if the pin still holds after them;
/// sets check before and after. Zombies: Linux, macOS, FreeBSD, DragonFly and Solaris
/// keep a zombie's handle working until it is reaped; NetBSD and OpenBSD keep no start
/// time for an exited process, so through its handle it answers [`Error::Zombie`](crate::Error::Zombie). On
/// an unsupported OS `new` returns [`Error::Unsupported`](crate::Error::Unsupported).
#[derive(Debug)]
pub struct Process {
    pinned: Pinned<Pin>,
}

impl Process {
    /// Pins the process `pid` names now; [`Error::NoSuchProcess`](crate::Error::NoSuchProcess) if none does.
    pub fn new(pid: impl Into<Pid>) -> Result<Self> {
        Ok(Process {
            pinned: Pinned::new::<Os>(pid).map_err(|e| e.during(Op::Pin))?,
        })
    }

    /// The calling process.
    pub fn current() -> Result<Self> {
        Process::new(Pid::current())
    }

    /// Its pid.
    pub fn pid(&self) -> Pid {
        self.pinned.pid()
    }

    /// Whether the pinned process still exists (a zombie, exited but not yet waited
    /// for, still does). False once it is gone, even if its pid names another process.
    pub fn is_running(&self) -> bool {
        Os::is_running(self.pinned.target()).unwrap_or(false)
    }

    /// Starts a oneshot for this process ([`crate::oneshot_proc`]).
    pub fn oneshot(&self) -> OneshotGuard {
        crate::oneshot_proc(self)
    }

    /// [`crate::proc_get_umask`] through this handle.
    pub fn umask(&self) -> Result<u32> {
        crate::proc_get_umask(self)
    }

    /// [`crate::proc_getgroups`] through this handle.
    pub fn groups(&self) -> Result<Vec<u32>> {
        crate::proc_getgroups(self)
    }

    /// [`crate::proc_rlimit`] through this handle: gets, or sets and returns the old limits.
    pub fn rlimit(&self, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
        crate::proc_rlimit(self, resource, new)
    }

    /// [`crate::proc_getrlimit`] through this handle.
    pub fn getrlimit(&self, resource: Resource) -> Result<RLimit> {
        crate::proc_getrlimit(self, resource)
    }

    /// [`crate::proc_get_sigmask`] through this handle.
    pub fn sigmasks(&self) -> Result<SignalMasks> {
        crate::proc_get_sigmask(self)
    }

    /// [`crate::proc_getpgid`] through this handle.
    pub fn pgid(&self) -> Result<Pid> {
        crate::proc_getpgid(self)
    }

    /// [`crate::proc_getsid`] through this handle.
    pub fn sid(&self) -> Result<Pid> {
        crate::proc_getsid(self)
    }

    /// [`crate::proc_usage`] through this handle.
    pub fn usage(&self) -> Result<Usage> {
        crate::proc_usage(self)
    }

    /// [`crate::proc_info`] through this handle.
    pub fn info(&self, attrs: &[Attr]) -> Result<ProcInfo> {
        crate::proc_info(self, attrs)
    }
}

impl sealed::Sealed for Process {}
impl AsPid for Process {
    fn pid(&self) -> Pid {
        self.pinned.pid()
    }

    fn target(&self) -> Result<Target<'_, Pin>> {
        Ok(self.pinned.target())
    }
}
