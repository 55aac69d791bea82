//! The FreeBSD system calls: `sysctl(3)` for `kinfo_proc`, the umask, the group list and
//! the limits; `getpgid(2)`/`getsid(2)`; `getrlimit(2)` on ourselves to learn which
//! resources the kernel has.

use std::io;
use std::mem::{offset_of, size_of};
use std::sync::OnceLock;

use psx_core::{oneshot, Attr, Backend, Error, Pid, RLimit, Resource, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo};

// The offsets decode.rs reads for this target are libc's (which libc's CI checks
// against FreeBSD): LP64 on 64-bit targets, i386 on i686.
const _: () = {
    type K = libc::kinfo_proc;
    const L: layout::Layout = layout::NATIVE;
    assert!(size_of::<K>() == L.size);
    assert!(offset_of!(K, ki_structsize) == layout::KI_STRUCTSIZE);
    assert!(offset_of!(K, ki_pid) == L.pid);
    assert!(offset_of!(K, ki_pgid) == L.pgid);
    assert!(offset_of!(K, ki_sid) == L.sid);
    assert!(offset_of!(K, ki_siglist) == L.siglist);
    assert!(offset_of!(K, ki_sigmask) == L.sigmask);
    assert!(offset_of!(K, ki_sigignore) == L.sigignore);
    assert!(offset_of!(K, ki_sigcatch) == L.sigcatch);
    assert!(offset_of!(K, ki_ngroups) == L.ngroups);
    assert!(offset_of!(K, ki_groups) == L.groups);
    assert!(offset_of!(K, ki_cr_flags) == L.cr_flags);
    assert!(libc::KI_NGROUPS == layout::KI_NGROUPS);
    assert!(libc::KI_CRF_GRP_OVERFLOW as u32 == layout::KI_CRF_GRP_OVERFLOW);
    assert!(libc::RLIM_INFINITY as u64 == decode::RLIM_INFINITY);
    assert!(size_of::<libc::rlimit>() == decode::RLIMIT_SIZE);
    assert!(offset_of!(libc::rlimit, rlim_max) == 8);
    assert!(
        libc::KERN_PROC_UMASK == 39 && libc::KERN_PROC_GROUPS == 34 && libc::KERN_PROC_RLIMIT == 37
    );
    assert!(libc::RLIMIT_UMTXP == 14 && libc::RLIMIT_NOFILE == 8);
    assert!(libc::EBUSY == 16 && libc::EINVAL == 22);
};

/// The FreeBSD backend.
#[derive(Debug)]
pub enum FreeBsd {}

/// `sysctl(3)` on `mib`, reading into `old` (or, with `None`, asking the size) and
/// writing `new`; returns the byte count the kernel reported.
fn sysctl(mib: &[i32], old: Option<&mut [u8]>, new: Option<&[u8]>) -> io::Result<usize> {
    let (old_ptr, mut old_len) = match old {
        Some(buf) => (buf.as_mut_ptr(), buf.len()),
        None => (std::ptr::null_mut(), 0),
    };
    let (new_ptr, new_len) = new.map_or((std::ptr::null(), 0), |b| (b.as_ptr(), b.len()));
    // SAFETY: the MIB, and the buffers with their lengths, are valid for the call.
    let ret = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            old_ptr.cast(),
            &mut old_len,
            new_ptr.cast(),
            new_len,
        )
    };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(old_len)
}

/// [`sysctl`], asked again while the target is in `execve` ([`decode::retry_while_busy`]).
fn sysctl_when_not_busy(mib: &[i32], old: &mut [u8], new: Option<&[u8]>) -> io::Result<usize> {
    decode::retry_while_busy(|| sysctl(mib, Some(&mut *old), new), std::thread::sleep)
}

fn invalid_data(pid: Pid, err: decode::DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
}

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

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    let raw = process_id(pid)?;
    // Room for twice the struct psx knows: a kernel whose kinfo_proc has grown still
    // fits, and its `ki_structsize` then says so (decode::kinfo checks it).
    let mut buf = [0u8; 2 * layout::NATIVE.size];
    let len = match sysctl(&decode::kinfo_mib(raw), Some(&mut buf), None) {
        Ok(len) => len,
        // Even larger: the kernel filled the buffer and said ENOMEM. Its first bytes
        // hold `ki_structsize`, which makes the error say what happened.
        Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => buf.len(),
        // A gone (or hidden: `p_cansee`) process is ESRCH, mapped here.
        Err(e) => return Err(Error::from_io(pid, e)),
    };
    match decode::kinfo_for(raw, buf.get(..len).unwrap_or(&buf)) {
        Ok(Some(kinfo)) => Ok(kinfo),
        Ok(None) => Err(Error::NoSuchProcess { pid }),
        Err(e) => Err(invalid_data(pid, e)),
    }
}

/// For a sysctl that refuses an exiting process (`PGET_NOTWEXIT`) with ESRCH: a zombie
/// (which `kinfo_proc` still shows) is [`Error::Zombie`], a gone process stays
/// [`Error::NoSuchProcess`].
fn zombie_or_gone(pid: Pid) -> Error {
    match read_kinfo(pid) {
        Ok(_) => Error::Zombie { pid },
        Err(e) => e,
    }
}

/// `Error::from_io`, with ESRCH checked for a zombie ([`zombie_or_gone`]).
fn exiting_aware(pid: Pid, err: io::Error) -> Error {
    match Error::from_io(pid, err) {
        Error::NoSuchProcess { .. } => zombie_or_gone(pid),
        other => other,
    }
}

/// Serves `pick` from the oneshot's `kinfo_proc`, or `None` when no oneshot is active.
fn from_oneshot<R>(pid: Pid, pick: impl FnOnce(&Kinfo) -> Result<R>) -> Option<Result<R>> {
    oneshot::cached(pid, || read_kinfo(pid), pick)
}

/// The full group list from `KERN_PROC_GROUPS`, the effective gid first: sized first,
/// retried when it grew between the two calls (ENOMEM).
///
/// `sysctl_kern_proc_groups` looks the pid up with `pget(PGET_CANSEE)`, which finds
/// zombies: a gone or hidden process is ESRCH.
fn proc_groups(pid: Pid) -> Result<Vec<u32>> {
    let mib = decode::groups_mib(process_id(pid)?);
    for _ in 0..8 {
        let size = sysctl(&mib, None, None).map_err(|e| Error::from_io(pid, e))?;
        // A little slack, so a list that grows by a few between the calls still fits.
        let mut buf = vec![0u8; size.saturating_add(16 * 4)];
        match sysctl(&mib, Some(&mut buf), None) {
            Ok(len) => {
                return decode::groups(buf.get(..len).unwrap_or(&buf))
                    .map_err(|e| invalid_data(pid, e))
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => continue,
            Err(e) => return Err(Error::from_io(pid, e)),
        }
    }
    Err(Error::Os {
        pid,
        source: io::Error::other("group list kept growing while being read"),
    })
}

/// `getpgid`/`getsid`, or the oneshot's `kinfo_proc`; `kinfo_proc` also when the kernel
/// answers EPERM, or ESRCH (`getpgid`/`getsid` skip zombies, `kinfo_proc` shows them; a
/// gone process is ESRCH there too).
fn id_of(
    pid: Pid,
    call: unsafe extern "C" fn(libc::pid_t) -> libc::pid_t,
    field: fn(&Kinfo) -> i32,
) -> Result<Pid> {
    let raw = process_id(pid)?;
    if let Some(result) = from_oneshot(pid, |k| Ok(Pid::from(field(k)))) {
        return result;
    }
    // SAFETY: getpgid/getsid take a pid and touch no memory of ours.
    let id = unsafe { call(raw) };
    if id >= 0 {
        return Ok(Pid::from(id));
    }
    match Error::last_os_error(pid) {
        Error::AccessDenied { .. } | Error::NoSuchProcess { .. } => {
            read_kinfo(pid).map(|k| Pid::from(field(&k)))
        }
        other => Err(other),
    }
}

/// The `RLIMIT_*` numbers the running kernel has ([`decode::known_resource_numbers`]),
/// asked once per process.
fn known_resource_numbers() -> u32 {
    static KNOWN: OnceLock<u32> = OnceLock::new();
    *KNOWN.get_or_init(|| {
        decode::known_resource_numbers(|number| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: `limit` is a valid, writable `struct rlimit` for the call.
            match unsafe { libc::getrlimit(number, &mut limit) } {
                0 => Ok(()),
                _ => Err(io::Error::last_os_error()),
            }
        })
    })
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
fn rlimit(pid: Pid, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
    let number = decode::resource_number_in(resource, known_resource_numbers())
        .ok_or_else(Error::invalid_resource)?;
    let mib = decode::rlimit_mib(process_id(pid)?, number);
    let mut old = [0u8; decode::RLIMIT_SIZE];
    let new = new.map(decode::encode_rlimit);
    let len = sysctl_when_not_busy(&mib, &mut old, new.as_ref().map(|n| &n[..])).map_err(|e| {
        if decode::is_unknown_resource(&e) {
            Error::invalid_resource()
        } else {
            exiting_aware(pid, e)
        }
    })?;
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::rlimit(old.get(..len).unwrap_or(&old)).map_err(|e| invalid_data(pid, e))
}

impl Backend for FreeBsd {
    type Pin = ();

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
        decode::resource_number_in(resource, known_resource_numbers())
    }

    fn pin(pid: Pid) -> Result<()> {
        read_kinfo(pid).map(drop)
    }

    /// Whether `kinfo_proc` still shows the pid: the answer `kill(pid, 0)` gives
    /// (a process another user owns exists too), except that a zombie counts as running.
    /// With no pin, a reused pid is not detected.
    fn is_running(target: Target<'_, ()>) -> Result<bool> {
        match read_kinfo(target.pid) {
            Ok(_) => Ok(true),
            Err(Error::NoSuchProcess { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn umask(target: Target<'_, ()>) -> Result<u32> {
        let pid = target.pid;
        let mut buf = [0u8; 2];
        // `sysctl_kern_proc_umask` looks the pid up with `pget(PGET_WANTREAD)`: it needs
        // `p_candebug` rights (see `rlimit` above: EPERM without them, EBUSY while the
        // target execs, retried) and refuses an exiting process with ESRCH.
        let len = sysctl_when_not_busy(&decode::umask_mib(process_id(pid)?), &mut buf, None)
            .map_err(|e| exiting_aware(pid, e))?;
        if len == 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        decode::umask(buf.get(..len).unwrap_or(&buf)).map_err(|e| invalid_data(pid, e))
    }

    fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
        let pid = target.pid;
        // In a oneshot, kinfo_proc's copy unless it says it was truncated.
        match from_oneshot(pid, |k| Ok(k.groups.clone())) {
            Some(Ok(Some(groups))) => Ok(groups),
            Some(Err(e)) => Err(e),
            Some(Ok(None)) | None => proc_groups(pid),
        }
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        let pid = target.pid;
        from_oneshot(pid, |k| Ok(k.sigmasks)).unwrap_or_else(|| read_kinfo(pid).map(|k| k.sigmasks))
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getpgid, |k| k.pgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getsid, |k| k.sid)
    }

    fn get_rlimit(target: Target<'_, ()>, resource: Resource) -> Result<RLimit> {
        rlimit(target.pid, resource, None)
    }

    fn set_rlimit(target: Target<'_, ()>, resource: Resource, new: RLimit) -> Result<RLimit> {
        rlimit(target.pid, resource, Some(new))
    }
}
