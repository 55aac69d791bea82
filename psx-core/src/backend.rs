//! The interface every OS crate implements, and the logic shared above it.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::usage::{leaves_out, NprocShare, OpenFiles, Usage};
use crate::{
    oneshot, Error, OneshotGuard, Op, Pid, RLimit, Resource, ResourceMap, Result, SignalMasks,
    Target, ValidRLimit,
};

/// One OS's way of reading (and setting) process attributes.
///
/// Every method has a default answering [`Error::Unsupported`], so a backend implements
/// what its OS offers and nothing else. The types keep bad input out: a [`Target`]
/// holds a pid in `1..=i32::MAX` (pids <= 0 are [`Error::NoSuchProcess`] when it is
/// made) and, if pinned, the pin made for that pid ([`crate::Pinned`]); limits to set
/// are a [`ValidRLimit`], soft <= hard. So a backend sees only positive pids and valid
/// pairs, whether it is called through the `psx` facade or directly.
///
/// A backend that has a bulk read (one syscall or file giving several attributes) serves
/// those attributes through [`oneshot::cached`], so inside a oneshot the read happens once.
pub trait Backend {
    /// What a [`Process`](https://docs.rs/psx-process/latest/psx/struct.Process.html) handle holds
    /// to notice that its pid now names another process (Linux: a `/proc/<pid>` directory
    /// fd); `()` where the OS offers nothing.
    type Pin: fmt::Debug + Send + Sync;

    /// Whether this backend can read `attr` at all.
    fn available(attr: Attr) -> bool;

    /// The platform's `RLIM_INFINITY`: a limit of this value or above is unlimited to
    /// its kernel (Linux `u64::MAX`; FreeBSD, DragonFly, NetBSD, OpenBSD `i64::MAX`).
    const RLIM_INFINITY: u64 = u64::MAX;

    /// Whether this backend can set resource limits ([`Backend::set_rlimit`]).
    fn can_set_rlimit() -> bool {
        false
    }

    /// The platform's `RLIMIT_*` number for `resource`, `None` if it has no such resource.
    fn resource_number(resource: Resource) -> Option<i32> {
        let _ = resource;
        None
    }

    /// Every process the caller can see, ascending.
    fn pids() -> Result<Vec<Pid>> {
        Err(Error::Unsupported {
            what: "listing processes",
        })
    }

    /// `attrs` of every process alive during the scan, ascending by pid ([`scan_each`] of
    /// [`Backend::pids`] by default). A backend with a whole-table read overrides it
    /// with [`scan_seeded`].
    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>>
    where
        Self: Sized,
    {
        scan_each::<Self>(Self::pids()?, attrs)
    }

    /// `attrs` of one process: [`info`] by default. A backend whose bulk read answers
    /// several attributes may override it to fill the info from that one read with
    /// [`ProcInfo::put`] (no per-attribute oneshot lookups, no copies), giving exactly
    /// what [`info`] would.
    fn info(target: Target<'_, Self::Pin>, attrs: &[Attr]) -> Result<ProcInfo>
    where
        Self: Sized,
    {
        info::<Self>(target, attrs)
    }

    /// What a scan reads of one process: `attrs` as [`Backend::info`] reads them and,
    /// when they include [`Attr::Usage`], the process's [`NprocShare`] from the same
    /// reads ([`scan_info`] by default: both inside one oneshot). A backend whose one
    /// read holds both may override it.
    fn scan_info(
        target: Target<'_, Self::Pin>,
        attrs: &[Attr],
    ) -> Result<(ProcInfo, Option<NprocShare>)>
    where
        Self: Sized,
    {
        scan_info::<Self>(target, attrs)
    }

    /// Pins the process `pid` now is. Called by [`crate::Pinned::new`], which checks
    /// the pid first and keeps it beside the pin; a pin on its own reads nothing.
    fn pin(pid: Pid) -> Result<Self::Pin>;

    /// Whether the pinned process still exists (a zombie still does).
    fn is_running(target: Target<'_, Self::Pin>) -> Result<bool>;

    /// The process's name (`comm`): the kernel's short command name.
    fn comm(target: Target<'_, Self::Pin>) -> Result<String> {
        let _ = target;
        Err(Error::Unsupported {
            what: "the process name",
        })
    }

    /// The process's umask.
    fn umask(target: Target<'_, Self::Pin>) -> Result<u32> {
        let _ = target;
        Err(Error::Unsupported { what: "umask" })
    }

    /// The process's supplementary groups.
    fn groups(target: Target<'_, Self::Pin>) -> Result<Vec<u32>> {
        let _ = target;
        Err(Error::Unsupported {
            what: "getting groups",
        })
    }

    /// The process's limits for `resource`.
    fn get_rlimit(target: Target<'_, Self::Pin>, resource: Resource) -> Result<RLimit> {
        let _ = (target, resource);
        Err(Error::Unsupported {
            what: "getting resource limits",
        })
    }

    /// Sets the process's limits for `resource` and returns the previous ones.
    fn set_rlimit(
        target: Target<'_, Self::Pin>,
        resource: Resource,
        new: ValidRLimit,
    ) -> Result<RLimit> {
        let _ = (target, resource, new);
        Err(Error::Unsupported {
            what: "setting resource limits",
        })
    }

    /// The process's signal masks.
    fn sigmasks(target: Target<'_, Self::Pin>) -> Result<SignalMasks> {
        let _ = target;
        Err(Error::Unsupported {
            what: "signal masks",
        })
    }

    /// The process's process group id.
    fn pgid(target: Target<'_, Self::Pin>) -> Result<Pid> {
        let _ = target;
        Err(Error::Unsupported {
            what: "getting the process group",
        })
    }

    /// The process's session id.
    fn sid(target: Target<'_, Self::Pin>) -> Result<Pid> {
        let _ = target;
        Err(Error::Unsupported {
            what: "getting the session id",
        })
    }

    /// How much of `resource` the process uses, in the units of its limit (see
    /// [`Usage`]). Never asked for [`Resource::Nofile`] (that is
    /// [`Backend::open_files`]) nor [`Resource::Nproc`] (that is
    /// [`Backend::nproc_share`], summed by a scan).
    fn usage(target: Target<'_, Self::Pin>, resource: Resource) -> Result<u64> {
        let _ = (target, resource);
        Err(Error::Unsupported {
            what: "resource usage",
        })
    }

    /// The process's open descriptors: how many, and the highest number.
    fn open_files(target: Target<'_, Self::Pin>) -> Result<OpenFiles> {
        let _ = target;
        Err(Error::Unsupported {
            what: "counting open files",
        })
    }

    /// The real user the process counts against for `RLIMIT_NPROC`, and how many of
    /// that limit's units it adds: a scan sums these per user for [`Resource::Nproc`].
    fn nproc_share(target: Target<'_, Self::Pin>) -> Result<NprocShare> {
        let _ = target;
        Err(Error::Unsupported {
            what: "process counts",
        })
    }
}

/// The backend of a platform psx has none for: every call is [`Error::Unsupported`].
#[derive(Debug)]
pub enum NoBackend {}

impl Backend for NoBackend {
    type Pin = ();

    fn available(_: Attr) -> bool {
        false
    }

    fn pin(_: Pid) -> Result<()> {
        Err(Error::Unsupported {
            what: "process handles",
        })
    }

    fn is_running(_: Target<'_, ()>) -> Result<bool> {
        Err(Error::Unsupported {
            what: "process handles",
        })
    }
}

/// An attribute [`info`] can read, by its psutil-extra / JSON name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Attr {
    /// `"comm"`: [`Backend::comm`].
    Comm,
    /// `"umask"`: [`Backend::umask`].
    Umask,
    /// `"groups"`: [`Backend::groups`].
    Groups,
    /// `"pgid"`: [`Backend::pgid`].
    Pgid,
    /// `"sid"`: [`Backend::sid`].
    Sid,
    /// `"sigmasks"`: [`Backend::sigmasks`].
    Sigmasks,
    /// `"rlimits"`: [`Backend::get_rlimit`] for every resource the platform has.
    Rlimits,
    /// `"usage"`: [`Backend::usage`] and [`Backend::open_files`] for every resource
    /// whose use the platform can tell (see [`Usage`]).
    Usage,
}

impl Attr {
    /// Every attribute, in [`ProcInfo`]'s field order.
    pub const ALL: &'static [Attr] = &[
        Attr::Comm,
        Attr::Umask,
        Attr::Groups,
        Attr::Pgid,
        Attr::Sid,
        Attr::Sigmasks,
        Attr::Rlimits,
        Attr::Usage,
    ];

    /// The attribute's name, as in JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            Attr::Comm => "comm",
            Attr::Umask => "umask",
            Attr::Groups => "groups",
            Attr::Pgid => "pgid",
            Attr::Sid => "sid",
            Attr::Sigmasks => "sigmasks",
            Attr::Rlimits => "rlimits",
            Attr::Usage => "usage",
        }
    }
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Attr {
    type Err = Error;

    /// An unknown name is `InvalidArgument("unknown attribute 'x' (expected one of ...)")`.
    fn from_str(s: &str) -> Result<Self> {
        Attr::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Attr::ALL.iter().map(|a| a.name()).collect();
                Error::InvalidArgument(format!(
                    "unknown attribute '{s}' (expected one of: {})",
                    known.join(", ")
                ))
            })
    }
}

/// Why an attribute a [`ProcInfo`] was asked for is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Missing {
    /// [`Error::AccessDenied`].
    AccessDenied,
    /// [`Error::Zombie`].
    Zombie,
    /// [`Error::Unsupported`].
    Unsupported,
}

impl Missing {
    /// The stable kind, as [`Error::kind`] writes it (`"access_denied"`, ...).
    pub const fn kind(self) -> &'static str {
        match self {
            Missing::AccessDenied => "access_denied",
            Missing::Zombie => "zombie",
            Missing::Unsupported => "unsupported",
        }
    }

    /// What a person reads: `"access denied"`, `"zombie"`, `"not supported on this OS"`.
    pub const fn reason(self) -> &'static str {
        match self {
            Missing::AccessDenied => "access denied",
            Missing::Zombie => "zombie",
            Missing::Unsupported => "not supported on this OS",
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Attr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Attr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Several attributes of one process, read in one oneshot ([`info`]).
///
/// A field is `None` when it was not asked for, when the platform lacks it, when access
/// to it was denied, or when it died with a zombie, as psutil's `as_dict` leaves them;
/// [`ProcInfo::missing`] says which of these it was for each one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProcInfo {
    /// The process.
    pub pid: Pid,
    /// Its name (`comm`).
    pub comm: Option<String>,
    /// Its umask.
    pub umask: Option<u32>,
    /// Its supplementary groups.
    pub groups: Option<Vec<u32>>,
    /// Its process group.
    pub pgid: Option<Pid>,
    /// Its session.
    pub sid: Option<Pid>,
    /// Its signal masks.
    pub sigmasks: Option<SignalMasks>,
    /// Its limits, for every resource the platform has.
    pub rlimits: Option<ResourceMap<RLimit>>,
    /// What it uses of the resources its limits cap.
    #[cfg_attr(feature = "serde", serde(default))]
    pub usage: Option<Usage>,
    /// Why each attribute that was asked for is `None` (JSON `"errors"`, left out when
    /// empty).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "errors", default, skip_serializing_if = "BTreeMap::is_empty")
    )]
    pub missing: BTreeMap<Attr, Missing>,
}

/// The attributes as `psx info` shows them, one `name value` line each: the umask in
/// octal, signal sets with their names, limits as `soft:hard`, and for an attribute
/// that was asked for but is missing, why (`(access denied)`); attributes not asked for
/// are left out.
impl fmt::Display for ProcInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "pid {}", self.pid)?;
        let mut line = |attr: Attr, value: Option<String>| -> fmt::Result {
            match (value, self.missing.get(&attr)) {
                (Some(value), _) => writeln!(f, "  {:<10}{value}", attr.name()),
                (None, Some(why)) => writeln!(f, "  {:<10}({why})", attr.name()),
                (None, None) => Ok(()),
            }
        };
        line(Attr::Comm, self.comm.clone())?;
        line(Attr::Umask, self.umask.map(|m| format!("{m:04o}")))?;
        let groups = self.groups.as_ref().map(|g| {
            let gids: Vec<String> = g.iter().map(u32::to_string).collect();
            if gids.is_empty() {
                "none".to_owned()
            } else {
                gids.join(" ")
            }
        });
        line(Attr::Groups, groups)?;
        line(Attr::Pgid, self.pgid.map(|p| p.to_string()))?;
        line(Attr::Sid, self.sid.map(|p| p.to_string()))?;
        let masks = self.sigmasks.map(|m| {
            m.to_string()
                .lines()
                .collect::<Vec<_>>()
                .join("\n            ")
        });
        line(Attr::Sigmasks, masks)?;
        let limits = self.rlimits.as_ref().map(|limits| {
            limits
                .iter()
                .map(|(r, l)| format!("{r} {l}"))
                .collect::<Vec<_>>()
                .join("\n            ")
        });
        line(Attr::Rlimits, limits)?;
        line(Attr::Usage, self.usage.as_ref().map(Usage::to_string))
    }
}

/// Reads `attrs` of `target` inside one oneshot.
///
/// [`Error::NoSuchProcess`] (the process is gone) is returned as an error, as are
/// [`Error::Os`] failures, which name the attribute being read ([`Error::op`]);
/// [`Error::AccessDenied`], [`Error::Zombie`] and [`Error::Unsupported`] leave the
/// attribute `None`.
pub fn info<B: Backend>(target: Target<'_, B::Pin>, attrs: &[Attr]) -> Result<ProcInfo> {
    let _oneshot = oneshot::OneshotGuard::enter(target.pid());
    oneshot::want(target.pid(), attrs);
    let mut info = ProcInfo::new(target.pid());
    for &attr in attrs {
        info.put(read_attr::<B>(target, attr))?;
    }
    Ok(info)
}

/// One attribute of one process as a backend read it: what [`ProcInfo::put`] keeps.
#[derive(Debug)]
#[non_exhaustive]
pub enum AttrRead {
    /// [`Attr::Comm`].
    Comm(Result<String>),
    /// [`Attr::Umask`].
    Umask(Result<u32>),
    /// [`Attr::Groups`].
    Groups(Result<Vec<u32>>),
    /// [`Attr::Pgid`].
    Pgid(Result<Pid>),
    /// [`Attr::Sid`].
    Sid(Result<Pid>),
    /// [`Attr::Sigmasks`].
    Sigmasks(Result<SignalMasks>),
    /// [`Attr::Rlimits`].
    Rlimits(Result<ResourceMap<RLimit>>),
    /// [`Attr::Usage`].
    Usage(Result<Usage>),
}

/// `attr` of `target`, read through `B`'s own call for it (inside the caller's
/// oneshot, if any).
pub fn read_attr<B: Backend>(target: Target<'_, B::Pin>, attr: Attr) -> AttrRead {
    match attr {
        Attr::Comm => AttrRead::Comm(B::comm(target)),
        Attr::Umask => AttrRead::Umask(B::umask(target)),
        Attr::Groups => AttrRead::Groups(B::groups(target)),
        Attr::Pgid => AttrRead::Pgid(B::pgid(target)),
        Attr::Sid => AttrRead::Sid(B::sid(target)),
        Attr::Sigmasks => AttrRead::Sigmasks(B::sigmasks(target)),
        Attr::Rlimits => AttrRead::Rlimits(all_rlimits::<B>(target)),
        Attr::Usage => AttrRead::Usage(usage::<B>(target)),
    }
}

impl ProcInfo {
    /// The info of `pid` before any attribute is read: every field `None`.
    pub fn new(pid: Pid) -> Self {
        ProcInfo {
            pid,
            comm: None,
            umask: None,
            groups: None,
            pgid: None,
            sid: None,
            sigmasks: None,
            rlimits: None,
            usage: None,
            missing: BTreeMap::new(),
        }
    }

    /// Keeps one attribute's read, as [`info`] does: a value goes in its field;
    /// [`Error::AccessDenied`], [`Error::Zombie`] and [`Error::Unsupported`] leave the
    /// field `None` and say why in [`ProcInfo::missing`]; any other error is returned,
    /// naming the attribute ([`Error::op`]), and fails the whole info.
    pub fn put(&mut self, read: AttrRead) -> Result<()> {
        let missing = &mut self.missing;
        let during = |op| move |e: Error| e.during(op);
        match read {
            AttrRead::Comm(r) => {
                self.comm = optional(Attr::Comm, r.map_err(during(Op::Comm)), missing)?;
            }
            AttrRead::Umask(r) => {
                self.umask = optional(Attr::Umask, r.map_err(during(Op::Umask)), missing)?;
            }
            AttrRead::Groups(r) => {
                self.groups = optional(Attr::Groups, r.map_err(during(Op::Groups)), missing)?;
            }
            AttrRead::Pgid(r) => {
                self.pgid = optional(Attr::Pgid, r.map_err(during(Op::Pgid)), missing)?;
            }
            AttrRead::Sid(r) => {
                self.sid = optional(Attr::Sid, r.map_err(during(Op::Sid)), missing)?;
            }
            AttrRead::Sigmasks(r) => {
                let r = r.map_err(during(Op::Sigmasks));
                self.sigmasks = optional(Attr::Sigmasks, r, missing)?;
            }
            // Each limit's error already names its resource.
            AttrRead::Rlimits(r) => self.rlimits = optional(Attr::Rlimits, r, missing)?,
            AttrRead::Usage(r) => {
                self.usage = optional(Attr::Usage, r.map_err(during(Op::Usage)), missing)?;
            }
        }
        Ok(())
    }
}

/// `attrs` of each of `pids` (by pid, each read as [`Backend::info`] reads one process),
/// ascending; a process that is gone by the time it is read is left out, as `ps` leaves
/// it out.
pub fn scan_each<B: Backend>(pids: Vec<Pid>, attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
    let count = pids.len();
    Ok(scan_with::<B, Pid>(pids, count, attrs, false, |&pid| pid, |_| {})?.finish())
}

/// [`scan_each`] spread over `threads` threads, the calling thread one of them. Each
/// thread takes the next pid no thread has taken until none is left, so a thread that
/// starts late (its core waking from idle) leaves its share to the others instead of
/// holding up the scan. Each user's NPROC usage is counted over every thread's reads.
/// An error stops every thread at its next pid; the calling thread's error, else the
/// first helper's, is returned.
pub fn scan_threaded<B: Backend>(
    pids: Vec<Pid>,
    attrs: &[Attr],
    threads: usize,
) -> Result<Vec<ProcInfo>> {
    if threads <= 1 {
        return scan_each::<B>(pids, attrs);
    }
    let next = AtomicUsize::new(0);
    let read_share = || {
        // A pid is claimed by the one thread whose increment returned its index.
        let claimed = std::iter::from_fn(|| pids.get(next.fetch_add(1, Ordering::Relaxed)));
        // Room for twice a fair share: the first thread to start takes more.
        let expected = (2 * pids.len().div_ceil(threads)).min(pids.len());
        let part = scan_with::<B, &Pid>(claimed, expected, attrs, false, |&&pid| pid, |_| {});
        if part.is_err() {
            // Past the end: every other thread stops at its next claim.
            next.store(pids.len(), Ordering::Relaxed);
        }
        part
    };
    let parts: Vec<Result<ScanPart>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(read_share)).collect();
        let mut parts = vec![read_share()];
        parts.extend(workers.into_iter().map(|w| {
            w.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }));
        parts
    });
    // Merged before finishing: a user's NPROC count is over every thread's reads.
    let parts = parts.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(ScanPart::merge(parts, attrs).finish())
}

/// A scan from one whole-table read: each process's oneshot is seeded with its own
/// `record` (the type the backend's oneshot keeps, e.g. its `kinfo_proc`), so what the
/// record holds costs no further call, and only what it lacks is read per process.
/// Ascending by pid; processes gone before their own reads are left out.
pub fn scan_seeded<B: Backend, T: Any>(
    records: impl IntoIterator<Item = (Pid, T)>,
    attrs: &[Attr],
) -> Result<Vec<ProcInfo>> {
    let records = records.into_iter();
    let count = records.size_hint().0;
    let part = scan_with::<B, (Pid, T)>(
        records,
        count,
        attrs,
        true,
        |&(pid, _)| pid,
        |(pid, record)| oneshot::seed(pid, record),
    )?;
    Ok(part.finish())
}

/// What a scan has read of some processes (one thread's share), before each process's
/// NPROC usage, which counts the processes of its real user among all those scanned,
/// can be added.
#[derive(Debug)]
struct ScanPart {
    infos: Vec<ProcInfo>,
    /// With usage asked for, one per info: its process's share of its user's count.
    shares: Option<Vec<Option<NprocShare>>>,
}

impl ScanPart {
    /// An empty part with room for `count` processes.
    fn with_capacity(count: usize, attrs: &[Attr]) -> Self {
        ScanPart {
            infos: Vec::with_capacity(count),
            // With usage asked for, each process's share of its real user's NPROC count.
            shares: attrs
                .contains(&Attr::Usage)
                .then(|| Vec::with_capacity(count)),
        }
    }

    /// The processes of `parts`, each part ascending by pid, in one part ascending by
    /// pid: each process is moved once, where joining and sorting would move most of
    /// them three times.
    fn merge(parts: Vec<ScanPart>, attrs: &[Attr]) -> Self {
        let count = parts.iter().map(|part| part.infos.len()).sum();
        let mut merged = ScanPart::with_capacity(count, attrs);
        type Head = (
            std::vec::IntoIter<ProcInfo>,
            Option<std::vec::IntoIter<Option<NprocShare>>>,
        );
        let mut heads: Vec<Head> = parts
            .into_iter()
            .map(|part| (part.infos.into_iter(), part.shares.map(Vec::into_iter)))
            .collect();
        // The part whose next process has the lowest pid, while any has one (looked at
        // in place: a `Peekable` would move each info once more).
        let lowest = |heads: &[Head]| {
            (0..heads.len())
                .filter_map(|i| Some((heads[i].0.as_slice().first()?.pid, i)))
                .min()
                .map(|(_, i)| i)
        };
        while let Some(i) = lowest(&heads) {
            let (infos, shares) = &mut heads[i];
            merged.infos.extend(infos.next());
            if let (Some(merged), Some(shares)) = (merged.shares.as_mut(), shares.as_mut()) {
                merged.extend(shares.next());
            }
        }
        merged
    }

    /// The infos, each usage with its user's NPROC count over every process of the
    /// joined parts, ascending by pid.
    fn finish(self) -> Vec<ProcInfo> {
        let ScanPart { mut infos, shares } = self;
        if let Some(shares) = shares {
            add_nproc_usage(&mut infos, &shares);
        }
        // Stable: a merged or listed part is already ascending, and this only checks
        // the order, where an unstable sort would shuffle 350-byte infos; a seeded
        // table may come in any order.
        infos.sort_by_key(|i| i.pid);
        infos
    }
}

/// `attrs` of each item's process by [`Backend::scan_info`], inside a oneshot that
/// `prepare` seeds first when `seeded`; a process gone by its read is left out. Room
/// is made for `expected` processes.
fn scan_with<B: Backend, I>(
    items: impl IntoIterator<Item = I>,
    expected: usize,
    attrs: &[Attr],
    seeded: bool,
    pid_of: impl Fn(&I) -> Pid,
    mut prepare: impl FnMut(I),
) -> Result<ScanPart> {
    let mut part = ScanPart::with_capacity(expected, attrs);
    for item in items {
        // A number no process can have is as good as gone.
        let Ok(target) = Target::new(pid_of(&item)) else {
            continue;
        };
        // The record seeds a oneshot around the whole read.
        let _oneshot = seeded.then(|| OneshotGuard::enter(target.pid()));
        prepare(item);
        match B::scan_info(target, attrs) {
            Ok((read, share)) => {
                if let Some(shares) = part.shares.as_mut() {
                    shares.push(share);
                }
                part.infos.push(read);
            }
            Err(Error::NoSuchProcess { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(part)
}

/// What a scan reads of one process ([`Backend::scan_info`]): [`Backend::info`], and
/// when `attrs` include [`Attr::Usage`], [`Backend::nproc_share`] inside the same
/// oneshot (so it costs no read of its own where the backend keeps one); a share that
/// cannot be read is `None`.
pub fn scan_info<B: Backend>(
    target: Target<'_, B::Pin>,
    attrs: &[Attr],
) -> Result<(ProcInfo, Option<NprocShare>)> {
    let count_nproc = attrs.contains(&Attr::Usage);
    let _oneshot = count_nproc.then(|| OneshotGuard::enter(target.pid()));
    let info = B::info(target, attrs)?;
    let share = if count_nproc {
        B::nproc_share(target).ok()
    } else {
        None
    };
    Ok((info, share))
}

/// Gives each process whose usage was read the NPROC count of its real user: the sum
/// of `shares` (one per info, `None` where unknown) over the processes of that user.
/// A count from a scan covers only the processes the caller can see.
fn add_nproc_usage(infos: &mut [ProcInfo], shares: &[Option<crate::NprocShare>]) {
    let mut per_user: BTreeMap<u32, u64> = BTreeMap::new();
    for share in shares.iter().flatten() {
        *per_user.entry(share.ruid).or_default() += share.count;
    }
    for (info, share) in infos.iter_mut().zip(shares) {
        if let (Some(usage), Some(share)) = (info.usage.as_mut(), share) {
            usage.used.insert(Resource::Nproc, per_user[&share.ruid]);
        }
    }
}

/// What `target` uses of every resource whose use `B` can tell ([`Attr::Usage`]),
/// inside the caller's oneshot if any: a resource denied or unsupported is left out;
/// if every one is, the error of the first is returned.
pub fn usage<B: Backend>(target: Target<'_, B::Pin>) -> Result<Usage> {
    usage_from::<B>(
        || B::open_files(target),
        |resource| B::usage(target, resource),
    )
}

/// The [`Usage`] from `open_files` (by default [`Backend::open_files`]) and `used` for
/// each of [`Usage::MEASURED`] (by default [`Backend::usage`]), which a backend's own
/// [`Backend::info`] may read more directly: a resource denied or unsupported is left
/// out; if every one is, the error of the first is returned.
pub fn usage_from<B: Backend>(
    open_files: impl FnOnce() -> Result<OpenFiles>,
    mut used: impl FnMut(Resource) -> Result<u64>,
) -> Result<Usage> {
    if !B::available(Attr::Usage) {
        return Err(Error::Unsupported {
            what: "resource usage",
        });
    }
    let mut first_error = None;
    let mut note = |err: Error| {
        let err = err.during(Op::Usage);
        if leaves_out(&err) {
            first_error.get_or_insert(err);
            Ok(())
        } else {
            Err(err)
        }
    };
    // Gathered in one allocation and made the map at once, as `rlimits` does: no
    // search and shift of an insert per figure. Room for the NPROC count a scan adds.
    let mut figures = Vec::with_capacity(Usage::MEASURED.len() + 2);
    let mut highest_fd = None;
    match open_files() {
        Ok(files) => {
            figures.push((Resource::Nofile, files.count));
            highest_fd = files.highest;
        }
        Err(e) => note(e)?,
    }
    for &resource in Usage::MEASURED {
        match used(resource) {
            Ok(used) => figures.push((resource, used)),
            Err(e) => note(e)?,
        }
    }
    match first_error {
        Some(err) if figures.is_empty() => Err(err),
        _ => Ok(Usage {
            used: ResourceMap::from_vec(figures),
            highest_fd,
        }),
    }
}

fn all_rlimits<B: Backend>(target: Target<'_, B::Pin>) -> Result<ResourceMap<RLimit>> {
    rlimits::<B>(|resource| B::get_rlimit(target, resource))
}

/// Every limit `B`'s platform has, each read by `get` ([`Attr::Rlimits`]; by default
/// `B::get_rlimit`, which a backend's own [`Backend::info`] may read more directly);
/// an error names the resource it came from.
pub fn rlimits<B: Backend>(
    mut get: impl FnMut(Resource) -> Result<RLimit>,
) -> Result<ResourceMap<RLimit>> {
    // A platform with no way to read limits has no map, not an empty one.
    if !B::available(Attr::Rlimits) {
        return Err(Error::Unsupported {
            what: "getting resource limits",
        });
    }
    // Gathered in one allocation, in resource order, which the map then keeps.
    let mut limits = Vec::with_capacity(Resource::ALL.len());
    for &resource in Resource::ALL {
        if B::resource_number(resource).is_some() {
            let limit = get(resource).map_err(|e| e.during(Op::GetRlimit(resource)))?;
            limits.push((resource, limit));
        }
    }
    Ok(ResourceMap::from_vec(limits))
}

/// `Ok(None)` for the errors that leave an attribute out of a [`ProcInfo`], noting why.
fn optional<T>(
    attr: Attr,
    result: Result<T>,
    missing: &mut BTreeMap<Attr, Missing>,
) -> Result<Option<T>> {
    let why = match result {
        Ok(v) => return Ok(Some(v)),
        Err(Error::AccessDenied { .. }) => Missing::AccessDenied,
        Err(Error::Zombie { .. }) => Missing::Zombie,
        Err(Error::Unsupported { .. }) => Missing::Unsupported,
        Err(e) => return Err(e),
    };
    missing.insert(attr, why);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake platform's pin (none) and liveness (every process is there).
    macro_rules! always_running {
        () => {
            type Pin = ();

            fn pin(_: Pid) -> Result<()> {
                Ok(())
            }

            fn is_running(_: Target<'_, ()>) -> Result<bool> {
                Ok(true)
            }
        };
    }

    /// A platform that reads groups but has no way to read limits.
    enum NoLimits {}

    impl Backend for NoLimits {
        always_running!();

        fn available(attr: Attr) -> bool {
            attr == Attr::Groups
        }

        fn groups(_: Target<'_, ()>) -> Result<Vec<u32>> {
            Ok(vec![5])
        }
    }

    /// A kernel of three processes whose bulk record is a `u32` (its group), counting
    /// the bulk reads it is asked for; pid 2 exits before its own read.
    enum Table {}

    // Only one test reads this table.
    static BULK_READS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    impl Backend for Table {
        always_running!();

        fn available(_: Attr) -> bool {
            true
        }

        fn pids() -> Result<Vec<Pid>> {
            Ok(vec![Pid::from(1), Pid::from(2), Pid::from(3)])
        }

        fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
            let table = [
                (Pid::from(3), 30u32),
                (Pid::from(1), 10),
                (Pid::from(2), 20),
            ];
            scan_seeded::<Self, _>(table, attrs)
        }

        fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
            let pid = target.pid();
            oneshot::cached_or_fresh(
                pid,
                || {
                    BULK_READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    Ok(pid.get() as u32 * 10)
                },
                |&g| Ok(vec![g]),
            )
        }

        fn open_files(target: Target<'_, ()>) -> Result<crate::OpenFiles> {
            match target.pid().get() {
                3 => Err(Error::access_denied(target.pid())),
                _ => Ok(crate::OpenFiles {
                    count: 3,
                    highest: Some(10),
                }),
            }
        }

        fn usage(target: Target<'_, ()>, resource: Resource) -> Result<u64> {
            match resource {
                Resource::As => Ok(target.pid().get() as u64 * 100),
                Resource::Nofile | Resource::Nproc => panic!("{resource} is never asked for"),
                _ => Err(Error::Unsupported { what: "usage" }),
            }
        }

        /// Pid 1 runs 4 threads, pid 3 2, both of user 1000.
        fn nproc_share(target: Target<'_, ()>) -> Result<crate::NprocShare> {
            Ok(crate::NprocShare {
                ruid: 1000,
                count: if target.pid().get() == 1 { 4 } else { 2 },
            })
        }

        fn umask(target: Target<'_, ()>) -> Result<u32> {
            match target.pid().get() {
                2 => Err(Error::NoSuchProcess { pid: target.pid() }),
                n => Ok(n as u32),
            }
        }
    }

    #[test]
    fn a_seeded_scan_reads_the_table_once_and_skips_the_vanished() {
        let bulk_reads = || BULK_READS.load(std::sync::atomic::Ordering::Relaxed);
        let infos = Table::scan(&[Attr::Groups, Attr::Umask]).unwrap();
        let got: Vec<_> = infos
            .iter()
            .map(|i| (i.pid.get(), i.groups.clone(), i.umask))
            .collect();
        assert_eq!(
            got,
            [(1, Some(vec![10]), Some(1)), (3, Some(vec![30]), Some(3))]
        );
        assert_eq!(bulk_reads(), 0, "every group came from the table");
        // The default scan reads each process on its own: three bulk reads.
        let each =
            scan_each::<Table>(Table::pids().unwrap(), &[Attr::Groups, Attr::Umask]).unwrap();
        assert_eq!(each, infos);
        assert_eq!(bulk_reads(), 3);
    }

    #[test]
    fn usage_leaves_out_what_is_denied_and_a_scan_sums_nproc_per_user() {
        let read = super::usage::<Table>(Target::new(1).unwrap()).unwrap();
        let used: Vec<_> = read.used.iter().map(|(r, n)| (*r, *n)).collect();
        assert_eq!(used, [(Resource::Nofile, 3), (Resource::As, 100)]);
        assert_eq!(read.highest_fd, Some(10));
        // Pid 3's descriptors are denied: its AS use is still read.
        let read = super::usage::<Table>(Target::new(3).unwrap()).unwrap();
        let used: Vec<_> = read.used.iter().map(|(r, n)| (*r, *n)).collect();
        assert_eq!(used, [(Resource::As, 300)]);
        assert_eq!(read.highest_fd, None);
        // A scan adds NPROC: 4 + 2 threads of user 1000 (pid 2 vanished uncounted).
        let infos = Table::scan(&[Attr::Usage, Attr::Umask]).unwrap();
        let nproc = nproc_of(&infos);
        assert_eq!(nproc, [Some(6), Some(6)]);
        // A single read has no NPROC count.
        assert!(!read.used.contains_key(&Resource::Nproc));
    }

    /// A platform with its own one-read `info`, which notes whether it ran inside a
    /// oneshot; pid 2 has exited.
    enum OwnInfo {}

    // Only one test reads through this platform.
    static INFO_CALLS: std::sync::Mutex<Vec<(u32, bool)>> = std::sync::Mutex::new(Vec::new());

    impl Backend for OwnInfo {
        always_running!();

        fn available(_: Attr) -> bool {
            true
        }

        fn info(target: Target<'_, ()>, attrs: &[Attr]) -> Result<ProcInfo> {
            let pid = target.pid();
            let inside = oneshot::is_active(pid);
            INFO_CALLS.lock().unwrap().push((pid.get() as u32, inside));
            if pid.get() == 2 {
                return Err(Error::NoSuchProcess { pid });
            }
            let mut info = ProcInfo::new(pid);
            for &attr in attrs {
                info.put(match attr {
                    Attr::Umask => AttrRead::Umask(Ok(0o22)),
                    Attr::Groups => AttrRead::Groups(Err(Error::Zombie { pid })),
                    _ => read_attr::<Self>(target, attr),
                })?;
            }
            Ok(info)
        }

        fn nproc_share(_: Target<'_, ()>) -> Result<crate::NprocShare> {
            Ok(crate::NprocShare { ruid: 0, count: 1 })
        }
    }

    #[test]
    fn a_scan_reads_each_process_through_the_backends_info() {
        let pids = vec![Pid::from(1), Pid::from(2), Pid::from(3)];
        let infos = scan_each::<OwnInfo>(pids.clone(), &[Attr::Umask, Attr::Groups]).unwrap();
        let got: Vec<_> = infos.iter().map(|i| (i.pid.get(), i.umask)).collect();
        assert_eq!(got, [(1, Some(0o22)), (3, Some(0o22))]);
        assert_eq!(infos[0].missing.get(&Attr::Groups), Some(&Missing::Zombie));
        // Nothing needed a oneshot around the read: the backend's info decides.
        let calls = std::mem::take(&mut *INFO_CALLS.lock().unwrap());
        assert_eq!(calls, [(1, false), (2, false), (3, false)]);
        // The NPROC share comes from the same oneshot as the usage.
        scan_each::<OwnInfo>(pids.clone(), &[Attr::Usage]).unwrap();
        let calls = std::mem::take(&mut *INFO_CALLS.lock().unwrap());
        assert_eq!(calls, [(1, true), (2, true), (3, true)]);
        // A seeded scan reads inside the seeded oneshot.
        let table = pids.into_iter().map(|p| (p, 7u8));
        scan_seeded::<OwnInfo, _>(table, &[Attr::Umask]).unwrap();
        let calls = std::mem::take(&mut *INFO_CALLS.lock().unwrap());
        assert!(calls.iter().all(|&(_, inside)| inside), "{calls:?}");
    }

    /// Each info's NPROC usage.
    fn nproc_of(infos: &[ProcInfo]) -> Vec<Option<u64>> {
        let nproc = |i: &ProcInfo| i.usage.as_ref()?.used.get(&Resource::Nproc).copied();
        infos.iter().map(nproc).collect()
    }

    /// A platform whose one read gives both the info and the NPROC share: two threads
    /// of real user 7 per process, read outside any oneshot.
    enum OwnScanInfo {}

    impl Backend for OwnScanInfo {
        always_running!();

        fn available(_: Attr) -> bool {
            true
        }

        fn scan_info(
            target: Target<'_, ()>,
            attrs: &[Attr],
        ) -> Result<(ProcInfo, Option<NprocShare>)> {
            assert!(!oneshot::is_active(target.pid()));
            let mut info = ProcInfo::new(target.pid());
            for &attr in attrs {
                info.put(match attr {
                    Attr::Usage => AttrRead::Usage(Ok(Usage::default())),
                    _ => read_attr::<Self>(target, attr),
                })?;
            }
            Ok((info, Some(NprocShare { ruid: 7, count: 2 })))
        }
    }

    #[test]
    fn a_scan_sums_the_shares_a_backends_scan_info_returns() {
        let pids = vec![Pid::from(1), Pid::from(2), Pid::from(3)];
        let infos = scan_each::<OwnScanInfo>(pids, &[Attr::Usage]).unwrap();
        let nproc = nproc_of(&infos);
        assert_eq!(nproc, [Some(6), Some(6), Some(6)]);
        // Read on several threads, each taking the next pid: still one count over
        // every process, whichever thread read it, and ascending.
        let many: Vec<Pid> = (1..=40).rev().map(Pid::from).collect();
        for threads in 1..=4 {
            let infos = scan_threaded::<OwnScanInfo>(many.clone(), &[Attr::Usage], threads);
            let infos = infos.unwrap();
            let pids: Vec<i64> = infos.iter().map(|i| i.pid.get()).collect();
            assert_eq!(pids, (1..=40).collect::<Vec<_>>(), "{threads} threads");
            assert!(
                nproc_of(&infos).iter().all(|&n| n == Some(80)),
                "{threads} threads"
            );
        }
    }

    /// A platform whose pid 13 fails with an error no scan skips, and whose pid 7 is
    /// gone.
    enum FailsAt13 {}

    impl Backend for FailsAt13 {
        always_running!();

        fn available(_: Attr) -> bool {
            true
        }

        fn scan_info(target: Target<'_, ()>, _: &[Attr]) -> Result<(ProcInfo, Option<NprocShare>)> {
            let pid = target.pid();
            match pid.get() {
                7 => Err(Error::NoSuchProcess { pid }),
                13 => Err(Error::os(pid, std::io::Error::other("broken"))),
                _ => Ok((ProcInfo::new(pid), None)),
            }
        }
    }

    #[test]
    fn a_threaded_scan_skips_the_vanished_and_fails_on_the_rest() {
        for threads in 1..=4 {
            let pids: Vec<Pid> = (1..=12).map(Pid::from).collect();
            let infos = scan_threaded::<FailsAt13>(pids, &[Attr::Comm], threads).unwrap();
            assert_eq!(infos.len(), 11, "{threads} threads");
            let pids: Vec<Pid> = (1..=40).map(Pid::from).collect();
            let err = scan_threaded::<FailsAt13>(pids, &[Attr::Comm], threads).unwrap_err();
            assert!(
                matches!(err, Error::Os { .. }),
                "{threads} threads: {err:?}"
            );
        }
    }

    #[test]
    fn put_keeps_values_notes_what_is_missing_and_fails_on_the_rest() {
        let pid = Pid::from(4);
        let mut info = ProcInfo::new(pid);
        info.put(AttrRead::Comm(Ok("sh".into()))).unwrap();
        info.put(AttrRead::Umask(Err(Error::access_denied(pid))))
            .unwrap();
        info.put(AttrRead::Sigmasks(Err(Error::Unsupported {
            what: "masks",
        })))
        .unwrap();
        assert_eq!(info.comm.as_deref(), Some("sh"));
        let missing: Vec<_> = info.missing.iter().map(|(a, m)| (*a, *m)).collect();
        assert_eq!(
            missing,
            [
                (Attr::Umask, Missing::AccessDenied),
                (Attr::Sigmasks, Missing::Unsupported)
            ]
        );
        let err = info
            .put(AttrRead::Sid(Err(Error::from_errno(pid, libc::EIO))))
            .unwrap_err();
        assert_eq!(err.op(), Some(Op::Sid));
        let gone = info.put(AttrRead::Pgid(Err(Error::NoSuchProcess { pid })));
        assert!(matches!(gone, Err(Error::NoSuchProcess { .. })));
    }

    /// A platform whose kernel fails reading the core limit, and refuses the umask.
    enum Failing {}

    impl Backend for Failing {
        always_running!();

        fn available(_: Attr) -> bool {
            true
        }

        fn resource_number(resource: Resource) -> Option<i32> {
            matches!(resource, Resource::Nofile | Resource::Core).then_some(1)
        }

        fn umask(target: Target<'_, ()>) -> Result<u32> {
            Err(Error::from_errno(target.pid(), libc::EACCES))
        }

        fn get_rlimit(target: Target<'_, ()>, resource: Resource) -> Result<RLimit> {
            match resource {
                Resource::Core => Err(Error::from_errno(target.pid(), libc::EIO)),
                _ => Ok(RLimit::new(crate::Limit::Value(1), crate::Limit::Value(2))),
            }
        }
    }

    #[test]
    fn info_names_the_attribute_an_error_came_from() {
        let target = Target::new(Pid::from(9)).unwrap();
        // The denied umask is left out; the failing limit is the answer, and says which.
        let err = super::info::<Failing>(target, &[Attr::Umask, Attr::Rlimits]).unwrap_err();
        assert_eq!(err.op(), Some(Op::GetRlimit(Resource::Core)));
        assert!(
            err.reason().starts_with("error getting the core limit: "),
            "{}",
            err.reason()
        );
        let read = super::info::<Failing>(target, &[Attr::Umask]).unwrap();
        assert_eq!(read.missing.get(&Attr::Umask), Some(&Missing::AccessDenied));
    }

    #[test]
    fn a_platform_without_limits_has_no_limit_map() {
        let target = Target::new(1).unwrap();
        let read = super::info::<NoLimits>(target, Attr::ALL).unwrap();
        assert_eq!(read.groups, Some(vec![5]));
        assert_eq!(read.rlimits, None);
        assert_eq!(read.umask, None);
        assert_eq!(
            read.missing.get(&Attr::Rlimits),
            Some(&Missing::Unsupported)
        );
        assert_eq!(read.missing.get(&Attr::Groups), None);
        assert_eq!(Missing::AccessDenied.kind(), "access_denied");
        let unsupported = "(not supported on this OS)";
        let expected = format!(
            "pid 1\n  comm      {u}\n  umask     {u}\n  groups    5\n  pgid      {u}\n  \
             sid       {u}\n  sigmasks  {u}\n  rlimits   {u}\n  usage     {u}\n",
            u = unsupported
        );
        assert_eq!(read.to_string(), expected);
        // Attributes not asked for are left out.
        let one = super::info::<NoLimits>(target, &[Attr::Groups]).unwrap();
        assert_eq!(one.to_string(), "pid 1\n  groups    5\n");
        let read = super::info::<NoBackend>(target, Attr::ALL).unwrap();
        assert_eq!(read.rlimits, None);
    }
}
