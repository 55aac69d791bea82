//! The Solaris and illumos system calls: reading `/proc/<pid>/{cred,psinfo,status,sigact}`,
//! `getpgid(2)`, `getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{Attr, Backend, Error, Pid, Result, SignalMasks, Target};

use crate::decode::{self, layout};

// The transcriptions in `decode` against the libc crate's types for this target (libc
// has no procfs structs, so these are the parts it does have).
const _: () = {
    assert!(size_of::<libc::sigaction>() == layout::SIGACTION_SIZE);
    assert!(offset_of!(libc::sigaction, sa_flags) == offset_of!(decode::Sigaction, sa_flags));
    assert!(offset_of!(libc::sigaction, sa_sigaction) == layout::SA_HANDLER);
    assert!(offset_of!(libc::sigaction, sa_mask) == offset_of!(decode::Sigaction, sa_mask));
    assert!(size_of::<libc::sigset_t>() == size_of::<[u32; 4]>());
    assert!(size_of::<libc::siginfo_t>() == size_of::<decode::Siginfo>());
    assert!(size_of::<libc::timespec>() == 16 && size_of::<libc::uintptr_t>() == 8);
    assert!(size_of::<libc::pid_t>() == 4 && size_of::<libc::gid_t>() == 4);
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

/// Reads a file the kernel serves only for a live process: for a zombie (or one already
/// exiting) it answers `ENOENT`, as for a process that is gone. `psinfo` tells them
/// apart: it stays until the zombie is reaped.
fn read_live(pid: Pid, name: &str) -> Result<Vec<u8>> {
    match read(pid, name) {
        Err(Error::NoSuchProcess { .. }) if exists(pid) => Err(Error::Zombie { pid }),
        other => other,
    }
}

/// Whether `/proc/<pid>` still has the process, zombies included.
fn exists(pid: Pid) -> bool {
    std::fs::metadata(format!("/proc/{}/psinfo", pid.as_raw())).is_ok()
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
        decode::cred_groups(&read_live(pid, "cred")?).map_err(|e| invalid_data(pid, e))
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        let pid = target.pid;
        let status = read_live(pid, "status")?;
        let sigact = read_live(pid, "sigact")?;
        decode::sigmasks(&status, &sigact).map_err(|e| invalid_data(pid, e))
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getpgid, |(pgid, _)| pgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getsid, |(_, sid)| sid)
    }
}
