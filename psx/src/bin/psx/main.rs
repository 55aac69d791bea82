//! `psx`: show a process's umask, groups, process group, session, signal masks and
//! resource limits, and set its limits (like util-linux `prlimit --pid`).
//!
//! Exit status: 0 when all went well, 1 when some pid failed (the others are still
//! printed) or the output could not be written, 2 for bad usage. Errors go to stderr
//! as `psx: <pid>: <what happened>`, e.g. `psx: 1: access denied getting the as limit:
//! Operation not permitted`; in JSON a failed pid is `{"pid":N,"error":<the same
//! text>,"kind":<its stable kind>}`.

mod display;
mod headroom;
mod rlimit;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use psx::{Attr, Error, Op, Pid, ProcInfo};

#[derive(Parser)]
#[command(
    name = "psx",
    version,
    about = "Show and set the process state that ps leaves out: umask, groups, pgid, sid, signal masks, resource limits",
    after_help = "Examples:\n  psx info                 this psx process\n  psx info --json 1 $$     two processes, as JSON\n  psx rlimit $$ nofile     one limit of the shell\n  psx rlimit $$ core=0:    set the soft core limit to 0\n  psx ps --signals         every process, with signal masks\n  psx limits --over 80     processes at 80% or more of a limit\n\nExit status: 0 all went well; 1 some process failed (the others are still shown)\nor the output could not be written; 2 bad usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every attribute of each process, read in one oneshot.
    #[command(
        after_help = "Examples:\n  psx info                 this psx process\n  psx info 1 $$            pid 1 and the shell\n  psx info --json $$       as JSON: limits are numbers or \"unlimited\", signal sets arrays\n  psx info --all --json    every process on the machine"
    )]
    Info {
        /// Print a JSON array, one object per process.
        #[arg(long)]
        json: bool,
        /// Every process on the machine.
        #[arg(long, conflicts_with = "pids")]
        all: bool,
        /// Process ids (default: psx itself).
        #[arg(value_name = "PID", allow_negative_numbers = true)]
        pids: Vec<String>,
    },
    /// Show or set resource limits, like util-linux `prlimit --pid`.
    #[command(
        after_help = "Each LIMIT (or prlimit-style --NAME[=LIMITS], -n, -c, ...) is one of:\n  NAME              show that limit\n  NAME=SOFT:HARD    set both sides\n  NAME=SOFT:        set the soft limit, keep the hard one\n  NAME=:HARD        set the hard limit, keep the soft one\n  NAME=VALUE        set both sides to VALUE\nA value is a number or \"unlimited\". With no LIMIT, all limits are shown.\nNames: cpu fsize data stack core rss nproc nofile memlock as locks sigpending\n       msgqueue nice rtprio rttime (and the BSDs' own, where they exist).\nLIMITs are applied in the order given, each against the limits in force when its\nturn comes (so core=0:100 core=50: ends at 50:100). A refused LIMIT stops psx with\nexit status 1: the LIMITs before it stay set, the ones after it are not tried.\nShown limits print as prlimit prints them (--output, --noheadings, --raw); each set\nprints one line, NAME: OLD -> NEW, NEW as read back from the kernel, which may\nhave capped it (FreeBSD caps data, stack, nofile and nproc at the system maxima).\n\nColumns for --output: RESOURCE DESCRIPTION SOFT HARD UNITS (the default, in that order),\nand USED, what the process uses, in the limit's units (prlimit has no such column;\n'-' where psx cannot read it). --json adds \"used\" (null where unknown);\n--format openmetrics writes psx_rlimit_soft, psx_rlimit_hard and psx_rlimit_usage.\n\nExamples:\n  psx rlimit $$                   all limits of the shell\n  psx rlimit $$ nofile core       two of them\n  psx rlimit --pid 1234 --nofile=1024:4096\n  psx rlimit 1234 core=unlimited:\n  psx rlimit --raw --noheadings --output RESOURCE,SOFT,HARD $$"
    )]
    Rlimit(rlimit::Args),
    /// Which processes are close to a limit: each one's use of each resource against
    /// its soft limit, highest share first.
    #[command(
        after_help = "Columns: PID COMMAND RESOURCE USED SOFT HARD USE% (USED in the limit's units:\nnofile open descriptors; as data stack rss memlock bytes; cpu seconds;\nsigpending queued signals of the real user; nproc processes (Linux: threads)\nof the real user, counted over the processes psx can see, without PIDs only).\nA use psx cannot read (another user's descriptors, an OS without the figure)\nor an unlimited soft limit leaves the row out or its USE% '-'.\n\nExit status: with --over, 1 when any use is at or above PCT (a monitoring check);\n1 when a PID given cannot be read; 2 bad usage.\n\nExamples:\n  psx limits                       every process, closest to a limit first\n  psx limits --resource nofile --over 80\n  psx limits --format openmetrics > /var/lib/node_exporter/psx.prom\n  psx limits --json $$"
    )]
    Limits(headroom::Args),
    /// Print a shell completion script: `psx completions bash > /etc/bash_completion.d/psx`.
    #[command(
        after_help = "Examples:\n  psx completions bash > ~/.local/share/bash-completion/completions/psx\n  psx completions zsh > ~/.zfunc/_psx\n  psx completions fish > ~/.config/fish/completions/psx.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `psx manpage > psx.1; man ./psx.1`.
    #[command(after_help = "Examples:\n  psx manpage > /usr/local/share/man/man1/psx.1")]
    Manpage,
    /// A table of every process (or the given ones): PID PGID SID UMASK GROUPS COMMAND.
    #[command(
        after_help = "Columns with --signals, in hex as ps shows them:\n  PENDING   signals pending on the process (ps -o pending; Linux ShdPnd)\n  TPENDING  signals pending on its main thread alone (Linux SigPnd; - where the OS cannot tell)\n  BLOCKED IGNORED CAUGHT\n\nExamples:\n  psx ps\n  psx ps --signals\n  psx ps $$ 1\n  psx ps --json"
    )]
    Ps {
        /// Add the signal masks.
        #[arg(long)]
        signals: bool,
        /// Print a JSON array of the `info --json` objects.
        #[arg(long)]
        json: bool,
        /// Process ids (default: every process).
        #[arg(value_name = "PID", allow_negative_numbers = true)]
        pids: Vec<String>,
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

/// A per-pid failure: `psx: <pid>: <reason>` (the reason says what was being done and
/// what the OS said), exit 1.
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
    // `psx rlimit` also takes prlimit's `--nofile[=SOFT:HARD]`, `-n`, ... one per
    // resource of this platform, which clap's derive cannot list: added here.
    let matches =
        full_command().get_matches_from(rlimit::attached_short_values(std::env::args_os()));
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let flags = matches
        .subcommand_matches("rlimit")
        .map(rlimit::resource_flags)
        .unwrap_or_default();
    // Into a file or a pipe, one write per 64 KiB rather than one per line (as C's
    // stdio); on a terminal, line by line, in step with error lines on stderr.
    let stdout = io::stdout();
    let buffer = if stdout.is_terminal() { 0 } else { 1 << 16 };
    let mut out = io::BufWriter::with_capacity(buffer, stdout.lock());
    let result = match cli.command {
        Command::Info { json, all, pids } => info(&mut out, json, all, &pids),
        Command::Rlimit(args) => rlimit::run(&mut out, &args, &flags),
        Command::Limits(args) => headroom::run(&mut out, &args),
        Command::Ps {
            signals,
            json,
            pids,
        } => ps(&mut out, signals, json, &pids),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut full_command(), "psx", &mut out);
            Ok(Status::Ok)
        }
        Command::Manpage => clap_mangen::Man::new(full_command())
            .render(&mut out)
            .map(|()| Status::Ok),
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

/// The whole command line, the per-resource flags of `psx rlimit` included: what is
/// parsed, completed and documented.
fn full_command() -> clap::Command {
    Cli::command().mut_subcommand("rlimit", rlimit::with_resource_flags)
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

/// The pid arguments, or bad usage.
fn parse_pids(args: &[String]) -> Result<Vec<(String, Pid)>, Status> {
    args.iter()
        .map(|arg| parse_pid(arg).map(|pid| (arg.clone(), pid)))
        .collect()
}

/// One process's attributes, or the pid and why they could not be read.
type Read = Result<ProcInfo, (Pid, Error)>;

/// What a command shows: every process (one scan), or the pids given (one read each,
/// every failure reported).
fn read_infos(
    all: bool,
    args: &[String],
    attrs: &[Attr],
    status: &mut Status,
) -> Result<Vec<Read>, Status> {
    if all {
        return match psx::scan(attrs) {
            Ok(infos) => Ok(infos.into_iter().map(Ok).collect()),
            Err(err) => {
                match (err.op(), err.pid()) {
                    // The reason says it: "error listing processes: ...".
                    (Some(Op::List), _) => complain(format_args!("{}", err.reason())),
                    // One process failed in a way that fails the whole scan.
                    (Some(_), Some(pid)) => complain(format_args!("{pid}: {}", err.reason())),
                    _ => complain(format_args!("cannot list processes: {}", err.reason())),
                }
                Err(Status::SomeFailed)
            }
        };
    }
    let pids = if args.is_empty() {
        vec![(Pid::current().to_string(), Pid::current())]
    } else {
        parse_pids(args)?
    };
    Ok(pids
        .into_iter()
        .map(|(arg, pid)| {
            psx::proc_info(pid, attrs).map_err(|err| {
                *status = (*status).max(failed(&arg, &err));
                (pid, err)
            })
        })
        .collect())
}

fn info(out: &mut impl Write, json: bool, all: bool, args: &[String]) -> io::Result<Status> {
    let mut status = Status::Ok;
    let infos = match read_infos(all, args, Attr::ALL, &mut status) {
        Ok(infos) => infos,
        Err(status) => return Ok(status),
    };
    if json {
        write_json(out, &infos)?;
        return Ok(status);
    }
    let mut names = display::GroupNames::default();
    for (i, info) in infos.iter().filter_map(|r| r.as_ref().ok()).enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        display::write_info(out, info, &mut names)?;
    }
    Ok(status)
}

/// One element of `psx info --json`: the attributes, or why there are none.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum JsonItem<'a> {
    Info(&'a ProcInfo),
    Error {
        pid: Pid,
        error: String,
        kind: &'static str,
    },
}

/// A JSON array with one object per line: valid JSON, and still greppable.
fn write_json(out: &mut impl Write, infos: &[Read]) -> io::Result<()> {
    writeln!(out, "[")?;
    for (i, read) in infos.iter().enumerate() {
        let item = match read {
            Ok(info) => JsonItem::Info(info),
            Err((pid, err)) => JsonItem::Error {
                pid: *pid,
                error: err.reason(),
                kind: err.kind(),
            },
        };
        serde_json::to_writer(&mut *out, &item).map_err(io::Error::other)?;
        writeln!(out, "{}", if i + 1 < infos.len() { "," } else { "" })?;
    }
    writeln!(out, "]")
}

fn ps(out: &mut impl Write, signals: bool, json: bool, args: &[String]) -> io::Result<Status> {
    let attrs: &[Attr] = if json {
        Attr::ALL
    } else if signals {
        &[
            Attr::Comm,
            Attr::Pgid,
            Attr::Sid,
            Attr::Umask,
            Attr::Groups,
            Attr::Sigmasks,
        ]
    } else {
        &[Attr::Comm, Attr::Pgid, Attr::Sid, Attr::Umask, Attr::Groups]
    };
    let mut status = Status::Ok;
    let infos = match read_infos(args.is_empty(), args, attrs, &mut status) {
        Ok(infos) => infos,
        Err(status) => return Ok(status),
    };
    if json {
        write_json(out, &infos)?;
        return Ok(status);
    }
    let mut names = display::GroupNames::default();
    display::write_ps_header(out, signals)?;
    for info in infos.iter().filter_map(|r| r.as_ref().ok()) {
        display::write_ps_row(out, info, signals, &mut names)?;
    }
    Ok(status)
}
