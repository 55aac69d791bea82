//! The Solaris and illumos system calls: reading `/proc/<pid>/{cred,psinfo,status,sigact}`,
//! `getpgid(2)`, `getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{Attr, Backend, Error, Pid, Result, SignalMasks, Target};

use crate::decode::{self, errno, layout};

/// The head of `lwpstatus_t` (`sys/procfs.h`), up to `pr_lwphold`, in the target's own C
/// types. The libc crate has no procfs structs, but it has these types, checked against
/// the system headers by its CI: on the target the compiler lays this out independently
/// of the offsets `decode::layout` writes out by hand, and the assertions below compare
/// the two. Never built, only measured.
#[allow(dead_code)]
#[repr(C, align(8))] // lwpstatus_t holds longs and pointers further on
struct LwpstatusHead {
    pr_flags: libc::c_int,
    pr_lwpid: libc::id_t,
    /// `pr_why, pr_what, pr_cursig, pr_pad1`.
    pr_shorts: [libc::c_short; 4],
    pr_info: libc::siginfo_t,
    pr_lwppend: libc::sigset_t,
    pr_lwphold: libc::sigset_t,
}

/// The head of `pstatus_t`, up to its `pr_lwp`'s `pr_lwphold`, as [`LwpstatusHead`].
#[allow(dead_code)]
#[repr(C)]
struct PstatusHead {
    pr_flags: libc::c_int,
    pr_nlwp: libc::c_int,
    /// `pr_pid, pr_ppid, pr_pgid, pr_sid`.
    pr_pids: [libc::pid_t; 4],
    /// `pr_aslwpid, pr_agentid`.
    pr_lwpids: [libc::id_t; 2],
    pr_sigpend: libc::sigset_t,
    pr_brkbase: libc::uintptr_t,
    pr_brksize: libc::size_t,
    pr_stkbase: libc::uintptr_t,
    pr_stksize: libc::size_t,
    /// `timestruc_t pr_utime, pr_stime, pr_cutime, pr_cstime` (`struct timespec`).
    pr_times: [libc::timespec; 4],
    pr_sigtrace: libc::sigset_t,
    /// `fltset_t`.
    pr_flttrace: [libc::c_uint; 4],
    /// `sysset_t pr_sysentry, pr_sysexit`.
    pr_syssets: [[libc::c_uint; 16]; 2],
    /// `char pr_dmodel; char pr_pad[3]`.
    pr_dmodel: [libc::c_char; 4],
    /// `taskid_t pr_taskid; projid_t pr_projid` (both `id_t`).
    pr_task_proj: [libc::id_t; 2],
    pr_nzomb: libc::c_int,
    pr_zoneid: libc::zoneid_t,
    pr_filler: [libc::c_int; 15],
    pr_lwp: LwpstatusHead,
}

const _: () = {
    assert!(offset_of!(PstatusHead, pr_sigpend) == layout::PR_SIGPEND);
    assert!(offset_of!(PstatusHead, pr_lwp) == layout::PR_LWP);
    assert!(offset_of!(LwpstatusHead, pr_info) == layout::LWP_PR_INFO);
    assert!(offset_of!(LwpstatusHead, pr_lwppend) == layout::LWP_PR_LWPPEND);
    assert!(
        offset_of!(PstatusHead, pr_lwp) + offset_of!(LwpstatusHead, pr_lwphold)
            == layout::PR_LWPHOLD
    );
    assert!(size_of::<PstatusHead>() == layout::PSTATUS_NEEDED);
    assert!(size_of::<libc::sigset_t>() == layout::SIGSET_SIZE);
    assert!(size_of::<libc::siginfo_t>() == layout::SIGINFO_SIZE);
    assert!(size_of::<libc::timespec>() == layout::TIMESTRUC_SIZE);
    assert!(size_of::<libc::uintptr_t>() == layout::LONG);
    // prcred_t: uid_t and gid_t are the 4-byte fields `decode::layout` counts.
    assert!(size_of::<libc::uid_t>() == layout::INT && size_of::<libc::gid_t>() == layout::INT);
    assert!(size_of::<libc::sigaction>() == layout::SIGACTION_SIZE);
    assert!(offset_of!(libc::sigaction, sa_flags) == layout::SA_FLAGS);
    assert!(offset_of!(libc::sigaction, sa_sigaction) == layout::SA_HANDLER);
    assert!(offset_of!(libc::sigaction, sa_mask) == layout::SA_MASK);
    assert!(libc::SIG_IGN == 1 && libc::SIG_DFL == 0);
    assert!(errno::EPERM == libc::EPERM && errno::ESRCH == libc::ESRCH);
    assert!(errno::EACCES == libc::EACCES && errno::EINVAL == libc::EINVAL);
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

/// Whether `/proc` still has the process, zombies included.
fn exists(pid: Pid) -> bool {
    std::fs::metadata(format!("/proc/{}/psinfo", pid.as_raw())).is_ok()
}

fn invalid_data(pid: Pid, err: decode::DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
}

/// `getpgid` or `getsid`, its failure read as [`decode::pgrpsys_result`] explains.
fn id_of(pid: Pid, call: unsafe extern "C" fn(libc::pid_t) -> libc::pid_t) -> Result<Pid> {
    // SAFETY: getpgid/getsid take a pid by value and touch no memory of ours.
    let ret = unsafe { call(pid.as_raw()) };
    let errnum = match ret {
        0.. => 0,
        _ => io::Error::last_os_error().raw_os_error().unwrap_or(0),
    };
    decode::pgrpsys_result(pid, ret, errnum)
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
        id_of(target.pid, libc::getpgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getsid)
    }
}
