//! The FreeBSD system calls: `sysctl(3)` for `kinfo_proc`, the umask, the group list and
//! the limits; `getpgid(2)`/`getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{oneshot, Attr, Backend, Error, Pid, RLimit, Resource, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo};

// The offsets decode.rs reads are libc's (which libc's CI checks against FreeBSD).
const _: () = {
    type K = libc::kinfo_proc;
    assert!(size_of::<K>() == layout::SIZE);
    assert!(offset_of!(K, ki_structsize) == layout::KI_STRUCTSIZE);
    assert!(offset_of!(K, ki_pid) == layout::KI_PID);
    assert!(offset_of!(K, ki_pgid) == layout::KI_PGID);
    assert!(offset_of!(K, ki_sid) == layout::KI_SID);
    assert!(offset_of!(K, ki_siglist) == layout::KI_SIGLIST);
    assert!(offset_of!(K, ki_sigmask) == layout::KI_SIGMASK);
    assert!(offset_of!(K, ki_sigignore) == layout::KI_SIGIGNORE);
    assert!(offset_of!(K, ki_sigcatch) == layout::KI_SIGCATCH);
    assert!(offset_of!(K, ki_ngroups) == layout::KI_NGROUPS_FIELD);
    assert!(offset_of!(K, ki_groups) == layout::KI_GROUPS);
    assert!(offset_of!(K, ki_cr_flags) == layout::KI_CR_FLAGS);
    assert!(libc::KI_NGROUPS == layout::KI_NGROUPS);
    assert!(libc::KI_CRF_GRP_OVERFLOW as u32 == layout::KI_CRF_GRP_OVERFLOW);
    assert!(libc::RLIM_INFINITY as u64 == decode::RLIM_INFINITY);
    assert!(size_of::<libc::rlimit>() == decode::RLIMIT_SIZE);
    assert!(offset_of!(libc::rlimit, rlim_max) == 8);
    assert!(
        libc::KERN_PROC_UMASK == 39 && libc::KERN_PROC_GROUPS == 34 && libc::KERN_PROC_RLIMIT == 37
    );
    assert!(libc::RLIMIT_UMTXP == 14 && libc::RLIMIT_NOFILE == 8);
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

fn invalid_data(pid: Pid, err: decode::DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    // Room for twice the struct psx knows: a kernel whose kinfo_proc has grown still
    // fits, and its `ki_structsize` then says so (decode::kinfo checks it).
    let mut buf = [0u8; 2 * layout::SIZE];
    let len = match sysctl(&decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None) {
        Ok(len) => len,
        // Even larger: the kernel filled the buffer and said ENOMEM. Its first bytes
        // hold `ki_structsize`, which makes the error say what happened.
        Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => buf.len(),
        Err(e) => return Err(Error::from_io(pid, e)),
    };
    // No process: an empty reply (or ESRCH, mapped above).
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(buf.get(..len).unwrap_or(&buf)).map_err(|e| invalid_data(pid, e))
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

/// The full group list from `KERN_PROC_GROUPS`: sized first, retried when it grew
/// between the two calls (ENOMEM).
///
/// A gone process is ESRCH (the handler's `pget`), never an empty reply: zero bytes is
/// an empty list, which FreeBSD 15 gives for a process without supplementary groups
/// (its `cr_groups` no longer starts with the effective gid).
fn proc_groups(pid: Pid) -> Result<Vec<u32>> {
    let mib = decode::groups_mib(pid.as_raw());
    for _ in 0..8 {
        let size = sysctl(&mib, None, None).map_err(|e| Error::from_io(pid, e))?;
        if size == 0 {
            return Ok(Vec::new());
        }
        // A little slack, so a list that grows by a few between the calls still fits.
        let mut buf = vec![0u8; size.saturating_add(16 * 4)];
        match sysctl(&mib, Some(&mut buf), None) {
            Ok(len) => return Ok(decode::groups(buf.get(..len).unwrap_or(&buf))),
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
    if let Some(result) = from_oneshot(pid, |k| Ok(Pid::from(field(k)))) {
        return result;
    }
    // SAFETY: getpgid/getsid take a pid and touch no memory of ours.
    let id = unsafe { call(pid.as_raw()) };
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

/// `KERN_PROC_RLIMIT`: reads the old limits and, with `new`, sets them in the same call.
///
/// The handler answers EINVAL only for a resource number the kernel does not have
/// (`which >= RLIM_NLIMITS`: RLIMIT_PIPEBUF before FreeBSD 14) or a new value of the
/// wrong size, which psx never sends; `kern_proc_setrlimit` clamps rather than refuse.
/// It refuses an exiting process with ESRCH (`PGET_NOTWEXIT`): a zombie is reported as
/// such.
fn rlimit(pid: Pid, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
    let number = decode::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let mut old = [0u8; decode::RLIMIT_SIZE];
    let new = new.map(decode::encode_rlimit);
    let mib = decode::rlimit_mib(pid.as_raw(), number);
    let len = sysctl(&mib, Some(&mut old), new.as_ref().map(|n| &n[..])).map_err(|e| {
        match e.raw_os_error() {
            Some(libc::EINVAL) => Error::invalid_resource(),
            _ => exiting_aware(pid, e),
        }
    })?;
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::rlimit(old.get(..len).unwrap_or(&old)).map_err(|e| invalid_data(pid, e))
}

impl Backend for FreeBsd {
    type Pin = ();

    fn available(_: Attr) -> bool {
        true
    }

    fn can_set_rlimit() -> bool {
        true
    }

    fn resource_number(resource: Resource) -> Option<i32> {
        decode::resource_number(resource)
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
        // The handler needs debug rights (`PGET_WANTREAD`: EPERM for another user's
        // process) and refuses an exiting process with ESRCH: a zombie is reported so.
        let len = sysctl(&decode::umask_mib(pid.as_raw()), Some(&mut buf), None)
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
