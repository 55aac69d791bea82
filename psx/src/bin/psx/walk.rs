//! Listing every process on the machine.

use psx::Pid;

/// Every pid, ascending (Linux: the numeric entries of /proc).
#[cfg(target_os = "linux")]
pub fn all_pids() -> Result<Vec<Pid>, String> {
    let entries = std::fs::read_dir("/proc").map_err(|e| format!("cannot list /proc: {e}"))?;
    let mut pids: Vec<Pid> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid > 0)
        .map(Pid::from)
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Walking every process is implemented for Linux only.
#[cfg(not(target_os = "linux"))]
pub fn all_pids() -> Result<Vec<Pid>, String> {
    Err("listing every process (--all, ps) is supported on Linux only".into())
}
