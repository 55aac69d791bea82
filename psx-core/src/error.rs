//! The one error type every psx function returns.

use std::io;

use crate::Pid;

/// What went wrong reading or changing another process's state.
///
/// The variants mirror psutil-extra's: `NoSuchProcess` and `AccessDenied` where one
/// directly describes the failure, `Os` for the rest. [`Error::reason`] gives the
/// message without the pid, for callers (like the `psx` CLI) that print the pid themselves.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The process does not exist: it exited and was reaped, the pid was never used,
    /// the pid is zero or negative, or a pinned handle's pid now names another process.
    #[error("no such process (pid {pid})")]
    NoSuchProcess {
        /// The pid that was asked about.
        pid: Pid,
    },
    /// The process has exited (or is exiting) but has not been reaped, and the attribute
    /// went with it (Linux: a zombie has no umask). psutil calls this `ZombieProcess`.
    #[error("process is a zombie (pid {pid})")]
    Zombie {
        /// The pid that was asked about.
        pid: Pid,
    },
    /// The kernel refused (`EPERM`/`EACCES`): typically another user's process.
    #[error("access denied (pid {pid})")]
    AccessDenied {
        /// The pid that was asked about.
        pid: Pid,
    },
    /// This platform or kernel has no way to do this (`ENOTSUP`).
    #[error("not supported: {what}")]
    Unsupported {
        /// The attribute or operation, e.g. `"umask"`.
        what: &'static str,
    },
    /// The arguments are wrong whatever the process: "invalid resource specified",
    /// "current limit exceeds maximum limit", an unknown attribute name.
    #[error("{0}")]
    InvalidArgument(String),
    /// Any other failure of the OS, with the pid it concerned.
    #[error("{source} (pid {pid})")]
    Os {
        /// The pid that was asked about.
        pid: Pid,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}

/// `Result` with psx's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `InvalidArgument("invalid resource specified")`: the platform has no such resource.
    pub fn invalid_resource() -> Self {
        Error::InvalidArgument("invalid resource specified".into())
    }

    /// `InvalidArgument("current limit exceeds maximum limit")`: soft > hard.
    pub fn soft_exceeds_hard() -> Self {
        Error::InvalidArgument("current limit exceeds maximum limit".into())
    }

    /// An [`Error::Os`] of kind `InvalidData`: the kernel answered something psx cannot
    /// decode (a struct of another size, a malformed file).
    pub fn invalid_data(
        pid: Pid,
        why: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Os {
            pid,
            source: io::Error::new(io::ErrorKind::InvalidData, why),
        }
    }

    /// Maps an `errno` from a call about `pid`: `ESRCH` is [`Error::NoSuchProcess`],
    /// `EPERM`/`EACCES` [`Error::AccessDenied`], anything else [`Error::Os`].
    pub fn from_errno(pid: Pid, errno: i32) -> Self {
        Self::from_io(pid, io::Error::from_raw_os_error(errno))
    }

    /// Like [`Error::from_errno`], for an [`io::Error`].
    pub fn from_io(pid: Pid, err: io::Error) -> Self {
        #[cfg(unix)]
        match err.raw_os_error() {
            Some(libc::ESRCH) => return Error::NoSuchProcess { pid },
            Some(libc::EPERM | libc::EACCES) => return Error::AccessDenied { pid },
            _ => {}
        }
        match err.kind() {
            io::ErrorKind::PermissionDenied => Error::AccessDenied { pid },
            _ => Error::Os { pid, source: err },
        }
    }

    /// The errno of the calling thread's last failed libc call, mapped as
    /// [`Error::from_errno`] does.
    pub fn last_os_error(pid: Pid) -> Self {
        Self::from_io(pid, io::Error::last_os_error())
    }

    /// The pid the error concerns, if it concerns one.
    pub fn pid(&self) -> Option<Pid> {
        match self {
            Error::NoSuchProcess { pid }
            | Error::Zombie { pid }
            | Error::AccessDenied { pid }
            | Error::Os { pid, .. } => Some(*pid),
            Error::Unsupported { .. } | Error::InvalidArgument(_) => None,
        }
    }

    /// The error's stable kind, the same in the CLI's text and JSON:
    /// `"no_such_process"`, `"zombie"`, `"access_denied"`, `"unsupported"`,
    /// `"invalid_argument"`, `"os"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NoSuchProcess { .. } => "no_such_process",
            Error::Zombie { .. } => "zombie",
            Error::AccessDenied { .. } => "access_denied",
            Error::Unsupported { .. } => "unsupported",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::Os { .. } => "os",
        }
    }

    /// The message without the pid: `"no such process"`, `"access denied"`, ...
    pub fn reason(&self) -> String {
        match self {
            Error::NoSuchProcess { .. } => "no such process".into(),
            Error::AccessDenied { .. } => "access denied".into(),
            Error::Zombie { .. } => "process is a zombie".into(),
            Error::Os { source, .. } => source.to_string(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_mapping() {
        let pid = Pid::from(7);
        assert!(
            matches!(Error::from_errno(pid, libc::ESRCH), Error::NoSuchProcess { pid: p } if p == pid)
        );
        assert!(matches!(
            Error::from_errno(pid, libc::EPERM),
            Error::AccessDenied { .. }
        ));
        assert!(matches!(
            Error::from_errno(pid, libc::EACCES),
            Error::AccessDenied { .. }
        ));
        let other = Error::from_errno(pid, libc::EIO);
        assert!(matches!(other, Error::Os { .. }));
        assert_eq!(other.pid(), Some(pid));
        assert!(other.to_string().ends_with("(pid 7)"));
    }

    #[test]
    fn messages_are_lower_case_and_name_the_pid() {
        let e = Error::NoSuchProcess { pid: Pid::from(42) };
        assert_eq!(e.to_string(), "no such process (pid 42)");
        assert_eq!(e.reason(), "no such process");
        assert_eq!(
            Error::invalid_resource().to_string(),
            "invalid resource specified"
        );
        assert_eq!(
            Error::Unsupported { what: "umask" }.to_string(),
            "not supported: umask"
        );
        assert_eq!(Error::soft_exceeds_hard().pid(), None);
        assert_eq!(e.kind(), "no_such_process");
        assert_eq!(Error::soft_exceeds_hard().kind(), "invalid_argument");
    }
}
