//! The Solaris and illumos system calls behind [`backend::Kernel`]: `/proc` (opened by
//! path or under a process's directory, files read and `fd/` walked), `stat`,
//! `getpgid(2)`, `getsid(2)`.

use std::ffi::{CStr, OsStr};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use psx_core::unix::{process_id, Id};
use psx_core::{Pid, Result, StartTime};

use crate::backend::{self, ProcBackend};
use crate::decode::{errno, layout};

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

/// `lwpsinfo_t` (`sys/procfs.h`) in the target's own C types, as [`LwpstatusHead`].
#[allow(dead_code)]
#[repr(C)]
struct LwpsinfoMirror {
    pr_flag: libc::c_int,
    pr_lwpid: libc::id_t,
    /// `pr_addr, pr_wchan`.
    pr_addrs: [libc::uintptr_t; 2],
    /// `pr_stype, pr_state`.
    pr_kind: [libc::c_char; 2],
    pr_sname: libc::c_char,
    pr_nice: libc::c_char,
    pr_syscall: libc::c_short,
    /// `pr_oldpri, pr_cpu`.
    pr_old: [libc::c_char; 2],
    pr_pri: libc::c_int,
    /// `ushort_t pr_pctcpu, pr_pad`.
    pr_pct: [libc::c_ushort; 2],
    /// `timestruc_t pr_start, pr_time`.
    pr_times: [libc::timespec; 2],
    pr_clname: [libc::c_char; 8],
    pr_name: [libc::c_char; layout::PRFNSZ],
    /// `processorid_t pr_onpro, pr_bindpro; psetid_t pr_bindpset; int pr_lgrp`.
    pr_cpus: [libc::c_int; 4],
    pr_filler: [libc::c_int; 4],
}

/// `psinfo_t`, as [`LwpstatusHead`]: the whole struct, so its size is checked too.
#[allow(dead_code)]
#[repr(C)]
struct PsinfoMirror {
    /// `pr_flag, pr_nlwp`.
    pr_counts: [libc::c_int; 2],
    /// `pr_pid, pr_ppid`.
    pr_pids: [libc::pid_t; 2],
    pr_pgid: libc::pid_t,
    pr_sid: libc::pid_t,
    /// `pr_uid, pr_euid`.
    pr_uids: [libc::uid_t; 2],
    /// `pr_gid, pr_egid`.
    pr_gids: [libc::gid_t; 2],
    pr_addr: libc::uintptr_t,
    /// `pr_size, pr_rssize, pr_pad1`.
    pr_sizes: [libc::size_t; 3],
    pr_ttydev: libc::dev_t,
    /// `pr_pctcpu, pr_pctmem`.
    pr_pct: [libc::c_ushort; 2],
    pr_start: libc::timespec,
    /// `pr_time, pr_ctime`.
    pr_times: [libc::timespec; 2],
    pr_fname: [libc::c_char; layout::PRFNSZ],
    pr_psargs: [libc::c_char; 80],
    /// `pr_wstat, pr_argc`.
    pr_ints: [libc::c_int; 2],
    /// `pr_argv, pr_envp`.
    pr_vectors: [libc::uintptr_t; 2],
    /// `char pr_dmodel; char pr_pad2[3]`.
    pr_dmodel: [libc::c_char; 4],
    /// `taskid_t pr_taskid; projid_t pr_projid; int pr_nzomb; poolid_t pr_poolid;
    /// zoneid_t pr_zoneid; id_t pr_contract` (all `id_t` or `int`).
    pr_ids: [libc::id_t; 6],
    pr_filler: [libc::c_int; 1],
    pr_lwp: LwpsinfoMirror,
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
    assert!(errno::EINVAL == libc::EINVAL);
    assert!(offset_of!(PsinfoMirror, pr_pgid) == layout::PS_PGID);
    assert!(offset_of!(PsinfoMirror, pr_sid) == layout::PS_SID);
    assert!(offset_of!(PsinfoMirror, pr_start) == layout::PS_START);
    assert!(offset_of!(PsinfoMirror, pr_uids) == layout::PS_UID);
    assert!(offset_of!(PsinfoMirror, pr_sizes) == layout::PS_SIZE);
    assert!(offset_of!(PsinfoMirror, pr_sizes) + size_of::<libc::size_t>() == layout::PS_RSSIZE);
    assert!(offset_of!(PsinfoMirror, pr_times) == layout::PS_TIME);
    assert!(offset_of!(PstatusHead, pr_brksize) == layout::PR_BRKSIZE);
    assert!(offset_of!(PstatusHead, pr_stksize) == layout::PR_STKSIZE);
    assert!(size_of::<libc::size_t>() == layout::LONG);
    assert!(offset_of!(PsinfoMirror, pr_fname) == layout::PS_FNAME);
    assert!(offset_of!(PsinfoMirror, pr_lwp) == layout::PS_LWP);
    assert!(
        offset_of!(PsinfoMirror, pr_lwp) + offset_of!(LwpsinfoMirror, pr_sname)
            == layout::PS_LWP_SNAME
    );
    assert!(size_of::<PsinfoMirror>() == layout::PSINFO_SIZE);
};

/// The Solaris and illumos backend.
pub type Solaris = ProcBackend<Syscalls>;

/// The real kernel.
#[derive(Debug)]
pub enum Syscalls {}

fn proc_path(pid: Pid) -> PathBuf {
    PathBuf::from(format!("/proc/{}", pid.as_raw()))
}

impl backend::Kernel for Syscalls {
    type Dir = File;

    /// `EACCES` for a process the caller may not control (`praccess` asks
    /// `priv_proc_cred_perm` even to read the directory).
    fn open_dir(pid: Pid) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(proc_path(pid))
    }

    fn read(pid: Pid, dir: Option<&File>, name: &CStr) -> io::Result<Vec<u8>> {
        let Some(dir) = dir else {
            return std::fs::read(proc_path(pid).join(OsStr::from_bytes(name.to_bytes())));
        };
        // SAFETY: the directory fd is open for the call; `name` is NUL-terminated.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened by us and is owned by nobody else.
        let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// `fd/` through `readdir(3C)` of one open directory: no name is kept.
    fn fd_names(pid: Pid, dir: Option<&File>, each: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        let fd: OwnedFd = match dir {
            Some(dir) => {
                // SAFETY: the directory fd is open for the call; the name is NUL-terminated.
                let fd = unsafe {
                    libc::openat(
                        dir.as_raw_fd(),
                        c"fd".as_ptr(),
                        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                    )
                };
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: `fd` was just opened by us and is owned by nobody else.
                unsafe { OwnedFd::from_raw_fd(fd) }
            }
            None => OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_DIRECTORY)
                .open(proc_path(pid).join("fd"))?
                .into(),
        };
        // SAFETY: `fd` is an open directory; on success the stream owns it.
        let stream = unsafe { libc::fdopendir(fd.as_raw_fd()) };
        if stream.is_null() {
            return Err(io::Error::last_os_error());
        }
        let _ = fd.into_raw_fd();
        let stream = DirStream(stream);
        loop {
            // SAFETY: `___errno` is this thread's errno; `readdir` tells its end from
            // its failure (`prlock` refusing a process that turned zombie) only there.
            unsafe { *libc::___errno() = 0 };
            // SAFETY: the stream is open until `stream` drops.
            let entry = unsafe { libc::readdir(stream.0) };
            if entry.is_null() {
                let err = io::Error::last_os_error();
                return match err.raw_os_error() {
                    Some(0) | None => Ok(()),
                    Some(_) => Err(err),
                };
            }
            // SAFETY: the entry is valid until the next `readdir`; its `d_name` is a
            // NUL-terminated name running past the declared array, so it is reached
            // through a raw pointer, never a reference to the array.
            let name = unsafe { CStr::from_ptr(std::ptr::addr_of!((*entry).d_name).cast()) };
            each(name.to_bytes());
        }
    }

    /// `prgetattr` gives `u_start` as a process directory's times, and `ENOENT` once the
    /// directory's process is freed.
    fn start_time(pid: Pid, dir: Option<&File>) -> io::Result<StartTime> {
        let meta = match dir {
            Some(dir) => dir.metadata()?,
            None => std::fs::metadata(proc_path(pid))?,
        };
        Ok(StartTime {
            sec: meta.mtime(),
            usec: meta.mtime_nsec() / 1000,
        })
    }

    fn getpgid(pid: Pid) -> Result<Pid> {
        process_id(pid, Id::Pgid)
    }

    fn getsid(pid: Pid) -> Result<Pid> {
        process_id(pid, Id::Sid)
    }

    fn proc_entries() -> io::Result<Vec<String>> {
        std::fs::read_dir("/proc")?
            .map(|entry| Ok(entry?.file_name().into_string().unwrap_or_default()))
            .collect()
    }
}

/// An open `DIR`, closed on drop.
struct DirStream(*mut libc::DIR);

impl Drop for DirStream {
    fn drop(&mut self) {
        // SAFETY: the stream is open and closed only here.
        unsafe { libc::closedir(self.0) };
    }
}
