//! The race storm: children start and exit as fast as we can reap them while other
//! threads call every psx function on them, through pids and through `Process` handles,
//! and on every pid of the machine. Bounded in time and count.
//!
//! Each child runs with its own umask and its own core-file limit, so a handle that read
//! another process (a reused pid) would be caught returning the wrong one, and a limit
//! set through a stale handle that landed on the newcomer would show up in the
//! newcomer's limit. With CAP_SYS_ADMIN the storm steers new children onto pids just
//! freed (`ns_last_pid`), so reuse happens hundreds of times a run.
//!
//! Limits are set only through handles: a set by bare pid may rightly reach whatever
//! process has the pid now, which would spoil the check.
//!
//! What is asserted is what README's Guarantees promise, no more: a read through a
//! handle never returns another process's data. A set through a handle has one
//! documented window (the pinned process reaped and its pid reused between the check
//! and `prlimit`), in which the newcomer's limit changes and the set reports
//! `NoSuchProcess`. A newcomer whose limit changed that way then reads the stale
//! handle's lowered tag through its own handle, truly its own limit: such reads are
//! counted and printed, not failed. Tags fall as children are spawned, so a stray set
//! can never leave the test process unable to give a later child its tag.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use psx::{Error, Limit, Process, RLimit, Resource};

const DURATION: Duration = Duration::from_secs(3);
const MAX_CHILDREN: usize = 2000;
/// Child `i` starts with its core limit at `CORE_TAG_BASE + 2 * (MAX_CHILDREN - i) + 1`
/// (soft and hard, odd, falling with `i`); a set through its handle lowers it by one.
/// Any other value read through its handle is another process's, or the lowered tag of
/// a stray set in the documented window.
const CORE_TAG_BASE: u64 = 1 << 30;
/// Every attribute but the usage: on Linux one status read and the limits, without the
/// usage's descriptor listing and calls by pid.
fn without_usage() -> Vec<psx::Attr> {
    psx::Attr::ALL
        .iter()
        .copied()
        .filter(|&a| a != psx::Attr::Usage)
        .collect()
}

fn core_tag(i: usize) -> u64 {
    CORE_TAG_BASE + 2 * (MAX_CHILDREN - i) as u64 + 1
}

/// A live (or recently live) child: its pid, the umask and core limit it was started
/// with, its handle.
struct Child {
    pid: u32,
    umask: u32,
    core_tag: Option<u64>,
    handle: Arc<Process>,
}

#[derive(Default)]
struct Tally {
    calls: u64,
    ok: u64,
    errors: BTreeMap<&'static str, u64>,
    wrong_process: u64,
    unexpected: Vec<String>,
    /// Core limits read through a handle that were not its child's own tag: judged
    /// once every set has reported (see [`judge`]).
    foreign_core: Vec<(u64, String)>,
    /// The lowered tags of sets that reported `NoSuchProcess`: each may have landed on
    /// a process that took the pid in the documented window.
    stray_sets: Vec<u64>,
}

impl Tally {
    fn record<T>(&mut self, what: &str, result: &psx::Result<T>) {
        self.calls += 1;
        match result {
            Ok(_) => self.ok += 1,
            Err(e) => {
                let kind = match e {
                    Error::NoSuchProcess { .. } => "NoSuchProcess",
                    Error::AccessDenied { .. } => "AccessDenied",
                    // psutil's ZombieProcess: a kind of no-such-process.
                    Error::Zombie { .. } => "Zombie",
                    _ => {
                        self.unexpected.push(format!("{what}: {e:?}"));
                        "other"
                    }
                };
                *self.errors.entry(kind).or_default() += 1;
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.calls += other.calls;
        self.ok += other.ok;
        self.wrong_process += other.wrong_process;
        self.unexpected.extend(other.unexpected);
        self.foreign_core.extend(other.foreign_core);
        self.stray_sets.extend(other.stray_sets);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }
}

/// Every function, through the handle and through the bare pid.
fn hammer(child: &Child, tally: &mut Tally) {
    let h = &*child.handle;
    let wrong = |tally: &mut Tally, what: String| {
        tally.wrong_process += 1;
        tally
            .unexpected
            .push(format!("handle for {}: {what}", child.pid));
    };
    match h.umask() {
        Ok(mask) if mask != child.umask => wrong(
            tally,
            format!("read umask {mask:o}, its own is {:o}", child.umask),
        ),
        r => tally.record("handle umask", &r),
    }
    tally.record("handle groups", &h.groups());
    tally.record("handle sigmasks", &h.sigmasks());
    tally.record("handle pgid", &h.pgid());
    tally.record("handle sid", &h.sid());
    tally.record("handle getrlimit", &h.getrlimit(Resource::Nofile));
    // The core limit: the child's tag, or the tag lowered by one through this handle.
    let own_core = |l: RLimit| match child.core_tag {
        Some(tag) => [tag, tag - 1]
            .iter()
            .any(|&v| l == RLimit::new(Limit::Value(v), Limit::Value(v))),
        None => true,
    };
    let foreign = |tally: &mut Tally, l: RLimit, what: &str| {
        let value = match l.soft {
            Limit::Value(v) if l.soft == l.hard => v,
            _ => u64::MAX,
        };
        tally
            .foreign_core
            .push((value, format!("handle for {}: {what} {l:?}", child.pid)));
    };
    match h.getrlimit(Resource::Core) {
        Ok(l) if !own_core(l) => foreign(tally, l, "read core limit"),
        r => tally.record("handle core limit", &r),
    }
    // Lowering both core limits of our own child is always allowed.
    let lower = child.core_tag.map_or(0, |tag| tag - 1);
    let lowered = RLimit::new(Limit::Value(lower), Limit::Value(lower));
    match h.rlimit(Resource::Core, Some(lowered)) {
        Ok(old) if !own_core(old) => foreign(tally, old, "set over core limit"),
        r => {
            if matches!(r, Err(Error::NoSuchProcess { .. })) && child.core_tag.is_some() {
                tally.stray_sets.push(lower);
            }
            tally.record("handle rlimit set", &r)
        }
    }
    // Everything (a oneshot of per-attribute reads), and what the status holds with the
    // limits (on Linux one status read, moved into the info).
    for attrs in [psx::Attr::ALL, &without_usage()] {
        match h.info(attrs) {
            Ok(info) if info.umask.is_some_and(|m| m != child.umask) => {
                wrong(tally, format!("info read umask {:?}", info.umask))
            }
            Ok(info) => match info.rlimits.as_ref().and_then(|r| r.get(&Resource::Core)) {
                Some(&l) if !own_core(l) => foreign(tally, l, "info read core limit"),
                _ => tally.ok += 1,
            },
            r => tally.record("handle info", &r),
        }
    }

    let pid = child.pid;
    tally.record("umask", &psx::proc_get_umask(pid));
    tally.record("groups", &psx::proc_getgroups(pid));
    tally.record("sigmasks", &psx::proc_get_sigmask(pid));
    tally.record("pgid", &psx::proc_getpgid(pid));
    tally.record("sid", &psx::proc_getsid(pid));
    tally.record("getrlimit", &psx::proc_getrlimit(pid, Resource::Stack));
    let _oneshot = psx::oneshot_proc(pid);
    tally.record("oneshot umask", &psx::proc_get_umask(pid));
    tally.record("oneshot groups", &psx::proc_getgroups(pid));
    // The oneshot may now hold a newcomer's status, read by pid: the handle must not
    // serve it.
    match h.umask() {
        Ok(mask) if mask != child.umask => wrong(
            tally,
            format!(
                "read umask {mask:o} in a oneshot, its own is {:o}",
                child.umask
            ),
        ),
        r => tally.record("oneshot handle umask", &r),
    }
}

/// Every read, by pid and through a fresh handle, on every process of the machine.
fn sweep_machine(tally: &mut Tally) {
    for pid in psx::pids().expect("list processes") {
        tally.record("machine info", &psx::proc_info(pid, psx::Attr::ALL));
        tally.record("machine info", &psx::proc_info(pid, &without_usage()));
        tally.record("machine sigmasks", &psx::proc_get_sigmask(pid));
        let handle = Process::new(pid);
        tally.record("machine pin", &handle);
        if let Ok(h) = handle {
            tally.record("machine handle info", &h.info(psx::Attr::ALL));
            tally.record("machine handle umask", &h.umask());
            tally.record("machine handle groups", &h.groups());
            tally.record("machine handle getrlimit", &h.getrlimit(Resource::Nofile));
        }
    }
}

#[test]
fn race_storm() {
    let start = Instant::now();
    let live: Arc<Mutex<Vec<Child>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (live, stop) = (Arc::clone(&live), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                let mut round = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let batch: Vec<Child> = live
                        .lock()
                        .unwrap()
                        .iter()
                        .rev()
                        .take(8)
                        .map(|c| Child {
                            pid: c.pid,
                            umask: c.umask,
                            core_tag: c.core_tag,
                            handle: Arc::clone(&c.handle),
                        })
                        .collect();
                    for child in &batch {
                        hammer(child, &mut tally);
                    }
                    round += 1;
                    if round % 50 == 0 {
                        sweep_machine(&mut tally);
                    }
                    if batch.is_empty() {
                        std::thread::yield_now();
                    }
                }
                tally
            })
        })
        .collect();

    // Spawn short-lived children, each with its own umask, and reap them.
    let mut spawned = 0usize;
    let mut running: Vec<std::process::Child> = Vec::new();
    let mut reaped: Vec<u32> = Vec::new();
    let mut reused = 0usize;
    let mut spawn_failures: BTreeMap<String, u64> = BTreeMap::new();
    // With CAP_SYS_ADMIN, steer the next pid onto one just reaped, so handles to the old
    // process meet a new one under their pid (without it, pids wrap too slowly to see).
    let can_steer = std::fs::write("/proc/sys/kernel/ns_last_pid", b"300").is_ok();
    // Tag children by core limit only if ours leaves room for every tag.
    let core_hard = psx::proc_getrlimit(std::process::id(), Resource::Core)
        .unwrap()
        .hard;
    let tagging = core_hard >= Limit::Value(core_tag(0));
    if !tagging {
        println!("core hard limit {core_hard} too low to tag children: umask check only");
    }
    while start.elapsed() < DURATION && spawned < MAX_CHILDREN {
        let steered = if can_steer { reaped.pop() } else { None };
        if let Some(pid) = steered {
            let _ = std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string());
        }
        let umask = (spawned as u32 * 7 + 1) % 0o777;
        let core_tag = tagging.then(|| core_tag(spawned));
        let mut cmd = Command::new("sleep");
        cmd.arg("0.02");
        // SAFETY: umask and prlimit are async-signal-safe; the rlimit lives on the
        // closure's stack across the call.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(umask as libc::mode_t);
                if let Some(tag) = core_tag {
                    // prlimit64: 64-bit limits on 32-bit hosts too.
                    let l = libc::rlimit64 {
                        rlim_cur: tag,
                        rlim_max: tag,
                    };
                    if libc::prlimit64(0, libc::RLIMIT_CORE, &l, std::ptr::null_mut()) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        // A spawn can fail for reasons that are not psx's (no memory, a process limit):
        // counted, not failed.
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                *spawn_failures.entry(e.to_string()).or_default() += 1;
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        };
        // Not reaped yet, so the pid is still this child's: the handle pins it.
        let handle = Arc::new(Process::new(child.id()).expect("pin a fresh child"));
        reused += usize::from(steered == Some(child.id()));
        live.lock().unwrap().push(Child {
            pid: child.id(),
            umask,
            core_tag,
            handle,
        });
        running.push(child);
        spawned += 1;
        // Reap whatever has exited, so pids are freed for reuse.
        running.retain_mut(|c| {
            let exited = matches!(c.try_wait(), Ok(Some(_)));
            if exited {
                reaped.push(c.id());
            }
            !exited
        });
        let mut l = live.lock().unwrap();
        if l.len() > 64 {
            l.drain(..32);
        }
    }
    for mut c in running {
        let _ = c.wait();
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::default();
    for caller in callers {
        total.merge(caller.join().expect("a caller thread panicked"));
    }
    let in_window = judge(&mut total);
    println!(
        "race storm: {spawned} children ({reused} on a reused pid) in {:.1}s, {} calls, {} ok, errors {:?}, wrong-process reads {}, reads of a limit set in the documented window {in_window}, spawn failures {spawn_failures:?}",
        start.elapsed().as_secs_f64(),
        total.calls,
        total.ok,
        total.errors,
        total.wrong_process,
    );
    assert!(
        total.unexpected.is_empty(),
        "unexpected: {:#?}",
        &total.unexpected[..total.unexpected.len().min(20)]
    );
    assert_eq!(total.wrong_process, 0);
    assert!(
        spawned > 10 && total.calls > 100,
        "the storm was too small to mean anything"
    );
}

/// Sorts the foreign core limits read through handles, now that every set has
/// reported: the lowered tag of a set that reported `NoSuchProcess` is the documented
/// window (that set reached the process now holding the pid, whose own handle then
/// reads it); anything else is a read of another process. Returns the window's count.
fn judge(total: &mut Tally) -> usize {
    let strays: std::collections::BTreeSet<u64> = total.stray_sets.iter().copied().collect();
    let mut in_window = 0;
    for (value, what) in std::mem::take(&mut total.foreign_core) {
        if strays.contains(&value) {
            in_window += 1;
        } else {
            total.wrong_process += 1;
            total.unexpected.push(what);
        }
    }
    in_window
}

/// Spawns `sleep 30` with `umask`.
fn sleeper(umask: u32) -> std::process::Child {
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    // SAFETY: umask is async-signal-safe and cannot fail.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(umask as libc::mode_t);
            Ok(())
        });
    }
    cmd.spawn().expect("spawn sleep")
}

/// The oneshot cache is keyed by pid, so it can hold what a bare-pid call read from the
/// process that reused a handle's pid: the handle must answer `NoSuchProcess`, not serve
/// the newcomer's status from the cache.
#[test]
fn a_stale_handle_in_a_oneshot_never_reads_the_newcomer() {
    if std::fs::write("/proc/sys/kernel/ns_last_pid", b"300").is_err() {
        println!("skipped: reusing a pid on purpose needs CAP_SYS_ADMIN (ns_last_pid)");
        return;
    }
    // Another thread may take the steered pid first: try a few times.
    for _ in 0..20 {
        let mut old = sleeper(0o011);
        let pid = old.id();
        let stale = Process::new(pid).unwrap();
        old.kill().unwrap();
        old.wait().unwrap();
        let _ = std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string());
        let mut new = sleeper(0o022);
        if new.id() != pid {
            let _ = new.kill();
            let _ = new.wait();
            continue;
        }
        let fresh = Process::new(pid).unwrap();
        {
            // Filled by pid, with the newcomer's status.
            let _oneshot = psx::oneshot_proc(pid);
            assert_eq!(psx::proc_get_umask(pid).unwrap(), 0o022);
            assert!(matches!(stale.umask(), Err(Error::NoSuchProcess { .. })));
            assert!(matches!(stale.groups(), Err(Error::NoSuchProcess { .. })));
            assert!(matches!(stale.sigmasks(), Err(Error::NoSuchProcess { .. })));
            assert!(matches!(
                stale.info(psx::Attr::ALL),
                Err(Error::NoSuchProcess { .. })
            ));
        }
        {
            // Filled through the newcomer's own handle.
            let _oneshot = fresh.oneshot();
            assert_eq!(fresh.umask().unwrap(), 0o022);
            assert!(matches!(stale.umask(), Err(Error::NoSuchProcess { .. })));
            assert_eq!(fresh.umask().unwrap(), 0o022);
        }
        // Outside any oneshot: the one-read path.
        assert!(matches!(
            stale.info(&without_usage()),
            Err(Error::NoSuchProcess { .. })
        ));
        assert_eq!(fresh.info(&without_usage()).unwrap().umask, Some(0o022));
        let _ = new.kill();
        let _ = new.wait();
        return;
    }
    println!("skipped: the pid was never reused in 20 tries");
}

/// A handle whose pid now names another user's process must say the process is gone:
/// the kernel's EPERM for the newcomer is not an answer about the pinned process.
///
/// Needs root (to steer pids with `ns_last_pid` and start the newcomer as uid 65534)
/// without CAP_SYS_RESOURCE (so `prlimit` on the newcomer is refused): the test re-runs
/// itself under `setpriv` with that capability dropped.
#[test]
fn a_pid_reused_by_another_user_reads_as_gone_not_denied() {
    const CHILD: &str = "PSX_TEST_WITHOUT_SYS_RESOURCE";
    if std::env::var_os(CHILD).is_none() {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            println!("skipped: steering a pid onto another user's process needs root");
            return;
        }
        let out = Command::new("setpriv")
            .args([
                "--inh-caps=-sys_resource",
                "--bounding-set=-sys_resource",
                "--",
            ])
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_pid_reused_by_another_user_reads_as_gone_not_denied",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output();
        let Ok(out) = out else {
            println!("skipped: no setpriv to drop CAP_SYS_RESOURCE");
            return;
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{stdout}");
        return;
    }
    if std::fs::write("/proc/sys/kernel/ns_last_pid", b"300").is_err() {
        println!("skipped: reusing a pid on purpose needs CAP_SYS_ADMIN (ns_last_pid)");
        return;
    }
    for _ in 0..50 {
        let mut old = sleeper(0o022);
        let pid = old.id();
        let handle = Process::new(pid).unwrap();
        old.kill().unwrap();
        old.wait().unwrap();
        let _ = std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string());
        let Ok(mut new) = Command::new("sleep")
            .arg("30")
            .uid(65534)
            .gid(65534)
            .spawn()
        else {
            continue;
        };
        if new.id() != pid {
            let _ = new.kill();
            let _ = new.wait();
            continue;
        }
        // The premise: by pid, the newcomer's limits are refused to us.
        let by_pid = psx::proc_getrlimit(pid, Resource::Nofile);
        assert!(
            matches!(by_pid, Err(Error::AccessDenied { .. })),
            "{by_pid:?}"
        );
        let read = handle.getrlimit(Resource::Nofile);
        assert!(matches!(read, Err(Error::NoSuchProcess { .. })), "{read:?}");
        let zero = RLimit::new(Limit::Value(0), Limit::Value(0));
        let set = handle.rlimit(Resource::Core, Some(zero));
        assert!(matches!(set, Err(Error::NoSuchProcess { .. })), "{set:?}");
        assert!(!handle.is_running());
        let _ = new.kill();
        let _ = new.wait();
        println!("checked: pid {pid} reused by uid 65534");
        return;
    }
    println!("skipped: the pid was never reused in 50 tries");
}
