//! The Linux system calls: reading `/proc/<pid>/status`, `prlimit(2)`, `getpgid(2)`,
//! `getsid(2)`, and pinning a process by its `/proc/<pid>` directory.

use std::cell::Cell;
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use psx_core::{oneshot, Attr, Backend, Error, Pid, RLimit, Resource, Result, SignalMasks, Target};

use crate::decode::{self, DecodeError, Status};

/// The Linux backend.
#[derive(Debug)]
pub enum Linux {}

/// A process pinned by an open `/proc/<pid>` directory (`O_PATH`).
///
/// The directory belongs to the process, not to the number: once the process is
/// reaped, every lookup under it fails with `ESRCH`, even if the pid now names a new
/// process. Reads through it cannot reach the newcomer.
#[derive(Debug)]
pub struct ProcDir(OwnedFd);

impl ProcDir {
    /// Whether the process is still there (a zombie is).
    fn is_alive(&self) -> bool {
        // SAFETY: the fd is open for our lifetime and the path is a NUL-terminated literal.
        unsafe { libc::faccessat(self.0.as_raw_fd(), c".".as_ptr(), libc::F_OK, 0) == 0 }
    }
}

thread_local! {
    static STATUS_READS: Cell<u64> = const { Cell::new(0) };
}

/// How many times this thread has read a `/proc/<pid>/status` file through psx: a
/// diagnostic that lets tests prove a oneshot reads once.
pub fn status_reads() -> u64 {
    STATUS_READS.get()
}

/// What one status read holds; 8 KiB covers any status but one with thousands of groups
/// (1.4 KiB is typical), which moves to the heap.
const STACK_BUF: usize = 8192;

/// `/proc/<pid>/<name>` as a NUL-terminated path in `buf`, without allocating.
///
/// Written by hand: `write!` through `core::fmt` cost ~60 ns a call, a tenth of psx's
/// own time on a single-attribute read.
fn proc_path<'a>(buf: &'a mut [u8; 48], pid: Pid, name: &str) -> &'a CStr {
    // A u32 has at most 10 digits; written backwards from the end.
    let mut digits = [0u8; 10];
    let mut n = pid.as_raw().unsigned_abs();
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let sign: &[u8] = if pid.as_raw() < 0 { b"-" } else { b"" };
    let slash: &[u8] = if name.is_empty() { b"" } else { b"/" };
    let parts: [&[u8]; 5] = [
        b"/proc/",
        sign,
        digits.get(start..).unwrap_or_default(),
        slash,
        name.as_bytes(),
    ];
    // 6 + 11 + 1 + name (at most "status") fits in 48 bytes with the NUL after it; a
    // longer name would be cut, never overflow. `buf` starts all NUL.
    buf.fill(0);
    let room = buf.len() - 1;
    for (slot, &byte) in buf
        .get_mut(..room)
        .unwrap_or_default()
        .iter_mut()
        .zip(parts.iter().flat_map(|p| p.iter()))
    {
        *slot = byte;
    }
    CStr::from_bytes_until_nul(&buf[..]).unwrap_or_default()
}

/// Opens a file of the process's `/proc` directory, read-only.
fn open_proc_file(target: Target<'_, ProcDir>, name: &CStr) -> Result<OwnedFd> {
    let pid = target.pid;
    let fd = match target.pin {
        // SAFETY: the dir fd is open for the call; `name` is NUL-terminated.
        Some(dir) => unsafe {
            libc::openat(
                dir.0.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        },
        None => {
            let mut buf = [0u8; 48];
            let path = proc_path(&mut buf, pid, name.to_str().unwrap_or_default());
            // SAFETY: `path` is NUL-terminated and lives across the call.
            unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) }
        }
    };
    if fd < 0 {
        return Err(open_error(pid, io::Error::last_os_error()));
    }
    // SAFETY: `fd` was just opened by us and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ENOENT` under /proc means no such process, unless /proc itself is missing.
fn open_error(pid: Pid, err: io::Error) -> Error {
    if err.raw_os_error() == Some(libc::ENOENT) {
        // SAFETY: a NUL-terminated literal path.
        let procfs_mounted = unsafe { libc::access(c"/proc/self".as_ptr(), libc::F_OK) } == 0;
        if !procfs_mounted {
            return Error::Os {
                pid,
                source: io::Error::new(io::ErrorKind::NotFound, "procfs is not mounted at /proc"),
            };
        }
        return Error::NoSuchProcess { pid };
    }
    Error::from_io(pid, err)
}

/// Reads all of `fd` into `buf`; returns the length, or `None` if `buf` filled up.
fn read_into(fd: RawFd, pid: Pid, buf: &mut [u8]) -> Result<Option<usize>> {
    let mut len = 0;
    while len < buf.len() {
        // SAFETY: the range `buf[len..]` is valid for writes of its length.
        let n = unsafe { libc::read(fd, buf[len..].as_mut_ptr().cast(), buf.len() - len) };
        match n {
            0 => return Ok(Some(len)),
            n if n > 0 => len += n as usize,
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(Error::from_io(pid, err));
                }
            }
        }
    }
    Ok(None)
}

/// Reads the process's status file once and hands its bytes to `decode`.
fn with_status<R>(target: Target<'_, ProcDir>, decode: impl FnOnce(&[u8]) -> R) -> Result<R> {
    let pid = target.pid;
    let fd = open_proc_file(target, c"status")?;
    STATUS_READS.set(STATUS_READS.get() + 1);
    let mut stack = [0u8; STACK_BUF];
    let len = match read_into(fd.as_raw_fd(), pid, &mut stack)? {
        Some(len) => len,
        None => {
            // Thousands of groups: finish on the heap.
            let mut heap = stack.to_vec();
            loop {
                let start = heap.len();
                heap.resize(start * 2, 0);
                if let Some(len) = read_into(fd.as_raw_fd(), pid, &mut heap[start..])? {
                    heap.truncate(start + len);
                    return finish(pid, &heap, decode);
                }
            }
        }
    };
    finish(pid, &stack[..len], decode)
}

fn finish<R>(pid: Pid, bytes: &[u8], decode: impl FnOnce(&[u8]) -> R) -> Result<R> {
    // The process went away between open and read.
    if bytes.is_empty() {
        return Err(Error::NoSuchProcess { pid });
    }
    Ok(decode(bytes))
}

fn decode_error(pid: Pid, err: DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
}

/// Serves `pick` from the oneshot's parsed status if one is active, else decodes only
/// what `uncached` needs from a fresh read.
fn from_status<R>(
    target: Target<'_, ProcDir>,
    pick: impl FnOnce(&Status) -> Result<R>,
    uncached: impl FnOnce(&[u8]) -> Result<R>,
) -> Result<R> {
    let pid = target.pid;
    let filled = Cell::new(false);
    let fill = || {
        filled.set(true);
        with_status(target, decode::status)?.map_err(|e| decode_error(pid, e))
    };
    match oneshot::cached(pid, fill, pick) {
        // The oneshot is keyed by pid: what it holds may have been read by bare pid, or
        // through another handle, after this handle's process was reaped and its pid
        // reused. Serve it through a handle only while the pinned process is still there.
        Some(result) if !filled.get() => {
            still_pinned(target)?;
            result
        }
        Some(result) => result,
        None => with_status(target, uncached)?,
    }
}

/// Why a status has no `Umask:` line: the kernel predates it (4.7), or the process has
/// given up its `fs_struct`, which happens in `do_exit` a moment before it turns zombie.
fn umask_or_why(pid: Pid, umask: Option<u32>, zombie: bool) -> Result<u32> {
    match umask {
        Some(mask) => Ok(mask),
        None if zombie || kernel_has_umask_line() => Err(Error::Zombie { pid }),
        None => Err(Error::Unsupported {
            what: "umask (needs Linux 4.7 or later)",
        }),
    }
}

/// Whether this kernel (4.7 or later) writes `Umask:` in every living process's status.
fn kernel_has_umask_line() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        // SAFETY: all-zero is a valid utsname for uname to fill.
        let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
        // SAFETY: `uts` is a valid out pointer.
        if unsafe { libc::uname(&mut uts) } != 0 {
            return true;
        }
        // SAFETY: uname NUL-terminates `release`.
        let release = unsafe { CStr::from_ptr(uts.release.as_ptr()) }.to_bytes();
        decode::kernel_at_least(release, 4, 7)
    })
}

/// After a call by pid through a handle: the call reached the pinned process only if
/// that process is still there now (a pid is not reused until its process is reaped).
fn still_pinned(target: Target<'_, ProcDir>) -> Result<()> {
    match target.pin {
        Some(dir) if !dir.is_alive() => Err(Error::NoSuchProcess { pid: target.pid }),
        _ => Ok(()),
    }
}

fn errno_result(pid: Pid, ret: libc::c_int) -> Result<libc::c_int> {
    if ret < 0 {
        Err(Error::last_os_error(pid))
    } else {
        Ok(ret)
    }
}

fn to_rlimit64(limit: RLimit) -> libc::rlimit64 {
    libc::rlimit64 {
        rlim_cur: limit.soft.to_raw(libc::RLIM64_INFINITY),
        rlim_max: limit.hard.to_raw(libc::RLIM64_INFINITY),
    }
}

fn from_rlimit64(raw: libc::rlimit64) -> RLimit {
    RLimit::from_raw(raw.rlim_cur, raw.rlim_max, libc::RLIM64_INFINITY)
}

/// `prlimit(2)`: sets `new` if given, returns the limits from before.
fn prlimit(target: Target<'_, ProcDir>, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
    let pid = target.pid;
    let number = Linux::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let new = new.map(to_rlimit64);
    let new_ptr = new
        .as_ref()
        .map_or(std::ptr::null(), |n| n as *const libc::rlimit64);
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `new_ptr` is null or points at a live rlimit64; `old` is writable. The
    // resource number comes from libc's constants, so the cast is lossless.
    let ret = unsafe { libc::prlimit64(pid.as_raw(), number as _, new_ptr, &mut old) };
    errno_result(pid, ret)?;
    still_pinned(target)?;
    Ok(from_rlimit64(old))
}

impl Backend for Linux {
    type Pin = ProcDir;

    fn available(_: Attr) -> bool {
        true
    }

    fn can_set_rlimit() -> bool {
        true
    }

    fn resource_number(resource: Resource) -> Option<i32> {
        let number = match resource {
            Resource::Cpu => libc::RLIMIT_CPU,
            Resource::Fsize => libc::RLIMIT_FSIZE,
            Resource::Data => libc::RLIMIT_DATA,
            Resource::Stack => libc::RLIMIT_STACK,
            Resource::Core => libc::RLIMIT_CORE,
            Resource::Rss => libc::RLIMIT_RSS,
            Resource::Nproc => libc::RLIMIT_NPROC,
            Resource::Nofile => libc::RLIMIT_NOFILE,
            Resource::Memlock => libc::RLIMIT_MEMLOCK,
            Resource::As => libc::RLIMIT_AS,
            Resource::Locks => libc::RLIMIT_LOCKS,
            Resource::Sigpending => libc::RLIMIT_SIGPENDING,
            Resource::Msgqueue => libc::RLIMIT_MSGQUEUE,
            Resource::Nice => libc::RLIMIT_NICE,
            Resource::Rtprio => libc::RLIMIT_RTPRIO,
            Resource::Rttime => libc::RLIMIT_RTTIME,
            _ => return None,
        };
        // glibc types these as u32, musl as i32; all are below 16.
        Some(number as i32)
    }

    fn pin(pid: Pid) -> Result<ProcDir> {
        let mut buf = [0u8; 48];
        let path = proc_path(&mut buf, pid, "");
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: `path` is NUL-terminated and lives across the call.
        let fd = unsafe { libc::open(path.as_ptr(), flags) };
        if fd < 0 {
            return Err(open_error(pid, io::Error::last_os_error()));
        }
        // SAFETY: `fd` was just opened by us and is owned by nobody else.
        Ok(ProcDir(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    fn is_running(target: Target<'_, ProcDir>) -> Result<bool> {
        match target.pin {
            Some(dir) => Ok(dir.is_alive()),
            // SAFETY: signal 0 only checks that the pid exists.
            None => Ok(unsafe { libc::kill(target.pid.as_raw(), 0) } == 0
                || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)),
        }
    }

    fn umask(target: Target<'_, ProcDir>) -> Result<u32> {
        let pid = target.pid;
        from_status(
            target,
            |s| umask_or_why(pid, s.umask, s.zombie),
            |bytes| {
                let (umask, zombie) =
                    decode::umask_or_zombie(bytes).map_err(|e| decode_error(pid, e))?;
                umask_or_why(pid, umask, zombie)
            },
        )
    }

    fn groups(target: Target<'_, ProcDir>) -> Result<Vec<u32>> {
        let pid = target.pid;
        from_status(
            target,
            |s| Ok(s.groups.clone()),
            |bytes| decode::groups(bytes).map_err(|e| decode_error(pid, e)),
        )
    }

    fn sigmasks(target: Target<'_, ProcDir>) -> Result<SignalMasks> {
        let pid = target.pid;
        from_status(
            target,
            |s| Ok(s.sigmasks),
            |bytes| decode::sigmasks(bytes).map_err(|e| decode_error(pid, e)),
        )
    }

    fn get_rlimit(target: Target<'_, ProcDir>, resource: Resource) -> Result<RLimit> {
        prlimit(target, resource, None)
    }

    fn set_rlimit(target: Target<'_, ProcDir>, resource: Resource, new: RLimit) -> Result<RLimit> {
        // Refuse before touching a pid that may already name another process.
        still_pinned(target)?;
        prlimit(target, resource, Some(new))
    }

    fn pgid(target: Target<'_, ProcDir>) -> Result<Pid> {
        // SAFETY: getpgid has no memory arguments.
        let pgid = errno_result(target.pid, unsafe { libc::getpgid(target.pid.as_raw()) })?;
        still_pinned(target)?;
        Ok(Pid::from(pgid))
    }

    fn sid(target: Target<'_, ProcDir>) -> Result<Pid> {
        // SAFETY: getsid has no memory arguments.
        let sid = errno_result(target.pid, unsafe { libc::getsid(target.pid.as_raw()) })?;
        still_pinned(target)?;
        Ok(Pid::from(sid))
    }
}

// `Limit::to_raw` and `from_raw` rely on this.
const _: () = assert!(libc::RLIM64_INFINITY == u64::MAX);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_paths() {
        let mut buf = [0xffu8; 48];
        let cases: [(i32, &str, &CStr); 6] = [
            (1, "status", c"/proc/1/status"),
            (0, "", c"/proc/0"),
            (4194304, "status", c"/proc/4194304/status"),
            (i32::MAX, "", c"/proc/2147483647"),
            (i32::MIN, "status", c"/proc/-2147483648/status"),
            (-7, "", c"/proc/-7"),
        ];
        for (pid, name, want) in cases {
            assert_eq!(proc_path(&mut buf, Pid::from(pid), name), want);
        }
        // Too long a name is cut, not written past the buffer.
        let long = "x".repeat(100);
        assert_eq!(
            proc_path(&mut buf, Pid::from(1), &long).to_bytes().len(),
            47
        );
    }
}
