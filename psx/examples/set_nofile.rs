//! Sets a child's open-files limit from outside, like `prlimit --pid PID --nofile=256:512`.
//!
//! `cargo run -p psx --example set_nofile`
use std::process::Command;

use psx::{Limit, Process, RLimit, Resource};

fn main() -> psx::Result<()> {
    let mut child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let proc = Process::new(child.id())?;

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
    child.kill().expect("kill sleep");
    child.wait().expect("reap sleep");
    Ok(())
}
