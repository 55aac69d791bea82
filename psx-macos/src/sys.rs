//! The macOS calls behind [`Kernel`]: `sysctl(3)` for one `kinfo_proc` and for the
//! process table, `proc_pidinfo` for the unique id, `getpgid(2)`, `getsid(2)`.

use std::mem::size_of;

use psx_core::unix::{process_id, sysctl, sysctl_table, Id};
use psx_core::{Error, Pid, Result};

use crate::backend::{Darwin, Kernel};
use crate::decode::{self, layout, uniqid, IdCall, Kinfo};

// The libc crate's primitive types agree with the transcription.
const _: () = {
    assert!(size_of::<libc::sigset_t>() == 4);
    assert!(size_of::<libc::pid_t>() == 4 && size_of::<libc::gid_t>() == 4);
    assert!(size_of::<libc::timeval>() == 16 && size_of::<libc::dev_t>() == 4);
    // `sysctl_prochandle` (bsd/kern/kern_sysctl.c) answers a 32-bit caller with
    // `user32_kinfo_proc`, another layout: only 64-bit callers get the LP64 one.
    assert!(size_of::<*const u8>() == 8);
    assert!(libc::CTL_KERN == 1 && libc::KERN_PROC == 14);
    assert!(libc::KERN_PROC_PID == 1 && libc::KERN_PROC_ALL == 0);
    assert!(size_of::<libc::itimerval>() == 2 * size_of::<decode::Timeval>());
    assert!(size_of::<libc::timeval>() == size_of::<decode::Timeval>());
    assert!(size_of::<libc::c_short>() == 2 && size_of::<libc::uid_t>() == 4);
};

/// The macOS kernel, through its system calls.
#[derive(Debug)]
pub enum Syscalls {}

/// The macOS backend.
pub type MacOs = Darwin<Syscalls>;

impl Kernel for Syscalls {
    fn kinfo(pid: Pid) -> Result<Kinfo> {
        let mut buf = [0u8; layout::SIZE];
        let len = sysctl(&decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)
            .map_err(|e| Error::from_io(pid, e))?;
        // A pid that names no process: `sysctl_prochandle` copies nothing out and
        // succeeds.
        if len == 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        decode::kinfo(&buf[..len]).map_err(|e| Error::invalid_data(pid, e))
    }

    /// A failure to list is reported against the caller's own pid.
    fn table() -> Result<Vec<Kinfo>> {
        let me = Pid::current();
        // `sysctl_prochandle` answers ENOMEM when the buffer holds fewer records than
        // processes: `sysctl_table` then sizes and reads again.
        let buf = sysctl_table(|_| decode::table_mib().to_vec(), layout::SIZE)
            .map_err(|e| Error::from_io(me, e))?;
        decode::table(&buf).map_err(|e| Error::invalid_data(me, e))
    }

    fn unique_id(pid: Pid) -> Result<u64> {
        let mut buf = [0u8; uniqid::SIZE];
        // `arg` 1: find a zombie too (`proc_pidinfo`, bsd/kern/proc_info.c).
        // SAFETY: `buf` is valid for writes of its length, which is passed with it.
        let copied = unsafe {
            libc::proc_pidinfo(
                pid.as_raw(),
                decode::PROC_PIDUNIQIDENTIFIERINFO,
                1,
                buf.as_mut_ptr().cast(),
                buf.len() as libc::c_int,
            )
        };
        // libproc's wrapper answers 0, errno set, for a failed call.
        let Ok(copied @ 1..) = usize::try_from(copied) else {
            return Err(Error::last_os_error(pid));
        };
        let reply = buf.get(..copied).unwrap_or(&buf);
        decode::unique_id(reply).map_err(|e| Error::invalid_data(pid, e))
    }

    fn process_id(pid: Pid, which: IdCall) -> Result<Pid> {
        let which = match which {
            IdCall::ProcessGroup => Id::Pgid,
            IdCall::Session => Id::Sid,
        };
        process_id(pid, which)
    }
}
