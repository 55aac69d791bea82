//! `psx rlimit [PID] [NAME[=SOFT:HARD]]...`, util-linux `prlimit --pid` on every OS:
//! its options (`--pid`, `--<resource>[=SOFT:HARD]` and their short letters,
//! `-o/--output`, `--noheadings`, `--raw`) and its table, byte for byte in raw form.

use std::ffi::OsString;
use std::io::{self, Write};

use clap::{ArgMatches, Command};
use psx::{Limit, Process, RLimit, Resource};

use crate::{complain, failed, parse_pid, usage, Status};

/// The arguments clap's derive can describe; the per-resource flags are added by
/// [`with_resource_flags`].
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The process (or give it with --pid).
    #[arg(
        short = 'p',
        long = "pid",
        value_name = "PID",
        allow_negative_numbers = true
    )]
    pid: Option<String>,
    /// Columns to show: RESOURCE, DESCRIPTION, SOFT, HARD, UNITS, USED (comma-separated).
    #[arg(short = 'o', long = "output", value_name = "LIST")]
    output: Option<String>,
    /// Don't print the header line.
    #[arg(long)]
    noheadings: bool,
    /// Raw output: cells separated by one space, spaces in them as \x20.
    #[arg(long)]
    raw: bool,
    /// One JSON object per limit: resource, description, soft, hard, units, used.
    #[arg(long, conflicts_with_all = ["raw", "noheadings", "output", "format"])]
    json: bool,
    /// `openmetrics`: the Prometheus / OpenMetrics text format (psx_rlimit_soft,
    /// psx_rlimit_hard, psx_rlimit_usage), for node_exporter's textfile collector.
    #[arg(long, value_name = "FORMAT", conflicts_with_all = ["raw", "noheadings", "output"])]
    format: Option<crate::headroom::Format>,
    /// PID (unless --pid is given), then LIMITs.
    #[arg(value_name = "[PID] LIMIT", allow_negative_numbers = true)]
    rest: Vec<String>,
}

/// prlimit's short letter for each of its resources.
fn short_flag(resource: Resource) -> Option<char> {
    Some(match resource {
        Resource::Core => 'c',
        Resource::Data => 'd',
        Resource::Nice => 'e',
        Resource::Fsize => 'f',
        Resource::Sigpending => 'i',
        Resource::Memlock => 'l',
        Resource::Rss => 'm',
        Resource::Nofile => 'n',
        Resource::Msgqueue => 'q',
        Resource::Rtprio => 'r',
        Resource::Stack => 's',
        Resource::Cpu => 't',
        Resource::Nproc => 'u',
        Resource::As => 'v',
        Resource::Locks => 'x',
        Resource::Rttime => 'y',
        _ => return None,
    })
}

/// prlimit's short options take their value attached (`-n1024:4096`, as getopt reads an
/// optional argument); clap wants `-n=...`. Rewrites those arguments of `psx rlimit` to
/// the long form, `--nofile=1024:4096`, before clap sees them.
/// Arguments that are not UTF-8 pass through untouched (clap reports them).
pub fn attached_short_values<T: Into<OsString>>(
    args: impl IntoIterator<Item = T>,
) -> Vec<OsString> {
    let mut in_rlimit = false;
    let mut after_dashes = false;
    args.into_iter()
        .map(Into::into)
        .enumerate()
        .map(|(i, arg)| match arg.into_string() {
            Ok(arg) => OsString::from(rewrite(i, arg, &mut in_rlimit, &mut after_dashes)),
            Err(other) => other,
        })
        .collect()
}

fn rewrite(i: usize, arg: String, in_rlimit: &mut bool, after_dashes: &mut bool) -> String {
    if i > 0 && !*in_rlimit && arg == "rlimit" {
        *in_rlimit = true;
        return arg;
    }
    if !*in_rlimit || *after_dashes || arg.starts_with("--") {
        *after_dashes |= *in_rlimit && arg == "--";
        return arg;
    }
    let mut chars = arg.chars();
    let (Some('-'), Some(letter)) = (chars.next(), chars.next()) else {
        return arg;
    };
    let value = chars.as_str();
    match psx::resources().find(|&r| short_flag(r) == Some(letter)) {
        Some(r) if !value.is_empty() && !value.starts_with('=') => {
            format!("--{}={value}", r.name())
        }
        _ => arg,
    }
}

/// Adds `--<name>[=LIMITS]` (and prlimit's `-n`, `-c`, ...) for every resource this
/// platform has.
pub fn with_resource_flags(mut cmd: Command) -> Command {
    for resource in psx::resources() {
        let mut arg = clap::Arg::new(resource.name())
            .long(resource.name())
            .value_name("SOFT:HARD")
            .num_args(0..=1)
            .require_equals(true)
            // A bare flag carries "" so that it has an index among the others.
            .default_missing_value("")
            .action(clap::ArgAction::Append)
            .help(format!(
                "{}: show, or set with =SOFT:HARD",
                resource.description()
            ));
        if let Some(letter) = short_flag(resource) {
            arg = arg.short(letter);
        }
        cmd = cmd.arg(arg);
    }
    cmd
}

/// The per-resource flags as LIMIT specs (`nofile`, `nofile=1:2`), in command-line
/// order.
pub fn resource_flags(matches: &ArgMatches) -> Vec<(usize, String)> {
    let mut flags = Vec::new();
    for resource in psx::resources() {
        let name = resource.name();
        let Some(indices) = matches.indices_of(name) else {
            continue;
        };
        let mut values = matches
            .get_occurrences::<String>(name)
            .into_iter()
            .flatten()
            .map(|mut vals| vals.next().cloned());
        for index in indices {
            let spec = match values.next().flatten() {
                Some(value) if !value.is_empty() => format!("{name}={value}"),
                _ => name.to_owned(),
            };
            flags.push((index, spec));
        }
    }
    flags.sort();
    flags.dedup_by_key(|(index, _)| *index);
    flags
}

/// One LIMIT argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `NAME`: show it.
    Show(Resource),
    /// `NAME=SOFT:HARD` and its partial forms: a side left `None` keeps its value.
    Set {
        resource: Resource,
        soft: Option<Limit>,
        hard: Option<Limit>,
    },
}

/// Parses one LIMIT argument; every error is bad usage.
fn parse_spec(arg: &str) -> Result<Spec, String> {
    let (name, value) = match arg.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (arg, None),
    };
    let resource = Resource::from_name(name)
        .filter(|r| psx::resources().any(|have| have == *r))
        .ok_or_else(|| format!("{name}: unknown resource (see psx rlimit --help)"))?;
    let Some(value) = value else {
        return Ok(Spec::Show(resource));
    };
    let side = |s: &str| -> Result<Option<Limit>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<Limit>()
            .map(Some)
            .map_err(|_| format!("{arg}: invalid value '{s}' (expected a number or \"unlimited\")"))
    };
    let (soft, hard) = match value.split_once(':') {
        Some((soft, hard)) => (side(soft)?, side(hard)?),
        None => {
            let both = side(value)?;
            (both, both)
        }
    };
    if soft.is_none() && hard.is_none() {
        return Err(format!(
            "{arg}: no value given (expected SOFT:HARD, SOFT:, :HARD or VALUE)"
        ));
    }
    if let (Some(s), Some(h)) = (soft, hard) {
        // Compared as the kernel compares them: on Linux unlimited is u64::MAX.
        if RLimit::new(s, h)
            .normalized(psx::RLIM_INFINITY)
            .validate()
            .is_err()
        {
            return Err(format!("{arg}: current limit exceeds maximum limit"));
        }
    }
    Ok(Spec::Set {
        resource,
        soft,
        hard,
    })
}

/// A column of the limits table, as prlimit names and aligns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Resource,
    Description,
    Soft,
    Hard,
    Units,
    Used,
}

impl Column {
    const DEFAULT: [Column; 5] = [
        Column::Resource,
        Column::Description,
        Column::Soft,
        Column::Hard,
        Column::Units,
    ];

    fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        list.split(',')
            .map(|name| match name.trim().to_ascii_uppercase().as_str() {
                "RESOURCE" => Ok(Column::Resource),
                "DESCRIPTION" => Ok(Column::Description),
                "SOFT" => Ok(Column::Soft),
                "HARD" => Ok(Column::Hard),
                "UNITS" => Ok(Column::Units),
                "USED" => Ok(Column::Used),
                _ => Err(format!(
                    "{name}: unknown column (expected RESOURCE, DESCRIPTION, SOFT, HARD, UNITS, USED)"
                )),
            })
            .collect()
    }

    fn header(self) -> &'static str {
        match self {
            Column::Resource => "RESOURCE",
            Column::Description => "DESCRIPTION",
            Column::Soft => "SOFT",
            Column::Hard => "HARD",
            Column::Units => "UNITS",
            Column::Used => "USED",
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Soft | Column::Hard | Column::Used)
    }

    fn cell(self, resource: Resource, limit: RLimit, used: Option<u64>) -> String {
        match self {
            Column::Used => used.map_or_else(|| "-".to_owned(), |n| n.to_string()),
            Column::Resource => resource.name().to_ascii_uppercase(),
            Column::Description => resource.description().to_owned(),
            Column::Soft => limit.soft.to_string(),
            Column::Hard => limit.hard.to_string(),
            Column::Units => resource.units().unwrap_or_default().to_owned(),
        }
    }
}

/// How shown limits are printed.
struct Table {
    columns: Vec<Column>,
    headings: bool,
    raw: bool,
}

impl Table {
    /// Writes `rows` as prlimit does: aligned columns separated by one space, the last
    /// one unpadded; or, raw, cells separated by one space with blanks escaped as
    /// libsmartcols escapes them.
    fn write(&self, out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
        let mut lines: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
        if self.headings {
            lines.push(self.columns.iter().map(|c| c.header().to_owned()).collect());
        }
        for &(resource, limit, used) in rows {
            lines.push(
                self.columns
                    .iter()
                    .map(|c| c.cell(resource, limit, used))
                    .collect(),
            );
        }
        if self.raw {
            for line in &lines {
                let cells: Vec<String> = line.iter().map(|c| raw_escape(c)).collect();
                writeln!(out, "{}", cells.join(" "))?;
            }
            return Ok(());
        }
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for line in &lines {
            let last = self.columns.len() - 1;
            for (i, cell) in line.iter().enumerate() {
                let width = widths[i];
                match (i == last, self.columns[i].right_aligned()) {
                    (true, false) => write!(out, "{cell}")?,
                    (true, true) => write!(out, "{cell:>width$}")?,
                    (false, false) => write!(out, "{cell:<width$} ")?,
                    (false, true) => write!(out, "{cell:>width$} ")?,
                }
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

/// A raw cell as libsmartcols writes it: blanks, controls and backslashes as `\xHH`.
fn raw_escape(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for c in cell.chars() {
        if c.is_ascii_whitespace() || c.is_ascii_control() || c == '\\' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// One limit as `--json` writes it.
#[derive(serde::Serialize)]
struct JsonLimit {
    resource: &'static str,
    description: &'static str,
    soft: Limit,
    hard: Limit,
    units: Option<&'static str>,
    /// What the process uses, in the limit's units; `null` where unknown.
    used: Option<u64>,
}

/// A shown limit: the resource, its pair, and the use when it was read.
type Row = (Resource, RLimit, Option<u64>);

fn pair(limit: RLimit) -> String {
    format!("{}:{}", limit.soft, limit.hard)
}

pub fn run(out: &mut impl Write, args: &Args, flags: &[(usize, String)]) -> io::Result<Status> {
    // The pid: --pid, or the first positional argument.
    let (pid_arg, positional) = match (&args.pid, args.rest.split_first()) {
        (Some(pid), _) => (pid.as_str(), &args.rest[..]),
        (None, Some((pid, rest))) => (pid.as_str(), rest),
        (None, None) => return Ok(usage("rlimit: no process given (PID or --pid PID)")),
    };
    let pid = match parse_pid(pid_arg) {
        Ok(pid) => pid,
        Err(status) => return Ok(status),
    };
    let columns = match args.output.as_deref().map(Column::parse_list) {
        None => Column::DEFAULT.to_vec(),
        Some(Ok(columns)) => columns,
        Some(Err(message)) => return Ok(usage(message)),
    };
    // Positional LIMITs first, then the flags in their order: prlimit takes only flags,
    // and mixing both forms is psx's own.
    let spec_args = positional
        .iter()
        .cloned()
        .chain(flags.iter().map(|(_, s)| s.clone()));
    let mut specs = Vec::new();
    for arg in spec_args {
        match parse_spec(&arg) {
            Ok(spec) => specs.push(spec),
            Err(message) => return Ok(usage(message)),
        }
    }
    if specs.is_empty() {
        // Every limit, in prlimit's (alphabetical) order.
        let mut all: Vec<Resource> = psx::resources().collect();
        all.sort_by_key(|r| r.name());
        specs = all.into_iter().map(Spec::Show).collect();
    }
    // A handle, so every read and write below reaches the same process.
    let proc = match Process::new(pid) {
        Ok(proc) => proc,
        Err(err) => return Ok(failed(pid_arg, &err)),
    };

    // In order, each against the limits in force when its turn comes, as prlimit does;
    // the first refusal stops the run.
    let mut shown = Vec::new();
    for spec in specs {
        match spec {
            Spec::Show(resource) => match proc.getrlimit(resource) {
                Ok(limit) => shown.push((resource, limit)),
                Err(err) => return Ok(failed(pid_arg, &err)),
            },
            Spec::Set {
                resource,
                soft,
                hard,
            } => {
                let current = match proc.getrlimit(resource) {
                    Ok(current) => current,
                    Err(err) => return Ok(failed(pid_arg, &err)),
                };
                let new = RLimit::new(soft.unwrap_or(current.soft), hard.unwrap_or(current.hard));
                match proc.rlimit(resource, Some(new)) {
                    Ok(old) => {
                        // What the kernel installed, which may differ from what was
                        // asked (FreeBSD caps data, stack, nofile and nproc at the
                        // system maxima without an error; NetBSD rounds a stack limit
                        // up to a page).
                        let installed = proc.getrlimit(resource).unwrap_or(new);
                        writeln!(out, "{resource}: {} -> {}", pair(old), pair(installed))?;
                    }
                    Err(err) => {
                        complain(format_args!(
                            "{pid_arg}: {resource}={}: {}",
                            pair(new),
                            err.reason()
                        ));
                        return Ok(Status::SomeFailed);
                    }
                }
            }
        }
    }
    if shown.is_empty() {
        return Ok(Status::Ok);
    }
    let openmetrics = args.format == Some(crate::headroom::Format::Openmetrics);
    // The use is read only when it is shown: it costs a descriptor count, and a
    // process whose use is denied still shows its limits.
    let usage = if args.json || openmetrics || columns.contains(&Column::Used) {
        proc.usage().ok()
    } else {
        None
    };
    let shown: Vec<Row> = shown
        .into_iter()
        .map(|(resource, limit)| {
            let used = usage.as_ref().and_then(|u| u.used.get(&resource).copied());
            (resource, limit, used)
        })
        .collect();
    if openmetrics {
        let comm = proc.info(&[psx::Attr::Comm]).ok().and_then(|i| i.comm);
        let mut metrics = crate::headroom::Metrics::default();
        for &(resource, limit, used) in &shown {
            metrics.add(proc.pid(), comm.as_deref(), resource, limit, used);
        }
        metrics.write(out)?;
        return Ok(Status::Ok);
    }
    if args.json {
        let items: Vec<JsonLimit> = shown
            .iter()
            .map(|&(resource, limit, used)| JsonLimit {
                resource: resource.name(),
                description: resource.description(),
                soft: limit.soft,
                hard: limit.hard,
                units: resource.units(),
                used,
            })
            .collect();
        serde_json::to_writer(&mut *out, &items).map_err(io::Error::other)?;
        writeln!(out)?;
        return Ok(Status::Ok);
    }
    let table = Table {
        columns,
        headings: !args.noheadings,
        raw: args.raw,
    };
    table.write(out, &shown)?;
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_like_prlimit() {
        let set = |s, h| {
            Ok(Spec::Set {
                resource: Resource::Nofile,
                soft: s,
                hard: h,
            })
        };
        assert_eq!(parse_spec("nofile"), Ok(Spec::Show(Resource::Nofile)));
        assert_eq!(parse_spec("NOFILE"), Ok(Spec::Show(Resource::Nofile)));
        assert_eq!(
            parse_spec("nofile=10:20"),
            set(Some(Limit::Value(10)), Some(Limit::Value(20)))
        );
        assert_eq!(parse_spec("nofile=10:"), set(Some(Limit::Value(10)), None));
        assert_eq!(parse_spec("nofile=:20"), set(None, Some(Limit::Value(20))));
        assert_eq!(
            parse_spec("nofile=unlimited"),
            set(Some(Limit::Unlimited), Some(Limit::Unlimited))
        );
        // The same value, as Linux reads it.
        assert!(parse_spec("core=unlimited:18446744073709551615").is_ok());
        assert!(parse_spec("core=18446744073709551615:unlimited").is_ok());
        for bad in [
            "bogus",
            "nofile=10:5",
            "nofile=x:y",
            "nofile=",
            "nofile=:",
            "=5",
            "nofile=-5:",
            "nofile=1:2:3",
        ] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_flags_take_attached_values_as_getopt_does() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            attached_short_values(args(&[
                "psx",
                "rlimit",
                "-p1",
                "-n1024:4096",
                "-c",
                "-c=5",
                "--",
                "-n5"
            ])),
            args(&[
                "psx",
                "rlimit",
                "-p1",
                "--nofile=1024:4096",
                "-c",
                "-c=5",
                "--",
                "-n5"
            ])
        );
        // Only inside `psx rlimit`.
        assert_eq!(
            attached_short_values(args(&["psx", "ps", "-n5"])),
            args(&["psx", "ps", "-n5"])
        );
    }

    #[test]
    fn tables_align_as_prlimit_and_raw_escapes_blanks() {
        let rows = [
            (
                Resource::Nice,
                RLimit::new(Limit::Value(0), Limit::Value(0)),
                None,
            ),
            (
                Resource::Nofile,
                RLimit::new(Limit::Value(1024), Limit::Unlimited),
                Some(12),
            ),
        ];
        let mut text = Vec::new();
        let table = Table {
            columns: Column::DEFAULT.to_vec(),
            headings: true,
            raw: false,
        };
        table.write(&mut text, &rows).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "RESOURCE DESCRIPTION                    SOFT      HARD UNITS\n\
             NICE     max nice prio allowed to raise    0         0 \n\
             NOFILE   max number of open files       1024 unlimited files\n"
        );
        let mut raw = Vec::new();
        Table { raw: true, ..table }
            .write(&mut raw, &rows[1..])
            .unwrap();
        assert_eq!(
            String::from_utf8(raw).unwrap(),
            "RESOURCE DESCRIPTION SOFT HARD UNITS\n\
             NOFILE max\\x20number\\x20of\\x20open\\x20files 1024 unlimited files\n"
        );
        let mut used = Vec::new();
        Table {
            columns: vec![Column::Resource, Column::Used, Column::Soft],
            headings: true,
            raw: false,
        }
        .write(&mut used, &rows)
        .unwrap();
        assert_eq!(
            String::from_utf8(used).unwrap(),
            "RESOURCE USED SOFT\nNICE        -    0\nNOFILE     12 1024\n"
        );
        assert_eq!(
            Column::parse_list("resource,SOFT, hard"),
            Ok(vec![Column::Resource, Column::Soft, Column::Hard])
        );
        assert!(Column::parse_list("RESOURCE,BOGUS").is_err());
    }
}
