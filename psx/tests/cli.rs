//! The `psx` binary, driven as a user would: output, JSON shape, exit codes, errors.
#![cfg(all(feature = "cli", target_os = "linux"))]

use std::process::{Child, Command, Output};

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
    let out = psx(&["rlimit", &pid, "nofile"]);
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["nofile", "50", "200"]),
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
    assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
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

#[test]
fn a_pid_that_exits_reads_as_gone() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id().to_string();
    child.wait().unwrap();
    let out = psx(&["info", &pid]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).trim(), format!("psx: {pid}: no such process"));
}
