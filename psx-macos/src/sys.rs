//! The macOS system calls: `sysctl(3)` for `kinfo_proc`, `getpgid(2)`, `getsid(2)`.

use std::io;
use std::mem::size_of;

use psx_core::{oneshot, Attr, Backend, Error, Pid, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo};

// The libc crate's primitive types agree with the transcription.
const _: () = {
    assert!(size_of::<libc::sigset_t>() == 4);
    assert!(size_of::<libc::pid_t>() == 4 && size_of::<libc::gid_t>() == 4);
    assert!(size_of::<libc::timeval>() == 16 && size_of::<libc::dev_t>() == 4);
    assert!(size_of::<*const u8>() == 8);
    assert!(libc::CTL_KERN == 1 && libc::KERN_PROC == 14 && libc::KERN_PROC_PID == 1);
    assert!(size_of::<libc::itimerval>() == 2 * size_of::<decode::Timeval>());
    assert!(size_of::<libc::timeval>() == size_of::<decode::Timeval>());
    assert!(size_of::<libc::c_short>() == 2 && size_of::<libc::uid_t>() == 4);
};

/// The macOS backend.
#[derive(Debug)]
pub enum MacOs {}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    let mib = decode::kinfo_mib(pid.as_raw());
    let mut buf = [0u8; layout::SIZE];
    let mut len = buf.len();
    // SAFETY: the MIB and `buf` (its length in `len`) are valid for the call.
    let ret = unsafe {
        libc::sysctl(
            mib.as_ptr().cast_mut(),
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
    // A pid that names no process: success with nothing.
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(&buf[..len]).map_err(|e| Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })
}

fn with_kinfo<R>(pid: Pid, pick: impl Fn(&Kinfo) -> R) -> Result<R> {
    match oneshot::cached(pid, || read_kinfo(pid), |k| Ok(pick(k))) {
        Some(result) => result,
        None => read_kinfo(pid).map(|k| pick(&k)),
    }
}

fn id_result(pid: Pid, id: libc::pid_t) -> Result<Pid> {
    if id < 0 {
        Err(Error::last_os_error(pid))
    } else {
        Ok(Pid::from(id))
    }
}

impl Backend for MacOs {
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
        let pid = target.pid;
        if let Some(result) = oneshot::cached(pid, || read_kinfo(pid), |k| Ok(Pid::from(k.pgid))) {
            return result;
        }
        // SAFETY: getpgid takes a pid and touches no memory of ours.
        id_result(pid, unsafe { libc::getpgid(pid.as_raw()) })
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        // SAFETY: getsid takes a pid and touches no memory of ours.
        id_result(target.pid, unsafe { libc::getsid(target.pid.as_raw()) })
    }
}
