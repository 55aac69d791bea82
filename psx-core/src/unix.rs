//! The system calls several backends make the same way: `getpgid`/`getsid`, and on the
//! BSDs and macOS `sysctl(3)` and the whole-table `kinfo` read.

use std::io;

use crate::{Error, Pid, Result};

/// Which of a process's two ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    /// The process group, `getpgid(2)`.
    Pgid,
    /// The session, `getsid(2)`.
    Sid,
}

/// `getpgid(2)` or `getsid(2)` of `pid`, the errno mapped as [`Error::from_errno`]
/// maps it. Callers decide what a refusal means on their OS (a kinfo fallback, a pin
/// check); this is only the call.
pub fn process_id(pid: Pid, which: Id) -> Result<Pid> {
    // SAFETY: getpgid and getsid take an integer and touch no memory of ours.
    let ret = unsafe {
        match which {
            Id::Pgid => libc::getpgid(pid.as_raw()),
            Id::Sid => libc::getsid(pid.as_raw()),
        }
    };
    if ret < 0 {
        Err(Error::last_os_error(pid))
    } else {
        Ok(Pid::from(ret))
    }
}

/// `kill(pid, 0)`: `Ok` if a process has the pid (whether or not we may signal it),
/// `NoSuchProcess` for `ESRCH`, the OS error otherwise.
pub fn kill_probe(pid: Pid) -> Result<()> {
    // SAFETY: signal 0 sends nothing; the kernel only looks the pid up.
    if unsafe { libc::kill(pid.as_raw(), 0) } == 0 {
        return Ok(());
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::EPERM) => Ok(()),
        _ => Err(Error::last_os_error(pid)),
    }
}

#[cfg(any(
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "macos"
))]
pub use bsd::{sysctl, sysctl_table};

#[cfg(any(
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "macos"
))]
mod bsd {
    use std::io;

    /// `sysctl(3)` on `mib`, reading into `old` (or, with `None`, asking the size) and
    /// writing `new`; returns the byte count the kernel reported, or the OS error with
    /// its errno.
    pub fn sysctl(
        mib: &[libc::c_int],
        old: Option<&mut [u8]>,
        new: Option<&[u8]>,
    ) -> io::Result<usize> {
        let (old_ptr, mut old_len) = match old {
            Some(buf) => (buf.as_mut_ptr(), buf.len()),
            None => (std::ptr::null_mut(), 0),
        };
        let (new_ptr, new_len) = new.map_or((std::ptr::null(), 0), |b| (b.as_ptr(), b.len()));
        // SAFETY: the MIB, and the buffers with their lengths, are valid for the call.
        // macOS's libc declares the MIB and `newp` as `*mut`; the kernel writes neither.
        let ret = unsafe {
            libc::sysctl(
                mib.as_ptr().cast_mut(),
                mib.len() as libc::c_uint,
                old_ptr.cast(),
                &mut old_len,
                new_ptr.cast_mut().cast(),
                new_len,
            )
        };
        if ret != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(old_len)
    }

    /// A whole table (every process's `kinfo_proc`, ...) in one call: asks its size
    /// with a NULL buffer, reads into that plus room to grow, and asks again while the
    /// kernel says `ENOMEM` (the table grew between the two calls).
    ///
    /// `mib` is given the number of `record`-byte elements the buffer holds, for the
    /// NetBSD and OpenBSD MIBs that carry it; FreeBSD's and macOS's ignore it.
    pub fn sysctl_table(
        mib: impl Fn(usize) -> Vec<libc::c_int>,
        record: usize,
    ) -> io::Result<Vec<u8>> {
        let record = record.max(1);
        for _ in 0..8 {
            // Sizing: NetBSD and OpenBSD want the element count in the MIB even then.
            let needed = sysctl(&mib(i32::MAX as usize / record), None, None)?;
            // A quarter more, for processes started between the two calls.
            let room = (needed + needed / 4 + record).div_ceil(record);
            let mut buf = vec![0u8; room * record];
            match sysctl(&mib(room), Some(&mut buf), None) {
                Ok(len) => {
                    buf.truncate(len);
                    return Ok(buf);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::from_raw_os_error(libc::ENOMEM))
    }
}
