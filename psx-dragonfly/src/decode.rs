//! Pure decoding and decisions for DragonFly BSD, tested on every host: `struct
//! kinfo_proc` bytes (one, or the whole process table), the text of
//! `/proc/<pid>/rlimit`, and the backend itself, [`Over`] a [`Kernel`] (the real calls
//! in `sys.rs`; a fake one in the tests).
//!
//! `kinfo_proc` serves the name, groups, process group, session, signal masks and the
//! start time that pins a process; procfs serves only the limits. `/proc/<pid>/status`
//! is not used: `procfs_dostatus` (`sys/vfs/procfs/procfs_status.c`) writes the session
//! leader's pid as the session, 0 once the leader has exited, where `getsid(2)` and
//! `kp_sid` give `s_sid`.
//!
//! `rlimit` is one `name cur max` line per resource (`procfs_dorlimit` in
//! `sys/vfs/procfs/procfs_rlimit.c`), `-1` meaning infinity, names from `rlimit_ident`
//! in `sys/resource.h`.
//!
//! `kinfo_proc` layout: DragonFly `sys/sys/kinfo.h`, as the libc crate defines it for
//! x86_64-unknown-dragonfly (992 bytes); `sys.rs` asserts every offset on DragonFly,
//! and the tests pin them to the header's literal offsets.

use std::convert::Infallible;
use std::io;
use std::marker::PhantomData;

use std::collections::BTreeMap;

use psx_core::bytes::{array, c_string_at, i32_at, i64_at, u32_at, u64_at};
use psx_core::{
    oneshot, scan_seeded, Attr, Backend, Error, NprocShare, OpenFiles, Pid, ProcInfo, RLimit,
    Resource, Result, SigSet, SignalMasks, StartTime, Target,
};

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
    /// `struct timeval kp_start`: `tv_sec` (`time_t`), then `tv_usec` (`long`) 8 bytes on.
    pub const KP_START: usize = 96;
    /// `char kp_comm[MAXCOMLEN + 1]`.
    pub const KP_COMM: usize = 112;
    /// `MAXCOMLEN + 1`: the size of `kp_comm`.
    pub const COMM_LEN: usize = 17;
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
    /// `uid_t kp_ruid`: the real user, whose process count `RLIMIT_NPROC` caps.
    pub const KP_RUID: usize = 204;
    /// `int kp_nthreads`: `p_nthreads`.
    pub const KP_NTHREADS: usize = 296;
    /// `size_t kp_vm_map_size`: the map's size in bytes.
    pub const KP_VM_MAP_SIZE: usize = 312;
    /// `segsz_t kp_vm_rssize`: resident pages.
    pub const KP_VM_RSSIZE: usize = 320;
    /// `segsz_t kp_vm_dsize`: data (`brk`) pages.
    pub const KP_VM_DSIZE: usize = 344;
    /// `segsz_t kp_vm_ssize`: main stack pages.
    pub const KP_VM_SSIZE: usize = 352;
    /// `kp_lwp.kl_uticks` (`uint64_t`, microseconds).
    pub const KL_UTICKS: usize = 704;
    /// `kp_lwp.kl_sticks` (`uint64_t`, microseconds).
    pub const KL_STICKS: usize = 712;
}

/// Byte offsets in `struct kinfo_file` (x86_64, `sys/sys/kinfo.h`): one open
/// descriptor of the `kern.file` table.
pub mod file_layout {
    /// `sizeof(struct kinfo_file)`.
    pub const SIZE: usize = 72;
    /// `size_t f_size`, which `kcore_make_file` sets to the struct's size.
    pub const F_SIZE: usize = 0;
    /// `pid_t f_pid`: the owning process.
    pub const F_PID: usize = 8;
    /// `int f_fd`: the descriptor number.
    pub const F_FD: usize = 16;
}

/// `P_POSTEXIT` in `p_flags` (`sys/sys/proc.h`): set by `exit1` before the process
/// becomes a zombie; procfs refuses the process from then on.
pub const P_POSTEXIT: i32 = 0x40;
/// `SIDL` in `enum procstat` (`sys/sys/proc.h`): a child `fork1` has not finished.
pub const SIDL: i32 = 1;
/// `SZOMB` in `enum procstat` (`sys/sys/proc.h`).
pub const SZOMB: i32 = 4;

/// `ENOENT`, `EINVAL` and `ENOMEM` (`sys/sys/errno.h`): what procfs answers for a
/// process it no longer serves, and what `sysctl` answers when the buffer is too small.
pub(crate) const ENOENT: i32 = 2;
pub(crate) const EINVAL: i32 = 22;
pub(crate) const ENOMEM: i32 = 12;

/// `CTL_KERN`, `KERN_PROC`, `KERN_PROC_ALL`, `KERN_PROC_PID` (`sys/sys/sysctl.h`).
pub(crate) const CTL_KERN: i32 = 1;
pub(crate) const KERN_PROC: i32 = 14;
pub(crate) const KERN_PROC_ALL: i32 = 0;
pub(crate) const KERN_PROC_PID: i32 = 1;
/// `KERN_PROC_FLAG_LWP` (`sys/sys/sysctl.h`): one record per thread.
pub(crate) const KERN_PROC_FLAG_LWP: i32 = 0x10;
/// `KERN_FILE` (`sys/sys/sysctl.h`): `kern.file`, every open descriptor.
pub(crate) const KERN_FILE: i32 = 15;

/// `kern.proc.pid.<pid>`.
pub fn kinfo_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
}

/// `kern.proc.all`: three names and no more. `sysctl_kern_proc`
/// (`sys/kern/kern_proc.c`) answers `EINVAL` when `KERN_PROC_ALL` comes with any
/// argument, so unlike NetBSD's and OpenBSD's this MIB carries no element count. Without
/// `KERN_PROC_FLAG_LWP` (`sysctl_out_proc` stops after the first thread) it gives one
/// record per process.
pub fn table_mib() -> [i32; 3] {
    [CTL_KERN, KERN_PROC, KERN_PROC_ALL]
}

/// `kern.proc.all_lwp`: the whole table, one record per thread (`sysctl_out_proc`
/// writes a record for each of a process's threads when `KERN_PROC_FLAG_LWP` is set),
/// a zombie (no threads left) still once.
pub fn table_lwp_mib() -> [i32; 3] {
    [CTL_KERN, KERN_PROC, KERN_PROC_ALL | KERN_PROC_FLAG_LWP]
}

/// `kern.proc.pid_lwp.<pid>`: one record per thread of `pid`.
pub fn threads_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PID | KERN_PROC_FLAG_LWP, pid]
}

/// `kern.file`: every open descriptor of every process of the caller's jail.
pub fn files_mib() -> [i32; 2] {
    [CTL_KERN, KERN_FILE]
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
    /// A process table whose length is not a whole number of `kinfo_proc`s.
    Table(usize),
    /// A `kern.file` reply that is not a whole number of `kinfo_file`s, or whose
    /// record says another size.
    Files(usize),
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
            DecodeError::Table(len) => write!(
                f,
                "process table of {len} bytes is not a whole number of {}-byte kinfo_procs: a different DragonFly ABI",
                layout::SIZE
            ),
            DecodeError::BadGroupCount(n) => write!(f, "kinfo_proc claims {n} groups"),
            DecodeError::Files(len) => write!(
                f,
                "kern.file reply of {len} bytes is not a whole number of {}-byte kinfo_files: a different DragonFly ABI",
                file_layout::SIZE
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

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

/// What psx takes from one `kinfo_proc` (`fill_kinfo_proc` in `sys/kern/kern_kinfo.c`):
/// the record a oneshot keeps, and a scan seeds each process's oneshot with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `kp_pid`.
    pub pid: i32,
    /// `kp_comm`: `p_comm`, the name of the last program executed (at most 16 bytes).
    pub comm: String,
    /// `kp_start`: `p_start`, which `fork1` (`sys/kern/kern_fork.c`) stores once with
    /// `microtime` and nothing changes afterwards, a zombie keeping it: the pin.
    pub start: StartTime,
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
    /// `kp_stat` is `SZOMB`: exited, not yet reaped.
    pub zombie: bool,
    /// `kp_stat` is `SIDL`: `fork1` has not finished with it (nor set its start).
    pub embryonic: bool,
    /// `kp_ruid`: `cr_ruid`, the user whose process count `fork1` charges
    /// (`chgproccnt` on `cr_ruidinfo`) and `kern_wait` uncharges only when it reaps
    /// the process, so a zombie still counts.
    pub ruid: u32,
    /// `kp_nthreads`: `p_nthreads`.
    pub nthreads: i32,
    /// The memory figures the kernel checks the limits against (see [`Memory`]).
    pub memory: Memory,
    /// `kl_uticks + kl_sticks` (microseconds) summed over the threads this record
    /// covers: [`Kinfo::threads`] of them.
    pub cpu_usec: u64,
    /// How many threads' times `cpu_usec` sums: 1 for a plain record (`sysctl_out_proc`
    /// fills `kp_lwp` from the first thread only), every thread's for a per-thread read
    /// folded by [`kinfo_table`].
    pub threads: u32,
    /// The open descriptors, when a scan read `kern.file` for every process at once.
    pub files: Option<OpenFiles>,
}

/// The memory figures of `kinfo_proc`, as `fill_kinfo_proc` copies them from the
/// `vmspace` (`sys/kern/kern_kinfo.c`): left 0 when the process has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// `kp_vm_map_size`: `vm_map.size`, bytes; `RLIMIT_VMEM` (`as`) is checked
    /// against it (`vm_mmap` and `sys_obreak`).
    pub map_bytes: u64,
    /// `kp_vm_rssize`: `vmspace_resident_count`, pages.
    pub rss_pages: u64,
    /// `kp_vm_dsize`: `vm_dsize`, pages; `sys_obreak` (`sys/vm/vm_unix.c`) refuses to
    /// grow the break past `RLIMIT_DATA` from `ctob(vm_dsize)`.
    pub data_pages: u64,
    /// `kp_vm_ssize`: `vm_ssize`, pages; `vm_map_growstack` (`sys/vm/vm_map.c`)
    /// refuses to grow the main stack past `RLIMIT_STACK` from `ctob(vm_ssize)`.
    pub stack_pages: u64,
}

impl Kinfo {
    /// The CPU seconds the kernel checks `RLIMIT_CPU` against, if this record covers
    /// every thread: `schedcpu_resource` (`sys/kern/kern_synch.c`) sums `td_uticks +
    /// td_sticks` (microseconds) over the live threads and `plimit_testcpulimit`
    /// compares it with `1000000 * rlim_cur`. Time of threads that have exited is not
    /// counted there, so it is not here either.
    pub fn cpu_seconds(&self) -> Option<u64> {
        (i64::from(self.threads) >= i64::from(self.nthreads)).then_some(self.cpu_usec / 1_000_000)
    }
}

impl Memory {
    /// The use of `resource` in bytes, pages counted at `page_size`; `None` for a
    /// resource these figures do not measure.
    pub fn bytes(&self, resource: Resource, page_size: u64) -> Option<u64> {
        let pages = |n: u64| n.saturating_mul(page_size);
        Some(match resource {
            Resource::As => self.map_bytes,
            Resource::Rss => pages(self.rss_pages),
            Resource::Data => pages(self.data_pages),
            Resource::Stack => pages(self.stack_pages),
            _ => return None,
        })
    }
}

/// Decodes one `kinfo_proc`. DragonFly's struct has no size field, so the reply's
/// length is the check: anything but [`layout::SIZE`] bytes is another ABI (or a torn
/// reply), reported, never misread.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    if buf.len() != SIZE {
        return Err(DecodeError::Truncated(buf.len()));
    }
    // Every field lies inside the SIZE bytes just checked.
    let short = || DecodeError::Truncated(buf.len());
    let int = |at| i32_at(buf, at).ok_or_else(short);
    let sigset = |at: usize| -> Result<SigSet, DecodeError> {
        let mut words = [0u32; 4];
        for (i, word) in words.iter_mut().enumerate() {
            *word = u32_at(buf, at + 4 * i).ok_or_else(short)?;
        }
        Ok(SigSet::from_words(&words))
    };
    let ngroups = array(buf, KP_NGROUPS)
        .map(i16::from_ne_bytes)
        .ok_or_else(short)?;
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    let groups = (0..count)
        .map(|i| u32_at(buf, KP_GROUPS + 4 * i).ok_or_else(short))
        .collect::<Result<_, _>>()?;
    let flags = int(KP_FLAGS)?;
    let stat = int(KP_STAT)?;
    let long = |at| u64_at(buf, at).ok_or_else(short);
    // segsz_t is signed; a negative count (never written by the kernel) reads as 0.
    let pages = |at| i64_at(buf, at).ok_or_else(short).map(|n| n.max(0) as u64);
    let start = StartTime {
        sec: i64_at(buf, KP_START).ok_or_else(short)?,
        usec: i64_at(buf, KP_START + 8).ok_or_else(short)?,
    };
    Ok(Kinfo {
        pid: int(KP_PID)?,
        comm: c_string_at(buf, KP_COMM, COMM_LEN).ok_or_else(short)?,
        start,
        pgid: int(KP_PGID)?,
        sid: int(KP_SID)?,
        groups,
        sigmasks: SignalMasks {
            pending: Some(sigset(KP_SIGLIST)?),
            blocked: Some(sigset(KL_SIGMASK)?),
            ignored: Some(sigset(KP_SIGIGNORE)?),
            caught: Some(sigset(KP_SIGCATCH)?),
            process_pending: None,
        },
        exiting: flags & P_POSTEXIT != 0 || stat == SZOMB,
        zombie: stat == SZOMB,
        embryonic: stat == SIDL,
        ruid: u32_at(buf, KP_RUID).ok_or_else(short)?,
        nthreads: int(KP_NTHREADS)?,
        memory: Memory {
            map_bytes: long(KP_VM_MAP_SIZE)?,
            rss_pages: pages(KP_VM_RSSIZE)?,
            data_pages: pages(KP_VM_DSIZE)?,
            stack_pages: pages(KP_VM_SSIZE)?,
        },
        cpu_usec: long(KL_UTICKS)?.saturating_add(long(KL_STICKS)?),
        threads: 1,
        files: None,
    })
}

/// Decodes the reply to `sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`.
///
/// `sysctl_kern_proc` (`sys/kern/kern_proc.c`) looks the pid up with `pfind`, which
/// skips zombies (`SZOMB`), and writes nothing when it finds none or when the process
/// is in another jail (`PRISON_CHECK`): an empty reply is [`Error::NoSuchProcess`],
/// for a zombie too. It never fails with `ESRCH` or `EPERM`: another user's process
/// reads like our own (no `p_trespass` check on this path).
pub fn kinfo_reply(pid: Pid, reply: &[u8]) -> Result<Kinfo> {
    if reply.is_empty() {
        return Err(Error::NoSuchProcess { pid });
    }
    kinfo(reply).map_err(|e| Error::invalid_data(pid, e))
}

/// The answer to the per-pid sysctl, made with a buffer of `room` bytes: the reply's
/// bytes, or its error. `ENOMEM` means the kernel's record did not fit in twice the
/// struct psx knows: another ABI, said so rather than as an OS error.
pub fn kinfo_answer(pid: Pid, answer: io::Result<&[u8]>, room: usize) -> Result<Kinfo> {
    match answer {
        Ok(reply) => kinfo_reply(pid, reply),
        Err(e) if e.raw_os_error() == Some(ENOMEM) => Err(Error::invalid_data(
            pid,
            format!(
                "kernel's kinfo_proc is over {room} bytes, psx was built for {}: a different DragonFly ABI",
                layout::SIZE
            ),
        )),
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

/// Splits the reply to `kern.proc.all` ([`table_mib`]) into one record per process,
/// ascending by pid.
///
/// `sysctl_kern_proc` (`sys/kern/kern_proc.c`) writes every process on `allprocs` but
/// the embryonic (`SIDL`) ones, zombies included, leaving out another jail's
/// (`PRISON_CHECK`) and, when `security.ps_showallprocs` is 0, other users'
/// (`p_trespass`); then, unless `security.ps_showallthreads` is 0 or the caller is
/// jailed, one record per kernel thread, which `fill_kinfo_proc_kthread`
/// (`sys/kern/kern_kinfo.c`) gives `kp_pid` -1. Those are left out, as is pid 0, the
/// swapper (`proc0`), which psx reads as no process; `P_SYSTEM` is no test, as `init`
/// carries it too. The records of one pid (one per thread, from a
/// `KERN_PROC_FLAG_LWP` read) are folded into the first: its fields, with every
/// thread's CPU time added up ([`Kinfo::threads`] counts them).
pub fn kinfo_table(buf: &[u8]) -> Result<Vec<Kinfo>, DecodeError> {
    use layout::*;
    if buf.len() % SIZE != 0 {
        return Err(DecodeError::Table(buf.len()));
    }
    let mut out = Vec::with_capacity(buf.len() / SIZE);
    for record in buf.chunks_exact(SIZE) {
        let pid = i32_at(record, KP_PID).ok_or(DecodeError::Truncated(record.len()))?;
        if pid > 0 {
            out.push(kinfo(record)?);
        }
    }
    // A stable sort: of two records for one pid, the first in the table stays first.
    out.sort_by_key(|k| k.pid);
    let mut folded: Vec<Kinfo> = Vec::with_capacity(out.len());
    for k in out {
        match folded.last_mut() {
            Some(first) if first.pid == k.pid => {
                first.cpu_usec = first.cpu_usec.saturating_add(k.cpu_usec);
                first.threads += 1;
            }
            _ => folded.push(k),
        }
    }
    Ok(folded)
}

/// Decodes the reply to `kern.proc.pid_lwp.<pid>` ([`threads_mib`]): one record per
/// thread of the process, folded into one whose CPU time is every thread's. Empty
/// (`pfind` found no process, or a zombie) is [`Error::NoSuchProcess`].
pub fn threads_reply(pid: Pid, reply: &[u8]) -> Result<Kinfo> {
    kinfo_table(reply)
        .map_err(|e| Error::invalid_data(pid, e))?
        .into_iter()
        .find(|k| Pid::from(k.pid) == pid)
        .ok_or(Error::NoSuchProcess { pid })
}

/// Calls `each(pid, fd)` for every record of a `kern.file` reply ([`files_mib`]),
/// allocating nothing. `sysctl_kern_file_callback` (`sys/kern/kern_descrip.c`) writes
/// one `kinfo_file` per open descriptor of every process of the caller's jail, other
/// users' included (no `p_trespass` check), but none for an embryonic (`SIDL`) or
/// zombie (`SZOMB`) process or one without a descriptor table; `kcore_make_file`
/// (`sys/kern/subr_kcore.c`) sets `f_fd` to the table index and `f_size` to the
/// struct's size, which is checked on every record.
fn each_file(buf: &[u8], mut each: impl FnMut(i32, u64)) -> Result<(), DecodeError> {
    use file_layout::*;
    let bad = || DecodeError::Files(buf.len());
    if buf.len() % SIZE != 0 {
        return Err(bad());
    }
    for record in buf.chunks_exact(SIZE) {
        if u64_at(record, F_SIZE) != Some(SIZE as u64) {
            return Err(bad());
        }
        let pid = i32_at(record, F_PID).ok_or_else(bad)?;
        let fd = i32_at(record, F_FD).ok_or_else(bad)?;
        each(pid, u64::try_from(fd).map_err(|_| bad())?);
    }
    Ok(())
}

fn add_fd(files: &mut OpenFiles, fd: u64) {
    files.count += 1;
    files.highest = Some(files.highest.map_or(fd, |h| h.max(fd)));
}

/// `pid`'s open descriptors in a `kern.file` reply: how many, and the highest number.
/// A pid with no record has none open, or no process: the caller tells which.
pub fn open_files_of(buf: &[u8], pid: i32) -> Result<OpenFiles, DecodeError> {
    let mut files = OpenFiles::default();
    each_file(buf, |p, fd| {
        if p == pid {
            add_fd(&mut files, fd);
        }
    })?;
    Ok(files)
}

/// Every process's open descriptors in a `kern.file` reply, by pid (one entry per
/// process, none per descriptor).
pub fn open_files_by_pid(buf: &[u8]) -> Result<BTreeMap<i32, OpenFiles>, DecodeError> {
    let mut all: BTreeMap<i32, OpenFiles> = BTreeMap::new();
    each_file(buf, |pid, fd| add_fd(all.entry(pid).or_default(), fd))?;
    Ok(all)
}

/// What the backend asks DragonFly's kernel. `sys.rs` makes the real calls; the
/// functions below make every decision, so the tests can run them against a fake.
pub trait Kernel {
    /// `kinfo_proc` for `pid` (`sysctl {CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`),
    /// through [`kinfo_answer`].
    fn kinfo(&self, pid: Pid) -> Result<Kinfo>;
    /// Every process's `kinfo_proc` in one call (`sysctl {CTL_KERN, KERN_PROC,
    /// KERN_PROC_ALL}`, or with `threads` [`table_lwp_mib`], a record per thread),
    /// through [`kinfo_table`].
    fn table(&self, threads: bool) -> Result<Vec<Kinfo>>;
    /// `pid`'s record with every thread's CPU time ([`threads_mib`]), through
    /// [`threads_reply`].
    fn threads(&self, pid: Pid) -> Result<Kinfo>;
    /// The raw `kern.file` table ([`files_mib`]): every open descriptor of the system.
    fn files(&self) -> io::Result<Vec<u8>>;
    /// The size of a page, the unit of `kinfo_proc`'s `kp_vm_*size` counts.
    fn page_size(&self) -> u64;
    /// The contents of `/proc/<pid>/<name>`, or the error its open or read gave.
    fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>>;
    /// Whether procfs is mounted at `/proc`.
    fn procfs_mounted(&self) -> bool;
}

/// `NoSuchProcess` unless `record` is the pinned process (or the target has no pin).
/// `p_start` is stored once, so the comparison is exact.
fn check_pin(target: Target<'_, StartTime>, record: &Kinfo) -> Result<()> {
    match target.pin() {
        Some(pin) if !pin.matches(record.start, 0) => {
            Err(Error::NoSuchProcess { pid: target.pid() })
        }
        _ => Ok(()),
    }
}

/// `pid`'s record in the whole table, where a zombie still shows: with a pin, only
/// the pinned process's.
fn listed<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<Kinfo> {
    let pid = target.pid();
    kernel
        .table(false)?
        .into_iter()
        .find(|k| Pid::from(k.pid) == pid && check_pin(target, k).is_ok())
        .ok_or(Error::NoSuchProcess { pid })
}

/// A fresh record for `target`, never the oneshot's. By pid, the per-pid sysctl's
/// (a zombie, which `pfind` skips, is [`Error::NoSuchProcess`]). Through a handle it
/// must carry the pinned start; when the per-pid sysctl finds nothing, the pinned
/// process may be a zombie, which only the whole table still lists (the one case that
/// costs a table read).
fn fresh<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<Kinfo> {
    match kernel.kinfo(target.pid()) {
        Ok(k) => check_pin(target, &k).map(|()| k),
        Err(Error::NoSuchProcess { .. }) if target.pin().is_some() => listed(kernel, target),
        Err(e) => Err(e),
    }
}

/// `pick` from `target`'s record: the oneshot's (a scan's seed, or the first read's),
/// or a fresh one; through a handle, only if it is the pinned process's.
fn record<K: Kernel, R>(
    kernel: &K,
    target: Target<'_, StartTime>,
    pick: impl Fn(&Kinfo) -> R,
) -> Result<R> {
    oneshot::cached_or_fresh(
        target.pid(),
        || fresh(kernel, target),
        |k| check_pin(target, k).map(|()| pick(k)),
    )
}

/// Pins the process `pid` names now: its start time. A zombie is found in the whole
/// table and pinned too (a handle to it then reads what its record holds); an
/// embryonic process is not yet one (`fork1` sets `p_start` last, and the table skips
/// it).
pub fn pin<K: Kernel>(kernel: &K, pid: Pid) -> Result<StartTime> {
    let k = match kernel.kinfo(pid) {
        Err(Error::NoSuchProcess { .. }) => listed(kernel, Target::new(pid)?)?,
        other => other?,
    };
    if k.embryonic {
        return Err(Error::NoSuchProcess { pid });
    }
    Ok(k.start)
}

/// Whether the target still exists: through a handle, the pinned process, a zombie
/// included (found in the whole table); by pid, whatever `pfind` finds (not a zombie).
pub fn is_running<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<bool> {
    match fresh(kernel, target) {
        Ok(_) => Ok(true),
        Err(Error::NoSuchProcess { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `kp_comm`: the process's name.
pub fn comm<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<String> {
    record(kernel, target, |k| k.comm.clone())
}

/// `kp_groups[..kp_ngroups]`: the effective gid first, then the supplementary groups.
/// A zombie keeps its credentials until `kern_wait` (`sys/kern/kern_exit.c`) reaps it.
pub fn groups<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<Vec<u32>> {
    record(kernel, target, |k| k.groups.clone())
}

/// `kp_pgid`. A zombie stays in its process group until `kern_wait` reaps it
/// (`leavepgrp`).
pub fn pgid<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<Pid> {
    record(kernel, target, |k| Pid::from(k.pgid))
}

/// `kp_sid`: `s_sid`, which stays the session's id after its leader has exited.
pub fn sid<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<Pid> {
    record(kernel, target, |k| Pid::from(k.sid))
}

/// Pending, blocked, ignored and caught, from `kinfo_proc`. A zombie's: `exit1` has
/// emptied its pending sets; its last thread (whose mask `kl_sigmask` is) and its
/// `p_sigacts` stay until it is reaped.
pub fn sigmasks<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<SignalMasks> {
    record(kernel, target, |k| k.sigmasks)
}

/// The target's limits for `resource`, from `/proc/<pid>/rlimit` (the oneshot's, if
/// one is active: one read gives every resource).
///
/// A record the oneshot already holds is checked first, at no cost: through a handle
/// it must be the pinned process's, and a zombie's limits went with it (`exit1` calls
/// `plimit_free`), so procfs is not asked.
pub fn get_rlimit<K: Kernel>(
    kernel: &K,
    target: Target<'_, StartTime>,
    resource: Resource,
) -> Result<RLimit> {
    let pid = target.pid();
    resource_number(resource).ok_or_else(Error::invalid_resource)?;
    if let Some((start, zombie)) = oneshot::peek(pid, |k: &Kinfo| (k.start, k.zombie)) {
        if target.pin().is_some_and(|pin| !pin.matches(start, 0)) {
            return Err(Error::NoSuchProcess { pid });
        }
        if zombie {
            return Err(Error::Zombie { pid });
        }
    }
    let pick = |all: &Vec<(Resource, RLimit)>| {
        all.iter()
            .find(|(r, _)| *r == resource)
            .map(|(_, l)| *l)
            .ok_or_else(Error::invalid_resource)
    };
    oneshot::cached_or_fresh(pid, || read_rlimits(kernel, target), pick)
}

/// Every resource's limits, from `/proc/<pid>/rlimit`, a read by pid. Through a
/// handle, the pid is checked after the read: if it no longer names the pinned process
/// neither the text nor procfs's error is that process's, and the answer is
/// [`Error::NoSuchProcess`] (a pid is only reused once its process is reaped, so a
/// pinned process still there afterwards was there during the read).
fn read_rlimits<K: Kernel>(
    kernel: &K,
    target: Target<'_, StartTime>,
) -> Result<Vec<(Resource, RLimit)>> {
    let pid = target.pid();
    let read = kernel.read_proc(pid, "rlimit");
    let after = match target.pin() {
        Some(_) => {
            let now = fresh(kernel, target)?;
            if now.zombie {
                return Err(Error::Zombie { pid });
            }
            // The oneshot keeps the newest record, so a later read through another
            // handle checks its pin against it.
            oneshot::seed(pid, now.clone());
            Some(now)
        }
        None => None,
    };
    match read {
        Ok(text) => rlimits(&text).map_err(|e| Error::invalid_data(pid, e)),
        // Nothing else gives another process's limits on DragonFly (kinfo_proc has
        // none): without procfs this system cannot answer, whatever the process.
        Err(e) if e.raw_os_error() == Some(ENOENT) && !kernel.procfs_mounted() => {
            Err(Error::Unsupported {
                what: "resource limits without procfs mounted at /proc",
            })
        }
        Err(e) if matches!(e.raw_os_error(), Some(ENOENT | EINVAL)) => {
            let now = after.map_or_else(|| kernel.kinfo(pid), Ok);
            Err(procfs_refused(pid, now, Error::from_io(pid, e)))
        }
        Err(e) => Err(Error::from_io(pid, e)),
    }
}

/// A record whose figures are a running process's: an exiting one (`P_POSTEXIT`,
/// which `exit1` sets on the way to `SZOMB`) or a zombie is [`Error::Zombie`], as for
/// limits: `kern.file` lists no zombie, and the figures are those of a process going
/// away.
fn live(pid: Pid, k: &Kinfo) -> Result<&Kinfo> {
    if k.exiting {
        Err(Error::Zombie { pid })
    } else {
        Ok(k)
    }
}

/// What the target uses of `resource`, in the units of its limit, from its
/// `kinfo_proc` (the oneshot's or a scan's seed, else a fresh one): `as` bytes,
/// `rss`/`data`/`stack` pages times the page size, `cpu` whole seconds. `memlock`
/// is unsupported: `sys_mlock` (`sys/vm/vm_mmap.c`) checks the limit against the
/// pmap's wired page count, which nothing exports for another process. DragonFly
/// has no other limit whose use it measures.
pub fn usage<K: Kernel>(
    kernel: &K,
    target: Target<'_, StartTime>,
    resource: Resource,
) -> Result<u64> {
    let pid = target.pid();
    match resource {
        Resource::As | Resource::Rss | Resource::Data | Resource::Stack => {
            let page = kernel.page_size();
            let bytes = record(kernel, target, |k| {
                live(pid, k).map(|k| k.memory.bytes(resource, page))
            })??;
            bytes.ok_or(Error::Unsupported {
                what: "resource usage",
            })
        }
        Resource::Cpu => cpu_seconds(kernel, target),
        Resource::Memlock => Err(Error::Unsupported {
            what: "locked memory use (the wired page count is not exported)",
        }),
        _ => Err(Error::Unsupported {
            what: "resource usage",
        }),
    }
}

/// CPU seconds ([`Kinfo::cpu_seconds`]). A record covering one thread of several
/// (any per-pid read, or a scan without usage) costs one read of every thread's.
fn cpu_seconds<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<u64> {
    let pid = target.pid();
    if let Some(seconds) = record(kernel, target, |k| live(pid, k).map(Kinfo::cpu_seconds))?? {
        return Ok(seconds);
    }
    let all = match kernel.threads(pid) {
        // pfind skips zombies: a pinned process the whole table still lists is one.
        Err(Error::NoSuchProcess { .. }) if target.pin().is_some() => {
            return Err(match listed(kernel, target) {
                Ok(_) => Error::Zombie { pid },
                Err(e) => e,
            });
        }
        other => other?,
    };
    check_pin(target, &all)?;
    live(pid, &all)?;
    let seconds = all.cpu_usec / 1_000_000;
    // The oneshot keeps the record that covers every thread.
    oneshot::seed(pid, all);
    Ok(seconds)
}

/// The target's open descriptors: a scan's (one `kern.file` read for every process),
/// the oneshot's, or a read of the whole `kern.file` table counted for this pid (no
/// `kern.proc` node gives one process's descriptors: `sys/kern/kern_proc.c` declares
/// none). `kern.file` lists nothing for a pid without a process, so a record read
/// afterwards tells "none open" from "no process", and through a handle ours from a
/// newcomer's.
pub fn open_files<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<OpenFiles> {
    let pid = target.pid();
    if let Some((start, exiting, files)) =
        oneshot::peek(pid, |k: &Kinfo| (k.start, k.exiting, k.files))
    {
        if target.pin().is_some_and(|pin| !pin.matches(start, 0)) {
            return Err(Error::NoSuchProcess { pid });
        }
        if exiting {
            return Err(Error::Zombie { pid });
        }
        if let Some(files) = files {
            return Ok(files);
        }
    }
    oneshot::cached_or_fresh(pid, || read_open_files(kernel, target), |f| Ok(*f))
}

fn read_open_files<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<OpenFiles> {
    let pid = target.pid();
    let table = kernel.files().map_err(|e| Error::from_io(pid, e))?;
    let files = open_files_of(&table, pid.as_raw()).map_err(|e| Error::invalid_data(pid, e))?;
    let now = fresh(kernel, target)?;
    live(pid, &now)?;
    oneshot::seed(pid, now);
    Ok(files)
}

/// `kp_ruid` and 1: what the target adds to its real user's `RLIMIT_NPROC` count. A
/// zombie still counts until reaped; a scan lists it, a read by pid does not find it.
pub fn nproc_share<K: Kernel>(kernel: &K, target: Target<'_, StartTime>) -> Result<NprocShare> {
    record(kernel, target, |k| NprocShare {
        ruid: k.ruid,
        count: 1,
    })
}

/// What a procfs refusal means. `procfs_open` (ENOENT) and `procfs_rw` (EINVAL, when
/// the process exits between open and read), in `sys/vfs/procfs/`, both give up when
/// `pfs_pfind` finds no process: `pfind` skips zombies, and `pfs_pfind` also drops a
/// process whose `exit1` has set `P_POSTEXIT`. A fresh `kinfo_proc` (`now`: never the
/// oneshot's, which may predate the exit) tells these apart: no reply is
/// [`Error::NoSuchProcess`] (gone, or a zombie), an exiting process
/// [`Error::Zombie`]. If it shows a live process, procfs's own error stands.
fn procfs_refused(pid: Pid, now: Result<Kinfo>, procfs_error: Error) -> Error {
    match now {
        Err(Error::NoSuchProcess { .. }) => Error::NoSuchProcess { pid },
        Ok(k) if k.exiting => Error::Zombie { pid },
        _ => procfs_error,
    }
}

/// The DragonFly backend, over the kernel `K`: [`DragonFly`](crate) is this over the
/// real system calls, and the tests run it over a fake. Never constructed: its methods,
/// like every backend's, are associated functions.
#[derive(Debug)]
pub struct Over<K>(PhantomData<K>, Infallible);

impl<K: Kernel + Default> Backend for Over<K> {
    type Pin = StartTime;

    const RLIM_INFINITY: u64 = RLIM_INFINITY;

    fn available(attr: Attr) -> bool {
        !matches!(attr, Attr::Umask)
    }

    fn resource_number(resource: Resource) -> Option<i32> {
        resource_number(resource)
    }

    /// One read of the whole table: every process this caller may see, zombies
    /// included ([`kinfo_table`] says which are left out).
    fn pids() -> Result<Vec<Pid>> {
        let table = K::default().table(false)?;
        Ok(table.into_iter().map(|k| Pid::from(k.pid)).collect())
    }

    /// One read of the whole table seeds each process's oneshot with its own record:
    /// name, groups, process group, session and signal masks cost no further call, and
    /// limits one procfs read per process. A zombie is listed with what its record
    /// holds, its limits `None`. With usage, the table is read a record per thread (so
    /// CPU time covers every thread) and `kern.file` once for every process, after
    /// the table (so a process forked in between is not missed); should that read
    /// fail, the scan fails with it, as each process's own read would.
    fn scan(attrs: &[Attr]) -> Result<Vec<ProcInfo>> {
        let kernel = K::default();
        let usage = attrs.contains(&Attr::Usage);
        let mut table = kernel.table(usage)?;
        if usage {
            let me = Pid::current();
            let buf = kernel.files().map_err(|e| Error::from_io(me, e))?;
            let by_pid = open_files_by_pid(&buf).map_err(|e| Error::invalid_data(me, e))?;
            for k in &mut table {
                k.files = Some(by_pid.get(&k.pid).copied().unwrap_or_default());
            }
        }
        scan_seeded::<Self, Kinfo>(table.into_iter().map(|k| (Pid::from(k.pid), k)), attrs)
    }

    fn pin(pid: Pid) -> Result<StartTime> {
        pin(&K::default(), pid)
    }

    fn is_running(target: Target<'_, StartTime>) -> Result<bool> {
        is_running(&K::default(), target)
    }

    fn comm(target: Target<'_, StartTime>) -> Result<String> {
        comm(&K::default(), target)
    }

    fn groups(target: Target<'_, StartTime>) -> Result<Vec<u32>> {
        groups(&K::default(), target)
    }

    fn pgid(target: Target<'_, StartTime>) -> Result<Pid> {
        pgid(&K::default(), target)
    }

    fn sid(target: Target<'_, StartTime>) -> Result<Pid> {
        sid(&K::default(), target)
    }

    fn sigmasks(target: Target<'_, StartTime>) -> Result<SignalMasks> {
        sigmasks(&K::default(), target)
    }

    fn get_rlimit(target: Target<'_, StartTime>, resource: Resource) -> Result<RLimit> {
        get_rlimit(&K::default(), target, resource)
    }

    fn usage(target: Target<'_, StartTime>, resource: Resource) -> Result<u64> {
        usage(&K::default(), target, resource)
    }

    fn open_files(target: Target<'_, StartTime>) -> Result<OpenFiles> {
        open_files(&K::default(), target)
    }

    fn nproc_share(target: Target<'_, StartTime>) -> Result<NprocShare> {
        nproc_share(&K::default(), target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use psx_core::Pinned;
    use psx_core::{Limit, OneshotGuard};
    use std::cell::{Cell, RefCell};

    /// A bare pid, as the facade passes one.
    fn by_pid(pid: Pid) -> Target<'static, StartTime> {
        Target::new(pid).unwrap()
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
        start: (i64, i64),
        comm: &'static str,
        pid: i32,
        pgid: i32,
        sid: i32,
        ngroups: i16,
        groups: Vec<u32>,
        siglist: [u32; 4],
        sigignore: [u32; 4],
        sigcatch: [u32; 4],
        lwp_sigmask: [u32; 4],
        nthreads: i32,
        /// `kp_vm_map_size` (bytes), `kp_vm_rssize`, `kp_vm_dsize`, `kp_vm_ssize` (pages).
        vm: (u64, i64, i64, i64),
        /// The first thread's `kl_uticks`, `kl_sticks` (microseconds).
        ticks: (u64, u64),
        /// The other threads' ticks: a per-thread read gives a record for each.
        more_threads: Vec<(u64, u64)>,
    }

    /// `SACTIVE` in `enum procstat` (`sys/sys/proc.h`).
    const SACTIVE: i32 = 2;

    impl KinfoBytes {
        fn live(pid: i32) -> Self {
            KinfoBytes {
                flags: 0x4000, // P_EXEC
                stat: SACTIVE,
                start: (1_700_000_000 + i64::from(pid), 250_000),
                comm: "fixture",
                pid,
                pgid: pid - 5,
                sid: pid - 15,
                ngroups: 2,
                groups: vec![0, 5],
                siglist: [1 << 29, 0, 0, 0],
                sigignore: [1 << 12, 0, 0, 0],
                sigcatch: [0, 0, 0, 1 << 31],
                lwp_sigmask: [1 << 1, 0, 0, 0],
                nthreads: 1,
                vm: (0x0123_4000, 300, 40, 8),
                ticks: (2_600_000, 1_000_000),
                more_threads: vec![],
            }
        }

        /// The records a per-thread read gives: this one, then one per further thread.
        fn per_thread(&self) -> Vec<KinfoBytes> {
            let mut out = vec![self.clone()];
            out.extend(self.more_threads.iter().map(|&ticks| KinfoBytes {
                ticks,
                ..self.clone()
            }));
            out
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
            put(96, &self.start.0.to_ne_bytes()); // struct timeval kp_start: time_t tv_sec
            put(104, &self.start.1.to_ne_bytes()); // kp_start: long tv_usec
            put(112, self.comm.as_bytes()); // char kp_comm[MAXCOMLEN + 1], zero-filled after
            put(129, &[0xee, 0xee, 0xee]); // padding before kp_uid: never read
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
            put(296, &self.nthreads.to_ne_bytes()); // int kp_nthreads
            put(300, &(-5i32).to_ne_bytes()); // int kp_nice
            put(312, &self.vm.0.to_ne_bytes()); // size_t kp_vm_map_size
            put(320, &self.vm.1.to_ne_bytes()); // segsz_t kp_vm_rssize
            put(328, &77i64.to_ne_bytes()); // segsz_t kp_vm_swrss
            put(336, &99i64.to_ne_bytes()); // segsz_t kp_vm_tsize
            put(344, &self.vm.2.to_ne_bytes()); // segsz_t kp_vm_dsize
            put(352, &self.vm.3.to_ne_bytes()); // segsz_t kp_vm_ssize
            put(368, &1_000i64.to_ne_bytes()); // kp_ru.ru_utime.tv_sec: never read
            put(704, &self.ticks.0.to_ne_bytes()); // kp_lwp.kl_uticks (664 + 40)
            put(712, &self.ticks.1.to_ne_bytes()); // kp_lwp.kl_sticks (664 + 48)
            put(720, &0xdddd_u64.to_ne_bytes()); // kp_lwp.kl_iticks: not counted
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
        assert_eq!(k.comm, "fixture");
        assert_eq!(
            k.start,
            StartTime {
                sec: 1_700_001_234,
                usec: 250_000
            }
        );
        assert_eq!(k.groups, vec![0, 5]);
        assert_eq!(bits(k.sigmasks.pending), vec![30]);
        assert_eq!(bits(k.sigmasks.blocked), vec![2]);
        assert_eq!(bits(k.sigmasks.ignored), vec![13]);
        assert_eq!(bits(k.sigmasks.caught), vec![128]);
        assert_eq!(k.sigmasks.process_pending, None);
        assert!(!k.exiting && !k.zombie && !k.embryonic);
        let sixteen: Vec<u32> = (1..=16).collect();
        let full = KinfoBytes {
            ngroups: 16,
            groups: sixteen.clone(),
            ..KinfoBytes::live(9)
        };
        assert_eq!(kinfo(&full.bytes()).unwrap().groups, sixteen);
        // MAXCOMLEN (16) bytes fill kp_comm up to its last byte, which stays NUL.
        let long = KinfoBytes {
            comm: "sixteen_chars_ab",
            ..KinfoBytes::live(9)
        };
        assert_eq!(kinfo(&long.bytes()).unwrap().comm, "sixteen_chars_ab");
    }

    #[test]
    fn exiting_is_p_postexit_or_szomb() {
        // exit1 (sys/kern/kern_exit.c) sets P_WEXIT, then P_POSTEXIT, then moves the
        // process to SZOMB; P_WEXIT alone is also set for a while by a threaded exec.
        let with = |flags, stat| {
            let k = kinfo(
                &KinfoBytes {
                    flags,
                    stat,
                    ..KinfoBytes::live(40)
                }
                .bytes(),
            )
            .unwrap();
            (k.exiting, k.zombie, k.embryonic)
        };
        assert_eq!(with(0x40, SACTIVE), (true, false, false)); // P_POSTEXIT
        assert_eq!(with(0x2000 | 0x40, SACTIVE), (true, false, false)); // P_WEXIT | P_POSTEXIT
        assert_eq!(with(0x2000 | 0x40, 4), (true, true, false)); // SZOMB
        assert_eq!(with(0x2000, SACTIVE), (false, false, false)); // P_WEXIT only
        assert_eq!(with(0x4000, 3), (false, false, false)); // P_EXEC, SSTOP
        assert_eq!(with(0, 1), (false, false, true)); // SIDL
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

    #[test]
    fn kinfo_answers() {
        let pid = Pid::from(78);
        let bytes = KinfoBytes::live(78).bytes();
        assert_eq!(kinfo_answer(pid, Ok(&bytes), 1984).unwrap().pid, 78);
        // ENOMEM (sys/sys/errno.h: 12): the record did not fit in twice the known size.
        match kinfo_answer(pid, Err(io::Error::from_raw_os_error(12)), 1984) {
            Err(Error::Os { source, .. }) => {
                assert_eq!(source.kind(), io::ErrorKind::InvalidData);
                assert!(source.to_string().contains("over 1984 bytes"), "{source}");
            }
            other => panic!("{other:?}"),
        }
        // EFAULT (14) stays the OS's error.
        match kinfo_answer(pid, Err(io::Error::from_raw_os_error(14)), 1984) {
            Err(Error::Os { source, .. }) => assert_eq!(source.raw_os_error(), Some(14)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_mibs_are_the_headers() {
        // sys/sys/sysctl.h: CTL_KERN 1, KERN_PROC 14, KERN_PROC_ALL 0, KERN_PROC_PID 1.
        assert_eq!(kinfo_mib(42), [1, 14, 1, 42]);
        // sysctl_kern_proc refuses KERN_PROC_ALL with any fourth name (EINVAL).
        assert_eq!(table_mib(), [1, 14, 0]);
    }

    /// A kernel thread's record, as `fill_kinfo_proc_kthread` (`sys/kern/kern_kinfo.c`)
    /// fills it: `kp_pid` and `kl_pid` -1, `kp_flags` `P_SYSTEM` (0x200), `SACTIVE`.
    fn kthread(comm: &'static str) -> KinfoBytes {
        KinfoBytes {
            flags: 0x200,
            start: (0, 0),
            comm,
            ngroups: 0,
            groups: vec![],
            siglist: [0; 4],
            sigignore: [0; 4],
            sigcatch: [0; 4],
            lwp_sigmask: [0; 4],
            ..KinfoBytes::live(-1)
        }
    }

    /// A zombie: `SZOMB`, `P_WEXIT | P_POSTEXIT`, its pending set emptied by `exit1`.
    fn zombie(pid: i32) -> KinfoBytes {
        KinfoBytes {
            flags: 0x2000 | 0x40,
            stat: 4,
            comm: "defunct",
            siglist: [0; 4],
            ..KinfoBytes::live(pid)
        }
    }

    fn table_bytes(records: &[KinfoBytes]) -> Vec<u8> {
        records.iter().flat_map(KinfoBytes::bytes).collect()
    }

    #[test]
    fn the_table_is_split_into_processes() {
        let first = KinfoBytes {
            comm: "first",
            ..KinfoBytes::live(30)
        };
        let second = KinfoBytes {
            comm: "second",
            ..KinfoBytes::live(30)
        };
        let swapper = KinfoBytes {
            flags: 0x200,
            comm: "swapper",
            ..KinfoBytes::live(0)
        };
        let init = KinfoBytes {
            flags: 0x200, // P_SYSTEM, as create_init (sys/kern/init_main.c) sets it
            comm: "init",
            ..KinfoBytes::live(1)
        };
        let buf = table_bytes(&[
            first,
            kthread("idle_0"),
            zombie(12),
            swapper,
            KinfoBytes::live(7),
            init,
            kthread("syncer0"),
            second,
        ]);
        let table = kinfo_table(&buf).unwrap();
        let got: Vec<_> = table.iter().map(|k| (k.pid, k.comm.as_str())).collect();
        assert_eq!(
            got,
            [(1, "init"), (7, "fixture"), (12, "defunct"), (30, "first")]
        );
        assert!(table[2].zombie && !table[1].zombie);
        assert_eq!(table[3].start.sec, 1_700_000_030);
        // Not a whole number of records: another ABI, never a misread.
        assert_eq!(
            kinfo_table(&buf[..992 * 2 + 10]),
            Err(DecodeError::Table(1994))
        );
        assert_eq!(kinfo_table(&[]), Ok(vec![]));
        // A bad record among good ones fails the table.
        let bad = KinfoBytes {
            ngroups: 40,
            ..KinfoBytes::live(5)
        };
        assert_eq!(
            kinfo_table(&table_bytes(&[KinfoBytes::live(4), bad])),
            Err(DecodeError::BadGroupCount(40))
        );
    }

    /// A kernel answering as DragonFly's does: `sysctl_kern_proc` (no reply once `pfind`
    /// finds nothing, zombies skipped; the whole table with them and kernel threads),
    /// `procfs_open`/`procfs_rw` (an errno for a process they refuse), and a
    /// `/proc/<pid>/status` that must never be read (its session field is the leader's
    /// pid, here 0 as once the leader has exited).
    struct FakeKernel {
        /// What `KERN_PROC_PID` answers whatever the pid; when `None`, `pfind` over
        /// `table` (which skips zombies).
        kinfo: RefCell<Option<KinfoBytes>>,
        /// What `KERN_PROC_ALL` lists, in the kernel's order.
        table: RefCell<Vec<KinfoBytes>>,
        rlimit: RefCell<Result<Vec<u8>, i32>>,
        mounted: bool,
        /// What `kern.file` lists: (pid, fd) per open descriptor, or an errno.
        files: RefCell<Result<Vec<(i32, i32)>, i32>>,
        kinfo_reads: Cell<usize>,
        table_reads: Cell<usize>,
        /// Whole-table reads made a record per thread.
        thread_table_reads: Cell<usize>,
        thread_reads: Cell<usize>,
        file_reads: Cell<usize>,
        proc_reads: RefCell<Vec<String>>,
    }

    /// A `kern.file` reply: one `struct kinfo_file` per (pid, fd), 72 bytes each, at
    /// the offsets of DragonFly's `sys/sys/kinfo.h` on x86_64 as literals.
    fn file_bytes(files: &[(i32, i32)]) -> Vec<u8> {
        let mut buf = vec![0u8; 72 * files.len()];
        for (i, &(pid, fd)) in files.iter().enumerate() {
            let mut put =
                |at: usize, b: &[u8]| buf[72 * i + at..72 * i + at + b.len()].copy_from_slice(b);
            put(0, &72u64.to_ne_bytes()); // size_t f_size
            put(8, &pid.to_ne_bytes()); // pid_t f_pid
            put(12, &1001u32.to_ne_bytes()); // uid_t f_uid
            put(16, &fd.to_ne_bytes()); // int f_fd
            put(24, &0xffff_8000_f11e_0000u64.to_ne_bytes()); // void *f_file
            put(32, &1i16.to_ne_bytes()); // short f_type (DTYPE_VNODE)
            put(36, &2i32.to_ne_bytes()); // int f_count
            put(40, &0i32.to_ne_bytes()); // int f_msgcount
            put(48, &4096i64.to_ne_bytes()); // off_t f_offset
            put(56, &0xffff_8000_da7a_0000u64.to_ne_bytes()); // void *f_data
            put(64, &3u32.to_ne_bytes()); // u_int f_flag (FREAD | FWRITE)
        }
        buf
    }

    impl FakeKernel {
        fn new(kinfo: Option<KinfoBytes>, rlimit: Result<&[u8], i32>) -> Self {
            FakeKernel {
                kinfo: RefCell::new(kinfo),
                table: RefCell::new(Vec::new()),
                rlimit: RefCell::new(rlimit.map(<[u8]>::to_vec)),
                mounted: true,
                files: RefCell::new(Ok(Vec::new())),
                kinfo_reads: Cell::new(0),
                table_reads: Cell::new(0),
                thread_table_reads: Cell::new(0),
                thread_reads: Cell::new(0),
                file_reads: Cell::new(0),
                proc_reads: RefCell::new(Vec::new()),
            }
        }

        fn live(pid: i32) -> Self {
            Self::new(Some(KinfoBytes::live(pid)), Ok(RLIMIT))
        }

        /// A kernel whose processes are `table`, every live one with limits.
        fn listing(table: Vec<KinfoBytes>) -> Self {
            let kernel = Self::new(None, Ok(RLIMIT));
            *kernel.table.borrow_mut() = table;
            kernel
        }

        fn is_zombie(&self, pid: Pid) -> bool {
            self.table
                .borrow()
                .iter()
                .any(|k| Pid::from(k.pid) == pid && k.stat == 4)
        }
    }

    impl Kernel for FakeKernel {
        fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
            self.kinfo_reads.set(self.kinfo_reads.get() + 1);
            let reply = match &*self.kinfo.borrow() {
                Some(k) => Some(k.bytes()),
                None => self
                    .table
                    .borrow()
                    .iter()
                    .find(|k| Pid::from(k.pid) == pid && k.stat != 4)
                    .map(KinfoBytes::bytes),
            };
            kinfo_answer(pid, Ok(reply.as_deref().unwrap_or_default()), 1984)
        }

        fn table(&self, threads: bool) -> Result<Vec<Kinfo>> {
            self.table_reads.set(self.table_reads.get() + 1);
            let records: Vec<KinfoBytes> = match threads {
                true => {
                    self.thread_table_reads
                        .set(self.thread_table_reads.get() + 1);
                    self.table
                        .borrow()
                        .iter()
                        .flat_map(KinfoBytes::per_thread)
                        .collect()
                }
                false => self.table.borrow().clone(),
            };
            let buf = table_bytes(&records);
            kinfo_table(&buf).map_err(|e| Error::invalid_data(Pid::from(1), e))
        }

        fn threads(&self, pid: Pid) -> Result<Kinfo> {
            self.thread_reads.set(self.thread_reads.get() + 1);
            let records = match &*self.kinfo.borrow() {
                Some(k) => k.per_thread(),
                None => self
                    .table
                    .borrow()
                    .iter()
                    .filter(|k| Pid::from(k.pid) == pid && k.stat != 4)
                    .flat_map(KinfoBytes::per_thread)
                    .collect(),
            };
            threads_reply(pid, &table_bytes(&records))
        }

        fn files(&self) -> io::Result<Vec<u8>> {
            self.file_reads.set(self.file_reads.get() + 1);
            match &*self.files.borrow() {
                Ok(files) => Ok(file_bytes(files)),
                Err(errno) => Err(io::Error::from_raw_os_error(*errno)),
            }
        }

        fn page_size(&self) -> u64 {
            4096
        }

        fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>> {
            self.proc_reads.borrow_mut().push(name.to_owned());
            // pfs_pfind: pfind, which skips zombies.
            if self.is_zombie(pid) {
                return Err(io::Error::from_raw_os_error(ENOENT));
            }
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

    // Nightly clippy misreads the `const` initialiser on some tier-3 targets (Solaris).
    #[allow(clippy::missing_const_for_thread_local)]
    mod installed {
        std::thread_local! {
            /// The kernel `Installed` answers from: each test runs on a thread of its own.
            pub(super) static FAKE: std::cell::RefCell<Option<super::FakeKernel>> =
                const { std::cell::RefCell::new(None) };
        }
    }
    use installed::FAKE;

    /// The backend's kernel in these tests: whatever [`install`] put on this thread.
    #[derive(Default)]
    struct Installed;

    fn install(kernel: FakeKernel) {
        FAKE.set(Some(kernel));
    }

    fn fake<R>(f: impl FnOnce(&FakeKernel) -> R) -> R {
        FAKE.with_borrow(|k| f(k.as_ref().expect("a fake kernel is installed")))
    }

    impl Kernel for Installed {
        fn kinfo(&self, pid: Pid) -> Result<Kinfo> {
            fake(|k| k.kinfo(pid))
        }

        fn table(&self, threads: bool) -> Result<Vec<Kinfo>> {
            fake(|k| k.table(threads))
        }

        fn threads(&self, pid: Pid) -> Result<Kinfo> {
            fake(|k| k.threads(pid))
        }

        fn files(&self) -> io::Result<Vec<u8>> {
            fake(|k| k.files())
        }

        fn page_size(&self) -> u64 {
            fake(|k| k.page_size())
        }

        fn read_proc(&self, pid: Pid, name: &str) -> io::Result<Vec<u8>> {
            fake(|k| k.read_proc(pid, name))
        }

        fn procfs_mounted(&self) -> bool {
            fake(|k| k.procfs_mounted())
        }
    }

    /// The backend, exactly as `DragonFly` is, over the installed fake.
    type Fake = Over<Installed>;

    #[test]
    fn what_the_backend_offers() {
        assert!(Fake::available(Attr::Comm) && Fake::available(Attr::Rlimits));
        assert!(!Fake::available(Attr::Umask));
        assert!(!Fake::can_set_rlimit());
        assert_eq!(<Fake as Backend>::RLIM_INFINITY, i64::MAX as u64);
    }

    #[test]
    fn pids_come_from_one_table_read() {
        install(FakeKernel::listing(vec![
            KinfoBytes::live(30),
            kthread("idle_0"),
            zombie(12),
            KinfoBytes::live(7),
        ]));
        let pids: Vec<i64> = Fake::pids().unwrap().iter().map(|p| p.get()).collect();
        assert_eq!(pids, [7, 12, 30]);
        fake(|k| assert_eq!((k.table_reads.get(), k.kinfo_reads.get()), (1, 0)));
    }

    #[test]
    fn a_scan_reads_the_table_once_whatever_the_number_of_processes() {
        for n in [1, 3, 40] {
            // In the kernel's (hash) order, not by pid.
            let procs = (0..n)
                .rev()
                .map(|i| KinfoBytes::live(100 + 7 * i))
                .collect();
            install(FakeKernel::listing(procs));
            let infos = Fake::scan(Attr::ALL).unwrap();
            fake(|k| {
                assert_eq!(k.table_reads.get(), 1, "{n} processes");
                assert_eq!(
                    k.kinfo_reads.get(),
                    0,
                    "every kinfo attribute from the table"
                );
                // What kinfo_proc lacks costs a read per process: the limits.
                assert_eq!(k.proc_reads.borrow().len(), n as usize);
            });
            let pids: Vec<i64> = infos.iter().map(|i| i.pid.get()).collect();
            let want: Vec<i64> = (0..n).map(|i| i64::from(100 + 7 * i)).collect();
            assert_eq!(pids, want);
            for info in &infos {
                let pid = info.pid.as_raw();
                assert_eq!(info.comm.as_deref(), Some("fixture"));
                assert_eq!(info.pgid, Some(Pid::from(pid - 5)));
                assert_eq!(info.sid, Some(Pid::from(pid - 15)));
                assert_eq!(info.groups, Some(vec![0, 5]));
                assert_eq!(bits(info.sigmasks.unwrap().blocked), vec![2]);
                assert_eq!(info.rlimits.as_ref().map(|r| r.len()), Some(12));
                assert_eq!(info.umask, None);
            }
        }
    }

    #[test]
    fn a_scan_lists_a_zombie_with_what_its_record_holds() {
        install(FakeKernel::listing(vec![
            zombie(60),
            kthread("idle_0"),
            KinfoBytes::live(50),
        ]));
        let infos = Fake::scan(Attr::ALL).unwrap();
        let pids: Vec<i64> = infos.iter().map(|i| i.pid.get()).collect();
        assert_eq!(pids, [50, 60]);
        let z = &infos[1];
        assert_eq!(z.comm.as_deref(), Some("defunct"));
        assert_eq!((z.pgid, z.sid), (Some(Pid::from(55)), Some(Pid::from(45))));
        assert_eq!(z.groups, Some(vec![0, 5]));
        assert_eq!(
            z.sigmasks.unwrap().pending,
            Some(SigSet::from_words(&[0; 4]))
        );
        // Its limits went with it (plimit_free): procfs is not even asked.
        assert_eq!(z.rlimits, None);
        assert!(infos[0].rlimits.is_some());
        fake(|k| {
            assert_eq!(*k.proc_reads.borrow(), ["rlimit"]);
            assert_eq!(k.kinfo_reads.get(), 0);
        });
    }

    #[test]
    fn a_reused_pid_reads_as_no_such_process_through_a_handle() {
        let pid = Pid::from(700);
        install(FakeKernel::live(700));
        let pin = Pinned::new::<Fake>(pid).unwrap();
        let handle = pin.target();
        assert!(Fake::is_running(handle).unwrap());
        assert_eq!(Fake::comm(handle).unwrap(), "fixture");
        assert!(Fake::get_rlimit(handle, Resource::Nofile).is_ok());
        // The process is reaped and a newcomer gets its pid: same pid, a later start.
        let newcomer = KinfoBytes {
            start: (1_800_000_000, 1),
            comm: "newcomer",
            ..KinfoBytes::live(700)
        };
        fake(|k| *k.kinfo.borrow_mut() = Some(newcomer));
        let gone = |what: &str, result: Result<()>| {
            assert!(
                matches!(result, Err(Error::NoSuchProcess { pid: p }) if p == pid),
                "{what}: {result:?}"
            );
        };
        let through = |handle: Target<'_, StartTime>| {
            gone("comm", Fake::comm(handle).map(drop));
            gone("groups", Fake::groups(handle).map(drop));
            gone("pgid", Fake::pgid(handle).map(drop));
            gone("sid", Fake::sid(handle).map(drop));
            gone("sigmasks", Fake::sigmasks(handle).map(drop));
            gone(
                "limits",
                Fake::get_rlimit(handle, Resource::Nofile).map(drop),
            );
        };
        through(handle);
        assert!(!Fake::is_running(handle).unwrap());
        // By pid, the newcomer is read.
        assert_eq!(Fake::comm(by_pid(pid)).unwrap(), "newcomer");
        // Inside a oneshot that already holds the newcomer's record, or its limits.
        let _oneshot = OneshotGuard::enter(pid);
        Fake::get_rlimit(by_pid(pid), Resource::Core).unwrap();
        Fake::comm(by_pid(pid)).unwrap();
        through(handle);
    }

    #[test]
    fn a_limit_read_checks_the_pin_after_the_call() {
        let pid = Pid::from(710);
        install(FakeKernel::live(710));
        let pin = Pinned::new::<Fake>(pid).unwrap();
        let handle = pin.target();
        // Still the same process after the read: its limits, one kinfo read to check.
        let before = fake(|k| k.kinfo_reads.get());
        assert!(Fake::get_rlimit(handle, Resource::Nofile).is_ok());
        assert_eq!(fake(|k| k.kinfo_reads.get()), before + 1);
        // Reused between the pin and the read: procfs read the newcomer's limits, or
        // refused the newcomer (EACCES, sys/sys/errno.h: 13). Neither is ours.
        let newcomer = KinfoBytes {
            start: (1_800_000_000, 0),
            ..KinfoBytes::live(710)
        };
        fake(|k| *k.kinfo.borrow_mut() = Some(newcomer));
        let got = Fake::get_rlimit(handle, Resource::Nofile);
        assert!(matches!(got, Err(Error::NoSuchProcess { .. })), "{got:?}");
        fake(|k| *k.rlimit.borrow_mut() = Err(13));
        let got = Fake::get_rlimit(handle, Resource::Nofile);
        assert!(matches!(got, Err(Error::NoSuchProcess { .. })), "{got:?}");
        // By pid, the kernel's answer stands.
        let got = Fake::get_rlimit(by_pid(pid), Resource::Nofile);
        assert!(matches!(got, Err(Error::AccessDenied { .. })), "{got:?}");
    }

    #[test]
    fn in_a_oneshot_the_check_after_a_limit_read_serves_the_handle() {
        let pid = Pid::from(720);
        install(FakeKernel::live(720));
        let pin = Pinned::new::<Fake>(pid).unwrap();
        let handle = pin.target();
        let _oneshot = OneshotGuard::enter(pid);
        for r in [Resource::Nofile, Resource::Core] {
            Fake::get_rlimit(handle, r).unwrap();
        }
        // The record read to check the pin after procfs is kept for the rest.
        assert_eq!(Fake::comm(handle).unwrap(), "fixture");
        Fake::sigmasks(handle).unwrap();
        fake(|k| {
            assert_eq!(k.kinfo_reads.get(), 2, "the pin, then one check");
            assert_eq!(*k.proc_reads.borrow(), ["rlimit"]);
        });
    }

    #[test]
    fn a_handle_to_a_zombie() {
        let pid = Pid::from(800);
        // pfind skips the zombie: only the whole table shows it.
        install(FakeKernel::listing(vec![
            zombie(800),
            KinfoBytes::live(801),
        ]));
        let gone = |result: Result<()>| matches!(result, Err(Error::NoSuchProcess { .. }));
        assert!(gone(Fake::comm(by_pid(pid)).map(drop)));
        let pin = Pinned::new::<Fake>(pid).unwrap();
        let handle = pin.target();
        assert!(Fake::is_running(handle).unwrap());
        assert_eq!(Fake::comm(handle).unwrap(), "defunct");
        assert_eq!(Fake::pgid(handle).unwrap(), Pid::from(795));
        let got = Fake::get_rlimit(handle, Resource::Nofile);
        assert!(
            matches!(got, Err(Error::Zombie { pid: p }) if p == pid),
            "{got:?}"
        );
        // Reaped, and the pid taken by another process that is a zombie too.
        let other = KinfoBytes {
            start: (1_800_000_000, 0),
            ..zombie(800)
        };
        fake(|k| *k.table.borrow_mut() = vec![other]);
        assert!(!Fake::is_running(handle).unwrap());
        assert!(gone(Fake::comm(handle).map(drop)));
        // Reaped for good.
        fake(|k| k.table.borrow_mut().clear());
        assert!(!Fake::is_running(handle).unwrap());
        assert!(gone(Fake::sid(handle).map(drop)));
        assert!(gone(Fake::pin(pid).map(drop)));
    }

    #[test]
    fn an_embryonic_process_is_not_pinned() {
        // fork1 sets p_start last, while the child is still SIDL.
        let embryo = KinfoBytes {
            stat: 1,
            start: (0, 0),
            ..KinfoBytes::live(900)
        };
        install(FakeKernel::new(Some(embryo), Ok(RLIMIT)));
        let got = Fake::pin(Pid::from(900));
        assert!(matches!(got, Err(Error::NoSuchProcess { .. })), "{got:?}");
    }

    #[test]
    fn groups_pgid_and_sid_come_from_kinfo_not_procfs() {
        let kernel = FakeKernel {
            mounted: false,
            ..FakeKernel::live(1234)
        };
        let pid = by_pid(Pid::from(1234));
        assert_eq!(sid(&kernel, pid).unwrap(), Pid::from(1219));
        assert_eq!(pgid(&kernel, pid).unwrap(), Pid::from(1229));
        assert_eq!(groups(&kernel, pid).unwrap(), vec![0, 5]);
        assert_eq!(bits(sigmasks(&kernel, pid).unwrap().blocked), vec![2]);
        assert_eq!(comm(&kernel, pid).unwrap(), "fixture");
        assert!(kernel.proc_reads.borrow().is_empty());
        // Outside a oneshot every call reads the kernel.
        assert_eq!(kernel.kinfo_reads.get(), 5);
    }

    #[test]
    fn one_kinfo_serves_a_oneshot() {
        let kernel = FakeKernel::live(2345);
        let pid = Pid::from(2345);
        let _oneshot = OneshotGuard::enter(pid);
        sigmasks(&kernel, by_pid(pid)).unwrap();
        groups(&kernel, by_pid(pid)).unwrap();
        pgid(&kernel, by_pid(pid)).unwrap();
        comm(&kernel, by_pid(pid)).unwrap();
        assert_eq!(sid(&kernel, by_pid(pid)).unwrap(), Pid::from(2330));
        for r in [Resource::Nofile, Resource::Stack, Resource::Cpu] {
            get_rlimit(&kernel, by_pid(pid), r).unwrap();
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
            comm(&kernel, by_pid(pid)).map(drop),
            groups(&kernel, by_pid(pid)).map(drop),
            pgid(&kernel, by_pid(pid)).map(drop),
            sid(&kernel, by_pid(pid)).map(drop),
            sigmasks(&kernel, by_pid(pid)).map(drop),
            get_rlimit(&kernel, by_pid(pid), Resource::Nofile).map(drop),
        ] {
            assert!(
                matches!(result, Err(Error::NoSuchProcess { pid: p }) if p == pid),
                "{result:?}"
            );
        }
        assert!(!is_running(&kernel, by_pid(pid)).unwrap());
        // By pid, nothing costs a table read.
        assert_eq!(kernel.table_reads.get(), 0);
    }

    #[test]
    fn procfs_einval_is_classified_by_kinfo() {
        let pid = by_pid(Pid::from(4567));
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
            matches!(got, Err(Error::Zombie { pid: p }) if p == pid.pid()),
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
        sigmasks(&kernel, by_pid(pid)).unwrap(); // caches the live kinfo
        kernel.kinfo.borrow_mut().as_mut().unwrap().flags = 0x40; // then exit1 runs
        let got = get_rlimit(&kernel, by_pid(pid), Resource::Core);
        assert!(matches!(got, Err(Error::Zombie { .. })), "{got:?}");
    }

    #[test]
    fn other_procfs_errors() {
        let pid = by_pid(Pid::from(6789));
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

    #[test]
    fn usage_figures_sit_at_the_header_offsets() {
        let k = kinfo(&KinfoBytes::live(1234).bytes()).unwrap();
        assert_eq!((k.ruid, k.nthreads, k.threads), (4343, 1, 1));
        // kp_vm_map_size is bytes; the three segsz_t counts are pages.
        let bytes = |r| k.memory.bytes(r, 4096);
        assert_eq!(bytes(Resource::As), Some(0x0123_4000));
        assert_eq!(bytes(Resource::Rss), Some(300 * 4096));
        assert_eq!(bytes(Resource::Data), Some(40 * 4096));
        assert_eq!(bytes(Resource::Stack), Some(8 * 4096));
        assert_eq!(k.memory.bytes(Resource::Stack, 16384), Some(8 * 16384));
        assert_eq!(bytes(Resource::Memlock), None);
        // kl_uticks + kl_sticks, microseconds: 3.6 s is 3 whole seconds.
        assert_eq!(k.cpu_usec, 3_600_000);
        assert_eq!(k.cpu_seconds(), Some(3));
        // One thread's record of a process of three covers too little.
        let threaded = KinfoBytes {
            nthreads: 3,
            ..KinfoBytes::live(9)
        };
        assert_eq!(kinfo(&threaded.bytes()).unwrap().cpu_seconds(), None);
        let negative = KinfoBytes {
            vm: (0, -1, 0, 0),
            ..KinfoBytes::live(9)
        };
        let k = kinfo(&negative.bytes()).unwrap();
        assert_eq!(k.memory.bytes(Resource::Rss, 4096), Some(0));
    }

    #[test]
    fn a_per_thread_table_folds_each_process_cpu_time() {
        let threaded = KinfoBytes {
            nthreads: 3,
            more_threads: vec![(500_000, 0), (1_000_000, 900_000)],
            ..KinfoBytes::live(40)
        };
        let buf = table_bytes(&[threaded.per_thread(), KinfoBytes::live(41).per_thread()].concat());
        let table = kinfo_table(&buf).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!((table[0].threads, table[0].cpu_usec), (3, 6_000_000));
        assert_eq!(table[0].cpu_seconds(), Some(6));
        // The first thread's record gives the rest (its mask, its name).
        assert_eq!(bits(table[0].sigmasks.blocked), vec![2]);
        assert_eq!(table[1].cpu_seconds(), Some(3));
        // threads_reply finds the pid; an empty reply is no process.
        let pid = Pid::from(40);
        let one = threads_reply(pid, &table_bytes(&threaded.per_thread())).unwrap();
        assert_eq!(one.cpu_usec, 6_000_000);
        assert!(matches!(
            threads_reply(pid, &[]),
            Err(Error::NoSuchProcess { .. })
        ));
        assert_eq!(
            table_lwp_mib(),
            [1, 14, 0x10],
            "sys/sys/sysctl.h: KERN_PROC_ALL | KERN_PROC_FLAG_LWP"
        );
        assert_eq!(threads_mib(7), [1, 14, 0x11, 7]);
        assert_eq!(
            files_mib(),
            [1, 15],
            "sys/sys/sysctl.h: CTL_KERN, KERN_FILE"
        );
    }

    #[test]
    fn descriptors_are_counted_from_kern_file() {
        let buf = file_bytes(&[(7, 0), (9, 3), (7, 1), (7, 250), (8, 0), (7, 2)]);
        let of = |pid| open_files_of(&buf, pid).unwrap();
        assert_eq!(
            of(7),
            OpenFiles {
                count: 4,
                highest: Some(250)
            }
        );
        assert_eq!(
            of(9),
            OpenFiles {
                count: 1,
                highest: Some(3)
            }
        );
        assert_eq!(of(10), OpenFiles::default());
        let all = open_files_by_pid(&buf).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[&7], of(7));
        assert_eq!(all[&8].highest, Some(0));
        // Not whole records, a record of another size, a negative descriptor.
        assert_eq!(open_files_of(&buf[..100], 7), Err(DecodeError::Files(100)));
        let mut other = buf.clone();
        other[0] = 80;
        assert_eq!(open_files_of(&other, 7), Err(DecodeError::Files(432)));
        let negative = file_bytes(&[(7, -1)]);
        assert!(open_files_by_pid(&negative).is_err());
        assert_eq!(open_files_of(&[], 7), Ok(OpenFiles::default()));
    }

    #[test]
    fn usage_by_pid_reads_kinfo_and_kern_file() {
        let kernel = FakeKernel::live(3000);
        *kernel.files.borrow_mut() = Ok(vec![(3000, 0), (3001, 9), (3000, 5)]);
        let pid = by_pid(Pid::from(3000));
        assert_eq!(usage(&kernel, pid, Resource::As).unwrap(), 0x0123_4000);
        assert_eq!(usage(&kernel, pid, Resource::Rss).unwrap(), 300 * 4096);
        assert_eq!(usage(&kernel, pid, Resource::Cpu).unwrap(), 3);
        for r in [Resource::Memlock, Resource::Nice, Resource::Sigpending] {
            let got = usage(&kernel, pid, r);
            assert!(
                matches!(got, Err(Error::Unsupported { .. })),
                "{r}: {got:?}"
            );
        }
        assert_eq!(
            open_files(&kernel, pid).unwrap(),
            OpenFiles {
                count: 2,
                highest: Some(5)
            }
        );
        assert_eq!(nproc_share(&kernel, pid).unwrap().ruid, 4343);
        assert_eq!(
            kernel.thread_reads.get(),
            0,
            "one thread: its record is whole"
        );
        // No process: kern.file lists nothing, and the record read after says why.
        let gone = FakeKernel::new(None, Ok(RLIMIT));
        let got = open_files(&gone, pid);
        assert!(matches!(got, Err(Error::NoSuchProcess { .. })), "{got:?}");
        assert!(matches!(
            usage(&gone, pid, Resource::Cpu),
            Err(Error::NoSuchProcess { .. })
        ));
        // kern.file refused: the OS's error.
        *kernel.files.borrow_mut() = Err(5);
        assert!(matches!(open_files(&kernel, pid), Err(Error::Os { .. })));
        // Exiting: its figures are gone with it.
        let exiting = KinfoBytes {
            flags: 0x2000 | 0x40,
            ..KinfoBytes::live(3000)
        };
        let kernel = FakeKernel::new(Some(exiting), Ok(RLIMIT));
        assert!(matches!(
            usage(&kernel, pid, Resource::As),
            Err(Error::Zombie { .. })
        ));
        assert!(matches!(
            open_files(&kernel, pid),
            Err(Error::Zombie { .. })
        ));
    }

    #[test]
    fn a_threaded_process_cpu_costs_one_read_of_its_threads() {
        let threaded = KinfoBytes {
            nthreads: 2,
            more_threads: vec![(4_000_000, 500_000)],
            ..KinfoBytes::live(3100)
        };
        let kernel = FakeKernel::new(Some(threaded), Ok(RLIMIT));
        let pid = Pid::from(3100);
        assert_eq!(usage(&kernel, by_pid(pid), Resource::Cpu).unwrap(), 8);
        assert_eq!(kernel.thread_reads.get(), 1);
        // In a oneshot the record covering every thread is kept.
        let _oneshot = OneshotGuard::enter(pid);
        for _ in 0..2 {
            assert_eq!(usage(&kernel, by_pid(pid), Resource::Cpu).unwrap(), 8);
        }
        assert_eq!(kernel.thread_reads.get(), 2);
        usage(&kernel, by_pid(pid), Resource::Stack).unwrap();
        assert_eq!(
            kernel.kinfo_reads.get(),
            2,
            "one outside, one in the oneshot"
        );
    }

    #[test]
    fn usage_through_a_handle_keeps_the_pin() {
        let pid = Pid::from(3200);
        install(FakeKernel::live(3200));
        fake(|k| *k.files.borrow_mut() = Ok(vec![(3200, 4)]));
        let pinned = psx_core::Pinned::new::<Fake>(pid).unwrap();
        let handle = pinned.target();
        assert_eq!(Fake::usage(handle, Resource::Data).unwrap(), 40 * 4096);
        assert_eq!(Fake::open_files(handle).unwrap().count, 1);
        // Reaped, and the pid reused by a newcomer with descriptors of its own.
        let newcomer = KinfoBytes {
            start: (1_800_000_000, 7),
            nthreads: 4,
            ..KinfoBytes::live(3200)
        };
        fake(|k| *k.kinfo.borrow_mut() = Some(newcomer));
        let gone = |what: &str, result: Result<()>| {
            assert!(
                matches!(result, Err(Error::NoSuchProcess { pid: p }) if p == pid),
                "{what}: {result:?}"
            );
        };
        let through = |handle: Target<'_, StartTime>| {
            for r in [Resource::As, Resource::Rss, Resource::Data, Resource::Stack] {
                gone("memory", Fake::usage(handle, r).map(drop));
            }
            gone("cpu", Fake::usage(handle, Resource::Cpu).map(drop));
            gone("files", Fake::open_files(handle).map(drop));
            gone("nproc", Fake::nproc_share(handle).map(drop));
        };
        through(handle);
        // Inside a oneshot that holds the newcomer's figures (its record, its count).
        let oneshot = OneshotGuard::enter(pid);
        Fake::open_files(by_pid(pid)).unwrap();
        Fake::usage(by_pid(pid), Resource::Cpu).unwrap();
        through(handle);
        drop(oneshot);
        // The oneshot holds our threaded process's record; its threads are read after
        // the pid went to a newcomer.
        let ours = KinfoBytes {
            nthreads: 2,
            more_threads: vec![(9_000_000, 0)],
            ..KinfoBytes::live(3200)
        };
        install(FakeKernel::new(Some(ours), Ok(RLIMIT)));
        let pinned = psx_core::Pinned::new::<Fake>(pid).unwrap();
        let handle = pinned.target();
        let _oneshot = OneshotGuard::enter(pid);
        Fake::comm(handle).unwrap();
        let newcomer = KinfoBytes {
            start: (1_800_000_000, 8),
            nthreads: 2,
            more_threads: vec![(50_000_000, 0)],
            ..KinfoBytes::live(3200)
        };
        fake(|k| *k.kinfo.borrow_mut() = Some(newcomer));
        gone("cpu after", Fake::usage(handle, Resource::Cpu).map(drop));
        fake(|k| assert_eq!(k.thread_reads.get(), 1));
    }

    #[test]
    fn a_handle_to_a_zombie_has_no_usage_but_counts_for_nproc() {
        let pid = Pid::from(3300);
        install(FakeKernel::listing(vec![zombie(3300)]));
        let pinned = psx_core::Pinned::new::<Fake>(pid).unwrap();
        let handle = pinned.target();
        for r in [Resource::As, Resource::Cpu] {
            let got = Fake::usage(handle, r);
            assert!(matches!(got, Err(Error::Zombie { .. })), "{r}: {got:?}");
        }
        let got = Fake::open_files(handle);
        assert!(matches!(got, Err(Error::Zombie { .. })), "{got:?}");
        assert_eq!(Fake::nproc_share(handle).unwrap().count, 1);
        let read = psx_core::usage::<Fake>(handle);
        assert!(matches!(read, Err(Error::Zombie { .. })), "{read:?}");
    }

    #[test]
    fn a_scan_with_usage_reads_the_table_and_kern_file_once() {
        let threaded = KinfoBytes {
            nthreads: 2,
            more_threads: vec![(7_000_000, 0)],
            ..KinfoBytes::live(71)
        };
        install(FakeKernel::listing(vec![
            threaded,
            zombie(72),
            KinfoBytes::live(70),
        ]));
        fake(|k| *k.files.borrow_mut() = Ok(vec![(70, 0), (71, 0), (71, 1), (71, 63)]));
        let infos = Fake::scan(&[Attr::Usage]).unwrap();
        fake(|k| {
            assert_eq!(k.table_reads.get(), 1);
            assert_eq!(k.thread_table_reads.get(), 1);
            assert_eq!(k.file_reads.get(), 1);
            assert_eq!((k.kinfo_reads.get(), k.thread_reads.get()), (0, 0));
        });
        let used = |i: usize, r| infos[i].usage.as_ref().unwrap().used.get(&r).copied();
        assert_eq!(used(0, Resource::Nofile), Some(1));
        assert_eq!(used(1, Resource::Nofile), Some(3));
        assert_eq!(infos[1].usage.as_ref().unwrap().highest_fd, Some(63));
        // Every thread's time: 3.6 s + 7 s.
        assert_eq!(used(1, Resource::Cpu), Some(10));
        assert_eq!(used(0, Resource::Stack), Some(8 * 4096));
        assert_eq!(used(0, Resource::Memlock), None);
        // The zombie has no usage, yet counts for its user's NPROC: three of 4343.
        assert_eq!(infos[2].usage, None);
        assert_eq!(
            infos[2].missing.get(&Attr::Usage),
            Some(&psx_core::Missing::Zombie)
        );
        assert_eq!(used(0, Resource::Nproc), Some(3));
        // Should kern.file fail, the scan says so once (each process's read would).
        install(FakeKernel::listing(vec![KinfoBytes::live(80)]));
        fake(|k| *k.files.borrow_mut() = Err(5));
        let got = Fake::scan(&[Attr::Usage]);
        assert!(matches!(got, Err(Error::Os { .. })), "{got:?}");
        fake(|k| assert_eq!(k.file_reads.get(), 1));
        // A scan without usage reads neither the threads nor kern.file.
        Fake::scan(&[Attr::Comm]).unwrap();
        fake(|k| assert_eq!((k.thread_table_reads.get(), k.file_reads.get()), (1, 1)));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            let _ = rlimits(&bytes);
            let _ = kinfo(&bytes);
            let _ = kinfo_reply(Pid::from(1), &bytes);
            let _ = kinfo_table(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn kinfo_round_trips(
            gids in proptest::collection::vec(any::<u32>(), 0..=16),
            masks in any::<[[u32; 4]; 4]>(),
            ids in any::<(i32, i32, i32)>(),
            start in any::<(i64, i64)>(),
        ) {
            let fixture = KinfoBytes {
                start,
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
            prop_assert_eq!((k.start.sec, k.start.usec), start);
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
