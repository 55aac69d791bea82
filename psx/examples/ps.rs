//! A `ps`-like listing of every process (Linux: walks /proc).
//! `cargo run -p psx --example ps`
use psx::Attr;

fn main() {
    let attrs = [Attr::Pgid, Attr::Sid, Attr::Umask, Attr::Groups];
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return eprintln!("ps: /proc is not readable here");
    };
    let mut pids: Vec<i32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    println!(
        "{:>7} {:>7} {:>7} {:>5}  GROUPS",
        "PID", "PGID", "SID", "UMASK"
    );
    for pid in pids {
        // A process may exit while we walk: skip it.
        let Ok(info) = psx::proc_info(pid, &attrs) else {
            continue;
        };
        let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let pgid = show(info.pgid.map(|p| p.to_string()));
        let sid = show(info.sid.map(|s| s.to_string()));
        let umask = show(info.umask.map(|m| format!("{m:04o}")));
        let groups = show(info.groups.map(|g| format!("{g:?}")));
        println!("{pid:>7} {pgid:>7} {sid:>7} {umask:>5}  {groups}");
    }
}
