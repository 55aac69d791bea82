//! Sets a child's open-files limit from outside, like `prlimit --pid PID --nofile=256:512`.
//!
//! `cargo run -p psx-process --example set_nofile`
use std::process::Command;

use psx::{Limit, Process, RLimit, Resource};

fn set_nofile(pid: u32) -> psx::Result<()> {
    let proc = Process::new(pid)?;
    let wanted = RLimit::new(Limit::Value(256), Limit::Value(512));
    match proc.rlimit(Resource::Nofile, Some(wanted)) {
        Ok(old) => {
            println!(
                "pid {}: nofile {}:{} -> {}:{}",
                proc.pid(),
                old.soft,
                old.hard,
                wanted.soft,
                wanted.hard
            );
            assert_eq!(proc.getrlimit(Resource::Nofile)?, wanted);
        }
        // Raising above the current hard limit needs privilege; other OSes may not allow
        // setting another process's limits at all.
        Err(e) => println!("pid {}: could not set nofile: {e}", proc.pid()),
    }
    Ok(())
}

fn main() {
    let mut child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    if let Err(e) = set_nofile(child.id()) {
        eprintln!("set_nofile: {e}");
    }
    child.kill().expect("kill sleep");
    child.wait().expect("reap sleep");
}
