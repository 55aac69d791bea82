//! The `psx` binary, driven as a user would: output, JSON shape, exit codes, errors.
#![cfg(all(feature = "cli", target_os = "linux"))]

use std::process::{Child, Command, Output, Stdio};

mod common;

fn psx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_psx"))
        .args(args)
        .output()
        .expect("run psx")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("psx exited by a signal")
}

/// A `sleep` child, killed and reaped when dropped.
struct Sleeper(Child);

impl Sleeper {
    fn new() -> Self {
        Sleeper(
            Command::new("sleep")
                .arg("30")
                .spawn()
                .expect("spawn sleep"),
        )
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn json(out: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", stdout(out)))
}

#[test]
fn info_json_of_this_process_matches_what_it_knows() {
    let me = std::process::id();
    let out = psx(&["info", "--json", &me.to_string()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = json(&out);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["pid"], me);
    assert_eq!(item["umask"], psx::proc_get_umask(me).unwrap());
    assert_eq!(item["pgid"], psx::proc_getpgid(me).unwrap().as_raw());
    assert_eq!(item["sid"], psx::proc_getsid(me).unwrap().as_raw());
    let groups: Vec<u32> = serde_json::from_value(item["groups"].clone()).unwrap();
    assert_eq!(groups, psx::proc_getgroups(me).unwrap());
    let nofile = psx::proc_getrlimit(me, psx::Resource::Nofile).unwrap();
    let limit = |l: psx::Limit| match l {
        psx::Limit::Value(v) => serde_json::json!(v),
        psx::Limit::Unlimited => serde_json::json!("unlimited"),
    };
    assert_eq!(item["rlimits"]["nofile"]["soft"], limit(nofile.soft));
    assert_eq!(item["rlimits"]["nofile"]["hard"], limit(nofile.hard));
    assert_eq!(item["rlimits"].as_object().unwrap().len(), 16);
    // Signal sets are sorted arrays of numbers; all five masks are there on Linux.
    for mask in ["pending", "blocked", "ignored", "caught", "process_pending"] {
        let sigs: Vec<i32> = serde_json::from_value(item["sigmasks"][mask].clone()).unwrap();
        assert!(sigs.windows(2).all(|w| w[0] < w[1]), "{mask}: {sigs:?}");
    }
}

#[test]
fn info_json_of_a_child_after_psx_rlimit_sets_its_limit() {
    let child = Sleeper::new();
    let pid = child.pid();
    let out = psx(&["rlimit", &pid, "nofile=100:200", "core=0:"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("-> 100:200"), "{}", stdout(&out));
    let out = psx(&["info", "--json", &pid]);
    assert_eq!(code(&out), 0);
    let item = &json(&out)[0];
    assert_eq!(
        item["rlimits"]["nofile"],
        serde_json::json!({"soft": 100, "hard": 200})
    );
    assert_eq!(item["rlimits"]["core"]["soft"], 0);
    // Each side on its own.
    let out = psx(&["rlimit", &pid, "nofile=50:"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = psx(&[
        "rlimit",
        "--raw",
        "-o",
        "RESOURCE,SOFT,HARD",
        &pid,
        "nofile",
    ]);
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["NOFILE", "50", "200"]),
        "{}",
        stdout(&out)
    );
}

#[test]
fn text_info_names_signals_groups_and_limits() {
    let out = psx(&["info"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("pid "), "{text}");
    for label in [
        "umask",
        "groups",
        "pgid",
        "sid",
        "signals ignored",
        "limits",
        "nofile",
        "unlimited",
    ] {
        assert!(text.contains(label), "no {label} in:\n{text}");
    }
    let umask = psx::proc_get_umask(std::process::id()).unwrap();
    assert!(
        text.contains(&format!("{umask:04o}")),
        "octal umask missing:\n{text}"
    );
    // A child that ignores SIGPIPE shows its name next to the number.
    let out = psx(&["info", "1"]);
    assert!(matches!(code(&out), 0 | 1));
}

#[test]
fn bad_pids_fail_without_a_panic() {
    let out = psx(&["info", "-5"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).trim(), "psx: -5: no such process");

    let out = psx(&["info", "99999999"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).trim(), "psx: 99999999: no such process");

    let out = psx(&["info", "abc"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("psx: abc: invalid pid"),
        "{}",
        stderr(&out)
    );

    let out = psx(&["rlimit", "0"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).trim(), "psx: 0: no such process");
}

#[test]
fn some_pids_failing_still_prints_the_others() {
    let me = std::process::id().to_string();
    let out = psx(&["info", "--json", &me, "99999999", "-1", "4294967295"]);
    assert_eq!(code(&out), 1);
    let items = json(&out);
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["pid"], std::process::id());
    assert_eq!(
        items[1],
        serde_json::json!({"pid": 99999999, "error": "no such process", "kind": "no_such_process"})
    );
    assert_eq!(items[2]["error"], "no such process");
    // A pid no kernel hands out keeps its number; it is not folded onto i32::MAX.
    assert_eq!(
        items[3],
        serde_json::json!({"pid": 4294967295u32, "error": "no such process", "kind": "no_such_process"})
    );
    let lines: Vec<_> = stderr(&out).lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            "psx: 99999999: no such process",
            "psx: -1: no such process",
            "psx: 4294967295: no such process"
        ]
    );
}

#[test]
fn bad_rlimit_arguments_are_usage_errors_and_change_nothing() {
    let child = Sleeper::new();
    let pid = child.pid();
    let before = psx::proc_getrlimit(child.0.id(), psx::Resource::Nofile).unwrap();
    for bad in [
        "bogus",
        "nofile=10:5",
        "nofile=x:y",
        "nofile=",
        "nofile=:",
        "sbsize=1",
    ] {
        let out = psx(&["rlimit", &pid, "core=0:", bad]);
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("psx: "), "{bad}: {}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "{bad}: nothing may be set or printed"
        );
    }
    // A pair that is only invalid once the kept side is filled in: refused, unchanged.
    let out = psx(&["rlimit", &pid, "nofile=:1"]);
    if before.soft > psx::Limit::Value(1) {
        assert_eq!(code(&out), 1);
        assert!(
            stderr(&out).contains("current limit exceeds maximum limit"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        psx::proc_getrlimit(child.0.id(), psx::Resource::Nofile).unwrap(),
        before
    );
    let core = psx::proc_getrlimit(child.0.id(), psx::Resource::Core).unwrap();
    assert_eq!(
        core,
        psx::proc_getrlimit(std::process::id(), psx::Resource::Core).unwrap()
    );
}

#[test]
fn rlimit_lists_every_limit_with_unlimited() {
    let out = psx(&["rlimit", &std::process::id().to_string()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 17, "{text}");
    assert!(text.lines().next().unwrap().starts_with("RESOURCE"));
}

#[test]
fn info_all_walks_every_process() {
    let out = psx(&["info", "--all", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = json(&out);
    assert!(items.iter().any(|i| i["pid"] == std::process::id()));
    assert!(items.len() > 2);
    // pids may not be combined with --all.
    assert_eq!(code(&psx(&["info", "--all", "1"])), 2);
}

#[test]
fn ps_lists_this_process() {
    let me = std::process::id().to_string();
    for args in [&["ps"][..], &["ps", "--signals"][..]] {
        let out = psx(args);
        assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
        let text = stdout(&out);
        let header = text.lines().next().unwrap();
        assert!(
            header
                .split_whitespace()
                .take(4)
                .eq(["PID", "PGID", "SID", "UMASK"]),
            "{header}"
        );
        assert_eq!(header.contains("BLOCKED"), args.len() == 2);
        assert!(header.ends_with("COMMAND"), "{header}");
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(me.as_str())),
            "{text}"
        );
    }
}

#[test]
fn help_is_there_for_every_subcommand_and_usage_errors_exit_2() {
    for sub in ["info", "rlimit", "ps"] {
        let out = psx(&[sub, "--help"]);
        assert_eq!(code(&out), 0);
        assert!(
            stdout(&out).contains("Examples:"),
            "{sub} --help has no examples"
        );
    }
    assert_eq!(code(&psx(&["bogus"])), 2);
    assert_eq!(code(&psx(&[])), 2);
    assert_eq!(code(&psx(&["rlimit"])), 2);
}

/// Runs psx as an ordinary user: uid and gid 65534 when this test runs as root (with
/// the capabilities to switch), as this user otherwise. `None`, saying why, when that
/// user cannot run the binary here (a build tree it may not enter).
fn psx_unprivileged_or_skip(args: &[&str]) -> Option<Output> {
    let out = psx_unprivileged(args);
    if code(&out) == 126 || stderr(&out).contains("Permission denied (os error 13)") {
        println!("skipped: uid 65534 cannot run the psx binary here");
        return None;
    }
    Some(out)
}

/// [`psx_unprivileged_or_skip`] once the binary is known to run.
fn psx_unprivileged(args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_psx"));
    cmd.args(args);
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        // std drops the supplementary groups too when it switches uid as root.
        cmd.uid(65534).gid(65534);
    }
    cmd.output().expect("run psx")
}

/// A process of another user (root) that an ordinary user may not read the limits of:
/// this test process when it runs as root, else pid 1 if root owns it.
fn other_users_process() -> Option<u32> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Some(std::process::id());
    }
    let status = std::fs::read_to_string("/proc/1/status").ok()?;
    let root_owned = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    root_owned.then_some(1)
}

/// An error line names the pid, what was being done and what the OS said; a JSON error
/// object carries the same reason and its stable kind.
#[test]
fn errors_say_what_was_being_done_and_their_kind() {
    // A vanished pid: the same reason and kind in text and JSON, from every command.
    let mut child = Command::new("true").spawn().unwrap();
    let gone = child.id().to_string();
    child.wait().unwrap();
    let out = psx(&["ps", "--json", &gone]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        json(&out),
        [
            serde_json::json!({"pid": child.id(), "error": "no such process", "kind": "no_such_process"})
        ]
    );
    assert_eq!(stderr(&out).trim(), format!("psx: {gone}: no such process"));
    let out = psx(&["rlimit", "--json", &gone, "nofile"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).trim(), format!("psx: {gone}: no such process"));

    // Another user's process.
    let Some(target) = other_users_process() else {
        println!("skipped: no process of another user to be refused");
        return;
    };
    let target = target.to_string();
    let Some(out) = psx_unprivileged_or_skip(&["rlimit", &target, "as"]) else {
        return;
    };
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!("psx: {target}: access denied getting the as limit: Operation not permitted")
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    // Reading first: when setting, the refusal comes from reading the current limits.
    let out = psx_unprivileged(&["rlimit", &target, "core=0:0"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out).trim(),
        format!("psx: {target}: access denied getting the core limit: Operation not permitted")
    );
    // In JSON, a denied attribute is null and its kind is in "errors".
    let out = psx_unprivileged(&["info", "--json", &target]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let item = &json(&out)[0];
    assert!(item["rlimits"].is_null(), "{item}");
    assert_eq!(item["errors"]["rlimits"], "access_denied", "{item}");
}

/// A refused set names the limit, the pair tried, and what the OS said.
#[test]
fn a_refused_set_says_which_limit_and_why() {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    // CAP_SYS_RESOURCE (bit 24) lets a non-root psx raise hard limits: nothing to refuse.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let caps = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|c| u64::from_str_radix(c.trim(), 16).ok())
        .unwrap_or(0);
    if !root && caps & (1 << 24) != 0 {
        println!("skipped: this user may raise hard limits");
        return;
    }
    // A sleep of the user psx will run as, with no core files allowed (hard limit 0):
    // its owner may not raise that again.
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    if root {
        cmd.uid(65534).gid(65534);
    }
    // SAFETY: setrlimit is async-signal-safe and `zero` lives across the call.
    unsafe {
        cmd.pre_exec(|| {
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &zero) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let child = Sleeper(cmd.spawn().expect("spawn sleep"));
    let pid = child.pid();
    let Some(out) = psx_unprivileged_or_skip(&["rlimit", &pid, "core=:1"]) else {
        return;
    };
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "psx: {pid}: core=0:1: access denied setting the core limit: Operation not permitted"
        )
    );
    // Nothing changed (read as its owner: root may lack CAP_SYS_RESOURCE).
    let out = psx_unprivileged(&[
        "rlimit",
        "--raw",
        "--noheadings",
        "-o",
        "SOFT,HARD",
        &pid,
        "core",
    ]);
    assert_eq!(
        (code(&out), stdout(&out).as_str()),
        (0, "0 0\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_pid_that_exits_reads_as_gone() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id().to_string();
    child.wait().unwrap();
    let out = psx(&["info", &pid]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).trim(), format!("psx: {pid}: no such process"));
}

/// Processes that exit while `--all` walks are skipped, as ps skips them: a busy
/// machine must not make every run fail.
#[test]
fn info_all_skips_processes_that_exit_mid_walk() {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(mut c) = Command::new("true").spawn() {
                    let _ = c.wait();
                }
            }
        })
    };
    let runs: Vec<Output> = (0..5).map(|_| psx(&["info", "--all", "--json"])).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
    for out in runs {
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(json(&out).len() > 2);
    }
}

/// `>/dev/full` is an error to report (exit 1), as ls and prlimit report it; a full
/// stderr loses the message but neither panics nor changes the status.
#[test]
fn write_errors_are_reported_and_never_panic() {
    let child = Sleeper::new();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let run = |args: &[&str], out: Stdio, err: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_psx"))
            .args(args)
            .stdout(out)
            .stderr(err)
            .output()
            .unwrap()
    };
    for args in [
        &["info"][..],
        &["info", "--json"][..],
        &["ps"][..],
        &["rlimit", &child.pid(), "core=0:"][..],
    ] {
        let out = run(args, full().into(), Stdio::piped());
        assert_eq!(code(&out), 1, "{args:?}");
        assert!(
            stderr(&out).contains("write error"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = run(&["info", "0"], Stdio::piped(), full().into());
    assert_eq!(code(&out), 1);
}

/// Settings apply in order, each against the limits then in force; the first refusal
/// stops the run and leaves the earlier ones set, as `--help` says.
#[test]
fn rlimit_settings_apply_in_order() {
    let child = Sleeper::new();
    let (pid, id) = (child.pid(), child.0.id());
    let core = |s, h| psx::RLimit::new(psx::Limit::Value(s), psx::Limit::Value(h));
    let out = psx(&["rlimit", &pid, "core=0:100", "core=50:"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        psx::proc_getrlimit(id, psx::Resource::Core).unwrap(),
        core(50, 100)
    );
    let help = stdout(&psx(&["rlimit", "--help"]));
    assert!(help.contains("applied in the order given"), "{help}");
    // A refusal after a success: the success stays.
    let out = psx(&["rlimit", &pid, "core=0:90", "core=95:", "core=1:"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("core=95:90"), "{}", stderr(&out));
    assert_eq!(
        psx::proc_getrlimit(id, psx::Resource::Core).unwrap(),
        core(0, 90)
    );
    // `unlimited` and 2^64-1 are one value to Linux.
    let out = psx(&["rlimit", &pid, "core=18446744073709551615:unlimited"]);
    assert_ne!(code(&out), 2, "{}", stderr(&out));
    let out = psx(&["rlimit", &pid, "core=unlimited:18446744073709551615"]);
    assert_ne!(code(&out), 2, "{}", stderr(&out));
}

/// Runs `script` with `sh` as root in fresh namespaces made by `unshare ARGS`, with
/// `$PSX` naming the binary; `None` (the test then skips, saying why) where this
/// machine or user cannot make them.
fn in_namespaces(unshare_args: &[&str], script: &str) -> Option<Output> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: making namespaces and mounting /proc needs root");
        return None;
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let mut parts = release
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    if (parts.next()?, parts.next()?) < (5, 8) {
        // Before 5.8 every procfs mount of a pid namespace shares one superblock, so a
        // hidepid mount here would change the host's /proc.
        println!("skipped: per-mount procfs options need Linux 5.8");
        return None;
    }
    let probe = Command::new("unshare")
        .args(unshare_args)
        .arg("true")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        println!("skipped: unshare {unshare_args:?} is not possible here");
        return None;
    }
    let out = Command::new("unshare")
        .args(unshare_args)
        .args(["sh", "-c", script])
        .env("PSX", env!("CARGO_BIN_EXE_psx"))
        .output()
        .expect("run unshare");
    Some(out)
}

/// Stdout of `script`'s commands, split by the `=== name` lines it prints.
fn sections(out: &Output) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    let mut current = String::new();
    for line in stdout(out).lines() {
        match line.strip_prefix("=== ") {
            Some(name) => current = name.to_owned(),
            None => map
                .entry(current.clone())
                .or_insert_with(String::new)
                .push_str(&format!("{line}\n")),
        }
    }
    map
}

/// A section's text before its last line, `exit N`, and N.
fn body_and_exit(section: &str) -> (&str, i32) {
    let trimmed = section.trim_end();
    let (body, last) = trimmed.rsplit_once('\n').unwrap_or(("", trimmed));
    let code = last.strip_prefix("exit ").and_then(|c| c.parse().ok());
    (
        body,
        code.unwrap_or_else(|| panic!("no exit line in {section:?}")),
    )
}

/// Under `hidepid=`, an unprivileged user cannot see root's processes in /proc, yet they
/// live: every command must call them denied, never gone, and agree with each other.
#[test]
fn hidden_processes_are_denied_not_gone() {
    for hidepid in ["1", "2"] {
        let script = format!(
            "mount -t proc -o hidepid={hidepid} proc /proc || exit 99
             as_nobody() {{ setpriv --reuid=65534 --regid=65534 --clear-groups \"$@\"; }}
             echo '=== info'; as_nobody \"$PSX\" info --json 1; echo \"exit $?\"
             echo '=== rlimit'; as_nobody \"$PSX\" rlimit 1 nofile 2>&1; echo \"exit $?\"
             echo '=== self'; as_nobody \"$PSX\" info --json; echo \"exit $?\""
        );
        let Some(out) = in_namespaces(&["--mount", "--propagation", "private"], &script) else {
            return;
        };
        assert_eq!(code(&out), 0, "hidepid={hidepid}: {}", stderr(&out));
        let s = sections(&out);
        let (info, info_exit) = body_and_exit(&s["info"]);
        assert_eq!(info_exit, 0, "hidepid={hidepid}: {}", s["info"]);
        let info: Vec<serde_json::Value> = serde_json::from_str(info).unwrap();
        let item = &info[0];
        assert_eq!(item["pid"], 1, "hidepid={hidepid}: {item}");
        // Hidden attributes are missing, not an error; pgid and sid need no /proc.
        assert!(
            item["umask"].is_null() && item["rlimits"].is_null(),
            "{item}"
        );
        // And says why.
        assert_eq!(item["errors"]["umask"], "access_denied", "{item}");
        assert_eq!(item["errors"]["rlimits"], "access_denied", "{item}");
        assert!(item["errors"].get("pgid").is_none(), "{item}");
        // SAFETY: getpgid takes an integer.
        assert_eq!(item["pgid"], unsafe { libc::getpgid(1) }, "{item}");
        // The pin goes by a pidfd; prlimit(2) itself refuses, and says so.
        assert_eq!(
            s["rlimit"].trim(),
            "psx: 1: access denied getting the nofile limit: Operation not permitted\nexit 1",
            "hidepid={hidepid}"
        );
        assert!(s["self"].ends_with("exit 0\n"), "{}", s["self"]);
        assert!(s["self"].contains("\"umask\":"), "{}", s["self"]);
    }
}

/// A /proc left from the parent's pid namespace (`unshare -p` without a new mount)
/// numbers other processes than psx's own calls do: psx reads itself through
/// /proc/self, refuses to read others through that /proc, and sets limits through a
/// pidfd, which numbers processes as the caller does.
#[test]
fn a_proc_of_another_pid_namespace_is_never_misread() {
    let script = "umask 077
        echo '=== self'; \"$PSX\" info --json; echo \"exit $?\"
        echo '=== other'; \"$PSX\" info 1 2>&1; echo \"exit $?\"
        echo '=== ps'; \"$PSX\" ps 2>&1; echo \"exit $?\"
        echo '=== set'; \"$PSX\" rlimit 1 core=51200: 2>&1; echo \"exit $?\"
        echo '=== ulimit'; ulimit -c -S";
    let Some(out) = in_namespaces(&["--pid", "--fork"], script) else {
        return;
    };
    let s = sections(&out);
    assert!(s["self"].contains("\"umask\":63,"), "{}", s["self"]);
    assert!(
        s["other"].contains("another pid namespace"),
        "{}",
        s["other"]
    );
    assert!(s["other"].ends_with("exit 1\n"), "{}", s["other"]);
    assert!(s["ps"].contains("another pid namespace"), "{}", s["ps"]);
    assert!(s["ps"].ends_with("exit 1\n"), "{}", s["ps"]);
    // pid 1 of the namespace is the shell: its own limit changed, as its `ulimit` shows.
    assert!(s["set"].ends_with("exit 0\n"), "{}", s["set"]);
    let blocks: u64 = s["ulimit"].trim().parse().unwrap();
    assert!(blocks == 100 || blocks == 50, "{}", s["ulimit"]);
}

/// Without procfs, listing fails loudly (exit 1) instead of printing nothing, while
/// limits, which `prlimit(2)` reads alone, still work.
#[test]
fn without_procfs_listing_fails_and_limits_still_work() {
    let script = "mount -t tmpfs none /proc || exit 99
        echo '=== ps'; \"$PSX\" ps 2>&1; echo \"exit $?\"
        echo '=== all'; \"$PSX\" info --all --json 2>&1; echo \"exit $?\"
        echo '=== rlimit'; \"$PSX\" rlimit $$ nofile; echo \"exit $?\"";
    let Some(out) = in_namespaces(&["--mount", "--propagation", "private"], script) else {
        return;
    };
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let s = sections(&out);
    for key in ["ps", "all"] {
        assert!(
            s[key].contains("procfs is not mounted"),
            "{key}: {}",
            s[key]
        );
        assert!(s[key].ends_with("exit 1\n"), "{key}: {}", s[key]);
    }
    assert!(s["rlimit"].starts_with("RESOURCE"), "{}", s["rlimit"]);
    assert!(s["rlimit"].ends_with("exit 0\n"), "{}", s["rlimit"]);
}

/// `psx ps PID...` shows those processes only; `--json` prints the `info --json`
/// objects; PENDING is the process's pending set (`ps -o pending`), TPENDING the main
/// thread's own.
#[test]
fn ps_of_given_pids_with_signals_and_json() {
    use std::os::unix::process::CommandExt;
    // A child with SIGUSR1 blocked (the mask survives exec), then sent SIGUSR1 as a
    // process: it waits in the process's pending set, not the thread's.
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    // SAFETY: sigemptyset, sigaddset and sigprocmask are async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let child = Sleeper(cmd.spawn().unwrap());
    let pid = child.pid();
    // SAFETY: kill with a valid signal.
    assert_eq!(unsafe { libc::kill(child.0.id() as i32, libc::SIGUSR1) }, 0);
    // Wait until the kernel shows it pending (ShdPnd).
    let status_path = format!("/proc/{pid}/status");
    for _ in 0..100 {
        let status = std::fs::read_to_string(&status_path).unwrap();
        if status.contains("ShdPnd:\t0000000000000200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = psx(&["ps", "--signals", &pid]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 2, "{text}");
    let header: Vec<&str> = rows[0].split_whitespace().collect();
    let row: Vec<&str> = rows[1].split_whitespace().collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("PID"), pid);
    assert_eq!(col("PENDING"), "0000000000000200", "{text}");
    assert_eq!(col("TPENDING"), "0000000000000000", "{text}");
    assert_eq!(col("BLOCKED"), "0000000000000200", "{text}");
    assert_eq!(*row.last().unwrap(), "sleep");

    let me = std::process::id().to_string();
    let out = psx(&["ps", "--json", &pid, &me, "-5"]);
    assert_eq!(code(&out), 1, "a bad pid fails the run: {}", stderr(&out));
    let items = json(&out);
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["comm"], "sleep");
    assert_eq!(
        items[0]["sigmasks"]["process_pending"],
        serde_json::json!([10])
    );
    assert_eq!(items[1]["pid"], std::process::id());
    assert_eq!(items[2]["kind"], "no_such_process");
    // The whole table, as JSON.
    let all = json(&psx(&["ps", "--json"]));
    assert!(all
        .iter()
        .any(|i| i["pid"] == std::process::id() && i["comm"].is_string()));
}

/// `psx rlimit` as a drop-in for util-linux `prlimit`: the same table, byte for byte,
/// in raw form, aligned form and with prlimit's own flags.
#[test]
fn rlimit_prints_what_prlimit_prints() {
    let child = Sleeper::new();
    let pid = child.pid();
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &[
                "--raw",
                "--noheadings",
                "--output",
                "RESOURCE,SOFT,HARD",
                &pid,
            ],
            &[
                "--raw",
                "--noheadings",
                "--output",
                "RESOURCE,SOFT,HARD",
                "--pid",
                &pid,
            ],
        ),
        (&[&pid], &["--pid", &pid]),
        (&["--raw", "--pid", &pid], &["--raw", "--pid", &pid]),
        (
            &["--pid", &pid, "-n", "--core", "--stack"],
            &["--pid", &pid, "-n", "--core", "--stack"],
        ),
    ];
    for (ours, theirs) in cases {
        let Ok(util) = Command::new("prlimit").args(theirs).output() else {
            println!("skipped: no util-linux prlimit to compare with");
            return;
        };
        let mine = psx(&[&["rlimit"][..], ours].concat());
        assert_eq!(code(&mine), 0, "{}", stderr(&mine));
        assert_eq!(stdout(&mine), stdout(&util), "psx rlimit {ours:?}");
    }
}

/// prlimit's `--<resource>=SOFT:HARD` sets, in order; `--json` shows limits as objects.
#[test]
fn rlimit_takes_prlimit_flags_and_json() {
    let child = Sleeper::new();
    let pid = child.pid();
    let out = psx(&[
        "rlimit",
        "--pid",
        &pid,
        "--core=0:100",
        "-c50:",
        "--nofile=64:",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let core = psx::proc_getrlimit(child.0.id(), psx::Resource::Core).unwrap();
    assert_eq!(
        core,
        psx::RLimit::new(psx::Limit::Value(50), psx::Limit::Value(100))
    );
    let nofile = psx::proc_getrlimit(child.0.id(), psx::Resource::Nofile).unwrap();
    assert_eq!(nofile.soft, psx::Limit::Value(64));
    let out = psx(&["rlimit", "--json", &pid, "core", "as"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        items[0],
        serde_json::json!({"resource": "core", "description": "max core file size",
            "soft": 50, "hard": 100, "units": "bytes", "used": null})
    );
    assert_eq!(items[1]["resource"], "as");
    // Bad columns and a missing pid are usage errors.
    assert_eq!(code(&psx(&["rlimit", "-o", "BOGUS", &pid])), 2);
    assert_eq!(code(&psx(&["rlimit", "--nofile"])), 2);
}

/// Completions and the manual page come from the same definitions as the parser,
/// prlimit's per-resource flags included; the exit codes are in `--help`.
#[test]
fn completions_manpage_and_exit_codes_in_help() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = psx(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("rlimit") && text.contains("nofile"),
            "{shell}"
        );
    }
    assert_eq!(code(&psx(&["completions", "tcsh"])), 2);
    let man = psx(&["manpage"]);
    assert_eq!(code(&man), 0);
    assert!(stdout(&man).contains(".TH psx 1"), "{}", stdout(&man));
    let help = stdout(&psx(&["--help"]));
    assert!(help.contains("Exit status: 0"), "{help}");
}

/// [`common::child_with_files`], killed and reaped when dropped.
fn sleeper_with_files(extra: u32) -> Sleeper {
    Sleeper(common::child_with_files(extra))
}

#[test]
fn rlimit_used_column_and_json_show_a_childs_descriptors() {
    let child = sleeper_with_files(4);
    let pid = child.pid();
    let out = psx(&[
        "rlimit",
        "--output",
        "RESOURCE,USED,SOFT",
        &pid,
        "nofile",
        "core",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let nofile = psx::proc_getrlimit(child.0.id(), psx::Resource::Nofile).unwrap();
    let text = stdout(&out);
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["RESOURCE", "USED", "SOFT"]);
    assert_eq!(lines[1], ["NOFILE", "7", &nofile.soft.to_string()]);
    // No use is read for a core limit: shown as "-".
    assert_eq!(lines[2][..2], ["CORE", "-"]);
    // prlimit's default columns are unchanged (no USED unless asked for).
    let default = psx(&["rlimit", &pid, "nofile"]);
    assert!(!stdout(&default).contains("USED"), "{}", stdout(&default));
    // `psx info` shows the same use next to each limit, and the highest descriptor.
    let info = stdout(&psx(&["info", &pid]));
    let nofile_row: Vec<&str> = info
        .lines()
        .find(|l| l.trim_start().starts_with("nofile "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(nofile_row.last(), Some(&"7"), "{info}");
    assert!(
        info.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["highest", "fd", "6"]),
        "{info}"
    );
    let out = psx(&["rlimit", "--json", &pid, "nofile", "core"]);
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items[0]["resource"], "nofile");
    assert_eq!(items[0]["used"], 7);
    assert_eq!(items[1]["used"], serde_json::Value::Null);
}

#[test]
fn limits_ranks_and_over_is_a_monitoring_check() {
    let child = sleeper_with_files(2);
    let pid = child.pid();
    // Five descriptors against any soft limit of 5 or more: over 0%, never over 101%
    // unless the soft limit is below five.
    let nofile = psx::proc_getrlimit(child.0.id(), psx::Resource::Nofile).unwrap();
    let psx::Limit::Value(soft) = nofile.soft else {
        return; // An unlimited soft limit ranks nothing.
    };
    let out = psx(&["limits", "--resource", "nofile", "--over", "0", &pid]);
    assert_eq!(
        code(&out),
        1,
        "a use at or above 0% is over: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    let row: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(
        row[..5],
        [pid.as_str(), "sleep", "nofile", "5", &soft.to_string()]
    );
    let out = psx(&["limits", "--resource", "nofile", "--over", "101", &pid]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "only the header");
    // JSON: one object per row, the share as a number.
    let out = psx(&["limits", "--json", "--resource", "NOFILE,as", &pid]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let nofile_row = rows.iter().find(|r| r["resource"] == "nofile").unwrap();
    assert_eq!(nofile_row["used"], 5);
    assert_eq!(nofile_row["pid"], child.0.id());
    let percent = nofile_row["percent"].as_f64().unwrap();
    assert!((percent - 500.0 / soft as f64).abs() < 1e-9, "{percent}");
    // A machine-wide run finds this child too.
    let all = psx(&["limits", "--json", "--resource", "nofile"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout).unwrap();
    assert!(rows
        .iter()
        .any(|r| r["pid"] == child.0.id() && r["used"] == 5));
    // Bad arguments are usage errors.
    assert_eq!(code(&psx(&["limits", "--resource", "bogus"])), 2);
    assert_eq!(code(&psx(&["limits", "--over", "-3"])), 2);
}

/// One sample of the OpenMetrics text format: name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses the OpenMetrics text `psx` writes, strictly: every family is declared by
/// `# TYPE name gauge` (and `# HELP`) before its samples, a family's samples are
/// contiguous, label values are quoted with the format's three escapes, values are
/// numbers or `+Inf`, and the text ends with `# EOF`.
fn parse_openmetrics(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    let mut declared: Vec<String> = Vec::new();
    let mut lines = text.lines().peekable();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    while let Some(line) = lines.next() {
        if line == "# EOF" {
            return match lines.next() {
                None if text.ends_with("# EOF\n") => Ok(samples),
                _ => Err("text after # EOF".into()),
            };
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or("bad TYPE")?;
            if !name_ok(name) || kind != "gauge" || declared.iter().any(|d| d == name) {
                return Err(format!("bad or repeated TYPE: {line}"));
            }
            declared.push(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            if declared.last().map(String::as_str) != Some(name) {
                return Err(format!("HELP outside its family: {line}"));
            }
            continue;
        }
        let (name, rest) = line.split_once('{').ok_or(format!("no labels: {line}"))?;
        if declared.last().map(String::as_str) != Some(name) {
            return Err(format!("sample outside its family: {line}"));
        }
        let mut labels = Vec::new();
        let mut chars = rest.chars();
        loop {
            let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
            if !name_ok(&key) || chars.next() != Some('"') {
                return Err(format!("bad label in {line}"));
            }
            let mut value = String::new();
            loop {
                match chars.next().ok_or("unterminated label")? {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        _ => return Err(format!("bad escape in {line}")),
                    },
                    '\n' => return Err("raw newline".into()),
                    c => value.push(c),
                }
            }
            labels.push((key, value));
            match chars.next() {
                Some(',') => continue,
                Some('}') => break,
                _ => return Err(format!("bad label list in {line}")),
            }
        }
        let value = chars.as_str().strip_prefix(' ').ok_or("no value")?;
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse::<f64>().map_err(|e| format!("{v}: {e}"))?,
        };
        samples.push((name.to_owned(), labels, value));
    }
    Err("no # EOF".into())
}

#[test]
fn openmetrics_parses_back_with_the_values_shown() {
    let child = sleeper_with_files(1);
    let pid = child.pid();
    let out = psx(&["rlimit", "--format", "openmetrics", &pid]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let samples =
        parse_openmetrics(&stdout(&out)).unwrap_or_else(|e| panic!("{e}\n{}", stdout(&out)));
    let find = |name: &str, resource: &str| {
        samples
            .iter()
            .find(|(n, labels, _)| {
                n == name && labels.iter().any(|(k, v)| k == "resource" && v == resource)
            })
            .map(|(_, labels, value)| (labels.clone(), *value))
    };
    let (labels, used) = find("psx_rlimit_usage", "nofile").expect("a nofile usage sample");
    assert_eq!(used, 4.0);
    let label = |k: &str| {
        labels
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(label("pid").as_deref(), Some(pid.as_str()));
    assert_eq!(label("comm").as_deref(), Some("sleep"));
    let nofile = psx::proc_getrlimit(child.0.id(), psx::Resource::Nofile).unwrap();
    let as_f64 = |l: psx::Limit| match l {
        psx::Limit::Value(v) => v as f64,
        psx::Limit::Unlimited => f64::INFINITY,
    };
    assert_eq!(
        find("psx_rlimit_soft", "nofile").unwrap().1,
        as_f64(nofile.soft)
    );
    assert_eq!(
        find("psx_rlimit_hard", "nofile").unwrap().1,
        as_f64(nofile.hard)
    );
    // Every limit has a soft and a hard sample.
    let count = |name: &str| samples.iter().filter(|(n, _, _)| n == name).count();
    assert_eq!(count("psx_rlimit_soft"), psx::resources().count());
    assert_eq!(count("psx_rlimit_hard"), psx::resources().count());
    // `psx limits` writes the same families, for every process.
    let all = psx(&[
        "limits",
        "--format",
        "openmetrics",
        "--resource",
        "nofile,as",
    ]);
    let samples = parse_openmetrics(&stdout(&all)).unwrap_or_else(|e| panic!("{e}"));
    assert!(samples.iter().any(|(n, labels, v)| n == "psx_rlimit_usage"
        && *v == 4.0
        && labels.iter().any(|(k, value)| k == "pid" && *value == pid)));
    // The parser is strict: a sample outside its family, or a missing EOF, fails.
    assert!(parse_openmetrics("# TYPE a gauge\nb{x=\"1\"} 1\n# EOF\n").is_err());
    assert!(parse_openmetrics("# TYPE a gauge\na{x=\"1\"} 1\n").is_err());
    assert!(parse_openmetrics("# TYPE a gauge\na{x=\"\\q\"} 1\n# EOF\n").is_err());
}
