//! What the NetBSD and OpenBSD backends share, so that each crate keeps only its own
//! struct layout, its reading of a process's state, and its system calls.
//!
//! Both kernels describe a process with a descendant of one struct (NetBSD's
//! `kinfo_proc2`, OpenBSD's `kinfo_proc`), reached through the same six-element MIB,
//! with the same fields at other offsets. Here: the decoding that does not depend on
//! those offsets ([`decode`], [`records`]), the pin by start time ([`KinfoPin`]), and
//! the backend logic above the system calls, written against [`Kernel`] so that the
//! tests run it against a fake kernel. Pure, but for `read_table` (the one system call,
//! on NetBSD and OpenBSD only): built and tested on every host.

use std::fmt;
use std::io;

use psx_core::{
    bytes, oneshot, scan_seeded, Attr, Backend, Error, NprocShare, OpenFiles, Pid, ProcInfo,
    Resource, Result, SignalMasks, StartTime, Target,
};

/// `CTL_KERN` (`sys/sysctl.h`, both kernels).
pub const CTL_KERN: i32 = 1;
/// `KERN_PROC_ALL`: every process (`sys/sysctl.h`, both kernels).
pub const KERN_PROC_ALL: i32 = 0;
/// `KERN_PROC_PID`: the process with this pid.
pub const KERN_PROC_PID: i32 = 1;
/// `KI_NGROUPS`: both structs hold at most this many groups.
pub const KI_NGROUPS: usize = 16;
/// `KI_MAXCOMLEN`: the size of `p_comm`, its NUL included, in both structs.
pub const KI_MAXCOMLEN: usize = 24;

/// How many times a read is made while the kernel cannot say (EBUSY, or a `kinfo`
/// without the start time because an exec holds the process).
pub const BUSY_ATTEMPTS: u32 = 8;

/// The MIB `{CTL_KERN, node, op, arg, elem_size, elem_count}`: the element size and
/// count are part of it (`sysctl_doeproc`, `sysctl_doproc` refuse any other length).
pub fn kinfo_mib(node: i32, op: i32, arg: i32, elem_size: usize, elem_count: usize) -> [i32; 6] {
    let int = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    [CTL_KERN, node, op, arg, int(elem_size), int(elem_count)]
}

/// Where the fields both structs have sit in one of them (byte offsets).
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The struct's size.
    pub size: usize,
    /// `int32_t p_pid`.
    pub p_pid: usize,
    /// `int32_t p_sid`.
    pub p_sid: usize,
    /// `int32_t p__pgid`.
    pub p_pgid: usize,
    /// `uint32_t p_groups[KI_NGROUPS]`.
    pub p_groups: usize,
    /// `int16_t p_ngroups`.
    pub p_ngroups: usize,
    /// `char p_comm[KI_MAXCOMLEN]`.
    pub p_comm: usize,
    /// `uint32_t p_ruid`: the real user, whom `RLIMIT_NPROC` counts the process against.
    pub p_ruid: usize,
}

/// Why bytes are not a `kinfo` record or a table of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the struct.
    Truncated {
        /// Bytes received.
        len: usize,
        /// The struct's size.
        expected: usize,
    },
    /// A negative `p_ngroups`.
    BadGroupCount(i16),
    /// A table (of processes or of open files) that is not a whole number of records.
    Ragged {
        /// Bytes received.
        len: usize,
        /// The record's size.
        record: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { len, expected } => {
                write!(f, "kinfo reply of {len} bytes, expected {expected}")
            }
            DecodeError::BadGroupCount(n) => write!(f, "kinfo claims {n} groups"),
            DecodeError::Ragged { len, record } => write!(
                f,
                "table of {len} bytes is not a whole number of {record}-byte records"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Where a process is in its life, as its record tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Live, started at this time.
    Started(StartTime),
    /// Exited or exiting (a zombie): the kernel fills no start time for it.
    Exited,
    /// Live, but the kernel could not fill its start time this time (NetBSD: an exec
    /// holds the process); a later read will.
    Busy,
}

/// The memory figures of a record, in pages (`p_vm_*`, `segsz_t`), as the kernel fills
/// them for a process whose address space it looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `p_vm_rssize`: resident pages.
    pub rss: u64,
    /// `p_vm_dsize`: the data segment (OpenBSD: every private writable mapping).
    pub data: u64,
    /// `p_vm_ssize`: the stack grown so far.
    pub stack: u64,
    /// The whole address space (`vm_map.size`), where the record has it (NetBSD's
    /// `p_vm_vsize`); `None` on OpenBSD, which has no `RLIMIT_AS`.
    pub map: Option<u64>,
}

/// The pages an `int32_t` `p_vm_*` field holds; a negative count (never filled so) is 0.
pub fn pages_at(buf: &[u8], at: usize) -> Option<u64> {
    bytes::i32_at(buf, at).map(|n| u64::try_from(n).unwrap_or(0))
}

/// What a record holds beyond the fields both structs have at their [`Layout`]: each
/// OS's own reading of when the kernel filled them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsFields {
    /// The signal masks, `None` where they died with the process.
    pub sigmasks: Option<SignalMasks>,
    /// Live or exited, and when it started.
    pub life: Life,
    /// The memory figures, `None` where the kernel filled none.
    pub memory: Option<Memory>,
    /// CPU seconds, user and system (`p_rtime_sec`), `None` where the kernel filled none.
    pub cpu_seconds: Option<u64>,
}

/// What psx takes from one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `p_pid`.
    pub pid: i32,
    /// `p__pgid`.
    pub pgid: i32,
    /// `p_sid`.
    pub sid: i32,
    /// `p_groups[..min(p_ngroups, 16)]`.
    pub groups: Vec<u32>,
    /// `p_comm`, the process's name.
    pub comm: String,
    /// The signal masks, `None` where they died with the process (NetBSD's exited
    /// processes: see its `decode::kinfo`).
    pub sigmasks: Option<SignalMasks>,
    /// Live or exited, and when it started.
    pub life: Life,
    /// `p_ruid`.
    pub ruid: u32,
    /// The memory figures, in pages; `None` where the kernel filled none (see each OS's
    /// `decode::kinfo`).
    pub memory: Option<Memory>,
    /// CPU seconds used, user and system; `None` where the kernel filled none.
    pub cpu_seconds: Option<u64>,
}

impl Kinfo {
    /// What the process uses of `resource`, in its limit's units: bytes for
    /// `data`/`stack`/`rss`/`as` (pages times `page_size`), whole seconds for `cpu`.
    /// A figure the kernel did not fill is [`Error::Zombie`] for an exited process and
    /// an [`Error::Os`] of kind `ResourceBusy` for a busy one; a resource the record has
    /// no figure for is [`Error::Unsupported`].
    pub fn used(&self, resource: Resource, page_size: u64, pid: Pid) -> Result<u64> {
        let unsupported = Error::Unsupported {
            what: "usage of this resource",
        };
        let unfilled = || match self.life {
            Life::Busy => busy(pid),
            Life::Started(_) | Life::Exited => Error::Zombie { pid },
        };
        if resource == Resource::Cpu {
            return self.cpu_seconds.ok_or_else(unfilled);
        }
        let memory = self.memory.ok_or_else(unfilled);
        let pages = match resource {
            Resource::Data => memory?.data,
            Resource::Stack => memory?.stack,
            Resource::Rss => memory?.rss,
            Resource::As => memory?.map.ok_or(unsupported)?,
            _ => return Err(unsupported),
        };
        Ok(pages.saturating_mul(page_size))
    }

    /// The signal masks, or [`Error::Zombie`] where they died with the process.
    pub fn signal_masks(&self, pid: Pid) -> Result<SignalMasks> {
        self.sigmasks.ok_or(Error::Zombie { pid })
    }
}

/// Decodes one record: the fields at `layout`'s offsets here, the signal masks, the life
/// and the usage figures by `rest`, the OS's own reading of its struct (`None`: a field
/// past the end).
///
/// `p_ngroups` is the process's real group count, while `p_groups` holds at most
/// [`KI_NGROUPS`] (both kernels copy at most that many): a larger count gives the first
/// 16. A negative count is an error. A longer buffer (a newer kernel's bigger struct)
/// decodes from its prefix.
pub fn decode(
    buf: &[u8],
    layout: &Layout,
    rest: impl FnOnce(&[u8]) -> Option<OsFields>,
) -> Result<Kinfo, DecodeError> {
    let truncated = DecodeError::Truncated {
        len: buf.len(),
        expected: layout.size,
    };
    if buf.len() < layout.size {
        return Err(truncated);
    }
    let ngroups = bytes::array::<2>(buf, layout.p_ngroups)
        .map(i16::from_ne_bytes)
        .ok_or(truncated.clone())?;
    let count = usize::try_from(ngroups)
        .map_err(|_| DecodeError::BadGroupCount(ngroups))?
        .min(KI_NGROUPS);
    let decoded = (|| {
        let groups = (0..count)
            .map(|i| bytes::u32_at(buf, layout.p_groups.checked_add(4 * i)?))
            .collect::<Option<Vec<u32>>>()?;
        let os = rest(buf)?;
        Some(Kinfo {
            pid: bytes::i32_at(buf, layout.p_pid)?,
            pgid: bytes::i32_at(buf, layout.p_pgid)?,
            sid: bytes::i32_at(buf, layout.p_sid)?,
            groups,
            comm: bytes::c_string_at(buf, layout.p_comm, KI_MAXCOMLEN)?,
            sigmasks: os.sigmasks,
            life: os.life,
            ruid: bytes::u32_at(buf, layout.p_ruid)?,
            memory: os.memory,
            cpu_seconds: os.cpu_seconds,
        })
    })();
    decoded.ok_or(truncated)
}

/// The records of a whole-table reply (`KERN_PROC_ALL`), decoded by `decode`, one per
/// process, ascending by pid.
///
/// Both kernels walk two lists, live processes and zombies, and drop their locks while
/// they copy a record out (`sysctl_doeproc` in NetBSD's `sys/kern/kern_proc.c`,
/// `sysctl_doproc` in OpenBSD's `sys/kern/kern_sysctl.c`), so one pid can come twice:
/// OpenBSD lists a process live, then as the zombie it became; NetBSD lists a zombie,
/// then the live process that took its pid once it was reaped. Either way the later
/// record is the current one, and it is kept. Records of pids that name no process
/// (NetBSD's pid 0, the kernel's own) are left out.
pub fn records(
    table: &[u8],
    record: usize,
    decode: impl Fn(&[u8]) -> Result<Kinfo, DecodeError>,
) -> Result<Vec<Kinfo>, DecodeError> {
    if record == 0 || table.len() % record != 0 {
        return Err(DecodeError::Ragged {
            len: table.len(),
            record,
        });
    }
    let mut all = table
        .chunks_exact(record)
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    all.retain(|k| Pid::from(k.pid).is_valid());
    // Stable: records of one pid stay in the kernel's order.
    all.sort_by_key(|k| k.pid);
    all.dedup_by(|later, kept| {
        let same = later.pid == kept.pid;
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
    Ok(all)
}

/// The open descriptors a `KERN_FILE_BYPID` reply lists: one `record`-byte
/// `struct kinfo_file` each, its descriptor number the `int32_t` at `fd_at`. Entries with
/// a negative number are not descriptors (OpenBSD lists the text vnode, the current and
/// root directories and the trace vnode as `KERN_FILE_TEXT` ... `KERN_FILE_TRACE`, -1 to
/// -4) and are not counted. Reads the buffer in place: nothing is allocated per entry.
pub fn count_fds(table: &[u8], record: usize, fd_at: usize) -> Result<OpenFiles, DecodeError> {
    let ragged = DecodeError::Ragged {
        len: table.len(),
        record,
    };
    if record == 0 || table.len() % record != 0 {
        return Err(ragged);
    }
    let mut files = OpenFiles::default();
    for entry in table.chunks_exact(record) {
        let fd = bytes::i32_at(entry, fd_at).ok_or(DecodeError::Truncated {
            len: record,
            expected: fd_at + 4,
        })?;
        if let Ok(fd) = u64::try_from(fd) {
            files.count += 1;
            files.highest = Some(files.highest.map_or(fd, |h| h.max(fd)));
        }
    }
    Ok(files)
}

/// A table of `record`-byte elements read with `call(buffer, count)`, one sysctl whose
/// MIB carries the element count: sized with no buffer first, then read into that plus
/// room to grow, and read again if it grew past the room. The two kernels say so
/// differently: OpenBSD's `sysctl_file` fails with `ENOMEM`, NetBSD's
/// `sysctl_kern_file2` succeeds and reports the length it needed, past the buffer.
/// One buffer per attempt, none per element.
pub fn read_records(
    record: usize,
    mut call: impl FnMut(Option<&mut [u8]>, usize) -> io::Result<usize>,
) -> io::Result<Vec<u8>> {
    let record = record.max(1);
    for _ in 0..BUSY_ATTEMPTS {
        // Both kernels add room for 10 more elements to a sizing call's answer.
        let needed = call(None, i32::MAX as usize / record)?;
        let room = (needed + needed / 4 + record).div_ceil(record);
        let mut buf = vec![0u8; room * record];
        match call(Some(&mut buf), room) {
            Ok(len) if len <= buf.len() => {
                buf.truncate(len);
                return Ok(buf);
            }
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::OutOfMemory => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::OutOfMemory))
}

/// Every process's record, read with one whole-table sysctl (`mib`, given the room in
/// records of `record` bytes) and decoded by `table`. The one system call here, for
/// the two kernels' [`Kernel::table`].
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
pub fn read_table(
    mib: fn(usize) -> [i32; 6],
    record: usize,
    table: fn(&[u8]) -> Result<Vec<Kinfo>, DecodeError>,
) -> Result<Vec<Kinfo>> {
    let me = Pid::current();
    let buf = psx_core::unix::sysctl_table(|n| mib(n).to_vec(), record)
        .map_err(|e| Error::from_io(me, e))?;
    table(&buf).map_err(|e| Error::invalid_data(me, e))
}

/// What a [`Process`](https://docs.rs/psx-process/latest/psx/struct.Process.html) holds here:
/// the start time of the process it was made for, or that it had already exited then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KinfoPin {
    /// A live process, started then.
    Started(StartTime),
    /// A process that had exited (a zombie): the kernel keeps no start time for it.
    Exited,
}

impl KinfoPin {
    /// Whether `record`, read for `pid`, is the pinned process's: `Ok` if it is;
    /// [`Error::NoSuchProcess`] if the pid now names a process that started at another
    /// time (or a live one, when a zombie was pinned); [`Error::Zombie`] if the record
    /// is of an exited process, which has no start time to compare, so its data is not
    /// given out: it may be the pinned process's zombie, or that of a later process
    /// that took the pid and exited in turn; an [`Error::Os`] of kind `ResourceBusy`
    /// when the record has no start time for now.
    pub fn check(&self, pid: Pid, record: &Kinfo, tolerance_usec: i64) -> Result<()> {
        if i64::from(record.pid) != pid.get() {
            return Err(Error::NoSuchProcess { pid });
        }
        match (*self, record.life) {
            (KinfoPin::Started(pinned), Life::Started(now))
                if pinned.matches(now, tolerance_usec) =>
            {
                Ok(())
            }
            (_, Life::Started(_)) => Err(Error::NoSuchProcess { pid }),
            (_, Life::Exited) => Err(Error::Zombie { pid }),
            (_, Life::Busy) => Err(busy(pid)),
        }
    }
}

/// The error for a process whose start time the kernel keeps not filling in.
fn busy(pid: Pid) -> Error {
    Error::os(
        pid,
        io::Error::new(
            io::ErrorKind::ResourceBusy,
            "the kernel did not give the process's start time (an exec holds it)",
        ),
    )
}

/// What a NetBSD-like backend asks its kernel, and how it reads the answers. `sys.rs`
/// makes the real calls; the functions below make every decision, so the tests can run
/// them against a fake.
pub trait Kernel {
    /// How far apart two readings of one process's start may be and still be one
    /// process, in microseconds: 0 where the kernel stores the start, more where it
    /// derives it from a clock that can be stepped.
    const START_TOLERANCE_USEC: i64;

    /// Which refusals of `getpgid`/`getsid` by pid the record answers instead.
    fn id_falls_back(err: &Error) -> bool;

    /// One process's record (`KERN_PROC_PID`), or why there is none.
    fn kinfo(&self, pid: Pid) -> Result<Kinfo>;

    /// Every process's record (`KERN_PROC_ALL`, one call), through [`records`].
    fn table(&self) -> Result<Vec<Kinfo>>;

    /// The page size the record's `p_vm_*` figures count in.
    fn page_size(&self) -> u64;

    /// The open descriptors `KERN_FILE_BYPID` lists for `pid`, through [`count_fds`]:
    /// none (NetBSD) or [`Error::NoSuchProcess`] (OpenBSD) when it lists nothing.
    fn open_files(&self, pid: Pid) -> Result<OpenFiles>;

    /// Waits before retry `attempt` (from 1) of a read the kernel could not answer.
    fn wait(&self, attempt: u32) {
        let _ = attempt;
    }
}

/// A record for `pid`, read again (up to [`BUSY_ATTEMPTS`] reads) while it says
/// [`Life::Busy`]; the last one is returned whatever it says.
fn settled<K: Kernel>(kernel: &K, pid: Pid) -> Result<Kinfo> {
    let mut attempt = 1;
    loop {
        let record = kernel.kinfo(pid)?;
        if record.life != Life::Busy || attempt >= BUSY_ATTEMPTS {
            return Ok(record);
        }
        kernel.wait(attempt);
        attempt += 1;
    }
}

/// A fresh record for `pid`, if it is the pinned process's (see [`KinfoPin::check`]).
/// A record the kernel hides (NetBSD's `security.curtain`: [`Error::AccessDenied`])
/// cannot be checked, and is [`Error::NoSuchProcess`]: it may be another user's
/// process that took the pid.
fn verified<K: Kernel>(kernel: &K, pid: Pid, pin: &KinfoPin) -> Result<Kinfo> {
    let record = match settled(kernel, pid) {
        Err(Error::AccessDenied { .. }) => return Err(Error::NoSuchProcess { pid }),
        other => other?,
    };
    pin.check(pid, &record, K::START_TOLERANCE_USEC)?;
    Ok(record)
}

/// Pins the process `pid` names now: its start time, or that it has exited.
pub fn pin<K: Kernel>(kernel: &K, pid: Pid) -> Result<KinfoPin> {
    let record = settled(kernel, pid)?;
    match record.life {
        Life::Started(start) => Ok(KinfoPin::Started(start)),
        Life::Exited => Ok(KinfoPin::Exited),
        Life::Busy => Err(busy(pid)),
    }
}

/// Whether the target's process exists. By pid: whether the kernel lists the pid (a
/// zombie included) or hides it. Through a handle: whether a fresh record is the
/// pinned process's, or an exited one (see [`KinfoPin::check`]).
pub fn is_running<K: Kernel>(kernel: &K, target: Target<'_, KinfoPin>) -> Result<bool> {
    let pid = target.pid();
    let read = match target.pin() {
        None => kernel.kinfo(pid).map(drop),
        Some(pin) => verified(kernel, pid, pin).map(drop),
    };
    match read {
        // A handle's hidden process has become NoSuchProcess in `verified`.
        Ok(()) | Err(Error::Zombie { .. } | Error::AccessDenied { .. }) => Ok(true),
        Err(Error::NoSuchProcess { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `pick` from the target's record: the oneshot's if one is active, else a fresh one.
/// Through a handle the record, cached or fresh, must be the pinned process's.
pub fn with_kinfo<K: Kernel, R>(
    kernel: &K,
    target: Target<'_, KinfoPin>,
    pick: impl Fn(&Kinfo) -> Result<R>,
) -> Result<R> {
    let pid = target.pid();
    match target.pin() {
        None => oneshot::cached_or_fresh(pid, || kernel.kinfo(pid), pick),
        Some(pin) => oneshot::cached_or_fresh(
            pid,
            || verified(kernel, pid, pin),
            |record| {
                pin.check(pid, record, K::START_TOLERANCE_USEC)?;
                pick(record)
            },
        ),
    }
}

/// A process group or session id (`field` of the record, `call` the `getpgid` or
/// `getsid` by pid).
///
/// Through a handle, the record alone answers: it holds both ids, and reading it is
/// what checks the pin, so no call by pid is made at all. By pid, outside a oneshot,
/// the call answers and the record stands in where it refuses
/// ([`Kernel::id_falls_back`]); inside one, the record answers, and the call stands in
/// where the kernel hides the record ([`id_from_kinfo`]).
pub fn id<K: Kernel>(
    kernel: &K,
    target: Target<'_, KinfoPin>,
    field: fn(&Kinfo) -> i32,
    call: impl FnOnce() -> Result<Pid>,
) -> Result<Pid> {
    let pid = target.pid();
    if target.pin().is_some() {
        return with_kinfo(kernel, target, |k| Ok(Pid::from(field(k))));
    }
    if let Some(kinfo_id) = oneshot::cached(pid, || kernel.kinfo(pid), |k| Ok(field(k))) {
        return id_from_kinfo(kinfo_id, call);
    }
    id_from_call(call(), K::id_falls_back, || {
        kernel.kinfo(pid).map(|k| field(&k))
    })
}

/// A process group or session id from `call` (`getpgid`/`getsid`), or from `kinfo_id`
/// where the call refuses with an error `falls_back` accepts.
pub fn id_from_call(
    call: Result<Pid>,
    falls_back: fn(&Error) -> bool,
    kinfo_id: impl FnOnce() -> Result<i32>,
) -> Result<Pid> {
    match call {
        Err(e) if falls_back(&e) => kinfo_id().map(Pid::from),
        other => other,
    }
}

/// A process group or session id from the record, or, when the kernel hides the
/// record ([`Error::AccessDenied`]: NetBSD's `security.curtain`, which does not hide a
/// process from `getpgid`/`getsid`), from `call`; should `call` not find it either (a
/// hidden zombie), it stays access denied.
pub fn id_from_kinfo(kinfo_id: Result<i32>, call: impl FnOnce() -> Result<Pid>) -> Result<Pid> {
    match kinfo_id {
        Ok(id) => Ok(Pid::from(id)),
        Err(denied @ Error::AccessDenied { .. }) => match call() {
            Ok(id) => Ok(id),
            Err(Error::NoSuchProcess { .. }) => Err(denied),
            Err(other) => Err(other),
        },
        Err(other) => Err(other),
    }
}

/// `call`, a system call by pid. Through a handle its answer, value or error, is
/// believed only once a fresh record, read after it, shows the pinned process: a pid
/// is reused only after its process is reaped, so if the process is still there
/// after the call, the call reached it; if not, the answer (another process's value,
/// or its refusal) is dropped for [`KinfoPin::check`]'s error.
pub fn confirmed<K: Kernel, R>(
    kernel: &K,
    target: Target<'_, KinfoPin>,
    call: impl FnOnce() -> Result<R>,
) -> Result<R> {
    let answer = call();
    if let Some(pin) = target.pin() {
        verified(kernel, target.pid(), pin)?;
    }
    answer
}

/// [`confirmed`], for a change: through a handle the pin is also checked before the
/// call, which is not made if the process is not the pinned one.
pub fn guarded<K: Kernel, R>(
    kernel: &K,
    target: Target<'_, KinfoPin>,
    call: impl FnOnce() -> Result<R>,
) -> Result<R> {
    if let Some(pin) = target.pin() {
        verified(kernel, target.pid(), pin)?;
    }
    confirmed(kernel, target, call)
}

/// Whether `err` is the error of a record whose figures the kernel did not fill this
/// time (NetBSD: an exec held the process).
fn is_busy(err: &Error) -> bool {
    matches!(err, Error::Os { source, .. } if source.kind() == io::ErrorKind::ResourceBusy)
}

/// What the target uses of `resource`, from its record as [`with_kinfo`] picks it (so a
/// scan's seeded record costs no call), in its limit's units ([`Kinfo::used`]). A
/// resource not in `measured` is [`Error::Unsupported`] without a read. By pid, a
/// record the kernel filled no figures in because the process was busy is read afresh
/// (up to [`BUSY_ATTEMPTS`] times); through a handle the fresh read already waited.
pub fn usage<K: Kernel>(
    kernel: &K,
    target: Target<'_, KinfoPin>,
    resource: Resource,
    measured: &[Resource],
) -> Result<u64> {
    if !measured.contains(&resource) {
        return Err(Error::Unsupported {
            what: "usage of this resource",
        });
    }
    let pid = target.pid();
    let page = kernel.page_size();
    match with_kinfo(kernel, target, |k| k.used(resource, page, pid)) {
        Err(e) if is_busy(&e) && target.pin().is_none() => {
            settled(kernel, pid)?.used(resource, page, pid)
        }
        other => other,
    }
}

/// The real user and 1, from the record: `fork1` (both kernels) charges each process
/// to its real uid (`chgproccnt`) until it is reaped, so a zombie still counts.
pub fn nproc_share<K: Kernel>(kernel: &K, target: Target<'_, KinfoPin>) -> Result<NprocShare> {
    with_kinfo(kernel, target, |k| {
        Ok(NprocShare {
            ruid: k.ruid,
            count: 1,
        })
    })
}

/// The target's open descriptors ([`Kernel::open_files`], by pid; through a handle
/// believed only if the pinned process is still there after it, see [`confirmed`]).
///
/// Neither kernel lists the files of an exited process, nor tells why it listed none:
/// NetBSD's `sysctl_kern_file2` walks only live processes and silently skips one it may
/// not show or whose `p_reflock` an exec holds; OpenBSD's `sysctl_file` answers ESRCH
/// for an exiting or exited one. So when none is listed the record says why: an exited
/// process is [`Error::Zombie`], a hidden one what its record answers, a missing one
/// [`Error::NoSuchProcess`]; for a live one (its record read once the kernel filled it)
/// the files are read once more, and that answer stands: a process may have no
/// descriptor open.
pub fn open_files<K: Kernel>(kernel: &K, target: Target<'_, KinfoPin>) -> Result<OpenFiles> {
    let pid = target.pid();
    let read = || match confirmed(kernel, target, || kernel.open_files(pid)) {
        Err(Error::NoSuchProcess { .. }) => Ok(None),
        other => other.map(Some),
    };
    if let Some(files) = read()?.filter(|f| f.count > 0) {
        return Ok(files);
    }
    let record = match target.pin() {
        Some(pin) => verified(kernel, pid, pin)?,
        None => settled(kernel, pid)?,
    };
    match record.life {
        Life::Exited => Err(Error::Zombie { pid }),
        Life::Busy => Err(busy(pid)),
        Life::Started(_) => read()?.ok_or(Error::NoSuchProcess { pid }),
    }
}

/// Every process the kernel lists, ascending: one table read.
pub fn pids<K: Kernel>(kernel: &K) -> Result<Vec<Pid>> {
    Ok(kernel.table()?.iter().map(|k| Pid::from(k.pid)).collect())
}

/// `attrs` of every process the kernel lists, from one table read: each process's
/// oneshot is seeded with its own record, so what the record holds costs no call.
pub fn scan<B: Backend, K: Kernel>(kernel: &K, attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
    let records = kernel.table()?;
    scan_seeded::<B, Kinfo>(records.into_iter().map(|k| (Pid::from(k.pid), k)), attrs)
}

#[cfg(test)]
// Nightly clippy misreads the `const` initialisers on some tier-3 targets (OpenBSD, Solaris).
#[allow(clippy::missing_const_for_thread_local)]
mod tests {
    use super::*;
    use psx_core::Pinned;
    use psx_core::{OneshotGuard, SigSet};
    use std::cell::{Cell, RefCell};

    fn at(sec: i64, usec: i64) -> Life {
        Life::Started(StartTime { sec, usec })
    }

    /// A process of the fake kernel: pgid `pid * 10`, sid 1, groups `[pid]`.
    fn proc(pid: i32, life: Life) -> Kinfo {
        Kinfo {
            pid,
            pgid: pid * 10,
            sid: 1,
            groups: vec![pid as u32],
            comm: format!("p{pid}"),
            sigmasks: Some(SignalMasks {
                ignored: Some(SigSet::from_words(&[1 << 12])),
                ..SignalMasks::default()
            }),
            life,
            // Processes 1 to 9 are user 1000's, the others user 2000's.
            ruid: if pid < 10 { 1000 } else { 2000 },
            memory: matches!(life, Life::Started(_)).then_some(Memory {
                rss: pid as u64,
                data: 2 * pid as u64,
                stack: 3,
                map: Some(100),
            }),
            cpu_seconds: matches!(life, Life::Started(_)).then_some(7),
        }
    }

    /// How a fake process shows to a caller.
    #[derive(Clone)]
    #[allow(clippy::large_enum_variant)] // a few of them, in tests
    enum Shown {
        Listed(Kinfo),
        /// Hidden (`security.curtain`): its record reads as access denied, and
        /// `getpgid` still answers.
        Hidden(i32),
    }

    thread_local! {
        static PROCS: RefCell<Vec<Shown>> = const { RefCell::new(Vec::new()) };
        /// The next this many record reads say `Busy`, whatever the process.
        static BUSY_READS: Cell<u32> = const { Cell::new(0) };
        static TABLE_READS: Cell<u32> = const { Cell::new(0) };
        static KINFO_READS: Cell<u32> = const { Cell::new(0) };
        static ID_CALLS: Cell<u32> = const { Cell::new(0) };
        static WAITS: Cell<u32> = const { Cell::new(0) };
        static FILE_READS: Cell<u32> = const { Cell::new(0) };
    }

    fn set_procs(procs: Vec<Shown>) {
        PROCS.set(procs);
        for counter in [
            &BUSY_READS,
            &TABLE_READS,
            &KINFO_READS,
            &ID_CALLS,
            &WAITS,
            &FILE_READS,
        ] {
            counter.set(0);
        }
    }

    fn listed(procs: impl IntoIterator<Item = Kinfo>) -> Vec<Shown> {
        procs.into_iter().map(Shown::Listed).collect()
    }

    /// A kernel whose processes are `PROCS`, counting what it is asked; `T` its start
    /// time tolerance.
    struct Fake<const T: i64>;

    impl<const T: i64> Kernel for Fake<T> {
        const START_TOLERANCE_USEC: i64 = T;

        fn id_falls_back(err: &Error) -> bool {
            matches!(err, Error::NoSuchProcess { .. })
        }

        fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
            KINFO_READS.set(KINFO_READS.get() + 1);
            let shown = PROCS.with_borrow(|procs| {
                procs.iter().find_map(|s| match s {
                    Shown::Listed(k) if i64::from(k.pid) == pid.get() => Some(s.clone()),
                    Shown::Hidden(p) if i64::from(*p) == pid.get() => Some(s.clone()),
                    _ => None,
                })
            });
            match shown {
                Some(Shown::Listed(mut k)) => {
                    if BUSY_READS.get() > 0 {
                        BUSY_READS.set(BUSY_READS.get() - 1);
                        // As `fill_kproc2` leaves them: no start, no figures.
                        (k.life, k.memory, k.cpu_seconds) = (Life::Busy, None, None);
                    }
                    Ok(k)
                }
                Some(Shown::Hidden(_)) => Err(Error::access_denied(pid)),
                None => Err(Error::NoSuchProcess { pid }),
            }
        }

        fn table(&self) -> Result<Vec<Kinfo>> {
            TABLE_READS.set(TABLE_READS.get() + 1);
            let mut all: Vec<Kinfo> = PROCS.with_borrow(|procs| {
                procs
                    .iter()
                    .filter_map(|s| match s {
                        Shown::Listed(k) => Some(k.clone()),
                        Shown::Hidden(_) => None,
                    })
                    .collect()
            });
            all.sort_by_key(|k| k.pid);
            Ok(all)
        }

        fn wait(&self, _: u32) {
            WAITS.set(WAITS.get() + 1);
        }

        fn page_size(&self) -> u64 {
            4096
        }

        /// As NetBSD's `sysctl_kern_file2`: a live process listed has `pid` descriptors,
        /// 0 to `pid - 1`; anything else lists nothing.
        fn open_files(&self, pid: Pid) -> Result<OpenFiles> {
            FILE_READS.set(FILE_READS.get() + 1);
            let live = PROCS.with_borrow(|procs| {
                procs.iter().any(|s| {
                    matches!(s, Shown::Listed(k) if i64::from(k.pid) == pid.get()
                        && matches!(k.life, Life::Started(_)))
                })
            });
            let count = if live { pid.get() as u64 } else { 0 };
            Ok(OpenFiles {
                count,
                highest: count.checked_sub(1),
            })
        }
    }

    /// `getpgid` by pid: whatever process has the pid now, hidden or not.
    fn getpgid(pid: Pid) -> Result<Pid> {
        ID_CALLS.set(ID_CALLS.get() + 1);
        PROCS.with_borrow(|procs| {
            procs
                .iter()
                .find_map(|s| match s {
                    Shown::Listed(k) if i64::from(k.pid) == pid.get() => Some(Pid::from(k.pgid)),
                    Shown::Hidden(p) if i64::from(*p) == pid.get() => Some(Pid::from(p * 10)),
                    _ => None,
                })
                .ok_or(Error::NoSuchProcess { pid })
        })
    }

    /// A backend over `Fake<T>`, delegating as the real ones do.
    enum FakeOs<const T: i64> {}

    impl<const T: i64> Backend for FakeOs<T> {
        type Pin = KinfoPin;

        fn available(attr: Attr) -> bool {
            !matches!(attr, Attr::Umask | Attr::Rlimits)
        }

        fn pids() -> Result<Vec<Pid>> {
            pids(&Fake::<T>)
        }

        fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
            scan::<Self, _>(&Fake::<T>, attrs)
        }

        fn pin(pid: Pid) -> Result<KinfoPin> {
            pin(&Fake::<T>, pid)
        }

        fn is_running(target: Target<'_, KinfoPin>) -> Result<bool> {
            is_running(&Fake::<T>, target)
        }

        fn comm(target: Target<'_, KinfoPin>) -> Result<String> {
            with_kinfo(&Fake::<T>, target, |k| Ok(k.comm.clone()))
        }

        fn groups(target: Target<'_, KinfoPin>) -> Result<Vec<u32>> {
            with_kinfo(&Fake::<T>, target, |k| Ok(k.groups.clone()))
        }

        fn sigmasks(target: Target<'_, KinfoPin>) -> Result<SignalMasks> {
            with_kinfo(&Fake::<T>, target, |k| k.signal_masks(target.pid()))
        }

        fn pgid(target: Target<'_, KinfoPin>) -> Result<Pid> {
            id(&Fake::<T>, target, |k| k.pgid, || getpgid(target.pid()))
        }

        fn sid(target: Target<'_, KinfoPin>) -> Result<Pid> {
            id(&Fake::<T>, target, |k| k.sid, || Ok(Pid::from(1)))
        }

        fn usage(target: Target<'_, KinfoPin>, resource: Resource) -> Result<u64> {
            let measured = [Resource::Cpu, Resource::Data, Resource::As];
            usage(&Fake::<T>, target, resource, &measured)
        }

        fn open_files(target: Target<'_, KinfoPin>) -> Result<OpenFiles> {
            open_files(&Fake::<T>, target)
        }

        fn nproc_share(target: Target<'_, KinfoPin>) -> Result<NprocShare> {
            nproc_share(&Fake::<T>, target)
        }
    }

    type Exact = FakeOs<0>;

    fn kind<T>(r: &Result<T>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn a_scan_reads_the_table_once_whatever_the_number_of_processes() {
        for n in [1, 10, 300] {
            set_procs(listed(
                (1..=n).rev().map(|p| proc(p, at(1000 + i64::from(p), 0))),
            ));
            let infos = Exact::scan(Attr::ALL).unwrap();
            assert_eq!(infos.len(), n as usize);
            // Every attribute the record holds came from the one table read.
            assert_eq!(
                (TABLE_READS.get(), KINFO_READS.get(), ID_CALLS.get()),
                (1, 0, 0),
                "{n} processes"
            );
            let last = infos.last().unwrap();
            assert_eq!(last.pid, Pid::from(n));
            assert_eq!(last.comm.as_deref(), Some(format!("p{n}").as_str()));
            assert_eq!(last.groups, Some(vec![n as u32]));
            assert_eq!(
                (last.pgid, last.sid),
                (Some(Pid::from(n * 10)), Some(Pid::from(1)))
            );
            assert!(last.sigmasks.is_some());
            // The same answers as reading each process on its own, which costs a
            // record read per process.
            KINFO_READS.set(0);
            let each = psx_core::scan_each::<Exact>(Exact::pids().unwrap(), Attr::ALL).unwrap();
            assert_eq!(each, infos);
            assert!(KINFO_READS.get() >= n as u32);
        }
    }

    fn used(read: &ProcInfo) -> Vec<(Resource, u64)> {
        let usage = read.usage.as_ref().expect("usage read");
        usage.used.iter().map(|(r, n)| (*r, *n)).collect()
    }

    #[test]
    fn usage_comes_from_the_record_in_bytes_and_seconds() {
        let pid = Pid::from(3);
        set_procs(listed([proc(3, at(30, 0))]));
        let read = psx_core::info::<Exact>(Target::new(pid).unwrap(), &[Attr::Usage]).unwrap();
        // 3 descriptors (highest 2); data 6 pages, as 100 pages of 4096 bytes; cpu 7 s.
        assert_eq!(
            used(&read),
            [
                (Resource::Cpu, 7),
                (Resource::Data, 6 * 4096),
                (Resource::Nofile, 3),
                (Resource::As, 100 * 4096),
            ]
        );
        assert_eq!(read.usage.as_ref().unwrap().highest_fd, Some(2));
        // One record for every figure, and one files read.
        assert_eq!((KINFO_READS.get(), FILE_READS.get()), (1, 1));
        // A resource not measured here is unsupported, with no read at all.
        KINFO_READS.set(0);
        let err = Exact::usage(Target::new(pid).unwrap(), Resource::Memlock);
        assert_eq!((kind(&err), KINFO_READS.get()), ("unsupported", 0));
    }

    #[test]
    fn a_scan_reads_usage_from_the_table_and_sums_nproc_per_real_user() {
        let mut zombie = proc(12, Life::Exited);
        zombie.ruid = 1000;
        set_procs(listed([
            proc(1, at(10, 0)),
            proc(2, at(20, 0)),
            proc(11, at(110, 0)),
            zombie,
        ]));
        let infos = Exact::scan(&[Attr::Usage]).unwrap();
        // The record costs no call: one table read, and one files read per process;
        // the zombie's empty files reply costs a record read, to tell why.
        assert_eq!(
            (TABLE_READS.get(), KINFO_READS.get(), FILE_READS.get()),
            (1, 1, 4)
        );
        let nproc: Vec<_> = infos
            .iter()
            .map(|i| {
                let usage = i.usage.as_ref();
                (
                    i.pid.get(),
                    usage.and_then(|u| u.used.get(&Resource::Nproc).copied()),
                )
            })
            .collect();
        // User 1000: pids 1, 2 and the zombie 12, which counts until it is reaped.
        assert_eq!(
            nproc,
            [(1, Some(3)), (2, Some(3)), (11, Some(1)), (12, None)]
        );
        assert_eq!(
            infos[3].missing.get(&Attr::Usage),
            Some(&psx_core::Missing::Zombie)
        );
        assert_eq!(used(&infos[1])[1], (Resource::Data, 4 * 4096));
    }

    #[test]
    fn usage_through_a_handle_is_the_pinned_processs_or_none() {
        let pid = Pid::from(5);
        set_procs(listed([proc(5, at(50, 0))]));
        let pinned = psx_core::Pinned::new::<Exact>(pid).unwrap();
        let handle = pinned.target();
        assert_eq!(Exact::usage(handle, Resource::Data).unwrap(), 10 * 4096);
        assert_eq!(Exact::open_files(handle).unwrap().count, 5);
        assert_eq!(Exact::nproc_share(handle).unwrap().ruid, 1000);
        // Another process takes pid 5: nothing of it is given out through the handle.
        let mut newcomer = proc(5, at(51, 0));
        newcomer.memory = newcomer.memory.map(|m| Memory { data: 99, ..m });
        set_procs(listed([newcomer]));
        assert_eq!(
            kind(&Exact::usage(handle, Resource::Data)),
            "no_such_process"
        );
        assert_eq!(
            kind(&Exact::usage(handle, Resource::Cpu)),
            "no_such_process"
        );
        assert_eq!(kind(&Exact::open_files(handle)), "no_such_process");
        assert_eq!(kind(&Exact::nproc_share(handle)), "no_such_process");
        assert_eq!(kind(&psx_core::usage::<Exact>(handle)), "no_such_process");
        // Not from a oneshot that read the newcomer by pid either.
        let _oneshot = OneshotGuard::enter(pid);
        let bare = Target::new(pid).unwrap();
        assert_eq!(Exact::usage(bare, Resource::Data).unwrap(), 99 * 4096);
        assert_eq!(
            kind(&Exact::usage(handle, Resource::Data)),
            "no_such_process"
        );
    }

    #[test]
    fn a_zombie_has_no_usage_and_a_busy_record_is_read_again() {
        let pid = Pid::from(6);
        set_procs(listed([proc(6, Life::Exited)]));
        let bare = Target::new(pid).unwrap();
        assert_eq!(kind(&Exact::usage(bare, Resource::Cpu)), "zombie");
        // The kernel lists no files for it: the record says why.
        assert_eq!(kind(&Exact::open_files(bare)), "zombie");
        assert_eq!(kind(&psx_core::usage::<Exact>(bare)), "zombie");
        // Still counted against its user's NPROC.
        assert_eq!(Exact::nproc_share(bare).unwrap().ruid, 1000);
        // No process at all.
        set_procs(vec![]);
        assert_eq!(kind(&Exact::open_files(bare)), "no_such_process");
        // A busy record by pid: read again until the kernel fills it.
        set_procs(listed([proc(6, at(60, 0))]));
        BUSY_READS.set(2);
        assert_eq!(Exact::usage(bare, Resource::Data).unwrap(), 12 * 4096);
        assert_eq!(KINFO_READS.get(), 3);
        BUSY_READS.set(u32::MAX);
        let err = Exact::usage(bare, Resource::Data).unwrap_err();
        assert!(is_busy(&err));
        // A hidden process: its record answers for its files.
        set_procs(vec![Shown::Hidden(6)]);
        assert_eq!(kind(&Exact::open_files(bare)), "access_denied");
    }

    /// A process with no descriptor: live, so 0, after a second files read.
    #[test]
    fn a_live_process_may_have_no_descriptor() {
        set_procs(listed([proc(8, at(80, 0))]));
        let kernel = Fake::<0>;
        struct NoFiles;
        impl Kernel for NoFiles {
            const START_TOLERANCE_USEC: i64 = 0;
            fn id_falls_back(_: &Error) -> bool {
                false
            }
            fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
                Fake::<0>.kinfo(pid)
            }
            fn table(&self) -> Result<Vec<Kinfo>> {
                Fake::<0>.table()
            }
            fn page_size(&self) -> u64 {
                4096
            }
            fn open_files(&self, _: Pid) -> Result<OpenFiles> {
                FILE_READS.set(FILE_READS.get() + 1);
                Ok(OpenFiles::default())
            }
        }
        let files = open_files(&NoFiles, Target::new(Pid::from(8)).unwrap()).unwrap();
        assert_eq!((files.count, files.highest), (0, None));
        assert_eq!(FILE_READS.get(), 2);
        assert_eq!(
            open_files(&kernel, Target::new(Pid::from(8)).unwrap())
                .unwrap()
                .count,
            8
        );
    }

    #[test]
    fn descriptors_are_counted_in_place_skipping_pseudo_entries() {
        // 8-byte records, the descriptor number at 4.
        let table: Vec<u8> = [-1i32, -2, 0, 7, 3]
            .iter()
            .flat_map(|fd| [[0xee; 4], fd.to_ne_bytes()].concat())
            .collect();
        let files = count_fds(&table, 8, 4).unwrap();
        assert_eq!((files.count, files.highest), (3, Some(7)));
        assert_eq!(count_fds(&[], 8, 4).unwrap(), OpenFiles::default());
        assert!(matches!(
            count_fds(&table[..12], 8, 4),
            Err(DecodeError::Ragged { len: 12, record: 8 })
        ));
        // A descriptor field past the record is an error, not a panic.
        assert!(count_fds(&table, 8, 6).is_err());
        assert!(count_fds(&table, 0, 0).is_err());
    }

    #[test]
    fn a_table_that_grows_is_read_again_either_way_the_kernel_says_so() {
        // The kernel's table: 3 records of 4 bytes, growing to 40 after the first read.
        for says in ["enomem", "longer"] {
            let mut len = 12usize;
            let mut reads = 0;
            let buf = read_records(4, |old, count| {
                let Some(buf) = old else {
                    return Ok(len + 40); // the sizing call adds slop
                };
                reads += 1;
                assert_eq!(count * 4, buf.len());
                let answer = len;
                if reads == 1 {
                    len = 400;
                }
                if answer > buf.len() || reads == 1 {
                    return match says {
                        "enomem" => Err(io::Error::from(io::ErrorKind::OutOfMemory)),
                        _ => Ok(buf.len() + 4),
                    };
                }
                buf[..answer].fill(1);
                Ok(answer)
            })
            .unwrap();
            assert_eq!((buf.len(), reads), (400, 2), "{says}");
        }
        // Other errors stand.
        let err = read_records(4, |_, _| Err(io::Error::from_raw_os_error(3))).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(3));
    }

    #[test]
    fn a_reused_pid_reads_as_gone_through_a_handle() {
        let pid = Pid::from(7);
        set_procs(listed([proc(7, at(500, 10))]));
        let pin = Pinned::new::<Exact>(pid).unwrap();
        let handle = pin.target();
        assert_eq!(Exact::groups(handle).unwrap(), [7]);
        assert!(Exact::is_running(handle).unwrap());
        // Process 7 is reaped and another takes its pid, one microsecond later.
        let mut newcomer = proc(7, at(500, 11));
        newcomer.groups = vec![99];
        newcomer.pgid = 990;
        set_procs(listed([newcomer]));
        assert_eq!(kind(&Exact::groups(handle)), "no_such_process");
        assert_eq!(kind(&Exact::comm(handle)), "no_such_process");
        assert_eq!(kind(&Exact::sigmasks(handle)), "no_such_process");
        assert_eq!(kind(&Exact::pgid(handle)), "no_such_process");
        assert_eq!(kind(&Exact::sid(handle)), "no_such_process");
        assert_eq!(
            kind(&psx_core::info::<Exact>(handle, Attr::ALL)),
            "no_such_process"
        );
        assert!(!Exact::is_running(handle).unwrap());
        // Through a handle no call by pid is made: the record answers the ids.
        assert_eq!(ID_CALLS.get(), 0);
        // By pid, the newcomer is read.
        let bare = Target::new(pid).unwrap();
        assert_eq!(Exact::groups(bare).unwrap(), [99]);
        assert_eq!(Exact::pgid(bare).unwrap(), Pid::from(990));
        assert!(Exact::is_running(bare).unwrap());
        // A oneshot that read the newcomer by pid does not serve it to the handle.
        let _oneshot = OneshotGuard::enter(pid);
        assert_eq!(Exact::groups(bare).unwrap(), [99]);
        assert_eq!(kind(&Exact::groups(handle)), "no_such_process");
        assert_eq!(kind(&Exact::pgid(handle)), "no_such_process");
    }

    #[test]
    fn a_handle_reads_its_process_and_caches_it() {
        let pid = Pid::from(8);
        set_procs(listed([proc(8, at(600, 0))]));
        let pin = Pinned::new::<Exact>(pid).unwrap();
        let handle = pin.target();
        let _oneshot = OneshotGuard::enter(pid);
        KINFO_READS.set(0);
        let read = psx_core::info::<Exact>(handle, Attr::ALL).unwrap();
        assert_eq!(read.groups, Some(vec![8]));
        assert_eq!(read.pgid, Some(Pid::from(80)));
        // One record for everything it holds, and one more read after the files call
        // by pid, to confirm it reached the pinned process.
        assert_eq!((KINFO_READS.get(), ID_CALLS.get()), (2, 0));
    }

    #[test]
    fn a_wall_clock_start_matches_within_the_tolerance() {
        type Stepped = FakeOs<1_000_000>;
        let pid = Pid::from(5);
        set_procs(listed([proc(5, at(100, 0))]));
        let pin = Pinned::new::<Stepped>(pid).unwrap();
        let handle = pin.target();
        // The clock was stepped back half a second: the same process.
        set_procs(listed([proc(5, at(99, 500_000))]));
        assert_eq!(Stepped::groups(handle).unwrap(), [5]);
        // Two seconds later: another process.
        set_procs(listed([proc(5, at(102, 0))]));
        assert_eq!(kind(&Stepped::groups(handle)), "no_such_process");
        // The exact kernel tells them apart to the microsecond.
        set_procs(listed([proc(5, at(100, 0))]));
        let pin = Pinned::new::<Exact>(pid).unwrap();
        set_procs(listed([proc(5, at(99, 999_999))]));
        let handle = pin.target();
        assert_eq!(kind(&Exact::groups(handle)), "no_such_process");
    }

    #[test]
    fn a_handle_to_an_exited_process_gives_out_nothing() {
        let pid = Pid::from(6);
        set_procs(listed([proc(6, at(10, 0))]));
        let pin = Pinned::new::<Exact>(pid).unwrap();
        let handle = pin.target();
        // It exits: no start time to compare any more.
        set_procs(listed([proc(6, Life::Exited)]));
        assert_eq!(kind(&Exact::groups(handle)), "zombie");
        assert_eq!(kind(&Exact::pgid(handle)), "zombie");
        assert!(Exact::is_running(handle).unwrap());
        let read = psx_core::info::<Exact>(handle, Attr::ALL).unwrap();
        assert_eq!((read.groups, read.pgid, read.comm), (None, None, None));
        // By pid, the zombie's record still reads.
        assert_eq!(Exact::groups(Target::new(pid).unwrap()).unwrap(), [6]);
        // A handle made on a zombie: once a live process has the pid, it is gone.
        let pin = Pinned::new::<Exact>(pid).unwrap();
        assert_eq!(*pin.pin(), KinfoPin::Exited);
        let handle = pin.target();
        assert_eq!(kind(&Exact::groups(handle)), "zombie");
        set_procs(listed([proc(6, at(20, 0))]));
        assert_eq!(kind(&Exact::groups(handle)), "no_such_process");
        assert!(!Exact::is_running(handle).unwrap());
        set_procs(vec![]);
        assert!(!Exact::is_running(handle).unwrap());
        assert_eq!(kind(&Exact::groups(handle)), "no_such_process");
    }

    #[test]
    fn a_busy_record_is_read_again() {
        let pid = Pid::from(4);
        set_procs(listed([proc(4, at(40, 0))]));
        BUSY_READS.set(3);
        let pin = Pinned::new::<Exact>(pid).unwrap();
        assert_eq!(
            *pin.pin(),
            KinfoPin::Started(StartTime { sec: 40, usec: 0 })
        );
        assert_eq!((KINFO_READS.get(), WAITS.get()), (4, 3));
        let handle = pin.target();
        BUSY_READS.set(2);
        assert_eq!(Exact::groups(handle).unwrap(), [4]);
        // A record that stays busy is given up on, after a bounded number of reads.
        BUSY_READS.set(u32::MAX);
        KINFO_READS.set(0);
        let err = Exact::groups(handle).unwrap_err();
        assert!(
            matches!(&err, Error::Os { source, .. } if source.kind() == io::ErrorKind::ResourceBusy)
        );
        assert_eq!(KINFO_READS.get(), BUSY_ATTEMPTS);
        assert!(Exact::pin(pid).is_err());
        // By pid, a busy record serves what it holds.
        assert_eq!(Exact::groups(Target::new(pid).unwrap()).unwrap(), [4]);
    }

    #[test]
    fn a_hidden_process_cannot_be_told_from_a_newcomer() {
        let pid = Pid::from(3);
        set_procs(listed([proc(3, at(30, 0))]));
        let pin = Pinned::new::<Exact>(pid).unwrap();
        let handle = pin.target();
        set_procs(vec![Shown::Hidden(3)]);
        assert_eq!(kind(&Exact::groups(handle)), "no_such_process");
        assert_eq!(kind(&Exact::pgid(handle)), "no_such_process");
        assert!(!Exact::is_running(handle).unwrap());
        // By pid: access denied, and getpgid, which the curtain does not hide, answers.
        let bare = Target::new(pid).unwrap();
        assert_eq!(kind(&Exact::groups(bare)), "access_denied");
        assert!(Exact::is_running(bare).unwrap());
        assert_eq!(Exact::pgid(bare).unwrap(), Pid::from(30));
        let _oneshot = OneshotGuard::enter(pid);
        assert_eq!(Exact::pgid(bare).unwrap(), Pid::from(30));
        // Making a handle on it is refused.
        assert_eq!(kind(&Exact::pin(pid)), "access_denied");
    }

    #[test]
    fn a_call_by_pid_is_believed_only_for_the_pinned_process() {
        let pid = Pid::from(2);
        set_procs(listed([proc(2, at(20, 0))]));
        let pin = Pinned::new::<Exact>(pid).unwrap();
        let handle = pin.target();
        let kernel = Fake::<0>;
        assert_eq!(confirmed(&kernel, handle, || Ok(5)).unwrap(), 5);
        // The call reached a newcomer of another user, which refused.
        set_procs(listed([proc(2, at(21, 0))]));
        let refused = || -> Result<()> { Err(Error::access_denied(pid)) };
        assert_eq!(
            kind(&confirmed(&kernel, handle, refused)),
            "no_such_process"
        );
        assert_eq!(
            kind(&confirmed(&kernel, handle, || Ok(5))),
            "no_such_process"
        );
        // By pid, the answer stands.
        assert_eq!(
            kind(&confirmed(&kernel, Target::new(pid).unwrap(), refused)),
            "access_denied"
        );
        // A change is not made once the pid names another process.
        let made = Cell::new(false);
        let change = || {
            made.set(true);
            Ok(())
        };
        assert_eq!(kind(&guarded(&kernel, handle, change)), "no_such_process");
        assert!(!made.get());
        // The pinned process is checked again after the change.
        set_procs(listed([proc(2, at(20, 0))]));
        let swap = || {
            set_procs(listed([proc(2, at(22, 0))]));
            Ok(())
        };
        assert_eq!(kind(&guarded(&kernel, handle, swap)), "no_such_process");
    }

    #[test]
    fn ids_fall_back_to_the_record_by_pid() {
        let pid = Pid::from(11);
        let mut zombie = proc(11, Life::Exited);
        zombie.pgid = 42;
        set_procs(listed([zombie]));
        // getpgid skips zombies (ESRCH): the record answers.
        let gone = || Err(Error::NoSuchProcess { pid });
        assert_eq!(
            id(&Fake::<0>, Target::new(pid).unwrap(), |k| k.pgid, gone).unwrap(),
            Pid::from(42)
        );
        // Other refusals stand.
        let denied = || Err(Error::access_denied(pid));
        let read = id(&Fake::<0>, Target::new(pid).unwrap(), |k| k.pgid, denied);
        assert_eq!(kind(&read), "access_denied");
        set_procs(vec![]);
        let read = id(&Fake::<0>, Target::new(pid).unwrap(), |k| k.pgid, gone);
        assert_eq!(kind(&read), "no_such_process");
    }

    /// An 8-byte record: `i32` pid, `i32` pgid.
    fn pid_pgid(buf: &[u8]) -> Result<Kinfo, DecodeError> {
        let pid = bytes::i32_at(buf, 0).unwrap();
        let mut k = proc(pid, at(0, 0));
        k.pgid = bytes::i32_at(buf, 4).unwrap();
        Ok(k)
    }

    fn table(records: &[(i32, i32)]) -> Vec<u8> {
        records
            .iter()
            .flat_map(|(pid, pgid)| [pid.to_ne_bytes(), pgid.to_ne_bytes()].concat())
            .collect()
    }

    #[test]
    fn decodes_a_table_into_one_record_per_pid_ascending() {
        // Pid 5 twice: the later record is the current one. Pid 0 is the kernel's.
        let buf = table(&[(9, 1), (5, 2), (0, 3), (7, 4), (5, 5), (5, 6)]);
        let got: Vec<_> = records(&buf, 8, pid_pgid)
            .unwrap()
            .iter()
            .map(|k| (k.pid, k.pgid))
            .collect();
        assert_eq!(got, [(5, 6), (7, 4), (9, 1)]);
        assert!(records(&[], 8, pid_pgid).unwrap().is_empty());
        assert_eq!(
            records(&buf[..20], 8, pid_pgid).unwrap_err(),
            DecodeError::Ragged { len: 20, record: 8 }
        );
        assert!(records(&buf, 0, pid_pgid).is_err());
        // A record that does not decode fails the table.
        let bad = |_: &[u8]| Err(DecodeError::BadGroupCount(-1));
        assert_eq!(
            records(&buf, 8, bad).unwrap_err(),
            DecodeError::BadGroupCount(-1)
        );
    }

    /// A made-up struct of 120 bytes, its fields where `Layout` says, and 16 bytes
    /// after them that psx does not read.
    const SMALL: Layout = Layout {
        size: 120,
        p_pid: 0,
        p_sid: 4,
        p_pgid: 8,
        p_ngroups: 12,
        p_groups: 16,
        p_comm: 80,
        p_ruid: 104,
    };

    fn small(groups: &[u32], ngroups: i16) -> Vec<u8> {
        let mut buf = vec![0x5a; 120];
        buf[0..4].copy_from_slice(&7i32.to_ne_bytes());
        buf[12..14].copy_from_slice(&ngroups.to_ne_bytes());
        for (i, g) in groups.iter().enumerate() {
            buf[16 + 4 * i..20 + 4 * i].copy_from_slice(&g.to_ne_bytes());
        }
        buf[80..84].copy_from_slice(b"sh\0\0");
        buf
    }

    fn decode_small(buf: &[u8]) -> Result<Kinfo, DecodeError> {
        decode(buf, &SMALL, |_| {
            Some(OsFields {
                sigmasks: None,
                life: Life::Exited,
                memory: None,
                cpu_seconds: None,
            })
        })
    }

    #[test]
    fn decodes_up_to_sixteen_groups_and_refuses_a_negative_count() {
        let k = decode_small(&small(&[], 0)).unwrap();
        assert!(k.groups.is_empty());
        assert_eq!((k.pid, k.comm.as_str()), (7, "sh"));
        let sixteen: Vec<u32> = (100..116).collect();
        assert_eq!(decode_small(&small(&sixteen, 16)).unwrap().groups, sixteen);
        // A process in more groups than the array holds: the first 16.
        for n in [17, i16::MAX] {
            assert_eq!(decode_small(&small(&sixteen, n)).unwrap().groups, sixteen);
        }
        for n in [-1, i16::MIN] {
            let err = DecodeError::BadGroupCount(n);
            assert_eq!(decode_small(&small(&[], n)), Err(err));
        }
    }

    #[test]
    fn decodes_only_a_whole_struct() {
        let buf = small(&[1], 1);
        // Short of the fields psx reads, or only of those it does not.
        for len in [0, 1, 12, 13, 79, 103, 104, 119] {
            let err = DecodeError::Truncated { len, expected: 120 };
            assert_eq!(decode_small(&buf[..len]), Err(err));
        }
        // A longer buffer (a newer kernel's bigger struct) decodes from its prefix.
        let longer = [buf.clone(), vec![0; 64]].concat();
        assert_eq!(decode_small(&longer), decode_small(&buf));
        // The OS's own fields past the end are the same error.
        let short_rest = decode(&buf, &SMALL, |_| None);
        let err = DecodeError::Truncated {
            len: 120,
            expected: 120,
        };
        assert_eq!(short_rest, Err(err));
    }

    #[test]
    fn the_mib_carries_the_element_size_and_count() {
        assert_eq!(
            kinfo_mib(47, KERN_PROC_ALL, 0, 680, 12),
            [1, 47, 0, 0, 680, 12]
        );
        assert_eq!(
            kinfo_mib(66, KERN_PROC_PID, 9, 648, 1),
            [1, 66, 1, 9, 648, 1]
        );
        assert_eq!(kinfo_mib(66, 0, 0, 648, usize::MAX)[5], i32::MAX);
    }
}
