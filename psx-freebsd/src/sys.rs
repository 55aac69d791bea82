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
    let mut buf = [0u8; layout::SIZE];
    let len = sysctl(&decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)
        .map_err(|e| Error::from_io(pid, e))?;
    // No process: an empty reply (or ESRCH, mapped above).
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(&buf[..len]).map_err(|e| invalid_data(pid, e))
}

/// Serves `pick` from the oneshot's `kinfo_proc`, or `None` when no oneshot is active.
fn from_oneshot<R>(pid: Pid, pick: impl FnOnce(&Kinfo) -> Result<R>) -> Option<Result<R>> {
    oneshot::cached(pid, || read_kinfo(pid), pick)
}

/// The full group list from `KERN_PROC_GROUPS`: sized first, retried when it grew
/// between the two calls (ENOMEM).
fn proc_groups(pid: Pid) -> Result<Vec<u32>> {
    let mib = decode::groups_mib(pid.as_raw());
    for _ in 0..8 {
        let size = sysctl(&mib, None, None).map_err(|e| Error::from_io(pid, e))?;
        if size == 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        let mut buf = vec![0u8; size];
        match sysctl(&mib, Some(&mut buf), None) {
            Ok(len) => return Ok(decode::groups(&buf[..len.min(buf.len())])),
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
/// answers EPERM (another session).
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
        Error::AccessDenied { .. } => read_kinfo(pid).map(|k| Pid::from(field(&k))),
        other => Err(other),
    }
}

/// `KERN_PROC_RLIMIT`: reads the old limits and, with `new`, sets them in the same call.
fn rlimit(pid: Pid, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
    let number = decode::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let mut old = [0u8; 16];
    let new = new.map(decode::encode_rlimit);
    let mib = decode::rlimit_mib(pid.as_raw(), number);
    let len = sysctl(&mib, Some(&mut old), new.as_ref().map(|n| &n[..])).map_err(|e| {
        match e.raw_os_error() {
            // A resource this kernel predates (RLIMIT_PIPEBUF before FreeBSD 14).
            Some(libc::EINVAL) if new.is_none() => Error::invalid_resource(),
            _ => Error::from_io(pid, e),
        }
    })?;
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::rlimit(&old[..len]).map_err(|e| invalid_data(pid, e))
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
        let len = sysctl(&decode::umask_mib(pid.as_raw()), Some(&mut buf), None)
            .map_err(|e| Error::from_io(pid, e))?;
        if len == 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        decode::umask(&buf[..len]).map_err(|e| invalid_data(pid, e))
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
