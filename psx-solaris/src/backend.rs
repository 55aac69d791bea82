//! The Solaris and illumos backend's decisions, generic over the [`Kernel`] that
//! answers its questions: `sys.rs` makes the real calls, and the tests below run every
//! decision on any host against a fake kernel.
//!
//! The kernel facts these rest on (illumos `usr/src/uts/common/fs/proc/`):
//! - `prfree` (`prsubr.c`), called when a process is reaped, empties the `prcommon` of
//!   every `/proc` vnode of the process, its `/proc/<pid>` directory included; from
//!   then on `pr_p_lock` finds no process through them, so a lookup under the
//!   directory (`pr_lookup_piddir`, `prvnops.c`) fails with `ENOENT`, as do a read
//!   (`prlock`) and an `fstat` (`prgetattr`). A new process with the same pid gets a new
//!   directory vnode: an open directory reaches its own process or nothing.
//! - `prgetattr` reports the process's `u_start` (its fork time, stamped once by
//!   `getproc` in `os/fork.c`) as the modification time of `/proc/<pid>`, for a zombie
//!   too, and checks no credential: `stat` of the directory tells every visible
//!   process's start time.
//! - Opening `/proc/<pid>` needs `praccess` to pass `priv_proc_cred_perm` (`os/priv.c`):
//!   the caller's uids and gids must all match the process's (or it holds
//!   `proc_owner`), else `EACCES`. So a handle holds the directory of the caller's own
//!   processes, and only the start time of others'.

use std::cell::Cell;
use std::ffi::CStr;
use std::fmt;
use std::io;
use std::marker::PhantomData;

use psx_core::{
    oneshot, Attr, Backend, Error, Missing, NprocShare, OpenFiles, Pid, Resource, Result,
    SignalMasks, StartTime, Target,
};

use crate::decode::{self, FdTally, Psinfo, StatusSizes, UsageSource};

/// What the backend asks the kernel. Errors are the OS's own, except for the two
/// process-id calls, which come mapped as `psx_core::unix::process_id` maps them.
pub trait Kernel {
    /// An open `/proc/<pid>` directory.
    type Dir: fmt::Debug + Send + Sync;
    /// Opens `/proc/<pid>`.
    fn open_dir(pid: Pid) -> io::Result<Self::Dir>;
    /// The whole file `name` of the process: opened under `dir` (`openat`) when given,
    /// else as `/proc/<pid>/<name>`.
    fn read(pid: Pid, dir: Option<&Self::Dir>, name: &CStr) -> io::Result<Vec<u8>>;
    /// Calls `each` with the name of every entry of the process's `fd` directory
    /// (opened under `dir` when given, else `/proc/<pid>/fd`), keeping none of them.
    fn fd_names(pid: Pid, dir: Option<&Self::Dir>, each: &mut dyn FnMut(&[u8])) -> io::Result<()>;
    /// The modification time of the process's directory (`fstat` of `dir` when given,
    /// else `stat` of `/proc/<pid>`): its start time.
    fn start_time(pid: Pid, dir: Option<&Self::Dir>) -> io::Result<StartTime>;
    /// `getpgid(2)`.
    fn getpgid(pid: Pid) -> Result<Pid>;
    /// `getsid(2)`.
    fn getsid(pid: Pid) -> Result<Pid>;
    /// The names in `/proc` (those that are not UTF-8 may be left out: no pid is one).
    fn proc_entries() -> io::Result<Vec<String>>;
}

/// What a [`Process`](https://docs.rs/psx-process/latest/psx/struct.Process.html) holds on
/// Solaris and illumos to know its process: its start time and, for the caller's own
/// processes, its open `/proc/<pid>` directory.
///
/// Every `/proc` file a handle reads is opened under the directory when it has one,
/// which reaches the pinned process or nothing. A read by number, and every
/// `getpgid`/`getsid`, is believed (answer or error) only if the pid's directory still
/// reports the pinned start time afterwards: a pid is reused only once its process is
/// reaped, and a newcomer starts later.
#[derive(Debug)]
pub struct ProcPin<D> {
    dir: Option<D>,
    start: StartTime,
}

impl<D> ProcPin<D> {
    /// When the pinned process started.
    pub fn start(&self) -> StartTime {
        self.start
    }

    /// Whether the pin holds the process's `/proc` directory (the caller may control
    /// the process), or only its start time.
    pub fn holds_directory(&self) -> bool {
        self.dir.is_some()
    }
}

/// The backend, on the kernel `K` (`sys.rs`'s system calls on Solaris and illumos).
pub struct ProcBackend<K>(PhantomData<K>);

impl<K> fmt::Debug for ProcBackend<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProcBackend")
    }
}

type PinnedTarget<'a, K> = Target<'a, ProcPin<<K as Kernel>::Dir>>;

/// Pins `pid` by its directory if the caller may open it, else by its start time.
fn pin<K: Kernel>(pid: Pid) -> Result<ProcPin<K::Dir>> {
    let dir = match K::open_dir(pid) {
        Ok(dir) => Some(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::NoSuchProcess { pid }),
        // Another user's process, or a set-id one (`priv_proc_cred_perm`).
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => None,
        Err(e) => return Err(Error::from_io(pid, e)),
    };
    match K::start_time(pid, dir.as_ref()) {
        Ok(start) => Ok(ProcPin { dir, start }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NoSuchProcess { pid }),
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

/// Whether the pinned process is still there, a zombie included: its directory still
/// reports the pinned start time.
fn is_alive<K: Kernel>(pid: Pid, pin: &ProcPin<K::Dir>) -> Result<bool> {
    match K::start_time(pid, pin.dir.as_ref()) {
        Ok(start) => Ok(start.matches(pin.start, 0)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

/// Whether `/proc` has any process `pid`, a zombie included.
fn exists<K: Kernel>(pid: Pid) -> Result<bool> {
    match K::start_time(pid, None) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

/// After a call by number through a handle: the call reached the pinned process only
/// if that process is still there now.
fn still_pinned<K: Kernel>(target: PinnedTarget<'_, K>) -> Result<()> {
    match target.pin() {
        Some(pin) if !is_alive::<K>(target.pid(), pin)? => {
            Err(Error::NoSuchProcess { pid: target.pid() })
        }
        _ => Ok(()),
    }
}

/// The files the kernel keeps for a zombie: `pr_lookup_piddir` finds only `psinfo` and
/// `usage` under a process marked `PRC_DESTROY` (exited, or exiting), and `prlock`
/// (`ZNO`) refuses the others' reads with `ENOENT`, as for a process that is gone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kept {
    ForZombies,
    WhileLive,
}

/// The file `name` of the target's process.
fn read_proc<K: Kernel>(target: PinnedTarget<'_, K>, name: &CStr, kept: Kept) -> Result<Vec<u8>> {
    let dir = target.pin().and_then(|pin| pin.dir.as_ref());
    // An empty file is gone with the process, or with its life, as ENOENT is.
    let read = K::read(target.pid(), dir, name).map(|bytes| Some(bytes).filter(|b| !b.is_empty()));
    settle::<K, _>(target, dir.is_some(), read, kept)
}

/// What a read of one of the target's `/proc` files (`Ok(None)`: as good as `ENOENT`)
/// means, `via_dir` if it went through the pinned directory.
fn settle<K: Kernel, T>(
    target: PinnedTarget<'_, K>,
    via_dir: bool,
    read: io::Result<Option<T>>,
    kept: Kept,
) -> Result<T> {
    let pid = target.pid();
    // What was read under the pinned directory is the pinned process's; anything else
    // is believed, answer or error, only if the pin holds after the read.
    if !via_dir || !matches!(&read, Ok(Some(_))) {
        still_pinned::<K>(target)?;
    }
    match read {
        Ok(Some(value)) => return Ok(value),
        Ok(None) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::from_io(pid, e)),
    }
    if kept == Kept::ForZombies {
        return Err(Error::NoSuchProcess { pid });
    }
    // A handle's pin was checked above; a bare pid asks `/proc` whether it is there.
    let there = target.pin().is_some() || exists::<K>(pid)?;
    Err(if there {
        Error::Zombie { pid }
    } else {
        Error::NoSuchProcess { pid }
    })
}

fn read_psinfo<K: Kernel>(target: PinnedTarget<'_, K>) -> Result<Psinfo> {
    let bytes = read_proc::<K>(target, c"psinfo", Kept::ForZombies)?;
    decode::psinfo(&bytes).map_err(|e| Error::invalid_data(target.pid(), e))
}

/// `pick` from the target's psinfo: the oneshot's if one is active, else a fresh read.
fn with_psinfo<K: Kernel, R>(
    target: PinnedTarget<'_, K>,
    pick: impl Fn(&Psinfo) -> Result<R>,
) -> Result<R> {
    let pid = target.pid();
    let Some(pin) = target.pin() else {
        return oneshot::cached_or_fresh(pid, || read_psinfo::<K>(target), pick);
    };
    // The oneshot is keyed by pid: its psinfo may have been read by number, or through
    // another handle, while the pid named another process. It serves a handle only if
    // it carries the pinned start time; a zombie's carries none (see `decode::psinfo`),
    // so a handle to a zombie reads afresh.
    let filled = Cell::new(false);
    let fill = || {
        filled.set(true);
        read_psinfo::<K>(target)
    };
    let serve = |p: &Psinfo| {
        if filled.get() || p.start().is_some_and(|s| s.matches(pin.start, 0)) {
            pick(p).map(Some)
        } else {
            Ok(None)
        }
    };
    match oneshot::cached(pid, fill, serve) {
        Some(Ok(Some(answer))) => Ok(answer),
        Some(Err(e)) => Err(e),
        Some(Ok(None)) | None => pick(&read_psinfo::<K>(target)?),
    }
}

/// The target's heap and stack sizes, from `status`. A bare pid's are kept in its
/// oneshot (a scan asks for DATA and STACK one after the other); a handle reads afresh,
/// as `status` carries no start time to tell whose a kept copy was.
fn status_sizes<K: Kernel>(target: PinnedTarget<'_, K>) -> Result<StatusSizes> {
    let read = || {
        let status = read_proc::<K>(target, c"status", Kept::WhileLive)?;
        decode::status_sizes(&status).map_err(|e| Error::invalid_data(target.pid(), e))
    };
    match target.pin() {
        Some(_) => read(),
        None => oneshot::cached_or_fresh(target.pid(), read, |sizes| Ok(*sizes)),
    }
}

/// The descriptors of the target's process, counted from `fd/` without keeping its
/// names. Opening it needs what `status` needs (`praccess`: `priv_proc_cred_perm`,
/// else `EACCES`), and `prlock(ZNO)` refuses it for a zombie with `ENOENT`.
fn open_files<K: Kernel>(target: PinnedTarget<'_, K>) -> Result<OpenFiles> {
    let dir = target.pin().and_then(|pin| pin.dir.as_ref());
    let mut tally = FdTally::default();
    let walked = K::fd_names(target.pid(), dir, &mut |name| tally.add(name));
    settle::<K, _>(target, dir.is_some(), walked.map(Some), Kept::WhileLive)?;
    Ok(tally.open_files())
}

/// `getpgid` or `getsid` (`call`), or, inside a oneshot, psinfo's `field`: the same
/// `p_pgrp` and `p_sessp->s_sid` (`pgrpsys` and `prgetpsinfo`), for a zombie too.
fn process_id<K: Kernel>(
    target: PinnedTarget<'_, K>,
    call: fn(Pid) -> Result<Pid>,
    field: fn(&Psinfo) -> i32,
) -> Result<Pid> {
    let pid = target.pid();
    if oneshot::is_active(pid) {
        return with_psinfo::<K, _>(target, |p| Ok(Pid::from(field(p))));
    }
    let answer = call(pid);
    // The pin first: if the pinned process is gone, whatever answered was not it.
    still_pinned::<K>(target)?;
    decode::pgrpsys(answer)
}

/// Every process in `/proc`, which must list the caller: an empty directory is no
/// procfs, not a system without processes.
fn list<K: Kernel>() -> Result<Vec<Pid>> {
    let me = Pid::current();
    let names = K::proc_entries().map_err(|source| Error::os(me, source))?;
    let pids = decode::pids_from_names(&names);
    if pids.binary_search(&me).is_err() {
        return Err(Error::os(
            me,
            io::Error::new(
                io::ErrorKind::NotFound,
                "/proc does not list psx itself: procfs is not mounted there",
            ),
        ));
    }
    Ok(pids)
}

/// Every attribute but the umask and the limits, which Solaris and illumos offer no
/// other process (the use of each resource, [`Attr::Usage`], included). `scan` is the
/// default, one process at a time: these systems have no whole-table read (no `sysctl`
/// of every process; `/proc` holds one `psinfo` per process), so a scan reads each
/// process's `psinfo` once, which serves its name, group, session, memory and CPU.
impl<K: Kernel> Backend for ProcBackend<K> {
    type Pin = ProcPin<K::Dir>;

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask | Attr::Rlimits)
    }

    fn pids() -> Result<Vec<Pid>> {
        list::<K>()
    }

    fn pin(pid: Pid) -> Result<Self::Pin> {
        pin::<K>(pid)
    }

    fn is_running(target: Target<'_, Self::Pin>) -> Result<bool> {
        match target.pin() {
            Some(pin) => is_alive::<K>(target.pid(), pin),
            None => exists::<K>(target.pid()),
        }
    }

    fn comm(target: Target<'_, Self::Pin>) -> Result<String> {
        let pid = target.pid();
        with_psinfo::<K, _>(target, |p| match &p.alive {
            Some(alive) => Ok(alive.name.clone()),
            None => Err(Error::Zombie { pid }),
        })
    }

    fn groups(target: Target<'_, Self::Pin>) -> Result<Vec<u32>> {
        let cred = read_proc::<K>(target, c"cred", Kept::WhileLive)?;
        decode::cred_groups(&cred).map_err(|e| Error::invalid_data(target.pid(), e))
    }

    fn sigmasks(target: Target<'_, Self::Pin>) -> Result<SignalMasks> {
        let status = read_proc::<K>(target, c"status", Kept::WhileLive)?;
        let sigact = read_proc::<K>(target, c"sigact", Kept::WhileLive)?;
        decode::sigmasks(&status, &sigact).map_err(|e| Error::invalid_data(target.pid(), e))
    }

    fn pgid(target: Target<'_, Self::Pin>) -> Result<Pid> {
        process_id::<K>(target, K::getpgid, |p| p.pgid)
    }

    fn sid(target: Target<'_, Self::Pin>) -> Result<Pid> {
        process_id::<K>(target, K::getsid, |p| p.sid)
    }

    fn usage(target: Target<'_, Self::Pin>, resource: Resource) -> Result<u64> {
        let pid = target.pid();
        let unsupported = Error::Unsupported {
            what: "resource usage",
        };
        match decode::usage_source(resource) {
            UsageSource::Psinfo => with_psinfo::<K, _>(target, |p| {
                decode::psinfo_usage(p, resource).map_err(|missing| match missing {
                    Missing::Zombie => Error::Zombie { pid },
                    _ => Error::Unsupported {
                        what: "resource usage",
                    },
                })
            }),
            UsageSource::Status => status_sizes::<K>(target)?
                .usage(resource)
                .ok_or(unsupported),
            UsageSource::Nowhere => Err(unsupported),
        }
    }

    fn open_files(target: Target<'_, Self::Pin>) -> Result<OpenFiles> {
        open_files::<K>(target)
    }

    /// psinfo's `pr_uid`, for a zombie too: nothing more than the name or the process
    /// group cost.
    fn nproc_share(target: Target<'_, Self::Pin>) -> Result<NprocShare> {
        with_psinfo::<K, _>(target, |p| {
            Ok(NprocShare {
                ruid: p.ruid,
                count: 1,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::{
        cred, psinfo_file, pstatus, put_psinfo_usage, put_status_sizes, sigact_file,
    };
    use psx_core::OneshotGuard;
    use psx_core::Pinned;
    use std::cell::RefCell;

    /// A process of the fake kernel.
    #[derive(Debug, Clone)]
    struct FakeProc {
        pid: i32,
        start: StartTime,
        name: &'static str,
        pgid: i32,
        sid: i32,
        groups: Vec<u32>,
        zombie: bool,
        /// The caller may open its directory and its owner-only files.
        ours: bool,
        ruid: u32,
        /// Its open descriptors, as `fd/` lists them.
        fds: Vec<u32>,
    }

    fn process(pid: i32, start_sec: i64, name: &'static str, pgid: i32) -> FakeProc {
        FakeProc {
            pid,
            start: StartTime {
                sec: start_sec,
                usec: 250,
            },
            name,
            pgid,
            sid: pgid - 1,
            groups: vec![pgid as u32],
            zombie: false,
            ours: true,
            ruid: 1000,
            fds: vec![0, 1, 2, pgid as u32],
        }
    }

    /// The fake kernel's sizes for a process: `pr_size` and `pr_rssize` (KiB), CPU
    /// seconds, `pr_brksize` and `pr_stksize` (bytes), all from its process group.
    fn sizes(p: &FakeProc) -> (u64, u64, i64, u64, u64) {
        let g = p.pgid as u64;
        (4 * g, 2 * g, p.pgid as i64, 4096 * g, 8192)
    }

    /// How often the fake kernel was asked each thing.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    struct Calls {
        readdir: u32,
        psinfo: u32,
        other_files: u32,
        id_calls: u32,
        fd_walks: u32,
    }

    #[derive(Default)]
    struct World {
        procs: Vec<FakeProc>,
        /// Names `/proc` lists for processes gone before they are read.
        vanished: Vec<i32>,
        calls: Calls,
    }

    thread_local! {
        static WORLD: RefCell<World> = RefCell::new(World::default());
    }

    fn set_world(procs: Vec<FakeProc>) {
        WORLD.with_borrow_mut(|w| {
            *w = World {
                procs,
                ..World::default()
            }
        });
    }

    /// The pid's process exits and is reaped; `next` (if any) is given its pid.
    fn replace(pid: i32, next: Option<FakeProc>) {
        WORLD.with_borrow_mut(|w| {
            w.procs.retain(|p| p.pid != pid);
            w.procs.extend(next);
        });
    }

    fn turn_zombie(pid: i32) {
        WORLD.with_borrow_mut(|w| {
            w.procs
                .iter_mut()
                .filter(|p| p.pid == pid)
                .for_each(|p| p.zombie = true)
        });
    }

    fn calls() -> Calls {
        WORLD.with_borrow(|w| w.calls)
    }

    /// The directory of one process: it reaches that process (same pid and start) or
    /// nothing, as a `/proc/<pid>` vnode does once `prfree` has emptied it.
    #[derive(Debug)]
    struct FakeDir {
        pid: i32,
        start: StartTime,
    }

    enum Fake {}

    fn found(pid: Pid, dir: Option<&FakeDir>) -> io::Result<FakeProc> {
        WORLD.with_borrow(|w| {
            w.procs
                .iter()
                .find(|p| {
                    p.pid == pid.as_raw()
                        && dir.is_none_or(|d| (d.pid, d.start) == (p.pid, p.start))
                })
                .cloned()
                .ok_or_else(|| io::ErrorKind::NotFound.into())
        })
    }

    impl Kernel for Fake {
        type Dir = FakeDir;

        fn open_dir(pid: Pid) -> io::Result<FakeDir> {
            let p = found(pid, None)?;
            if !p.ours {
                return Err(io::ErrorKind::PermissionDenied.into());
            }
            Ok(FakeDir {
                pid: p.pid,
                start: p.start,
            })
        }

        fn read(pid: Pid, dir: Option<&FakeDir>, name: &CStr) -> io::Result<Vec<u8>> {
            let name = name.to_str().unwrap();
            WORLD.with_borrow_mut(|w| match name {
                "psinfo" => w.calls.psinfo += 1,
                _ => w.calls.other_files += 1,
            });
            let p = found(pid, dir)?;
            let (size, rss, cpu, brk, stack) = sizes(&p);
            if name == "psinfo" {
                let nsec = p.start.usec * 1000;
                let alive = (!p.zombie).then_some((p.name, p.start.sec, nsec));
                let mut file = psinfo_file(p.pgid, p.sid, alive);
                let memory = (!p.zombie).then_some((size, rss));
                put_psinfo_usage(&mut file, p.ruid, (cpu, 0), memory);
                return Ok(file);
            }
            if p.zombie {
                return Err(io::ErrorKind::NotFound.into());
            }
            if !p.ours {
                return Err(io::ErrorKind::PermissionDenied.into());
            }
            Ok(match name {
                "cred" => cred(&p.groups, p.groups.len() as i32),
                "status" => {
                    let mut file = pstatus([0; 4], [p.pgid as u32, 0, 0, 0], [0; 4]);
                    put_status_sizes(&mut file, brk, stack);
                    file
                }
                "sigact" => sigact_file(&[0; 72]),
                other => panic!("no /proc file {other}"),
            })
        }

        fn fd_names(
            pid: Pid,
            dir: Option<&FakeDir>,
            each: &mut dyn FnMut(&[u8]),
        ) -> io::Result<()> {
            WORLD.with_borrow_mut(|w| w.calls.fd_walks += 1);
            let p = found(pid, dir)?;
            if p.zombie {
                return Err(io::ErrorKind::NotFound.into());
            }
            if !p.ours {
                return Err(io::ErrorKind::PermissionDenied.into());
            }
            each(b".");
            each(b"..");
            p.fds.iter().for_each(|fd| each(fd.to_string().as_bytes()));
            Ok(())
        }

        fn start_time(pid: Pid, dir: Option<&FakeDir>) -> io::Result<StartTime> {
            found(pid, dir).map(|p| p.start)
        }

        fn getpgid(pid: Pid) -> Result<Pid> {
            WORLD.with_borrow_mut(|w| w.calls.id_calls += 1);
            found(pid, None)
                .map(|p| Pid::from(p.pgid))
                .map_err(|_| Error::NoSuchProcess { pid })
        }

        fn getsid(pid: Pid) -> Result<Pid> {
            WORLD.with_borrow_mut(|w| w.calls.id_calls += 1);
            found(pid, None)
                .map(|p| Pid::from(p.sid))
                .map_err(|_| Error::NoSuchProcess { pid })
        }

        fn proc_entries() -> io::Result<Vec<String>> {
            WORLD.with_borrow_mut(|w| {
                w.calls.readdir += 1;
                let mut names: Vec<String> = [".", "..", "self", "0"].map(String::from).to_vec();
                names.extend(w.procs.iter().map(|p| p.pid.to_string()));
                names.extend(w.vanished.iter().map(|p| p.to_string()));
                Ok(names)
            })
        }
    }

    type Os = ProcBackend<Fake>;

    fn handle(pin: &Pinned<ProcPin<FakeDir>>, pid: i32) -> Target<'_, ProcPin<FakeDir>> {
        assert_eq!(pin.pid(), Pid::from(pid));
        pin.target()
    }

    fn bare(pid: i32) -> Target<'static, ProcPin<FakeDir>> {
        Target::new(pid).unwrap()
    }

    fn is_gone<T: fmt::Debug>(result: Result<T>) -> bool {
        matches!(result, Err(Error::NoSuchProcess { pid }) if pid == Pid::from(100))
    }

    #[test]
    fn a_reused_pid_reads_as_no_such_process_through_a_handle() {
        // Our own process (pinned by its directory) and another user's (by start time).
        for ours in [true, false] {
            set_world(vec![FakeProc {
                ours,
                ..process(100, 1_000, "old", 40)
            }]);
            let pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
            assert_eq!(pin.pin().holds_directory(), ours);
            let h = handle(&pin, 100);
            assert_eq!(Os::comm(h).unwrap(), "old");
            assert_eq!(Os::pgid(h).unwrap(), Pid::from(40));
            if ours {
                assert_eq!(Os::groups(h).unwrap(), [40]);
            } else {
                assert!(matches!(Os::groups(h), Err(Error::AccessDenied { .. })));
            }
            // Reaped; the pid now names a newcomer of the same owner.
            replace(
                100,
                Some(FakeProc {
                    ours,
                    ..process(100, 2_000, "new", 7)
                }),
            );
            assert!(!Os::is_running(h).unwrap());
            assert!(is_gone(Os::comm(h)), "ours: {ours}");
            assert!(is_gone(Os::pgid(h)), "ours: {ours}");
            assert!(is_gone(Os::sid(h)), "ours: {ours}");
            // Never the newcomer's groups, nor its refusal.
            assert!(is_gone(Os::groups(h)), "ours: {ours}");
            assert!(is_gone(Os::sigmasks(h)), "ours: {ours}");
            {
                let _oneshot = OneshotGuard::enter(Pid::from(100));
                assert!(is_gone(Os::pgid(h)), "ours: {ours}");
                assert!(is_gone(Os::comm(h)), "ours: {ours}");
            }
            // A bare pid reads whatever process has the number now.
            assert_eq!(Os::comm(bare(100)).unwrap(), "new");
            assert_eq!(Os::pgid(bare(100)).unwrap(), Pid::from(7));
            assert!(Os::is_running(bare(100)).unwrap());
        }
    }

    #[test]
    fn a_handle_is_never_served_another_process_s_psinfo_from_a_oneshot() {
        for ours in [true, false] {
            set_world(vec![FakeProc {
                ours,
                ..process(100, 1_000, "old", 40)
            }]);
            let old_pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
            let old = handle(&old_pin, 100);
            {
                let _oneshot = OneshotGuard::enter(Pid::from(100));
                // Read by number: the oneshot now holds the old process's psinfo.
                assert_eq!(Os::comm(bare(100)).unwrap(), "old");
                replace(
                    100,
                    Some(FakeProc {
                        ours,
                        ..process(100, 2_000, "new", 7)
                    }),
                );
                let new_pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
                let new = handle(&new_pin, 100);
                assert_eq!(Os::comm(new).unwrap(), "new", "ours: {ours}");
                assert_eq!(Os::pgid(new).unwrap(), Pid::from(7), "ours: {ours}");
                assert_eq!(Os::sid(new).unwrap(), Pid::from(6), "ours: {ours}");
                // The old handle is served what the oneshot read of its own process,
                // as the oneshot serves a bare pid: the oneshot's snapshot.
                assert_eq!(Os::comm(old).unwrap(), "old", "ours: {ours}");
            }
            assert!(is_gone(Os::comm(old)), "ours: {ours}");
        }
    }

    #[test]
    fn a_handle_to_a_zombie_stays_valid_until_it_is_reaped() {
        set_world(vec![process(100, 1_000, "sleep", 40)]);
        let pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
        let h = handle(&pin, 100);
        turn_zombie(100);
        assert!(Os::is_running(h).unwrap());
        // The name went with the lwps; cred, status and sigact with the process's life.
        assert!(matches!(Os::comm(h), Err(Error::Zombie { .. })));
        assert!(matches!(Os::groups(h), Err(Error::Zombie { .. })));
        assert!(matches!(Os::sigmasks(h), Err(Error::Zombie { .. })));
        assert_eq!(Os::pgid(h).unwrap(), Pid::from(40));
        assert_eq!(Os::sid(h).unwrap(), Pid::from(39));
        {
            let _oneshot = OneshotGuard::enter(Pid::from(100));
            assert_eq!(Os::pgid(h).unwrap(), Pid::from(40));
            assert_eq!(Os::sid(h).unwrap(), Pid::from(39));
        }
        // A bare pid says the same.
        assert!(matches!(Os::groups(bare(100)), Err(Error::Zombie { .. })));
        assert!(matches!(Os::comm(bare(100)), Err(Error::Zombie { .. })));
        // A zombie is pinned like any process.
        let zombie_pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
        assert_eq!(zombie_pin.pin().start(), pin.pin().start());
        replace(100, None);
        assert!(!Os::is_running(h).unwrap());
        assert!(is_gone(Os::pgid(h)));
        assert!(is_gone(Os::groups(h)));
        assert!(is_gone(Os::groups(bare(100))));
        assert!(is_gone(Os::pin(Pid::from(100))));
    }

    /// Pids for fake processes that cannot be the test's own.
    fn far_pid(k: i32) -> i32 {
        let me = Pid::current().as_raw();
        if me > 1_000_000 {
            k
        } else {
            2_000_000 + k
        }
    }

    #[test]
    fn pids_are_the_numeric_entries_ascending_and_must_list_the_caller() {
        let me = Pid::current().as_raw();
        set_world(
            [far_pid(27), me, far_pid(1), far_pid(3)]
                .map(|pid| process(pid, 10, "p", 5))
                .to_vec(),
        );
        let mut want = vec![far_pid(1), far_pid(3), far_pid(27), me];
        want.sort_unstable();
        let got: Vec<i32> = Os::pids().unwrap().iter().map(|p| p.as_raw()).collect();
        assert_eq!(got, want);
        assert_eq!(calls().readdir, 1);
        // A /proc without the caller is no procfs.
        set_world(vec![process(far_pid(1), 10, "init", 1)]);
        assert!(matches!(Os::pids(), Err(Error::Os { .. })));
    }

    #[test]
    fn a_scan_lists_once_reads_one_psinfo_a_process_and_skips_the_vanished() {
        let me = Pid::current().as_raw();
        for n in [3, 40] {
            let mut procs: Vec<FakeProc> = (0..n)
                .map(|k| process(far_pid(10 + k), 10, "worker", 9))
                .collect();
            procs.push(process(me, 10, "psx", 9));
            procs.push(FakeProc {
                zombie: true,
                ..process(far_pid(5), 10, "defunct", 4)
            });
            procs.push(FakeProc {
                ours: false,
                ..process(far_pid(6), 10, "daemon", 3)
            });
            set_world(procs);
            WORLD.with_borrow_mut(|w| w.vanished = vec![far_pid(7)]);
            let infos = Os::scan(&[Attr::Comm, Attr::Pgid, Attr::Sid, Attr::Groups]).unwrap();
            let listed = n as usize + 3;
            assert_eq!(infos.len(), listed, "the vanished process is left out");
            assert!(infos.windows(2).all(|w| w[0].pid < w[1].pid));
            let of = |pid: i32| infos.iter().find(|i| i.pid == Pid::from(pid)).unwrap();
            let zombie = of(far_pid(5));
            assert_eq!(
                (zombie.comm.as_deref(), zombie.pgid, zombie.groups.as_ref()),
                (None, Some(Pid::from(4)), None)
            );
            let other = of(far_pid(6));
            assert_eq!(
                (other.comm.as_deref(), other.sid, other.groups.as_ref()),
                (Some("daemon"), Some(Pid::from(2)), None)
            );
            assert_eq!(of(me).groups, Some(vec![9]));
            // One listing whatever the number of processes; each process's name, group
            // and session from one psinfo (the vanished one's read too), no getpgid.
            let c = calls();
            assert_eq!(
                (c.readdir, c.psinfo, c.id_calls),
                (1, listed as u32 + 1, 0),
                "n = {n}"
            );
        }
    }

    fn used(usage: &psx_core::Usage) -> Vec<(Resource, u64)> {
        usage.used.iter().map(|(r, n)| (*r, *n)).collect()
    }

    #[test]
    fn usage_through_a_handle_is_never_a_reused_pids() {
        for ours in [true, false] {
            set_world(vec![FakeProc {
                ours,
                fds: vec![0, 1, 2, 7, 300],
                ..process(100, 1_000, "old", 40)
            }]);
            let pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
            let h = handle(&pin, 100);
            assert!(Os::available(Attr::Usage));
            // pr_size 160 KiB, pr_rssize 80 KiB; 40 s; brk 160 KiB; an 8 KiB stack.
            assert_eq!(Os::usage(h, Resource::As).unwrap(), 163_840);
            assert_eq!(Os::usage(h, Resource::Rss).unwrap(), 81_920);
            assert_eq!(Os::usage(h, Resource::Cpu).unwrap(), 40);
            assert_eq!(
                Os::nproc_share(h).unwrap(),
                NprocShare {
                    ruid: 1000,
                    count: 1
                }
            );
            if ours {
                assert_eq!(Os::usage(h, Resource::Data).unwrap(), 163_840);
                assert_eq!(Os::usage(h, Resource::Stack).unwrap(), 8192);
                let files = Os::open_files(h).unwrap();
                assert_eq!((files.count, files.highest), (5, Some(300)));
            } else {
                // fd/ and status are the owner's: praccess says EACCES.
                assert!(matches!(
                    Os::usage(h, Resource::Data),
                    Err(Error::AccessDenied { .. })
                ));
                assert!(matches!(Os::open_files(h), Err(Error::AccessDenied { .. })));
            }
            for r in [Resource::Memlock, Resource::Nice, Resource::Rtprio] {
                assert!(matches!(Os::usage(h, r), Err(Error::Unsupported { .. })));
            }
            // Reaped; the pid now names a newcomer of the same owner.
            replace(
                100,
                Some(FakeProc {
                    ours,
                    ..process(100, 2_000, "new", 7)
                }),
            );
            for r in [
                Resource::As,
                Resource::Rss,
                Resource::Cpu,
                Resource::Data,
                Resource::Stack,
            ] {
                assert!(is_gone(Os::usage(h, r)), "{r}, ours: {ours}");
            }
            assert!(is_gone(Os::open_files(h)), "ours: {ours}");
            assert!(is_gone(Os::nproc_share(h)), "ours: {ours}");
            assert!(is_gone(psx_core::usage::<Os>(h)), "ours: {ours}");
            {
                // A oneshot filled by number holds the newcomer's records.
                let _oneshot = OneshotGuard::enter(Pid::from(100));
                assert_eq!(Os::usage(bare(100), Resource::Cpu).unwrap(), 7);
                if ours {
                    assert_eq!(Os::usage(bare(100), Resource::Data).unwrap(), 28_672);
                }
                for r in [Resource::As, Resource::Cpu, Resource::Data] {
                    assert!(is_gone(Os::usage(h, r)), "{r}, ours: {ours}");
                }
                assert!(is_gone(Os::open_files(h)), "ours: {ours}");
            }
            // A bare pid reads the newcomer.
            assert_eq!(Os::usage(bare(100), Resource::As).unwrap(), 28_672);
        }
        // Another user's process (pinned by its start time only), its pid reused by
        // one of ours: fd/ and status now open by number, and are still not believed.
        set_world(vec![FakeProc {
            ours: false,
            ..process(100, 1_000, "old", 40)
        }]);
        let pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
        let h = handle(&pin, 100);
        replace(100, Some(process(100, 2_000, "new", 7)));
        assert!(is_gone(Os::open_files(h)));
        assert!(is_gone(Os::usage(h, Resource::Data)));
        assert_eq!(Os::open_files(bare(100)).unwrap().highest, Some(7));
    }

    #[test]
    fn a_zombie_has_only_its_cpu_time() {
        set_world(vec![process(100, 1_000, "sleep", 40)]);
        let pin = Pinned::new::<Os>(Pid::from(100)).unwrap();
        let h = handle(&pin, 100);
        turn_zombie(100);
        for target in [h, bare(100)] {
            assert_eq!(Os::usage(target, Resource::Cpu).unwrap(), 40);
            for r in [Resource::As, Resource::Rss, Resource::Data, Resource::Stack] {
                assert!(
                    matches!(Os::usage(target, r), Err(Error::Zombie { .. })),
                    "{r}"
                );
            }
            assert!(matches!(Os::open_files(target), Err(Error::Zombie { .. })));
            assert_eq!(Os::nproc_share(target).unwrap().ruid, 1000);
            let usage = psx_core::usage::<Os>(target).unwrap();
            assert_eq!(used(&usage), [(Resource::Cpu, 40)]);
            assert_eq!(usage.highest_fd, None);
        }
        replace(100, None);
        assert!(is_gone(Os::usage(h, Resource::Cpu)));
        assert!(is_gone(Os::open_files(bare(100))));
        assert!(is_gone(Os::usage(bare(100), Resource::Data)));
    }

    #[test]
    fn a_usage_scan_reads_psinfo_status_and_fd_once_a_process() {
        let me = Pid::current().as_raw();
        let mut procs: Vec<FakeProc> = (0..3)
            .map(|k| process(far_pid(10 + k), 10, "worker", 9))
            .collect();
        procs.push(process(me, 10, "psx", 9));
        procs.push(FakeProc {
            zombie: true,
            ..process(far_pid(5), 10, "defunct", 4)
        });
        procs.push(FakeProc {
            ours: false,
            ruid: 0,
            ..process(far_pid(6), 10, "daemon", 3)
        });
        set_world(procs);
        let infos = Os::scan(&[Attr::Usage, Attr::Comm]).unwrap();
        assert_eq!(infos.len(), 6);
        let of = |pid: i32| {
            let info = infos.iter().find(|i| i.pid == Pid::from(pid)).unwrap();
            used(info.usage.as_ref().unwrap())
        };
        // Five processes of user 1000 (the zombie too), one of root.
        assert_eq!(
            of(me),
            [
                (Resource::Cpu, 9),
                (Resource::Data, 36_864),
                (Resource::Stack, 8192),
                (Resource::Rss, 18_432),
                (Resource::Nproc, 5),
                (Resource::Nofile, 4),
                (Resource::As, 36_864),
            ]
        );
        assert_eq!(of(far_pid(5)), [(Resource::Cpu, 4), (Resource::Nproc, 5)]);
        assert_eq!(
            of(far_pid(6)),
            [
                (Resource::Cpu, 3),
                (Resource::Rss, 6144),
                (Resource::Nproc, 1),
                (Resource::As, 12_288),
            ]
        );
        // One psinfo and one fd/ walk each; one status for each of the owner's live
        // processes, two where it is refused (a failed read is not kept: STACK asks
        // again after DATA).
        let c = calls();
        assert_eq!((c.psinfo, c.other_files, c.fd_walks), (6, 4 + 2 * 2, 6));
    }
}
