//! The OpenBSD system calls behind [`Kernel`]: `sysctl(2)` for `kinfo_proc` (one
//! process's or the whole table), `getpgid(2)`/`getsid(2)`. Every decision is in
//! `decode` and `netbsdlike`.

use std::mem::{offset_of, size_of};

use psx_core::unix::{self, Id};
use psx_core::{
    Attr, Backend, Error, NprocShare, OpenFiles, Pid, ProcInfo, Resource, Result, SignalMasks,
    Target,
};
use psx_netbsd::netbsdlike::{self, Kernel, KinfoPin};

use crate::decode::{self, layout, Kinfo};

// The offsets decode.rs reads are libc's (which libc's CI checks against OpenBSD).
const _: () = {
    type K = libc::kinfo_proc;
    assert!(size_of::<K>() == layout::SIZE);
    assert!(offset_of!(K, p_pid) == layout::P_PID);
    assert!(offset_of!(K, p_sid) == layout::P_SID);
    assert!(offset_of!(K, p__pgid) == layout::P_PGID);
    assert!(offset_of!(K, p_groups) == layout::P_GROUPS);
    assert!(offset_of!(K, p_ngroups) == layout::P_NGROUPS);
    assert!(offset_of!(K, p_siglist) == layout::P_SIGLIST);
    assert!(offset_of!(K, p_sigmask) == layout::P_SIGMASK);
    assert!(offset_of!(K, p_sigignore) == layout::P_SIGIGNORE);
    assert!(offset_of!(K, p_sigcatch) == layout::P_SIGCATCH);
    assert!(offset_of!(K, p_comm) == layout::P_COMM);
    assert!(offset_of!(K, p_uvalid) == layout::P_UVALID);
    assert!(offset_of!(K, p_ustart_sec) == layout::P_USTART_SEC);
    assert!(offset_of!(K, p_ustart_usec) == layout::P_USTART_USEC);
    assert!(offset_of!(K, p_psflags) == layout::P_PSFLAGS);
    assert!(offset_of!(K, p_ruid) == layout::P_RUID);
    assert!(offset_of!(K, p_rtime_sec) == layout::P_RTIME_SEC);
    assert!(offset_of!(K, p_vm_rssize) == layout::P_VM_RSSIZE);
    assert!(offset_of!(K, p_vm_dsize) == layout::P_VM_DSIZE);
    assert!(offset_of!(K, p_vm_ssize) == layout::P_VM_SSIZE);
    assert!(size_of::<libc::kinfo_file>() == decode::kinfo_file::SIZE);
    assert!(offset_of!(libc::kinfo_file, fd_fd) == decode::kinfo_file::FD_FD);
    assert!(libc::KERN_FILE == decode::KERN_FILE);
    assert!(libc::KERN_FILE_BYPID == decode::KERN_FILE_BYPID);
    assert!(libc::KI_NGROUPS as usize == layout::KI_NGROUPS);
    assert!(libc::KI_MAXCOMLEN as usize == netbsdlike::KI_MAXCOMLEN);
    assert!(libc::KERN_PROC == decode::KERN_PROC);
    assert!(libc::KERN_PROC_ALL == netbsdlike::KERN_PROC_ALL);
    assert!(libc::KERN_PROC_PID == netbsdlike::KERN_PROC_PID);
};

/// The OpenBSD backend.
#[derive(Debug)]
pub enum OpenBsd {}

/// The real kernel.
struct Syscalls;

impl Kernel for Syscalls {
    const START_TOLERANCE_USEC: i64 = decode::START_TOLERANCE_USEC;

    fn id_falls_back(err: &Error) -> bool {
        decode::id_falls_back(err)
    }

    fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
        let mut buf = [0u8; layout::SIZE];
        let len = unix::sysctl(&decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)
            .map_err(|e| Error::from_io(pid, e))?;
        // No process: `sysctl_doproc` answers success with nothing.
        if len == 0 {
            return Err(Error::NoSuchProcess { pid });
        }
        decode::kinfo(buf.get(..len).unwrap_or(&buf)).map_err(|e| Error::invalid_data(pid, e))
    }

    fn table(&self) -> Result<Vec<Kinfo>> {
        netbsdlike::read_table(decode::table_mib, layout::SIZE, decode::table)
    }

    fn page_size(&self) -> u64 {
        // SAFETY: sysconf takes a constant and touches no memory of ours.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        // 4096 if it fails: OpenBSD's smallest page, and x86_64's.
        u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
    }

    fn open_files(&self, pid: Pid) -> Result<OpenFiles> {
        let size = decode::kinfo_file::SIZE;
        let buf = netbsdlike::read_records(size, |old, count| {
            unix::sysctl(&decode::files_mib(pid.as_raw(), count), old, None)
        })
        .map_err(|e| Error::from_io(pid, e))?;
        decode::open_files(&buf).map_err(|e| Error::invalid_data(pid, e))
    }
}

impl Backend for OpenBsd {
    type Pin = KinfoPin;

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask | Attr::Rlimits)
    }

    fn pids() -> Result<Vec<Pid>> {
        netbsdlike::pids(&Syscalls)
    }

    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
        netbsdlike::scan::<Self, _>(&Syscalls, attrs)
    }

    fn pin(pid: Pid) -> Result<KinfoPin> {
        netbsdlike::pin(&Syscalls, pid)
    }

    fn is_running(target: Target<'_, KinfoPin>) -> Result<bool> {
        netbsdlike::is_running(&Syscalls, target)
    }

    fn comm(target: Target<'_, KinfoPin>) -> Result<String> {
        netbsdlike::with_kinfo(&Syscalls, target, |k| Ok(k.comm.clone()))
    }

    fn groups(target: Target<'_, KinfoPin>) -> Result<Vec<u32>> {
        netbsdlike::with_kinfo(&Syscalls, target, |k| Ok(k.groups.clone()))
    }

    fn sigmasks(target: Target<'_, KinfoPin>) -> Result<SignalMasks> {
        netbsdlike::with_kinfo(&Syscalls, target, |k| k.signal_masks(target.pid()))
    }

    fn usage(target: Target<'_, KinfoPin>, resource: Resource) -> Result<u64> {
        netbsdlike::usage(&Syscalls, target, resource, decode::MEASURED)
    }

    fn open_files(target: Target<'_, KinfoPin>) -> Result<OpenFiles> {
        netbsdlike::open_files(&Syscalls, target)
    }

    fn nproc_share(target: Target<'_, KinfoPin>) -> Result<NprocShare> {
        netbsdlike::nproc_share(&Syscalls, target)
    }

    fn pgid(target: Target<'_, KinfoPin>) -> Result<Pid> {
        let call = || unix::process_id(target.pid(), Id::Pgid);
        netbsdlike::id(&Syscalls, target, |k| k.pgid, call)
    }

    fn sid(target: Target<'_, KinfoPin>) -> Result<Pid> {
        let call = || unix::process_id(target.pid(), Id::Sid);
        netbsdlike::id(&Syscalls, target, |k| k.sid, call)
    }
}
