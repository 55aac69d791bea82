//! Text output for people: aligned, signal names next to numbers, octal umask, group
//! names next to gids, "unlimited".

use std::collections::HashMap;
use std::io::{self, Write};

use psx::{signal_name, ProcInfo, SigSet};

/// What a missing attribute (unsupported here, or access denied) prints as.
const UNAVAILABLE: &str = "(unavailable)";

/// Group names by gid, looked up once per gid per run.
#[derive(Default)]
pub struct GroupNames(HashMap<u32, Option<String>>);

impl GroupNames {
    /// `27(sudo)`, or `27` when the system has no name for it.
    pub fn describe(&mut self, gid: u32) -> String {
        match self.0.entry(gid).or_insert_with(|| group_name(gid)) {
            Some(name) => format!("{gid}({name})"),
            None => gid.to_string(),
        }
    }
}

#[cfg(unix)]
fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: all-zero is a valid `group` (null pointers, zero gid) for getgrgid_r to fill.
        let mut group: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: `group`, `buf` (with its length) and `result` are valid for the call.
        let rc = unsafe {
            libc::getgrgid_r(
                gid as libc::gid_t,
                &mut group,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || group.gr_name.is_null() {
            return None;
        }
        // SAFETY: on success gr_name points at a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(group.gr_name) };
        return Some(name.to_string_lossy().into_owned());
    }
}

#[cfg(not(unix))]
fn group_name(_gid: u32) -> Option<String> {
    None
}

/// `SIGINT(2) SIGTERM(15)`, `none` for an empty set.
pub fn signals(set: SigSet) -> String {
    if set.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = set
        .iter()
        .map(|sig| match signal_name(sig) {
            Some(name) => format!("{name}({sig})"),
            None => sig.to_string(),
        })
        .collect();
    names.join(" ")
}

fn or_unavailable<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| UNAVAILABLE.to_string(), show)
}

/// One block per process.
pub fn write_info(out: &mut impl Write, info: &ProcInfo, names: &mut GroupNames) -> io::Result<()> {
    writeln!(out, "pid {}", info.pid)?;
    let row =
        |out: &mut dyn Write, label: &str, value: String| writeln!(out, "  {label:<17}{value}");
    row(
        out,
        "umask",
        or_unavailable(info.umask, |m| format!("{m:04o}")),
    )?;
    row(
        out,
        "groups",
        or_unavailable(info.groups.as_ref(), |groups| {
            if groups.is_empty() {
                return "none".into();
            }
            groups
                .iter()
                .map(|&g| names.describe(g))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    )?;
    row(out, "pgid", or_unavailable(info.pgid, |p| p.to_string()))?;
    row(out, "sid", or_unavailable(info.sid, |s| s.to_string()))?;
    let masks = info.sigmasks.unwrap_or_default();
    for (label, set) in [
        ("signals pending", masks.pending),
        ("signals blocked", masks.blocked),
        ("signals ignored", masks.ignored),
        ("signals caught", masks.caught),
        ("process pending", masks.process_pending),
    ] {
        row(out, label, or_unavailable(set, signals))?;
    }
    match &info.rlimits {
        None => row(out, "limits", UNAVAILABLE.into())?,
        Some(limits) => {
            writeln!(
                out,
                "  {:<17}{:<12}{:>20} {:>20}",
                "limits", "RESOURCE", "SOFT", "HARD"
            )?;
            for (resource, limit) in limits {
                writeln!(
                    out,
                    "  {:<17}{:<12}{:>20} {:>20}",
                    "",
                    resource.name(),
                    limit.soft.to_string(),
                    limit.hard.to_string()
                )?;
            }
        }
    }
    Ok(())
}

pub fn write_ps_header(out: &mut impl Write, signals: bool) -> io::Result<()> {
    write!(
        out,
        "{:>8} {:>8} {:>8} {:>5}",
        "PID", "PGID", "SID", "UMASK"
    )?;
    if signals {
        write!(
            out,
            " {:>16} {:>16} {:>16} {:>16}",
            "PENDING", "BLOCKED", "IGNORED", "CAUGHT"
        )?;
    }
    writeln!(out, " GROUPS")
}

pub fn write_ps_row(
    out: &mut impl Write,
    info: &ProcInfo,
    signals: bool,
    names: &mut GroupNames,
) -> io::Result<()> {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    write!(
        out,
        "{:>8} {:>8} {:>8} {:>5}",
        info.pid,
        dash(info.pgid.map(|p| p.to_string())),
        dash(info.sid.map(|s| s.to_string())),
        dash(info.umask.map(|m| format!("{m:04o}"))),
    )?;
    if signals {
        let masks = info.sigmasks.unwrap_or_default();
        for set in [masks.pending, masks.blocked, masks.ignored, masks.caught] {
            write!(
                out,
                " {:>16}",
                dash(set.map(|s| format!("{:016x}", s.bits())))
            )?;
        }
    }
    let groups = dash(info.groups.as_ref().map(|g| {
        if g.is_empty() {
            "-".to_string()
        } else {
            g.iter()
                .map(|&gid| names.describe(gid))
                .collect::<Vec<_>>()
                .join(",")
        }
    }));
    writeln!(out, " {groups}")
}
