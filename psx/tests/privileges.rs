//! Privileges: what an unprivileged process may do to root's processes and to itself.
//!
//! The test re-executes this binary as a child that does the checking. Started as root
//! (with CAP_SETUID and CAP_SETGID), the child drops to uid and gid 65534 with no
//! supplementary groups, and attacks three root processes: its parent, a `sleep` the
//! parent started, and pid 1. Started as an ordinary user, the child is an ordinary
//! user too and attacks the root processes it can see. The child checks that:
//!
//! - every read of a root process, by pid and through a `Process`, is a value or
//!   `AccessDenied`;
//! - every attempt to set one of their limits, lowering or raising, by pid or through a
//!   handle, is `AccessDenied`;
//! - its own limits it can lower, but not raise past the hard limit: a soft limit above
//!   the hard one is `InvalidArgument` and a higher hard limit `AccessDenied`, and a
//!   refused attempt changes nothing.
//!
//! The parent, when root, then checks that the limits of the processes attacked are
//! exactly what they were before. What the current privileges cannot set up is skipped
//! with the reason printed (run with `--nocapture` to see it).
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use psx::{Error, Limit, Process, RLimit, Resource};

const CHILD_ENV: &str = "PSX_PRIVILEGES_CHILD";
const TARGETS_ENV: &str = "PSX_PRIVILEGES_TARGETS";
const MAY_EXIT_ENV: &str = "PSX_PRIVILEGES_MAY_EXIT";
const PASSED: &str = "PRIVILEGES-CHILD-PASSED";

const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;
const CAP_SYS_RESOURCE: u32 = 24;

/// `(Uid, CapEff)` of a process, from its status: the real uid and the effective
/// capabilities. `None` if it is gone or unreadable.
fn uid_and_caps(pid: &str) -> Option<(u32, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
    };
    let uid = field("Uid:")?.split_whitespace().next()?.parse().ok()?;
    let caps = u64::from_str_radix(field("CapEff:")?, 16).ok()?;
    Some((uid, caps))
}

fn my_caps() -> u64 {
    uid_and_caps("self").expect("own status").1
}

fn has_cap(bit: u32) -> bool {
    my_caps() & (1 << bit) != 0
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// Every resource's limits of `pid`, for the before/after comparison.
fn all_limits(pid: u32) -> BTreeMap<&'static str, RLimit> {
    psx::resources()
        .map(|r| {
            let limits =
                psx::proc_getrlimit(pid, r).unwrap_or_else(|e| panic!("{pid} {}: {e:?}", r.name()));
            (r.name(), limits)
        })
        .collect()
}

#[derive(Default)]
struct Counts {
    values: u32,
    denied: u32,
    gone: u32,
    sets_denied: u32,
}

impl Counts {
    /// A read: a value or `AccessDenied` (or `NoSuchProcess` for a process that may exit).
    fn read<T: std::fmt::Debug>(&mut self, what: &str, may_exit: bool, r: psx::Result<T>) {
        match r {
            Ok(_) => self.values += 1,
            Err(Error::AccessDenied { .. }) => self.denied += 1,
            Err(Error::NoSuchProcess { .. }) if may_exit => self.gone += 1,
            other => panic!("{what}: expected a value or AccessDenied, got {other:?}"),
        }
    }

    /// A set: always `AccessDenied` (or `NoSuchProcess` for a process that may exit).
    fn set(&mut self, what: &str, may_exit: bool, r: psx::Result<RLimit>) {
        match r {
            Err(Error::AccessDenied { .. }) => self.sets_denied += 1,
            Err(Error::NoSuchProcess { .. }) if may_exit => self.gone += 1,
            other => panic!("{what}: expected AccessDenied, got {other:?}"),
        }
    }
}

/// Reads everything of `pid` and tries to change every limit, by pid and by handle.
fn attack(pid: u32, may_exit: bool, counts: &mut Counts) {
    counts.read("umask", may_exit, psx::proc_get_umask(pid));
    counts.read("groups", may_exit, psx::proc_getgroups(pid));
    counts.read("sigmasks", may_exit, psx::proc_get_sigmask(pid));
    counts.read("pgid", may_exit, psx::proc_getpgid(pid));
    counts.read("sid", may_exit, psx::proc_getsid(pid));
    counts.read("info", may_exit, psx::proc_info(pid, psx::Attr::ALL));
    let handle = match Process::new(pid) {
        Ok(h) => Some(h),
        Err(Error::NoSuchProcess { .. }) if may_exit => None,
        Err(e) => panic!("Process::new({pid}): {e:?}"),
    };
    if let Some(h) = &handle {
        let _oneshot = h.oneshot();
        counts.read("handle umask", may_exit, h.umask());
        counts.read("handle groups", may_exit, h.groups());
        counts.read("handle sigmasks", may_exit, h.sigmasks());
        counts.read("handle pgid", may_exit, h.pgid());
        counts.read("handle sid", may_exit, h.sid());
    }
    let zero = RLimit::new(Limit::Value(0), Limit::Value(0));
    let unlimited = RLimit::new(Limit::Unlimited, Limit::Unlimited);
    for r in psx::resources() {
        let what = format!("{pid} {}", r.name());
        counts.read(&what, may_exit, psx::proc_getrlimit(pid, r));
        counts.set(&what, may_exit, psx::proc_rlimit(pid, r, Some(zero)));
        counts.set(&what, may_exit, psx::proc_rlimit(pid, r, Some(unlimited)));
        if let Some(h) = &handle {
            counts.read(&what, may_exit, h.getrlimit(r));
            counts.set(&what, may_exit, h.rlimit(r, Some(zero)));
            counts.set(&what, may_exit, h.rlimit(r, Some(unlimited)));
        }
    }
}

/// Resources a test process can lower for itself without harming itself (no CPU, stack,
/// address-space or file-size limits).
const SAFE_TO_LOWER: [Resource; 7] = [
    Resource::Core,
    Resource::Nofile,
    Resource::Memlock,
    Resource::Msgqueue,
    Resource::Locks,
    Resource::Nice,
    Resource::Rtprio,
];

/// Lowers each safe resource of this process, then tries to raise it past hard; returns
/// how many resources it checked.
fn own_limits() -> u32 {
    let me = Process::current().expect("pin self");
    let mut checked = 0;
    for r in SAFE_TO_LOWER {
        let old = me.getrlimit(r).expect("own limits");
        let lowered_hard = match old.hard {
            Limit::Unlimited => Limit::Value(old.soft.value().unwrap_or(0).max(1 << 20)),
            Limit::Value(0) => {
                println!("{}: hard limit already 0, nothing to lower", r.name());
                continue;
            }
            Limit::Value(h) => Limit::Value(h - 1),
        };
        let lowered = RLimit::new(old.soft.min(lowered_hard), lowered_hard);
        // Lowering works, through the handle and by pid.
        assert_eq!(me.rlimit(r, Some(lowered)).expect("lower own"), old);
        assert_eq!(psx::proc_getrlimit(std::process::id(), r).unwrap(), lowered);
        // A soft limit above the hard one is refused before any system call.
        if let Limit::Value(h) = lowered.hard {
            let bad = RLimit::new(Limit::Value(h + 1), lowered.hard);
            let err = psx::proc_rlimit(std::process::id(), r, Some(bad)).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        }
        // Raising the hard limit back is refused, by pid and through the handle, and
        // changes nothing.
        let raised = RLimit::new(lowered.soft, old.hard);
        let by_pid = psx::proc_rlimit(std::process::id(), r, Some(raised));
        assert!(
            matches!(by_pid, Err(Error::AccessDenied { .. })),
            "{by_pid:?}"
        );
        let by_handle = me.rlimit(r, Some(RLimit::new(Limit::Unlimited, Limit::Unlimited)));
        match (r, &by_handle) {
            (_, Err(Error::AccessDenied { .. })) => {}
            // The kernel refuses an unlimited NOFILE (above fs.nr_open) before it looks
            // at privilege: that is the input's fault.
            (Resource::Nofile, Err(Error::InvalidArgument(why))) => {
                assert!(why.contains("fs.nr_open"), "{why}")
            }
            _ => panic!("{r}: {by_handle:?}"),
        }
        assert_eq!(me.getrlimit(r).unwrap(), lowered);
        // The soft limit can still rise up to the (new) hard one.
        let soft_up = RLimit::new(lowered.hard, lowered.hard);
        assert_eq!(
            me.rlimit(r, Some(soft_up)).expect("raise soft to hard"),
            lowered
        );
        checked += 1;
    }
    checked
}

/// The child's side: everything runs here, in a process of its own, since it lowers its
/// own limits.
fn child() {
    let may_exit = std::env::var(MAY_EXIT_ENV).is_ok_and(|v| v == "1");
    let targets: Vec<u32> = std::env::var(TARGETS_ENV)
        .unwrap_or_default()
        .split(',')
        .filter_map(|p| p.parse().ok())
        .collect();
    if euid() == 0 {
        println!("skipped: the child is still root, so root's processes are its own");
    } else if targets.is_empty() {
        println!("skipped: no root process visible to attack");
    } else {
        // Dropping uid must have dropped every capability too.
        assert_eq!(my_caps(), 0, "an unprivileged child with capabilities");
        let mut counts = Counts::default();
        for &pid in &targets {
            attack(pid, may_exit, &mut counts);
        }
        println!(
            "attacked {targets:?}: {} values, {} reads denied, {} sets denied, {} gone",
            counts.values, counts.denied, counts.sets_denied, counts.gone
        );
        assert!(counts.sets_denied > 0 || (may_exit && counts.gone > 0));
    }
    if has_cap(CAP_SYS_RESOURCE) {
        println!("skipped own limits: CAP_SYS_RESOURCE lets this process raise them");
    } else {
        let n = own_limits();
        println!("own limits: {n} resources lowered, none raisable past hard");
    }
    println!("{PASSED}");
}

/// Root processes an ordinary user can see, pid 1 first; at most `max`.
fn visible_root_processes(max: usize) -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|pid: &u32| uid_and_caps(&pid.to_string()).is_some_and(|(uid, _)| uid == 0))
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    pids.truncate(max);
    pids
}

#[test]
fn unprivileged_reads_root_or_is_denied_and_cannot_raise_limits() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child();
        return;
    }
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "unprivileged_reads_root_or_is_denied_and_cannot_raise_limits",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, "1")
    .stdin(Stdio::null());

    let mut sleeper = None;
    let mut before = Vec::new();
    if euid() == 0 && has_cap(CAP_SETUID) && has_cap(CAP_SETGID) {
        // A root process that is not this one: a sleep whose limits we own.
        let s = Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("spawn sleep");
        let mut targets = vec![std::process::id(), s.id()];
        if uid_and_caps("1").is_some_and(|(uid, _)| uid == 0) {
            targets.push(1);
        }
        before = targets.iter().map(|&p| (p, all_limits(p))).collect();
        let list: Vec<String> = targets.iter().map(u32::to_string).collect();
        cmd.env(TARGETS_ENV, list.join(","));
        // std drops the supplementary groups too when it switches uid as root.
        cmd.uid(65534).gid(65534);
        sleeper = Some(s);
    } else if euid() == 0 {
        println!("skipped the drop to uid 65534: no CAP_SETUID and CAP_SETGID");
    } else {
        let targets: Vec<String> = visible_root_processes(6)
            .iter()
            .map(u32::to_string)
            .collect();
        cmd.env(TARGETS_ENV, targets.join(","));
        cmd.env(MAY_EXIT_ENV, "1");
        println!("not root: cannot read root's limits, so cannot check they stay unchanged");
    }

    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            // The test binary sits where uid 65534 may not go (e.g. under /root).
            println!("skipped: uid 65534 cannot execute this test binary: {e}");
            if let Some(mut s) = sleeper {
                let _ = s.kill();
                let _ = s.wait();
            }
            return;
        }
        Err(e) => panic!("run the child: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    assert!(
        out.status.success() && stdout.contains(PASSED),
        "the unprivileged child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (pid, limits) in &before {
        assert_eq!(&all_limits(*pid), limits, "limits of {pid} changed");
    }
    if let Some(mut s) = sleeper {
        let _ = s.kill();
        let _ = s.wait();
    }
}
