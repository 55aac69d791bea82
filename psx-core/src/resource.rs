//! Resource limits: which resource, and the (soft, hard) pair.

use std::fmt;
use std::str::FromStr;

use crate::{Backend, Error};

macro_rules! resources {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal ),+ $(,)?) => {
        /// A resource whose limit can be read or set, named as util-linux `prlimit` names
        /// it (BSD-only resources under their BSD names).
        ///
        /// The same enum on every OS; each backend maps it to its `RLIMIT_*` number, and
        /// answers `InvalidArgument("invalid resource specified")` for a resource its
        /// platform lacks (see [`Backend::resource_number`](crate::Backend::resource_number)).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Resource {
            $( $(#[$doc])* $variant, )+
        }

        impl Resource {
            /// Every resource psx knows, in this order (util-linux's first).
            pub const ALL: &'static [Resource] = &[$(Resource::$variant),+];

            /// The util-linux `prlimit` name (`"nofile"`), or the BSD's own.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Resource::$variant => $name,)+
                }
            }
        }
    };
}

resources! {
    /// CPU time in seconds (`RLIMIT_CPU`).
    Cpu = "cpu",
    /// Largest file created, bytes (`RLIMIT_FSIZE`).
    Fsize = "fsize",
    /// Data segment size, bytes (`RLIMIT_DATA`).
    Data = "data",
    /// Stack size, bytes (`RLIMIT_STACK`).
    Stack = "stack",
    /// Core file size, bytes (`RLIMIT_CORE`).
    Core = "core",
    /// Resident set size, bytes (`RLIMIT_RSS`).
    Rss = "rss",
    /// Number of processes (threads on Linux) of the real user (`RLIMIT_NPROC`).
    Nproc = "nproc",
    /// Number of open files (`RLIMIT_NOFILE`).
    Nofile = "nofile",
    /// Locked-in-memory bytes (`RLIMIT_MEMLOCK`).
    Memlock = "memlock",
    /// Address space, bytes (`RLIMIT_AS`; `RLIMIT_VMEM` on the BSDs, also accepted as `"vmem"`).
    As = "as",
    /// File locks (`RLIMIT_LOCKS`, Linux).
    Locks = "locks",
    /// Pending signals (`RLIMIT_SIGPENDING`, Linux).
    Sigpending = "sigpending",
    /// POSIX message queue bytes (`RLIMIT_MSGQUEUE`, Linux).
    Msgqueue = "msgqueue",
    /// Nice ceiling (`RLIMIT_NICE`, Linux).
    Nice = "nice",
    /// Real-time priority ceiling (`RLIMIT_RTPRIO`, Linux).
    Rtprio = "rtprio",
    /// Real-time CPU time without a blocking call, microseconds (`RLIMIT_RTTIME`, Linux).
    Rttime = "rttime",
    /// Socket buffer bytes (`RLIMIT_SBSIZE`: FreeBSD, DragonFly, NetBSD).
    Sbsize = "sbsize",
    /// Swap reserved, bytes (`RLIMIT_SWAP`, FreeBSD).
    Swap = "swap",
    /// Pseudo-terminals (`RLIMIT_NPTS`, FreeBSD).
    Npts = "npts",
    /// kqueues (`RLIMIT_KQUEUES`, FreeBSD).
    Kqueues = "kqueues",
    /// Process-shared umtx locks (`RLIMIT_UMTXP`, FreeBSD).
    Umtxp = "umtxp",
    /// Pipe buffer bytes (`RLIMIT_PIPEBUF`, FreeBSD 14+).
    Pipebuf = "pipebuf",
    /// Virtual machines (`RLIMIT_VMM`, FreeBSD 15+).
    Vmm = "vmm",
    /// POSIX advisory locks (`RLIMIT_POSIXLOCKS`, DragonFly).
    Posixlocks = "posixlock",
    /// Threads (`RLIMIT_NTHR`, NetBSD).
    Nthr = "nthr",
}

impl Resource {
    /// The resource with this name (case-insensitive; `"vmem"` is [`Resource::As`]).
    pub fn from_name(name: &str) -> Option<Resource> {
        if name.eq_ignore_ascii_case("vmem") {
            return Some(Resource::As);
        }
        Resource::ALL
            .iter()
            .copied()
            .find(|r| r.name().eq_ignore_ascii_case(name))
    }
}

impl Resource {
    /// What the limit caps, in util-linux `prlimit`'s words for its resources
    /// (`"max number of open files"`).
    pub const fn description(self) -> &'static str {
        match self {
            Resource::Cpu => "CPU time",
            Resource::Fsize => "max file size",
            Resource::Data => "max data size",
            Resource::Stack => "max stack size",
            Resource::Core => "max core file size",
            Resource::Rss => "max resident set size",
            Resource::Nproc => "max number of processes",
            Resource::Nofile => "max number of open files",
            Resource::Memlock => "max locked-in-memory address space",
            Resource::As => "address space limit",
            Resource::Locks => "max number of file locks held",
            Resource::Sigpending => "max number of pending signals",
            Resource::Msgqueue => "max bytes in POSIX mqueues",
            Resource::Nice => "max nice prio allowed to raise",
            Resource::Rtprio => "max real-time priority",
            Resource::Rttime => "timeout for real-time tasks",
            Resource::Sbsize => "max socket buffer size",
            Resource::Swap => "max swap space",
            Resource::Npts => "max number of pseudo-terminals",
            Resource::Kqueues => "max number of kqueues",
            Resource::Umtxp => "max number of process-shared locks",
            Resource::Pipebuf => "max pipe buffer size",
            Resource::Vmm => "max number of virtual machines",
            Resource::Posixlocks => "max number of POSIX locks",
            Resource::Nthr => "max number of threads",
        }
    }

    /// The unit its values count, as `prlimit` writes it (`"bytes"`, `"files"`), or
    /// `None` for a bare number (nice, rtprio).
    pub const fn units(self) -> Option<&'static str> {
        match self {
            Resource::Cpu => Some("seconds"),
            Resource::Fsize
            | Resource::Data
            | Resource::Stack
            | Resource::Core
            | Resource::Rss
            | Resource::Memlock
            | Resource::As
            | Resource::Msgqueue
            | Resource::Sbsize
            | Resource::Swap
            | Resource::Pipebuf => Some("bytes"),
            Resource::Nproc => Some("processes"),
            Resource::Nofile => Some("files"),
            Resource::Locks | Resource::Umtxp | Resource::Posixlocks => Some("locks"),
            Resource::Sigpending => Some("signals"),
            Resource::Rttime => Some("microsecs"),
            Resource::Npts => Some("terminals"),
            Resource::Kqueues => Some("kqueues"),
            Resource::Vmm => Some("machines"),
            Resource::Nthr => Some("threads"),
            Resource::Nice | Resource::Rtprio => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Resource {
    type Err = Error;

    /// Parses a name as [`Resource::from_name`]; an unknown one is
    /// `InvalidArgument("invalid resource specified")`.
    fn from_str(s: &str) -> Result<Self, Error> {
        Resource::from_name(s).ok_or_else(Error::invalid_resource)
    }
}

/// One side of a resource limit: a value, or no limit.
///
/// The same on every OS: each backend turns its `RLIM_INFINITY` (Linux `u64::MAX`,
/// the BSDs `i64::MAX`) into [`Limit::Unlimited`] and back. A [`Limit::Value`] at or
/// above the platform's infinity is set as unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// A finite limit.
    Value(u64),
    /// No limit (`RLIM_INFINITY`).
    Unlimited,
}

impl Limit {
    /// Decodes a raw `rlim_t`, given the platform's `RLIM_INFINITY`.
    pub const fn from_raw(raw: u64, infinity: u64) -> Self {
        if raw >= infinity {
            Limit::Unlimited
        } else {
            Limit::Value(raw)
        }
    }

    /// Encodes as a raw `rlim_t`, given the platform's `RLIM_INFINITY`.
    pub const fn to_raw(self, infinity: u64) -> u64 {
        match self {
            Limit::Value(v) if v < infinity => v,
            _ => infinity,
        }
    }

    /// The finite value, or `None` for unlimited.
    pub const fn value(self) -> Option<u64> {
        match self {
            Limit::Value(v) => Some(v),
            Limit::Unlimited => None,
        }
    }
}

/// Unlimited is greater than every value.
impl Ord for Limit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Limit::Value(a), Limit::Value(b)) => a.cmp(b),
            (Limit::Value(_), Limit::Unlimited) => std::cmp::Ordering::Less,
            (Limit::Unlimited, Limit::Value(_)) => std::cmp::Ordering::Greater,
            (Limit::Unlimited, Limit::Unlimited) => std::cmp::Ordering::Equal,
        }
    }
}

impl PartialOrd for Limit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl From<u64> for Limit {
    fn from(v: u64) -> Self {
        Limit::Value(v)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Value(v) => fmt::Display::fmt(v, f),
            Limit::Unlimited => f.write_str("unlimited"),
        }
    }
}

impl FromStr for Limit {
    type Err = Error;

    /// `"unlimited"` (or `"infinity"`, `"-1"`) or a decimal number.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "unlimited" | "infinity" | "-1" => Ok(Limit::Unlimited),
            _ => s
                .parse::<u64>()
                .map(Limit::Value)
                .map_err(|_| Error::InvalidArgument(format!("invalid limit value '{s}'"))),
        }
    }
}

/// A (soft, hard) resource limit pair, as `getrlimit(2)` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RLimit {
    /// The limit the kernel enforces (`rlim_cur`).
    pub soft: Limit,
    /// The ceiling for the soft limit (`rlim_max`).
    pub hard: Limit,
}

impl RLimit {
    /// A pair from its two sides.
    pub const fn new(soft: Limit, hard: Limit) -> Self {
        RLimit { soft, hard }
    }

    /// Decodes a raw `(rlim_cur, rlim_max)` pair, given the platform's `RLIM_INFINITY`.
    pub const fn from_raw(soft: u64, hard: u64, infinity: u64) -> Self {
        RLimit {
            soft: Limit::from_raw(soft, infinity),
            hard: Limit::from_raw(hard, infinity),
        }
    }

    /// The pair as a kernel whose `RLIM_INFINITY` is `infinity` reads it: a value of
    /// `infinity` or more is [`Limit::Unlimited`] (on Linux, `Value(u64::MAX)` is
    /// unlimited; on the BSDs, anything from `i64::MAX` up).
    pub const fn normalized(self, infinity: u64) -> Self {
        const fn one(limit: Limit, infinity: u64) -> Limit {
            match limit {
                Limit::Value(v) if v >= infinity => Limit::Unlimited,
                other => other,
            }
        }
        RLimit {
            soft: one(self.soft, infinity),
            hard: one(self.hard, infinity),
        }
    }

    /// The pair as limits to set ([`ValidRLimit::new`]):
    /// `InvalidArgument("current limit exceeds maximum limit")` when soft > hard.
    ///
    /// Compared as given; [`ValidRLimit::for_backend`] compares them as one kernel
    /// does (on Linux `Value(u64::MAX)` is unlimited).
    pub fn validate(self) -> Result<ValidRLimit, Error> {
        ValidRLimit::new(self.soft, self.hard)
    }
}

/// Limits to set: an [`RLimit`] whose soft limit is at most its hard limit, the only
/// kind [`Backend::set_rlimit`] takes, so a pair the kernel would refuse with a bare
/// `EINVAL` is refused before any call, with
/// `InvalidArgument("current limit exceeds maximum limit")`.
///
/// ```
/// use psx_core::{Limit, RLimit, ValidRLimit};
///
/// let pair = ValidRLimit::new(Limit::Value(1024), Limit::Unlimited)?;
/// assert_eq!(pair.get(), RLimit::new(Limit::Value(1024), Limit::Unlimited));
/// let refused = RLimit::new(Limit::Value(5), Limit::Value(4)).validate().unwrap_err();
/// assert_eq!(refused.to_string(), "current limit exceeds maximum limit");
/// # Ok::<(), psx_core::Error>(())
/// ```
///
/// A kernel never sees a soft limit above its hard one in this form: whatever each
/// platform's `RLIM_INFINITY`, encoding keeps the order of the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidRLimit(RLimit);

impl ValidRLimit {
    /// The pair `soft`, `hard`; `InvalidArgument("current limit exceeds maximum
    /// limit")` when soft > hard.
    pub fn new(soft: Limit, hard: Limit) -> Result<Self, Error> {
        if soft > hard {
            Err(Error::soft_exceeds_hard())
        } else {
            Ok(ValidRLimit(RLimit { soft, hard }))
        }
    }

    /// `limit` checked as backend `B`'s kernel reads it: [`RLimit::normalized`] to
    /// `B::RLIM_INFINITY` first, so on Linux `Value(u64::MAX)` is unlimited and
    /// `unlimited:18446744073709551615` is a valid pair. What the `psx` facade does.
    pub fn for_backend<B: Backend>(limit: RLimit) -> Result<Self, Error> {
        limit.normalized(B::RLIM_INFINITY).validate()
    }

    /// The pair.
    pub const fn get(self) -> RLimit {
        self.0
    }

    /// The soft limit.
    pub const fn soft(self) -> Limit {
        self.0.soft
    }

    /// The hard limit.
    pub const fn hard(self) -> Limit {
        self.0.hard
    }
}

impl From<ValidRLimit> for RLimit {
    fn from(valid: ValidRLimit) -> Self {
        valid.0
    }
}

/// [`RLimit::validate`].
impl TryFrom<RLimit> for ValidRLimit {
    type Error = Error;

    fn try_from(limit: RLimit) -> Result<Self, Error> {
        limit.validate()
    }
}

impl fmt::Display for ValidRLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// `soft:hard`, as `psx rlimit` and prlimit's `NAME=SOFT:HARD` write a pair
/// (`1024:unlimited`).
impl fmt::Display for RLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.soft, self.hard)
    }
}

impl From<(Limit, Limit)> for RLimit {
    fn from((soft, hard): (Limit, Limit)) -> Self {
        RLimit { soft, hard }
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{Limit, Resource};
    use serde::de::{self, Deserializer, Visitor};
    use serde::{Deserialize, Serialize, Serializer};
    use std::fmt;

    /// A number, or the string `"unlimited"`.
    impl Serialize for Limit {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Limit::Value(v) => s.serialize_u64(*v),
                Limit::Unlimited => s.serialize_str("unlimited"),
            }
        }
    }

    impl<'de> Deserialize<'de> for Limit {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct LimitVisitor;
            impl Visitor<'_> for LimitVisitor {
                type Value = Limit;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a non-negative integer or \"unlimited\"")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Limit, E> {
                    Ok(Limit::Value(v))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Limit, E> {
                    v.parse().map_err(E::custom)
                }
            }
            d.deserialize_any(LimitVisitor)
        }
    }

    /// The util-linux name, as a string (so it can be a JSON object key).
    impl Serialize for Resource {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(self.name())
        }
    }

    impl<'de> Deserialize<'de> for Resource {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            Resource::from_name(&name)
                .ok_or_else(|| de::Error::custom(format!("unknown resource '{name}'")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &r in Resource::ALL {
            assert_eq!(Resource::from_name(r.name()), Some(r));
            assert_eq!(r.to_string().parse::<Resource>().unwrap(), r);
        }
        assert_eq!(Resource::from_name("NOFILE"), Some(Resource::Nofile));
        assert_eq!(Resource::from_name("vmem"), Some(Resource::As));
        // FreeBSD's own name for RLIMIT_VMM (`rlimit_ident` in sys/sys/resource.h).
        assert_eq!(Resource::from_name("vmm"), Some(Resource::Vmm));
        assert_eq!(Resource::Vmm.name(), "vmm");
        let err = "bogus".parse::<Resource>().unwrap_err();
        assert_eq!(err.to_string(), "invalid resource specified");
    }

    #[test]
    fn the_kernels_infinity_is_unlimited() {
        let (v, u) = (Limit::Value, Limit::Unlimited);
        // Linux: u64::MAX is RLIM64_INFINITY, so these two pairs are one pair.
        let pair = RLimit::new(u, v(u64::MAX)).normalized(u64::MAX);
        assert_eq!(pair, RLimit::new(u, u));
        assert!(pair.validate().is_ok());
        assert_eq!(
            RLimit::new(v(u64::MAX), u).normalized(u64::MAX),
            RLimit::new(u, u)
        );
        assert_eq!(
            RLimit::new(v(u64::MAX - 1), v(7)).normalized(u64::MAX),
            RLimit::new(v(u64::MAX - 1), v(7))
        );
        // The BSDs: i64::MAX and anything above it.
        let bsd = i64::MAX as u64;
        assert_eq!(
            RLimit::new(v(bsd), v(bsd + 1)).normalized(bsd),
            RLimit::new(u, u)
        );
        assert_eq!(
            RLimit::new(v(bsd - 1), u).normalized(bsd),
            RLimit::new(v(bsd - 1), u)
        );
    }

    #[test]
    fn pairs_display_as_soft_colon_hard() {
        let pair = RLimit::new(Limit::Value(1024), Limit::Unlimited);
        assert_eq!(pair.to_string(), "1024:unlimited");
        assert_eq!(Resource::Nofile.description(), "max number of open files");
        assert_eq!(Resource::Stack.units(), Some("bytes"));
        assert_eq!(Resource::Nice.units(), None);
    }

    #[test]
    fn unlimited_is_the_greatest() {
        assert!(Limit::Unlimited > Limit::Value(u64::MAX));
        assert!(Limit::Value(1) < Limit::Value(2));
        assert!(RLimit::new(Limit::Value(5), Limit::Value(4))
            .validate()
            .is_err());
        assert!(RLimit::new(Limit::Unlimited, Limit::Value(4))
            .validate()
            .is_err());
        assert!(RLimit::new(Limit::Value(4), Limit::Unlimited)
            .validate()
            .is_ok());
        assert!(RLimit::new(Limit::Unlimited, Limit::Unlimited)
            .validate()
            .is_ok());
    }

    #[test]
    fn raw_infinity_maps_both_ways() {
        let bsd_inf = i64::MAX as u64;
        assert_eq!(Limit::from_raw(bsd_inf, bsd_inf), Limit::Unlimited);
        assert_eq!(Limit::from_raw(u64::MAX, u64::MAX), Limit::Unlimited);
        assert_eq!(Limit::from_raw(1024, u64::MAX), Limit::Value(1024));
        assert_eq!(Limit::Unlimited.to_raw(bsd_inf), bsd_inf);
        assert_eq!(Limit::Value(u64::MAX).to_raw(bsd_inf), bsd_inf);
        assert_eq!(Limit::Value(7).to_raw(u64::MAX), 7);
    }

    #[test]
    fn limit_parses() {
        assert_eq!("unlimited".parse::<Limit>().unwrap(), Limit::Unlimited);
        assert_eq!("42".parse::<Limit>().unwrap(), Limit::Value(42));
        assert!("x".parse::<Limit>().is_err());
        assert!("".parse::<Limit>().is_err());
    }
}
