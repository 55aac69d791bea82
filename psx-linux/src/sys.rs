//! The Linux system calls: reading `/proc/<pid>/status`, `prlimit(2)`, `getpgid(2)`,
//! `getsid(2)`, and pinning a process by its `/proc/<pid>` directory.

use std::cell::Cell;
use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use psx_core::{
    oneshot, oneshot::Wanted, scan_threaded, Attr, AttrRead, Backend, Error, NprocShare, OpenFiles,
    Pid, ProcInfo, RLimit, Resource, Result, SignalMasks, Target, ValidRLimit,
};

use crate::decode::{self, DecodeError, Field, Status, Verdict};

/// The Linux backend: the [`Backend`] methods, called with a [`Target`] (see the
/// crate's docs for using it without the facade).
///
/// A target carries the pid its pin was made for, never another: its fields are private,
/// so a child's pin cannot be relabelled as pid 1.
///
/// ```compile_fail,E0451
/// use psx_core::{Pid, Pinned, Target};
/// use psx_linux::Linux;
///
/// let mut child = std::process::Command::new("sleep").arg("10").spawn().unwrap();
/// let pinned = Pinned::new::<Linux>(child.id()).unwrap();
/// let forged = Target { pid: Pid::from(1), pin: Some(pinned.pin()) };
/// ```
///
/// Limits are set only from a checked pair: a bare [`RLimit`] is not accepted.
///
/// ```compile_fail,E0308
/// use psx_core::{Backend, Limit, RLimit, Resource, Target};
/// use psx_linux::Linux;
///
/// let me = Target::new(std::process::id()).unwrap();
/// let pair = RLimit::new(Limit::Value(2), Limit::Value(1));
/// Linux::set_rlimit(me, Resource::Core, pair).unwrap();
/// ```
#[derive(Debug)]
pub enum Linux {}

/// What a [`Process`](https://docs.rs/psx-process/latest/psx/struct.Process.html) holds on
/// Linux to know its process: an open `/proc/<pid>` directory, or, where `/proc` cannot
/// show the process, a pidfd.
///
/// Both belong to the process, not to the number: once the process is reaped, the
/// directory fails every lookup and the pidfd reports `ESRCH`, even if the pid now names
/// a new process.
#[derive(Debug)]
pub struct ProcPin(PinKind);

#[derive(Debug)]
enum PinKind {
    /// `/proc/<pid>` opened `O_PATH`: files are read through it with `openat`, so a
    /// read can only reach this process.
    Dir {
        fd: OwnedFd,
        /// Opened as `/proc/self`: the caller itself, whatever number `/proc` gives it.
        is_self: bool,
    },
    /// A pidfd (`pidfd_open(2)`, Linux 5.3+), for a process `/proc` hides (`hidepid=`),
    /// or when `/proc` is missing or belongs to another pid namespace. Calls by pid
    /// are believed only if the pidfd still says the process lives afterwards.
    PidFd(OwnedFd),
}

impl ProcPin {
    /// Whether the process is still there (a zombie is).
    fn is_alive(&self) -> bool {
        match &self.0 {
            // Walking `.` asks `proc_pid_permission` (fs/proc/base.c) for search rights
            // on the directory, and it answers `-ESRCH` when `get_proc_task` finds no
            // task, before any other check. Every other failure (`EPERM`/`ENOENT` from
            // `hidepid=`, `EACCES` from a security module) comes after the task was
            // found: the process lives.
            PinKind::Dir { fd, .. } => {
                // SAFETY: the fd is open for our lifetime; the path is a NUL-terminated literal.
                let ret = unsafe { libc::faccessat(fd.as_raw_fd(), c".".as_ptr(), libc::F_OK, 0) };
                ret == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
            }
            // Signal 0 through the pidfd (kernel/signal.c `pidfd_send_signal`): ESRCH
            // once the process is reaped; success or EPERM while it (or its zombie) is
            // there.
            PinKind::PidFd(fd) => {
                // SAFETY: the fd is open for our lifetime; signal 0 sends nothing, and a
                // null siginfo is allowed.
                let ret = unsafe {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        fd.as_raw_fd(),
                        0,
                        std::ptr::null::<libc::siginfo_t>(),
                        0,
                    )
                };
                ret == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
            }
        }
    }
}

thread_local! {
    static STATUS_READS: Cell<u64> = const { Cell::new(0) };
    static FD_LISTINGS: Cell<u64> = const { Cell::new(0) };
}

/// How many times this thread has read a `/proc/<pid>/status` file through psx: a
/// diagnostic that lets tests prove a oneshot reads once.
pub fn status_reads() -> u64 {
    STATUS_READS.get()
}

/// How many times this thread has listed a `/proc/<pid>/fd` directory through psx: a
/// diagnostic that lets tests prove an empty table known by its size is not listed.
pub fn fd_listings() -> u64 {
    FD_LISTINGS.get()
}

/// What one status read holds; 8 KiB covers any status but one with thousands of groups
/// (1.4 KiB is typical), which moves to the heap.
const STACK_BUF: usize = 8192;

/// `/proc/<dir>/<name>` (or `/proc/<dir>` for an empty name) as a NUL-terminated path
/// in `buf`, without allocating.
///
/// Written by hand: `write!` through `core::fmt` cost ~60 ns a call, a tenth of psx's
/// own time on a single-attribute read.
fn proc_path<'a>(buf: &'a mut [u8; 48], dir: &[u8], name: &[u8]) -> &'a CStr {
    let slash: &[u8] = if name.is_empty() { b"" } else { b"/" };
    // "/proc/" + 10 digits + "/task/<10 digits>/status" fits in 48 bytes with the NUL
    // after it; a longer path would be cut, never overflow.
    let mut len = 0;
    for part in [&b"/proc/"[..], dir, slash, name] {
        let take = part.len().min(buf.len() - 1 - len);
        buf[len..len + take].copy_from_slice(&part[..take]);
        len += take;
    }
    buf[len] = 0;
    CStr::from_bytes_until_nul(&buf[..=len]).unwrap_or_default()
}

/// The decimal digits of a valid (positive) pid, written into `digits`.
fn decimal(digits: &mut [u8; 10], pid: Pid) -> &[u8] {
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
    digits.get(start..).unwrap_or_default()
}

/// Where a process's `/proc` files are reached from.
enum ProcBase<'a> {
    /// A handle's pinned directory.
    Pinned {
        pin: &'a ProcPin,
        dir: &'a OwnedFd,
        is_self: bool,
    },
    /// `/proc/self`: the caller.
    Current,
    /// `/proc/<pid>`, by number.
    Number(Pid),
}

impl<'a> ProcBase<'a> {
    /// The way to `target`'s files. By number only if `/proc` numbers processes as the
    /// caller does: a `/proc` mounted for another pid namespace names other processes.
    fn of(target: Target<'a, ProcPin>) -> Result<Self> {
        if let Some(pinned) = target.pin().and_then(ProcBase::through) {
            return Ok(pinned);
        }
        Ok(if target.pin().is_none() && target.pid() == own_pid() {
            ProcBase::Current
        } else {
            // A pidfd pin reads by number; `read_status` checks the pin afterwards.
            procfs_matches_namespace(target.pid())?;
            ProcBase::Number(target.pid())
        })
    }

    /// The pinned directory, for a pin that is one.
    fn through(pin: &'a ProcPin) -> Option<Self> {
        match pin {
            ProcPin(PinKind::Dir { fd, is_self }) => Some(ProcBase::Pinned {
                pin,
                dir: fd,
                is_self: *is_self,
            }),
            ProcPin(PinKind::PidFd(_)) => None,
        }
    }

    /// The number the status's `Tgid:` must show, `None` where `/proc` numbers the
    /// process its own way (`/proc/self`, or a pin made through it).
    fn expected_tgid(&self, pid: Pid) -> Option<u32> {
        match self {
            ProcBase::Pinned { is_self: true, .. } | ProcBase::Current => None,
            ProcBase::Pinned { .. } | ProcBase::Number(_) => u32::try_from(pid.as_raw()).ok(),
        }
    }

    /// Calls `call` with a directory fd (`AT_FDCWD` unless pinned) and the path of
    /// `name` (relative to the process's directory) from it, built on the stack.
    #[inline(always)]
    fn at<R>(&self, name: &CStr, call: impl FnOnce(RawFd, &CStr) -> R) -> R {
        match self {
            ProcBase::Pinned { dir, .. } => call(dir.as_raw_fd(), name),
            ProcBase::Current => {
                let mut buf = [0u8; 48];
                call(
                    libc::AT_FDCWD,
                    proc_path(&mut buf, b"self", name.to_bytes()),
                )
            }
            ProcBase::Number(pid) => {
                let mut digits = [0u8; 10];
                let mut buf = [0u8; 48];
                let path = proc_path(&mut buf, decimal(&mut digits, *pid), name.to_bytes());
                call(libc::AT_FDCWD, path)
            }
        }
    }

    /// Opens `name` (a path relative to the process's directory), read-only. Inlined
    /// (see [`read_into_uninit`]); what is rare is out of line.
    #[inline(always)]
    fn open(&self, pid: Pid, name: &CStr, flags: libc::c_int) -> Result<OwnedFd> {
        let flags = flags | libc::O_RDONLY | libc::O_CLOEXEC;
        let fd = self.at(name, |dir, path| {
            // SAFETY: `dir` is open (or AT_FDCWD) for the call; `path` is NUL-terminated.
            let fd = unsafe { libc::openat(dir, path.as_ptr(), flags) };
            match self {
                ProcBase::Number(pid) if fd < 0 => reopen_if_in_use(*pid, path, flags),
                _ => fd,
            }
        });
        if fd < 0 {
            return Err(self.open_error(pid, io::Error::last_os_error()));
        }
        // SAFETY: `fd` was just opened by us and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The size `stat` gives `name`, `None` if it fails (the caller then takes the way
    /// that says why).
    #[inline(always)]
    fn size_of(&self, name: &CStr) -> Option<u64> {
        self.at(name, |dir, path| stat_size(dir, path, 0))
    }

    /// What a failed open under the process's directory means.
    fn open_error(&self, pid: Pid, err: io::Error) -> Error {
        match self {
            // A dead pin fails every lookup; a live one only because we may not look.
            ProcBase::Pinned { pin, .. } if !pin.is_alive() => Error::NoSuchProcess { pid },
            // ENOENT: the directory hides the entry (`hidepid=`), no refusal of its own;
            // EPERM, EACCES (kept as the source) and the rest map as usual.
            ProcBase::Pinned { .. } => match err.raw_os_error() {
                Some(libc::ENOENT) => Error::access_denied(pid),
                _ => Error::from_io(pid, err),
            },
            // We exist: a missing `/proc/self` means a missing procfs.
            ProcBase::Current if err.raw_os_error() == Some(libc::ENOENT) && !proc_is_procfs() => {
                Error::os(pid, io::Error::new(io::ErrorKind::NotFound, NO_PROCFS))
            }
            ProcBase::Current => Error::from_io(pid, err),
            ProcBase::Number(_) => missing_entry_error(pid, err),
        }
    }
}

/// After an open of `path` under `/proc/<pid>` failed: if it said ENOENT but the number
/// is in use after all (`kill(pid, 0)`), either `/proc` hides its process or the
/// process was reaped and the number reused between the two calls, and a second open
/// tells them apart (reading the newcomer, which is what a bare pid names now). The fd,
/// or -1 with errno saying why (ESRCH from the probe for a number in use by nobody).
#[cold]
fn reopen_if_in_use(pid: Pid, path: &CStr, flags: libc::c_int) -> libc::c_int {
    let missing = io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT);
    if missing && matches!(probe(pid), Probe::Exists) {
        // SAFETY: `path` is NUL-terminated and lives across the call.
        unsafe { libc::open(path.as_ptr(), flags) }
    } else {
        -1
    }
}

const NO_PROCFS: &str = "procfs is not mounted at /proc";

/// Whether `/proc` is a procfs at all.
fn proc_is_procfs() -> bool {
    // SAFETY: all-zero is a valid statfs for the kernel to fill.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated literal path and a writable out pointer.
    let ret = unsafe { libc::statfs(c"/proc".as_ptr(), &mut fs) };
    ret == 0 && fs.f_type == libc::PROC_SUPER_MAGIC
}

/// `ENOENT` for `/proc/<pid>` means no such process, unless `/proc` is not mounted or
/// hides the process (`hidepid=2`, or `hidepid=1` and a process we may not trace):
/// `kill(pid, 0)` answers for the number itself.
fn missing_entry_error(pid: Pid, err: io::Error) -> Error {
    if err.raw_os_error() != Some(libc::ENOENT) {
        return Error::from_io(pid, err);
    }
    if let Err(e) = procfs_matches_namespace(pid) {
        return e;
    }
    match probe(pid) {
        Probe::Gone => Error::NoSuchProcess { pid },
        Probe::Exists => Error::access_denied(pid),
    }
}

enum Probe {
    Gone,
    Exists,
}

/// `kill(pid, 0)`: `ESRCH` is gone; success or `EPERM` means the pid is in use.
fn probe(pid: Pid) -> Probe {
    // SAFETY: signal 0 sends nothing; it only checks the pid.
    let ret = unsafe { libc::kill(pid.as_raw(), 0) };
    if ret == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) {
        Probe::Exists
    } else {
        Probe::Gone
    }
}

/// Whether `/proc` numbers processes as this process's pid namespace does: `/proc/self`
/// must be a link to our own pid. A `/proc` mounted for another namespace (after
/// `unshare -p` without a new mount) names other processes than `getpid()`,
/// `prlimit(2)` and `kill(2)` do, and psx refuses to read it by number.
///
/// Checked once per process: the pid namespace of a process never changes, and only a
/// remount of `/proc` could change the answer.
fn procfs_matches_namespace(pid: Pid) -> Result<()> {
    static VERDICT: OnceLock<std::result::Result<(), &'static str>> = OnceLock::new();
    let verdict = VERDICT.get_or_init(|| {
        let mut buf = [0u8; 16];
        // SAFETY: the path is a NUL-terminated literal; `buf` is writable for its length.
        let n = unsafe { libc::readlink(c"/proc/self".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        let Ok(n) = usize::try_from(n) else {
            return if proc_is_procfs() {
                Err("/proc has no entry for psx itself: it is mounted for another pid namespace")
            } else {
                Err(NO_PROCFS)
            };
        };
        let mut digits = [0u8; 10];
        if buf.get(..n) == Some(decimal(&mut digits, Pid::current())) {
            Ok(())
        } else {
            Err("/proc is mounted for another pid namespace than psx's (mount a procfs for this namespace)")
        }
    });
    verdict.map_err(|why| Error::os(pid, io::Error::other(why)))
}
/// Reads all of `fd` into `buf`; returns the length, or `None` if `buf` filled up.
fn read_into(fd: RawFd, pid: Pid, buf: &mut [u8]) -> Result<Option<usize>> {
    // SAFETY: `u8` and `MaybeUninit<u8>` have one layout, and only bytes are written.
    let uninit = unsafe { &mut *(std::ptr::from_mut(buf) as *mut [MaybeUninit<u8>]) };
    read_into_uninit(fd, pid, uninit)
}

/// [`read_into`] into memory not yet initialised: the stack buffer of a status read is
/// 8 KiB, and zeroing it cost more than decoding the status.
///
/// The files read this way (`status`, `stat`) are single-record seq files
/// (`single_open`): `seq_read_iter` (fs/seq_file.c) renders the whole text on the first
/// read and copies what fits, so a read that returns less than asked, ending a line,
/// has reached the end. The read that would return 0 is not made: a system call less
/// per file.
///
/// Inlined, as are the other wrappers a scan calls system calls through: the kernel
/// refills the return-stack buffer on its way out (the RSB-filling mitigation), so every
/// `ret` after a system call into a frame made before it is mispredicted; one layer
/// fewer per call is about 15 ns, on some 25 calls per process.
#[inline(always)]
fn read_into_uninit(fd: RawFd, pid: Pid, buf: &mut [MaybeUninit<u8>]) -> Result<Option<usize>> {
    let mut len = 0;
    while len < buf.len() {
        let asked = buf.len() - len;
        // SAFETY: the range `buf[len..]` is valid for writes of its length.
        let n = unsafe { libc::read(fd, buf[len..].as_mut_ptr().cast(), asked) };
        match n {
            0 => return Ok(Some(len)),
            n if n > 0 => {
                len += n as usize;
                // SAFETY: the read initialised `buf[..len]`, and `len` is at least 1.
                let last = unsafe { buf[len - 1].assume_init() };
                if (n as usize) < asked && last == b'\n' {
                    return Ok(Some(len));
                }
            }
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

/// Reads one status file (`status`, or a thread's `task/<tid>/status`) and decodes the
/// identity and `field` from it.
#[inline(always)]
fn read_status_file(base: &ProcBase<'_>, pid: Pid, name: &CStr, field: Field) -> Result<Status> {
    let fd = base.open(pid, name, 0)?;
    STATUS_READS.set(STATUS_READS.get() + 1);
    let mut stack = [MaybeUninit::<u8>::uninit(); STACK_BUF];
    let filled = read_into_uninit(fd.as_raw_fd(), pid, &mut stack)?;
    // SAFETY: the read initialised the first `len` bytes (all of them when it filled up).
    let read = |len: usize| unsafe { std::slice::from_raw_parts(stack.as_ptr().cast::<u8>(), len) };
    let len = match filled {
        Some(len) => len,
        None => {
            // Thousands of groups: finish on the heap.
            let mut heap = read(STACK_BUF).to_vec();
            loop {
                let start = heap.len();
                heap.resize(start * 2, 0);
                if let Some(len) = read_into(fd.as_raw_fd(), pid, &mut heap[start..])? {
                    heap.truncate(start + len);
                    return decoded(pid, &heap, field);
                }
            }
        }
    };
    decoded(pid, read(len), field)
}

fn decoded(pid: Pid, bytes: &[u8], field: Field) -> Result<Status> {
    // The process went away between open and read.
    if bytes.is_empty() {
        return Err(Error::NoSuchProcess { pid });
    }
    Ok(decode::status_for(bytes, field))
}

/// Reads the process's status and checks that it is the process's own: not a thread's
/// (`/proc/<tid>` answers for every thread), not one reaped while the kernel wrote it.
/// A process whose main thread has exited is read through one of its live threads.
#[inline(always)]
fn read_status(target: Target<'_, ProcPin>, field: Field) -> Result<Status> {
    let pid = target.pid();
    let base = ProcBase::of(target)?;
    let status = read_status_file(&base, pid, c"status", field)
        .and_then(|status| own_status(&base, pid, status, field));
    // Read by number for a pidfd pin (the process's status, and a live thread's where
    // its main thread has exited): believed only if the pinned process outlived both.
    // (Through the pinned directory the reads cannot reach another process.)
    if matches!(base, ProcBase::Number(_)) {
        still_pinned(target)?;
    }
    status
}

/// `status`, read from `base`, if it is the process's own (see [`read_status`]).
fn own_status(base: &ProcBase<'_>, pid: Pid, status: Status, field: Field) -> Result<Status> {
    match status.identity.verdict(base.expected_tgid(pid)) {
        Verdict::Process => Ok(status),
        Verdict::Thread { .. } | Verdict::Reaped => Err(Error::NoSuchProcess { pid }),
        Verdict::LeaderExited => Ok(live_thread_status(base, pid, field).unwrap_or(status)),
    }
}

/// The status of a live thread of `pid`, whose main thread has exited: its umask, groups
/// and process-wide masks are the process's (pending and blocked are that thread's).
fn live_thread_status(base: &ProcBase<'_>, pid: Pid, field: Field) -> Option<Status> {
    let task = base.open(pid, c"task", libc::O_DIRECTORY).ok()?;
    let raw = task.into_raw_fd();
    // SAFETY: `raw` is an open directory fd; on success the stream owns it.
    let stream = unsafe { libc::fdopendir(raw) };
    if stream.is_null() {
        // SAFETY: fdopendir failed, so `raw` is still ours to close.
        drop(unsafe { OwnedFd::from_raw_fd(raw) });
        return None;
    }
    let mut tids = Vec::new();
    loop {
        // SAFETY: `stream` is a live directory stream.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid entry whose name is NUL-terminated.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        if let Some(tid) = name.to_str().ok().and_then(|n| n.parse::<i32>().ok()) {
            tids.push(tid);
        }
    }
    // SAFETY: `stream` is live and closed once, here.
    unsafe { libc::closedir(stream) };
    tids.into_iter()
        .filter(|&tid| tid != pid.as_raw())
        .find_map(|tid| {
            let mut digits = [0u8; 10];
            let tid = decimal(&mut digits, Pid::from(tid));
            let mut path = [0u8; 48];
            let mut len = 0;
            for (slot, &byte) in path.iter_mut().zip(
                [&b"task/"[..], tid, b"/status"]
                    .iter()
                    .flat_map(|p| p.iter()),
            ) {
                *slot = byte;
                len += 1;
            }
            let name = CStr::from_bytes_until_nul(path.get(..=len)?).ok()?;
            let status = read_status_file(base, pid, name, field).ok()?;
            (!status.identity.zombie).then_some(status)
        })
}

fn decode_error(pid: Pid, err: DecodeError) -> Error {
    Error::os(pid, io::Error::new(io::ErrorKind::InvalidData, err))
}

/// Serves `pick` from the oneshot's status if one is active, else `take`s the answer
/// from a fresh read that decodes only `field` (no copy of a group list).
fn from_status<R>(
    target: Target<'_, ProcPin>,
    field: Field,
    pick: impl Fn(&Status) -> Result<R>,
    take: impl FnOnce(Status) -> Result<R>,
) -> Result<R> {
    let fill = || {
        // Told what the oneshot will be asked for (`info`, a scan), decode only that.
        let fields = oneshot::wanted(target.pid()).map_or(Field::All, Field::Attrs);
        read_status(target, fields)
    };
    let served = |s: &Status| Ok(s.covers(field).then(|| pick(s)));
    match cached_for(target, fill, served) {
        Some(Ok(Some(result))) => result,
        Some(Err(e)) => Err(e),
        // A oneshot whose read skipped this field: read everything once more, for the
        // rest of the oneshot.
        Some(Ok(None)) => {
            let status = read_status(target, Field::Every)?;
            let result = pick(&status);
            oneshot::seed(target.pid(), status);
            result
        }
        // No oneshot: a read of the field alone.
        None => take(read_status(target, field)?),
    }
}

/// [`oneshot::cached`] for `target`: the oneshot is keyed by pid, so what it holds may
/// have been read by bare pid, or through another handle, after this handle's process
/// was reaped and its pid reused. A kept value is served through a handle only while
/// the pinned process is still there (a fresh read checks the pin itself).
fn cached_for<T: std::any::Any, R>(
    target: Target<'_, ProcPin>,
    fill: impl FnOnce() -> Result<T>,
    pick: impl FnOnce(&T) -> Result<R>,
) -> Option<Result<R>> {
    let filled = Cell::new(false);
    let fill = || {
        filled.set(true);
        fill()
    };
    let result = oneshot::cached(target.pid(), fill, pick)?;
    if !filled.get() {
        if let Err(e) = still_pinned(target) {
            return Some(Err(e));
        }
    }
    Some(result)
}

/// Why a status has no `Umask:` line: the kernel predates it (4.7), or the process has
/// given up its `fs_struct`, which happens in `do_exit` a moment before it turns zombie.
fn umask_of(pid: Pid, status: &Status) -> Result<u32> {
    match status.umask.clone().map_err(|e| decode_error(pid, e))? {
        Some(mask) => Ok(mask),
        None if status.identity.zombie || kernel_has_umask_line() => Err(Error::Zombie { pid }),
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
fn still_pinned(target: Target<'_, ProcPin>) -> Result<()> {
    match target.pin() {
        Some(pin) if !pin.is_alive() => Err(Error::NoSuchProcess { pid: target.pid() }),
        _ => Ok(()),
    }
}

/// Refuses a thread id, which `prlimit`, `getpgid` and `getsid` would take as its
/// process. Nothing to check for a handle (its pin was checked when made) or for the
/// caller itself.
fn refuse_thread_id(target: Target<'_, ProcPin>) -> Result<()> {
    let pid = target.pid();
    if target.pin().is_some() || pid == own_pid() {
        return Ok(());
    }
    // A status the oneshot holds was checked when read (its Tgid is the pid).
    if oneshot::peek(pid, |_: &Status| ()).is_some() {
        return Ok(());
    }
    // Once per oneshot: a scan asks for pgid, sid and every limit of each process.
    match oneshot::cached(
        pid,
        || is_thread_group_leader(pid, || read_status(target, Field::Umask)).map(|()| IsProcess),
        |_| Ok(()),
    ) {
        Some(checked) => checked,
        None => is_thread_group_leader(pid, || read_status(target, Field::Umask)),
    }
}

/// What a oneshot keeps once [`is_thread_group_leader`] has said yes.
struct IsProcess;

/// `Ok` if `pid` is a process (a thread-group leader), `NoSuchProcess` for a thread id
/// or a pid in use by nobody: one `tgkill(pid, pid, 0)`.
///
/// `do_send_specific` (kernel/signal.c) finds the task by `pid` and answers `ESRCH`
/// unless its thread group is `pid`, which a thread id's is not; for a leader, zombie
/// or not, signal 0 only checks permission (`EPERM`, still a process). No `/proc`, no
/// fd, every kernel since 2.6. Where a filter refuses the call, the process's status
/// (`read`) decides.
fn is_thread_group_leader(pid: Pid, read: impl FnOnce() -> Result<Status>) -> Result<()> {
    // SAFETY: tgkill takes three integers; signal 0 sends nothing.
    let ret = unsafe { libc::syscall(libc::SYS_tgkill, pid.as_raw(), pid.as_raw(), 0) };
    if ret == 0 {
        return Ok(());
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::EPERM) => Ok(()),
        Some(libc::ESRCH) => Err(Error::NoSuchProcess { pid }),
        // Filtered by a seccomp policy: the status file's `Tgid:` decides, and a pid it
        // cannot read is given the benefit of the doubt.
        _ => match read() {
            Err(e @ Error::NoSuchProcess { .. }) => Err(e),
            _ => Ok(()),
        },
    }
}

/// This process's pid without a system call each time: cached, and forgotten in a
/// forked child (`pthread_atfork`). A child made without the atfork handlers (a raw
/// `clone`) sees its parent's pid here, a thread-group leader, for which the only
/// consequence is skipping a thread-id check that would pass.
fn own_pid() -> Pid {
    use std::sync::atomic::{AtomicI32, Ordering};
    static OWN: AtomicI32 = AtomicI32::new(0);
    static FORGET_IN_CHILD: std::sync::Once = std::sync::Once::new();
    extern "C" fn forget() {
        OWN.store(0, Ordering::Relaxed);
    }
    FORGET_IN_CHILD.call_once(|| {
        // SAFETY: registers a handler that only stores to an atomic; it cannot fail in
        // a way that matters (without it the cache is merely stale, see above).
        unsafe { libc::pthread_atfork(None, None, Some(forget)) };
    });
    match OWN.load(Ordering::Relaxed) {
        0 => {
            let pid = Pid::current();
            OWN.store(pid.as_raw(), Ordering::Relaxed);
            pid
        }
        raw => Pid::from(raw),
    }
}

/// What `prlimit(2)` said, read as the kernel means it.
///
/// `prlimit64` (kernel/sys.c) first checks the caller may touch the process
/// (`check_prlimit_permission`: the same uids and gids, or CAP_SYS_RESOURCE in the
/// target's user namespace, then security modules), and only then `do_prlimit` refuses a
/// NOFILE hard limit above `fs.nr_open` with the same EPERM, whatever the caller's
/// privilege. So an EPERM for such a limit is the input's fault when a plain read of the
/// limits, which passes the same uid check, is allowed.
fn prlimit_error(pid: Pid, resource: Resource, new: Option<RLimit>, err: io::Error) -> Error {
    if let (Some(libc::EPERM), Resource::Nofile, Some(new)) = (err.raw_os_error(), resource, new) {
        if let Some(nr_open) = nr_open() {
            if new.hard > psx_core::Limit::Value(nr_open) && raw_prlimit(pid, 0, None).is_ok() {
                return Error::InvalidArgument(format!(
                    "the nofile hard limit {} is above fs.nr_open ({nr_open}), the most this kernel allows",
                    new.hard
                ));
            }
        }
    }
    Error::from_io(pid, err)
}

/// `fs.nr_open`, the ceiling of every NOFILE limit.
fn nr_open() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()?
        .trim()
        .parse()
        .ok()
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

/// The bare `prlimit(2)` call.
#[inline(always)]
fn raw_prlimit(pid: Pid, number: i32, new: Option<&libc::rlimit64>) -> io::Result<RLimit> {
    let new_ptr = new.map_or(std::ptr::null(), |n| n as *const libc::rlimit64);
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `new_ptr` is null or points at a live rlimit64; `old` is writable. The
    // resource number comes from libc's constants, so the cast is lossless.
    let ret = unsafe { libc::prlimit64(pid.as_raw(), number as _, new_ptr, &mut old) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(from_rlimit64(old))
    }
}

/// `prlimit(2)`: sets `new` if given, returns the limits from before.
#[inline(always)]
fn prlimit(target: Target<'_, ProcPin>, resource: Resource, new: Option<RLimit>) -> Result<RLimit> {
    // A resource this kernel lacks is refused before any call, whatever the pid.
    Linux::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    refuse_thread_id(target)?;
    prlimit_of_process(target, resource, new)
}

/// [`prlimit`] of a target already known to be a process, not a thread.
#[inline(always)]
fn prlimit_of_process(
    target: Target<'_, ProcPin>,
    resource: Resource,
    new: Option<RLimit>,
) -> Result<RLimit> {
    let pid = target.pid();
    let number = Linux::resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let result = raw_prlimit(pid, number, new.map(to_rlimit64).as_ref());
    // The pin first: if the pinned process is gone, whatever answered was not it.
    still_pinned(target)?;
    result.map_err(|err| prlimit_error(pid, resource, new, err))
}

#[derive(Clone, Copy)]
enum Id {
    Pgid,
    Sid,
}

/// `getpgid(2)` or `getsid(2)`, checked against the pin before its answer is believed;
/// no call when a status read already has it (`NSpgid:`/`NSsid:`, as `from_status`).
#[inline(always)]
fn process_id(target: Target<'_, ProcPin>, which: Id, from_status: Option<u32>) -> Result<Pid> {
    let pid = target.pid();
    // The status's first value is in the namespace of the /proc it came from: only
    // this process's own namespace's /proc is believed for it.
    if let Some(id) = from_status {
        if procfs_matches_namespace(pid).is_ok() {
            // What the oneshot holds may be a newcomer's, read by pid.
            still_pinned(target)?;
            return Ok(Pid::from(id));
        }
    }
    refuse_thread_id(target)?;
    // SAFETY: getpgid and getsid take an integer and touch no memory of ours.
    let ret = unsafe {
        match which {
            Id::Pgid => libc::getpgid(pid.as_raw()),
            Id::Sid => libc::getsid(pid.as_raw()),
        }
    };
    let err = (ret < 0).then(io::Error::last_os_error);
    still_pinned(target)?;
    match err {
        Some(err) => Err(Error::from_io(pid, err)),
        None => Ok(Pid::from(ret)),
    }
}

/// Counts `target`'s open descriptors: the entries of `/proc/<pid>/fd`, read with
/// `getdents64` into a buffer each thread keeps (no allocation per entry), or, where
/// listing them is refused, the count the directory's size gives (see
/// [`count_open_files`]). A zombie has released its table (`exit_files`), so its empty
/// directory is [`Error::Zombie`].
fn open_files(target: Target<'_, ProcPin>) -> Result<OpenFiles> {
    refuse_thread_id(target)?;
    open_files_of_process(target, false, || {
        from_status(
            target,
            Field::Usage,
            |s| Ok(s.identity.zombie),
            |s| Ok(s.identity.zombie),
        )
    })
}

/// [`open_files`] of a target already known to be a process, not a thread; `no_mm`
/// when its status showed no address space (see [`count_open_files`]); an empty table
/// is a zombie's if `is_zombie` says so.
#[inline(always)]
fn open_files_of_process(
    target: Target<'_, ProcPin>,
    no_mm: bool,
    is_zombie: impl FnOnce() -> Result<bool>,
) -> Result<OpenFiles> {
    let pid = target.pid();
    let base = ProcBase::of(target)?;
    let counted = count_open_files(&base, pid, no_mm);
    if matches!(base, ProcBase::Number(_)) {
        still_pinned(target)?;
    }
    let files = match counted {
        // `proc_readfd_common` (fs/proc/fd.c) answers ENOENT once the task is gone:
        // the process exited while its table was listed.
        Err(Error::Os { source, .. }) if source.raw_os_error() == Some(libc::ENOENT) => {
            still_pinned(target)?;
            return Err(match (target.pin(), probe(pid)) {
                (None, Probe::Gone) => Error::NoSuchProcess { pid },
                _ => Error::Zombie { pid },
            });
        }
        counted => counted?,
    };
    if files.count == 0 && is_zombie()? {
        return Err(Error::Zombie { pid });
    }
    Ok(files)
}

/// Whether the size of a `/proc/<pid>/fd` directory is the number of descriptors open
/// in the process (Linux 6.2+: `proc_fd_getattr` in fs/proc/fd.c puts the
/// `bitmap_weight` of the table's `open_fds` there; before, every such directory has
/// size 0). Asked once, of our own directory while it is open: its size must be the
/// number of entries a listing of it finds, which also refuses a `/proc` that is not the
/// kernel's (any directory size there would otherwise pass for a count). Another thread
/// opening or closing a descriptor between the two reads makes them differ, so it is
/// asked up to three times.
fn fd_dir_size_counts() -> bool {
    static COUNTS: OnceLock<bool> = OnceLock::new();
    *COUNTS.get_or_init(|| {
        let Ok(dir) = std::fs::File::open("/proc/self/fd") else {
            return false;
        };
        let dir = OwnedFd::from(dir);
        (0..3).any(|_| {
            let size = stat_size(dir.as_raw_fd(), c"", libc::AT_EMPTY_PATH);
            // SAFETY: the fd is open for the call; rewinding a directory has no other
            // effect.
            let rewound = unsafe { libc::lseek(dir.as_raw_fd(), 0, libc::SEEK_SET) } == 0;
            let listed = count_entries(Pid::current(), &dir).map(|files| files.count);
            rewound && size.is_some_and(|size| size > 0) && listed.ok() == size
        })
    })
}

/// The size `fstatat(dir, path, flags)` gives, `None` if it fails.
#[inline(always)]
fn stat_size(dir: RawFd, path: &CStr, flags: libc::c_int) -> Option<u64> {
    // SAFETY: all-zero is a valid `stat` for the kernel to fill.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `dir` is open (or AT_FDCWD) for the call; `path` is NUL-terminated; `st`
    // is writable.
    let ret = unsafe { libc::fstatat(dir, path.as_ptr(), &mut st, flags) };
    if ret == 0 {
        u64::try_from(st.st_size).ok()
    } else {
        None
    }
}

/// The descriptors open in the process at `base`, by the cheapest way that answers:
/// - Its `fd` directory's size, where it counts them ([`fd_dir_size_counts`]), is the
///   kernel's count for anyone who can see the process: `stat` needs no more than the
///   search right on `/proc/<pid>` (the directory's own `proc_fd_permission` is asked
///   only to open it). It gives no highest number, so it is asked first only for a
///   process without an address space (`no_mm`: a kernel thread or a zombie), whose
///   table is empty in practice (kernel threads share kthreadd's, which
///   `create_kthread` leaves empty): one path walk, against the open, two `getdents64`
///   and close of a listing. Any other size there is listed after all.
/// - The listing, which also gives the highest number. Opening the directory needs its
///   owner's read right (`proc_fd_permission`: `generic_permission` against
///   `task_dump_owner`, the process's effective uid, or root for a kernel thread or a
///   process that is not dumpable) or `CAP_DAC_READ_SEARCH`; where it is refused, the
///   size gives the count alone.
#[inline(always)]
fn count_open_files(base: &ProcBase<'_>, pid: Pid, no_mm: bool) -> Result<OpenFiles> {
    let size_counts = fd_dir_size_counts();
    let mut size = None;
    if no_mm && size_counts {
        size = base.size_of(c"fd");
        if size == Some(0) {
            return Ok(OpenFiles::default());
        }
    }
    match base.open(pid, c"fd", libc::O_DIRECTORY) {
        Ok(dir) => count_entries(pid, &dir),
        Err(denied @ Error::AccessDenied { .. }) if size_counts => {
            match size.or_else(|| base.size_of(c"fd")) {
                Some(count) => Ok(OpenFiles {
                    count,
                    highest: None,
                }),
                None => Err(denied),
            }
        }
        Err(e) => Err(e),
    }
}

/// A `getdents64` buffer, in u64s: the kernel aligns each record to 8 bytes in it.
type DirentBuf = [u64; 512];

thread_local! {
    /// Each thread's [`DirentBuf`], zeroed once when made. The kernel does not write the
    /// padding after each name, which the decoder's slice covers; in a buffer zeroed
    /// once, every byte it leaves alone is still what an earlier read or the zeroing
    /// left, so nothing read is uninitialised, without 4 KiB of zeroing per process.
    static DIRENT_BUF: Cell<Option<Box<DirentBuf>>> = const { Cell::new(None) };
}

#[inline(always)]
fn count_entries(pid: Pid, dir: &OwnedFd) -> Result<OpenFiles> {
    FD_LISTINGS.set(FD_LISTINGS.get() + 1);
    let mut buf = DIRENT_BUF.take().unwrap_or_else(|| Box::new([0; 512]));
    let mut files = OpenFiles::default();
    let counted = read_entries(pid, dir, &mut buf[..], |bytes| {
        decode::count_fds(bytes, &mut files)
    });
    DIRENT_BUF.set(Some(buf));
    counted.map(|()| files)
}

/// Every entry of the directory `dir`, by `getdents64` into `buf` (initialised, see
/// [`DIRENT_BUF`]), each buffer's worth handed to `each`; errors are `pid`'s.
#[inline(always)]
fn read_entries(
    pid: Pid,
    dir: &OwnedFd,
    buf: &mut [u64],
    mut each: impl FnMut(&[u8]) -> std::result::Result<(), decode::DecodeError>,
) -> Result<()> {
    loop {
        // SAFETY: `buf` is valid for writes of its size in bytes; the fd is open.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir.as_raw_fd(),
                buf.as_mut_ptr(),
                std::mem::size_of_val(buf),
            )
        };
        match n {
            0 => return Ok(()),
            n if n > 0 => {
                // SAFETY: `n` is at most the buffer's size in bytes, all initialised.
                let bytes =
                    unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n as usize) };
                each(bytes).map_err(|e| decode_error(pid, e))?;
            }
            _ => return Err(Error::last_os_error(pid)),
        }
    }
}

/// What `target` uses of `resource`, in its limit's units (see [`psx_core::Usage`]).
fn usage(target: Target<'_, ProcPin>, resource: Resource) -> Result<u64> {
    let pid = target.pid();
    if is_called_for(resource) {
        // `sched_getattr` and `getpriority` answer for a thread id too.
        refuse_thread_id(target)?;
        let used = used_by_call(pid, resource, &mut SchedAnswer::NotAsked);
        still_pinned(target)?;
        return used;
    }
    let read = |s: &Status| used_from_status(pid, s, resource);
    from_status(target, Field::Usage, read, |s| read(&s))
}

/// A process's nice on `RLIMIT_NICE`'s scale and its real-time priority.
#[derive(Debug, Clone, Copy)]
struct Priorities {
    /// `20 - nice` (`nice_to_rlimit`, kernel/sys.c), the scale `RLIMIT_NICE` is on
    /// (`can_nice`): 1 at nice 19, 40 at nice -20.
    nice: u64,
    /// `rt_priority`: 1-99 under SCHED_FIFO and SCHED_RR, 0 under every other policy.
    rtprio: u64,
}

/// What `sched_getattr` said of a process, kept across the resources of one usage
/// read so that nice and rtprio cost one call.
#[derive(Debug, Clone, Copy)]
enum SchedAnswer {
    NotAsked,
    Answered(Priorities),
    /// Missing (ENOSYS, before Linux 3.14), filtered (a seccomp filter that predates
    /// it) or refused (a security module): each figure is asked on its own.
    Refused,
}

/// Nice and rtprio of `pid` from one `sched_getattr` (kernel/sched/syscalls.c), unless
/// `kept` already has its answer.
///
/// `get_params` fills `sched_nice` (`task_nice`) for a task of a fair policy, and
/// `sched_priority` (`rt_priority`) for SCHED_FIFO, SCHED_RR and SCHED_DEADLINE (0 for
/// the last, whose `rt_priority` must be 0), leaving the other zero: the nice of a
/// real-time or deadline task, which it keeps for when it returns to a fair policy, is
/// asked of `getpriority`. ESRCH for a missing pid; a security module may refuse it
/// (`security_task_getscheduler`), which `getpriority` never is: then `Ok(None)`, as
/// for any failure but ESRCH, and each figure is asked as [`nice_alone`] and
/// [`rtprio_alone`] ask it.
#[inline(always)]
fn sched_priorities(pid: Pid, kept: &mut SchedAnswer) -> Result<Option<Priorities>> {
    match *kept {
        SchedAnswer::Answered(priorities) => return Ok(Some(priorities)),
        SchedAnswer::Refused => return Ok(None),
        SchedAnswer::NotAsked => {}
    }
    // SAFETY: `sched_attr` is plain integers, for which zero is a valid value.
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::sched_attr>() as libc::c_uint;
    // SAFETY: `attr` is writable for `size` bytes, the size the kernel is told.
    let ret = unsafe { libc::syscall(libc::SYS_sched_getattr, pid.as_raw(), &mut attr, size, 0) };
    if ret != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ESRCH) {
            return Err(Error::from_io(pid, err));
        }
        *kept = SchedAnswer::Refused;
        return Ok(None);
    }
    let fair = !matches!(
        attr.sched_policy as i32,
        libc::SCHED_FIFO | libc::SCHED_RR | libc::SCHED_DEADLINE
    );
    let priorities = Priorities {
        nice: if fair {
            (20 - i64::from(attr.sched_nice)) as u64
        } else {
            nice_alone(pid)?
        },
        rtprio: u64::from(attr.sched_priority),
    };
    *kept = SchedAnswer::Answered(priorities);
    Ok(Some(priorities))
}

/// The real-time priority by `sched_getparam` (`rt_priority` under SCHED_FIFO and
/// SCHED_RR, 0 otherwise); ESRCH for a missing pid, and a security module may refuse
/// it.
fn rtprio_alone(pid: Pid) -> Result<u64> {
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is writable.
    if unsafe { libc::sched_getparam(pid.as_raw(), &mut param) } != 0 {
        return Err(Error::last_os_error(pid));
    }
    Ok(param.sched_priority.max(0) as u64)
}

/// The nice by the raw `getpriority(2)`: `20 - nice`, where the libc wrapper would
/// return the nice. No permission or security check (kernel/sys.c); ESRCH for a
/// missing pid.
fn nice_alone(pid: Pid) -> Result<u64> {
    // SAFETY: getpriority takes two integers and touches no memory of ours.
    match unsafe { libc::syscall(libc::SYS_getpriority, libc::PRIO_PROCESS, pid.as_raw()) } {
        -1 => Err(Error::last_os_error(pid)),
        ret => Ok(ret as u64),
    }
}

/// Whether `resource`'s use is asked of the kernel by pid ([`used_by_call`]) rather
/// than read from the status ([`used_from_status`]).
fn is_called_for(resource: Resource) -> bool {
    matches!(resource, Resource::Cpu | Resource::Nice | Resource::Rtprio)
}

/// `resource`'s use as the status shows it: the memory figures and `SigQ:`.
fn used_from_status(pid: Pid, status: &Status, resource: Resource) -> Result<u64> {
    let memory = |pick: fn(&decode::Memory) -> u64| {
        match status.memory.clone().map_err(|e| decode_error(pid, e))? {
            Some(memory) => Ok(pick(&memory)),
            None if status.identity.zombie => Err(Error::Zombie { pid }),
            // A kernel thread has no address space.
            None => Ok(0),
        }
    };
    match resource {
        Resource::As => memory(|m| m.size),
        Resource::Data => memory(|m| m.data),
        Resource::Stack => memory(|m| m.stack),
        Resource::Rss => memory(|m| m.rss),
        Resource::Memlock => memory(|m| m.locked),
        Resource::Sigpending => status.sigq.clone().map_err(|e| decode_error(pid, e)),
        _ => Err(Error::Unsupported {
            what: "usage of this resource",
        }),
    }
}

/// `resource`'s use asked of the kernel by pid (a third of the cost of formatting
/// `/proc/<pid>/stat`, which holds the same three figures); nice and rtprio come from
/// one call, kept in `kept` for the other. The caller refuses a thread id first and
/// checks a pin after.
#[inline(always)]
fn used_by_call(pid: Pid, resource: Resource, kept: &mut SchedAnswer) -> Result<u64> {
    match resource {
        // `RLIMIT_CPU` arms the process's CPUCLOCK_PROF timer (`update_rlimit_cpu`,
        // kernel/time/posix-cpu-timers.c): user + system time of every thread, live
        // and exited. That clock, read by pid, in whole seconds. `pid_for_clock`
        // answers EINVAL, not ESRCH, for a pid with no process (the caller has ruled
        // out a thread id), and checks no permission.
        Resource::Cpu => {
            let mut now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `now` is writable; a process CPU clock id is a plain integer.
            let ret = unsafe { libc::clock_gettime(process_prof_clock(pid), &mut now) };
            if ret != 0 {
                return match io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINVAL) => Err(Error::NoSuchProcess { pid }),
                    _ => Err(Error::last_os_error(pid)),
                };
            }
            Ok(now.tv_sec.max(0) as u64)
        }
        Resource::Nice => match sched_priorities(pid, kept)? {
            Some(priorities) => Ok(priorities.nice),
            None => nice_alone(pid),
        },
        Resource::Rtprio => match sched_priorities(pid, kept)? {
            Some(priorities) => Ok(priorities.rtprio),
            None => rtprio_alone(pid),
        },
        _ => Err(Error::Unsupported {
            what: "usage of this resource",
        }),
    }
}

/// The clock id of `pid`'s CPUCLOCK_PROF process clock (`MAKE_PROCESS_CPUCLOCK`,
/// include/linux/posix-timers_types.h: `(~pid << 3) | clock`, CPUCLOCK_PROF = 0).
fn process_prof_clock(pid: Pid) -> libc::clockid_t {
    decode::process_cpu_clock(pid.as_raw(), 0)
}

/// Pins `pid` by its `/proc` directory, and checks it is a process, not a thread.
fn pin_dir(pid: Pid) -> Result<ProcPin> {
    let is_self = pid == own_pid();
    let base = if is_self {
        ProcBase::Current
    } else {
        procfs_matches_namespace(pid)?;
        ProcBase::Number(pid)
    };
    let fd = base.open(pid, c"", libc::O_PATH | libc::O_DIRECTORY)?;
    let pin = ProcPin(PinKind::Dir { fd, is_self });
    if let (false, Some(dir)) = (is_self, ProcBase::through(&pin)) {
        // Through the directory just opened: the read cannot reach another process.
        is_thread_group_leader(pid, || {
            own_status(
                &dir,
                pid,
                read_status_file(&dir, pid, c"status", Field::Umask)?,
                Field::Umask,
            )
        })?;
    }
    Ok(pin)
}

/// Pins `pid` by a pidfd; `None` where the kernel has no `pidfd_open` (before 5.3) or a
/// filter refuses it. `pidfd_prepare` (kernel/pid.c) refuses with `EINVAL` a pid with no
/// `PIDTYPE_TGID` task, which is what a thread id is.
fn pin_pidfd(pid: Pid) -> Option<Result<ProcPin>> {
    // SAFETY: pidfd_open takes two integers and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd >= 0 {
        // SAFETY: the fd was just opened by us and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
        return Some(Ok(ProcPin(PinKind::PidFd(fd))));
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::EINVAL | libc::ESRCH) => Some(Err(Error::NoSuchProcess { pid })),
        _ => None,
    }
}

/// The cores a scan spreads over, asked once: `available_parallelism` reads the
/// cgroup's CPU quota from `/proc` and cgroupfs on every call, a dozen system calls that
/// cost a small scan a tenth of its time.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The gid the kernel shows for a group that has no number in the reader's user
/// namespace (`/proc/sys/kernel/overflowgid`, 65534 unless changed).
pub fn overflow_gid() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/kernel/overflowgid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `attrs` of `target` from one status read, with the process's NPROC share when they
/// include usage; `None` where the general path is the one to take: inside a oneshot
/// (which keeps its own read), when no attribute needs the file (pgid or sid alone are
/// one `getpgid`/`getsid` each, far cheaper), or when the read fails (the general path
/// gives each attribute its own error).
fn info_from_one_read(
    target: Target<'_, ProcPin>,
    attrs: &[Attr],
) -> Option<Result<(ProcInfo, Option<NprocShare>)>> {
    let pid = target.pid();
    let needs_status = |attr: &Attr| {
        matches!(
            attr,
            Attr::Comm | Attr::Umask | Attr::Groups | Attr::Sigmasks | Attr::Usage
        )
    };
    if !attrs.iter().any(needs_status) || oneshot::is_active(pid) {
        return None;
    }
    let mut status = read_status(target, Field::Attrs(Wanted::of(attrs))).ok()?;
    Some(info_from_status(target, attrs, &mut status))
}

/// [`info_from_one_read`] once the status is read: what the status holds is moved out
/// of it, the rest read by pid as each attribute's own call reads it, except that the
/// status already showed a process, not a thread (its `Tgid:` is the pid), so no call
/// asks again, as inside a oneshot holding it.
fn info_from_status(
    target: Target<'_, ProcPin>,
    attrs: &[Attr],
    status: &mut Status,
) -> Result<(ProcInfo, Option<NprocShare>)> {
    let pid = target.pid();
    // Through a handle, a process gone by now is gone, as a oneshot serving its kept
    // status would find.
    still_pinned(target)?;
    let decoded = |e| decode_error(pid, e);
    let mut info = ProcInfo::new(pid);
    for (i, &attr) in attrs.iter().enumerate() {
        // An attribute named twice is answered once (its value was moved out).
        if attrs[..i].contains(&attr) {
            continue;
        }
        info.put(match attr {
            Attr::Comm => {
                let name = std::mem::replace(&mut status.name, Err(DecodeError::Missing("")));
                AttrRead::Comm(name.map_err(decoded))
            }
            Attr::Umask => AttrRead::Umask(umask_of(pid, status)),
            Attr::Groups => {
                let groups = std::mem::replace(&mut status.groups, Err(DecodeError::Missing("")));
                AttrRead::Groups(groups.map_err(decoded))
            }
            Attr::Pgid => AttrRead::Pgid(process_id(target, Id::Pgid, status.pgid)),
            Attr::Sid => AttrRead::Sid(process_id(target, Id::Sid, status.sid)),
            Attr::Sigmasks => AttrRead::Sigmasks(status.sigmasks.clone().map_err(decoded)),
            Attr::Rlimits => AttrRead::Rlimits(psx_core::rlimits::<Linux>(|resource| {
                prlimit_of_process(target, resource, None)
            })),
            Attr::Usage => {
                let zombie = status.identity.zombie;
                let no_mm = matches!(status.memory, Ok(None));
                let mut sched = SchedAnswer::NotAsked;
                let usage = psx_core::usage_from::<Linux>(
                    || open_files_of_process(target, no_mm, || Ok(zombie)),
                    |resource| {
                        if is_called_for(resource) {
                            used_by_call(pid, resource, &mut sched)
                        } else {
                            used_from_status(pid, status, resource)
                        }
                    },
                );
                // The calls by pid reached the pinned process only if it is still there.
                AttrRead::Usage(still_pinned(target).and(usage))
            }
            _ => psx_core::read_attr::<Linux>(target, attr),
        })?;
    }
    let share = if attrs.contains(&Attr::Usage) {
        nproc_share_of(status)
    } else {
        None
    };
    Ok((info, share))
}

/// The real uid and the thread count a status shows: `RLIMIT_NPROC` counts the tasks of
/// a real user (`copy_process` charges each new task to `UCOUNT_RLIMIT_NPROC`).
fn nproc_share_of(status: &Status) -> Option<NprocShare> {
    Some(NprocShare {
        ruid: status.ruid?,
        count: u64::from(status.identity.threads?),
    })
}

impl Backend for Linux {
    type Pin = ProcPin;

    fn available(attr: Attr) -> bool {
        match attr {
            Attr::Umask => kernel_has_umask_line(),
            _ => true,
        }
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

    /// The numeric entries of `/proc`: processes only (threads have entries too, but
    /// readdir does not list them). A `/proc` that is missing or another namespace's is
    /// an error, not an empty list.
    fn pids() -> Result<Vec<Pid>> {
        let me = Pid::current();
        procfs_matches_namespace(me)?;
        let dir = OwnedFd::from(std::fs::File::open("/proc").map_err(|e| Error::from_io(me, e))?);
        // The whole of `/proc` in one call on most machines (its own ~60 entries and
        // about 24 bytes a process), zeroed as `DIRENT_BUF` is for the same reason.
        let mut buf = vec![0u64; 4096];
        let mut pids = Vec::new();
        read_entries(me, &dir, &mut buf, |bytes| {
            decode::pids_in(bytes, &mut pids)
        })?;
        // `proc_pid_readdir` lists by ascending number already: a check, no moves.
        pids.sort_unstable();
        Ok(pids)
    }

    fn pin(pid: Pid) -> Result<ProcPin> {
        let by_dir = pin_dir(pid);
        match by_dir {
            Ok(pin) => Ok(pin),
            Err(Error::NoSuchProcess { .. }) => by_dir,
            // `/proc` hides the process, is missing, or is another namespace's.
            Err(dir_error) => pin_pidfd(pid).unwrap_or(Err(dir_error)),
        }
    }

    fn is_running(target: Target<'_, ProcPin>) -> Result<bool> {
        match target.pin() {
            Some(pin) => Ok(pin.is_alive()),
            None => Ok(matches!(probe(target.pid()), Probe::Exists)),
        }
    }

    /// Spread over the available cores (std threads taking the next unread pid, see
    /// [`psx_core::scan_threaded`]); every process is read as [`psx_core::info`] reads
    /// it.
    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
        let pids = Self::pids()?;
        // Below a few dozen processes a thread costs more than it saves.
        let threads = cores().min(pids.len().div_ceil(32)).max(1);
        scan_threaded::<Self>(pids, attrs, threads)
    }

    /// Outside a oneshot, the attributes the status holds come from one read of it,
    /// moved into the info: no per-attribute oneshot lookups and no copied name or
    /// groups (a scan does this for every process). Each is taken as its own call takes
    /// it, so the info is the one [`psx_core::info`] gives.
    fn info(target: Target<'_, ProcPin>, attrs: &[Attr]) -> Result<ProcInfo> {
        match info_from_one_read(target, attrs) {
            Some(read) => read.map(|(info, _)| info),
            None => psx_core::info::<Self>(target, attrs),
        }
    }

    /// As [`Linux::info`], with the NPROC share from the same status read.
    fn scan_info(
        target: Target<'_, ProcPin>,
        attrs: &[Attr],
    ) -> Result<(ProcInfo, Option<NprocShare>)> {
        match info_from_one_read(target, attrs) {
            Some(read) => read,
            None => psx_core::scan_info::<Self>(target, attrs),
        }
    }

    fn comm(target: Target<'_, ProcPin>) -> Result<String> {
        let pid = target.pid();
        let name = |s: &Status| s.name.clone().map_err(|e| decode_error(pid, e));
        from_status(target, Field::Name, name, |s| {
            s.name.map_err(|e| decode_error(pid, e))
        })
    }

    fn umask(target: Target<'_, ProcPin>) -> Result<u32> {
        let pid = target.pid();
        from_status(
            target,
            Field::Umask,
            |s| umask_of(pid, s),
            |s| umask_of(pid, &s),
        )
    }

    fn groups(target: Target<'_, ProcPin>) -> Result<Vec<u32>> {
        let pid = target.pid();
        from_status(
            target,
            Field::Groups,
            |s| s.groups.clone().map_err(|e| decode_error(pid, e)),
            |s| s.groups.map_err(|e| decode_error(pid, e)),
        )
    }

    fn sigmasks(target: Target<'_, ProcPin>) -> Result<SignalMasks> {
        let pid = target.pid();
        let masks = |s: &Status| s.sigmasks.clone().map_err(|e| decode_error(pid, e));
        from_status(target, Field::Sigmasks, masks, |s| masks(&s))
    }

    #[inline]
    fn get_rlimit(target: Target<'_, ProcPin>, resource: Resource) -> Result<RLimit> {
        prlimit(target, resource, None)
    }

    fn set_rlimit(
        target: Target<'_, ProcPin>,
        resource: Resource,
        new: ValidRLimit,
    ) -> Result<RLimit> {
        // Refuse before touching a pid that may already name another process.
        still_pinned(target)?;
        prlimit(target, resource, Some(new.get()))
    }

    /// Inside a oneshot whose status read has it, from that read.
    #[inline]
    fn pgid(target: Target<'_, ProcPin>) -> Result<Pid> {
        let kept = oneshot::peek(target.pid(), |s: &Status| s.pgid).flatten();
        process_id(target, Id::Pgid, kept)
    }

    /// Inside a oneshot whose status read has it, from that read.
    #[inline]
    fn sid(target: Target<'_, ProcPin>) -> Result<Pid> {
        let kept = oneshot::peek(target.pid(), |s: &Status| s.sid).flatten();
        process_id(target, Id::Sid, kept)
    }

    fn usage(target: Target<'_, ProcPin>, resource: Resource) -> Result<u64> {
        usage(target, resource)
    }

    fn open_files(target: Target<'_, ProcPin>) -> Result<OpenFiles> {
        open_files(target)
    }

    /// The real uid and the thread count, from the status: `RLIMIT_NPROC` counts the
    /// tasks of a real user.
    fn nproc_share(target: Target<'_, ProcPin>) -> Result<NprocShare> {
        let pid = target.pid();
        let share = |s: &Status| {
            nproc_share_of(s).ok_or_else(|| decode_error(pid, DecodeError::Missing("Uid")))
        };
        from_status(target, Field::Usage, share, |s| share(&s))
    }
}

// `Limit::to_raw` and `from_raw` rely on this.
const _: () = assert!(libc::RLIM64_INFINITY == u64::MAX);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_cpu_clock_ids_match_glibcs() {
        let pid = std::process::id() as i32;
        let mut clock = 0;
        // SAFETY: `clock` is writable.
        assert_eq!(unsafe { libc::clock_getcpuclockid(pid, &mut clock) }, 0);
        assert_eq!(clock, decode::process_cpu_clock(pid, 2));
    }

    #[test]
    fn proc_paths() {
        let mut buf = [0xffu8; 48];
        let mut digits = [0u8; 10];
        assert_eq!(
            proc_path(&mut buf, decimal(&mut digits, Pid::from(1)), b"status"),
            c"/proc/1/status"
        );
        assert_eq!(
            proc_path(&mut buf, decimal(&mut digits, Pid::from(i32::MAX)), b""),
            c"/proc/2147483647"
        );
        assert_eq!(
            proc_path(&mut buf, b"2147483647", b"task/2147483647/status"),
            c"/proc/2147483647/task/2147483647/status"
        );
        assert_eq!(
            proc_path(&mut buf, b"self", b"status"),
            c"/proc/self/status"
        );
        assert_eq!(decimal(&mut digits, Pid::from(4194304)), b"4194304");
        // Too long a name is cut, not written past the buffer.
        let long = [b'x'; 100];
        assert_eq!(proc_path(&mut buf, b"1", &long).to_bytes().len(), 47);
    }
}
