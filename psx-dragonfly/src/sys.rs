//! The DragonFly system calls behind [`decode::Kernel`]: `sysctl(3)` for `kinfo_proc`
//! and reading `/proc/<pid>/rlimit`. Every decision is in `decode`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{Attr, Backend, Error, Pid, RLimit, Resource, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo};

// The offsets decode.rs reads are libc's (which libc's CI checks against DragonFly).
const _: () = {
    type K = libc::kinfo_proc;
    assert!(size_of::<K>() == layout::SIZE);
    assert!(offset_of!(K, kp_flags) == layout::KP_FLAGS);
    assert!(offset_of!(K, kp_stat) == layout::KP_STAT);
    assert!(offset_of!(K, kp_siglist) == layout::KP_SIGLIST);
    assert!(offset_of!(K, kp_sigignore) == layout::KP_SIGIGNORE);
    assert!(offset_of!(K, kp_sigcatch) == layout::KP_SIGCATCH);
    assert!(offset_of!(K, kp_ngroups) == layout::KP_NGROUPS);
    assert!(offset_of!(K, kp_groups) == layout::KP_GROUPS);
    assert!(offset_of!(K, kp_pid) == layout::KP_PID);
    assert!(offset_of!(K, kp_pgid) == layout::KP_PGID);
    assert!(offset_of!(K, kp_sid) == layout::KP_SID);
    assert!(offset_of!(K, kp_lwp) + offset_of!(libc::kinfo_lwp, kl_sigmask) == layout::KL_SIGMASK);
    assert!(libc::NGROUPS == layout::NGROUPS);
    assert!(libc::RLIM_INFINITY as u64 == decode::RLIM_INFINITY);
    assert!(libc::procstat::SZOMB as i32 == decode::SZOMB);
    assert!(libc::ENOENT == decode::ENOENT);
    assert!(libc::EINVAL == decode::EINVAL);
};

/// The DragonFly backend.
#[derive(Debug)]
pub enum DragonFly {}

/// The real kernel.
struct Syscalls;

impl decode::Kernel for Syscalls {
    fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
        let mib = decode::kinfo_mib(pid.as_raw());
        // Room for twice the struct psx knows, so a kernel whose kinfo_proc has grown
        // answers with its real length, which decode::kinfo reports.
        let mut buf = [0u8; 2 * layout::SIZE];
        let mut len = buf.len();
        // SAFETY: the MIB and `buf` (its length in `len`) are valid for the call.
        let ret = unsafe {
            libc::sysctl(
                mib.as_ptr(),
                mib.len() as libc::c_uint,
                buf.as_mut_ptr().cast(),
                &mut len,
                std::ptr::null(),
                0,
            )
        };
        if ret != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::ENOMEM) {
                return Err(Error::Os {
                    pid,
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "kernel's kinfo_proc is over {} bytes, psx was built for {}: a different DragonFly ABI",
                            buf.len(),
                            layout::SIZE
                        ),
                    ),
                });
            }
            return Err(Error::from_io(pid, err));
        }
        decode::kinfo_reply(pid, buf.get(..len).unwrap_or(&buf))
    }

    fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(format!("/proc/{}/{name}", pid.as_raw()))
    }

    fn procfs_mounted(&self) -> bool {
        std::path::Path::new("/proc/curproc").exists()
    }
}

impl Backend for DragonFly {
    type Pin = ();

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask)
    }

    fn resource_number(resource: Resource) -> Option<i32> {
        decode::resource_number(resource)
    }

    fn pin(pid: Pid) -> Result<()> {
        decode::Kernel::kinfo(&Syscalls, pid).map(drop)
    }

    /// Whether `kinfo_proc` still shows the pid: an exiting process does, a zombie
    /// (which `pfind` skips) does not. With no pin, a reused pid is not detected.
    fn is_running(target: Target<'_, ()>) -> Result<bool> {
        decode::is_running(&Syscalls, target.pid)
    }

    fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
        decode::groups(&Syscalls, target.pid)
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        decode::pgid(&Syscalls, target.pid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        decode::sid(&Syscalls, target.pid)
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        decode::sigmasks(&Syscalls, target.pid)
    }

    fn get_rlimit(target: Target<'_, ()>, resource: Resource) -> Result<RLimit> {
        decode::get_rlimit(&Syscalls, target.pid, resource)
    }
}
