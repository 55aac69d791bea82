//! The NetBSD system calls behind [`Kernel`]: `sysctl(3)` for `kinfo_proc2` (one
//! process's or the whole table) and the limits, `getpgid(2)`/`getsid(2)`, and
//! `kill(2)` with signal 0 to tell a process the kernel hides from one that is gone.
//! Every decision is in `decode` and `netbsdlike`.

use std::mem::{offset_of, size_of};
use std::time::Duration;

use psx_core::unix::{self, Id};
use psx_core::{
    Attr, Backend, Error, NprocShare, OpenFiles, Pid, ProcInfo, RLimit, Resource, Result,
    SignalMasks, Target, ValidRLimit,
};

use crate::decode::{self, layout, Kinfo, LimitSysctl, Side};
use crate::netbsdlike::{self, Kernel, KinfoPin};

// The offsets decode.rs reads are libc's (which libc's CI checks against NetBSD).
const _: () = {
    type K = libc::kinfo_proc2;
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
    assert!(offset_of!(K, p_stat) == layout::P_STAT);
    assert!(offset_of!(K, p_comm) == layout::P_COMM);
    assert!(offset_of!(K, p_uvalid) == layout::P_UVALID);
    assert!(offset_of!(K, p_ustart_sec) == layout::P_USTART_SEC);
    assert!(offset_of!(K, p_ustart_usec) == layout::P_USTART_USEC);
    assert!(offset_of!(K, p_ruid) == layout::P_RUID);
    assert!(offset_of!(K, p_rtime_sec) == layout::P_RTIME_SEC);
    assert!(offset_of!(K, p_vm_rssize) == layout::P_VM_RSSIZE);
    assert!(offset_of!(K, p_vm_dsize) == layout::P_VM_DSIZE);
    assert!(offset_of!(K, p_vm_ssize) == layout::P_VM_SSIZE);
    assert!(offset_of!(K, p_vm_vsize) == layout::P_VM_VSIZE);
    assert!(size_of::<libc::kinfo_file>() == decode::kinfo_file::SIZE);
    assert!(offset_of!(libc::kinfo_file, ki_fd) == decode::kinfo_file::KI_FD);
    assert!(libc::KERN_FILE2 == decode::KERN_FILE2);
    assert!(libc::KERN_FILE_BYPID == decode::KERN_FILE_BYPID);
    assert!(libc::KI_NGROUPS as usize == layout::KI_NGROUPS);
    assert!(libc::KI_MAXCOMLEN as usize == netbsdlike::KI_MAXCOMLEN);
    assert!(libc::KERN_PROC2 == decode::KERN_PROC2);
    assert!(libc::KERN_PROC_ALL == netbsdlike::KERN_PROC_ALL);
    assert!(libc::KERN_PROC_PID == netbsdlike::KERN_PROC_PID);
    assert!(libc::RLIM_INFINITY == decode::RLIM_INFINITY);
    assert!(libc::RLIMIT_NOFILE == 8 && libc::RLIMIT_NTHR == 11);
};

/// The NetBSD backend.
#[derive(Debug)]
pub enum NetBsd {}

/// `pid` if psx may ask the kernel about it; [`Error::NoSuchProcess`] for a number no
/// process can have, `PROC_CURPROC` included (see [`decode::names_a_process`]). Every
/// backend method starts here, before any system call.
fn checked(target: Target<'_, KinfoPin>) -> Result<Target<'_, KinfoPin>> {
    if decode::names_a_process(target.pid()) {
        Ok(target)
    } else {
        Err(Error::NoSuchProcess { pid: target.pid() })
    }
}

/// `sysctl(3)` on `mib` about `pid`, its errno mapped.
fn sysctl(pid: Pid, mib: &[i32], old: Option<&mut [u8]>, new: Option<&[u8]>) -> Result<usize> {
    unix::sysctl(mib, old, new).map_err(|e| Error::from_io(pid, e))
}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
    let mut buf = [0u8; layout::SIZE];
    let len = sysctl(pid, &decode::kinfo_mib(pid.as_raw()), Some(&mut buf), None)?;
    decode::kinfo_reply(pid, buf.get(..len).unwrap_or(&buf), || {
        unix::kill_probe(pid)
    })
}

/// The pause before retry `attempt` of a call the kernel could not answer (a limit
/// sysctl's EBUSY, a `kinfo_proc2` without the start time): 1, 2, 4, ... ms, so the
/// [`decode::BUSY_ATTEMPTS`] calls span about 130 ms, time for an exec to let go of
/// the process.
fn busy_pause(attempt: u32) -> Duration {
    Duration::from_millis(1 << attempt.saturating_sub(1).min(10))
}

/// The real kernel.
struct Syscalls;

impl Kernel for Syscalls {
    const START_TOLERANCE_USEC: i64 = decode::START_TOLERANCE_USEC;

    fn id_falls_back(err: &Error) -> bool {
        decode::id_falls_back(err)
    }

    fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
        read_kinfo(pid)
    }

    fn table(&self) -> Result<Vec<Kinfo>> {
        netbsdlike::read_table(decode::table_mib, layout::SIZE, decode::table)
    }

    fn page_size(&self) -> u64 {
        // 4096 if sysconf fails: NetBSD's smallest page, and x86_64's.
        page_size().unwrap_or(4096)
    }

    fn open_files(&self, pid: Pid) -> Result<OpenFiles> {
        let size = decode::kinfo_file::SIZE;
        let buf = netbsdlike::read_records(size, |old, count| {
            unix::sysctl(&decode::files_mib(pid.as_raw(), count), old, None)
        })
        .map_err(|e| Error::from_io(pid, e))?;
        decode::open_files(&buf).map_err(|e| Error::invalid_data(pid, e))
    }

    fn wait(&self, attempt: u32) {
        std::thread::sleep(busy_pause(attempt));
    }
}

/// The system's page size (`sysconf(_SC_PAGESIZE)`), which `round_page` rounds the
/// stack's soft limit to; `None` if the call fails.
fn page_size() -> Option<u64> {
    // SAFETY: sysconf takes a constant and touches no memory of ours.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|&s| s > 0)
}

/// One resource's two limit sysctls.
struct ProcLimit {
    pid: Pid,
    number: i32,
    soft_rounding: Option<u64>,
}

impl LimitSysctl for ProcLimit {
    type Error = Error;

    fn exchange(&mut self, side: Side, new: Option<u64>) -> Result<u64> {
        let mut old = [0u8; 8];
        let new = new.map(u64::to_ne_bytes);
        let mib = decode::limit_mib(self.pid.as_raw(), self.number, side);
        let len = sysctl(self.pid, &mib, Some(&mut old), new.as_ref().map(|n| &n[..]))?;
        match len {
            8 => Ok(u64::from_ne_bytes(old)),
            0 => Err(Error::NoSuchProcess { pid: self.pid }),
            _ => Err(Error::invalid_data(
                self.pid,
                format!("limit sysctl replied {len} bytes, expected 8"),
            )),
        }
    }

    fn is_busy(err: &Error) -> bool {
        matches!(err, Error::Os { source, .. } if source.raw_os_error() == Some(libc::EBUSY))
    }

    fn wait(&mut self, attempt: u32) {
        std::thread::sleep(busy_pause(attempt));
    }

    fn soft_rounding(&self) -> Option<u64> {
        self.soft_rounding
    }
}

fn proc_limit(pid: Pid, resource: Resource) -> Result<ProcLimit> {
    let number = decode::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let soft_rounding = match resource {
        Resource::Stack => page_size(),
        _ => None,
    };
    Ok(ProcLimit {
        pid,
        number,
        soft_rounding,
    })
}

impl Backend for NetBsd {
    type Pin = KinfoPin;

    const RLIM_INFINITY: u64 = decode::RLIM_INFINITY;

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask)
    }

    fn can_set_rlimit() -> bool {
        true
    }

    fn resource_number(resource: Resource) -> Option<i32> {
        decode::resource_number(resource)
    }

    fn pids() -> Result<Vec<Pid>> {
        netbsdlike::pids(&Syscalls)
    }

    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
        netbsdlike::scan::<Self, _>(&Syscalls, attrs)
    }

    fn pin(pid: Pid) -> Result<KinfoPin> {
        let target = checked(Target::new(pid)?)?;
        netbsdlike::pin(&Syscalls, target.pid())
    }

    fn is_running(target: Target<'_, KinfoPin>) -> Result<bool> {
        match checked(target) {
            Ok(target) => netbsdlike::is_running(&Syscalls, target),
            Err(_) => Ok(false),
        }
    }

    fn comm(target: Target<'_, KinfoPin>) -> Result<String> {
        netbsdlike::with_kinfo(&Syscalls, checked(target)?, |k| Ok(k.comm.clone()))
    }

    fn groups(target: Target<'_, KinfoPin>) -> Result<Vec<u32>> {
        netbsdlike::with_kinfo(&Syscalls, checked(target)?, |k| Ok(k.groups.clone()))
    }

    fn sigmasks(target: Target<'_, KinfoPin>) -> Result<SignalMasks> {
        let target = checked(target)?;
        netbsdlike::with_kinfo(&Syscalls, target, |k| k.signal_masks(target.pid()))
    }

    fn pgid(target: Target<'_, KinfoPin>) -> Result<Pid> {
        let target = checked(target)?;
        let call = || unix::process_id(target.pid(), Id::Pgid);
        netbsdlike::id(&Syscalls, target, |k| k.pgid, call)
    }

    fn sid(target: Target<'_, KinfoPin>) -> Result<Pid> {
        let target = checked(target)?;
        let call = || unix::process_id(target.pid(), Id::Sid);
        netbsdlike::id(&Syscalls, target, |k| k.sid, call)
    }

    fn usage(target: Target<'_, KinfoPin>, resource: Resource) -> Result<u64> {
        netbsdlike::usage(&Syscalls, checked(target)?, resource, decode::MEASURED)
    }

    fn open_files(target: Target<'_, KinfoPin>) -> Result<OpenFiles> {
        netbsdlike::open_files(&Syscalls, checked(target)?)
    }

    fn nproc_share(target: Target<'_, KinfoPin>) -> Result<NprocShare> {
        netbsdlike::nproc_share(&Syscalls, checked(target)?)
    }

    fn get_rlimit(target: Target<'_, KinfoPin>, resource: Resource) -> Result<RLimit> {
        let target = checked(target)?;
        let pid = target.pid();
        let mut ctl = proc_limit(pid, resource)?;
        netbsdlike::confirmed(&Syscalls, target, || {
            decode::get_rlimit(&mut ctl).map_err(|e| decode::limit_error(e, || read_kinfo(pid)))
        })
    }

    fn set_rlimit(
        target: Target<'_, KinfoPin>,
        resource: Resource,
        new: ValidRLimit,
    ) -> Result<RLimit> {
        let target = checked(target)?;
        let pid = target.pid();
        let mut ctl = proc_limit(pid, resource)?;
        netbsdlike::guarded(&Syscalls, target, || {
            decode::set_rlimit(&mut ctl, new.get())
                .map_err(|e| decode::limit_error(e, || read_kinfo(pid)))
        })
    }
}
