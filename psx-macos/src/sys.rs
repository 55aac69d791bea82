//! The macOS system calls: `sysctl(3)` for `kinfo_proc`, `getpgid(2)`, `getsid(2)`.

use std::io;
use std::mem::size_of;

use psx_core::{oneshot, Attr, Backend, Error, Pid, Result, SignalMasks, Target};

use crate::decode::{self, layout, IdCall, Kinfo};

// The libc crate's primitive types agree with the transcription.
const _: () = {
    assert!(size_of::<libc::sigset_t>() == 4);
    assert!(size_of::<libc::pid_t>() == 4 && size_of::<libc::gid_t>() == 4);
    assert!(size_of::<libc::timeval>() == 16 && size_of::<libc::dev_t>() == 4);
    // `sysctl_prochandle` (bsd/kern/kern_sysctl.c) answers a 32-bit caller with
    // `user32_kinfo_proc`, another layout: only 64-bit callers get the LP64 one.
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
    // A pid that names no process: `sysctl_prochandle` (bsd/kern/kern_sysctl.c) copies
    // nothing out and succeeds.
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(&buf[..len]).map_err(|e| Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })
}

fn with_kinfo<R>(pid: Pid, pick: impl Fn(&Kinfo) -> Result<R>) -> Result<R> {
    match oneshot::cached(pid, || read_kinfo(pid), &pick) {
        Some(result) => result,
        None => read_kinfo(pid).and_then(|k| pick(&k)),
    }
}

/// `getpgid(2)` or `getsid(2)`; on ESRCH, the `kinfo_proc` (see [`decode::process_id`]).
fn process_id(pid: Pid, which: IdCall) -> Result<Pid> {
    // SAFETY: getpgid and getsid take a pid and touch no memory of ours.
    let id = unsafe {
        match which {
            IdCall::ProcessGroup => libc::getpgid(pid.as_raw()),
            IdCall::Session => libc::getsid(pid.as_raw()),
        }
    };
    let called = if id < 0 {
        Err(Error::last_os_error(pid))
    } else {
        Ok(id)
    };
    decode::process_id(pid, which, called, || with_kinfo(pid, |k| Ok(k.clone())))
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
        with_kinfo(target.pid, |k| Ok(k.groups.clone()))
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        with_kinfo(target.pid, |k| k.sigmasks(target.pid))
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        let pid = target.pid;
        if let Some(result) = oneshot::cached(pid, || read_kinfo(pid), |k| Ok(Pid::from(k.pgid))) {
            return result;
        }
        process_id(pid, IdCall::ProcessGroup)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        process_id(target.pid, IdCall::Session)
    }
}
