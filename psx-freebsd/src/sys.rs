//! The FreeBSD system calls behind [`Kernel`]: `sysctl(3)` (one MIB, or the whole
//! process table), `getpgid(2)`/`getsid(2)`, `getrlimit(2)` on ourselves to learn
//! which resources the kernel has, and the page size. Every decision is in `backend.rs`.

use std::io;
use std::mem::{offset_of, size_of};
use std::sync::OnceLock;
use std::time::Duration;

use psx_core::unix::{self, Id};
use psx_core::{Pid, Result};

use crate::backend::{FreeBsdOn, Kernel};
use crate::decode::{self, layout};

// The offsets decode.rs reads for this target are libc's (which libc's CI checks
// against FreeBSD): LP64 on 64-bit targets, i386 on i686.
const _: () = {
    type K = libc::kinfo_proc;
    const L: layout::Layout = layout::NATIVE;
    assert!(size_of::<K>() == L.size);
    assert!(offset_of!(K, ki_structsize) == layout::KI_STRUCTSIZE);
    assert!(offset_of!(K, ki_pid) == L.pid);
    assert!(offset_of!(K, ki_pgid) == L.pgid);
    assert!(offset_of!(K, ki_sid) == L.sid);
    assert!(offset_of!(K, ki_siglist) == L.siglist);
    assert!(offset_of!(K, ki_sigmask) == L.sigmask);
    assert!(offset_of!(K, ki_sigignore) == L.sigignore);
    assert!(offset_of!(K, ki_sigcatch) == L.sigcatch);
    assert!(offset_of!(K, ki_ngroups) == L.ngroups);
    assert!(offset_of!(K, ki_groups) == L.groups);
    assert!(offset_of!(K, ki_cr_flags) == L.cr_flags);
    assert!(offset_of!(K, ki_start) == L.start);
    assert!(size_of::<libc::timeval>() == 2 * L.long);
    assert!(offset_of!(libc::timeval, tv_usec) == L.long);
    assert!(offset_of!(K, ki_comm) == L.comm);
    assert!(offset_of!(K, ki_ruid) == L.ruid);
    assert!(offset_of!(K, ki_size) == L.vsize);
    assert!(offset_of!(K, ki_rssize) == L.rssize);
    assert!(offset_of!(K, ki_dsize) == L.dsize);
    assert!(offset_of!(K, ki_ssize) == L.ssize);
    assert!(size_of::<libc::vm_size_t>() == L.long && size_of::<libc::segsz_t>() == L.long);
    assert!(offset_of!(K, ki_runtime) == L.runtime);
    assert!(offset_of!(K, ki_stat) == L.stat);
    assert!(libc::SZOMB as u8 == layout::SZOMB);
    assert!(offset_of!(libc::kinfo_file, kf_structsize) == 0);
    assert!(offset_of!(libc::kinfo_file, kf_fd) == 8);
    assert!(size_of::<libc::kinfo_file>() == decode::KINFO_FILE_SIZE);
    assert!(libc::KERN_PROC_FILEDESC == 33);
    assert!(libc::COMMLEN + 1 == layout::KI_COMM_SIZE);
    assert!(libc::KI_NGROUPS == layout::KI_NGROUPS);
    assert!(libc::KI_CRF_GRP_OVERFLOW as u32 == layout::KI_CRF_GRP_OVERFLOW);
    assert!(libc::RLIM_INFINITY as u64 == decode::RLIM_INFINITY);
    assert!(size_of::<libc::rlimit>() == decode::RLIMIT_SIZE);
    assert!(offset_of!(libc::rlimit, rlim_max) == 8);
    assert!(
        libc::KERN_PROC_UMASK == 39 && libc::KERN_PROC_GROUPS == 34 && libc::KERN_PROC_RLIMIT == 37
    );
    assert!(libc::KERN_PROC_PROC == 8 && libc::KERN_BOOTTIME == 21);
    assert!(libc::RLIMIT_UMTXP == 14 && libc::RLIMIT_NOFILE == 8);
    assert!(libc::EBUSY == 16 && libc::EINVAL == 22 && libc::ENOMEM == decode::ENOMEM);
};

/// The real kernel.
#[derive(Debug)]
pub enum Syscalls {}

/// The FreeBSD backend.
pub type FreeBsd = FreeBsdOn<Syscalls>;

impl Kernel for Syscalls {
    fn sysctl(mib: &[i32], old: Option<&mut [u8]>, new: Option<&[u8]>) -> io::Result<usize> {
        unix::sysctl(mib, old, new)
    }

    fn table() -> io::Result<Vec<u8>> {
        unix::sysctl_table(|_| decode::table_mib().to_vec(), layout::NATIVE.size)
    }

    fn getpgid(pid: Pid) -> Result<Pid> {
        unix::process_id(pid, Id::Pgid)
    }

    fn getsid(pid: Pid) -> Result<Pid> {
        unix::process_id(pid, Id::Sid)
    }

    /// Asked once per process.
    fn known_resources() -> u32 {
        static KNOWN: OnceLock<u32> = OnceLock::new();
        *KNOWN.get_or_init(|| {
            decode::known_resource_numbers(|number| {
                let mut limit = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                // SAFETY: `limit` is a valid, writable `struct rlimit` for the call.
                match unsafe { libc::getrlimit(number, &mut limit) } {
                    0 => Ok(()),
                    _ => Err(io::Error::last_os_error()),
                }
            })
        })
    }

    fn pause(duration: Duration) {
        std::thread::sleep(duration);
    }

    /// `PAGE_SIZE`, which libc's `getpagesize()` takes from the kernel (`hw.pagesize`).
    fn page_size() -> u64 {
        static PAGE: OnceLock<u64> = OnceLock::new();
        *PAGE.get_or_init(|| {
            // SAFETY: sysconf takes an integer and touches no memory of ours.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            // The kernel always has one; 4096 is every FreeBSD platform's smallest.
            u64::try_from(page).ok().filter(|&p| p > 0).unwrap_or(4096)
        })
    }
}
