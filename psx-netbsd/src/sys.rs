//! The NetBSD system calls: `sysctl(3)` for `kinfo_proc2` and the limits,
//! `getpgid(2)`/`getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{oneshot, Attr, Backend, Error, Pid, RLimit, Resource, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo, LimitSysctl, Side};

// The offsets decode.rs reads are libc's (which libc's CI checks against NetBSD).
const _: () = {
    type K = libc::kinfo_proc2;
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
    assert!(libc::RLIM_INFINITY == decode::RLIM_INFINITY);
    assert!(libc::RLIMIT_NOFILE == 8 && libc::RLIMIT_NTHR == 11);
};

/// The NetBSD backend.
#[derive(Debug)]
pub enum NetBsd {}

/// `sysctl(3)` on `mib`, reading into `old` (if any) and writing `new` (if any); returns
/// how many bytes were read.
fn sysctl(pid: Pid, mib: &[i32], old: Option<&mut [u8]>, new: Option<&[u8]>) -> Result<usize> {
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
        return Err(Error::last_os_error(pid));
    }
    Ok(old_len)
}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    let mut buf = [0u8; layout::SIZE];
    let len = sysctl(pid, &decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)?;
    // No process: the kernel answers success with nothing.
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(&buf[..len]).map_err(|e| Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })
}

/// Serves `pick` from the oneshot's `kinfo_proc2`, or from a fresh one.
fn with_kinfo<R>(pid: Pid, pick: impl Fn(&Kinfo) -> R) -> Result<R> {
    match oneshot::cached(pid, || read_kinfo(pid), |k| Ok(pick(k))) {
        Some(result) => result,
        None => read_kinfo(pid).map(|k| pick(&k)),
    }
}

/// `getpgid`/`getsid` by pid; inside a oneshot, `kinfo_proc2` directly.
///
/// Falls back to `kinfo_proc2` when the call says EPERM (another session) or ESRCH:
/// `proc_find` skips zombies, which `kinfo_proc2` still lists with their group and
/// session, so a zombie answers here as it does inside a oneshot. A pid that names
/// nothing gets an empty `kinfo_proc2` reply: [`Error::NoSuchProcess`].
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

/// `CTL_PROC` finds only live processes (`proc_find`), so its ESRCH is a zombie when
/// `kinfo_proc2` still lists the pid, and no such process otherwise.
fn zombie_or_gone(pid: Pid, err: Error) -> Error {
    match err {
        Error::NoSuchProcess { .. } => match read_kinfo(pid) {
            Ok(_) => Error::Zombie { pid },
            Err(_) => err,
        },
        other => other,
    }
}

/// One resource's two limit sysctls.
struct ProcLimit {
    pid: Pid,
    number: i32,
}

impl LimitSysctl for ProcLimit {
    type Error = Error;

    fn exchange(&mut self, side: Side, new: Option<u64>) -> Result<u64> {
        let mut old = [0u8; 8];
        let new = new.map(u64::to_ne_bytes);
        let mib = decode::limit_mib(self.pid.as_raw(), self.number, side);
        let len = sysctl(self.pid, &mib, Some(&mut old), new.as_ref().map(|n| &n[..]))?;
        match len {
            8 => Ok(u64::from_ne_bytes(old)),
            0 => Err(Error::NoSuchProcess { pid: self.pid }),
            _ => Err(Error::Os {
                pid: self.pid,
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("limit sysctl replied {len} bytes, expected 8"),
                ),
            }),
        }
    }
}

fn proc_limit(pid: Pid, resource: Resource) -> Result<ProcLimit> {
    let number = decode::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    Ok(ProcLimit { pid, number })
}

impl Backend for NetBsd {
    type Pin = ();

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask)
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

    fn get_rlimit(target: Target<'_, ()>, resource: Resource) -> Result<RLimit> {
        decode::get_rlimit(&mut proc_limit(target.pid, resource)?)
            .map_err(|e| zombie_or_gone(target.pid, e))
    }

    fn set_rlimit(target: Target<'_, ()>, resource: Resource, new: RLimit) -> Result<RLimit> {
        decode::set_rlimit(&mut proc_limit(target.pid, resource)?, new)
            .map_err(|e| zombie_or_gone(target.pid, e))
    }
}
