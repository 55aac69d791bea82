//! `psx`: show a process's umask, groups, process group, session, signal masks and
//! resource limits, and set its limits (like util-linux `prlimit --pid`).
//!
//! Exit status: 0 when all went well, 1 when some pid failed (the others are still
//! printed) or the output could not be written, 2 for bad usage. Errors go to stderr
//! as `psx: <pid>: <what happened>`.

mod display;
mod rlimit;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use psx::{Attr, Error, Pid, ProcInfo};

#[derive(Parser)]
#[command(
    name = "psx",
    version,
    about = "Show and set the process state that ps leaves out: umask, groups, pgid, sid, signal masks, resource limits",
    after_help = "Examples:\n  psx info                 this psx process\n  psx info --json 1 $$     two processes, as JSON\n  psx rlimit $$ nofile     one limit of the shell\n  psx rlimit $$ core=0:    set the soft core limit to 0\n  psx ps --signals         every process, with signal masks\n\nExit status: 0 all went well; 1 some process failed (the others are still shown)\nor the output could not be written; 2 bad usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every attribute of each process, read in one oneshot.
    #[command(
        after_help = "Examples:\n  psx info                 this psx process\n  psx info 1 $$            pid 1 and the shell\n  psx info --json $$       as JSON: limits are numbers or \"unlimited\", signal sets arrays\n  psx info --all --json    every process on the machine (Linux)"
    )]
    Info {
        /// Print a JSON array, one object per process.
        #[arg(long)]
        json: bool,
        /// Every process on the machine (Linux only).
        #[arg(long, conflicts_with = "pids")]
        all: bool,
        /// Process ids (default: psx itself).
        #[arg(value_name = "PID", allow_negative_numbers = true)]
        pids: Vec<String>,
    },
    /// Show or set resource limits, like util-linux `prlimit --pid`.
    #[command(
        after_help = "Each LIMIT is one of:\n  NAME              show that limit\n  NAME=SOFT:HARD    set both sides\n  NAME=SOFT:        set the soft limit, keep the hard one\n  NAME=:HARD        set the hard limit, keep the soft one\n  NAME=VALUE        set both sides to VALUE\nA value is a number or \"unlimited\". With no LIMIT, all limits are shown.\nNames: cpu fsize data stack core rss nproc nofile memlock as locks sigpending\n       msgqueue nice rtprio rttime (and the BSDs' own, where they exist).\nLIMITs are applied in the order given, each against the limits in force when its\nturn comes (so core=0:100 core=50: ends at 50:100). A refused LIMIT stops psx with\nexit status 1: the LIMITs before it stay set, the ones after it are not tried.\n\nExamples:\n  psx rlimit $$                   all limits of the shell\n  psx rlimit $$ nofile core       two of them\n  psx rlimit 1234 nofile=1024:4096\n  psx rlimit 1234 core=unlimited:"
    )]
    Rlimit {
        /// The process.
        #[arg(value_name = "PID", allow_negative_numbers = true)]
        pid: String,
        /// Limits to show or set.
        #[arg(value_name = "LIMIT")]
        limits: Vec<String>,
    },
    /// A table of every process: PID PGID SID UMASK GROUPS (Linux).
    #[command(
        after_help = "Examples:\n  psx ps\n  psx ps --signals     add the PENDING BLOCKED IGNORED CAUGHT masks (hex, like ps)"
    )]
    Ps {
        /// Add the signal masks, in hex as `ps -o pending,blocked,ignored,caught` shows them.
        #[arg(long)]
        signals: bool,
    },
}

/// How a run ended: 0 all good, 1 some pid failed, 2 bad usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Ok = 0,
    SomeFailed = 1,
    Usage = 2,
}

/// A line on stderr. A stderr that cannot be written to (`2>/dev/full`) loses the
/// message; the exit status still tells.
fn complain(message: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "psx: {message}");
}

/// A usage error: `psx: <message>`, exit 2.
fn usage(message: impl std::fmt::Display) -> Status {
    complain(format_args!("{message}"));
    Status::Usage
}

/// A per-pid failure: `psx: <pid>: <reason>`, exit 1.
fn failed(pid: impl std::fmt::Display, err: &Error) -> Status {
    complain(format_args!("{pid}: {}", err.reason()));
    Status::SomeFailed
}

/// Parses a pid argument. Any integer is a pid (one that cannot exist reads as "no such
/// process", and keeps its number in the output); anything else is bad usage.
fn parse_pid(arg: &str) -> Result<Pid, Status> {
    match arg.trim().parse::<i64>() {
        Ok(n) => Ok(Pid::from(n)),
        Err(_) => Err(usage(format_args!(
            "{arg}: invalid pid (expected a number)"
        ))),
    }
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let mut out = io::stdout().lock();
    let result = match cli.command {
        Command::Info { json, all, pids } => info(&mut out, json, all, &pids),
        Command::Rlimit { pid, limits } => rlimit::run(&mut out, &pid, &limits),
        Command::Ps { signals } => ps(&mut out, signals),
    }
    .and_then(|status| out.flush().map(|()| status));
    let status = match result {
        Ok(status) => status,
        // Output that cannot be written (`>/dev/full`) is a failure, as for ls and
        // prlimit. A closed pipe never gets here: SIGPIPE ends psx quietly first.
        Err(err) => {
            complain(format_args!("write error: {err}"));
            Status::SomeFailed
        }
    };
    ExitCode::from(status as u8)
}

/// Dies quietly of SIGPIPE, like other Unix tools, when the reader goes away
/// (`psx ps | head`), instead of failing on every later write.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resetting a disposition to its default, before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Every process on the machine, or why they cannot be listed.
fn every_pid() -> Result<Vec<Pid>, Status> {
    psx::pids().map_err(|err| {
        complain(format_args!("cannot list processes: {}", err.reason()));
        Status::SomeFailed
    })
}

fn info(out: &mut impl Write, json: bool, all: bool, args: &[String]) -> io::Result<Status> {
    let pids: Vec<(String, Pid)> = if all {
        match every_pid() {
            Ok(pids) => pids.into_iter().map(|p| (p.to_string(), p)).collect(),
            Err(status) => return Ok(status),
        }
    } else if args.is_empty() {
        vec![(Pid::current().to_string(), Pid::current())]
    } else {
        let mut pids = Vec::with_capacity(args.len());
        for arg in args {
            match parse_pid(arg) {
                Ok(pid) => pids.push((arg.clone(), pid)),
                Err(status) => return Ok(status),
            }
        }
        pids
    };

    let mut status = Status::Ok;
    let mut json_items = Vec::new();
    let mut names = display::GroupNames::default();
    let mut blocks = 0;
    for (arg, pid) in &pids {
        match psx::proc_info(*pid, Attr::ALL) {
            Ok(info) if json => json_items.push(JsonItem::Info(Box::new(info))),
            Ok(info) => {
                if blocks > 0 {
                    writeln!(out)?;
                }
                blocks += 1;
                display::write_info(out, &info, &mut names)?;
            }
            // Exited between the listing and the read: gone, as ps would not list it.
            Err(Error::NoSuchProcess { .. }) if all => {}
            Err(err) => {
                status = status.max(failed(arg, &err));
                if json {
                    json_items.push(JsonItem::Error {
                        pid: *pid,
                        error: err.reason(),
                        kind: err.kind(),
                    });
                }
            }
        }
    }
    if json {
        write_json(out, &json_items)?;
    }
    Ok(status)
}

/// One element of `psx info --json`: the attributes, or why there are none.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum JsonItem {
    Info(Box<ProcInfo>),
    Error {
        pid: Pid,
        error: String,
        kind: &'static str,
    },
}

/// A JSON array with one object per line: valid JSON, and still greppable.
fn write_json(out: &mut impl Write, items: &[JsonItem]) -> io::Result<()> {
    writeln!(out, "[")?;
    for (i, item) in items.iter().enumerate() {
        serde_json::to_writer(&mut *out, item).map_err(io::Error::other)?;
        writeln!(out, "{}", if i + 1 < items.len() { "," } else { "" })?;
    }
    writeln!(out, "]")
}

fn ps(out: &mut impl Write, signals: bool) -> io::Result<Status> {
    let pids = match every_pid() {
        Ok(pids) => pids,
        Err(status) => return Ok(status),
    };
    let mut names = display::GroupNames::default();
    display::write_ps_header(out, signals)?;
    let attrs: &[Attr] = if signals {
        &[
            Attr::Pgid,
            Attr::Sid,
            Attr::Umask,
            Attr::Groups,
            Attr::Sigmasks,
        ]
    } else {
        &[Attr::Pgid, Attr::Sid, Attr::Umask, Attr::Groups]
    };
    let mut status = Status::Ok;
    for pid in pids {
        match psx::proc_info(pid, attrs) {
            Ok(info) => display::write_ps_row(out, &info, signals, &mut names)?,
            // Exited between the listing and the read: gone, as ps would not list it.
            Err(Error::NoSuchProcess { .. }) => {}
            Err(err) => status = status.max(failed(pid, &err)),
        }
    }
    Ok(status)
}
