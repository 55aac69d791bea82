//! The NetBSD system calls: `sysctl(3)` for `kinfo_proc2` and the limits,
//! `getpgid(2)`/`getsid(2)`, and `kill(2)` with signal 0 to tell a process the kernel
//! hides from one that is gone.

use std::io;
use std::mem::{offset_of, size_of};
use std::time::Duration;

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
    assert!(offset_of!(K, p_stat) == layout::P_STAT);
    assert!(offset_of!(K, p_uvalid) == layout::P_UVALID);
    assert!(libc::KI_NGROUPS as usize == layout::KI_NGROUPS);
    assert!(libc::RLIM_INFINITY == decode::RLIM_INFINITY);
    assert!(libc::RLIMIT_NOFILE == 8 && libc::RLIMIT_NTHR == 11);
};

/// The NetBSD backend.
#[derive(Debug)]
pub enum NetBsd {}

/// `pid` if psx may ask the kernel about it; [`Error::NoSuchProcess`] for a number no
/// process can have, `PROC_CURPROC` included (see [`decode::names_a_process`]). Every
/// backend method starts here, before any system call.
fn checked(pid: Pid) -> Result<Pid> {
    if decode::names_a_process(pid) {
        Ok(pid)
    } else {
        Err(Error::NoSuchProcess { pid })
    }
}

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

/// `kill(pid, 0)`: whether a process has the pid, whatever the caller may see of it.
fn kill_probe(pid: Pid) -> Result<()> {
    // SAFETY: signal 0 sends nothing; the kernel only looks the pid up.
    if unsafe { libc::kill(pid.as_raw(), 0) } == 0 {
        Ok(())
    } else {
        Err(Error::last_os_error(pid))
    }
}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    let mut buf = [0u8; layout::SIZE];
    let len = sysctl(pid, &decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)?;
    decode::kinfo_reply(pid, buf.get(..len).unwrap_or(&buf), || kill_probe(pid))
}

/// Serves `pick` from the oneshot's `kinfo_proc2`, or from a fresh one.
fn with_kinfo<R>(pid: Pid, pick: impl Fn(&Kinfo) -> Result<R>) -> Result<R> {
    match oneshot::cached(pid, || read_kinfo(pid), &pick) {
        Some(result) => result,
        None => read_kinfo(pid).and_then(|k| pick(&k)),
    }
}

/// `getpgid`/`getsid` by pid, falling back to `kinfo_proc2` on ESRCH; inside a oneshot,
/// `kinfo_proc2`, falling back to the call when the process is hidden from it. See
/// [`decode::id_from_call`] and [`decode::id_from_kinfo`].
fn id_of(
    pid: Pid,
    call: unsafe extern "C" fn(libc::pid_t) -> libc::pid_t,
    field: fn(&Kinfo) -> i32,
) -> Result<Pid> {
    let by_call = || {
        // SAFETY: getpgid/getsid take a pid and touch no memory of ours.
        let id = unsafe { call(pid.as_raw()) };
        if id >= 0 {
            Ok(Pid::from(id))
        } else {
            Err(Error::last_os_error(pid))
        }
    };
    if let Some(kinfo_id) = oneshot::cached(pid, || read_kinfo(pid), |k| Ok(field(k))) {
        return decode::id_from_kinfo(kinfo_id, by_call);
    }
    decode::id_from_call(by_call(), || read_kinfo(pid).map(|k| field(&k)))
}

/// The pause before retry `attempt` of a limit sysctl the kernel answered EBUSY:
/// 1, 2, 4, ... ms, so the [`decode::BUSY_ATTEMPTS`] calls span about 130 ms, time for
/// an exec to let go of the process.
fn busy_pause(attempt: u32) -> Duration {
    Duration::from_millis(1 << attempt.saturating_sub(1).min(10))
}

/// The system's page size (`sysconf(_SC_PAGESIZE)`), which `round_page` rounds the
/// stack's soft limit to; `None` if the call fails.
fn page_size() -> Option<u64> {
    // SAFETY: sysconf takes a constant and touches no memory of ours.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|&s| s > 0)
}

/// One resource's two limit sysctls.
struct ProcLimit {
    pid: Pid,
    number: i32,
    soft_rounding: Option<u64>,
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

    fn is_busy(err: &Error) -> bool {
        matches!(err, Error::Os { source, .. } if source.raw_os_error() == Some(libc::EBUSY))
    }

    fn wait(&mut self, attempt: u32) {
        std::thread::sleep(busy_pause(attempt));
    }

    fn soft_rounding(&self) -> Option<u64> {
        self.soft_rounding
    }
}

fn proc_limit(pid: Pid, resource: Resource) -> Result<ProcLimit> {
    let number = decode::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let soft_rounding = match resource {
        Resource::Stack => page_size(),
        _ => None,
    };
    Ok(ProcLimit {
        pid,
        number,
        soft_rounding,
    })
}

impl Backend for NetBsd {
    type Pin = ();

    const RLIM_INFINITY: u64 = decode::RLIM_INFINITY;

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
        read_kinfo(checked(pid)?).map(drop)
    }

    /// Whether a process has the pid: `kinfo_proc2` lists it (a zombie included), or
    /// hides it (`security.curtain`) while `kill(pid, 0)` finds it.
    fn is_running(target: Target<'_, ()>) -> Result<bool> {
        let Ok(pid) = checked(target.pid) else {
            return Ok(false);
        };
        match read_kinfo(pid) {
            Ok(_) | Err(Error::AccessDenied { .. }) => Ok(true),
            Err(Error::NoSuchProcess { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
        with_kinfo(checked(target.pid)?, |k| Ok(k.groups.clone()))
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        let pid = checked(target.pid)?;
        with_kinfo(pid, |k| k.signal_masks(pid))
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(checked(target.pid)?, libc::getpgid, |k| k.pgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(checked(target.pid)?, libc::getsid, |k| k.sid)
    }

    fn get_rlimit(target: Target<'_, ()>, resource: Resource) -> Result<RLimit> {
        let pid = checked(target.pid)?;
        decode::get_rlimit(&mut proc_limit(pid, resource)?)
            .map_err(|e| decode::limit_error(e, || read_kinfo(pid)))
    }

    fn set_rlimit(target: Target<'_, ()>, resource: Resource, new: RLimit) -> Result<RLimit> {
        let pid = checked(target.pid)?;
        decode::set_rlimit(&mut proc_limit(pid, resource)?, new)
            .map_err(|e| decode::limit_error(e, || read_kinfo(pid)))
    }
}
