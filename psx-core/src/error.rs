//! The one error type every psx function returns, and [`Op`], what it was doing.

use std::fmt;
use std::io;

use crate::{Pid, Resource};

/// What psx was doing when an [`Error`] happened: the attribute being read or the limit
/// being set. [`Error::op`] gives it; [`Error::reason`] and the error's `Display` say it
/// in words ("getting the nofile limit").
///
/// The `psx` facade and [`info`](crate::info) attach it ([`Error::during`]), so a
/// backend needs not know which public call it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// Reading the process's name (`comm`).
    Comm,
    /// Reading the umask.
    Umask,
    /// Reading the supplementary groups.
    Groups,
    /// Getting the limits of a resource.
    GetRlimit(Resource),
    /// Setting the limits of a resource.
    SetRlimit(Resource),
    /// Reading the signal masks.
    Sigmasks,
    /// Reading the process group id.
    Pgid,
    /// Reading the session id.
    Sid,
    /// Reading what the process uses of its limits.
    Usage,
    /// Pinning the process for a handle (`Process::new`).
    Pin,
    /// Listing the processes (`pids`, `scan`).
    List,
}

impl fmt::Display for Op {
    /// What was being done, as a phrase that follows "access denied" or "error":
    /// `"reading the umask"`, `"getting the nofile limit"`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Comm => f.write_str("reading the name"),
            Op::Umask => f.write_str("reading the umask"),
            Op::Groups => f.write_str("reading the groups"),
            Op::GetRlimit(r) => write!(f, "getting the {r} limit"),
            Op::SetRlimit(r) => write!(f, "setting the {r} limit"),
            Op::Sigmasks => f.write_str("reading the signal masks"),
            Op::Pgid => f.write_str("reading the process group"),
            Op::Sid => f.write_str("reading the session id"),
            Op::Usage => f.write_str("reading the resource usage"),
            Op::Pin => f.write_str("pinning the process"),
            Op::List => f.write_str("listing processes"),
        }
    }
}

/// `" <op>"`, or nothing: what follows "access denied".
struct During<'a>(&'a Option<Op>);

impl fmt::Display for During<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(op) => write!(f, " {op}"),
            None => Ok(()),
        }
    }
}

/// `"error <op>: "`, or nothing: what precedes an OS error's own text.
struct ErrorDuring<'a>(&'a Option<Op>);

impl fmt::Display for ErrorDuring<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(op) => write!(f, "error {op}: "),
            None => Ok(()),
        }
    }
}

/// What the OS said, as `strerror` says it: an `io::Error` of an errno without std's
/// `" (os error N)"` suffix (the errno stays in [`io::Error::raw_os_error`]).
struct OsText<'a>(&'a io::Error);

impl fmt::Display for OsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let Some(code) = self.0.raw_os_error() else {
            return f.write_str(&text);
        };
        // std writes `{strerror} (os error {code})`; under Miri the strerror it is given
        // already ends so, hence every such suffix goes.
        let suffix = format!(" (os error {code})");
        let mut bare = text.as_str();
        while let Some(shorter) = bare.strip_suffix(&suffix) {
            bare = shorter;
        }
        f.write_str(bare)
    }
}

/// What went wrong reading or changing another process's state.
///
/// The variants mirror psutil-extra's: `NoSuchProcess` and `AccessDenied` where one
/// directly describes the failure, `Os` for the rest. Each has a stable
/// [`kind`](Error::kind); `AccessDenied` and `Os` also say what was being done
/// ([`Error::op`]) and keep what the OS said as their
/// [`source`](std::error::Error::source), an [`io::Error`] (so `EPERM` and `EACCES`
/// stay apart). [`Error::reason`] gives the message without the pid, with the OS's
/// text, for callers (like the `psx` CLI) that print the pid themselves.
///
/// ```
/// use std::error::Error as _;
/// use psx_core::{Error, Op, Pid, Resource};
///
/// let err = Error::from_errno(Pid::from(1260), libc::EPERM).during(Op::GetRlimit(Resource::As));
/// assert_eq!(err.to_string(), "access denied getting the as limit (pid 1260)");
/// assert_eq!(err.kind(), "access_denied");
/// assert_eq!(err.op(), Some(Op::GetRlimit(Resource::As)));
/// let os = err.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
/// assert_eq!(os.raw_os_error(), Some(libc::EPERM));
/// ```
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
    /// Made with [`Error::access_denied`] or [`Error::from_io`].
    #[error("access denied{} (pid {pid})", During(op))]
    #[non_exhaustive]
    AccessDenied {
        /// The pid that was asked about.
        pid: Pid,
        /// What was being done, once known.
        op: Option<Op>,
        /// What the OS said (`EPERM`, `EACCES`), where the refusal came as an error of
        /// its own; `None` where psx inferred it (e.g. `/proc` hiding the process).
        #[source]
        source: Option<io::Error>,
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
    /// Any other failure of the OS, with the pid it concerned. Made with [`Error::os`]
    /// or [`Error::from_io`].
    #[error("{}{} (pid {pid})", ErrorDuring(op), OsText(source))]
    #[non_exhaustive]
    Os {
        /// The pid that was asked about.
        pid: Pid,
        /// What was being done, once known.
        op: Option<Op>,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}

/// `Result` with psx's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `AccessDenied` for `pid` with no OS error behind it: psx concluded it (a process
    /// that exists but that `/proc` or the kernel's tables hide, a record the kernel
    /// withholds). A refusal the OS reported is [`Error::from_io`]'s, which keeps it.
    pub fn access_denied(pid: Pid) -> Self {
        Error::AccessDenied {
            pid,
            op: None,
            source: None,
        }
    }

    /// `Os` for `pid`: `source` as it is, not mapped as [`Error::from_io`] maps it.
    pub fn os(pid: Pid, source: io::Error) -> Self {
        Error::Os {
            pid,
            op: None,
            source,
        }
    }

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
        Self::os(pid, io::Error::new(io::ErrorKind::InvalidData, why))
    }

    /// Maps an `errno` from a call about `pid`: `ESRCH` is [`Error::NoSuchProcess`],
    /// `EPERM`/`EACCES` [`Error::AccessDenied`] (keeping the errno as its source),
    /// anything else [`Error::Os`].
    pub fn from_errno(pid: Pid, errno: i32) -> Self {
        Self::from_io(pid, io::Error::from_raw_os_error(errno))
    }

    /// Like [`Error::from_errno`], for an [`io::Error`], which becomes the source of
    /// an `AccessDenied` or `Os`.
    pub fn from_io(pid: Pid, err: io::Error) -> Self {
        #[cfg(unix)]
        match err.raw_os_error() {
            Some(libc::ESRCH) => return Error::NoSuchProcess { pid },
            Some(libc::EPERM | libc::EACCES) => {
                return Error::AccessDenied {
                    pid,
                    op: None,
                    source: Some(err),
                }
            }
            _ => {}
        }
        match err.kind() {
            io::ErrorKind::PermissionDenied => Error::AccessDenied {
                pid,
                op: None,
                source: Some(err),
            },
            _ => Self::os(pid, err),
        }
    }

    /// The errno of the calling thread's last failed libc call, mapped as
    /// [`Error::from_errno`] does.
    pub fn last_os_error(pid: Pid) -> Self {
        Self::from_io(pid, io::Error::last_os_error())
    }

    /// The error, saying it happened while doing `op`: sets the [`Error::op`] of an
    /// `AccessDenied` or `Os` that has none yet (the innermost, most precise, wins);
    /// other errors are returned as they are.
    #[must_use]
    pub fn during(mut self, op: Op) -> Self {
        if let Error::AccessDenied { op: slot, .. } | Error::Os { op: slot, .. } = &mut self {
            slot.get_or_insert(op);
        }
        self
    }

    /// What was being done, where known: set for `AccessDenied` and `Os` errors that
    /// came through the `psx` facade or [`info`](crate::info).
    pub fn op(&self) -> Option<Op> {
        match self {
            Error::AccessDenied { op, .. } | Error::Os { op, .. } => *op,
            _ => None,
        }
    }

    /// The pid the error concerns, if it concerns one.
    pub fn pid(&self) -> Option<Pid> {
        match self {
            Error::NoSuchProcess { pid }
            | Error::Zombie { pid }
            | Error::AccessDenied { pid, .. }
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

    /// The message without the pid, with what was being done and what the OS said:
    /// `"no such process"`, `"access denied getting the as limit: Operation not
    /// permitted"`, `"error reading the umask: Input/output error"`, ...
    pub fn reason(&self) -> String {
        match self {
            Error::NoSuchProcess { .. } => "no such process".into(),
            Error::AccessDenied {
                op, source: None, ..
            } => format!("access denied{}", During(op)),
            Error::AccessDenied {
                op,
                source: Some(source),
                ..
            } => format!("access denied{}: {}", During(op), OsText(source)),
            Error::Zombie { .. } => "process is a zombie".into(),
            Error::Os { op, source, .. } => format!("{}{}", ErrorDuring(op), OsText(source)),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// The OS error behind `err`, as a caller finds it through `source()`.
    fn os_error(err: &Error) -> Option<&io::Error> {
        err.source()?.downcast_ref::<io::Error>()
    }

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
    fn access_denied_keeps_the_errno_as_its_source() {
        let pid = Pid::from(1260);
        let eperm = Error::from_errno(pid, libc::EPERM);
        let eacces = Error::from_io(pid, io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(
            os_error(&eperm).and_then(io::Error::raw_os_error),
            Some(libc::EPERM)
        );
        assert_eq!(
            os_error(&eacces).and_then(io::Error::raw_os_error),
            Some(libc::EACCES)
        );
        assert_eq!(
            (eperm.kind(), eacces.kind()),
            ("access_denied", "access_denied")
        );
        // One that psx concluded has no source, and says no more than it knows.
        let inferred = Error::access_denied(pid);
        assert!(inferred.source().is_none());
        assert_eq!(inferred.to_string(), "access denied (pid 1260)");
        assert_eq!(inferred.reason(), "access denied");
        // A permission error that carries no errno is a denial too, kept as well.
        let custom = Error::from_io(
            pid,
            io::Error::new(io::ErrorKind::PermissionDenied, "refused"),
        );
        assert_eq!(custom.kind(), "access_denied");
        assert_eq!(os_error(&custom).unwrap().to_string(), "refused");
        // The other kinds have no OS error behind them.
        assert!(Error::from_errno(pid, libc::ESRCH).source().is_none());
        assert!(Error::soft_exceeds_hard().source().is_none());
    }

    #[test]
    fn errors_say_what_was_being_done() {
        let pid = Pid::from(1260);
        let err = Error::from_errno(pid, libc::EPERM).during(Op::GetRlimit(Resource::As));
        assert_eq!(err.op(), Some(Op::GetRlimit(Resource::As)));
        assert_eq!(
            err.to_string(),
            "access denied getting the as limit (pid 1260)"
        );
        // The OS's text as strerror gives it, without std's "(os error 1)".
        assert!(
            err.reason()
                .starts_with("access denied getting the as limit: "),
            "{}",
            err.reason()
        );
        assert!(!err.reason().contains("os error"), "{}", err.reason());
        #[cfg(target_os = "linux")]
        assert_eq!(
            err.reason(),
            "access denied getting the as limit: Operation not permitted"
        );
        // The first op given stays: the innermost caller knows best.
        let err = err.during(Op::Pin);
        assert_eq!(err.op(), Some(Op::GetRlimit(Resource::As)));
        assert_eq!(
            os_error(&err).and_then(io::Error::raw_os_error),
            Some(libc::EPERM)
        );

        let eio = io::Error::from_raw_os_error(libc::EIO);
        let err = Error::from_io(pid, eio).during(Op::SetRlimit(Resource::Nofile));
        assert_eq!(err.kind(), "os");
        assert_eq!(err.op(), Some(Op::SetRlimit(Resource::Nofile)));
        #[cfg(target_os = "linux")]
        assert_eq!(
            err.reason(),
            "error setting the nofile limit: Input/output error"
        );
        assert!(!err.reason().contains("os error"), "{}", err.reason());
        assert_eq!(err.to_string(), format!("{} (pid 1260)", err.reason()));
        assert_eq!(
            os_error(&err).and_then(io::Error::raw_os_error),
            Some(libc::EIO)
        );
        // Without an op, just what the OS said; a message of psx's own, whole.
        let bare = Error::from_io(pid, io::Error::from_raw_os_error(libc::EIO)).reason();
        assert_eq!(
            err.reason(),
            format!("error setting the nofile limit: {bare}")
        );
        assert_eq!(
            Error::invalid_data(pid, "bad record").reason(),
            "bad record"
        );

        // Where no operation matters the message is unchanged, and gets no op.
        let gone = Error::NoSuchProcess { pid: Pid::from(7) }.during(Op::Umask);
        assert_eq!(gone.to_string(), "no such process (pid 7)");
        assert_eq!(gone.reason(), "no such process");
        assert_eq!(gone.op(), None);
        let zombie = Error::Zombie { pid: Pid::from(7) }.during(Op::Umask);
        assert_eq!(zombie.reason(), "process is a zombie");
        assert_eq!(zombie.kind(), "zombie");
        assert_eq!(Error::soft_exceeds_hard().during(Op::Pin).op(), None);
    }

    #[test]
    fn every_op_reads_as_a_phrase() {
        let r = Resource::Nofile;
        let ops = [
            (Op::Comm, "reading the name"),
            (Op::Umask, "reading the umask"),
            (Op::Groups, "reading the groups"),
            (Op::GetRlimit(r), "getting the nofile limit"),
            (Op::SetRlimit(r), "setting the nofile limit"),
            (Op::Sigmasks, "reading the signal masks"),
            (Op::Pgid, "reading the process group"),
            (Op::Sid, "reading the session id"),
            (Op::Usage, "reading the resource usage"),
            (Op::Pin, "pinning the process"),
            (Op::List, "listing processes"),
        ];
        for (op, text) in ops {
            assert_eq!(op.to_string(), text);
            assert_eq!(
                Error::access_denied(Pid::from(3)).during(op).reason(),
                format!("access denied {text}")
            );
        }
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
