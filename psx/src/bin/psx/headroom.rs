//! `psx limits`: which processes are close to a limit, ranked by the share of their soft
//! limit in use; and the OpenMetrics text that `psx limits` and `psx rlimit` write for
//! Prometheus (node_exporter's textfile collector).

use std::collections::BTreeMap;
use std::io::{self, Write};

use psx::{Attr, Limit, Pid, ProcInfo, RLimit, Resource};

use crate::{complain, parse_pids, usage, Status};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Text,
    /// A JSON array.
    Json,
    /// The OpenMetrics / Prometheus text exposition format.
    Openmetrics,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only these resources (comma-separated; default: every one whose use psx reads,
    /// but nice and rtprio, which are priority ceilings rather than amounts).
    #[arg(long, value_name = "LIST")]
    resource: Option<String>,
    /// Show only uses at or above PCT percent of the soft limit, and exit 1 if any is.
    #[arg(long, value_name = "PCT")]
    over: Option<f64>,
    /// Print a JSON array (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// text (default), json or openmetrics.
    #[arg(long, value_name = "FORMAT")]
    format: Option<Format>,
    /// Process ids (default: every process).
    #[arg(value_name = "PID", allow_negative_numbers = true)]
    pids: Vec<String>,
}

/// The resources ranked by default: those whose use is an amount that grows toward the
/// limit. NICE and RTPRIO compare a priority with a ceiling that only gates raising it.
const DEFAULT_RESOURCES: &[Resource] = &[
    Resource::Nofile,
    Resource::As,
    Resource::Data,
    Resource::Stack,
    Resource::Rss,
    Resource::Memlock,
    Resource::Cpu,
    Resource::Sigpending,
    Resource::Nproc,
];

/// One process's use of one resource against its limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Headroom {
    pub pid: Pid,
    pub comm: Option<String>,
    pub resource: Resource,
    pub used: u64,
    pub limit: RLimit,
    /// `used` as a percentage of the soft limit; `None` when the soft limit is unlimited.
    pub percent: Option<f64>,
}

/// The rows of `infos` for `resources`: every resource whose use and limit are both
/// known, ranked by the share of the soft limit used (highest first; unlimited last),
/// then by pid.
pub fn rank(infos: &[ProcInfo], resources: &[Resource]) -> Vec<Headroom> {
    let mut rows = Vec::new();
    for info in infos {
        let (Some(limits), Some(usage)) = (&info.rlimits, &info.usage) else {
            continue;
        };
        for &resource in resources {
            let (Some(&limit), Some(&used)) = (limits.get(&resource), usage.used.get(&resource))
            else {
                continue;
            };
            rows.push(Headroom {
                pid: info.pid,
                comm: info.comm.clone(),
                resource,
                used,
                limit,
                percent: usage.percent_of(resource, limit),
            });
        }
    }
    rows.sort_by(|a, b| {
        let key = |r: &Headroom| r.percent.unwrap_or(-1.0);
        key(b)
            .total_cmp(&key(a))
            .then(a.pid.cmp(&b.pid))
            .then(a.resource.cmp(&b.resource))
    });
    rows
}

fn parse_resources(list: &str) -> Result<Vec<Resource>, String> {
    list.split(',')
        .map(|name| {
            Resource::from_name(name.trim().to_ascii_lowercase().as_str())
                .ok_or_else(|| format!("{name}: unknown resource"))
        })
        .collect()
}

pub fn run(out: &mut impl Write, args: &Args) -> io::Result<Status> {
    let resources = match args.resource.as_deref().map(parse_resources) {
        None => DEFAULT_RESOURCES.to_vec(),
        Some(Ok(list)) => list,
        Some(Err(message)) => return Ok(usage(format_args!("limits: {message}"))),
    };
    if let Some(pct) = args.over {
        if pct.is_nan() || pct < 0.0 {
            return Ok(usage(format_args!(
                "limits: --over {pct}: expected a percentage, 0 or more"
            )));
        }
    }
    let format = if args.json {
        Format::Json
    } else {
        args.format.unwrap_or(Format::Text)
    };
    const ATTRS: &[Attr] = &[Attr::Comm, Attr::Rlimits, Attr::Usage];
    let mut status = Status::Ok;
    let infos: Vec<ProcInfo> = if args.pids.is_empty() {
        match psx::scan(ATTRS) {
            Ok(infos) => infos,
            Err(err) => {
                complain(format_args!("cannot list processes: {}", err.reason()));
                return Ok(Status::SomeFailed);
            }
        }
    } else {
        let pids = match parse_pids(&args.pids) {
            Ok(pids) => pids,
            Err(status) => return Ok(status),
        };
        pids.into_iter()
            .filter_map(|(arg, pid)| match psx::proc_info(pid, ATTRS) {
                Ok(info) => Some(info),
                Err(err) => {
                    status = status.max(crate::failed(&arg, &err));
                    None
                }
            })
            .collect()
    };
    let mut rows = rank(&infos, &resources);
    if let Some(pct) = args.over {
        rows.retain(|r| r.percent.is_some_and(|p| p >= pct));
        if !rows.is_empty() {
            status = status.max(Status::SomeFailed);
        }
    }
    match format {
        Format::Text => write_text(out, &rows)?,
        Format::Json => write_json(out, &rows)?,
        Format::Openmetrics => {
            let mut metrics = Metrics::default();
            for row in &rows {
                metrics.add(
                    row.pid,
                    row.comm.as_deref(),
                    row.resource,
                    row.limit,
                    Some(row.used),
                );
            }
            metrics.write(out)?;
        }
    }
    Ok(status)
}

fn percent_text(percent: Option<f64>) -> String {
    match percent {
        None => "-".to_owned(),
        Some(p) if p.is_infinite() => "inf".to_owned(),
        Some(p) => format!("{p:.1}%"),
    }
}

fn write_text(out: &mut impl Write, rows: &[Headroom]) -> io::Result<()> {
    writeln!(
        out,
        "{:>8} {:<16} {:<10} {:>14} {:>14} {:>14} {:>7}",
        "PID", "COMMAND", "RESOURCE", "USED", "SOFT", "HARD", "USE%"
    )?;
    for row in rows {
        writeln!(
            out,
            "{:>8} {:<16} {:<10} {:>14} {:>14} {:>14} {:>7}",
            row.pid,
            row.comm.as_deref().unwrap_or("-"),
            row.resource.name(),
            row.used,
            row.limit.soft.to_string(),
            row.limit.hard.to_string(),
            percent_text(row.percent)
        )?;
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct JsonRow<'a> {
    pid: Pid,
    comm: Option<&'a str>,
    resource: Resource,
    used: u64,
    soft: Limit,
    hard: Limit,
    /// `null` when the soft limit is unlimited, or is 0 with some use.
    percent: Option<f64>,
}

fn write_json(out: &mut impl Write, rows: &[Headroom]) -> io::Result<()> {
    let items: Vec<JsonRow<'_>> = rows
        .iter()
        .map(|r| JsonRow {
            pid: r.pid,
            comm: r.comm.as_deref(),
            resource: r.resource,
            used: r.used,
            soft: r.limit.soft,
            hard: r.limit.hard,
            percent: r.percent.filter(|p| p.is_finite()),
        })
        .collect();
    serde_json::to_writer(&mut *out, &items).map_err(io::Error::other)?;
    writeln!(out)
}

/// The samples of the three metric families, gathered so that each family's samples
/// are written together, as the format requires.
#[derive(Default)]
pub struct Metrics {
    /// Family name -> lines of samples.
    families: BTreeMap<&'static str, Vec<String>>,
}

/// The families, their help text, in the order they are written.
const FAMILIES: [(&str, &str); 3] = [
    (
        "psx_rlimit_soft",
        "Soft resource limit of a process (+Inf when unlimited).",
    ),
    (
        "psx_rlimit_hard",
        "Hard resource limit of a process (+Inf when unlimited).",
    ),
    (
        "psx_rlimit_usage",
        "What a process uses of a limited resource, in the limit's units.",
    ),
];

impl Metrics {
    /// Adds one process's limit (and use, when known) for `resource`.
    pub fn add(
        &mut self,
        pid: Pid,
        comm: Option<&str>,
        resource: Resource,
        limit: RLimit,
        used: Option<u64>,
    ) {
        let labels = format!(
            "{{pid=\"{pid}\",comm=\"{}\",resource=\"{}\"}}",
            escape_label(comm.unwrap_or("")),
            resource.name()
        );
        let value = |limit: Limit| match limit {
            Limit::Value(v) => v.to_string(),
            Limit::Unlimited => "+Inf".to_owned(),
        };
        let mut sample = |family: &'static str, value: String| {
            self.families
                .entry(family)
                .or_default()
                .push(format!("{family}{labels} {value}"));
        };
        sample(FAMILIES[0].0, value(limit.soft));
        sample(FAMILIES[1].0, value(limit.hard));
        if let Some(used) = used {
            sample(FAMILIES[2].0, used.to_string());
        }
    }

    /// Writes every family with its `# TYPE` and `# HELP`, then `# EOF`.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        for (name, help) in FAMILIES {
            writeln!(out, "# TYPE {name} gauge")?;
            writeln!(out, "# HELP {name} {help}")?;
            for line in self.families.get(name).into_iter().flatten() {
                writeln!(out, "{line}")?;
            }
        }
        writeln!(out, "# EOF")
    }
}

/// A label value as the format escapes it: backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use psx::Usage;

    fn info(pid: i32, nofile: (u64, Limit), as_used: u64) -> ProcInfo {
        let mut info = ProcInfo::new(Pid::from(pid));
        info.comm = Some(format!("p{pid}"));
        info.rlimits = Some(
            [
                (Resource::Nofile, RLimit::new(nofile.1, Limit::Unlimited)),
                (
                    Resource::As,
                    RLimit::new(Limit::Unlimited, Limit::Unlimited),
                ),
            ]
            .into_iter()
            .collect(),
        );
        info.usage = Some(Usage {
            used: [(Resource::Nofile, nofile.0), (Resource::As, as_used)]
                .into_iter()
                .collect(),
            highest_fd: None,
        });
        info
    }

    #[test]
    fn rows_rank_by_share_of_the_soft_limit() {
        let infos = [
            info(10, (10, Limit::Value(1000)), 5),
            info(20, (900, Limit::Value(1000)), 5),
            info(30, (3, Limit::Value(0)), 5),
        ];
        let rows = rank(&infos, &[Resource::Nofile, Resource::As]);
        let order: Vec<_> = rows
            .iter()
            .map(|r| (r.pid.as_raw(), r.resource, r.percent))
            .collect();
        assert_eq!(
            order,
            [
                (30, Resource::Nofile, Some(f64::INFINITY)),
                (20, Resource::Nofile, Some(90.0)),
                (10, Resource::Nofile, Some(1.0)),
                (10, Resource::As, None),
                (20, Resource::As, None),
                (30, Resource::As, None),
            ]
        );
        assert_eq!(percent_text(Some(90.0)), "90.0%");
        assert_eq!(percent_text(Some(f64::INFINITY)), "inf");
        assert_eq!(percent_text(None), "-");
    }

    #[test]
    fn openmetrics_groups_families_and_escapes_labels() {
        let mut metrics = Metrics::default();
        let limit = RLimit::new(Limit::Value(1024), Limit::Unlimited);
        metrics.add(
            Pid::from(7),
            Some("a\"b\\c\nd"),
            Resource::Nofile,
            limit,
            Some(3),
        );
        metrics.add(Pid::from(8), None, Resource::As, limit, None);
        let mut text = Vec::new();
        metrics.write(&mut text).unwrap();
        let expected = "# TYPE psx_rlimit_soft gauge\n\
# HELP psx_rlimit_soft Soft resource limit of a process (+Inf when unlimited).\n\
psx_rlimit_soft{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",resource=\"nofile\"} 1024\n\
psx_rlimit_soft{pid=\"8\",comm=\"\",resource=\"as\"} 1024\n\
# TYPE psx_rlimit_hard gauge\n\
# HELP psx_rlimit_hard Hard resource limit of a process (+Inf when unlimited).\n\
psx_rlimit_hard{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",resource=\"nofile\"} +Inf\n\
psx_rlimit_hard{pid=\"8\",comm=\"\",resource=\"as\"} +Inf\n\
# TYPE psx_rlimit_usage gauge\n\
# HELP psx_rlimit_usage What a process uses of a limited resource, in the limit's units.\n\
psx_rlimit_usage{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",resource=\"nofile\"} 3\n\
# EOF\n";
        assert_eq!(String::from_utf8(text).unwrap(), expected);
    }
}
