//! Pure decoding and decisions for DragonFly BSD, tested on every host: `struct
//! kinfo_proc` bytes, the text of `/proc/<pid>/rlimit`, and the backend's logic over a
//! [`Kernel`] (the real calls in `sys.rs`; a fake one in the tests).
//!
//! `kinfo_proc` serves groups, process group, session and signal masks; procfs serves
//! only the limits. `/proc/<pid>/status` is not used: `procfs_dostatus`
//! (`sys/vfs/procfs/procfs_status.c`) writes the session leader's pid as the session,
//! 0 once the leader has exited, where `getsid(2)` and `kp_sid` give `s_sid`.
//!
//! `rlimit` is one `name cur max` line per resource (`procfs_dorlimit` in
//! `sys/vfs/procfs/procfs_rlimit.c`), `-1` meaning infinity, names from `rlimit_ident`
//! in `sys/resource.h`.
//!
//! `kinfo_proc` layout: DragonFly `sys/sys/kinfo.h`, as the libc crate defines it for
//! x86_64-unknown-dragonfly (992 bytes); `sys.rs` asserts every offset on DragonFly,
//! and the tests pin them to the header's literal offsets.

use std::io;

use psx_core::{oneshot, Error, Pid, RLimit, Resource, Result, SigSet, SignalMasks};

/// Byte offsets in `struct kinfo_proc` (x86_64).
pub mod layout {
    /// `sizeof(struct kinfo_proc)`.
    pub const SIZE: usize = 992;
    /// `int kp_flags`: `p_flags`.
    pub const KP_FLAGS: usize = 8;
    /// `enum procstat kp_stat`: `p_stat`.
    pub const KP_STAT: usize = 12;
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
    /// `NGROUPS`: the size of `kp_groups` and of the kernel's own `cr_groups`.
    pub const NGROUPS: usize = 16;
}

/// `P_POSTEXIT` in `p_flags` (`sys/sys/proc.h`): set by `exit1` before the process
/// becomes a zombie; procfs refuses the process from then on.
pub const P_POSTEXIT: i32 = 0x40;
/// `SZOMB` in `enum procstat` (`sys/sys/proc.h`).
pub const SZOMB: i32 = 4;

/// `ENOENT` and `EINVAL` (`sys/sys/errno.h`): what procfs answers for a process it no
/// longer serves.
pub(crate) const ENOENT: i32 = 2;
pub(crate) const EINVAL: i32 = 22;

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
    /// A line of `/proc/<pid>/rlimit` is not `name cur max` (0: no line at all).
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
            DecodeError::Rlimit(0) => f.write_str("/proc rlimit has no limits"),
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

fn invalid_data(pid: Pid, err: DecodeError) -> Error {
    Error::Os {
        pid,
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    }
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
    /// `kp_sid`: the session's `s_sid`, as `getsid(2)` gives it.
    pub sid: i32,
    /// `kp_groups[..kp_ngroups]`: `cr_groups`, the effective gid first. Never
    /// truncated: `sys_setgroups` (`sys/kern/kern_prot.c`) refuses more than `NGROUPS`.
    pub groups: Vec<u32>,
    /// `kp_siglist`, the first thread's `kl_sigmask`, `kp_sigignore`, `kp_sigcatch`.
    pub sigmasks: SignalMasks,
    /// The process is exiting: `P_POSTEXIT` in `kp_flags`, or `kp_stat` is `SZOMB`.
    pub exiting: bool,
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
    let flags = u32_at(buf, KP_FLAGS) as i32;
    let stat = u32_at(buf, KP_STAT) as i32;
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
        exiting: flags & P_POSTEXIT != 0 || stat == SZOMB,
    })
}

/// Decodes the reply to `sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`.
///
/// `sysctl_kern_proc` (`sys/kern/kern_proc.c`) looks the pid up with `pfind`, which
/// skips zombies (`SZOMB`), and writes nothing when it finds none or when the process
/// is in another jail (`PRISON_CHECK`): an empty reply is [`Error::NoSuchProcess`],
/// for a zombie too. It never fails with `ESRCH` or `EPERM`.
pub fn kinfo_reply(pid: Pid, reply: &[u8]) -> Result<Kinfo> {
    if reply.is_empty() {
        return Err(Error::NoSuchProcess { pid });
    }
    kinfo(reply).map_err(|e| invalid_data(pid, e))
}

/// What the backend asks DragonFly's kernel. `sys.rs` makes the real calls; the
/// functions below make every decision, so the tests can run them against a fake.
pub trait Kernel {
    /// `kinfo_proc` for `pid` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`),
    /// through [`kinfo_reply`].
    fn kinfo(&self, pid: Pid) -> Result<Kinfo>;
    /// The contents of `/proc/<pid>/<name>`, or the error its open or read gave.
    fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>>;
    /// Whether procfs is mounted at `/proc`.
    fn procfs_mounted(&self) -> bool;
}

/// `pick` applied to `pid`'s `kinfo_proc`: the oneshot's, if one is active.
fn with_kinfo<K: Kernel, R>(kernel: &K, pid: Pid, pick: impl Fn(&Kinfo) -> R) -> Result<R> {
    match oneshot::cached(pid, || kernel.kinfo(pid), |k| Ok(pick(k))) {
        Some(result) => result,
        None => kernel.kinfo(pid).map(|k| pick(&k)),
    }
}

/// Whether `kinfo_proc` still shows `pid` (an exiting process too; a zombie, which
/// `pfind` skips, does not).
pub fn is_running<K: Kernel>(kernel: &K, pid: Pid) -> Result<bool> {
    match kernel.kinfo(pid) {
        Ok(_) => Ok(true),
        Err(Error::NoSuchProcess { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `kp_groups[..kp_ngroups]`: the effective gid first, then the supplementary groups.
pub fn groups<K: Kernel>(kernel: &K, pid: Pid) -> Result<Vec<u32>> {
    with_kinfo(kernel, pid, |k| k.groups.clone())
}

/// `kp_pgid`.
pub fn pgid<K: Kernel>(kernel: &K, pid: Pid) -> Result<Pid> {
    with_kinfo(kernel, pid, |k| Pid::from(k.pgid))
}

/// `kp_sid`: `s_sid`, which stays the session's id after its leader has exited.
pub fn sid<K: Kernel>(kernel: &K, pid: Pid) -> Result<Pid> {
    with_kinfo(kernel, pid, |k| Pid::from(k.sid))
}

/// Pending, blocked, ignored and caught, from `kinfo_proc`.
pub fn sigmasks<K: Kernel>(kernel: &K, pid: Pid) -> Result<SignalMasks> {
    with_kinfo(kernel, pid, |k| k.sigmasks)
}

/// `pid`'s limits for `resource`, from `/proc/<pid>/rlimit` (the oneshot's, if one is
/// active: one read gives every resource).
pub fn get_rlimit<K: Kernel>(kernel: &K, pid: Pid, resource: Resource) -> Result<RLimit> {
    resource_number(resource).ok_or_else(Error::invalid_resource)?;
    let pick = |all: &Vec<(Resource, RLimit)>| {
        all.iter()
            .find(|(r, _)| *r == resource)
            .map(|(_, l)| *l)
            .ok_or_else(Error::invalid_resource)
    };
    match oneshot::cached(pid, || read_rlimits(kernel, pid), pick) {
        Some(result) => result,
        None => pick(&read_rlimits(kernel, pid)?),
    }
}

/// Every resource's limits, from `/proc/<pid>/rlimit`.
fn read_rlimits<K: Kernel>(kernel: &K, pid: Pid) -> Result<Vec<(Resource, RLimit)>> {
    match kernel.read_proc(pid, "rlimit") {
        Ok(text) => rlimits(&text).map_err(|e| invalid_data(pid, e)),
        // Nothing else gives another process's limits on DragonFly (kinfo_proc has
        // none): without procfs this system cannot answer, whatever the process.
        Err(e) if e.raw_os_error() == Some(ENOENT) && !kernel.procfs_mounted() => {
            Err(Error::Unsupported {
                what: "resource limits without procfs mounted at /proc",
            })
        }
        Err(e) if matches!(e.raw_os_error(), Some(ENOENT | EINVAL)) => {
            Err(procfs_refused(kernel, pid, Error::from_io(pid, e)))
        }
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

/// What a procfs refusal means. `procfs_open` (ENOENT) and `procfs_rw` (EINVAL, when
/// the process exits between open and read), in `sys/vfs/procfs/`, both give up when
/// `pfs_pfind` finds no process: `pfind` skips zombies, and `pfs_pfind` also drops a
/// process whose `exit1` has set `P_POSTEXIT`. A fresh `kinfo_proc` (never the
/// oneshot's, which may predate the exit) tells these apart: no reply is
/// [`Error::NoSuchProcess`] (gone, or a zombie), an exiting process
/// [`Error::Zombie`]. If it shows a live process, procfs's own error stands.
fn procfs_refused<K: Kernel>(kernel: &K, pid: Pid, procfs_error: Error) -> Error {
    match kernel.kinfo(pid) {
        Err(Error::NoSuchProcess { .. }) => Error::NoSuchProcess { pid },
        Ok(k) if k.exiting => Error::Zombie { pid },
        _ => procfs_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use psx_core::{Limit, OneshotGuard};
    use std::cell::{Cell, RefCell};

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

    /// One `struct kinfo_proc` as DragonFly's `sys/sys/kinfo.h` lays it out on x86_64,
    /// 992 bytes, written at the header's offsets as literals (worked out from the
    /// member types: `uintptr_t`, `long`, `size_t` and `segsz_t` 8 bytes; `sigset_t`
    /// four `unsigned int`s; `struct timeval` 16 bytes; `struct rusage` 144 bytes;
    /// `MAXLOGNAME` 33 rounded up to 40), never with the decoder's `layout` constants.
    /// The embedded `struct kinfo_lwp kp_lwp` (312 bytes) starts at 664.
    #[derive(Clone)]
    struct KinfoBytes {
        flags: i32,
        stat: i32,
        pid: i32,
        pgid: i32,
        sid: i32,
        ngroups: i16,
        groups: Vec<u32>,
        siglist: [u32; 4],
        sigignore: [u32; 4],
        sigcatch: [u32; 4],
        lwp_sigmask: [u32; 4],
    }

    /// `SACTIVE` in `enum procstat` (`sys/sys/proc.h`).
    const SACTIVE: i32 = 2;

    impl KinfoBytes {
        fn live(pid: i32) -> Self {
            KinfoBytes {
                flags: 0x4000, // P_EXEC
                stat: SACTIVE,
                pid,
                pgid: pid - 5,
                sid: pid - 15,
                ngroups: 2,
                groups: vec![0, 5],
                siglist: [1 << 29, 0, 0, 0],
                sigignore: [1 << 12, 0, 0, 0],
                sigcatch: [0, 0, 0, 1 << 31],
                lwp_sigmask: [1 << 1, 0, 0, 0],
            }
        }

        fn bytes(&self) -> Vec<u8> {
            let mut buf = vec![0u8; 992];
            let mut put = |at: usize, b: &[u8]| buf[at..at + b.len()].copy_from_slice(b);
            let set = |w: [u32; 4]| -> Vec<u8> { w.iter().flat_map(|x| x.to_ne_bytes()).collect() };
            put(0, &0xffff_8000_dead_0000u64.to_ne_bytes()); // kp_paddr
            put(8, &self.flags.to_ne_bytes()); // int kp_flags
            put(12, &self.stat.to_ne_bytes()); // enum procstat kp_stat
            put(16, &7i32.to_ne_bytes()); // kp_lock
            put(32, &0xffff_8000_beef_0000u64.to_ne_bytes()); // uintptr_t kp_fd
            put(40, &set(self.siglist)); // sigset_t kp_siglist
            put(56, &set(self.sigignore)); // sigset_t kp_sigignore
            put(72, &set(self.sigcatch)); // sigset_t kp_sigcatch
            put(88, &0x5a5a_5a5ai32.to_ne_bytes()); // kp_sigflag
            put(112, b"fixture\0"); // char kp_comm[MAXCOMLEN + 1]
            put(132, &4242u32.to_ne_bytes()); // uid_t kp_uid
            put(136, &self.ngroups.to_ne_bytes()); // short kp_ngroups
            for (i, g) in self.groups.iter().enumerate() {
                put(140 + 4 * i, &g.to_ne_bytes()); // gid_t kp_groups[NGROUPS = 16]
            }
            put(204, &4343u32.to_ne_bytes()); // uid_t kp_ruid
            put(212, &4444u32.to_ne_bytes()); // gid_t kp_rgid
            put(220, &self.pid.to_ne_bytes()); // pid_t kp_pid
            put(224, &9999i32.to_ne_bytes()); // pid_t kp_ppid
            put(228, &self.pgid.to_ne_bytes()); // pid_t kp_pgid
            put(232, &3i32.to_ne_bytes()); // int kp_jobc
            put(236, &self.sid.to_ne_bytes()); // pid_t kp_sid
            put(240, b"login\0"); // char kp_login[40]
            put(284, &8888i32.to_ne_bytes()); // pid_t kp_tpgid
            put(288, &7777i32.to_ne_bytes()); // pid_t kp_tsid
            put(664, &self.pid.to_ne_bytes()); // kp_lwp.kl_pid
            put(668, &100_001i32.to_ne_bytes()); // kp_lwp.kl_tid
            put(664 + 240, &set([!0, !0, 0, 0])); // kp_lwp.kl_siglist (thread pending)
            put(664 + 256, &set(self.lwp_sigmask)); // kp_lwp.kl_sigmask
            put(976, &0xffff_8000_cafe_0000u64.to_ne_bytes()); // uintptr_t kp_ktaddr
            buf
        }
    }

    fn bits(set: Option<SigSet>) -> Vec<i32> {
        set.unwrap().iter().collect()
    }

    #[test]
    fn kinfo_fields_sit_at_the_header_offsets() {
        let k = kinfo(&KinfoBytes::live(1234).bytes()).unwrap();
        assert_eq!((k.pid, k.pgid, k.sid), (1234, 1229, 1219));
        assert_eq!(k.groups, vec![0, 5]);
        assert_eq!(bits(k.sigmasks.pending), vec![30]);
        assert_eq!(bits(k.sigmasks.blocked), vec![2]);
        assert_eq!(bits(k.sigmasks.ignored), vec![13]);
        assert_eq!(bits(k.sigmasks.caught), vec![128]);
        assert_eq!(k.sigmasks.process_pending, None);
        assert!(!k.exiting);
        let sixteen: Vec<u32> = (1..=16).collect();
        let full = KinfoBytes {
            ngroups: 16,
            groups: sixteen.clone(),
            ..KinfoBytes::live(9)
        };
        assert_eq!(kinfo(&full.bytes()).unwrap().groups, sixteen);
    }

    #[test]
    fn exiting_is_p_postexit_or_szomb() {
        // exit1 (sys/kern/kern_exit.c) sets P_WEXIT, then P_POSTEXIT, then moves the
        // process to SZOMB; P_WEXIT alone is also set for a while by a threaded exec.
        let with = |flags, stat| {
            kinfo(
                &KinfoBytes {
                    flags,
                    stat,
                    ..KinfoBytes::live(40)
                }
                .bytes(),
            )
            .unwrap()
            .exiting
        };
        assert!(with(0x40, SACTIVE)); // P_POSTEXIT
        assert!(with(0x2000 | 0x40, SACTIVE)); // P_WEXIT | P_POSTEXIT
        assert!(with(0, 4)); // SZOMB
        assert!(!with(0x2000, SACTIVE)); // P_WEXIT only
        assert!(!with(0x4000, 3)); // P_EXEC, SSTOP
    }

    #[test]
    fn bad_kinfo_replies_are_reported() {
        let over = KinfoBytes {
            ngroups: 17,
            ..KinfoBytes::live(9)
        };
        assert_eq!(kinfo(&over.bytes()), Err(DecodeError::BadGroupCount(17)));
        assert_eq!(kinfo(&[0; 10]), Err(DecodeError::Truncated(10)));
        // A kernel whose kinfo_proc is larger: the length says so, nothing is misread.
        let mut larger = KinfoBytes::live(9).bytes();
        larger.extend_from_slice(&[0; 64]);
        let err = kinfo(&larger).unwrap_err();
        assert_eq!(err, DecodeError::Truncated(992 + 64));
        assert!(err.to_string().contains("992"), "{err}");
    }

    #[test]
    fn kinfo_replies() {
        let pid = Pid::from(77);
        // sysctl_kern_proc writes nothing when pfind finds no process.
        assert!(matches!(kinfo_reply(pid, &[]), Err(Error::NoSuchProcess { pid: p }) if p == pid));
        assert_eq!(
            kinfo_reply(pid, &KinfoBytes::live(77).bytes()).unwrap().pid,
            77
        );
        match kinfo_reply(pid, &[1; 100]) {
            Err(Error::Os { source, .. }) => {
                assert_eq!(source.kind(), io::ErrorKind::InvalidData)
            }
            other => panic!("{other:?}"),
        }
    }

    /// A kernel answering as DragonFly's does: `sysctl_kern_proc` (no reply once `pfind`
    /// finds nothing), `procfs_open`/`procfs_rw` (an errno for a process they refuse),
    /// and a `/proc/<pid>/status` that must never be read (its session field is the
    /// leader's pid, here 0 as once the leader has exited).
    struct FakeKernel {
        kinfo: RefCell<Option<KinfoBytes>>,
        rlimit: RefCell<Result<Vec<u8>, i32>>,
        mounted: bool,
        kinfo_reads: Cell<usize>,
        proc_reads: RefCell<Vec<String>>,
    }

    impl FakeKernel {
        fn new(kinfo: Option<KinfoBytes>, rlimit: Result<&[u8], i32>) -> Self {
            FakeKernel {
                kinfo: RefCell::new(kinfo),
                rlimit: RefCell::new(rlimit.map(<[u8]>::to_vec)),
                mounted: true,
                kinfo_reads: Cell::new(0),
                proc_reads: RefCell::new(Vec::new()),
            }
        }

        fn live(pid: i32) -> Self {
            Self::new(Some(KinfoBytes::live(pid)), Ok(RLIMIT))
        }
    }

    impl Kernel for FakeKernel {
        fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
            self.kinfo_reads.set(self.kinfo_reads.get() + 1);
            let reply = self.kinfo.borrow().as_ref().map(KinfoBytes::bytes);
            kinfo_reply(pid, reply.as_deref().unwrap_or_default())
        }

        fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>> {
            self.proc_reads.borrow_mut().push(name.to_owned());
            match name {
                "rlimit" => self
                    .rlimit
                    .borrow()
                    .clone()
                    .map_err(io::Error::from_raw_os_error),
                "status" => Ok(format!(
                    "sh {p} 1 {p} 0 -1,-1 noflags 1,0 0,0 0,0 nochan 0 0 0,0 -\n",
                    p = pid.as_raw()
                )
                .into_bytes()),
                _ => Err(io::Error::from_raw_os_error(ENOENT)),
            }
        }

        fn procfs_mounted(&self) -> bool {
            self.mounted
        }
    }

    #[test]
    fn groups_pgid_and_sid_come_from_kinfo_not_procfs() {
        let kernel = FakeKernel {
            mounted: false,
            ..FakeKernel::live(1234)
        };
        let pid = Pid::from(1234);
        assert_eq!(sid(&kernel, pid).unwrap(), Pid::from(1219));
        assert_eq!(pgid(&kernel, pid).unwrap(), Pid::from(1229));
        assert_eq!(groups(&kernel, pid).unwrap(), vec![0, 5]);
        assert_eq!(bits(sigmasks(&kernel, pid).unwrap().blocked), vec![2]);
        assert!(kernel.proc_reads.borrow().is_empty());
        // Outside a oneshot every call reads the kernel.
        assert_eq!(kernel.kinfo_reads.get(), 4);
    }

    #[test]
    fn one_kinfo_serves_a_oneshot() {
        let kernel = FakeKernel::live(2345);
        let pid = Pid::from(2345);
        let _oneshot = OneshotGuard::enter(pid);
        sigmasks(&kernel, pid).unwrap();
        groups(&kernel, pid).unwrap();
        pgid(&kernel, pid).unwrap();
        assert_eq!(sid(&kernel, pid).unwrap(), Pid::from(2330));
        for r in [Resource::Nofile, Resource::Stack, Resource::Cpu] {
            get_rlimit(&kernel, pid, r).unwrap();
        }
        assert_eq!(kernel.kinfo_reads.get(), 1);
        assert_eq!(*kernel.proc_reads.borrow(), ["rlimit"]);
    }

    #[test]
    fn a_vanished_process_is_no_such_process() {
        let pid = Pid::from(3456);
        // Gone (or a zombie, which pfind skips): no kinfo, procfs_open says ENOENT.
        let kernel = FakeKernel::new(None, Err(ENOENT));
        for result in [
            groups(&kernel, pid).map(drop),
            pgid(&kernel, pid).map(drop),
            sid(&kernel, pid).map(drop),
            sigmasks(&kernel, pid).map(drop),
            get_rlimit(&kernel, pid, Resource::Nofile).map(drop),
        ] {
            assert!(
                matches!(result, Err(Error::NoSuchProcess { pid: p }) if p == pid),
                "{result:?}"
            );
        }
        assert!(!is_running(&kernel, pid).unwrap());
    }

    #[test]
    fn procfs_einval_is_classified_by_kinfo() {
        let pid = Pid::from(4567);
        // procfs_rw: the process exited between open and read (pfs_pfind found none).
        let gone = FakeKernel::new(None, Err(EINVAL));
        let got = get_rlimit(&gone, pid, Resource::Nofile);
        assert!(matches!(got, Err(Error::NoSuchProcess { .. })), "{got:?}");
        // Still exiting (P_POSTEXIT), so kinfo shows it: a zombie.
        let exiting = KinfoBytes {
            flags: 0x2000 | 0x40,
            ..KinfoBytes::live(4567)
        };
        let kernel = FakeKernel::new(Some(exiting.clone()), Err(EINVAL));
        let got = get_rlimit(&kernel, pid, Resource::Nofile);
        assert!(
            matches!(got, Err(Error::Zombie { pid: p }) if p == pid),
            "{got:?}"
        );
        // procfs_open refuses it too (ENOENT): the same answer.
        let kernel = FakeKernel::new(Some(exiting), Err(ENOENT));
        let got = get_rlimit(&kernel, pid, Resource::Nofile);
        assert!(matches!(got, Err(Error::Zombie { .. })), "{got:?}");
        assert!(is_running(&kernel, pid).unwrap());
        // kinfo shows a live process: procfs's own error stands.
        let kernel = FakeKernel::new(Some(KinfoBytes::live(4567)), Err(EINVAL));
        match get_rlimit(&kernel, pid, Resource::Nofile) {
            Err(Error::Os { source, .. }) => assert_eq!(source.raw_os_error(), Some(EINVAL)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn classification_reads_a_fresh_kinfo_inside_a_oneshot() {
        let pid = Pid::from(5678);
        let kernel = FakeKernel::new(Some(KinfoBytes::live(5678)), Err(EINVAL));
        let _oneshot = OneshotGuard::enter(pid);
        sigmasks(&kernel, pid).unwrap(); // caches the live kinfo
        kernel.kinfo.borrow_mut().as_mut().unwrap().flags = 0x40; // then exit1 runs
        let got = get_rlimit(&kernel, pid, Resource::Core);
        assert!(matches!(got, Err(Error::Zombie { .. })), "{got:?}");
    }

    #[test]
    fn other_procfs_errors() {
        let pid = Pid::from(6789);
        // Without procfs: unsupported, whatever the process (kinfo is not asked).
        let kernel = FakeKernel {
            mounted: false,
            ..FakeKernel::new(None, Err(ENOENT))
        };
        let got = get_rlimit(&kernel, pid, Resource::Nofile);
        assert!(matches!(got, Err(Error::Unsupported { .. })), "{got:?}");
        assert_eq!(kernel.kinfo_reads.get(), 0);
        let kernel = FakeKernel::new(Some(KinfoBytes::live(6789)), Err(13)); // EACCES
        let got = get_rlimit(&kernel, pid, Resource::Nofile);
        assert!(matches!(got, Err(Error::AccessDenied { .. })), "{got:?}");
        let kernel = FakeKernel::new(Some(KinfoBytes::live(6789)), Err(5)); // EIO
        let got = get_rlimit(&kernel, pid, Resource::Nofile);
        assert!(matches!(got, Err(Error::Os { .. })), "{got:?}");
        assert_eq!(kernel.kinfo_reads.get(), 0);
        // A resource DragonFly lacks, and a file that is not procfs's format.
        let kernel = FakeKernel::new(Some(KinfoBytes::live(6789)), Ok(b"garbage"));
        let got = get_rlimit(&kernel, pid, Resource::Nice);
        assert!(matches!(got, Err(Error::InvalidArgument(_))), "{got:?}");
        let got = get_rlimit(&kernel, pid, Resource::Nofile);
        assert!(matches!(got, Err(Error::Os { .. })), "{got:?}");
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            let _ = rlimits(&bytes);
            let _ = kinfo(&bytes);
            let _ = kinfo_reply(Pid::from(1), &bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn kinfo_round_trips(
            gids in proptest::collection::vec(any::<u32>(), 0..=16),
            masks in any::<[[u32; 4]; 4]>(),
            ids in any::<(i32, i32, i32)>(),
        ) {
            let fixture = KinfoBytes {
                pid: ids.0,
                pgid: ids.1,
                sid: ids.2,
                ngroups: gids.len() as i16,
                groups: gids.clone(),
                siglist: masks[0],
                lwp_sigmask: masks[1],
                sigignore: masks[2],
                sigcatch: masks[3],
                ..KinfoBytes::live(1)
            };
            let k = kinfo(&fixture.bytes()).unwrap();
            prop_assert_eq!(k.groups, gids);
            prop_assert_eq!((k.pid, k.pgid, k.sid), ids);
            let m = k.sigmasks;
            for (got, want) in [m.pending, m.blocked, m.ignored, m.caught].into_iter().zip(masks) {
                prop_assert_eq!(got, Some(SigSet::from_words(&want)));
            }
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
