//! The backend's logic over the calls it makes ([`Kernel`]), pure so that the host tests
//! run it against a fake kernel; `sys` makes the real calls on macOS.

use std::convert::Infallible;
use std::marker::PhantomData;

use psx_core::{
    oneshot, scan_seeded, Attr, Backend, Error, NprocShare, OpenFiles, Pid, ProcInfo, Resource,
    Result, SignalMasks, StartTime, Target,
};

use crate::decode::{self, IdCall, Kinfo, TaskInfo, Timebase, FDINFO_SIZE, FDS_FIRST_READ};

/// The calls the backend makes, one method each.
pub trait Kernel {
    /// `pid`'s `kinfo_proc` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`), zombies
    /// included; `NoSuchProcess` for the empty reply.
    fn kinfo(pid: Pid) -> Result<Kinfo>;
    /// Every process's `kinfo_proc` in one read (`{CTL_KERN, KERN_PROC, KERN_PROC_ALL}`),
    /// as [`decode::table`] gives them.
    fn table() -> Result<Vec<Kinfo>>;
    /// `p_uniqueid` (`proc_pidinfo(pid, PROC_PIDUNIQIDENTIFIERINFO, 1, ..)`, zombies
    /// included).
    fn unique_id(pid: Pid) -> Result<u64>;
    /// `getpgid(2)` or `getsid(2)`.
    fn process_id(pid: Pid, which: IdCall) -> Result<Pid>;
    /// `proc_pidinfo(pid, PROC_PIDLISTFDS, 0, buf, len)`: the bytes of `proc_fdinfo`
    /// records copied into `buf`; with `None` (a NULL buffer), the bytes the kernel says
    /// a list needs. Zombies are ESRCH (`NoSuchProcess`).
    fn list_fds(pid: Pid, buf: Option<&mut [u8]>) -> Result<usize>;
    /// `proc_pidinfo(pid, PROC_PIDTASKINFO, ..)`, decoded. Zombies are ESRCH.
    fn task_info(pid: Pid) -> Result<TaskInfo>;
    /// The machine's `mach_timebase_info`.
    fn timebase() -> Timebase;
}

/// What a `Process` handle holds on macOS to tell its process from a later one with
/// the same pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacPin {
    /// The process's `p_starttime`, which every `kinfo_proc` record read through the
    /// handle must carry.
    pub start: StartTime,
    /// The process's `p_uniqueid`; `None` where `proc_pidinfo` refused it (a sandbox),
    /// and the start time alone then decides.
    pub unique_id: Option<u64>,
}

/// The macOS backend over the kernel `K` (on macOS, `MacOs` is it over the real calls).
#[derive(Debug)]
pub struct Darwin<K>(Infallible, PhantomData<K>);

/// Whether `record` (read by pid, or kept by a oneshot) is the pinned process's.
///
/// It is when it carries the pin's start time: `p_start` is stored once, at fork, and
/// a later process with the pid was forked after this one was reaped, so its start
/// differs unless the wall clock was set back to the very microsecond. The record has
/// no unique id to compare, so this holds for every pin, an id pin included (whose start
/// time was read while the id stood for the pid).
fn belongs(target: Target<'_, MacPin>, record: &Kinfo) -> Result<()> {
    match target.pin() {
        Some(pin) if record.pid != target.pid().as_raw() || !pin.start.matches(record.start, 0) => {
            Err(Error::NoSuchProcess { pid: target.pid() })
        }
        _ => Ok(()),
    }
}

/// After a call by pid through a handle: whether the pinned process is still there,
/// so that the call reached it. A zombie still is, until reaped.
fn still_pinned<K: Kernel>(target: Target<'_, MacPin>) -> Result<()> {
    let Some(pin) = target.pin() else {
        return Ok(());
    };
    let pid = target.pid();
    if let Some(id) = pin.unique_id {
        match K::unique_id(pid) {
            Ok(now) if now == id => return Ok(()),
            Ok(_) | Err(Error::NoSuchProcess { .. }) => return Err(Error::NoSuchProcess { pid }),
            // Answered when pinned, refused now: the start time decides.
            Err(_) => {}
        }
    }
    belongs(target, &K::kinfo(pid)?)
}

/// `pid`'s `kinfo_proc` read now. Through a handle a refusal is believed only once the
/// pin holds: a refusal about a newcomer is `NoSuchProcess`.
fn fresh<K: Kernel>(target: Target<'_, MacPin>) -> Result<Kinfo> {
    K::kinfo(target.pid()).map_err(|e| match e {
        Error::NoSuchProcess { .. } => e,
        e => match still_pinned::<K>(target) {
            Err(gone @ Error::NoSuchProcess { .. }) => gone,
            _ => e,
        },
    })
}

/// `pick` from `target`'s `kinfo_proc`: the oneshot's (as a scan seeded it, or read
/// once), or a fresh one; through a handle, only a record of the pinned process.
fn with_kinfo<K: Kernel, R>(
    target: Target<'_, MacPin>,
    pick: impl Fn(&Kinfo) -> Result<R>,
) -> Result<R> {
    oneshot::cached_or_fresh(
        target.pid(),
        || fresh::<K>(target),
        |record| {
            belongs(target, record)?;
            pick(record)
        },
    )
}

/// `getpgid(2)` or `getsid(2)`, whose answer or error is believed only once the pin
/// has been checked after it; on ESRCH, the `kinfo_proc` ([`decode::process_id`]).
fn process_id<K: Kernel>(target: Target<'_, MacPin>, which: IdCall) -> Result<Pid> {
    let called = K::process_id(target.pid(), which);
    still_pinned::<K>(target)?;
    decode::process_id(target.pid(), which, called, || {
        with_kinfo::<K, _>(target, |k| Ok(k.clone()))
    })
}

/// A read by pid that a oneshot keeps, with the pin it was checked against (`None`: read
/// for a bare pid).
struct ByPid<T> {
    value: T,
    pin: Option<MacPin>,
}

/// `read` of `target`'s pid, the answer (or refusal) believed through a handle only once
/// the pin holds after it. Inside a oneshot the answer is kept: a bare pid is served any
/// kept answer, a handle only one read through the same pin.
///
/// `proc_pidinfo` finds no zombie for the flavors read this way: its ESRCH is told
/// apart from a gone process by a fresh `kinfo_proc` ([`decode::proc_find_refusal`]).
fn by_pid<K: Kernel, T: Clone + 'static>(
    target: Target<'_, MacPin>,
    read: impl FnOnce(Pid) -> Result<T>,
) -> Result<T> {
    let pid = target.pid();
    let kept = oneshot::peek(pid, |kept: &ByPid<T>| {
        (target.pin().is_none() || kept.pin.as_ref() == target.pin()).then(|| kept.value.clone())
    });
    if let Some(Some(value)) = kept {
        return Ok(value);
    }
    let value = match read(pid) {
        Ok(value) => {
            still_pinned::<K>(target)?;
            value
        }
        Err(Error::NoSuchProcess { .. }) => {
            let record = fresh::<K>(target).and_then(|k| belongs(target, &k).map(|()| k));
            return Err(decode::proc_find_refusal(pid, record));
        }
        Err(e) => {
            return Err(match still_pinned::<K>(target) {
                Err(gone @ Error::NoSuchProcess { .. }) => gone,
                _ => e,
            })
        }
    };
    oneshot::seed(
        pid,
        ByPid {
            value: value.clone(),
            pin: target.pin().copied(),
        },
    );
    Ok(value)
}

/// The open descriptors: a first read into room for [`FDS_FIRST_READ`] on the stack;
/// when that comes back full, the size the kernel asks for (at least twice the room
/// tried), again while the list outgrows it.
fn open_files<K: Kernel>(pid: Pid) -> Result<OpenFiles> {
    let decoded = |buf: &[u8], copied: usize| {
        let reply = buf
            .get(..copied)
            .ok_or(decode::DecodeError::RaggedFdList(copied));
        reply
            .and_then(|reply| decode::fd_list(reply, buf.len()))
            .map_err(|e| Error::invalid_data(pid, e))
    };
    let mut first = [0u8; FDS_FIRST_READ * FDINFO_SIZE];
    let copied = K::list_fds(pid, Some(&mut first))?;
    if let Some(files) = decoded(&first, copied)? {
        return Ok(files);
    }
    let mut room = FDS_FIRST_READ;
    let mut buf = Vec::new();
    for _ in 0..8 {
        room = decode::fd_room(K::list_fds(pid, None)?, room);
        buf.resize(room * FDINFO_SIZE, 0);
        let copied = K::list_fds(pid, Some(&mut buf))?;
        if let Some(files) = decoded(&buf, copied)? {
            return Ok(files);
        }
    }
    Err(Error::invalid_data(
        pid,
        "the descriptor list outgrew every buffer",
    ))
}

impl<K: Kernel> Backend for Darwin<K> {
    type Pin = MacPin;

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask | Attr::Rlimits)
    }

    fn pids() -> Result<Vec<Pid>> {
        Ok(K::table()?.iter().map(|k| Pid::from(k.pid)).collect())
    }

    /// One table read; each process's oneshot is seeded with its record, so only the
    /// session (`getsid(2)`, which `kinfo_proc` lacks) costs a call per process.
    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
        let records = K::table()?;
        scan_seeded::<Self, Kinfo>(records.into_iter().map(|k| (Pid::from(k.pid), k)), attrs)
    }

    /// The unique id, read on both sides of the `kinfo_proc` that gives the start time:
    /// the same id both times means the pid named one process throughout, so the start
    /// time is that process's. A process that exits meanwhile is `NoSuchProcess`.
    ///
    /// `proc_pidinfo` (`bsd/kern/proc_info.c`) serves this flavor without the same-user
    /// check (`NO_CHECK_SAME_USER`), only the MAC policy's (`proc_security_policy`),
    /// and with a non-zero `arg` finds a zombie (`proc_find_zombref`): it is refused only
    /// by a sandbox, and then the start time alone pins.
    fn pin(pid: Pid) -> Result<MacPin> {
        let before = K::unique_id(pid);
        if let Err(Error::NoSuchProcess { .. }) = before {
            return Err(Error::NoSuchProcess { pid });
        }
        let start = K::kinfo(pid)?.start;
        let unique_id = match before {
            Ok(id) => match K::unique_id(pid) {
                Ok(after) if after == id => Some(id),
                Ok(_) | Err(Error::NoSuchProcess { .. }) => {
                    return Err(Error::NoSuchProcess { pid })
                }
                Err(_) => None,
            },
            Err(_) => None,
        };
        Ok(MacPin { start, unique_id })
    }

    fn is_running(target: Target<'_, MacPin>) -> Result<bool> {
        let alive = match target.pin() {
            Some(_) => still_pinned::<K>(target),
            None => K::kinfo(target.pid()).map(drop),
        };
        match alive {
            Ok(()) => Ok(true),
            Err(Error::NoSuchProcess { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn comm(target: Target<'_, MacPin>) -> Result<String> {
        with_kinfo::<K, _>(target, |k| Ok(k.comm.clone()))
    }

    fn groups(target: Target<'_, MacPin>) -> Result<Vec<u32>> {
        with_kinfo::<K, _>(target, |k| Ok(k.groups.clone()))
    }

    fn sigmasks(target: Target<'_, MacPin>) -> Result<SignalMasks> {
        with_kinfo::<K, _>(target, |k| k.sigmasks(target.pid()))
    }

    /// `e_pgid` inside a oneshot, as psutil-extra takes it; `getpgid(2)` outside.
    fn pgid(target: Target<'_, MacPin>) -> Result<Pid> {
        if oneshot::is_active(target.pid()) {
            return with_kinfo::<K, _>(target, |k| Ok(Pid::from(k.pgid)));
        }
        process_id::<K>(target, IdCall::ProcessGroup)
    }

    fn sid(target: Target<'_, MacPin>) -> Result<Pid> {
        process_id::<K>(target, IdCall::Session)
    }

    /// `PROC_PIDLISTFDS`: the count, and the highest number, of the open descriptors.
    fn open_files(target: Target<'_, MacPin>) -> Result<OpenFiles> {
        by_pid::<K, _>(target, open_files::<K>)
    }

    /// `PROC_PIDTASKINFO`, read once per oneshot: AS and DATA the map size, RSS the
    /// resident bytes, CPU whole seconds; the rest `Unsupported`.
    fn usage(target: Target<'_, MacPin>, resource: Resource) -> Result<u64> {
        let unsupported = Error::Unsupported {
            what: "resource usage",
        };
        let pick: fn(&TaskInfo) -> Option<u64> = match resource {
            Resource::As | Resource::Data => |t| Some(t.virtual_size),
            Resource::Rss => |t| Some(t.resident_size),
            Resource::Cpu => |t| t.cpu_seconds(K::timebase()),
            _ => return Err(unsupported),
        };
        let task = by_pid::<K, _>(target, K::task_info)?;
        pick(&task).ok_or_else(|| Error::invalid_data(target.pid(), "a Mach timebase of 0"))
    }

    /// The real uid from the `kinfo_proc` (a scan's, for free), and 1: `fork1`
    /// (`bsd/kern/kern_fork.c`) counts processes per real uid with `chgproccnt`, and
    /// `reap_child_locked` (`bsd/kern/kern_exit.c`) uncounts them, so a zombie counts
    /// until reaped.
    fn nproc_share(target: Target<'_, MacPin>) -> Result<NprocShare> {
        with_kinfo::<K, _>(target, |k| {
            Ok(NprocShare {
                ruid: k.ruid,
                count: 1,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psx_core::Pinned;
    use psx_core::{OneshotGuard, SigSet};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// One process of the fake kernel.
    #[derive(Clone)]
    struct Proc {
        kinfo: Kinfo,
        unique_id: u64,
        sid: i32,
        /// Its `kinfo_proc` is refused (a sandbox's MAC policy).
        kinfo_refused: bool,
        /// Another user's: `proc_pidinfo`'s same-user check refuses the task figures and
        /// the descriptor list (EPERM).
        other_user: bool,
        /// Its open descriptors, ascending, as `fdt_next` walks them.
        fds: Vec<i32>,
        /// `fd_nfiles`: the slots of its descriptor table.
        nfiles: usize,
        task: TaskInfo,
    }

    /// What the fake kernel was asked, call by call.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    struct Calls {
        kinfo: u32,
        table: u32,
        unique_id: u32,
        process_id: u32,
        list_fds: u32,
        task_info: u32,
    }

    impl Calls {
        fn total(self) -> u32 {
            self.kinfo
                + self.table
                + self.unique_id
                + self.process_id
                + self.list_fds
                + self.task_info
        }
    }

    type Hook = fn(&mut State);

    #[derive(Default)]
    struct State {
        procs: BTreeMap<i32, Proc>,
        /// `proc_pidinfo` refuses every unique id (a sandbox).
        unique_ids_refused: bool,
        calls: Calls,
        /// Runs just before call number `.0` (counting from 1) reaches the kernel.
        hook: Option<(u32, Hook)>,
    }

    thread_local! {
        static STATE: RefCell<State> = RefCell::new(State::default());
    }

    /// A kernel as `bsd/kern` answers: zombies and exiting processes listed and given a
    /// unique id, but not found by `getpgid`/`getsid` (`proc_find`: ESRCH).
    #[derive(Debug)]
    enum Fake {}

    type Mac = Darwin<Fake>;

    fn call<R>(count: fn(&mut Calls), answer: impl FnOnce(&State) -> R) -> R {
        STATE.with_borrow_mut(|s| {
            count(&mut s.calls);
            if let Some((at, hook)) = s.hook {
                if s.calls.total() == at {
                    s.hook = None;
                    hook(s);
                }
            }
            answer(s)
        })
    }

    fn find(s: &State, pid: Pid) -> Result<&Proc> {
        s.procs
            .get(&pid.as_raw())
            .ok_or(Error::NoSuchProcess { pid })
    }

    impl Kernel for Fake {
        fn kinfo(pid: Pid) -> Result<Kinfo> {
            call(
                |c| c.kinfo += 1,
                |s| match find(s, pid)? {
                    p if p.kinfo_refused => Err(Error::access_denied(pid)),
                    p => Ok(p.kinfo.clone()),
                },
            )
        }

        fn table() -> Result<Vec<Kinfo>> {
            call(
                |c| c.table += 1,
                |s| Ok(s.procs.values().map(|p| p.kinfo.clone()).collect()),
            )
        }

        fn unique_id(pid: Pid) -> Result<u64> {
            call(
                |c| c.unique_id += 1,
                |s| match s.unique_ids_refused {
                    true => Err(Error::access_denied(pid)),
                    false => find(s, pid).map(|p| p.unique_id),
                },
            )
        }

        fn process_id(pid: Pid, which: IdCall) -> Result<Pid> {
            call(
                |c| c.process_id += 1,
                |s| match find(s, pid)? {
                    p if p.kinfo.exiting => Err(Error::NoSuchProcess { pid }),
                    p => Ok(Pid::from(match which {
                        IdCall::ProcessGroup => p.kinfo.pgid,
                        IdCall::Session => p.sid,
                    })),
                },
            )
        }

        /// As `proc_pidinfo` and `proc_pidfdlist` (`bsd/kern/proc_info.c`) answer:
        /// `proc_find` (no zombies), the same-user check, then the records that fit, or
        /// for a NULL buffer `(fd_nfiles + 20)` records' worth.
        fn list_fds(pid: Pid, buf: Option<&mut [u8]>) -> Result<usize> {
            call(
                |c| c.list_fds += 1,
                |s| {
                    let p = pidinfo_find(s, pid)?;
                    let Some(buf) = buf else {
                        return Ok((p.nfiles + 20) * 8);
                    };
                    let fit = p.fds.len().min(buf.len() / 8);
                    for (i, fd) in p.fds[..fit].iter().enumerate() {
                        // struct proc_fdinfo: proc_fd at 0, proc_fdtype at 4 (1: vnode).
                        buf[8 * i..8 * i + 4].copy_from_slice(&fd.to_ne_bytes());
                        buf[8 * i + 4..8 * i + 8].copy_from_slice(&1u32.to_ne_bytes());
                    }
                    Ok(fit * 8)
                },
            )
        }

        fn task_info(pid: Pid) -> Result<TaskInfo> {
            call(
                |c| c.task_info += 1,
                |s| pidinfo_find(s, pid).map(|p| p.task),
            )
        }

        /// Apple silicon's: 125/3 nanoseconds a tick.
        fn timebase() -> Timebase {
            Timebase {
                numer: 125,
                denom: 3,
            }
        }
    }

    /// `proc_find` then `proc_security_policy` with the same-user check.
    fn pidinfo_find(s: &State, pid: Pid) -> Result<&Proc> {
        match find(s, pid)? {
            p if p.kinfo.exiting => Err(Error::NoSuchProcess { pid }),
            p if p.other_user => Err(Error::access_denied(pid)),
            p => Ok(p),
        }
    }

    /// A process `pid`, started at second `start`, with unique id `id`; its name,
    /// groups, group and session tell one process from another.
    fn proc(pid: i32, start: i64, id: u64) -> Proc {
        Proc {
            kinfo: Kinfo {
                pid,
                start: StartTime {
                    sec: start,
                    usec: 250,
                },
                comm: format!("p{id}"),
                pgid: pid - 1,
                ruid: 501,
                groups: vec![20, id as u32],
                exiting: false,
                ignored: SigSet::from_words(&[1 << 12]),
                caught: SigSet::from_words(&[1 << 1]),
            },
            unique_id: id,
            sid: pid - 2,
            kinfo_refused: false,
            other_user: false,
            fds: vec![0, 1, 2, id as i32 + 3],
            nfiles: 20,
            task: TaskInfo {
                virtual_size: id << 32,
                resident_size: id << 20,
                total_user: 0,
                total_system: 0,
            },
        }
    }

    /// A fresh kernel holding `procs`.
    fn boot(procs: impl IntoIterator<Item = Proc>) {
        STATE.set(State {
            procs: procs.into_iter().map(|p| (p.kinfo.pid, p)).collect(),
            ..State::default()
        });
    }

    fn calls() -> Calls {
        STATE.with_borrow(|s| s.calls)
    }

    /// `pid` exits, is reaped, and a later process (`start`, `id`) gets its number.
    fn reuse(pid: i32, start: i64, id: u64) {
        STATE.with_borrow_mut(|s| s.procs.insert(pid, proc(pid, start, id)));
    }

    fn pinned(pin: &Pinned<MacPin>, pid: i32) -> Target<'_, MacPin> {
        assert_eq!(pin.pid(), Pid::from(pid));
        pin.target()
    }

    fn gone<T: std::fmt::Debug>(result: Result<T>) -> bool {
        matches!(result, Err(Error::NoSuchProcess { .. }))
    }

    #[test]
    fn a_scan_reads_the_table_once_whatever_the_number_of_processes() {
        for n in [3, 60] {
            boot((0..n).map(|i| proc(1000 - i, 1_700_000_000 + i64::from(i), i as u64)));
            let infos = Mac::scan(Attr::ALL).unwrap();
            assert_eq!(infos.len(), n as usize);
            // The record's attributes came from the table; the session, the descriptor
            // list and the task figures (which kinfo_proc lacks) are one call each per
            // process, the task's serving AS, DATA, RSS and CPU alike; umask and limits
            // cost nothing.
            let want = Calls {
                table: 1,
                process_id: n as u32,
                list_fds: n as u32,
                task_info: n as u32,
                ..Calls::default()
            };
            assert_eq!(calls(), want, "{n} processes");
            let first = &infos[0];
            assert_eq!(first.pid, Pid::from(1001 - n));
            let id = n - 1;
            assert_eq!(first.comm.as_deref(), Some(format!("p{id}").as_str()));
            assert_eq!(first.groups, Some(vec![20, id as u32]));
            assert_eq!(first.pgid, Some(Pid::from(1000 - n)));
            assert_eq!(first.sid, Some(Pid::from(999 - n)));
            assert!(first.sigmasks.is_some());
            assert_eq!((first.umask, first.rlimits.as_ref()), (None, None));
            let usage = first.usage.as_ref().unwrap();
            let id = id as u64;
            let want = [
                (Resource::Cpu, 0),
                (Resource::Data, id << 32),
                (Resource::Rss, id << 20),
                (Resource::Nproc, n as u64),
                (Resource::Nofile, 4),
                (Resource::As, id << 32),
            ];
            assert_eq!(usage.used, want.into_iter().collect());
            assert_eq!(usage.highest_fd, Some(id + 3));

            let pids = Mac::pids().unwrap();
            assert_eq!(pids.len(), n as usize);
            assert!(pids.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(calls().table, 2);
        }
    }

    #[test]
    fn a_reused_pid_reads_as_no_such_process_through_a_handle() {
        boot([proc(500, 100, 7)]);
        let pin = Pinned::new::<Mac>(Pid::from(500)).unwrap();
        assert_eq!(pin.pin().unique_id, Some(7));
        let handle = pinned(&pin, 500);
        assert_eq!(Mac::comm(handle).unwrap(), "p7");
        assert_eq!(Mac::sid(handle).unwrap(), Pid::from(498));
        assert!(Mac::is_running(handle).unwrap());

        reuse(500, 200, 8);
        assert!(gone(Mac::comm(handle)));
        assert!(gone(Mac::groups(handle)));
        assert!(gone(Mac::sigmasks(handle)));
        assert!(gone(Mac::pgid(handle)));
        assert!(gone(Mac::sid(handle)));
        assert!(!Mac::is_running(handle).unwrap());
        // By pid, the newcomer.
        assert_eq!(Mac::comm(Target::new(500).unwrap()).unwrap(), "p8");
        // A oneshot holding the newcomer's record (read by pid) serves no handle.
        let _oneshot = OneshotGuard::enter(Pid::from(500));
        assert!(Mac::groups(Target::new(500).unwrap()).is_ok());
        let before = calls();
        assert!(gone(Mac::groups(handle)));
        assert!(gone(Mac::pgid(handle)));
        assert_eq!(calls(), before, "served from the oneshot, and refused");
    }

    #[test]
    fn a_pin_without_the_unique_id_falls_back_to_the_start_time() {
        boot([proc(600, 100, 9)]);
        STATE.with_borrow_mut(|s| s.unique_ids_refused = true);
        let pin = Pinned::new::<Mac>(Pid::from(600)).unwrap();
        assert_eq!(pin.pin().unique_id, None);
        let handle = pinned(&pin, 600);
        assert_eq!(Mac::groups(handle).unwrap(), vec![20, 9]);
        assert_eq!(Mac::sid(handle).unwrap(), Pid::from(598));
        assert!(Mac::is_running(handle).unwrap());
        reuse(600, 101, 10);
        assert!(gone(Mac::groups(handle)));
        assert!(gone(Mac::sid(handle)));
        assert!(!Mac::is_running(handle).unwrap());
    }

    #[test]
    fn a_call_by_pid_is_believed_only_after_the_pin_holds() {
        // The pid is reused just before getsid reaches the kernel: its answer is the
        // newcomer's session.
        boot([proc(700, 100, 11)]);
        let pin = Pinned::new::<Mac>(Pid::from(700)).unwrap();
        let at = calls().total() + 1;
        STATE.with_borrow_mut(|s| s.hook = Some((at, |s| reuse_in(s, 700))));
        assert!(gone(Mac::sid(pinned(&pin, 700))));

        // The newcomer refuses: its refusal is not the pinned process's.
        boot([proc(700, 100, 11)]);
        let pin = Pinned::new::<Mac>(Pid::from(700)).unwrap();
        STATE.with_borrow_mut(|s| {
            reuse_in(s, 700);
            s.procs.get_mut(&700).unwrap().kinfo_refused = true;
        });
        assert!(gone(Mac::groups(pinned(&pin, 700))));
        assert!(gone(Mac::pgid(pinned(&pin, 700))));
        // By pid, the refusal stands.
        let by_pid = Mac::groups(Target::new(700).unwrap());
        assert!(matches!(by_pid, Err(Error::AccessDenied { .. })));
    }

    fn reuse_in(s: &mut State, pid: i32) {
        s.procs.insert(pid, proc(pid, 300, 12));
    }

    #[test]
    fn pinning_a_pid_reused_meanwhile_is_no_such_process() {
        boot([proc(800, 100, 13)]);
        // Between the first unique id and the kinfo_proc.
        STATE.with_borrow_mut(|s| s.hook = Some((2, |s| reuse_in(s, 800))));
        assert!(gone(Mac::pin(Pid::from(800))));
        // Undisturbed, the pin is the process's.
        boot([proc(800, 100, 13)]);
        let pin = Pinned::new::<Mac>(Pid::from(800)).unwrap();
        assert_eq!(pin.pin().unique_id, Some(13));
        assert_eq!(pin.pin().start.sec, 100);
    }

    #[test]
    fn a_handle_to_a_zombie_reads_what_it_kept_until_reaped() {
        let mut zombie = proc(900, 100, 14);
        zombie.kinfo.exiting = true;
        boot([zombie]);
        let pin = Pinned::new::<Mac>(Pid::from(900)).unwrap();
        let handle = pinned(&pin, 900);
        assert!(Mac::is_running(handle).unwrap());
        assert_eq!(Mac::comm(handle).unwrap(), "p14");
        assert_eq!(Mac::groups(handle).unwrap(), vec![20, 14]);
        assert_eq!(Mac::pgid(handle).unwrap(), Pid::from(899));
        assert!(matches!(Mac::sid(handle), Err(Error::Zombie { .. })));
        assert!(matches!(Mac::sigmasks(handle), Err(Error::Zombie { .. })));
        // Reaped, and the pid given to a newcomer.
        reuse(900, 200, 15);
        assert!(!Mac::is_running(handle).unwrap());
        assert!(gone(Mac::pgid(handle)));
        assert!(gone(Mac::groups(handle)));
    }

    /// `(resource, used)` pairs, and the highest descriptor.
    type Used = (Vec<(Resource, u64)>, Option<u64>);

    /// `psx_core::usage` of `target`.
    fn usage_of(target: Target<'_, MacPin>) -> Result<Used> {
        psx_core::usage::<Mac>(target).map(|u| (u.used.into_iter().collect(), u.highest_fd))
    }

    #[test]
    fn usage_reads_the_task_once_and_converts_mach_time() {
        let mut p = proc(400, 100, 3);
        // Apple silicon's 24 MHz ticks: 3 s of user time, and a tick short of 2 s of
        // system time (not whole seconds in nanoseconds: 125/3 each).
        p.task = TaskInfo {
            virtual_size: 0x1_2345_6000,
            resident_size: 7 << 20,
            total_user: 72_000_000,
            total_system: 48_000_000 - 1,
        };
        boot([p]);
        let by_pid = Target::new(Pid::from(400)).unwrap();
        // In a oneshot, as `psx::proc_usage` and a scan read it.
        let oneshot = OneshotGuard::enter(Pid::from(400));
        let (used, highest) = usage_of(by_pid).unwrap();
        assert_eq!(
            used,
            [
                (Resource::Cpu, 4),
                (Resource::Data, 0x1_2345_6000),
                (Resource::Rss, 7 << 20),
                (Resource::Nofile, 4),
                (Resource::As, 0x1_2345_6000),
            ]
        );
        assert_eq!(highest, Some(6));
        // One task read for four resources, and one descriptor read (room for 256 on
        // the stack).
        assert_eq!((calls().task_info, calls().list_fds), (1, 1));
        for unsupported in [
            Resource::Stack,
            Resource::Memlock,
            Resource::Nice,
            Resource::Rtprio,
        ] {
            let got = Mac::usage(by_pid, unsupported);
            assert!(
                matches!(got, Err(Error::Unsupported { .. })),
                "{unsupported}"
            );
        }
        assert_eq!(calls().task_info, 1, "nothing read for what is unsupported");
        drop(oneshot);
        // Outside a oneshot every call reads.
        Mac::usage(by_pid, Resource::Rss).unwrap();
        Mac::usage(by_pid, Resource::As).unwrap();
        assert_eq!(calls().task_info, 3);
    }

    #[test]
    fn descriptors_beyond_the_first_read_are_counted() {
        // 300 descriptors and one at 1000: the first read (256) comes back full; the
        // kernel then asks for fd_nfiles + 20 = 1044 records, and the list fits.
        let mut p = proc(410, 100, 4);
        p.fds = (0..300).chain([1000]).collect();
        p.nfiles = 1024;
        boot([p]);
        let files = Mac::open_files(Target::new(Pid::from(410)).unwrap()).unwrap();
        assert_eq!((files.count, files.highest), (301, Some(1000)));
        assert_eq!(calls().list_fds, 3, "full, sized, read");

        // The table grows past the sized buffer just before it is read: sized and
        // read again.
        boot([proc(410, 100, 4)]);
        STATE.with_borrow_mut(|s| {
            let p = s.procs.get_mut(&410).unwrap();
            p.fds = (0..300).collect();
            p.nfiles = 512;
            s.hook = Some((3, |s| {
                let p = s.procs.get_mut(&410).unwrap();
                p.fds = (0..3000).collect();
                p.nfiles = 4096;
            }));
        });
        let files = Mac::open_files(Target::new(Pid::from(410)).unwrap()).unwrap();
        assert_eq!((files.count, files.highest), (3000, Some(2999)));
        assert_eq!(calls().list_fds, 5);

        // None open: a reply of no bytes, not an error.
        let mut none = proc(411, 100, 5);
        none.fds.clear();
        boot([none]);
        let files = Mac::open_files(Target::new(Pid::from(411)).unwrap()).unwrap();
        assert_eq!((files.count, files.highest), (0, None));
    }

    #[test]
    fn another_users_process_has_no_usage_but_counts_for_nproc() {
        let mut p = proc(420, 100, 6);
        p.other_user = true;
        boot([p]);
        let by_pid = Target::new(Pid::from(420)).unwrap();
        assert!(matches!(
            Mac::open_files(by_pid),
            Err(Error::AccessDenied { .. })
        ));
        assert!(matches!(
            Mac::usage(by_pid, Resource::Cpu),
            Err(Error::AccessDenied { .. })
        ));
        assert!(matches!(usage_of(by_pid), Err(Error::AccessDenied { .. })));
        let share = Mac::nproc_share(by_pid).unwrap();
        assert_eq!((share.ruid, share.count), (501, 1));
    }

    #[test]
    fn a_zombies_usage_is_zombie_and_it_still_counts_for_nproc() {
        let mut zombie = proc(430, 100, 8);
        zombie.kinfo.exiting = true;
        boot([zombie]);
        for pinned_too in [false, true] {
            let pin = Pinned::new::<Mac>(Pid::from(430)).unwrap();
            let target = match pinned_too {
                true => pinned(&pin, 430),
                false => Target::new(Pid::from(430)).unwrap(),
            };
            assert!(matches!(Mac::open_files(target), Err(Error::Zombie { .. })));
            assert!(matches!(
                Mac::usage(target, Resource::As),
                Err(Error::Zombie { .. })
            ));
            assert!(matches!(usage_of(target), Err(Error::Zombie { .. })));
            assert_eq!(Mac::nproc_share(target).unwrap().count, 1);
        }
        // Gone altogether: ESRCH, and no kinfo_proc either.
        boot([]);
        let gone_pid = Target::new(Pid::from(430)).unwrap();
        assert!(gone(Mac::open_files(gone_pid)));
        assert!(gone(Mac::usage(gone_pid, Resource::Rss)));
    }

    #[test]
    fn usage_through_a_handle_is_never_a_later_process() {
        boot([proc(440, 100, 20)]);
        let pin = Pinned::new::<Mac>(Pid::from(440)).unwrap();
        let handle = pinned(&pin, 440);
        assert_eq!(Mac::usage(handle, Resource::As).unwrap(), 20 << 32);
        assert_eq!(Mac::open_files(handle).unwrap().highest, Some(23));

        // Reaped, and the pid given to a newcomer (unique id 21).
        reuse(440, 200, 21);
        assert!(gone(Mac::usage(handle, Resource::As)));
        assert!(gone(Mac::open_files(handle)));
        assert!(gone(Mac::nproc_share(handle)));
        assert!(gone(usage_of(handle)));
        // By pid, the newcomer's.
        let by_pid = Target::new(Pid::from(440)).unwrap();
        assert_eq!(Mac::usage(by_pid, Resource::As).unwrap(), 21 << 32);

        // A oneshot holding the newcomer's figures (read by pid) serves no handle.
        let _oneshot = OneshotGuard::enter(Pid::from(440));
        assert_eq!(Mac::usage(by_pid, Resource::Rss).unwrap(), 21 << 20);
        assert!(gone(Mac::usage(handle, Resource::Rss)));
        assert!(gone(Mac::open_files(handle)));
    }

    #[test]
    fn usage_read_as_the_pid_is_reused_is_no_such_process() {
        // The pid is reused just before the task read reaches the kernel: the figures
        // are the newcomer's, and the pin check after the read says so.
        boot([proc(450, 100, 30)]);
        let pin = Pinned::new::<Mac>(Pid::from(450)).unwrap();
        let at = calls().total() + 1;
        STATE.with_borrow_mut(|s| s.hook = Some((at, |s| reuse_in(s, 450))));
        assert!(gone(Mac::usage(pinned(&pin, 450), Resource::As)));

        // The newcomer is another user's: its refusal is not the pinned process's.
        boot([proc(450, 100, 30)]);
        let pin = Pinned::new::<Mac>(Pid::from(450)).unwrap();
        STATE.with_borrow_mut(|s| {
            reuse_in(s, 450);
            s.procs.get_mut(&450).unwrap().other_user = true;
        });
        assert!(gone(Mac::usage(pinned(&pin, 450), Resource::Cpu)));
        assert!(gone(Mac::open_files(pinned(&pin, 450))));
        let by_pid = Mac::open_files(Target::new(Pid::from(450)).unwrap());
        assert!(matches!(by_pid, Err(Error::AccessDenied { .. })));

        // Reaped and reused between the ESRCH of a zombie and the kinfo_proc read
        // after it: the newcomer's record is not the pinned process's.
        let mut zombie = proc(450, 100, 30);
        zombie.kinfo.exiting = true;
        boot([zombie]);
        let pin = Pinned::new::<Mac>(Pid::from(450)).unwrap();
        // The newcomer is exiting too: its record says zombie, but not for this pin.
        let at = calls().total() + 2;
        STATE.with_borrow_mut(|s| {
            s.hook = Some((at, |s| {
                reuse_in(s, 450);
                s.procs.get_mut(&450).unwrap().kinfo.exiting = true;
            }))
        });
        assert!(gone(Mac::open_files(pinned(&pin, 450))));
    }
}
