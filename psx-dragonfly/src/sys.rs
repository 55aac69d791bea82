//! The DragonFly system calls: reading `/proc/<pid>/{status,rlimit}`, `sysctl(3)` for
//! `kinfo_proc`, `getpgid(2)`/`getsid(2)`.

use std::io;
use std::mem::{offset_of, size_of};

use psx_core::{oneshot, Attr, Backend, Error, Pid, RLimit, Resource, Result, SignalMasks, Target};

use crate::decode::{self, layout, Kinfo, Status};

// The offsets decode.rs reads are libc's (which libc's CI checks against DragonFly).
const _: () = {
    type K = libc::kinfo_proc;
    assert!(size_of::<K>() == layout::SIZE);
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
};

/// The DragonFly backend.
#[derive(Debug)]
pub enum DragonFly {}

fn invalid_data(pid: Pid, err: decode::DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
}

/// Why a `/proc` file could not be read: no process, or no procfs at all.
enum ProcRead {
    Failed(Error),
    NotMounted,
}

fn read_proc_file(pid: Pid, name: &str) -> std::result::Result<Vec<u8>, ProcRead> {
    match std::fs::read(format!("/proc/{}/{name}", pid.as_raw())) {
        Ok(bytes) if bytes.is_empty() => Err(ProcRead::Failed(Error::NoSuchProcess { pid })),
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if std::path::Path::new("/proc/curproc").exists() {
                Err(ProcRead::Failed(Error::NoSuchProcess { pid }))
            } else {
                Err(ProcRead::NotMounted)
            }
        }
        Err(e) => Err(ProcRead::Failed(Error::from_io(pid, e))),
    }
}

fn read_kinfo(pid: Pid) -> Result<Kinfo> {
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
    // No such process (or one in another jail): the kernel answers with nothing.
    if len == 0 {
        return Err(Error::NoSuchProcess { pid });
    }
    decode::kinfo(buf.get(..len).unwrap_or(&buf)).map_err(|e| invalid_data(pid, e))
}

/// Groups, pgid and sid as `/proc/<pid>/status` has them, or, without procfs (or when
/// its 256-byte line overflowed with many groups: ENOMEM), as `kinfo_proc` has them.
fn read_status(pid: Pid) -> Result<Status> {
    let from_kinfo = |k: Kinfo| Status {
        comm: Vec::new(),
        pid: k.pid,
        pgid: k.pgid,
        sid: k.sid,
        groups: k.groups,
    };
    match read_proc_file(pid, "status") {
        Ok(text) => decode::status(&text, Some(pid.as_raw())).map_err(|e| invalid_data(pid, e)),
        Err(ProcRead::NotMounted) => read_kinfo(pid).map(from_kinfo),
        Err(ProcRead::Failed(Error::Os { source, .. }))
            if source.raw_os_error() == Some(libc::ENOMEM) =>
        {
            read_kinfo(pid).map(from_kinfo)
        }
        Err(ProcRead::Failed(e)) => Err(e),
    }
}

/// Every resource's limits, from `/proc/<pid>/rlimit`.
fn read_rlimits(pid: Pid) -> Result<Vec<(Resource, RLimit)>> {
    match read_proc_file(pid, "rlimit") {
        Ok(text) => decode::rlimits(&text).map_err(|e| invalid_data(pid, e)),
        // Nothing else gives another process's limits on DragonFly (kinfo_proc has
        // none): without procfs this system cannot answer, whatever the process.
        Err(ProcRead::NotMounted) => Err(Error::Unsupported {
            what: "resource limits without procfs mounted at /proc",
        }),
        Err(ProcRead::Failed(e)) => Err(e),
    }
}

fn with_status<R>(pid: Pid, pick: impl Fn(&Status) -> R) -> Result<R> {
    match oneshot::cached(pid, || read_status(pid), |s| Ok(pick(s))) {
        Some(result) => result,
        None => read_status(pid).map(|s| pick(&s)),
    }
}

/// `getpgid`/`getsid`, or the oneshot's status; the status also on EPERM.
fn id_of(
    pid: Pid,
    call: unsafe extern "C" fn(libc::pid_t) -> libc::pid_t,
    field: fn(&Status) -> i32,
) -> Result<Pid> {
    if let Some(result) = oneshot::cached(pid, || read_status(pid), |s| Ok(Pid::from(field(s)))) {
        return result;
    }
    // SAFETY: getpgid/getsid take a pid and touch no memory of ours.
    let id = unsafe { call(pid.as_raw()) };
    if id >= 0 {
        return Ok(Pid::from(id));
    }
    match Error::last_os_error(pid) {
        Error::AccessDenied { .. } => read_status(pid).map(|s| Pid::from(field(&s))),
        other => Err(other),
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
        read_kinfo(pid).map(drop)
    }

    /// Whether `kinfo_proc` still shows the pid: the answer `kill(pid, 0)` gives (a
    /// process another user owns exists too; DragonFly's lookups skip zombies, so a
    /// zombie reads as gone). With no pin, a reused pid is not detected.
    fn is_running(target: Target<'_, ()>) -> Result<bool> {
        match read_kinfo(target.pid) {
            Ok(_) => Ok(true),
            Err(Error::NoSuchProcess { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn groups(target: Target<'_, ()>) -> Result<Vec<u32>> {
        with_status(target.pid, |s| s.groups.clone())
    }

    fn pgid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getpgid, |s| s.pgid)
    }

    fn sid(target: Target<'_, ()>) -> Result<Pid> {
        id_of(target.pid, libc::getsid, |s| s.sid)
    }

    fn sigmasks(target: Target<'_, ()>) -> Result<SignalMasks> {
        let pid = target.pid;
        match oneshot::cached(pid, || read_kinfo(pid), |k| Ok(k.sigmasks)) {
            Some(result) => result,
            None => read_kinfo(pid).map(|k| k.sigmasks),
        }
    }

    fn get_rlimit(target: Target<'_, ()>, resource: Resource) -> Result<RLimit> {
        let pid = target.pid;
        decode::resource_number(resource).ok_or_else(Error::invalid_resource)?;
        let pick = |all: &Vec<(Resource, RLimit)>| {
            all.iter()
                .find(|(r, _)| *r == resource)
                .map(|(_, l)| *l)
                .ok_or_else(Error::invalid_resource)
        };
        match oneshot::cached(pid, || read_rlimits(pid), pick) {
            Some(result) => result,
            None => pick(&read_rlimits(pid)?),
        }
    }
}
