//! The DragonFly system calls behind [`decode::Kernel`]: `sysctl(3)` for one
//! `kinfo_proc` or the whole table, and reading `/proc/<pid>/<file>`. Every decision
//! is in `decode`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::unix::{sysctl, sysctl_table};
use psx_core::{Error, Pid, Result};

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
    assert!(offset_of!(K, kp_start) == layout::KP_START);
    assert!(offset_of!(libc::timeval, tv_sec) == 0 && size_of::<libc::time_t>() == 8);
    assert!(offset_of!(libc::timeval, tv_usec) == 8 && size_of::<libc::suseconds_t>() == 8);
    assert!(offset_of!(K, kp_comm) == layout::KP_COMM);
    assert!(libc::MAXCOMLEN + 1 == layout::COMM_LEN);
    assert!(offset_of!(K, kp_ngroups) == layout::KP_NGROUPS);
    assert!(offset_of!(K, kp_groups) == layout::KP_GROUPS);
    assert!(offset_of!(K, kp_pid) == layout::KP_PID);
    assert!(offset_of!(K, kp_pgid) == layout::KP_PGID);
    assert!(offset_of!(K, kp_sid) == layout::KP_SID);
    assert!(offset_of!(K, kp_lwp) + offset_of!(libc::kinfo_lwp, kl_sigmask) == layout::KL_SIGMASK);
    assert!(libc::NGROUPS == layout::NGROUPS);
    assert!(libc::RLIM_INFINITY as u64 == decode::RLIM_INFINITY);
    assert!(libc::procstat::SIDL as i32 == decode::SIDL);
    assert!(libc::procstat::SZOMB as i32 == decode::SZOMB);
    assert!(libc::ENOENT == decode::ENOENT);
    assert!(libc::EINVAL == decode::EINVAL);
    assert!(libc::ENOMEM == decode::ENOMEM);
    assert!(libc::CTL_KERN == decode::CTL_KERN);
    assert!(libc::KERN_PROC == decode::KERN_PROC);
    assert!(libc::KERN_PROC_ALL == decode::KERN_PROC_ALL);
    assert!(libc::KERN_PROC_PID == decode::KERN_PROC_PID);
};

/// The DragonFly backend.
pub type DragonFly = decode::Over<Syscalls>;

/// The real kernel.
#[derive(Debug, Default)]
pub struct Syscalls;

impl decode::Kernel for Syscalls {
    fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
        // Room for twice the struct psx knows, so a kernel whose kinfo_proc has grown
        // answers with its real length, which decode::kinfo reports.
        let mut buf = [0u8; 2 * layout::SIZE];
        let room = buf.len();
        let answer = sysctl(&decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)
            .map(|len| buf.get(..len).unwrap_or(&buf));
        decode::kinfo_answer(pid, answer, room)
    }

    fn table(&self) -> Result<Vec<Kinfo>> {
        let me = Pid::current();
        // The MIB has no element count to update (decode::table_mib).
        let buf = sysctl_table(|_| decode::table_mib().to_vec(), layout::SIZE)
            .map_err(|e| Error::from_io(me, e))?;
        decode::kinfo_table(&buf).map_err(|e| Error::invalid_data(me, e))
    }

    fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(format!("/proc/{}/{name}", pid.as_raw()))
    }

    fn procfs_mounted(&self) -> bool {
        std::path::Path::new("/proc/curproc").exists()
    }
}
