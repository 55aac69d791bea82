//! A `ps`-like listing of every process, from one `psx::scan`.
//! `cargo run -p psx-process --example ps`
use psx::Attr;

fn main() {
    let attrs = [Attr::Comm, Attr::Pgid, Attr::Sid, Attr::Umask, Attr::Groups];
    let infos = match psx::scan(&attrs) {
        Ok(infos) => infos,
        Err(e) => return eprintln!("ps: cannot list processes: {e}"),
    };
    println!(
        "{:>7} {:>7} {:>7} {:>5}  {:<16} GROUPS",
        "PID", "PGID", "SID", "UMASK", "COMMAND"
    );
    for info in infos {
        let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let pgid = show(info.pgid.map(|p| p.to_string()));
        let sid = show(info.sid.map(|s| s.to_string()));
        let umask = show(info.umask.map(|m| format!("{m:04o}")));
        let comm = show(info.comm);
        let groups = show(info.groups.map(|g| format!("{g:?}")));
        println!(
            "{:>7} {pgid:>7} {sid:>7} {umask:>5}  {comm:<16} {groups}",
            info.pid
        );
    }
}
