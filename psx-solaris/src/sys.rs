//! The Solaris and illumos system calls: reading `/proc/<pid>/{cred,psinfo,status,sigact}`,
//! `getpgid(2)`, `getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{Attr, Backend, Error, Pid, Result, SignalMasks, Target};

use crate::decode::{self, layout};

// `struct sigaction` and `siginfo_t` as the libc crate has them for this target.
const _: () = {
    assert!(size_of::<libc::sigaction>() == layout::SIGACTION_SIZE);
    assert!(offset_of!(libc::sigaction, sa_sigaction) == layout::SA_HANDLER);
    assert!(size_of::<libc::siginfo_t>() == size_of::<decode::Siginfo>());
    assert!(libc::SIG_IGN == 1 && libc::SIG_DFL == 0);
};

/// The Solaris and illumos backend.
#[derive(Debug)]
pub enum Solaris {}

fn read(pid: Pid, name: &str) -> Result<Vec<u8>> {
    match std::fs::read(format!("/proc/{}/{name}", pid.as_raw())) {
        Ok(bytes) if bytes.is_empty() => Err(Error::NoSuchProcess { pid }),
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NoSuchProcess { pid }),
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

fn invalid_data(pid: Pid, err: decode::DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
}

/// `getpgid`/`getsid`, or `/proc/<pid>/psinfo` when the kernel answers EPERM.
fn id_of(
    pid: Pid,
    call: unsafe extern "C" fn(libc::pid_t) -> libc::pid_t,
    pick: fn((i32, i32)) -> i32,
) -> Result<Pid> {
    // SAFETY: getpgid/getsid take a pid and touch no memory of ours.
    let id = unsafe { call(pid.as_raw()) };
    if id >= 0 {
        return Ok(Pid::from(id));
    }
    match Error::last_os_error(pid) {
        Error::AccessDenied { .. } => {
            let ids =
                decode::psinfo_ids(&read(pid, "psinfo")?).map_err(|e| invalid_data(pid, e))?;
            Ok(Pid::from(pick(ids)))
        }
        other => Err(other),
    }
}

impl Backend for Solaris {
    type Pin = ();

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask | Attr::Rlimits)
    }

    fn pin(pid: Pid) -> Result<()> {
        read(pid, "psinfo").map(drop)
    }

    fn is_running(target: Target<'_, ()>) -> Result<bool> {
        match read(target.pid, "psinfo") {
            Ok(_) => Ok(true),
            Err(Error::NoSuchProcess { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
        let pid = target.pid;
        decode::cred_groups(&read(pid, "cred")?).map_err(|e| invalid_data(pid, e))
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        let pid = target.pid;
        let status = read(pid, "status")?;
        let sigact = read(pid, "sigact")?;
        decode::sigmasks(&status, &sigact).map_err(|e| invalid_data(pid, e))
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getpgid, |(pgid, _)| pgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getsid, |(_, sid)| sid)
    }
}
