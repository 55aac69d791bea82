//! The Linux backend against real processes: this test process, children that set
//! their umask, block, ignore and catch signals, start sessions and change groups, and
//! children that have exited.
//!
//! Runs as root and as an ordinary user: what needs privilege (setgroups in a child,
//! dropping to another uid) is checked as root and replaced by the unprivileged
//! equivalent otherwise.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use psx::{Error, Limit, Pid, Process, RLimit, Resource};

mod common;
use common::child_with_files;

/// A `sh -c SCRIPT` child whose stdout we read line by line and whose stdin we write.
struct Script {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Script {
    fn spawn(script: &str) -> Self {
        Self::spawn_with(Command::new("sh").args(["-c", script]))
    }

    fn spawn_with(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Script {
            child,
            stdin,
            stdout,
        }
    }

    /// Waits for the script to print `line`.
    fn expect(&mut self, line: &str) {
        let mut got = String::new();
        self.stdout.read_line(&mut got).expect("read from child");
        assert_eq!(got.trim_end(), line, "child said something else");
    }

    /// Lets the script's next `read` return.
    fn proceed(&mut self) {
        writeln!(self.stdin, "go").expect("write to child");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_SYS_RESOURCE: u32 = 24;

/// Whether this process has capability `bit` in effect (root in a container may lack
/// some, e.g. CAP_SYS_RESOURCE).
fn has_cap(bit: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    u64::from_str_radix(eff, 16).unwrap() & (1 << bit) != 0
}

fn no_such_process<T: std::fmt::Debug>(result: psx::Result<T>) -> bool {
    matches!(result, Err(Error::NoSuchProcess { .. }))
}

/// A pid that existed and has been reaped.
fn reaped_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn own_umask_and_a_childs_after_it_sets_another() {
    // SAFETY: umask only swaps the process's mask; put straight back.
    let mine = unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old
    };
    assert_eq!(psx::proc_get_umask(std::process::id()).unwrap(), mine);

    let mut sh = Script::spawn("umask 0027; echo set; read x; umask 0777; echo again; read y");
    sh.expect("set");
    assert_eq!(psx::proc_get_umask(sh.pid()).unwrap(), 0o027);
    sh.proceed();
    sh.expect("again");
    assert_eq!(psx::proc_get_umask(&sh.child).unwrap(), 0o777);
}

#[test]
fn groups_of_self_equal_getgroups() {
    let mut buf = vec![0 as libc::gid_t; 65536];
    // SAFETY: `buf` has room for the count we pass.
    let n = unsafe { libc::getgroups(buf.len() as i32, buf.as_mut_ptr()) };
    assert!(n >= 0);
    let mut expected = buf[..n as usize].to_vec();
    let mut got = psx::proc_getgroups(std::process::id()).unwrap();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);
}

#[test]
fn groups_of_a_child_after_setgroups() {
    if !has_cap(CAP_SETGID) {
        // Without CAP_SETGID a child keeps our groups: check that instead.
        let child = Script::spawn("echo up; read x");
        let mut mine = psx::proc_getgroups(std::process::id()).unwrap();
        let mut theirs = psx::proc_getgroups(child.pid()).unwrap();
        mine.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(theirs, mine);
        return;
    }
    let wanted: [libc::gid_t; 3] = [5, 100, 65534];
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo up; read x"]);
    // SAFETY: setgroups is async-signal-safe and touches only the child's credentials.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(wanted.len(), wanted.as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut sh = Script::spawn_with(&mut cmd);
    sh.expect("up");
    assert_eq!(psx::proc_getgroups(sh.pid()).unwrap(), wanted.to_vec());
    // Empty list too.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo up; read x"]);
    // SAFETY: as above.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setgroups(0, std::ptr::null()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut sh = Script::spawn_with(&mut cmd);
    sh.expect("up");
    assert_eq!(psx::proc_getgroups(sh.pid()).unwrap(), Vec::<u32>::new());
}

#[test]
fn pgid_and_sid_of_self_pid1_and_a_session_leader() {
    let me = std::process::id();
    // SAFETY: these calls take no pointers.
    let (pgrp, sid) = unsafe { (libc::getpgrp(), libc::getsid(0)) };
    assert_eq!(psx::proc_getpgid(me).unwrap().as_raw(), pgrp);
    assert_eq!(psx::proc_getsid(me).unwrap().as_raw(), sid);

    // SAFETY: as above.
    let (pgid1, sid1) = unsafe { (libc::getpgid(1), libc::getsid(1)) };
    assert_eq!(psx::proc_getpgid(1).unwrap().as_raw(), pgid1);
    assert_eq!(psx::proc_getsid(1).unwrap().as_raw(), sid1);

    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo up; read x"]);
    // SAFETY: setsid is async-signal-safe; a fresh child is never a group leader.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut sh = Script::spawn_with(&mut cmd);
    sh.expect("up");
    let pid = Pid::from(sh.pid());
    assert_eq!(psx::proc_getsid(pid).unwrap(), pid);
    assert_eq!(psx::proc_getpgid(pid).unwrap(), pid);
    assert_ne!(psx::proc_getsid(pid).unwrap().as_raw(), sid);
}

#[test]
fn rlimit_of_self_matches_getrlimit() {
    for &(resource, raw) in &[
        (Resource::Nofile, libc::RLIMIT_NOFILE),
        (Resource::Core, libc::RLIMIT_CORE),
        (Resource::Stack, libc::RLIMIT_STACK),
        (Resource::As, libc::RLIMIT_AS),
    ] {
        let mut lim = libc::rlimit64 {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid out pointer.
        assert_eq!(unsafe { libc::getrlimit64(raw, &mut lim) }, 0);
        let expected = RLimit::from_raw(lim.rlim_cur, lim.rlim_max, libc::RLIM64_INFINITY);
        assert_eq!(
            psx::proc_getrlimit(std::process::id(), resource).unwrap(),
            expected
        );
        assert_eq!(
            psx::proc_rlimit(std::process::id(), resource, None).unwrap(),
            expected
        );
    }
    // Every resource Linux has reads; the others are invalid.
    let linux_has: Vec<Resource> = (0..64).filter_map(psx::resource_from_raw).collect();
    assert_eq!(linux_has.len(), 16);
    for &r in Resource::ALL {
        let got = psx::proc_getrlimit(std::process::id(), r);
        if linux_has.contains(&r) {
            assert!(got.is_ok(), "{r}: {got:?}");
        } else {
            assert_eq!(
                got.unwrap_err().to_string(),
                "invalid resource specified",
                "{r}"
            );
        }
    }
}

#[test]
fn rlimit_set_round_trips_on_a_child() {
    let mut sh = Script::spawn("echo up; read x");
    sh.expect("up");
    let child = Process::new(sh.pid()).unwrap();
    let before = child.getrlimit(Resource::Nofile).unwrap();
    let lowered = RLimit::new(Limit::Value(64), Limit::Value(128));
    assert_eq!(
        child.rlimit(Resource::Nofile, Some(lowered)).unwrap(),
        before
    );
    assert_eq!(
        psx::proc_getrlimit(sh.pid(), Resource::Nofile).unwrap(),
        lowered
    );
    // soft > hard changes nothing.
    let bad = RLimit::new(Limit::Value(100), Limit::Value(10));
    let err = psx::proc_rlimit(sh.pid(), Resource::Nofile, Some(bad)).unwrap_err();
    assert_eq!(err.to_string(), "current limit exceeds maximum limit");
    let bad = RLimit::new(Limit::Unlimited, Limit::Value(10));
    assert!(matches!(
        psx::proc_rlimit(sh.pid(), Resource::Nofile, Some(bad)),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(child.getrlimit(Resource::Nofile).unwrap(), lowered);
    // Lowering soft only, and core to "unlimited"/0 round trips through the one
    // unlimited value.
    let core = child.getrlimit(Resource::Core).unwrap();
    let zero_soft = RLimit::new(Limit::Value(0), core.hard);
    assert_eq!(child.rlimit(Resource::Core, Some(zero_soft)).unwrap(), core);
    assert_eq!(child.getrlimit(Resource::Core).unwrap(), zero_soft);
    // Raising hard back above 128 needs privilege.
    let raise = RLimit::new(Limit::Value(64), Limit::Value(256));
    let raised = child.rlimit(Resource::Nofile, Some(raise));
    if has_cap(CAP_SYS_RESOURCE) {
        assert_eq!(raised.unwrap(), lowered);
        assert_eq!(child.getrlimit(Resource::Nofile).unwrap(), raise);
    } else {
        assert!(
            matches!(raised, Err(Error::AccessDenied { .. })),
            "{raised:?}"
        );
        assert_eq!(child.getrlimit(Resource::Nofile).unwrap(), lowered);
    }
    // An invalid resource is refused whatever the process.
    let err = psx::proc_rlimit(sh.pid(), Resource::Kqueues, Some(lowered)).unwrap_err();
    assert_eq!(err.to_string(), "invalid resource specified");
}

/// Runs `body` in this test binary re-executed as an unprivileged user (uid/gid 65534)
/// when we are root, or as ourselves otherwise, and returns what it printed.
fn run_unprivileged(test_name: &str) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env("PSX_TEST_UNPRIVILEGED_CHILD", "1")
        .env("PSX_TEST_PARENT", std::process::id().to_string());
    if has_cap(CAP_SETUID) && has_cap(CAP_SETGID) {
        // std drops the supplementary groups too when it switches uid as root.
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "unprivileged child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Whether this kernel gives a `/proc/<pid>/fd` directory its number of descriptors as
/// its size (Linux 6.2+): ours, open, holds at least one.
fn fd_dir_size_counts() -> bool {
    let dir = std::fs::File::open("/proc/self/fd").unwrap();
    dir.metadata().unwrap().len() > 0
}

/// The target the unprivileged child attacks: root's test process when we started as
/// root, pid 1 (root's) otherwise.
fn root_owned_target() -> Option<u32> {
    let parent: u32 = std::env::var("PSX_TEST_PARENT").ok()?.parse().ok()?;
    let parent_is_root = std::fs::read_to_string(format!("/proc/{parent}/status"))
        .ok()?
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    Some(if parent_is_root { parent } else { 1 })
}

#[test]
fn raising_a_root_process_limit_unprivileged_is_access_denied() {
    if std::env::var_os("PSX_TEST_UNPRIVILEGED_CHILD").is_some() {
        // SAFETY: geteuid cannot fail.
        assert_ne!(unsafe { libc::geteuid() }, 0, "the child must not be root");
        let target = root_owned_target().expect("parent pid");
        let before = psx::proc_getrlimit(target, Resource::Nofile);
        let attempt = RLimit::new(Limit::Unlimited, Limit::Unlimited);
        let result = psx::proc_rlimit(target, Resource::Nofile, Some(attempt));
        assert!(
            matches!(result, Err(Error::AccessDenied { .. })),
            "{result:?}"
        );
        // Reading is denied (prlimit needs the same uid) or allowed: never another error.
        fn value_or_denied<T: std::fmt::Debug>(what: &str, r: psx::Result<T>) {
            assert!(
                matches!(r, Ok(_) | Err(Error::AccessDenied { .. })),
                "{what}: {r:?}"
            );
        }
        value_or_denied("getrlimit", before);
        value_or_denied("umask", psx::proc_get_umask(target));
        value_or_denied("groups", psx::proc_getgroups(target));
        value_or_denied("sigmasks", psx::proc_get_sigmask(target));
        value_or_denied("pgid", psx::proc_getpgid(target));
        value_or_denied("sid", psx::proc_getsid(target));
        let info = psx::proc_info(target, psx::Attr::ALL).expect("denied attributes are left out");
        assert!(info.pgid.is_some());
        // Another user's descriptors may not be listed: their count is the size of its
        // `fd` directory where that counts them (Linux 6.2+), without the highest, and
        // left out before. Where `/proc` hides the process's files (`hidepid=`), neither
        // the size nor the memory figures of its status are there; else the memory
        // figures are (the status is world-readable).
        let files_visible = std::fs::metadata(format!("/proc/{target}/status")).is_ok();
        match psx::proc_usage(target) {
            Ok(usage) => {
                assert!(std::fs::read_dir(format!("/proc/{target}/fd")).is_err());
                assert_eq!(
                    usage.used.contains_key(&Resource::Nofile),
                    files_visible && fd_dir_size_counts(),
                    "{usage:?}"
                );
                assert_eq!(usage.highest_fd, None, "{usage:?}");
                assert_eq!(
                    usage.used.contains_key(&Resource::As),
                    files_visible,
                    "{usage:?}"
                );
            }
            Err(err) => assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}"),
        }
        // Its own limits: lower works, raising past hard does not.
        let me = std::process::id();
        let own = psx::proc_getrlimit(me, Resource::Nofile).unwrap();
        if let Limit::Value(hard) = own.hard {
            let lower = RLimit::new(Limit::Value(hard / 2), Limit::Value(hard / 2 + 1));
            assert_eq!(
                psx::proc_rlimit(me, Resource::Nofile, Some(lower)).unwrap(),
                own
            );
            let higher = RLimit::new(Limit::Value(hard / 2), Limit::Value(hard));
            assert!(matches!(
                psx::proc_rlimit(me, Resource::Nofile, Some(higher)),
                Err(Error::AccessDenied { .. })
            ));
        }
        println!("UNPRIVILEGED-CHECKS-PASSED");
        return;
    }
    let before = psx::proc_getrlimit(std::process::id(), Resource::Nofile).unwrap();
    let out = run_unprivileged("raising_a_root_process_limit_unprivileged_is_access_denied");
    assert!(out.contains("UNPRIVILEGED-CHECKS-PASSED"), "{out}");
    assert_eq!(
        psx::proc_getrlimit(std::process::id(), Resource::Nofile).unwrap(),
        before
    );
}

/// A refusal says what was refused and keeps the kernel's errno: prlimit(2) of another
/// user's process is EPERM, reading or setting, by pid or through a handle.
#[test]
fn a_refusal_names_the_limit_and_keeps_eperm() {
    use std::error::Error as _;
    if std::env::var_os("PSX_TEST_UNPRIVILEGED_CHILD").is_some() {
        // SAFETY: geteuid cannot fail.
        assert_ne!(unsafe { libc::geteuid() }, 0, "the child must not be root");
        let target = root_owned_target().expect("parent pid");
        let errno = |err: &Error| {
            err.source()
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .and_then(std::io::Error::raw_os_error)
        };
        let handle = Process::new(target).expect("a handle needs no privilege");
        for err in [
            psx::proc_getrlimit(target, Resource::As).unwrap_err(),
            psx::proc_rlimit(target, Resource::As, None).unwrap_err(),
            handle.getrlimit(Resource::As).unwrap_err(),
        ] {
            assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
            assert_eq!(err.kind(), "access_denied");
            assert_eq!(err.op(), Some(psx::Op::GetRlimit(Resource::As)), "{err:?}");
            assert_eq!(errno(&err), Some(libc::EPERM), "{err:?}");
            assert_eq!(
                err.to_string(),
                format!("access denied getting the as limit (pid {target})")
            );
            assert_eq!(
                err.reason(),
                "access denied getting the as limit: Operation not permitted"
            );
        }
        let attempt = RLimit::new(Limit::Value(0), Limit::Value(0));
        for err in [
            psx::proc_rlimit(target, Resource::Core, Some(attempt)).unwrap_err(),
            handle.rlimit(Resource::Core, Some(attempt)).unwrap_err(),
        ] {
            assert_eq!(
                err.op(),
                Some(psx::Op::SetRlimit(Resource::Core)),
                "{err:?}"
            );
            assert_eq!(errno(&err), Some(libc::EPERM), "{err:?}");
            assert_eq!(
                err.reason(),
                "access denied setting the core limit: Operation not permitted"
            );
        }
        // proc_info leaves the limits out, saying why.
        let info = psx::proc_info(target, &[psx::Attr::Rlimits]).unwrap();
        assert_eq!(
            info.missing.get(&psx::Attr::Rlimits),
            Some(&psx::Missing::AccessDenied)
        );
        println!("REFUSAL-CHECKS-PASSED");
        return;
    }
    let out = run_unprivileged("a_refusal_names_the_limit_and_keeps_eperm");
    assert!(out.contains("REFUSAL-CHECKS-PASSED"), "{out}");
}

/// Blocks `sigs` in the child before it execs (the blocked mask survives exec).
fn block_in_child(cmd: &mut Command, sigs: &'static [i32]) {
    // SAFETY: sigemptyset/sigaddset/sigprocmask are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &s in sigs {
                libc::sigaddset(&mut set, s);
            }
            if libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn sigusr1_blocked_then_pending() {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo up; read x; echo done"]);
    block_in_child(&mut cmd, &[libc::SIGUSR1, libc::SIGUSR2]);
    let mut sh = Script::spawn_with(&mut cmd);
    sh.expect("up");
    let pid = sh.pid() as i32;
    let masks = psx::proc_get_sigmask(pid).unwrap();
    assert!(masks.blocked.unwrap().contains(libc::SIGUSR1));
    assert!(!masks.pending.unwrap().contains(libc::SIGUSR1));
    assert!(!masks.process_pending.unwrap().contains(libc::SIGUSR1));

    // kill() pends for the process; tgkill() for the thread.
    // SAFETY: signals to our own blocked child.
    unsafe {
        assert_eq!(libc::kill(pid, libc::SIGUSR1), 0);
        assert_eq!(libc::syscall(libc::SYS_tgkill, pid, pid, libc::SIGUSR2), 0);
    }
    let masks = psx::proc_get_sigmask(pid).unwrap();
    assert!(
        masks.process_pending.unwrap().contains(libc::SIGUSR1),
        "{masks:?}"
    );
    assert!(masks.pending.unwrap().contains(libc::SIGUSR2), "{masks:?}");
    assert!(!masks.pending.unwrap().contains(libc::SIGUSR1), "{masks:?}");
}

#[test]
fn sigusr2_ignored_then_caught() {
    let mut sh = Script::spawn(
        "trap '' USR2; echo ignoring; read x; trap 'echo got' USR2; echo catching; read y",
    );
    sh.expect("ignoring");
    let masks = psx::proc_get_sigmask(sh.pid()).unwrap();
    assert!(masks.ignored.unwrap().contains(libc::SIGUSR2));
    assert!(!masks.caught.unwrap().contains(libc::SIGUSR2));
    sh.proceed();
    sh.expect("catching");
    let masks = psx::proc_get_sigmask(sh.pid()).unwrap();
    assert!(!masks.ignored.unwrap().contains(libc::SIGUSR2));
    assert!(masks.caught.unwrap().contains(libc::SIGUSR2));
}

/// Every function on `pid`, each expected to say NoSuchProcess.
fn all_say_no_such_process(pid: i32) {
    let checks: Vec<(&str, bool)> = vec![
        ("umask", no_such_process(psx::proc_get_umask(pid))),
        ("groups", no_such_process(psx::proc_getgroups(pid))),
        (
            "rlimit get",
            no_such_process(psx::proc_rlimit(pid, Resource::Nofile, None)),
        ),
        (
            "rlimit set",
            no_such_process(psx::proc_rlimit(
                pid,
                Resource::Nofile,
                Some(RLimit::new(Limit::Value(1), Limit::Value(1))),
            )),
        ),
        (
            "getrlimit",
            no_such_process(psx::proc_getrlimit(pid, Resource::Core)),
        ),
        ("sigmask", no_such_process(psx::proc_get_sigmask(pid))),
        ("pgid", no_such_process(psx::proc_getpgid(pid))),
        ("sid", no_such_process(psx::proc_getsid(pid))),
        ("info", no_such_process(psx::proc_info(pid, psx::Attr::ALL))),
        ("Process::new", no_such_process(Process::new(pid))),
    ];
    for (what, ok) in checks {
        assert!(ok, "{what} on pid {pid} did not say NoSuchProcess");
    }
}

#[test]
fn gone_and_impossible_pids_are_no_such_process_in_and_out_of_oneshot() {
    let reaped = reaped_pid() as i32;
    for pid in [-1, 0, i32::MIN, reaped, i32::MAX] {
        all_say_no_such_process(pid);
        {
            let _outer = psx::oneshot_proc(pid);
            all_say_no_such_process(pid);
            {
                let _inner = psx::oneshot_proc(pid);
                all_say_no_such_process(pid);
            }
            all_say_no_such_process(pid);
        }
    }
    assert!(no_such_process(psx::proc_getpgid(u32::MAX)));
}

#[test]
fn a_oneshot_reads_status_once() {
    let me = std::process::id();
    let before = psx_linux::status_reads();
    {
        let _oneshot = psx::oneshot_proc(me);
        let umask = psx::proc_get_umask(me).unwrap();
        let groups = psx::proc_getgroups(me).unwrap();
        let masks = psx::proc_get_sigmask(me).unwrap();
        // A handle for the same pid shares the cache.
        let handle = Process::new(me).unwrap();
        assert_eq!(handle.umask().unwrap(), umask);
        assert_eq!(handle.groups().unwrap(), groups);
        assert_eq!(handle.sigmasks().unwrap(), masks);
        {
            let _nested = psx::oneshot_proc(&handle);
            psx::proc_get_umask(me).unwrap();
        }
        // Still cached after the inner guard dropped.
        psx::proc_getgroups(me).unwrap();
        assert_eq!(psx_linux::status_reads() - before, 1);
    }
    // Outside a oneshot every call reads.
    psx::proc_get_umask(me).unwrap();
    psx::proc_get_umask(me).unwrap();
    assert_eq!(psx_linux::status_reads() - before, 3);
    // proc_info is one oneshot of its own.
    psx::proc_info(me, psx::Attr::ALL).unwrap();
    assert_eq!(psx_linux::status_reads() - before, 4);
}

#[test]
fn a_oneshot_serves_stale_values_until_it_ends() {
    let mut sh = Script::spawn("umask 0022; echo a; read x; umask 0077; echo b; read y");
    sh.expect("a");
    let pid = sh.pid();
    let oneshot = psx::oneshot_proc(pid);
    assert_eq!(psx::proc_get_umask(pid).unwrap(), 0o022);
    sh.proceed();
    sh.expect("b");
    assert_eq!(
        psx::proc_get_umask(pid).unwrap(),
        0o022,
        "inside the oneshot: cached"
    );
    drop(oneshot);
    assert_eq!(
        psx::proc_get_umask(pid).unwrap(),
        0o077,
        "after it: read again"
    );
}

#[test]
fn the_cache_is_per_thread() {
    let me = std::process::id();
    let _oneshot = psx::oneshot_proc(me);
    psx::proc_get_umask(me).unwrap();
    let other_thread_reads = std::thread::spawn(move || {
        let before = psx_linux::status_reads();
        psx::proc_get_umask(me).unwrap();
        psx::proc_get_umask(me).unwrap();
        psx_linux::status_reads() - before
    })
    .join()
    .unwrap();
    assert_eq!(
        other_thread_reads, 2,
        "another thread has no oneshot and reads each time"
    );
}

#[test]
fn proc_info_reads_everything_and_rejects_unknown_names() {
    let me = std::process::id();
    let info = psx::proc_info(me, psx::Attr::ALL).unwrap();
    assert_eq!(info.pid, Pid::current());
    assert_eq!(info.umask, Some(psx::proc_get_umask(me).unwrap()));
    assert_eq!(info.pgid, Some(psx::proc_getpgid(me).unwrap()));
    let rlimits = info.rlimits.unwrap();
    assert_eq!(rlimits.len(), 16);
    assert_eq!(
        rlimits[&Resource::Nofile],
        psx::proc_getrlimit(me, Resource::Nofile).unwrap()
    );
    let err = "bogus".parse::<psx::Attr>().unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("unknown attribute 'bogus'")),
        "{err}"
    );
    let only = psx::proc_info(me, &[psx::Attr::Sid]).unwrap();
    assert!(only.sid.is_some() && only.umask.is_none() && only.rlimits.is_none());
}

/// Outside a oneshot, `proc_info` fills what the status holds from one read of it; the
/// info is the one the per-attribute calls give inside a oneshot, for a live process
/// (umask, blocked signals), a zombie (no umask) and a thread id (no process).
#[test]
fn proc_info_from_one_status_read_equals_the_per_attribute_reads() {
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    block_in_child(&mut cmd, &[libc::SIGUSR1]);
    // SAFETY: umask is async-signal-safe and cannot fail.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o037);
            Ok(())
        });
    }
    let mut live = cmd.spawn().unwrap();
    let mut zombie = Command::new("true").spawn().unwrap();
    // SAFETY: waitid with WNOWAIT leaves the child a zombie; `info` is a valid out pointer.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let pid = zombie.id();
        assert_eq!(
            libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT),
            0
        );
    }
    use psx::Attr::*;
    let lists: [&[psx::Attr]; 4] = [
        &[Comm, Umask, Groups, Pgid, Sid, Sigmasks],
        &[Sigmasks, Comm, Comm, Rlimits, Umask],
        &[Sid],
        &[Groups, Rlimits],
    ];
    // Usage only of the children, once the live one has finished starting (its loader
    // maps libraries after the exec): this process's memory and CPU time move as other
    // tests run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let usage = || psx::proc_usage(live.id()).unwrap();
    let mut last = usage();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let now = usage();
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", live.id())).unwrap();
        let asleep = stat[stat.rfind(')').unwrap()..].starts_with(") S");
        if (now == last && asleep) || std::time::Instant::now() > deadline {
            break;
        }
        last = now;
    }
    let with_usage: [&[psx::Attr]; 2] = [&[Usage], &[Comm, Usage, Rlimits, Pgid]];
    let children = [live.id(), zombie.id()].map(|pid| (pid, &with_usage[..]));
    for (pid, extra) in [(std::process::id(), &[][..])].into_iter().chain(children) {
        for &attrs in lists.iter().chain(extra) {
            let before = psx_linux::status_reads();
            let fast = psx::proc_info(pid, attrs).unwrap();
            // Pgid or sid alone is a system call each, not a read of the status.
            let needs_status = [Comm, Umask, Groups, Sigmasks, Usage]
                .iter()
                .any(|a| attrs.contains(a));
            let reads = psx_linux::status_reads() - before;
            assert_eq!(reads, u64::from(needs_status), "{attrs:?}");
            let each = || psx::with_oneshot(pid, || psx::proc_info(pid, attrs)).unwrap();
            // SIGPENDING's use is the real user's queued signals, which other tests
            // running meanwhile move: two reads are compared again until they were
            // made between two such moves.
            let mut pair = (fast, each());
            for _ in 0..50 {
                if pair.0 == pair.1 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
                pair = (psx::proc_info(pid, attrs).unwrap(), each());
            }
            assert_eq!(pair.0, pair.1, "pid {pid}, {attrs:?}");
        }
    }
    let read = psx::proc_info(live.id(), lists[0]).unwrap();
    assert_eq!(read.comm.as_deref(), Some("sleep"));
    assert_eq!(read.umask, Some(0o037));
    let blocked = read.sigmasks.and_then(|m| m.blocked).unwrap();
    assert!(blocked.contains(libc::SIGUSR1));
    let read = psx::proc_info(zombie.id(), lists[0]).unwrap();
    assert_eq!(read.umask, None);
    assert_eq!(read.missing.get(&Umask), Some(&psx::Missing::Zombie));
    assert!(read.groups.is_some() && read.pgid.is_some());
    // A zombie's memory and descriptors are gone; its CPU time and nice value are not.
    let used = psx::proc_info(zombie.id(), &[Usage])
        .unwrap()
        .usage
        .unwrap()
        .used;
    assert!(!used.contains_key(&Resource::Nofile) && !used.contains_key(&Resource::As));
    assert!(used.contains_key(&Resource::Cpu) && used.contains_key(&Resource::Nice));

    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        // SAFETY: gettid cannot fail.
        tid_tx.send(unsafe { libc::gettid() }).unwrap();
        let _ = done_rx.recv();
    });
    let tid = tid_rx.recv().unwrap() as u32;
    for attrs in [lists[0], with_usage[0]] {
        assert!(no_such_process(psx::proc_info(tid, attrs)));
        let inside = psx::with_oneshot(tid, || psx::proc_info(tid, attrs));
        assert!(no_such_process(inside));
    }
    done_tx.send(()).unwrap();
    thread.join().unwrap();
    live.kill().unwrap();
    live.wait().unwrap();
    zombie.wait().unwrap();
}

#[test]
fn a_zombie_has_no_umask_but_keeps_its_other_attributes() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    let handle = Process::new(pid).unwrap();
    // Wait until it has exited, without reaping it.
    // SAFETY: waitid with WNOWAIT leaves the child a zombie; `info` is a valid out pointer.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        assert_eq!(
            libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT),
            0
        );
    }
    assert!(handle.is_running(), "a zombie is still there");
    assert!(matches!(
        psx::proc_get_umask(pid),
        Err(Error::Zombie { .. })
    ));
    assert!(psx::proc_getgroups(pid).is_ok());
    assert!(psx::proc_getpgid(pid).is_ok());
    let info = handle.info(psx::Attr::ALL).unwrap();
    assert_eq!(info.umask, None);
    assert!(info.groups.is_some());
    child.wait().unwrap();
    assert!(!handle.is_running());
    all_say_no_such_process(pid as i32);
    assert!(no_such_process(handle.umask()));
    assert!(no_such_process(handle.pgid()));
}

#[test]
fn a_handle_whose_process_is_gone_never_reads_another() {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id() as i32;
    let handle = Process::new(pid).unwrap();
    assert_eq!(handle.pgid().unwrap(), psx::proc_getpgid(pid).unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    let dead = [
        no_such_process(handle.umask()),
        no_such_process(handle.groups()),
        no_such_process(handle.sigmasks()),
        no_such_process(handle.pgid()),
        no_such_process(handle.sid()),
        no_such_process(handle.getrlimit(Resource::Nofile)),
        no_such_process(handle.rlimit(
            Resource::Nofile,
            Some(RLimit::new(Limit::Value(1), Limit::Value(1))),
        )),
    ];
    assert!(dead.iter().all(|&d| d), "{dead:?}");

    // Make the kernel hand the same pid to a new process, and check the handle does not
    // read it. Needs CAP_SYS_ADMIN to steer the next pid; other processes may take it
    // first, so try a few times.
    if !has_cap(CAP_SYS_ADMIN) {
        eprintln!("no CAP_SYS_ADMIN: pid reuse itself not forced (the handle's reaped-process check above still ran)");
        return;
    }
    for _ in 0..20 {
        if std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).is_err() {
            eprintln!("ns_last_pid not writable here: pid reuse not forced");
            return;
        }
        let mut sh = Script::spawn("umask 0077; echo up; read x");
        sh.expect("up");
        if sh.pid() as i32 != pid {
            continue;
        }
        assert_eq!(
            psx::proc_get_umask(pid).unwrap(),
            0o077,
            "the bare pid reads the newcomer"
        );
        assert!(!handle.is_running());
        assert!(no_such_process(handle.umask()));
        assert!(no_such_process(handle.pgid()));
        assert!(no_such_process(handle.getrlimit(Resource::Nofile)));
        let before = psx::proc_getrlimit(pid, Resource::Core).unwrap();
        let set = handle.rlimit(
            Resource::Core,
            Some(RLimit::new(Limit::Value(0), Limit::Value(0))),
        );
        assert!(no_such_process(set));
        assert_eq!(
            psx::proc_getrlimit(pid, Resource::Core).unwrap(),
            before,
            "the newcomer was not touched"
        );
        return;
    }
    panic!("could not get pid {pid} reused in 20 tries");
}

#[test]
fn a_child_handle_is_accepted_everywhere() {
    let mut sh = Script::spawn("umask 0033; echo up; read x");
    sh.expect("up");
    assert_eq!(psx::proc_get_umask(&sh.child).unwrap(), 0o033);
    assert_eq!(
        psx::proc_getpgid(&sh.child).unwrap(),
        psx::proc_getpgid(sh.pid()).unwrap()
    );
    let handle = Process::new(Pid::from(sh.pid())).unwrap();
    assert_eq!(handle.pid().as_raw() as u32, sh.pid());
    assert_eq!(psx::proc_get_umask(&handle).unwrap(), 0o033);
}

/// `/proc/<tid>` exists for every thread, and prlimit, getpgid and getsid accept a tid
/// as its process: a thread id must still read as no process at all.
#[test]
fn a_thread_id_is_not_a_pid() {
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        // SAFETY: gettid has no arguments and cannot fail.
        tid_tx.send(unsafe { libc::gettid() }).unwrap();
        let _ = done_rx.recv();
    });
    let tid = tid_rx.recv().unwrap();
    assert_ne!(tid as u32, std::process::id());
    // The premise: the kernel answers for the tid, as for a process.
    assert!(std::fs::metadata(format!("/proc/{tid}/status")).is_ok());
    // SAFETY: getpgid takes an integer.
    assert!(unsafe { libc::getpgid(tid) } > 0);
    assert!(no_such_process(psx::proc_get_umask(tid)));
    assert!(no_such_process(psx::proc_getgroups(tid)));
    assert!(no_such_process(psx::proc_get_sigmask(tid)));
    assert!(no_such_process(psx::proc_getrlimit(tid, Resource::Core)));
    let core = psx::proc_getrlimit(std::process::id(), Resource::Core).unwrap();
    assert!(no_such_process(psx::proc_rlimit(
        tid,
        Resource::Core,
        Some(core)
    )));
    assert!(no_such_process(psx::proc_getpgid(tid)));
    assert!(no_such_process(psx::proc_getsid(tid)));
    assert!(no_such_process(psx::proc_info(tid, psx::Attr::ALL)));
    assert!(no_such_process(Process::new(tid)));
    done_tx.send(()).unwrap();
    thread.join().unwrap();
}

/// A process whose main thread called `pthread_exit` shows `State: Z` and no umask in
/// its own status while its other threads run: it is alive, and read through them.
#[test]
fn a_process_whose_main_thread_exited_is_read_through_a_live_thread() {
    // Python's ctypes calls pthread_exit in the main thread; a second thread lives on.
    let script = "import ctypes, os, sys, threading, time\n\
os.umask(0o027)\n\
def live():\n    time.sleep(0.3)\n    print('ready', flush=True)\n    time.sleep(30)\n\
threading.Thread(target=live).start()\n\
ctypes.CDLL(None).pthread_exit(None)\n";
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipped: no python3 to call pthread_exit in a main thread");
        return;
    }
    let mut script = Script::spawn_with(Command::new("python3").args(["-c", script]));
    script.expect("ready");
    let pid = script.pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("State:\tZ"), "the premise: {status}");
    assert!(!status.contains("Umask:"), "the premise: {status}");
    assert_eq!(psx::proc_get_umask(pid).unwrap(), 0o027);
    let handle = Process::new(pid).unwrap();
    assert!(handle.is_running());
    assert_eq!(handle.umask().unwrap(), 0o027);
    let info = psx::proc_info(pid, psx::Attr::ALL).unwrap();
    assert_eq!(info.umask, Some(0o027));
    assert!(info.sigmasks.is_some() && info.groups.is_some());
}

/// `do_prlimit` refuses a NOFILE hard limit above `fs.nr_open` with EPERM whatever the
/// caller's privilege: that is the input's fault, and says so.
#[test]
fn a_nofile_limit_above_nr_open_is_an_invalid_argument() {
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id();
    let before = psx::proc_getrlimit(pid, Resource::Nofile).unwrap();
    for hard in [Limit::Value(nr_open + 1), Limit::Unlimited] {
        let err = psx::proc_rlimit(
            pid,
            Resource::Nofile,
            Some(RLimit::new(Limit::Value(64), hard)),
        )
        .unwrap_err();
        match &err {
            Error::InvalidArgument(why) => assert!(why.contains("fs.nr_open"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(psx::proc_getrlimit(pid, Resource::Nofile).unwrap(), before);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `unlimited` and `u64::MAX` are one value to Linux, on either side of the pair.
#[test]
fn unlimited_and_u64_max_are_the_same_limit() {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id();
    let core = psx::proc_getrlimit(pid, Resource::Core).unwrap();
    let forms = [
        RLimit::new(Limit::Unlimited, Limit::Value(u64::MAX)),
        RLimit::new(Limit::Value(u64::MAX), Limit::Unlimited),
    ];
    for new in forms {
        let result = psx::proc_rlimit(pid, Resource::Core, Some(new));
        if core.hard == Limit::Unlimited {
            result.unwrap();
            let both = RLimit::new(Limit::Unlimited, Limit::Unlimited);
            assert_eq!(psx::proc_getrlimit(pid, Resource::Core).unwrap(), both);
        } else {
            // Raising the hard limit: refused for privilege, never as soft above hard.
            assert!(
                matches!(result, Err(Error::AccessDenied { .. })),
                "{result:?}"
            );
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `available` answers for this kernel: the umask line exists from Linux 4.7.
#[test]
fn available_umask_follows_the_kernel() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    assert_eq!(
        psx::available(psx::Attr::Umask),
        status.contains("\nUmask:")
    );
    assert!(psx::available(psx::Attr::Rlimits));
}

/// `psx::pids` lists processes (not threads), ascending; `psx::scan` reads each as
/// `proc_info` does, names included.
#[test]
fn pids_and_scan_list_processes_as_proc_info_reads_them() {
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    // SAFETY: umask is async-signal-safe and cannot fail.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o037);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let pid = Pid::from(child.id());
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        // SAFETY: gettid cannot fail.
        tid_tx.send(unsafe { libc::gettid() }).unwrap();
        let _ = done_rx.recv();
    });
    let tid = Pid::from(tid_rx.recv().unwrap());

    let pids = psx::pids().unwrap();
    assert!(pids.windows(2).all(|w| w[0] < w[1]));
    assert!(pids.contains(&Pid::current()) && pids.contains(&pid));
    assert!(!pids.contains(&tid), "a thread is not a process");

    let all = psx::scan(psx::Attr::ALL).unwrap();
    assert!(all.windows(2).all(|w| w[0].pid < w[1].pid));
    let found = all.iter().find(|i| i.pid == pid).expect("the child");
    assert_eq!(found.comm.as_deref(), Some("sleep"));
    assert_eq!(found.umask, Some(0o037));
    // Display: the attributes as psx info shows them.
    let shown = found.to_string();
    assert!(
        shown.starts_with(&format!("pid {pid}\n  comm      sleep\n  umask     0037\n")),
        "{shown}"
    );
    assert!(shown.contains("\n  rlimits   cpu "), "{shown}");
    let by_pid = psx::proc_info(pid, psx::Attr::ALL).unwrap();
    assert_eq!(found.groups, by_pid.groups);
    assert_eq!(found.rlimits, by_pid.rlimits);
    assert!(all.iter().all(|i| i.pid != tid));
    let me = all.iter().find(|i| i.pid == Pid::current()).unwrap();
    assert!(me.comm.is_some());
    // pgid and sid, from the scan's status reads, are what getpgid and getsid say.
    for info in [found, me] {
        let raw = info.pid.as_raw();
        // SAFETY: getpgid and getsid take an integer.
        let (pgid, sid) = unsafe { (libc::getpgid(raw), libc::getsid(raw)) };
        assert_eq!(info.pgid, Some(Pid::from(pgid)));
        assert_eq!(info.sid, Some(Pid::from(sid)));
    }
    assert_eq!(
        psx::Process::new(pid)
            .unwrap()
            .info(&[psx::Attr::Comm])
            .unwrap()
            .comm
            .as_deref(),
        Some("sleep")
    );

    done_tx.send(()).unwrap();
    thread.join().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn usage_counts_a_childs_descriptors_and_its_highest() {
    for extra in [0, 5] {
        let mut child = child_with_files(extra);
        let usage = psx::proc_usage(child.id()).unwrap();
        assert_eq!(
            usage.used[&Resource::Nofile],
            u64::from(extra) + 3,
            "{usage:?}"
        );
        assert_eq!(usage.highest_fd, Some(u64::from(extra) + 2));
        // The same through a handle, and inside proc_info.
        let handle = Process::new(child.id()).unwrap();
        assert_eq!(
            handle.usage().unwrap().used[&Resource::Nofile],
            u64::from(extra) + 3
        );
        let info = psx::proc_info(child.id(), &[psx::Attr::Usage]).unwrap();
        assert_eq!(
            info.usage.unwrap().used[&Resource::Nofile],
            u64::from(extra) + 3
        );
        child.kill().unwrap();
        child.wait().unwrap();
        // Reaped: gone through the handle, whatever now has the number.
        assert!(no_such_process(handle.usage()));
    }
}

/// A kernel thread (no address space: its status has no `VmSize:` line) is asked its
/// descriptors by the size of its `fd` directory first: its count is what a listing
/// finds (none, in practice) wherever the listing is allowed (root), and the same by the
/// size where it is not, on kernels whose size counts them; in a scan and alone, and
/// without a listing when the size says 0.
#[test]
fn a_kernel_threads_descriptors_are_counted_as_a_listing_counts_them() {
    // PF_KTHREAD (0x00200000, include/linux/sched.h) in the flags of `stat` (field 9).
    let kernel_thread = |pid: Pid| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            let after_name = &s[s.rfind(')').map_or(0, |i| i + 1)..];
            after_name
                .split_whitespace()
                .nth(6)
                .and_then(|f| f.parse::<u64>().ok())
                .is_some_and(|flags| flags & 0x0020_0000 != 0)
        })
    };
    let fd_dir = |pid: Pid| format!("/proc/{pid}/fd");
    let scanned = psx::scan(&[psx::Attr::Usage]).unwrap();
    let mut checked = 0;
    for info in scanned.iter().filter(|i| kernel_thread(i.pid)) {
        // What a listing and the size say, both before psx reads alone: a kernel thread
        // that exits meanwhile is skipped, whichever read it fails.
        let listed = std::fs::read_dir(fd_dir(info.pid)).map(|d| d.count() as u64);
        let Ok(by_size) = std::fs::metadata(fd_dir(info.pid)).map(|m| m.len()) else {
            continue;
        };
        let Ok(alone) = psx::proc_usage(info.pid) else {
            continue;
        };
        let expected = match listed {
            Ok(listed) => Some(listed),
            Err(_) if fd_dir_size_counts() => Some(by_size),
            Err(_) => None,
        };
        let usage = info.usage.as_ref();
        for (what, used) in [
            ("scan", usage.and_then(|u| u.used.get(&Resource::Nofile))),
            ("alone", alone.used.get(&Resource::Nofile)),
        ] {
            assert_eq!(used.copied(), expected, "{what}: pid {}", info.pid);
        }
        if expected == Some(0) {
            assert_eq!(usage.and_then(|u| u.highest_fd), None);
            checked += 1;
        }
    }
    let kthreadd = Pid::from(2u32);
    if !scanned.iter().any(|i| i.pid == kthreadd) || !kernel_thread(kthreadd) {
        // In a pid namespace of its own a test sees no kernel thread.
        return;
    }
    // On a machine, kthreadd at least, where its descriptors can be counted at all.
    if std::fs::read_dir(fd_dir(kthreadd)).is_ok() || fd_dir_size_counts() {
        assert!(checked > 0);
    }
    // Its empty table costs no listing where the size counts.
    if fd_dir_size_counts() {
        let before = psx_linux::fd_listings();
        let info = psx::proc_info(kthreadd, &[psx::Attr::Usage]).unwrap();
        assert_eq!(psx_linux::fd_listings(), before);
        let used = info.usage.map(|u| u.used.get(&Resource::Nofile).copied());
        assert_eq!(used, Some(Some(0)));
    }
}

#[test]
fn usage_of_a_child_grows_by_what_it_maps() {
    const MIB: u64 = 1 << 20;
    const MAPPED: u64 = 64 * MIB;
    let mut to_child = [0i32; 2];
    let mut from_child = [0i32; 2];
    // SAFETY: pipe fills the two-int arrays.
    assert_eq!(unsafe { libc::pipe(to_child.as_mut_ptr()) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::pipe(from_child.as_mut_ptr()) }, 0);
    // SAFETY: the child makes only async-signal-safe calls (read, write, mmap, _exit).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let mut byte = 0u8;
        // SAFETY: raw calls on our own pipe ends and a fresh anonymous mapping.
        unsafe {
            libc::write(from_child[1], c"1".as_ptr().cast(), 1);
            libc::read(to_child[0], (&raw mut byte).cast(), 1);
            let map = libc::mmap(
                std::ptr::null_mut(),
                MAPPED as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            let said = if map == libc::MAP_FAILED { c"x" } else { c"2" };
            libc::write(from_child[1], said.as_ptr().cast(), 1);
            libc::read(to_child[0], (&raw mut byte).cast(), 1);
            libc::_exit(0);
        }
    }
    let wait_for = |expected: u8| {
        let mut byte = 0u8;
        assert_eq!(
            // SAFETY: reads one byte into `byte`.
            unsafe { libc::read(from_child[0], (&raw mut byte).cast(), 1) },
            1
        );
        assert_eq!(byte, expected, "child could not map");
    };
    // SAFETY: writes one byte from a static string.
    let proceed = || unsafe { libc::write(to_child[1], c"g".as_ptr().cast(), 1) };
    wait_for(b'1');
    let before = psx::proc_usage(pid).unwrap();
    proceed();
    wait_for(b'2');
    let after = psx::proc_usage(pid).unwrap();
    proceed();
    let mut status = 0;
    // SAFETY: reaps our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    let grew = |r: Resource| after.used[&r] - before.used[&r];
    assert!(grew(Resource::As) >= MAPPED, "{before:?} -> {after:?}");
    // A private writable mapping is data (`data_vm`), and untouched it is not resident.
    assert!(grew(Resource::Data) >= MAPPED, "{before:?} -> {after:?}");
    assert!(after.used[&Resource::Rss] < after.used[&Resource::As]);
    for fd in to_child.into_iter().chain(from_child) {
        // SAFETY: closes our own pipe ends once.
        unsafe { libc::close(fd) };
    }
}

/// A `sleep` child `increment` nicer than this process, and the nice psx should read
/// for it on the limit's scale (`20 - nice`), once its `nice` has run (or 10 s passed).
fn nicer_child(increment: i32) -> (std::process::Child, u64) {
    // SAFETY: getpriority takes integers; errno is not consulted for a nice in range.
    let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let child = Command::new("nice")
        .args(["-n", &increment.to_string(), "sleep", "30"])
        .spawn()
        .unwrap();
    let expected = (20 - (own + increment).min(19)) as u64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let nice_now = || psx::proc_usage(child.id()).unwrap().used[&Resource::Nice];
    while nice_now() != expected && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    (child, expected)
}

#[test]
fn usage_shows_nice_on_the_limit_scale() {
    let (mut child, expected) = nicer_child(7);
    let nice = psx::proc_usage(child.id()).unwrap().used[&Resource::Nice];
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(nice, expected);
    // A scan counts NPROC per real user: at least this process's threads for ours.
    let me = Pid::current();
    let scanned = psx::scan(&[psx::Attr::Usage]).unwrap();
    let mine = scanned.iter().find(|i| i.pid == me).unwrap();
    assert!(mine.usage.as_ref().unwrap().used[&Resource::Nproc] >= 1);
}

#[test]
fn usage_counts_cpu_seconds_as_the_cpu_limit_does() {
    // A child spinning until it has used a little over a second of CPU time.
    let mut child = Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let cpu = || psx::proc_usage(pid).unwrap().used[&Resource::Cpu];
    while cpu() < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let used = cpu();
    // The same time as `stat` shows it (utime + stime, in clock ticks), whole seconds.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf takes an integer.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(used >= 1, "{used} s after 20 s of spinning");
    assert!(
        used.abs_diff(ticks / hz) <= 1,
        "{used} s, stat {ticks} ticks"
    );
}

#[test]
fn usage_shows_the_real_time_priority() {
    let mut plain = Command::new("sleep").arg("30").spawn().unwrap();
    let used = psx::proc_usage(plain.id()).unwrap().used;
    plain.kill().unwrap();
    plain.wait().unwrap();
    assert_eq!(used[&Resource::Rtprio], 0);
    // SCHED_FIFO 5 where this caller may give it (root with CAP_SYS_NICE), nice 3 above
    // ours: a real-time task keeps a nice, which the scheduler reports apart.
    // SAFETY: getpriority takes integers; errno is not consulted for a nice in range.
    let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let Ok(mut fifo) = Command::new("nice")
        .args(["-n", "3", "chrt", "-f", "5", "sleep", "30"])
        .stderr(Stdio::null())
        .spawn()
    else {
        return;
    };
    let pid = fifo.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // SAFETY: sched_getscheduler takes an integer.
    let policy = || unsafe { libc::sched_getscheduler(pid as i32) };
    while policy() != libc::SCHED_FIFO
        && fifo.try_wait().unwrap().is_none()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let read = (policy() == libc::SCHED_FIFO).then(|| {
        let scanned = psx::scan(&[psx::Attr::Usage]).unwrap();
        let in_scan = scanned.into_iter().find(|i| i.pid.get() == i64::from(pid));
        (psx::proc_usage(pid).unwrap(), in_scan.and_then(|i| i.usage))
    });
    let _ = fifo.kill();
    fifo.wait().unwrap();
    if let Some((used, in_scan)) = read {
        let expected_nice = (20 - (own + 3).min(19)) as u64;
        for used in [Some(used), in_scan] {
            let used = used.unwrap().used;
            assert_eq!(used[&Resource::Rtprio], 5);
            assert_eq!(used[&Resource::Nice], expected_nice);
        }
    }
}

/// Runs `read` on a thread whose seccomp filter answers `sched_getattr` with EPERM, as a
/// filter written before the call existed does; `None` where no filter can be set.
fn without_sched_getattr<T: Send>(read: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let nr = libc::SYS_sched_getattr as u32;
                let errno = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
                let op = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter {
                    code: code as u16,
                    jt,
                    jf,
                    k,
                };
                // A = seccomp_data.nr (offset 0); EPERM for sched_getattr, else allow.
                let program = [
                    op(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
                    op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, nr, 0, 1),
                    op(libc::BPF_RET | libc::BPF_K, errno, 0, 0),
                    op(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW, 0, 0),
                ];
                let prog = libc::sock_fprog {
                    len: program.len() as u16,
                    filter: program.as_ptr().cast_mut(),
                };
                // SAFETY: both calls take integers and, for the filter, a program that
                // lives until they return; they change only this thread.
                let installed = unsafe {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                        && libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &prog)
                            == 0
                };
                if !installed {
                    return None;
                }
                // The filter holds: the call itself is refused on this thread.
                let mut attr = [0u64; 7];
                // SAFETY: `attr` is writable for its 56 bytes, more than the 48 asked.
                let ret =
                    unsafe { libc::syscall(libc::SYS_sched_getattr, 0, attr.as_mut_ptr(), 48, 0) };
                assert_eq!(
                    (ret, std::io::Error::last_os_error().raw_os_error()),
                    (-1, Some(libc::EPERM))
                );
                Some(read())
            })
            .join()
            .unwrap()
    })
}

#[test]
fn nice_and_rtprio_are_read_where_sched_getattr_is_filtered() {
    let (mut child, expected) = nicer_child(5);
    let pid = child.id();
    let read = without_sched_getattr(|| {
        let scanned = psx::scan(&[psx::Attr::Usage]).unwrap();
        let in_scan = scanned.into_iter().find(|i| i.pid.get() == i64::from(pid));
        (psx::proc_usage(pid).unwrap(), in_scan.and_then(|i| i.usage))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let Some((usage, in_scan)) = read else {
        return;
    };
    for usage in [Some(usage), in_scan] {
        let used = usage.unwrap().used;
        assert_eq!(used[&Resource::Nice], expected);
        assert_eq!(used[&Resource::Rtprio], 0);
    }
}

#[test]
fn a_scans_nproc_count_is_over_every_process_of_the_user() {
    let scanned = psx::scan(&[psx::Attr::Usage]).unwrap();
    // Each process's real user, from its status (gone ones are skipped).
    let ruid = |pid: Pid| -> Option<u32> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("Uid:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let mut by_user: std::collections::BTreeMap<u32, Vec<u64>> = Default::default();
    for info in &scanned {
        let nproc = info
            .usage
            .as_ref()
            .and_then(|u| u.used.get(&Resource::Nproc));
        if let (Some(&nproc), Some(uid)) = (nproc, ruid(info.pid)) {
            by_user.entry(uid).or_default().push(nproc);
        }
    }
    // SAFETY: getuid cannot fail.
    assert!(by_user.contains_key(&unsafe { libc::getuid() }));
    // The scan reads its shares on several threads: the count is still one per user,
    // at least that user's processes in the scan.
    for (uid, counts) in by_user {
        assert!(
            counts.iter().all(|&n| n == counts[0]),
            "uid {uid}: {counts:?}"
        );
        assert!(counts[0] >= counts.len() as u64, "uid {uid}: {counts:?}");
    }
}

#[test]
fn usage_shares_the_status_read_of_its_oneshot() {
    let me = std::process::id();
    let reads = |f: &dyn Fn()| {
        let before = psx_linux::status_reads();
        f();
        psx_linux::status_reads() - before
    };
    // Memory, SigQ and the thread count come from one status read with the name,
    // umask, groups and masks asked alongside.
    let attrs = [
        psx::Attr::Comm,
        psx::Attr::Umask,
        psx::Attr::Groups,
        psx::Attr::Usage,
    ];
    assert_eq!(reads(&|| drop(psx::proc_info(me, &attrs).unwrap())), 1);
    assert_eq!(reads(&|| drop(psx::proc_usage(me).unwrap())), 1);
    // A oneshot not told about usage reads the status again for it, and once only.
    assert_eq!(
        reads(&|| psx::with_oneshot(me, || {
            psx::proc_get_umask(me).unwrap();
            psx::proc_usage(me).unwrap();
            psx::proc_usage(me).unwrap();
            psx::proc_getgroups(me).unwrap();
        })),
        2
    );
}
