//! A supervisor that checks a child's limits and signal dispositions before trusting it.
//!
//! It starts a worker (here `sh`, which ignores SIGTERM until told otherwise), pins it
//! with a `Process` handle, and refuses it while it would survive a SIGTERM, could dump
//! core, or could open more files than the supervisor allows.
//!
//! `cargo run -p psx-process --example supervisor`
use std::process::{Command, Stdio};

use psx::{Limit, Process, RLimit, Resource};

const MAX_OPEN_FILES: u64 = 4096;

/// Why the worker cannot be trusted yet, if it cannot.
fn audit(worker: &Process) -> psx::Result<Vec<String>> {
    let _oneshot = worker.oneshot();
    let mut problems = Vec::new();
    if let Some(ignored) = worker.sigmasks()?.ignored {
        if ignored.contains(libc::SIGTERM) {
            problems.push("ignores SIGTERM: it could not be stopped cleanly".to_string());
        }
    }
    let core = worker.getrlimit(Resource::Core)?;
    if core.soft != Limit::Value(0) {
        problems.push(format!("may dump core (soft limit {})", core.soft));
    }
    let nofile = worker.getrlimit(Resource::Nofile)?;
    if nofile.soft > Limit::Value(MAX_OPEN_FILES) {
        problems.push(format!(
            "may open {} files (we allow {MAX_OPEN_FILES})",
            nofile.soft
        ));
    }
    Ok(problems)
}

/// Audits the worker, fixes what can be fixed from outside, and says whether to keep it.
fn supervise(pid: u32) -> psx::Result<bool> {
    let worker = Process::new(pid)?;
    std::thread::sleep(std::time::Duration::from_millis(100)); // let the trap take effect
    for p in audit(&worker)? {
        println!("worker {}: {p}", worker.pid());
    }
    // What we can fix from outside, we fix: limits. A signal disposition we cannot.
    if psx::can_set_rlimit() {
        let hard = worker.getrlimit(Resource::Core)?.hard;
        worker.rlimit(Resource::Core, Some(RLimit::new(Limit::Value(0), hard)))?;
        let nofile = worker.getrlimit(Resource::Nofile)?;
        let capped = nofile.soft.min(Limit::Value(MAX_OPEN_FILES));
        worker.rlimit(Resource::Nofile, Some(RLimit::new(capped, nofile.hard)))?;
    }
    let left = audit(&worker)?;
    if left.is_empty() {
        println!("worker {}: trusted", worker.pid());
    } else {
        println!("worker {}: not trusted ({})", worker.pid(), left.join("; "));
    }
    Ok(left.is_empty())
}

fn main() {
    let mut child = Command::new("sh")
        .args(["-c", "trap '' TERM; sleep 30"])
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn the worker");
    let trusted = supervise(child.id()).unwrap_or_else(|e| {
        eprintln!("supervisor: {e}");
        false
    });
    if !trusted {
        println!("stopping worker {}", child.id());
    }
    // The demo ends either way; a real supervisor would keep a trusted worker running.
    child.kill().expect("kill the worker");
    child.wait().expect("reap the worker");
}
