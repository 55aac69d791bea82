//! The macOS calls behind [`Kernel`]: `sysctl(3)` for one `kinfo_proc` and for the
//! process table, `proc_pidinfo` for the unique id, the descriptor list and the task's
//! figures, `getpgid(2)`, `getsid(2)`, `mach_timebase_info`.

use std::mem::{offset_of, size_of};
use std::sync::OnceLock;

use psx_core::unix::{process_id, sysctl, sysctl_table, Id};
use psx_core::{Error, Pid, Result};

use crate::backend::{Darwin, Kernel};
use crate::decode::{self, layout, taskinfo, uniqid, IdCall, Kinfo, TaskInfo, Timebase};

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
    // `struct proc_taskinfo` and `struct proc_fdinfo` as libc has them.
    assert!(size_of::<libc::proc_taskinfo>() == taskinfo::SIZE);
    assert!(offset_of!(libc::proc_taskinfo, pti_virtual_size) == taskinfo::VIRTUAL_SIZE);
    assert!(offset_of!(libc::proc_taskinfo, pti_resident_size) == taskinfo::RESIDENT_SIZE);
    assert!(offset_of!(libc::proc_taskinfo, pti_total_user) == taskinfo::TOTAL_USER);
    assert!(offset_of!(libc::proc_taskinfo, pti_total_system) == taskinfo::TOTAL_SYSTEM);
    assert!(size_of::<libc::proc_fdinfo>() == decode::FDINFO_SIZE);
    assert!(libc::PROC_PIDTASKINFO == decode::PROC_PIDTASKINFO);
    assert!(libc::PROC_PIDLISTFDS == decode::PROC_PIDLISTFDS);
};

/// `proc_pidinfo(pid, flavor, 0, buf, len)`: the bytes the kernel copied (or, for a NULL
/// buffer, says a reply needs).
///
/// libproc's wrapper answers 0 both for a failed call (errno set) and for a reply of
/// no bytes (a process with no descriptors open): errno, cleared first, tells them apart.
fn pidinfo(pid: Pid, flavor: i32, buf: Option<&mut [u8]>) -> Result<usize> {
    let (ptr, len) = match buf {
        Some(buf) => (buf.as_mut_ptr(), buf.len()),
        None => (std::ptr::null_mut(), 0),
    };
    let len = libc::c_int::try_from(len).unwrap_or(libc::c_int::MAX);
    // SAFETY: `__error` returns this thread's errno, valid to write.
    unsafe { *libc::__error() = 0 };
    // SAFETY: `ptr` is NULL with length 0, or valid for writes of `len` bytes (at most
    // the buffer's length).
    let copied = unsafe { libc::proc_pidinfo(pid.as_raw(), flavor, 0, ptr.cast(), len) };
    match usize::try_from(copied) {
        Ok(0) if std::io::Error::last_os_error().raw_os_error() != Some(0) => {
            Err(Error::last_os_error(pid))
        }
        Ok(copied) => Ok(copied),
        Err(_) => Err(Error::last_os_error(pid)),
    }
}

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

    fn list_fds(pid: Pid, buf: Option<&mut [u8]>) -> Result<usize> {
        pidinfo(pid, decode::PROC_PIDLISTFDS, buf)
    }

    fn task_info(pid: Pid) -> Result<TaskInfo> {
        let mut buf = [0u8; taskinfo::SIZE];
        let copied = pidinfo(pid, decode::PROC_PIDTASKINFO, Some(&mut buf))?;
        let reply = buf.get(..copied).unwrap_or(&buf);
        decode::task_info(reply).map_err(|e| Error::invalid_data(pid, e))
    }

    /// Read once: the timebase is fixed for the machine's life.
    // The libc crate marks the call and its struct deprecated in favour of the mach2
    // crate, a dependency this one call does not justify.
    #[allow(deprecated)]
    fn timebase() -> Timebase {
        static TIMEBASE: OnceLock<Timebase> = OnceLock::new();
        *TIMEBASE.get_or_init(|| {
            let mut info = libc::mach_timebase_info { numer: 0, denom: 0 };
            // SAFETY: `info` is valid for the write of its two fields.
            let ok = unsafe { libc::mach_timebase_info(&mut info) } == 0;
            // A failure (KERN_SUCCESS is 0) gives denominator 0: CPU time is then an error.
            Timebase {
                numer: info.numer,
                denom: if ok { info.denom } else { 0 },
            }
        })
    }

    fn process_id(pid: Pid, which: IdCall) -> Result<Pid> {
        let which = match which {
            IdCall::ProcessGroup => Id::Pgid,
            IdCall::Session => Id::Sid,
        };
        process_id(pid, which)
    }
}
