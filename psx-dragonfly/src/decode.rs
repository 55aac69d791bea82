//! Pure decoding for DragonFly BSD, tested on every host: the text of
//! `/proc/<pid>/status` and `/proc/<pid>/rlimit`, and `struct kinfo_proc` bytes.
//!
//! `status` is one line written by `procfs_dostatus` (`sys/vfs/procfs/procfs_status.c`):
//! `comm pid ppid pgid sid maj,min flags start ut st wmsg euid ruid rgid,groups... host`.
//! The command name is copied raw, unescaped, so it may hold spaces: it is found by
//! trying each split of its (at most `MAXCOMLEN` = 16) bytes until the 14 fields after
//! it parse. The groups field is `rgid` followed by `cr_groups[]`, whose first element
//! is the effective gid, as `getgroups(2)` returns it.
//!
//! `rlimit` is one `name cur max` line per resource (`procfs_rlimit.c`), `-1` meaning
//! infinity, names from `rlimit_ident` in `sys/resource.h`.
//!
//! `kinfo_proc` layout: DragonFly `sys/sys/kinfo.h`, as the libc crate defines it for
//! x86_64-unknown-dragonfly (992 bytes); `sys.rs` asserts every offset on DragonFly.

use psx_core::{RLimit, Resource, SigSet, SignalMasks};

/// Byte offsets in `struct kinfo_proc` (x86_64).
pub mod layout {
    /// `sizeof(struct kinfo_proc)`.
    pub const SIZE: usize = 992;
    /// `sigset_t kp_siglist` (4 x `uint32_t`): pending.
    pub const KP_SIGLIST: usize = 40;
    /// `sigset_t kp_sigignore`.
    pub const KP_SIGIGNORE: usize = 56;
    /// `sigset_t kp_sigcatch`.
    pub const KP_SIGCATCH: usize = 72;
    /// `short kp_ngroups`.
    pub const KP_NGROUPS: usize = 136;
    /// `gid_t kp_groups[NGROUPS]`.
    pub const KP_GROUPS: usize = 140;
    /// `pid_t kp_pid`.
    pub const KP_PID: usize = 220;
    /// `pid_t kp_pgid`.
    pub const KP_PGID: usize = 228;
    /// `pid_t kp_sid`.
    pub const KP_SID: usize = 236;
    /// `kp_lwp.kl_sigmask`: the first thread's blocked signals.
    pub const KL_SIGMASK: usize = 920;
    /// `NGROUPS`: `kinfo_proc` holds at most this many groups.
    pub const NGROUPS: usize = 16;
}

/// `CTL_KERN`, `KERN_PROC`, `KERN_PROC_PID`.
const CTL_KERN: i32 = 1;
const KERN_PROC: i32 = 14;
const KERN_PROC_PID: i32 = 1;

/// `kern.proc.pid.<pid>`.
pub fn kinfo_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
}

/// DragonFly's `RLIMIT_*` number for `resource` (`sys/resource.h`).
pub fn resource_number(resource: Resource) -> Option<i32> {
    Some(match resource {
        Resource::Cpu => 0,
        Resource::Fsize => 1,
        Resource::Data => 2,
        Resource::Stack => 3,
        Resource::Core => 4,
        Resource::Rss => 5,
        Resource::Memlock => 6,
        Resource::Nproc => 7,
        Resource::Nofile => 8,
        Resource::Sbsize => 9,
        Resource::As => 10,
        Resource::Posixlocks => 11,
        _ => return None,
    })
}

/// DragonFly's `RLIM_INFINITY`.
pub const RLIM_INFINITY: u64 = 0x7fff_ffff_ffff_ffff;

/// Why some input could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `/proc/<pid>/status` is not the line procfs writes.
    Status,
    /// A line of `/proc/<pid>/rlimit` is not `name cur max`.
    Rlimit(usize),
    /// A `kinfo_proc` reply whose length is not the struct's: a torn reply, or a
    /// kernel with another `kinfo_proc` layout.
    Truncated(usize),
    /// `kp_ngroups` outside `0..=NGROUPS`.
    BadGroupCount(i16),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Status => f.write_str("/proc status is not in the procfs format"),
            DecodeError::Rlimit(line) => {
                write!(f, "/proc rlimit line {line} is not 'name cur max'")
            }
            DecodeError::Truncated(len) => write!(
                f,
                "kinfo_proc reply of {len} bytes, psx was built for {}: a different DragonFly ABI",
                layout::SIZE
            ),
            DecodeError::BadGroupCount(n) => write!(f, "kinfo_proc claims {n} groups"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What psx takes from `/proc/<pid>/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The command name, raw.
    pub comm: Vec<u8>,
    /// Its pid.
    pub pid: i32,
    /// Its process group.
    pub pgid: i32,
    /// Its session.
    pub sid: i32,
    /// `cr_groups[]`: the effective gid first, then the supplementary groups.
    pub groups: Vec<u32>,
}

/// The longest command name (`MAXCOMLEN`).
const MAXCOMLEN: usize = 16;

/// Decodes `/proc/<pid>/status`. `pid`, when given, must match the pid field: it
/// disambiguates a command name with spaces that look like fields.
pub fn status(text: &[u8], pid: Option<i32>) -> Result<Status, DecodeError> {
    let line = text.strip_suffix(b"\n").unwrap_or(text);
    // The command name ends at one of the spaces among its first MAXCOMLEN + 1 bytes.
    let splits = line
        .iter()
        .take(MAXCOMLEN + 1)
        .enumerate()
        .filter(|&(_, &b)| b == b' ')
        .map(|(i, _)| i);
    for at in splits {
        let (Some(comm), Some(rest)) = (line.get(..at), line.get(at + 1..)) else {
            continue;
        };
        if let Some(status) = fields_after_comm(comm, rest) {
            if pid.is_none_or(|p| p == status.pid) {
                return Ok(status);
            }
        }
    }
    Err(DecodeError::Status)
}

fn int(f: &[u8]) -> Option<i32> {
    std::str::from_utf8(f).ok()?.parse().ok()
}

fn id(f: &[u8]) -> Option<u32> {
    std::str::from_utf8(f).ok()?.parse().ok()
}

/// `a,b` with two integers: the tty (`major,minor`, `-1,-1` for none) and the times
/// (`sec,usec`, `-1,-1` when swapped out).
fn pair(f: &[u8]) -> Option<()> {
    let (a, b) = std::str::from_utf8(f).ok()?.split_once(',')?;
    a.parse::<i64>().ok()?;
    b.parse::<i64>().ok()?;
    Some(())
}

/// The session flags field: `noflags`, `ctty`, `sldr` or `ctty,sldr`.
fn session_flags(f: &[u8]) -> Option<()> {
    f.split(|&b| b == b',')
        .all(|w| matches!(w, b"ctty" | b"sldr" | b"noflags"))
        .then_some(())
}

/// `rgid,g0,g1,...`: the real gid, then `cr_groups[]`.
fn group_list(f: &[u8]) -> Option<Vec<u32>> {
    let mut ids = f.split(|&b| b == b',').map(id);
    ids.next()??; // rgid
    ids.collect()
}

/// The fields after the command name:
/// `pid ppid pgid sid maj,min flags start ut st wmsg euid ruid rgid,groups host`.
/// The wait message and the jail's host name are kernel and admin strings that may
/// hold spaces; the `euid ruid rgid,groups` run between them is found as the first
/// place where it parses.
fn fields_after_comm(comm: &[u8], rest: &[u8]) -> Option<Status> {
    let fields: Vec<&[u8]> = rest.split(|&b| b == b' ').collect();
    let [pid, ppid, pgid, sid, tty, flags, start, ut, st, tail @ ..] = &fields[..] else {
        return None;
    };
    int(ppid)?;
    pair(tty)?;
    session_flags(flags)?;
    for f in [start, ut, st] {
        pair(f)?;
    }
    // tail = wmsg... euid ruid groups host...: wmsg and host at least one word each.
    let groups = (1..tail.len().saturating_sub(3)).find_map(|j| {
        let [euid, ruid, groups, ..] = tail.get(j..)? else {
            return None;
        };
        id(euid)?;
        id(ruid)?;
        group_list(groups)
    })?;
    Some(Status {
        comm: comm.to_vec(),
        pid: int(pid)?,
        pgid: int(pgid)?,
        sid: int(sid)?,
        groups,
    })
}

fn resource_by_ident(name: &str) -> Option<Resource> {
    Some(match name {
        "cpu" => Resource::Cpu,
        "fsize" => Resource::Fsize,
        "data" => Resource::Data,
        "stack" => Resource::Stack,
        "core" => Resource::Core,
        "rss" => Resource::Rss,
        "memlock" => Resource::Memlock,
        "nproc" => Resource::Nproc,
        "nofile" => Resource::Nofile,
        "sbsize" => Resource::Sbsize,
        "vmem" => Resource::As,
        "posixlock" => Resource::Posixlocks,
        _ => return None,
    })
}

/// Decodes `/proc/<pid>/rlimit`: every resource's limits. Lines naming a resource psx
/// does not know (a newer kernel) are skipped.
pub fn rlimits(text: &[u8]) -> Result<Vec<(Resource, RLimit)>, DecodeError> {
    let text = std::str::from_utf8(text).map_err(|_| DecodeError::Rlimit(1))?;
    let value = |v: &str| -> Option<u64> {
        match v {
            "-1" => Some(RLIM_INFINITY),
            _ => v.parse::<u64>().ok(),
        }
    };
    let mut out = Vec::with_capacity(12);
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let fields: Vec<&str> = line.split(' ').collect();
        let [name, cur, max] = fields[..] else {
            return Err(DecodeError::Rlimit(i + 1));
        };
        let (Some(cur), Some(max)) = (value(cur), value(max)) else {
            return Err(DecodeError::Rlimit(i + 1));
        };
        if let Some(resource) = resource_by_ident(name) {
            out.push((resource, RLimit::from_raw(cur, max, RLIM_INFINITY)));
        }
    }
    if out.is_empty() {
        return Err(DecodeError::Rlimit(0));
    }
    Ok(out)
}

/// What psx takes from one `kinfo_proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `kp_pid`.
    pub pid: i32,
    /// `kp_pgid`.
    pub pgid: i32,
    /// `kp_sid`.
    pub sid: i32,
    /// `kp_groups[..kp_ngroups]` (at most 16).
    pub groups: Vec<u32>,
    /// `kp_siglist`, the first thread's `kl_sigmask`, `kp_sigignore`, `kp_sigcatch`.
    pub sigmasks: SignalMasks,
}

/// The native-endian `u32` at `at`; callers check the length first, and a read past
/// the end (which they rule out) gives 0 rather than a panic.
fn u32_at(buf: &[u8], at: usize) -> u32 {
    at.checked_add(4)
        .and_then(|end| buf.get(at..end))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_ne_bytes)
}

fn i16_at(buf: &[u8], at: usize) -> i16 {
    match buf.get(at..).and_then(|b| b.get(..2)) {
        Some(&[a, b]) => i16::from_ne_bytes([a, b]),
        _ => 0,
    }
}

fn sigset_at(buf: &[u8], at: usize) -> SigSet {
    SigSet::from_words(&[0, 4, 8, 12].map(|o| u32_at(buf, at + o)))
}

/// Decodes one `kinfo_proc`. DragonFly's struct has no size field, so the reply's
/// length is the check: anything but [`layout::SIZE`] bytes is another ABI (or a torn
/// reply), reported, never misread.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    if buf.len() != SIZE {
        return Err(DecodeError::Truncated(buf.len()));
    }
    let ngroups = i16_at(buf, KP_NGROUPS);
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    Ok(Kinfo {
        pid: u32_at(buf, KP_PID) as i32,
        pgid: u32_at(buf, KP_PGID) as i32,
        sid: u32_at(buf, KP_SID) as i32,
        groups: (0..count).map(|i| u32_at(buf, KP_GROUPS + 4 * i)).collect(),
        sigmasks: SignalMasks {
            pending: Some(sigset_at(buf, KP_SIGLIST)),
            blocked: Some(sigset_at(buf, KL_SIGMASK)),
            ignored: Some(sigset_at(buf, KP_SIGIGNORE)),
            caught: Some(sigset_at(buf, KP_SIGCATCH)),
            process_pending: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use psx_core::Limit;

    /// As `procfs_dostatus` writes it for a shell in a session with a tty.
    const SH: &[u8] = b"sh 1234 1200 1234 1100 5,3 ctty,sldr 1700000000,123456 0,5000 0,9000 ttyin 1001 1001 1001,1001,0,5,920 -\n";

    #[test]
    fn decodes_a_status_line() {
        let s = status(SH, Some(1234)).unwrap();
        assert_eq!((s.pid, s.pgid, s.sid), (1234, 1234, 1100));
        assert_eq!(s.comm, b"sh");
        assert_eq!(s.groups, vec![1001, 0, 5, 920]);
    }

    #[test]
    fn a_command_name_with_spaces_and_numbers() {
        // The name is raw: "my 1 2 3 prog" looks like fields until the rest fails to parse.
        let line = b"my 1 2 3 prog 42 1 42 42 -1,-1 noflags 1,2 3,4 5,6 nochan 0 0 0,0 jailhost\n";
        let s = status(line, Some(42)).unwrap();
        assert_eq!(s.comm, b"my 1 2 3 prog");
        assert_eq!((s.pid, s.pgid, s.sid), (42, 42, 42));
        assert_eq!(s.groups, vec![0]);
        assert_eq!(status(line, Some(7)), Err(DecodeError::Status));
    }

    #[test]
    fn raw_command_names() {
        // p_comm is copied raw: a newline, bytes that are not UTF-8, all 16 bytes used,
        // or nothing at all (the line then starts with the space before the pid).
        let tail = b" 77 1 77 77 -1,-1 noflags 1,0 0,0 0,0 nochan 0 0 0,0 -\n";
        for comm in [
            &b"two\nlines"[..],
            b"caf\xe9 \xff",
            b"sixteen-bytes-ab",
            b"1 2 3 4 5 6 7 8",
            b"",
        ] {
            let line = [comm, &tail[..]].concat();
            let s = status(&line, Some(77)).unwrap();
            assert_eq!(s.comm, comm);
            assert_eq!((s.pid, s.pgid, s.sid, s.groups), (77, 77, 77, vec![0]));
        }
    }

    #[test]
    fn wait_messages_and_jail_hosts_with_spaces() {
        // procfs_dostatus prints lwp_wmesg and the jail's pr_host with %s.
        let line = b"httpd 300 1 300 300 -1,-1 sldr 1700000000,5 0,10 0,20 vm wait 80 80 80,80,0 web jail 1\n";
        let s = status(line, Some(300)).unwrap();
        assert_eq!(s.groups, vec![80, 0]);
        assert_eq!((s.pgid, s.sid), (300, 300));
        // Swapped out: the three times are -1,-1.
        let swapped = b"idle 5 1 5 5 -1,-1 noflags -1,-1 -1,-1 -1,-1 nochan 0 0 0,0,5 -\n";
        assert_eq!(status(swapped, Some(5)).unwrap().groups, vec![0, 5]);
    }

    #[test]
    fn every_truncation_is_an_error() {
        for len in 0..SH.len() - 2 {
            assert!(status(&SH[..len], Some(1234)).is_err(), "{len}");
        }
        assert!(status(SH, Some(1234)).is_ok());
    }

    #[test]
    fn empty_and_sixteen_plus_groups() {
        let none = b"init 1 0 1 1 -1,-1 sldr 1,0 0,0 0,0 wait 0 0 0 -\n";
        assert_eq!(status(none, Some(1)).unwrap().groups, Vec::<u32>::new());
        let many: Vec<String> = (0..20).map(|g| (1000 + g).to_string()).collect();
        let line = format!(
            "daemon 9 1 9 9 -1,-1 noflags 1,0 0,0 0,0 select 0 0 0,{} -\n",
            many.join(",")
        );
        let s = status(line.as_bytes(), None).unwrap();
        assert_eq!(s.groups.len(), 20);
        assert_eq!(s.groups[19], 1019);
    }

    #[test]
    fn garbage_status_is_an_error() {
        for bad in [
            &b""[..],
            b"\n",
            b"sh 1 2",
            b"sh x 1 1 1 -1,-1 n 1,0 0,0 0,0 w 0 0 0 -",
            b"\xff\xfe",
        ] {
            assert_eq!(status(bad, None), Err(DecodeError::Status), "{bad:?}");
        }
        // Truncated before the host field.
        assert!(status(&SH[..SH.len() - 3], None).is_err());
    }

    const RLIMIT: &[u8] = b"cpu -1 -1\nfsize -1 -1\ndata 536870912 -1\nstack 8388608 536870912\ncore -1 -1\nrss -1 -1\nmemlock -1 -1\nnproc 7000 7000\nnofile 32000 32000\nsbsize -1 -1\nvmem -1 -1\nposixlock -1 -1\n";

    #[test]
    fn decodes_every_rlimit() {
        let all = rlimits(RLIMIT).unwrap();
        assert_eq!(all.len(), 12);
        let get = |r| all.iter().find(|(x, _)| *x == r).unwrap().1;
        assert_eq!(
            get(Resource::Nofile),
            RLimit::new(Limit::Value(32000), Limit::Value(32000))
        );
        assert_eq!(
            get(Resource::Stack),
            RLimit::new(Limit::Value(8388608), Limit::Value(536870912))
        );
        assert_eq!(
            get(Resource::As),
            RLimit::new(Limit::Unlimited, Limit::Unlimited)
        );
        assert_eq!(get(Resource::Posixlocks).hard, Limit::Unlimited);
        // A resource DragonFly lacks is simply not there.
        assert!(!all.iter().any(|(r, _)| *r == Resource::Nice));
        // A newer kernel's extra line is skipped.
        let newer = [RLIMIT, b"newthing 1 2\n"].concat();
        assert_eq!(rlimits(&newer).unwrap().len(), 12);
    }

    #[test]
    fn garbage_rlimit_is_an_error() {
        assert_eq!(rlimits(b""), Err(DecodeError::Rlimit(0)));
        assert_eq!(rlimits(b"cpu -1\n"), Err(DecodeError::Rlimit(1)));
        assert_eq!(
            rlimits(b"cpu -1 -1\nnofile x 1\n"),
            Err(DecodeError::Rlimit(2))
        );
        assert_eq!(rlimits(b"cpu -2 -1\n"), Err(DecodeError::Rlimit(1)));
    }

    /// A `kinfo_proc` laid out as DragonFly's `sys/sys/kinfo.h` `struct kinfo_proc`
    /// (992 bytes on x86_64), at the offsets of libc's `x86_64-unknown-dragonfly`
    /// struct that sys.rs asserts (`kp_lwp.kl_sigmask` inside the embedded
    /// `struct kinfo_lwp`); the rest is filler.
    fn kinfo_fixture(groups: &[u32], ngroups: i16, masks: [[u32; 4]; 4]) -> Vec<u8> {
        use layout::*;
        let mut buf = vec![0x11u8; SIZE];
        let mut put = |at: usize, b: &[u8]| buf[at..at + b.len()].copy_from_slice(b);
        put(KP_PID, &55i32.to_ne_bytes());
        put(KP_PGID, &50i32.to_ne_bytes());
        put(KP_SID, &40i32.to_ne_bytes());
        put(KP_NGROUPS, &ngroups.to_ne_bytes());
        for (i, g) in groups.iter().enumerate() {
            put(KP_GROUPS + 4 * i, &g.to_ne_bytes());
        }
        for (set, at) in masks
            .iter()
            .zip([KP_SIGLIST, KL_SIGMASK, KP_SIGIGNORE, KP_SIGCATCH])
        {
            for (i, w) in set.iter().enumerate() {
                put(at + 4 * i, &w.to_ne_bytes());
            }
        }
        buf
    }

    #[test]
    fn decodes_kinfo() {
        let masks = [
            [1 << 29, 0, 0, 0],
            [1 << 1, 0, 0, 0],
            [1 << 12, 0, 0, 0],
            [0, 0, 0, 1 << 31],
        ];
        let k = kinfo(&kinfo_fixture(&[0, 5], 2, masks)).unwrap();
        assert_eq!(
            (k.pid, k.pgid, k.sid, k.groups.clone()),
            (55, 50, 40, vec![0, 5])
        );
        assert_eq!(
            k.sigmasks.pending.unwrap().iter().collect::<Vec<_>>(),
            vec![30]
        );
        assert_eq!(
            k.sigmasks.blocked.unwrap().iter().collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(
            k.sigmasks.ignored.unwrap().iter().collect::<Vec<_>>(),
            vec![13]
        );
        assert_eq!(
            k.sigmasks.caught.unwrap().iter().collect::<Vec<_>>(),
            vec![128]
        );
        let sixteen: Vec<u32> = (1..=16).collect();
        assert_eq!(
            kinfo(&kinfo_fixture(&sixteen, 16, [[0; 4]; 4]))
                .unwrap()
                .groups,
            sixteen
        );
        assert_eq!(
            kinfo(&kinfo_fixture(&[], 17, [[0; 4]; 4])),
            Err(DecodeError::BadGroupCount(17))
        );
        assert_eq!(kinfo(&[0; 10]), Err(DecodeError::Truncated(10)));
        // A kernel whose kinfo_proc is larger: the length says so, nothing is misread.
        let mut larger = kinfo_fixture(&[], 0, [[0; 4]; 4]);
        larger.extend_from_slice(&[0; 64]);
        let err = kinfo(&larger).unwrap_err();
        assert_eq!(err, DecodeError::Truncated(layout::SIZE + 64));
        assert!(err.to_string().contains("992"), "{err}");
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            let _ = status(&bytes, None);
            let _ = rlimits(&bytes);
            let _ = kinfo(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn mangled_status_lines_never_panic(cut in 0usize..120, byte in any::<u8>(), at in 0usize..120) {
            // Real lines with one byte changed, then cut short: an answer or an error.
            let mut line = SH.to_vec();
            if let Some(b) = line.get_mut(at) {
                *b = byte;
            }
            line.truncate(cut);
            let _ = status(&line, Some(1234));
            let _ = status(&line, None);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn kinfo_round_trips(
            gids in proptest::collection::vec(any::<u32>(), 0..=layout::NGROUPS),
            masks in any::<[[u32; 4]; 4]>(),
        ) {
            let k = kinfo(&kinfo_fixture(&gids, gids.len() as i16, masks)).unwrap();
            prop_assert_eq!(k.groups, gids);
            let m = k.sigmasks;
            for (got, want) in [m.pending, m.blocked, m.ignored, m.caught].into_iter().zip(masks) {
                prop_assert_eq!(got, Some(SigSet::from_words(&want)));
            }
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn status_round_trips(
            comm in "[a-z0-9 ]{0,16}",
            pid in 1i32..99999,
            pgid in 0i32..99999,
            sid in 0i32..99999,
            groups in proptest::collection::vec(any::<u32>(), 0..30),
            wmsg in "[a-z]{1,8}( [a-z]{1,8})?",
            host in "-|[a-z.]{1,12}( [a-z]{1,5})?",
        ) {
            let gids: String = groups.iter().map(|g| format!(",{g}")).collect();
            let line = format!("{comm} {pid} 1 {pgid} {sid} -1,-1 noflags 1,2 3,4 5,6 {wmsg} 0 0 7{gids} {host}\n");
            let s = status(line.as_bytes(), Some(pid)).unwrap();
            prop_assert_eq!((s.pid, s.pgid, s.sid), (pid, pgid, sid));
            prop_assert_eq!(s.groups, groups);
            prop_assert_eq!(s.comm, comm.into_bytes());
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn rlimits_round_trip(values in proptest::collection::vec((0u64..u64::MAX / 2, 0u64..u64::MAX / 2), 12)) {
            let names = ["cpu", "fsize", "data", "stack", "core", "rss", "memlock", "nproc", "nofile", "sbsize", "vmem", "posixlock"];
            let text: String = names.iter().zip(&values).map(|(n, (c, m))| format!("{n} {c} {m}\n")).collect();
            let all = rlimits(text.as_bytes()).unwrap();
            for ((_, limit), (c, m)) in all.iter().zip(&values) {
                prop_assert_eq!(*limit, RLimit::new(Limit::Value(*c), Limit::Value(*m)));
            }
        }
    }
}
