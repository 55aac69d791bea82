//! [`AsPid`] for the pid types of other crates, behind features of the same name, so
//! their pids pass straight in.

#[cfg(any(
    all(unix, feature = "nix"),
    all(unix, feature = "rustix"),
    feature = "sysinfo"
))]
use crate::{sealed, AsPid, Pid};

/// `nix::unistd::Pid` (feature `nix`, Unix).
#[cfg(all(unix, feature = "nix"))]
impl sealed::Sealed for nix::unistd::Pid {}
#[cfg(all(unix, feature = "nix"))]
impl AsPid for nix::unistd::Pid {
    fn pid(&self) -> Pid {
        Pid::from(self.as_raw())
    }
}

/// `rustix::process::Pid` (feature `rustix`, Unix).
#[cfg(all(unix, feature = "rustix"))]
impl sealed::Sealed for rustix::process::Pid {}
#[cfg(all(unix, feature = "rustix"))]
impl AsPid for rustix::process::Pid {
    fn pid(&self) -> Pid {
        Pid::from(self.as_raw_nonzero().get())
    }
}

/// `sysinfo::Pid` (feature `sysinfo`, sysinfo 0.36).
#[cfg(feature = "sysinfo")]
impl sealed::Sealed for sysinfo::Pid {}
#[cfg(feature = "sysinfo")]
impl AsPid for sysinfo::Pid {
    fn pid(&self) -> Pid {
        Pid::from(self.as_u32())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[allow(unused_imports)]
    use crate::AsPid;

    #[cfg(feature = "nix")]
    #[test]
    fn nix_pids_pass_straight_in() {
        let me = nix::unistd::getpid();
        assert_eq!(me.pid().as_raw(), me.as_raw());
        assert!(crate::proc_getpgid(me).is_ok());
    }

    #[cfg(feature = "rustix")]
    #[test]
    fn rustix_pids_pass_straight_in() {
        let me = rustix::process::getpid();
        assert_eq!(me.pid().as_raw(), me.as_raw_nonzero().get());
        assert!(crate::proc_getsid(me).is_ok());
    }

    #[cfg(feature = "sysinfo")]
    #[test]
    fn sysinfo_pids_pass_straight_in() {
        let me = sysinfo::Pid::from_u32(std::process::id());
        assert_eq!(me.pid().as_raw() as u32, std::process::id());
        assert!(crate::proc_getgroups(me).is_ok());
    }
}
