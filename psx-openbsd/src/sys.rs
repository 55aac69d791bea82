//! The OpenBSD system calls: `sysctl(2)` for `kinfo_proc`, `getpgid(2)`/`getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{oneshot, Attr, Backend, Error, Pid, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo};

// The offsets decode.rs reads are libc's (which libc's CI checks against OpenBSD).
const _: () = {
    type K = libc::kinfo_proc;
    assert!(size_of::<K>() == layout::SIZE);
    assert!(offset_of!(K, p_pid) == layout::P_PID);
    assert!(offset_of!(K, p_sid) == layout::P_SID);
    assert!(offset_of!(K, p__pgid) == layout::P_PGID);
    assert!(offset_of!(K, p_groups) == layout::P_GROUPS);
    assert!(offset_of!(K, p_ngroups) == layout::P_NGROUPS);
    assert!(offset_of!(K, p_siglist) == layout::P_SIGLIST);
    assert!(offset_of!(K, p_sigmask) == layout::P_SIGMASK);
    assert!(offset_of!(K, p_sigignore) == layout::P_SIGIGNORE);
    assert!(offset_of!(K, p_sigcatch) == layout::P_SIGCATCH);
    assert!(libc::KI_NGROUPS as usize == layout::KI_NGROUPS);
};

/// The OpenBSD backend.
#[derive(Debug)]
pub enum OpenBsd {}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    let mib = decode::kinfo_mib(pid.as_raw());
    let mut buf = [0u8; layout::SIZE];
    let mut len = buf.len();
    // SAFETY: the MIB and `buf` (with its length in `len`) are valid for the call.
    let ret = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if ret != 0 {
        return Err(Error::last_os_error(pid));
    }
    // No process: the kernel answers success with nothing.
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(&buf[..len]).map_err(|e| Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })
}

/// Serves `pick` from the oneshot's `kinfo_proc`, or from a fresh one.
fn with_kinfo<R>(pid: Pid, pick: impl Fn(&Kinfo) -> R) -> Result<R> {
    match oneshot::cached(pid, || read_kinfo(pid), |k| Ok(pick(k))) {
        Some(result) => result,
        None => read_kinfo(pid).map(|k| pick(&k)),
    }
}

/// `getpgid`/`getsid` by pid, falling back to `kinfo_proc` where the call refuses (see
/// [`decode::id_from_call`]); inside a oneshot, `kinfo_proc` directly. So the answer is
/// the same inside and outside a oneshot.
fn id_of(
    pid: Pid,
    call: unsafe extern "C" fn(libc::pid_t) -> libc::pid_t,
    field: fn(&Kinfo) -> i32,
) -> Result<Pid> {
    if let Some(result) = oneshot::cached(pid, || read_kinfo(pid), |k| Ok(Pid::from(field(k)))) {
        return result;
    }
    // SAFETY: getpgid/getsid take a pid and touch no memory of ours.
    let id = unsafe { call(pid.as_raw()) };
    let by_call = if id >= 0 {
        Ok(Pid::from(id))
    } else {
        Err(Error::last_os_error(pid))
    };
    decode::id_from_call(by_call, || read_kinfo(pid).map(|k| field(&k)))
}

impl Backend for OpenBsd {
    type Pin = ();

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask | Attr::Rlimits)
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

    fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
        with_kinfo(target.pid, |k| k.groups.clone())
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        with_kinfo(target.pid, |k| k.sigmasks)
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getpgid, |k| k.pgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getsid, |k| k.sid)
    }
}
