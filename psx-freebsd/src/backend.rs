//! The FreeBSD backend's logic, over a [`Kernel`]: which call answers what, how a
//! reply or an error is read, and how a [`StartPin`] is checked. Pure, so it builds and
//! is tested on every host, against a fake kernel; `sys.rs` makes the real calls.

use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use psx_core::{
    oneshot, scan_seeded, Attr, Backend, Error, NprocShare, OpenFiles, Pid, ProcInfo, RLimit,
    Resource, Result, SignalMasks, StartTime, Target, ValidRLimit,
};

use crate::decode::{self, layout, Kinfo, StartPin};

/// The calls the backend makes. Each answers as the kernel does, errno and all.
pub trait Kernel {
    /// `sysctl(3)` on `mib`, reading into `old` (with `None`, asking the size) and
    /// writing `new`: the byte count the kernel reported.
    fn sysctl(mib: &[i32], old: Option<&mut [u8]>, new: Option<&[u8]>) -> io::Result<usize>;
    /// The whole [`decode::table_mib`] reply, read in one call.
    fn table() -> io::Result<Vec<u8>>;
    /// `getpgid(2)`.
    fn getpgid(pid: Pid) -> Result<Pid>;
    /// `getsid(2)`.
    fn getsid(pid: Pid) -> Result<Pid>;
    /// The `RLIMIT_*` numbers the running kernel has ([`decode::known_resource_numbers`]).
    fn known_resources() -> u32;
    /// Waits before a refused call is made again ([`decode::retry_while_busy`]).
    fn pause(duration: Duration);
    /// The kernel's page size (`getpagesize()`), the unit of `kinfo_proc`'s page counts.
    fn page_size() -> u64;
}

/// The FreeBSD backend on `K`; `psx_freebsd::FreeBsd`, on FreeBSD, is the one on the
/// real kernel. Never constructed: its methods are the [`Backend`] trait's.
pub struct FreeBsdOn<K>(PhantomData<fn() -> K>);

/// How many times a start time is read again when the clock is stepped during the read.
const CLOCK_STEP_ATTEMPTS: u32 = 4;

/// The pid as the kernel's `pid_t`, or [`Error::NoSuchProcess`] for an id above
/// `PID_MAX`, which the kernel would take for a thread id ([`decode::is_process_id`]).
fn process_id(pid: Pid) -> Result<i32> {
    let raw = pid.as_raw();
    if decode::is_process_id(raw) {
        Ok(raw)
    } else {
        Err(Error::NoSuchProcess { pid })
    }
}

/// `pid`'s `kinfo_proc`, fresh.
fn read_kinfo<K: Kernel>(pid: Pid) -> Result<Kinfo> {
    let raw = process_id(pid)?;
    // Room for twice the struct psx knows: a kernel whose kinfo_proc has grown still
    // fits, and its `ki_structsize` then says so (decode::kinfo checks it).
    let mut buf = [0u8; 2 * layout::NATIVE.size];
    let len = match K::sysctl(&decode::kinfo_mib(raw), Some(&mut buf[..]), None) {
        Ok(len) => len,
        // Even larger: the kernel filled the buffer and said ENOMEM. Its first bytes
        // hold `ki_structsize`, which makes the error say what happened.
        Err(e) if e.raw_os_error() == Some(decode::ENOMEM) => buf.len(),
        // `sysctl_kern_proc` finds the pid with `pget(PGET_CANSEE)`, zombies included:
        // a gone or hidden process is ESRCH.
        Err(e) => return Err(Error::from_io(pid, e)),
    };
    match decode::kinfo_for(raw, buf.get(..len).unwrap_or(&buf)) {
        Ok(Some(kinfo)) => Ok(kinfo),
        Ok(None) => Err(Error::NoSuchProcess { pid }),
        Err(e) => Err(Error::invalid_data(pid, e)),
    }
}

/// `kern.boottime`, the boot time the wall clock is now counted from.
fn boottime<K: Kernel>(pid: Pid) -> Result<StartTime> {
    let mut buf = [0u8; 16];
    let len = K::sysctl(&decode::boottime_mib(), Some(&mut buf[..]), None)
        .map_err(|source| Error::os(pid, source))?;
    decode::boottime(buf.get(..len).unwrap_or(&buf)).map_err(|e| Error::invalid_data(pid, e))
}

/// `pid`'s `kinfo_proc` and the boot time its `ki_start` was computed with: the boot
/// time read before and after, and the same both times.
fn kinfo_with_boottime<K: Kernel>(pid: Pid) -> Result<(Kinfo, StartTime)> {
    for _ in 0..CLOCK_STEP_ATTEMPTS {
        let before = boottime::<K>(pid)?;
        let kinfo = read_kinfo::<K>(pid)?;
        if boottime::<K>(pid)? == before {
            return Ok((kinfo, before));
        }
    }
    Err(Error::os(
        pid,
        io::Error::other("the clock was stepped during every read of the start time"),
    ))
}

/// A refusal to show a pinned process. Every base policy of `cr_cansee`
/// (`sys/kern/kern_prot.c`: jails, `see_other_uids`, `see_other_gids`) hides a process
/// with ESRCH, so a handle sees `EPERM` or `EACCES` only from a MAC policy, and then
/// cannot tell its process from a newcomer with the pid: it is gone to the handle,
/// never a newcomer's refusal.
fn hidden_is_gone(pid: Pid, err: Error) -> Error {
    match err {
        Error::AccessDenied { .. } => Error::NoSuchProcess { pid },
        other => other,
    }
}

/// A fresh `kinfo_proc` of the pinned process, when a `ki_start` read for `pid` was not
/// the pin's: either the clock was stepped since the pin, or the pid names a newcomer.
/// The start counted from boot tells them apart.
fn reread_pinned<K: Kernel>(pid: Pid, pin: &StartPin) -> Result<Kinfo> {
    let (kinfo, boottime) = kinfo_with_boottime::<K>(pid).map_err(|e| hidden_is_gone(pid, e))?;
    if pin.is_since_boot(kinfo.start, boottime) {
        Ok(kinfo)
    } else {
        Err(Error::NoSuchProcess { pid })
    }
}

/// The pinned process's `kinfo_proc`, fresh, or [`Error::NoSuchProcess`] once it is
/// gone (the pid unused, or another process's).
fn pinned_kinfo<K: Kernel>(pid: Pid, pin: &StartPin) -> Result<Kinfo> {
    let kinfo = read_kinfo::<K>(pid).map_err(|e| hidden_is_gone(pid, e))?;
    if pin.is(kinfo.start) {
        Ok(kinfo)
    } else {
        reread_pinned::<K>(pid, pin)
    }
}

/// After a call by pid through a handle, before its answer or error is believed: the
/// call reached the pinned process only if that process is still there (a pid is not
/// reused until its process is reaped).
fn still_pinned<K: Kernel>(target: Target<'_, StartPin>) -> Result<()> {
    match target.pin() {
        Some(pin) => pinned_kinfo::<K>(target.pid(), pin).map(drop),
        None => Ok(()),
    }
}

/// `pick` from `target`'s `kinfo_proc`: the oneshot's if one is active, else a fresh
/// one. Through a handle, the record (cached or fresh) must be the pinned process's:
/// a oneshot is keyed by pid, so it may hold what a call by pid read before the
/// pinned process was forked.
fn kinfo_attr<K: Kernel, R>(
    target: Target<'_, StartPin>,
    pick: impl Fn(&Kinfo) -> Result<R>,
) -> Result<R> {
    let pid = target.pid();
    let Some(pin) = target.pin() else {
        return oneshot::cached_or_fresh(pid, || read_kinfo::<K>(pid), pick);
    };
    let read = || read_kinfo::<K>(pid).map_err(|e| hidden_is_gone(pid, e));
    let if_pinned = |k: &Kinfo| {
        if pin.is(k.start) {
            pick(k).map(Some)
        } else {
            Ok(None)
        }
    };
    let first = match oneshot::cached(pid, read, if_pinned) {
        Some(result) => result?,
        None => if_pinned(&read()?)?,
    };
    match first {
        Some(value) => Ok(value),
        None => {
            let kinfo = reread_pinned::<K>(pid, pin)?;
            let value = pick(&kinfo);
            // The oneshot keeps the pinned process's record from now on.
            oneshot::seed(pid, kinfo);
            value
        }
    }
}

/// Every process's `kinfo_proc`, from one read of the whole table.
fn table<K: Kernel>() -> Result<Vec<Kinfo>> {
    let me = Pid::current();
    let reply = K::table().map_err(|e| Error::from_io(me, e))?;
    decode::table(&reply).map_err(|e| Error::invalid_data(me, e))
}

/// For a sysctl that refuses an exiting process (`PGET_NOTWEXIT`) with ESRCH: a process
/// still there (a handle's, whose pin was checked after the call, or one `kinfo_proc`
/// still shows) is [`Error::Zombie`]; a gone one stays [`Error::NoSuchProcess`].
fn exiting_aware<K: Kernel>(target: Target<'_, StartPin>, err: io::Error) -> Error {
    let pid = target.pid();
    match Error::from_io(pid, err) {
        Error::NoSuchProcess { .. } if target.pin().is_some() => Error::Zombie { pid },
        Error::NoSuchProcess { .. } => match read_kinfo::<K>(pid) {
            Ok(_) => Error::Zombie { pid },
            Err(e) => e,
        },
        other => other,
    }
}

/// The full group list from `KERN_PROC_GROUPS`, the effective gid first: sized first,
/// retried when it grew between the two calls (ENOMEM).
///
/// `sysctl_kern_proc_groups` looks the pid up with `pget(PGET_CANSEE)`, which finds
/// zombies: a gone or hidden process is ESRCH.
fn proc_groups<K: Kernel>(pid: Pid) -> Result<Vec<u32>> {
    let mib = decode::groups_mib(process_id(pid)?);
    for _ in 0..8 {
        let size = K::sysctl(&mib, None, None).map_err(|e| Error::from_io(pid, e))?;
        // A little slack, so a list that grows by a few between the calls still fits.
        let mut buf = vec![0u8; size.saturating_add(16 * 4)];
        match K::sysctl(&mib, Some(&mut buf[..]), None) {
            Ok(len) => {
                return decode::groups(buf.get(..len).unwrap_or(&buf))
                    .map_err(|e| Error::invalid_data(pid, e))
            }
            Err(e) if e.raw_os_error() == Some(decode::ENOMEM) => continue,
            Err(e) => return Err(Error::from_io(pid, e)),
        }
    }
    Err(Error::os(
        pid,
        io::Error::other("group list kept growing while being read"),
    ))
}

/// The whole `KERN_PROC_FILEDESC` reply for `mib`: sized first, then read into that
/// plus room to grow, and read again while it may have been cut
/// ([`decode::filedesc_reply_is_whole`]: ENOMEM on FreeBSD 13 and later, a short reply
/// without an error before).
///
/// `sysctl_kern_proc_filedesc` (`sys/kern/kern_descrip.c`) finds the pid with
/// `pget(PGET_CANDEBUG | PGET_NOTWEXIT)`: another user's process is EPERM (it needs
/// the right to debug it, as the umask does), one in `execve` EBUSY (retried), an
/// exiting one ESRCH.
fn filedesc<K: Kernel>(mib: &[i32]) -> io::Result<Vec<u8>> {
    for _ in 0..8 {
        let size = decode::retry_while_busy(|| K::sysctl(mib, None, None), K::pause)?;
        let mut buf = vec![0u8; size + size / 4 + 2 * decode::KINFO_FILE_SIZE];
        match decode::retry_while_busy(|| K::sysctl(mib, Some(&mut buf[..]), None), K::pause) {
            Ok(len) if decode::filedesc_reply_is_whole(buf.len(), len) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Ok(_) => continue,
            Err(e) if e.raw_os_error() == Some(decode::ENOMEM) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(
        "descriptor list kept growing while being read",
    ))
}

/// The process group or session: from `kinfo_proc` in a oneshot and through a handle
/// (which reads it anyway to check its pin), else `getpgid`/`getsid`, and `kinfo_proc`
/// when they answer ESRCH (`sys_getpgid` and `sys_getsid` in `sys/kern/kern_prot.c`
/// find the pid with `pfind`, which skips zombies; `kinfo_proc` shows them) or EPERM.
fn id_of<K: Kernel>(
    target: Target<'_, StartPin>,
    field: fn(&Kinfo) -> i32,
    call: fn(Pid) -> Result<Pid>,
) -> Result<Pid> {
    let pid = target.pid();
    process_id(pid)?;
    if target.pin().is_some() || oneshot::is_active(pid) {
        return kinfo_attr::<K, _>(target, |k| Ok(Pid::from(field(k))));
    }
    match call(pid) {
        Err(Error::AccessDenied { .. } | Error::NoSuchProcess { .. }) => {
            read_kinfo::<K>(pid).map(|k| Pid::from(field(&k)))
        }
        other => other,
    }
}

/// `KERN_PROC_RLIMIT`: reads the old limits and, with `new`, sets them in the same call;
/// returns the old ones.
///
/// Not atomic: `sysctl_kern_proc_rlimit` (`sys/kern/kern_proc.c`) holds the process
/// (`PGET_HOLD`, so the pid cannot be reused meanwhile) but drops its lock between
/// reading the old pair (`lim_rlimit_proc`) and `kern_proc_setrlimit`, so another
/// `setrlimit` can land in between and the pair returned is then not the one replaced.
///
/// Reading needs `p_cansee`; setting needs `p_candebug` (`sys/kern/kern_prot.c`), which
/// answers EPERM unless the caller's effective uid equals all three of the target's
/// uids, the target's groups are all among the caller's, the target has not changed
/// credentials since its last exec (`P_SUGID`), `security.bsd.unprivileged_proc_debug`
/// is on and the target is not init above securelevel 0, or the caller is privileged;
/// and EBUSY while the target execs (`P_INEXEC`), which is retried.
///
/// `kern_proc_setrlimit` (`sys/kern/kern_resource.c`) refuses a soft or hard value
/// above the current hard limit with EPERM unless the caller is privileged
/// (`PRIV_PROC_SETRLIMIT`): [`Error::AccessDenied`]. What it accepts it may still
/// install lower than asked, without an error: DATA, STACK, NOFILE and NPROC are capped
/// at `maxdsiz`, `maxssiz`, `maxfilesperproc` and `maxprocperuid` (and NPROC raised to
/// at least 1), and a 32-bit process's ABI caps its own (`sv_fixlimit`). The pair
/// returned is the one read before the set; a caller who needs the installed pair
/// reads the limits again.
///
/// The handler answers EINVAL only for a resource number the kernel does not have
/// (`which >= RLIM_NLIMITS`) or a new value of the wrong size, which psx never sends,
/// and refuses an exiting process with ESRCH (`PGET_NOTWEXIT`): a zombie is reported
/// as such.
///
/// Through a handle, a set checks the pin before the call (never touching a pid known
/// to name another process) and both a get and a set check it after.
fn rlimit<K: Kernel>(
    target: Target<'_, StartPin>,
    resource: Resource,
    new: Option<RLimit>,
) -> Result<RLimit> {
    let pid = target.pid();
    let number = decode::resource_number_in(resource, K::known_resources())
        .ok_or_else(Error::invalid_resource)?;
    let mib = decode::rlimit_mib(process_id(pid)?, number);
    if new.is_some() {
        still_pinned::<K>(target)?;
    }
    let mut old = [0u8; decode::RLIMIT_SIZE];
    let new = new.map(decode::encode_rlimit);
    let answer = decode::retry_while_busy(
        || K::sysctl(&mib, Some(&mut old[..]), new.as_ref().map(|n| &n[..])),
        K::pause,
    );
    // The pin first: if the pinned process is gone, whatever answered was not it.
    still_pinned::<K>(target)?;
    let len = answer.map_err(|e| {
        if decode::is_unknown_resource(&e) {
            Error::invalid_resource()
        } else {
            exiting_aware::<K>(target, e)
        }
    })?;
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::rlimit(old.get(..len).unwrap_or(&old)).map_err(|e| Error::invalid_data(pid, e))
}

impl<K: Kernel> Backend for FreeBsdOn<K> {
    /// The start time: see [`StartPin`].
    type Pin = StartPin;

    const RLIM_INFINITY: u64 = decode::RLIM_INFINITY;

    fn available(_: Attr) -> bool {
        true
    }

    fn can_set_rlimit() -> bool {
        true
    }

    /// FreeBSD's number for `resource`, if the running kernel has it (`RLIMIT_VMM`
    /// needs FreeBSD 15, and older kernels lack `RLIMIT_PIPEBUF` too).
    fn resource_number(resource: Resource) -> Option<i32> {
        decode::resource_number_in(resource, K::known_resources())
    }

    /// Every process the caller may see (`p_cansee`), zombies included, from one
    /// `KERN_PROC_PROC` read.
    fn pids() -> Result<Vec<Pid>> {
        Ok(table::<K>()?.iter().map(|k| Pid::from(k.pid)).collect())
    }

    /// One `KERN_PROC_PROC` read serves every process's name, groups (unless more than
    /// `KI_NGROUPS`), signal masks, process group and session, memory and CPU use and
    /// real uid; the umask, the limits and the descriptors cost their own sysctls per
    /// process.
    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
        let records = table::<K>()?.into_iter().map(|k| (Pid::from(k.pid), k));
        scan_seeded::<Self, Kinfo>(records, attrs)
    }

    /// The process's `ki_start`, with the boot time it was computed from.
    fn pin(pid: Pid) -> Result<StartPin> {
        let (kinfo, boottime) = kinfo_with_boottime::<K>(pid)?;
        Ok(StartPin::new(kinfo.start, boottime))
    }

    /// Whether the pinned process is still there, a zombie included; without a pin,
    /// whether `kinfo_proc` shows the pid.
    fn is_running(target: Target<'_, StartPin>) -> Result<bool> {
        let pid = target.pid();
        let found = match target.pin() {
            Some(pin) => pinned_kinfo::<K>(pid, pin).map(drop),
            None => read_kinfo::<K>(pid).map(drop),
        };
        match found {
            Ok(()) => Ok(true),
            Err(Error::NoSuchProcess { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `ki_comm`.
    fn comm(target: Target<'_, StartPin>) -> Result<String> {
        kinfo_attr::<K, _>(target, |k| Ok(k.comm.clone()))
    }

    fn umask(target: Target<'_, StartPin>) -> Result<u32> {
        let pid = target.pid();
        let mib = decode::umask_mib(process_id(pid)?);
        let mut buf = [0u8; 2];
        // `sysctl_kern_proc_umask` looks the pid up with `pget(PGET_WANTREAD)`: it needs
        // `p_candebug` rights (see `rlimit` above: EPERM without them, EBUSY while the
        // target execs, retried) and refuses an exiting process with ESRCH.
        let answer =
            decode::retry_while_busy(|| K::sysctl(&mib, Some(&mut buf[..]), None), K::pause);
        still_pinned::<K>(target)?;
        let len = answer.map_err(|e| exiting_aware::<K>(target, e))?;
        if len == 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        decode::umask(buf.get(..len).unwrap_or(&buf)).map_err(|e| Error::invalid_data(pid, e))
    }

    fn groups(target: Target<'_, StartPin>) -> Result<Vec<u32>> {
        let pid = target.pid();
        // By pid outside a oneshot: the list alone, not a whole kinfo_proc.
        if target.pin().is_none() && !oneshot::is_active(pid) {
            return proc_groups::<K>(pid);
        }
        match kinfo_attr::<K, _>(target, |k| Ok(k.groups.clone()))? {
            Some(groups) => Ok(groups),
            // More than kinfo_proc holds: the full list by pid, checked against the pin.
            None => {
                let groups = proc_groups::<K>(pid);
                still_pinned::<K>(target)?;
                groups
            }
        }
    }

    fn sigmasks(target: Target<'_, StartPin>) -> Result<SignalMasks> {
        kinfo_attr::<K, _>(target, |k| Ok(k.sigmasks))
    }

    fn pgid(target: Target<'_, StartPin>) -> Result<Pid> {
        id_of::<K>(target, |k| k.pgid, K::getpgid)
    }

    fn sid(target: Target<'_, StartPin>) -> Result<Pid> {
        id_of::<K>(target, |k| k.sid, K::getsid)
    }

    fn get_rlimit(target: Target<'_, StartPin>, resource: Resource) -> Result<RLimit> {
        rlimit::<K>(target, resource, None)
    }

    fn set_rlimit(
        target: Target<'_, StartPin>,
        resource: Resource,
        new: ValidRLimit,
    ) -> Result<RLimit> {
        rlimit::<K>(target, resource, Some(new.get()))
    }

    /// `kinfo_proc`'s figures ([`decode::kinfo_usage`]): the oneshot's record, so a scan
    /// costs no call for them; through a handle, the pinned process's record.
    fn usage(target: Target<'_, StartPin>, resource: Resource) -> Result<u64> {
        let pid = target.pid();
        if !decode::KINFO_MEASURES.contains(&resource) {
            return Err(Error::Unsupported {
                what: "resource usage",
            });
        }
        let page_size = K::page_size();
        kinfo_attr::<K, _>(target, |k| {
            decode::kinfo_usage(&k.usage, resource, page_size).map_err(|why| match why {
                decode::NoUsage::Zombie => Error::Zombie { pid },
                decode::NoUsage::Unsupported => Error::Unsupported {
                    what: "resource usage",
                },
            })
        })
    }

    /// The records of `KERN_PROC_FILEDESC` ([`decode::open_files`]): one sysctl to size
    /// the list and one to read it, per process (no `kinfo_proc` field counts them, and
    /// `kern.proc.nfds` answers only for the caller itself). Through a handle, the pin
    /// is checked after the call, before its answer or its error is believed.
    fn open_files(target: Target<'_, StartPin>) -> Result<OpenFiles> {
        let pid = target.pid();
        let mib = decode::filedesc_mib(process_id(pid)?);
        let answer = filedesc::<K>(&mib);
        still_pinned::<K>(target)?;
        let reply = answer.map_err(|e| exiting_aware::<K>(target, e))?;
        decode::open_files(&reply).map_err(|e| Error::invalid_data(pid, e))
    }

    /// `ki_ruid`, and 1: `chgproccnt` counts processes, not threads, and a zombie
    /// until it is reaped (`proc_reap` in `sys/kern/kern_exit.c`).
    fn nproc_share(target: Target<'_, StartPin>) -> Result<NprocShare> {
        kinfo_attr::<K, _>(target, |k| {
            Ok(NprocShare {
                ruid: k.ruid,
                count: 1,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{kinfo_file, native_boottime, native_kinfo, proc_501, Proc};
    use psx_core::Pinned;
    use psx_core::{info, Limit, OneshotGuard};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// `EPERM`, `ESRCH`, `EACCES` and `EINVAL` (`sys/sys/errno.h`).
    const EPERM: i32 = 1;
    const ESRCH: i32 = 3;
    const EACCES: i32 = 13;
    const EINVAL: i32 = 22;

    /// A process of the fake kernel.
    #[derive(Debug, Clone)]
    struct FakeProc {
        /// `p_stats->p_start`: seconds and microseconds since boot.
        since_boot: (i32, i32),
        comm: String,
        pgid: i32,
        groups: Vec<u32>,
        umask: u16,
        /// `RLIMIT_NOFILE`, and every other resource.
        limits: [u64; 2],
        /// Exited, not reaped.
        zombie: bool,
        /// `p_candebug` lets us: umask and setting limits.
        debuggable: bool,
        /// A MAC policy refuses to show it with EACCES.
        mac_hidden: bool,
        /// Its open descriptors, ascending.
        fds: Vec<i32>,
        /// `ki_rssize`, pages.
        rss_pages: i32,
        /// `ki_ruid`.
        ruid: u32,
    }

    fn proc_named(comm: &str, since_boot: i32) -> FakeProc {
        FakeProc {
            since_boot: (since_boot, 700_000),
            comm: comm.into(),
            pgid: 400,
            groups: vec![20, 5],
            umask: 0o022,
            limits: [1024, 4096],
            zombie: false,
            debuggable: true,
            mac_hidden: false,
            fds: vec![0, 1, 2, 9],
            rss_pages: 1000 + since_boot,
            ruid: 1001,
        }
    }

    /// What the fake kernel was asked.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    struct Calls {
        table: u32,
        kinfo: u32,
        boottime: u32,
        umask: u32,
        rlimit: u32,
        groups: u32,
        ids: u32,
        filedesc: u32,
    }

    #[derive(Default)]
    struct Fake {
        /// `th_boottime`, which a clock step moves.
        boot: (i32, i32),
        procs: BTreeMap<i32, FakeProc>,
        calls: Calls,
        /// Before FreeBSD 13 `KERN_PROC_FILEDESC` drops what does not fit silently.
        old_kernel: bool,
        /// Descriptors a process opens right after each time its list is sized, for
        /// that many sizings.
        opens_after_sizing: (i32, u32),
    }

    thread_local! {
        static FAKE: RefCell<Fake> = RefCell::new(Fake::default());
    }

    fn kernel<R>(f: impl FnOnce(&mut Fake) -> R) -> R {
        FAKE.with_borrow_mut(f)
    }

    fn calls() -> Calls {
        kernel(|k| std::mem::take(&mut k.calls))
    }

    /// A kernel booted at 1_700_000_000.9 running `procs`.
    fn boot(procs: impl IntoIterator<Item = (i32, FakeProc)>) {
        kernel(|k| {
            *k = Fake {
                boot: (1_700_000_000, 900_000),
                procs: procs.into_iter().collect(),
                ..Fake::default()
            }
        });
    }

    fn errno(e: i32) -> io::Error {
        io::Error::from_raw_os_error(e)
    }

    /// Copies `bytes` out as `sysctl_handle_opaque` does: the size alone without a
    /// buffer, ENOMEM into one too small.
    fn copy_out(old: Option<&mut [u8]>, bytes: &[u8]) -> io::Result<usize> {
        match old {
            None => Ok(bytes.len()),
            Some(buf) if buf.len() < bytes.len() => Err(errno(decode::ENOMEM)),
            Some(buf) => {
                buf[..bytes.len()].copy_from_slice(bytes);
                Ok(bytes.len())
            }
        }
    }

    impl Fake {
        /// `fill_kinfo_proc`: `ki_start` is `p_start` plus the boot time now.
        fn kinfo(&self, pid: i32, p: &FakeProc) -> Vec<u8> {
            let mut start = (self.boot.0 + p.since_boot.0, self.boot.1 + p.since_boot.1);
            if start.1 >= 1_000_000 {
                start = (start.0 + 1, start.1 - 1_000_000);
            }
            let overflow = p.groups.len() > 16;
            let shown = &p.groups[..p.groups.len().min(16)];
            native_kinfo(&Proc {
                pid,
                pgid: p.pgid,
                sid: p.pgid,
                ngroups: shown.len() as i16,
                groups: shown.to_vec(),
                cr_flags: if overflow { 0x8000_0000 } else { 0 },
                comm: p.comm.clone(),
                start,
                ruid: p.ruid,
                pages: [p.rss_pages, 300, 8],
                // fill_kinfo_proc_only leaves a zombie's vmspace figures 0.
                stat: if p.zombie { 5 } else { 3 },
                ..proc_501()
            })
        }

        /// `pget` as each handler asks for it.
        fn find(&self, pid: i32, not_exiting: bool) -> io::Result<&FakeProc> {
            match self.procs.get(&pid) {
                Some(p) if p.mac_hidden => Err(errno(EACCES)),
                Some(p) if !(not_exiting && p.zombie) => Ok(p),
                _ => Err(errno(ESRCH)),
            }
        }

        fn sysctl(
            &mut self,
            mib: &[i32],
            old: Option<&mut [u8]>,
            new: Option<&[u8]>,
        ) -> io::Result<usize> {
            match *mib {
                [1, 21] => {
                    self.calls.boottime += 1;
                    let (sec, usec) = self.boot;
                    copy_out(
                        old,
                        &native_boottime(StartTime {
                            sec: sec.into(),
                            usec: usec.into(),
                        }),
                    )
                }
                [1, 14, 1, pid] => {
                    self.calls.kinfo += 1;
                    let p = self.find(pid, false)?;
                    copy_out(old, &self.kinfo(pid, p))
                }
                [1, 14, 34, pid] => {
                    self.calls.groups += 1;
                    let p = self.find(pid, false)?;
                    let bytes: Vec<u8> = p.groups.iter().flat_map(|g| g.to_ne_bytes()).collect();
                    copy_out(old, &bytes)
                }
                [1, 14, 39, pid] => {
                    self.calls.umask += 1;
                    let p = self.find(pid, true)?;
                    if !p.debuggable {
                        return Err(errno(EPERM));
                    }
                    copy_out(old, &p.umask.to_ne_bytes())
                }
                [1, 14, 33, pid] => {
                    self.calls.filedesc += 1;
                    let p = self.find(pid, true)?;
                    if !p.debuggable {
                        return Err(errno(EPERM));
                    }
                    // The text vnode and the cwd, then one record per descriptor.
                    let records: Vec<Vec<u8>> = [(-5, 400), (-1, 392)]
                        .into_iter()
                        .chain(p.fds.iter().map(|&fd| (fd, 384)))
                        .map(|(fd, size)| kinfo_file(fd, size))
                        .collect();
                    let Some(buf) = old else {
                        let size = records.iter().map(Vec::len).sum();
                        if self.opens_after_sizing.1 > 0 {
                            self.opens_after_sizing.1 -= 1;
                            let fds = &mut self.procs.get_mut(&pid).unwrap().fds;
                            let next = fds.last().map_or(0, |fd| fd + 1);
                            fds.extend(next..next + self.opens_after_sizing.0);
                        }
                        return Ok(size);
                    };
                    // export_kinfo_to_sb: stop at the first record that does not fit.
                    let mut len = 0;
                    for record in records {
                        if buf.len() - len < record.len() {
                            return match self.old_kernel {
                                true => Ok(len),
                                false => Err(errno(decode::ENOMEM)),
                            };
                        }
                        buf[len..len + record.len()].copy_from_slice(&record);
                        len += record.len();
                    }
                    Ok(len)
                }
                [1, 14, 37, pid, resource] if (0..=16).contains(&resource) => {
                    self.calls.rlimit += 1;
                    let p = self.find(pid, true)?;
                    let [soft, hard] = p.limits;
                    let before: Vec<u8> =
                        [soft, hard].iter().flat_map(|v| v.to_ne_bytes()).collect();
                    if let Some(new) = new {
                        if !p.debuggable {
                            return Err(errno(EPERM));
                        }
                        let limit = decode::rlimit(new).unwrap();
                        let raw = |l: Limit| l.to_raw(decode::RLIM_INFINITY);
                        let limits = [raw(limit.soft), raw(limit.hard)];
                        self.procs.get_mut(&pid).unwrap().limits = limits;
                    }
                    copy_out(old, &before)
                }
                _ => Err(errno(EINVAL)),
            }
        }
    }

    enum FakeKernel {}

    impl Kernel for FakeKernel {
        fn sysctl(mib: &[i32], old: Option<&mut [u8]>, new: Option<&[u8]>) -> io::Result<usize> {
            kernel(|k| k.sysctl(mib, old, new))
        }

        /// `proc_iterate`: hash order (here: descending), the kernel's process 0 too.
        fn table() -> io::Result<Vec<u8>> {
            kernel(|k| {
                k.calls.table += 1;
                let swapper = (0, proc_named("kernel", 0));
                let all = k.procs.iter().rev().chain([(&swapper.0, &swapper.1)]);
                Ok(all.flat_map(|(&pid, p)| k.kinfo(pid, p)).collect())
            })
        }

        fn getpgid(pid: Pid) -> Result<Pid> {
            kernel(|k| {
                k.calls.ids += 1;
                // `pfind` skips zombies.
                match k.find(pid.as_raw(), true) {
                    Ok(p) => Ok(Pid::from(p.pgid)),
                    Err(e) => Err(Error::from_io(pid, e)),
                }
            })
        }

        fn getsid(pid: Pid) -> Result<Pid> {
            Self::getpgid(pid)
        }

        fn known_resources() -> u32 {
            (1 << 17) - 1
        }

        fn pause(_: Duration) {}

        fn page_size() -> u64 {
            4096
        }
    }

    type Fb = FreeBsdOn<FakeKernel>;

    #[test]
    fn a_scan_reads_the_table_once_whatever_the_number_of_processes() {
        let in_kinfo = [
            Attr::Comm,
            Attr::Groups,
            Attr::Sigmasks,
            Attr::Pgid,
            Attr::Sid,
        ];
        for n in [1, 7, 60] {
            boot((0..n).map(|i| (1000 - 13 * i, proc_named(&format!("p{i}"), i))));
            let infos = Fb::scan(&in_kinfo).unwrap();
            assert_eq!(
                calls(),
                Calls {
                    table: 1,
                    ..Calls::default()
                },
                "{n} processes"
            );
            let pids: Vec<_> = infos.iter().map(|i| i.pid.get()).collect();
            let mut want: Vec<_> = (0..n).map(|i| i64::from(1000 - 13 * i)).collect();
            want.sort_unstable();
            assert_eq!(pids, want);
            let last = infos.last().unwrap();
            assert_eq!(last.comm.as_deref(), Some("p0"));
            assert_eq!(last.groups, Some(vec![20, 5]));
            assert_eq!(
                (last.pgid, last.sid),
                (Some(Pid::from(400)), Some(Pid::from(400)))
            );
            assert!(last.sigmasks.is_some());
            // What kinfo_proc lacks costs its own sysctls: one umask, 17 limits and
            // two descriptor-list calls (size, read) each; the memory and CPU figures
            // and the real uid none.
            let all = Fb::scan(Attr::ALL).unwrap();
            assert_eq!(
                calls(),
                Calls {
                    table: 1,
                    umask: n as u32,
                    rlimit: 17 * n as u32,
                    filedesc: 2 * n as u32,
                    ..Calls::default()
                }
            );
            assert_eq!(all.last().unwrap().umask, Some(0o022));
            assert_eq!(
                Fb::pids()
                    .unwrap()
                    .iter()
                    .map(|p| p.get())
                    .collect::<Vec<_>>(),
                want
            );
            assert_eq!(calls().table, 1);
        }
    }

    #[test]
    fn a_reused_pid_reads_as_no_such_process_through_a_handle() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let pin = Pinned::new::<Fb>(pid).unwrap();
        let handle = pin.target();
        assert_eq!(Fb::comm(handle).unwrap(), "old");
        assert!(Fb::is_running(handle).unwrap());
        // It exits and is reaped; another user's process gets the pid, 40 s later.
        kernel(|k| {
            k.procs.insert(
                500,
                FakeProc {
                    pgid: 777,
                    groups: (1000..1020).collect(),
                    debuggable: false,
                    ..proc_named("newcomer", 90)
                },
            )
        });
        calls();
        let gone = |r: Result<String>| matches!(r, Err(Error::NoSuchProcess { .. }));
        assert!(gone(Fb::comm(handle)));
        assert!(gone(Fb::groups(handle).map(|g| format!("{g:?}"))));
        assert!(gone(Fb::sigmasks(handle).map(|m| format!("{m:?}"))));
        assert!(gone(Fb::pgid(handle).map(|p| p.to_string())));
        assert!(gone(Fb::sid(handle).map(|p| p.to_string())));
        // Calls by pid: the newcomer's EPERM and its limits are not believed.
        assert!(gone(Fb::umask(handle).map(|m| m.to_string())));
        assert!(gone(
            Fb::get_rlimit(handle, Resource::Nofile).map(|l| format!("{l:?}"))
        ));
        let limit = psx_core::ValidRLimit::new(Limit::Value(1), Limit::Value(1)).unwrap();
        assert!(gone(
            Fb::set_rlimit(handle, Resource::Nofile, limit).map(|l| format!("{l:?}"))
        ));
        assert!(!Fb::is_running(handle).unwrap());
        assert!(matches!(
            info::<Fb>(handle, Attr::ALL),
            Err(Error::NoSuchProcess { .. })
        ));
        // The get was made, and not believed; the set never was.
        assert_eq!(calls().rlimit, 1);
        assert_eq!(kernel(|k| k.procs[&500].limits), [1024, 4096]);
        // By pid, the newcomer.
        let bare = Target::new(pid).unwrap();
        assert_eq!(Fb::comm(bare).unwrap(), "newcomer");
        assert_eq!(Fb::groups(bare).unwrap().len(), 20);
        assert!(matches!(Fb::umask(bare), Err(Error::AccessDenied { .. })));
    }

    #[test]
    fn a_stepped_clock_keeps_the_handle() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let pin = Pinned::new::<Fb>(pid).unwrap();
        let handle = pin.target();
        // ntpd steps the clock back an hour and a half second: every ki_start moves.
        kernel(|k| k.boot = (1_699_996_400, 400_000));
        assert_eq!(Fb::comm(handle).unwrap(), "old");
        assert!(Fb::is_running(handle).unwrap());
        assert_eq!(Fb::umask(handle).unwrap(), 0o022);
        {
            let _oneshot = OneshotGuard::enter(pid);
            assert_eq!(Fb::pgid(handle).unwrap(), Pid::from(400));
            // Stepped again: the oneshot's record no longer has the pin's ki_start.
            kernel(|k| k.boot = (1_700_000_100, 0));
            assert_eq!(Fb::comm(handle).unwrap(), "old");
        }
        // After the steps, a newcomer is still told apart.
        kernel(|k| k.procs.insert(500, proc_named("newcomer", 51)));
        assert!(matches!(Fb::comm(handle), Err(Error::NoSuchProcess { .. })));
        assert!(!Fb::is_running(handle).unwrap());
    }

    #[test]
    fn a_record_cached_before_the_pin_is_not_served_through_it() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let _oneshot = OneshotGuard::enter(pid);
        let bare = Target::new(pid).unwrap();
        assert_eq!(Fb::comm(bare).unwrap(), "old");
        // Reaped and reused while the oneshot lives; the handle pins the newcomer.
        kernel(|k| k.procs.insert(500, proc_named("newcomer", 60)));
        let pin = Pinned::new::<Fb>(pid).unwrap();
        let handle = pin.target();
        assert_eq!(Fb::comm(handle).unwrap(), "newcomer");
        // The oneshot now holds the newcomer's record.
        calls();
        assert_eq!(Fb::comm(bare).unwrap(), "newcomer");
        assert_eq!(calls().kinfo, 0);
    }

    #[test]
    fn a_zombie_keeps_its_handle() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let pin = Pinned::new::<Fb>(pid).unwrap();
        let handle = pin.target();
        kernel(|k| k.procs.get_mut(&500).unwrap().zombie = true);
        // kinfo_proc still shows it, with its ki_start.
        assert!(Fb::is_running(handle).unwrap());
        assert_eq!(Fb::comm(handle).unwrap(), "old");
        assert_eq!(Fb::pgid(handle).unwrap(), Pid::from(400));
        // The umask and limit sysctls refuse an exiting process (PGET_NOTWEXIT); the
        // pin check after the call already found it, so no further read is made.
        calls();
        assert!(matches!(Fb::umask(handle), Err(Error::Zombie { .. })));
        assert_eq!(calls().kinfo, 1);
        assert!(matches!(
            Fb::get_rlimit(handle, Resource::Core),
            Err(Error::Zombie { .. })
        ));
        let bare = Target::new(pid).unwrap();
        assert!(matches!(Fb::umask(bare), Err(Error::Zombie { .. })));
        // getpgid skips zombies; kinfo_proc answers.
        assert_eq!(Fb::pgid(bare).unwrap(), Pid::from(400));
        // Reaped.
        kernel(|k| k.procs.clear());
        assert!(!Fb::is_running(handle).unwrap());
        assert!(matches!(
            Fb::umask(handle),
            Err(Error::NoSuchProcess { .. })
        ));
    }

    #[test]
    fn a_newcomer_hidden_by_a_mac_policy_is_no_such_process_to_a_handle() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let pin = Pinned::new::<Fb>(pid).unwrap();
        let handle = pin.target();
        kernel(|k| {
            k.procs.insert(
                500,
                FakeProc {
                    mac_hidden: true,
                    ..proc_named("newcomer", 90)
                },
            )
        });
        assert!(matches!(Fb::comm(handle), Err(Error::NoSuchProcess { .. })));
        assert!(matches!(
            Fb::umask(handle),
            Err(Error::NoSuchProcess { .. })
        ));
        assert!(!Fb::is_running(handle).unwrap());
        // By pid, the refusal is what it is.
        let bare = Target::new(pid).unwrap();
        assert!(matches!(Fb::comm(bare), Err(Error::AccessDenied { .. })));
    }

    #[test]
    fn groups_past_kinfo_proc_come_by_pid() {
        let pid = Pid::from(500);
        let many: Vec<u32> = (1000..1020).collect();
        boot([(
            500,
            FakeProc {
                groups: many.clone(),
                ..proc_named("old", 50)
            },
        )]);
        let pin = Pinned::new::<Fb>(pid).unwrap();
        let handle = pin.target();
        calls();
        assert_eq!(Fb::groups(handle).unwrap(), many);
        // The record (truncated, KI_CRF_GRP_OVERFLOW), the list, then the pin again.
        let made = calls();
        assert_eq!((made.kinfo, made.groups), (2, 2));
        let infos = Fb::scan(&[Attr::Groups]).unwrap();
        assert_eq!(infos[0].groups.as_ref(), Some(&many));
    }

    fn used(usage: &psx_core::Usage) -> Vec<(Resource, u64)> {
        usage.used.iter().map(|(r, n)| (*r, *n)).collect()
    }

    #[test]
    fn a_scan_reads_usage_from_the_table_and_counts_descriptors_per_process() {
        boot([
            (700, proc_named("a", 10)),
            (701, proc_named("b", 20)),
            (
                702,
                FakeProc {
                    ruid: 0,
                    fds: vec![],
                    ..proc_named("c", 30)
                },
            ),
        ]);
        let infos = Fb::scan(&[Attr::Usage]).unwrap();
        // No kinfo_proc beyond the table: only the descriptor lists cost calls.
        assert_eq!(
            calls(),
            Calls {
                table: 1,
                filedesc: 6,
                ..Calls::default()
            }
        );
        let a = infos[0].usage.as_ref().unwrap();
        assert_eq!(
            used(a),
            [
                (Resource::Cpu, 2),
                (Resource::Data, 300 * 4096),
                (Resource::Stack, 8 * 4096),
                (Resource::Rss, 1010 * 4096),
                (Resource::Nproc, 2),
                (Resource::Nofile, 4),
                (Resource::As, 96 << 20),
            ]
        );
        assert_eq!(a.highest_fd, Some(9));
        let c = infos[2].usage.as_ref().unwrap();
        assert_eq!(c.used[&Resource::Nofile], 0);
        assert_eq!(c.highest_fd, None);
        assert_eq!(c.used[&Resource::Nproc], 1);
        assert!(!c.used.contains_key(&Resource::Memlock));
    }

    #[test]
    fn usage_through_a_handle_is_no_such_process_once_the_pid_is_reused() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let pinned = Pinned::new::<Fb>(pid).unwrap();
        let handle = pinned.target();
        assert_eq!(Fb::usage(handle, Resource::Rss).unwrap(), 1050 * 4096);
        assert_eq!(Fb::open_files(handle).unwrap().count, 4);
        // Reaped; a newcomer with other descriptors, memory and user takes the pid.
        kernel(|k| {
            k.procs.insert(
                500,
                FakeProc {
                    fds: (0..40).collect(),
                    ruid: 0,
                    ..proc_named("newcomer", 90)
                },
            )
        });
        let gone = |r: Result<String>| matches!(r, Err(Error::NoSuchProcess { .. }));
        assert!(gone(
            Fb::usage(handle, Resource::Rss).map(|n| n.to_string())
        ));
        assert!(gone(
            Fb::usage(handle, Resource::Cpu).map(|n| n.to_string())
        ));
        assert!(gone(Fb::open_files(handle).map(|f| format!("{f:?}"))));
        assert!(gone(Fb::nproc_share(handle).map(|s| format!("{s:?}"))));
        assert!(gone(psx_core::usage::<Fb>(handle).map(|u| u.to_string())));
        // In a oneshot that cached the old record by pid, the handle still refuses.
        {
            let _oneshot = OneshotGuard::enter(pid);
            let bare = Target::new(pid).unwrap();
            assert_eq!(Fb::usage(bare, Resource::Rss).unwrap(), 1090 * 4096);
            assert!(gone(Fb::usage(handle, Resource::As).map(|n| n.to_string())));
        }
        // By pid, the newcomer.
        let bare = Target::new(pid).unwrap();
        assert_eq!(Fb::open_files(bare).unwrap().count, 40);
        assert_eq!(Fb::nproc_share(bare).unwrap().ruid, 0);
    }

    #[test]
    fn a_zombie_has_cpu_time_only_and_another_users_descriptors_are_denied() {
        let pid = Pid::from(500);
        boot([(500, proc_named("old", 50))]);
        let pinned = Pinned::new::<Fb>(pid).unwrap();
        let handle = pinned.target();
        kernel(|k| k.procs.get_mut(&500).unwrap().zombie = true);
        for target in [handle, Target::new(pid).unwrap()] {
            assert!(matches!(
                Fb::usage(target, Resource::Rss),
                Err(Error::Zombie { .. })
            ));
            // KERN_PROC_FILEDESC refuses an exiting process (PGET_NOTWEXIT).
            assert!(matches!(Fb::open_files(target), Err(Error::Zombie { .. })));
            assert_eq!(Fb::nproc_share(target).unwrap().ruid, 1001);
            let usage = psx_core::usage::<Fb>(target).unwrap();
            assert_eq!(used(&usage), [(Resource::Cpu, 2)]);
        }
        // Not debuggable: the descriptors are denied, kinfo_proc's figures are not.
        kernel(|k| {
            let p = k.procs.get_mut(&500).unwrap();
            p.zombie = false;
            p.debuggable = false;
        });
        assert!(matches!(
            Fb::open_files(handle),
            Err(Error::AccessDenied { .. })
        ));
        let usage = psx_core::usage::<Fb>(handle).unwrap();
        assert!(!usage.used.contains_key(&Resource::Nofile));
        assert_eq!(usage.used[&Resource::Rss], 1050 * 4096);
        // Reaped.
        kernel(|k| k.procs.clear());
        assert!(matches!(
            Fb::open_files(Target::new(pid).unwrap()),
            Err(Error::NoSuchProcess { .. })
        ));
    }

    #[test]
    fn a_descriptor_list_that_grows_while_read_is_read_again_whole() {
        for old_kernel in [false, true] {
            let pid = Pid::from(500);
            boot([(500, proc_named("busy", 50))]);
            // 60 descriptors opened after each of the first two sizings: more than
            // the room the reads leave.
            kernel(|k| {
                k.old_kernel = old_kernel;
                k.opens_after_sizing = (60, 2);
            });
            let files = Fb::open_files(Target::new(pid).unwrap()).unwrap();
            let fds = kernel(|k| k.procs[&500].fds.len() as u64);
            assert_eq!(fds, 4 + 120);
            assert_eq!(files.count, fds, "old kernel: {old_kernel}");
            assert_eq!(files.highest, Some(9 + 120));
            assert_eq!(calls().filedesc, 6);
        }
    }
}
