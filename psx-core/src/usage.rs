//! How much of each limited resource a process uses: the other half of its limits.

use std::fmt;

use crate::{Error, RLimit, Resource, ResourceMap};

/// What a process uses of the resources its limits cap ([`Attr::Usage`](crate::Attr)).
///
/// Each figure is in the units of the resource's limit, so that `used / soft` is the
/// share of the limit in use:
///
/// | resource | usage |
/// |---|---|
/// | `nofile` | open descriptors (a count; see also [`Usage::highest_fd`]) |
/// | `as`, `data`, `stack`, `rss`, `memlock` | bytes, as the kernel accounts them for the limit |
/// | `cpu` | CPU seconds used (user + system), whole seconds |
/// | `nice` | the limit's scale: `20 - nice` on Linux (1 at nice 19, 40 at nice -20) |
/// | `rtprio` | the real-time priority (0 for a normal process) |
/// | `sigpending` | signals queued for the process's real user (Linux `SigQ`) |
/// | `nproc` | processes (Linux: threads) of the process's real user, in a [`scan`](crate::scan_each) only |
///
/// A resource whose use this OS cannot tell, or that access was denied to, is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Usage {
    /// Per resource, the amount in use.
    pub used: ResourceMap<u64>,
    /// The highest open descriptor number, when known and any is open. `RLIMIT_NOFILE`
    /// caps descriptor numbers, not their count: `dup2` or `F_DUPFD` to a number at or
    /// above the soft limit fails even when few are open.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub highest_fd: Option<u64>,
}

impl Usage {
    /// The resources [`Backend::usage`](crate::Backend::usage) is asked about, whether
    /// or not the platform can read their limits (NOFILE comes from
    /// [`Backend::open_files`](crate::Backend::open_files), NPROC from a scan).
    pub const MEASURED: &'static [Resource] = &[
        Resource::Cpu,
        Resource::Data,
        Resource::Stack,
        Resource::Rss,
        Resource::Memlock,
        Resource::As,
        Resource::Sigpending,
        Resource::Nice,
        Resource::Rtprio,
    ];

    /// The share of `limit`'s soft value that `resource`'s use takes, as a percentage
    /// (above 100 when a process uses more than a limit lowered after the fact);
    /// `None` when the use is unknown or the soft limit is unlimited. A soft limit of
    /// 0 with some use is `f64::INFINITY`; with none, 0.
    pub fn percent_of(&self, resource: Resource, limit: RLimit) -> Option<f64> {
        let used = *self.used.get(&resource)?;
        let soft = limit.soft.value()?;
        Some(match soft {
            0 if used == 0 => 0.0,
            0 => f64::INFINITY,
            soft => used as f64 * 100.0 / soft as f64,
        })
    }
}

/// The open descriptors of a process: how many, and the highest number
/// ([`Backend::open_files`](crate::Backend::open_files)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenFiles {
    /// How many are open.
    pub count: u64,
    /// The highest open descriptor number, `None` when none is open or only the count
    /// could be read (Linux: a process whose descriptors may not be listed).
    pub highest: Option<u64>,
}

/// The real user a process counts against for `RLIMIT_NPROC`, and how many of that
/// limit's units it adds (Linux: its threads; elsewhere 1): what a scan sums per user
/// ([`Backend::nproc_share`](crate::Backend::nproc_share)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NprocShare {
    /// The real user id.
    pub ruid: u32,
    /// Threads on Linux, 1 elsewhere.
    pub count: u64,
}

/// `resource=used` pairs, then `highest_fd=N`: `nofile=12 as=4096000 highest_fd=14`.
impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (resource, used) in &self.used {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{resource}={used}")?;
        }
        if let Some(fd) = self.highest_fd {
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "highest_fd={fd}")?;
        }
        Ok(())
    }
}

/// Whether an error reading one resource's use leaves that resource out of a [`Usage`]
/// rather than failing the whole read.
pub(crate) fn leaves_out(err: &Error) -> bool {
    matches!(
        err,
        Error::AccessDenied { .. } | Error::Zombie { .. } | Error::Unsupported { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limit;

    #[test]
    fn percent_of_a_soft_limit() {
        let usage = Usage {
            used: [(Resource::Nofile, 256)].into_iter().collect(),
            highest_fd: Some(300),
        };
        let limit = |soft| RLimit::new(soft, Limit::Unlimited);
        assert_eq!(
            usage.percent_of(Resource::Nofile, limit(Limit::from(1024))),
            Some(25.0)
        );
        assert_eq!(
            usage.percent_of(Resource::Nofile, limit(Limit::Unlimited)),
            None
        );
        assert_eq!(usage.percent_of(Resource::As, limit(Limit::from(1))), None);
        assert_eq!(
            usage.percent_of(Resource::Nofile, limit(Limit::from(0))),
            Some(f64::INFINITY)
        );
        assert_eq!(usage.to_string(), "nofile=256 highest_fd=300");
    }
}
