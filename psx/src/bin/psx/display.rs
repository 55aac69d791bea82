//! Text output for people: aligned, signal names next to numbers, octal umask, group
//! names next to gids, "unlimited".

use std::collections::HashMap;
use std::io::{self, Write};

use psx::{Attr, Missing, ProcInfo};

/// What a missing attribute prints as: why it is missing, `(access denied)`.
fn missing(info: &ProcInfo, attr: Attr) -> String {
    format!(
        "({})",
        info.missing.get(&attr).map_or("not read", |m| m.reason())
    )
}

/// Group names by gid, looked up once per gid per run, at bounded cost.
///
/// Each `getgrgid_r` may read the whole group database (and try every NSS module), so a
/// process with thousands of groups must not cost a lookup per gid: after
/// [`GroupNames::SINGLE_LOOKUPS`] lookups the database is read once, whole, and gids
/// it does not hold print without a name.
pub struct GroupNames {
    names: HashMap<u32, Option<String>>,
    single_lookups: usize,
    enumerated: bool,
    lookup: fn(u32) -> Option<String>,
    enumerate: fn() -> Vec<(u32, String)>,
}

impl Default for GroupNames {
    fn default() -> Self {
        GroupNames::with(group_name, all_groups)
    }
}

impl GroupNames {
    /// Lookups of one gid each before the whole database is read instead.
    pub const SINGLE_LOOKUPS: usize = 32;

    fn with(lookup: fn(u32) -> Option<String>, enumerate: fn() -> Vec<(u32, String)>) -> Self {
        GroupNames {
            names: HashMap::new(),
            single_lookups: 0,
            enumerated: false,
            lookup,
            enumerate,
        }
    }

    /// `27(sudo)`, or `27` when the system has no name for it.
    pub fn describe(&mut self, gid: u32) -> String {
        match self.name(gid) {
            Some(name) => format!("{gid}({name})"),
            None => gid.to_string(),
        }
    }

    fn name(&mut self, gid: u32) -> Option<&str> {
        if !self.names.contains_key(&gid) {
            let name = if self.enumerated {
                None
            } else if self.single_lookups < Self::SINGLE_LOOKUPS {
                self.single_lookups += 1;
                (self.lookup)(gid)
            } else {
                self.enumerated = true;
                for (g, name) in (self.enumerate)() {
                    self.names.entry(g).or_insert(Some(name));
                }
                None
            };
            self.names.entry(gid).or_insert(name);
        }
        self.names.get(&gid)?.as_deref()
    }
}

/// Every group the database will list, read once (`getgrent`).
#[cfg(unix)]
fn all_groups() -> Vec<(u32, String)> {
    let mut groups = Vec::new();
    // SAFETY: the CLI is single-threaded, so nothing else uses the getgrent cursor;
    // each entry is copied out before the next call overwrites it.
    unsafe {
        libc::setgrent();
        loop {
            let entry = libc::getgrent();
            if entry.is_null() {
                break;
            }
            if !(*entry).gr_name.is_null() {
                let name = std::ffi::CStr::from_ptr((*entry).gr_name);
                groups.push(((*entry).gr_gid as u32, name.to_string_lossy().into_owned()));
            }
        }
        libc::endgrent();
    }
    groups
}

#[cfg(not(unix))]
fn all_groups() -> Vec<(u32, String)> {
    Vec::new()
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

/// One block per process.
pub fn write_info(out: &mut impl Write, info: &ProcInfo, names: &mut GroupNames) -> io::Result<()> {
    writeln!(out, "pid {}", info.pid)?;
    let row =
        |out: &mut dyn Write, label: &str, value: String| writeln!(out, "  {label:<17}{value}");
    let show = |attr, value: Option<String>| value.unwrap_or_else(|| missing(info, attr));
    row(out, "command", show(Attr::Comm, info.comm.clone()))?;
    row(
        out,
        "umask",
        show(Attr::Umask, info.umask.map(|m| format!("{m:04o}"))),
    )?;
    row(
        out,
        "groups",
        show(
            Attr::Groups,
            info.groups.as_ref().map(|groups| {
                if groups.is_empty() {
                    return "none".into();
                }
                groups
                    .iter()
                    .map(|&g| names.describe(g))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        ),
    )?;
    row(
        out,
        "pgid",
        show(Attr::Pgid, info.pgid.map(|p| p.to_string())),
    )?;
    row(out, "sid", show(Attr::Sid, info.sid.map(|s| s.to_string())))?;
    let masks = info.sigmasks.unwrap_or_default();
    for (label, set) in [
        ("signals pending", masks.pending),
        ("signals blocked", masks.blocked),
        ("signals ignored", masks.ignored),
        ("signals caught", masks.caught),
        ("process pending", masks.process_pending),
    ] {
        let value = match (info.sigmasks, set) {
            (Some(_), Some(set)) => set.to_string(),
            // The platform keeps no such mask.
            (Some(_), None) => format!("({})", Missing::Unsupported.reason()),
            (None, _) => missing(info, Attr::Sigmasks),
        };
        row(out, label, value)?;
    }
    let used = |resource| {
        info.usage
            .as_ref()
            .and_then(|u| u.used.get(&resource))
            .map_or_else(|| "-".to_owned(), u64::to_string)
    };
    match &info.rlimits {
        None => row(out, "limits", missing(info, Attr::Rlimits))?,
        Some(limits) => {
            writeln!(
                out,
                "  {:<17}{:<12}{:>20} {:>20} {:>14}",
                "limits", "RESOURCE", "SOFT", "HARD", "USED"
            )?;
            for (&resource, limit) in limits {
                writeln!(
                    out,
                    "  {:<17}{:<12}{:>20} {:>20} {:>14}",
                    "",
                    resource.name(),
                    limit.soft.to_string(),
                    limit.hard.to_string(),
                    used(resource)
                )?;
            }
        }
    }
    match &info.usage {
        None => row(out, "usage", missing(info, Attr::Usage))?,
        Some(usage) => {
            // What the limits table could not show: use without a readable limit.
            let unlisted: Vec<String> = usage
                .used
                .iter()
                .filter(|(r, _)| !info.rlimits.as_ref().is_some_and(|l| l.contains_key(r)))
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            if !unlisted.is_empty() {
                row(out, "usage", unlisted.join(", "))?;
            }
            let fd = usage
                .highest_fd
                .map_or_else(|| "-".to_owned(), |fd| fd.to_string());
            row(out, "highest fd", fd)?;
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
            " {:>16} {:>16} {:>16} {:>16} {:>16}",
            "PENDING", "TPENDING", "BLOCKED", "IGNORED", "CAUGHT"
        )?;
    }
    writeln!(out, " {:<24} COMMAND", "GROUPS")
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
        // `ps -o pending` is the process's set: where the OS keeps a separate
        // process-wide set (Linux, Solaris) that one; elsewhere the one set there is,
        // and no thread column.
        let (process, thread) = match masks.process_pending {
            Some(process) => (Some(process), masks.pending),
            None => (masks.pending, None),
        };
        for set in [process, thread, masks.blocked, masks.ignored, masks.caught] {
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
    let comm = dash(info.comm.clone());
    writeln!(out, " {groups:<24} {comm}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // One test uses these: no other thread touches them.
    static LOOKUPS: AtomicUsize = AtomicUsize::new(0);
    static ENUMERATIONS: AtomicUsize = AtomicUsize::new(0);

    fn fake_lookup(gid: u32) -> Option<String> {
        LOOKUPS.fetch_add(1, Ordering::Relaxed);
        (gid % 2 == 0).then(|| format!("g{gid}"))
    }

    fn fake_enumerate() -> Vec<(u32, String)> {
        ENUMERATIONS.fetch_add(1, Ordering::Relaxed);
        (0..100_000)
            .step_by(2)
            .map(|g| (g, format!("g{g}")))
            .collect()
    }

    #[test]
    fn many_groups_cost_a_bounded_number_of_lookups() {
        let mut names = GroupNames::with(fake_lookup, fake_enumerate);
        for gid in 0..65_536 {
            let shown = names.describe(gid);
            if gid < GroupNames::SINGLE_LOOKUPS as u32 || gid % 2 == 0 {
                assert_eq!(shown == format!("{gid}(g{gid})"), gid % 2 == 0, "{shown}");
            } else {
                assert_eq!(shown, gid.to_string());
            }
        }
        // Again: all cached.
        names.describe(7);
        assert_eq!(LOOKUPS.load(Ordering::Relaxed), GroupNames::SINGLE_LOOKUPS);
        assert_eq!(ENUMERATIONS.load(Ordering::Relaxed), 1);
    }
}
