//! The DragonFly system calls behind [`decode::Kernel`]: `sysctl(3)` for one
//! `kinfo_proc` or the whole table, and reading `/proc/<pid>/<file>`. Every decision
//! is in `decode`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::unix::{sysctl, sysctl_table};
use psx_core::{Error, Pid, Result};

use crate::decode::{self, file_layout, layout, Kinfo};

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
    assert!(offset_of!(K, kp_ruid) == layout::KP_RUID);
    assert!(offset_of!(K, kp_nthreads) == layout::KP_NTHREADS);
    assert!(offset_of!(K, kp_vm_map_size) == layout::KP_VM_MAP_SIZE);
    assert!(offset_of!(K, kp_vm_rssize) == layout::KP_VM_RSSIZE);
    assert!(offset_of!(K, kp_vm_dsize) == layout::KP_VM_DSIZE);
    assert!(offset_of!(K, kp_vm_ssize) == layout::KP_VM_SSIZE);
    assert!(size_of::<libc::segsz_t>() == 8 && size_of::<libc::size_t>() == 8);
    assert!(offset_of!(K, kp_lwp) + offset_of!(libc::kinfo_lwp, kl_uticks) == layout::KL_UTICKS);
    assert!(offset_of!(K, kp_lwp) + offset_of!(libc::kinfo_lwp, kl_sticks) == layout::KL_STICKS);
    type F = libc::kinfo_file;
    assert!(size_of::<F>() == file_layout::SIZE);
    assert!(offset_of!(F, f_size) == file_layout::F_SIZE);
    assert!(offset_of!(F, f_pid) == file_layout::F_PID);
    assert!(offset_of!(F, f_fd) == file_layout::F_FD);
    assert!(libc::KERN_PROC_FLAG_LWP == decode::KERN_PROC_FLAG_LWP);
    assert!(libc::KERN_FILE == decode::KERN_FILE);
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

    fn table(&self, threads: bool) -> Result<Vec<Kinfo>> {
        let me = Pid::current();
        // The MIB has no element count to update (decode::table_mib).
        let mib = match threads {
            true => decode::table_lwp_mib(),
            false => decode::table_mib(),
        };
        let buf =
            sysctl_table(|_| mib.to_vec(), layout::SIZE).map_err(|e| Error::from_io(me, e))?;
        decode::kinfo_table(&buf).map_err(|e| Error::invalid_data(me, e))
    }

    fn threads(&self, pid: Pid) -> Result<Kinfo> {
        let mib = decode::threads_mib(pid.as_raw());
        let buf =
            sysctl_table(|_| mib.to_vec(), layout::SIZE).map_err(|e| Error::from_io(pid, e))?;
        decode::threads_reply(pid, &buf)
    }

    fn files(&self) -> io::Result<Vec<u8>> {
        sysctl_table(|_| decode::files_mib().to_vec(), file_layout::SIZE)
    }

    fn page_size(&self) -> u64 {
        // SAFETY: sysconf takes an integer and touches no memory of ours.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        // PAGE_SIZE on x86_64 should sysconf ever fail.
        u64::try_from(size).ok().filter(|&n| n > 0).unwrap_or(4096)
    }

    fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(format!("/proc/{}/{name}", pid.as_raw()))
    }

    fn procfs_mounted(&self) -> bool {
        std::path::Path::new("/proc/curproc").exists()
    }
}
