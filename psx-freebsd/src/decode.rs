//! Pure decoding and decisions for FreeBSD, tested on every host: `struct kinfo_proc`
//! bytes and the replies of `KERN_PROC_GROUPS`, `KERN_PROC_UMASK` and `KERN_PROC_RLIMIT`
//! to psx types, the MIBs, resource numbers, which ids can name a process, and when a
//! refused call is tried again.
//!
//! Layouts: FreeBSD `sys/sys/user.h`, `struct kinfo_proc`, in its two ABIs: LP64
//! (amd64, aarch64, riscv64, powerpc64; `KINFO_PROC_SIZE` 1088) and i386
//! (`KINFO_PROC_SIZE` 768, also what a 32-bit process gets from a 64-bit kernel).
//! `sys.rs` asserts at compile time, on FreeBSD, that every offset of the build's own
//! layout equals libc's `offset_of!`; the tests pin both with the header's offsets.
//! Fields are in the kernel's native byte order.

use std::io;
use std::time::Duration;

use psx_core::{Limit, RLimit, Resource, SigSet, SignalMasks};

/// Where psx's fields sit in `struct kinfo_proc`.
pub mod layout {
    /// Byte offsets, in one ABI, of the `struct kinfo_proc` fields psx reads.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Layout {
        /// `KINFO_PROC_SIZE`, which the kernel also writes in `ki_structsize`.
        pub size: usize,
        /// `pid_t ki_pid`.
        pub pid: usize,
        /// `pid_t ki_pgid`.
        pub pgid: usize,
        /// `pid_t ki_sid`.
        pub sid: usize,
        /// `sigset_t ki_siglist` (4 x `uint32_t`): pending.
        pub siglist: usize,
        /// `sigset_t ki_sigmask`: blocked (the first thread's).
        pub sigmask: usize,
        /// `sigset_t ki_sigignore`.
        pub sigignore: usize,
        /// `sigset_t ki_sigcatch`.
        pub sigcatch: usize,
        /// `short ki_ngroups`.
        pub ngroups: usize,
        /// `gid_t ki_groups[KI_NGROUPS]`.
        pub groups: usize,
        /// `u_int ki_cr_flags`.
        pub cr_flags: usize,
    }

    /// LP64: 8-byte pointers, `long`, `vm_size_t`, `segsz_t` and `time_t`.
    pub const LP64: Layout = Layout {
        size: 1088,
        pid: 72,
        pgid: 80,
        sid: 88,
        siglist: 104,
        sigmask: 120,
        sigignore: 136,
        sigcatch: 152,
        ngroups: 188,
        groups: 192,
        cr_flags: 588,
    };

    /// i386: 4-byte pointers, `long`, `vm_size_t`, `segsz_t` and `time_t`.
    pub const I386: Layout = Layout {
        size: 768,
        pid: 40,
        pgid: 48,
        sid: 56,
        siglist: 72,
        sigmask: 88,
        sigignore: 104,
        sigcatch: 120,
        ngroups: 156,
        groups: 160,
        cr_flags: 508,
    };

    /// The layout the kernel hands a process built for this target.
    #[cfg(target_arch = "x86")]
    pub const NATIVE: Layout = I386;
    /// The layout the kernel hands a process built for this target.
    #[cfg(not(target_arch = "x86"))]
    pub const NATIVE: Layout = LP64;

    /// `int ki_structsize`, first in every layout.
    pub const KI_STRUCTSIZE: usize = 0;
    /// `KI_NGROUPS`: `kinfo_proc` holds at most this many groups.
    pub const KI_NGROUPS: usize = 16;
    /// `KI_CRF_GRP_OVERFLOW`: the process has more groups than `ki_groups` holds.
    pub const KI_CRF_GRP_OVERFLOW: u32 = 0x8000_0000;
}

use layout::Layout;

/// `PID_MAX` (`sys/sys/proc.h`): the largest process id. Thread ids start just above
/// it, at `NO_PID` (`tid_alloc()` in `sys/kern/kern_thread.c`).
pub const PID_MAX: i32 = 99_999;

/// Whether `pid` can name a process.
///
/// `pget()` (`sys/kern/kern_proc.c`) looks an id above `PID_MAX` up as a thread
/// (`tdfind()`) unless its caller passes `PGET_NOTID`, which none of the
/// `KERN_PROC_PID`, `_GROUPS`, `_UMASK` and `_RLIMIT` handlers does, and then answers
/// for the thread's process: asked about a thread id, the kernel would read,
/// and set the limits of, another pid. `getpgid(2)` says ESRCH for the same id.
pub fn is_process_id(pid: i32) -> bool {
    (1..=PID_MAX).contains(&pid)
}

/// `CTL_KERN`, `KERN_PROC` and its sub-nodes (`sys/sysctl.h`).
const CTL_KERN: i32 = 1;
const KERN_PROC: i32 = 14;
const KERN_PROC_PID: i32 = 1;
const KERN_PROC_GROUPS: i32 = 34;
const KERN_PROC_RLIMIT: i32 = 37;
const KERN_PROC_UMASK: i32 = 39;

/// `EBUSY` and `EINVAL` (`sys/sys/errno.h`).
const EBUSY: i32 = 16;
const EINVAL: i32 = 22;

/// FreeBSD's `RLIM_INFINITY` (`sys/resource.h`): `((rlim_t)(((uint64_t)1 << 63) - 1))`.
pub const RLIM_INFINITY: u64 = 0x7fff_ffff_ffff_ffff;

/// `kern.proc.pid.<pid>`: one `kinfo_proc`.
pub fn kinfo_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
}

/// `kern.proc.groups.<pid>`: the full group list, `gid_t[]`.
pub fn groups_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_GROUPS, pid]
}

/// `kern.proc.umask.<pid>`: a `u_short`. Pid 0 would mean the caller itself.
pub fn umask_mib(pid: i32) -> [i32; 4] {
    [CTL_KERN, KERN_PROC, KERN_PROC_UMASK, pid]
}

/// `kern.proc.rlimit.<pid>.<resource>`: `struct rlimit`, read and written in one call.
pub fn rlimit_mib(pid: i32, resource_number: i32) -> [i32; 5] {
    [CTL_KERN, KERN_PROC, KERN_PROC_RLIMIT, pid, resource_number]
}

/// FreeBSD's `RLIMIT_*` number for `resource` (`sys/sys/resource.h`), whether or not
/// the running kernel has it (see [`known_resource_numbers`]).
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
        Resource::Npts => 11,
        Resource::Swap => 12,
        Resource::Kqueues => 13,
        Resource::Umtxp => 14,
        Resource::Pipebuf => 15,
        Resource::Vmm => 16,
        _ => return None,
    })
}

/// The largest number [`resource_number`] gives.
const LAST_RESOURCE_NUMBER: i32 = 16;

/// Which `RLIMIT_*` numbers the running kernel has, as a bit mask (bit `n` for
/// number `n`), from the caller's own `getrlimit(2)` of each.
///
/// `sys_getrlimit` (`sys/kern/kern_resource.c`) refuses `which >= RLIM_NLIMITS` with
/// EINVAL and nothing else for the caller's own limits, so EINVAL means the kernel
/// lacks the resource: `RLIMIT_VMM` before FreeBSD 15, `RLIMIT_PIPEBUF` on older ones.
/// `KERN_PROC_RLIMIT` refuses the same numbers with EINVAL, so listing such a
/// resource among a process's limits would fail the whole list.
pub fn known_resource_numbers(mut getrlimit: impl FnMut(i32) -> io::Result<()>) -> u32 {
    (0..=LAST_RESOURCE_NUMBER)
        .filter(|&number| match getrlimit(number) {
            Err(e) => e.raw_os_error() != Some(EINVAL),
            Ok(()) => true,
        })
        .fold(0, |mask, number| mask | 1 << number)
}

/// [`resource_number`], for a kernel that has the numbers in `known`
/// ([`known_resource_numbers`]).
pub fn resource_number_in(resource: Resource, known: u32) -> Option<i32> {
    resource_number(resource).filter(|&number| known & 1 << number != 0)
}

/// How many times a call refused with EBUSY is made in all, and the pause between.
pub const BUSY_ATTEMPTS: u32 = 10;
/// See [`BUSY_ATTEMPTS`].
pub const BUSY_PAUSE: Duration = Duration::from_millis(5);

/// Makes `call`, and makes it again after `pause(BUSY_PAUSE)` while it fails with
/// EBUSY, [`BUSY_ATTEMPTS`] times in all; returns the last answer.
///
/// `p_candebug` (`sys/kern/kern_prot.c`), which `KERN_PROC_UMASK` and a
/// `KERN_PROC_RLIMIT` set go through, answers EBUSY while the target is in `execve`
/// (`P_INEXEC`): a passing state, not an answer about the process.
pub fn retry_while_busy<T>(
    mut call: impl FnMut() -> io::Result<T>,
    mut pause: impl FnMut(Duration),
) -> io::Result<T> {
    let mut attempt = 1;
    loop {
        match call() {
            Err(e) if e.raw_os_error() == Some(EBUSY) && attempt < BUSY_ATTEMPTS => {
                attempt += 1;
                pause(BUSY_PAUSE);
            }
            answer => return answer,
        }
    }
}

/// Whether a failed `KERN_PROC_RLIMIT` call was refused for its resource number:
/// `sysctl_kern_proc_rlimit` (`sys/kern/kern_proc.c`) answers EINVAL only for
/// `which >= RLIM_NLIMITS` or a new value of the wrong size, which psx never sends.
pub fn is_unknown_resource(err: &io::Error) -> bool {
    err.raw_os_error() == Some(EINVAL)
}

/// Why a reply could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than expected.
    Truncated {
        /// What was being decoded.
        what: &'static str,
        /// Bytes received.
        len: usize,
    },
    /// `ki_structsize` is not the size psx was built for: a kernel with another ABI.
    StructSize {
        /// The kernel's `ki_structsize`.
        got: i32,
        /// The layout's size.
        expected: usize,
    },
    /// `ki_ngroups` outside `0..=KI_NGROUPS`.
    BadGroupCount(i16),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { what, len } => {
                write!(f, "{what} reply of {len} bytes is too short")
            }
            DecodeError::StructSize { got, expected } => write!(
                f,
                "kernel's kinfo_proc is {got} bytes, psx was built for {expected}: \
                 a different FreeBSD ABI"
            ),
            DecodeError::BadGroupCount(n) => write!(f, "kinfo_proc claims {n} groups"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What psx takes from one `kinfo_proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `ki_pid`.
    pub pid: i32,
    /// `ki_pgid`.
    pub pgid: i32,
    /// `ki_sid`.
    pub sid: i32,
    /// `ki_groups[..ki_ngroups]`, the effective gid first (`fill_kinfo_proc_only` in
    /// `sys/kern/kern_proc.c`, on every release), or `None` when
    /// `KI_CRF_GRP_OVERFLOW` says it is truncated (then `KERN_PROC_GROUPS` has the
    /// full list).
    pub groups: Option<Vec<u32>>,
    /// pending, blocked, ignored, caught (no separate process-wide pending on FreeBSD).
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

fn u64_at(buf: &[u8], at: usize) -> u64 {
    at.checked_add(8)
        .and_then(|end| buf.get(at..end))
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_ne_bytes)
}

fn sigset_at(buf: &[u8], at: usize) -> SigSet {
    SigSet::from_words(&[0, 4, 8, 12].map(|o| u32_at(buf, at + o)))
}

fn ngroups_at(buf: &[u8], at: usize) -> i16 {
    match buf.get(at..).and_then(|b| b.get(..2)) {
        Some(&[a, b]) => i16::from_ne_bytes([a, b]),
        _ => 0,
    }
}

/// Decodes one `kinfo_proc` in this target's layout ([`layout::NATIVE`]).
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    kinfo_as(&layout::NATIVE, buf)
}

/// Decodes one `kinfo_proc` in `layout`, checking `ki_structsize` first.
pub fn kinfo_as(layout: &Layout, buf: &[u8]) -> Result<Kinfo, DecodeError> {
    if buf.len() < 4 {
        return Err(DecodeError::Truncated {
            what: "kinfo_proc",
            len: buf.len(),
        });
    }
    let structsize = u32_at(buf, layout::KI_STRUCTSIZE) as i32;
    if usize::try_from(structsize).ok() != Some(layout.size) {
        return Err(DecodeError::StructSize {
            got: structsize,
            expected: layout.size,
        });
    }
    if buf.len() < layout.size {
        return Err(DecodeError::Truncated {
            what: "kinfo_proc",
            len: buf.len(),
        });
    }
    let ngroups = ngroups_at(buf, layout.ngroups);
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= layout::KI_NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    let overflow = u32_at(buf, layout.cr_flags) & layout::KI_CRF_GRP_OVERFLOW != 0;
    Ok(Kinfo {
        pid: u32_at(buf, layout.pid) as i32,
        pgid: u32_at(buf, layout.pgid) as i32,
        sid: u32_at(buf, layout.sid) as i32,
        groups: (!overflow).then(|| {
            (0..count)
                .map(|i| u32_at(buf, layout.groups + 4 * i))
                .collect()
        }),
        sigmasks: SignalMasks {
            pending: Some(sigset_at(buf, layout.siglist)),
            blocked: Some(sigset_at(buf, layout.sigmask)),
            ignored: Some(sigset_at(buf, layout.sigignore)),
            caught: Some(sigset_at(buf, layout.sigcatch)),
            process_pending: None,
        },
    })
}

/// The `KERN_PROC_PID` reply to a question about `pid`: `None` when it names no such
/// process, either because it is empty or because it describes another pid (the
/// process of a thread id, which `pget()` resolves; see [`is_process_id`]).
pub fn kinfo_for(pid: i32, reply: &[u8]) -> Result<Option<Kinfo>, DecodeError> {
    if reply.is_empty() {
        return Ok(None);
    }
    Ok(Some(kinfo(reply)?).filter(|k| k.pid == pid))
}

/// Decodes a `KERN_PROC_GROUPS` reply: `gid_t[]`, as many as fit in `buf` (a trailing
/// partial `gid_t` is ignored).
///
/// `sysctl_kern_proc_groups` (`sys/kern/kern_proc.c`) writes the effective gid first
/// on every release (from FreeBSD 15 `cr_gid` ahead of `cr_groups`, before that
/// `cr_groups`, whose first entry it was), then the supplementary groups: a reply
/// without one whole `gid_t` did not come from it.
pub fn groups(buf: &[u8]) -> Result<Vec<u32>, DecodeError> {
    if buf.len() < 4 {
        return Err(DecodeError::Truncated {
            what: "groups",
            len: buf.len(),
        });
    }
    Ok(buf.chunks_exact(4).map(|c| u32_at(c, 0)).collect())
}

/// Decodes a `KERN_PROC_UMASK` reply: one `u_short`.
pub fn umask(buf: &[u8]) -> Result<u32, DecodeError> {
    match buf {
        [a, b] => Ok(u32::from(u16::from_ne_bytes([*a, *b]))),
        _ => Err(DecodeError::Truncated {
            what: "umask",
            len: buf.len(),
        }),
    }
}

/// `sizeof(struct rlimit)` (`sys/resource.h`: two `rlim_t`, i.e. `int64_t`, `rlim_cur`
/// then `rlim_max`; the same on i386).
pub const RLIMIT_SIZE: usize = 16;

/// Decodes a `KERN_PROC_RLIMIT` reply: `struct rlimit { rlim_t rlim_cur, rlim_max; }`.
///
/// `rlim_t` is signed on FreeBSD and the kernel treats a negative limit as infinity;
/// read as unsigned, such a value is above `RLIM_INFINITY` and so also unlimited.
pub fn rlimit(buf: &[u8]) -> Result<RLimit, DecodeError> {
    if buf.len() != RLIMIT_SIZE {
        return Err(DecodeError::Truncated {
            what: "rlimit",
            len: buf.len(),
        });
    }
    Ok(RLimit::from_raw(
        u64_at(buf, 0),
        u64_at(buf, 8),
        RLIM_INFINITY,
    ))
}

/// Encodes a `struct rlimit` for `KERN_PROC_RLIMIT` (a value at or above
/// `RLIM_INFINITY` becomes `RLIM_INFINITY`, never a negative `rlim_t`).
pub fn encode_rlimit(limit: RLimit) -> [u8; RLIMIT_SIZE] {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = raw(limit.soft).to_ne_bytes();
    let [h0, h1, h2, h3, h4, h5, h6, h7] = raw(limit.hard).to_ne_bytes();
    [
        s0, s1, s2, s3, s4, s5, s6, s7, h0, h1, h2, h3, h4, h5, h6, h7,
    ]
}

fn raw(limit: Limit) -> u64 {
    limit.to_raw(RLIM_INFINITY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fields psx reads, as a test process has them.
    #[derive(Debug, Clone)]
    struct Proc {
        pid: i32,
        pgid: i32,
        sid: i32,
        ngroups: i16,
        groups: Vec<u32>,
        cr_flags: u32,
        /// siglist, sigmask, sigignore, sigcatch.
        masks: [[u32; 4]; 4],
    }

    fn proc_501() -> Proc {
        Proc {
            pid: 501,
            pgid: 500,
            sid: 400,
            ngroups: 2,
            groups: vec![20, 5],
            cr_flags: 0,
            // SIGUSR1 (30) pending, SIGINT blocked, SIGPIPE ignored, SIGRTMIN (65) caught.
            masks: [
                [1 << 29, 0, 0, 0],
                [1 << 1, 0, 0, 0],
                [1 << 12, 0, 0, 0],
                [0, 0, 1, 0],
            ],
        }
    }

    fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn put_sigset(buf: &mut [u8], at: usize, words: [u32; 4]) {
        for (i, w) in words.iter().enumerate() {
            put(buf, at + 4 * i, &w.to_ne_bytes());
        }
    }

    fn put_groups(buf: &mut [u8], at: usize, groups: &[u32]) {
        for (i, g) in groups.iter().enumerate() {
            put(buf, at + 4 * i, &g.to_ne_bytes());
        }
    }

    /// A `struct kinfo_proc` as `sys/sys/user.h` lays it out for amd64 (LP64:
    /// 8-byte pointers, `long`, `vm_size_t`, `segsz_t`, `time_t`; `KINFO_PROC_SIZE`
    /// 1088), each offset counted from the header's field list. Every other byte is
    /// filler that psx must not read.
    fn amd64_kinfo(p: &Proc) -> Vec<u8> {
        let mut buf = vec![0xEE; 1088];
        // ki_structsize at offset 0.
        put(&mut buf, 0, &1088i32.to_ne_bytes());
        // ki_pid at 72: ki_structsize and ki_layout (8), then 8 pointers (64).
        put(&mut buf, 72, &p.pid.to_ne_bytes());
        // ki_pgid at 80, after ki_ppid at 76.
        put(&mut buf, 80, &p.pgid.to_ne_bytes());
        // ki_sid at 88, after ki_tpgid at 84.
        put(&mut buf, 88, &p.sid.to_ne_bytes());
        // ki_siglist at 104: ki_tsid 92, ki_jobc and ki_spare_short1 96,
        // ki_tdev_freebsd11 100; then ki_sigmask, ki_sigignore, ki_sigcatch, 16 each.
        put_sigset(&mut buf, 104, p.masks[0]);
        put_sigset(&mut buf, 120, p.masks[1]);
        put_sigset(&mut buf, 136, p.masks[2]);
        put_sigset(&mut buf, 152, p.masks[3]);
        // ki_ngroups at 188: ki_uid 168, ki_ruid 172, ki_svuid 176, ki_rgid 180,
        // ki_svgid 184; then ki_spare_short2 190, ki_groups at 192.
        put(&mut buf, 188, &p.ngroups.to_ne_bytes());
        put_groups(&mut buf, 192, &p.groups);
        // ki_cr_flags at 588: ki_tdev (uint64_t) 560, ki_oncpu 568, ki_lastcpu 572,
        // ki_tracer 576, ki_flag2 580, ki_fibnum 584.
        put(&mut buf, 588, &p.cr_flags.to_ne_bytes());
        buf
    }

    /// A `struct kinfo_proc` as `sys/sys/user.h` lays it out for i386 (4-byte
    /// pointers, `long`, `vm_size_t`, `segsz_t` and `time_t`, `uint64_t` aligned to 4;
    /// `KINFO_PROC_SIZE` 768, which the fields below ki_cr_flags add up to), each
    /// offset counted from the header's field list.
    fn i386_kinfo(p: &Proc) -> Vec<u8> {
        let mut buf = vec![0xEE; 768];
        // ki_structsize at offset 0.
        put(&mut buf, 0, &768i32.to_ne_bytes());
        // ki_pid at 40: ki_structsize and ki_layout (8), then 8 pointers (32).
        put(&mut buf, 40, &p.pid.to_ne_bytes());
        // ki_pgid at 48, after ki_ppid at 44.
        put(&mut buf, 48, &p.pgid.to_ne_bytes());
        // ki_sid at 56, after ki_tpgid at 52.
        put(&mut buf, 56, &p.sid.to_ne_bytes());
        // ki_siglist at 72: ki_tsid 60, ki_jobc and ki_spare_short1 64,
        // ki_tdev_freebsd11 68; then ki_sigmask, ki_sigignore, ki_sigcatch, 16 each.
        put_sigset(&mut buf, 72, p.masks[0]);
        put_sigset(&mut buf, 88, p.masks[1]);
        put_sigset(&mut buf, 104, p.masks[2]);
        put_sigset(&mut buf, 120, p.masks[3]);
        // ki_ngroups at 156: ki_uid 136, ki_ruid 140, ki_svuid 144, ki_rgid 148,
        // ki_svgid 152; then ki_spare_short2 158, ki_groups at 160.
        put(&mut buf, 156, &p.ngroups.to_ne_bytes());
        put_groups(&mut buf, 160, &p.groups);
        // ki_cr_flags at 508: ki_groups end at 224; six 4-byte sizes, ki_xstat and
        // ki_acflag, five u_int (to 272), ki_runtime 272, ki_start 280,
        // ki_childtime 288, ki_flag 296, ki_kiflag 300, ki_traceflag 304, six chars
        // 308, the name arrays 314..426, ki_sparestrings 426, ki_spareints 472,
        // ki_tdev 480, ki_oncpu 488, ki_lastcpu 492, ki_tracer 496, ki_flag2 500,
        // ki_fibnum 504.
        put(&mut buf, 508, &p.cr_flags.to_ne_bytes());
        buf
    }

    /// This target's layout, as the kernel hands it to psx.
    fn native_kinfo(p: &Proc) -> Vec<u8> {
        if cfg!(target_arch = "x86") {
            i386_kinfo(p)
        } else {
            amd64_kinfo(p)
        }
    }

    fn expected(p: &Proc) -> Kinfo {
        let overflow = p.cr_flags & 0x8000_0000 != 0;
        Kinfo {
            pid: p.pid,
            pgid: p.pgid,
            sid: p.sid,
            groups: (!overflow).then(|| p.groups[..p.ngroups as usize].to_vec()),
            sigmasks: SignalMasks {
                pending: Some(SigSet::from_words(&p.masks[0])),
                blocked: Some(SigSet::from_words(&p.masks[1])),
                ignored: Some(SigSet::from_words(&p.masks[2])),
                caught: Some(SigSet::from_words(&p.masks[3])),
                process_pending: None,
            },
        }
    }

    #[test]
    fn amd64_layout_is_the_headers() {
        let k = kinfo_as(&layout::LP64, &amd64_kinfo(&proc_501())).unwrap();
        assert_eq!(k, expected(&proc_501()));
        let m = k.sigmasks;
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![65]);
    }

    #[test]
    fn i386_layout_is_the_headers() {
        let k = kinfo_as(&layout::I386, &i386_kinfo(&proc_501())).unwrap();
        assert_eq!(k, expected(&proc_501()));
    }

    #[test]
    fn one_abis_struct_is_not_read_as_the_others() {
        let err = kinfo_as(&layout::LP64, &i386_kinfo(&proc_501())).unwrap_err();
        assert_eq!(
            err,
            DecodeError::StructSize {
                got: 768,
                expected: 1088
            }
        );
        let err = kinfo_as(&layout::I386, &amd64_kinfo(&proc_501())).unwrap_err();
        assert_eq!(
            err,
            DecodeError::StructSize {
                got: 1088,
                expected: 768
            }
        );
    }

    #[test]
    fn the_native_layout_is_the_targets() {
        let size = if cfg!(target_arch = "x86") { 768 } else { 1088 };
        assert_eq!(layout::NATIVE.size, size);
        assert_eq!(kinfo(&native_kinfo(&proc_501())), Ok(expected(&proc_501())));
    }

    /// What `pget()` (`sys/kern/kern_proc.c`) resolves an id to, on a system with
    /// process 501 whose second thread is 100123: a pid up to `PID_MAX` names itself,
    /// a larger id is looked up as a thread (`tdfind()`) and answers for its process.
    fn pget(id: i32) -> Option<i32> {
        if id <= 99_999 {
            (id == 501).then_some(id)
        } else {
            (id == 100_123).then_some(501)
        }
    }

    /// The `KERN_PROC_PID` handler (`sysctl_kern_proc`): the `kinfo_proc` of what
    /// `pget()` found, ESRCH (here: no bytes) otherwise.
    fn kern_proc_pid(id: i32) -> Vec<u8> {
        pget(id).map_or_else(Vec::new, |pid| native_kinfo(&Proc { pid, ..proc_501() }))
    }

    #[test]
    fn a_thread_id_names_no_process() {
        assert_eq!(
            kinfo_for(501, &kern_proc_pid(501)),
            Ok(Some(expected(&proc_501())))
        );
        // The kernel answers thread 100123 with process 501's kinfo_proc.
        assert!(!kern_proc_pid(100_123).is_empty());
        assert_eq!(kinfo_for(100_123, &kern_proc_pid(100_123)), Ok(None));
        assert_eq!(kinfo_for(502, &kern_proc_pid(502)), Ok(None));
        // And psx does not ask: above PID_MAX no id is a process.
        assert!(is_process_id(1) && is_process_id(99_999));
        for id in [100_000, 100_123, i32::MAX, 0, -1, i32::MIN] {
            assert!(!is_process_id(id), "{id}");
        }
    }

    #[test]
    fn zero_sixteen_and_overflowing_groups() {
        let with = |groups: Vec<u32>, ngroups: i16, cr_flags: u32| Proc {
            groups,
            ngroups,
            cr_flags,
            ..proc_501()
        };
        for (layout, build) in [
            (layout::LP64, amd64_kinfo as fn(&Proc) -> Vec<u8>),
            (layout::I386, i386_kinfo),
        ] {
            let decode = |p: &Proc| kinfo_as(&layout, &build(p)).map(|k| k.groups);
            assert_eq!(decode(&with(vec![], 0, 0)), Ok(Some(vec![])));
            let sixteen: Vec<u32> = (10..26).collect();
            assert_eq!(
                decode(&with(sixteen.clone(), 16, 0)),
                Ok(Some(sixteen.clone()))
            );
            // fill_kinfo_proc_only: more groups than KI_NGROUPS sets the flag.
            assert_eq!(decode(&with(sixteen.clone(), 16, 0x8000_0000)), Ok(None));
            assert_eq!(
                decode(&with(vec![], 99, 0)),
                Err(DecodeError::BadGroupCount(99))
            );
        }
    }

    #[test]
    fn structsize_and_length_are_checked() {
        let mut other_abi = amd64_kinfo(&proc_501());
        other_abi[..4].copy_from_slice(&1096i32.to_ne_bytes());
        assert_eq!(
            kinfo_as(&layout::LP64, &other_abi),
            Err(DecodeError::StructSize {
                got: 1096,
                expected: 1088
            })
        );
        let buf = amd64_kinfo(&proc_501());
        for len in [0, 3] {
            assert!(matches!(
                kinfo_as(&layout::LP64, &buf[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        assert_eq!(
            kinfo_as(&layout::LP64, &buf[..100]),
            Err(DecodeError::Truncated {
                what: "kinfo_proc",
                len: 100
            })
        );
    }

    #[test]
    fn a_larger_kernel_struct_is_named_in_the_error() {
        // What read_kinfo hands over when a newer kernel's kinfo_proc is bigger than
        // the struct psx knows: the kernel's bytes, led by its own ki_structsize.
        let mut newer = vec![0u8; 2 * layout::NATIVE.size];
        newer[..4].copy_from_slice(&1152i32.to_ne_bytes());
        let err = kinfo(&newer).unwrap_err();
        assert!(matches!(err, DecodeError::StructSize { got: 1152, .. }));
        assert!(err.to_string().contains("1152"), "{err}");
        let own = layout::NATIVE.size.to_string();
        assert!(err.to_string().contains(&own), "{err}");
    }

    /// `sysctl_kern_proc_groups` (`sys/kern/kern_proc.c`, FreeBSD 15): `cr_gid`, then
    /// `cr_groups[..cr_ngroups]`, which since 15 holds only the supplementary groups.
    /// Up to 14 the handler wrote `cr_groups` alone, whose first entry was the
    /// effective gid: the same bytes.
    fn kern_proc_groups(egid: u32, supplementary: &[u32]) -> Vec<u8> {
        std::iter::once(egid)
            .chain(supplementary.iter().copied())
            .flat_map(u32::to_ne_bytes)
            .collect()
    }

    #[test]
    fn group_lists_start_with_the_effective_gid() {
        // No supplementary groups is still one gid, never an empty reply.
        assert_eq!(groups(&kern_proc_groups(20, &[])), Ok(vec![20]));
        let many: Vec<u32> = (1000..1040).collect();
        let mut bytes = kern_proc_groups(20, &many);
        let mut want = vec![20];
        want.extend(&many);
        assert_eq!(groups(&bytes), Ok(want.clone()));
        // A torn trailing gid_t is dropped, not misread.
        bytes.extend_from_slice(&[1, 2]);
        assert_eq!(groups(&bytes), Ok(want));
        // Less than one gid is no reply of this handler.
        for len in [0, 3] {
            assert_eq!(
                groups(&bytes[..len]),
                Err(DecodeError::Truncated {
                    what: "groups",
                    len
                })
            );
        }
    }

    #[test]
    fn small_replies() {
        assert_eq!(umask(&0o022u16.to_ne_bytes()), Ok(0o022));
        assert!(umask(&[1]).is_err());
        let pair = RLimit::new(Limit::Value(1024), Limit::Unlimited);
        let bytes = encode_rlimit(pair);
        assert_eq!(&bytes[8..], &RLIM_INFINITY.to_ne_bytes());
        assert_eq!(rlimit(&bytes), Ok(pair));
        assert!(rlimit(&bytes[..15]).is_err());
    }

    #[test]
    fn negative_rlim_t_is_unlimited() {
        // rlim_t is int64_t: the kernel stores -1 (or any negative) as infinity.
        let mut bytes = [0u8; RLIMIT_SIZE];
        bytes[..8].copy_from_slice(&(-1i64).to_ne_bytes());
        bytes[8..].copy_from_slice(&4096i64.to_ne_bytes());
        assert_eq!(
            rlimit(&bytes),
            Ok(RLimit::new(Limit::Unlimited, Limit::Value(4096)))
        );
        // A value psx is asked to set at or above infinity is sent as RLIM_INFINITY.
        let huge = encode_rlimit(RLimit::new(Limit::Value(u64::MAX), Limit::Unlimited));
        assert_eq!(&huge[..8], &RLIM_INFINITY.to_ne_bytes());
    }

    #[test]
    fn mibs_and_resources() {
        assert_eq!(kinfo_mib(7), [1, 14, 1, 7]);
        assert_eq!(umask_mib(7), [1, 14, 39, 7]);
        assert_eq!(groups_mib(7), [1, 14, 34, 7]);
        assert_eq!(rlimit_mib(7, 8), [1, 14, 37, 7, 8]);
        assert_eq!(resource_number(Resource::Umtxp), Some(14));
        assert_eq!(resource_number(Resource::Pipebuf), Some(15));
        // RLIMIT_VMM, sys/sys/resource.h (FreeBSD 15).
        assert_eq!(resource_number(Resource::Vmm), Some(16));
        assert_eq!(resource_number(Resource::Rttime), None);
        assert!(Resource::ALL
            .iter()
            .filter_map(|&r| resource_number(r))
            .all(|n| n <= LAST_RESOURCE_NUMBER));
    }

    /// `sys_getrlimit` (`sys/kern/kern_resource.c`) on a kernel with `nlimits`
    /// resources (`RLIM_NLIMITS`: 16 on FreeBSD 14, 17 on 15): EINVAL past the end.
    fn sys_getrlimit(nlimits: i32) -> impl FnMut(i32) -> io::Result<()> {
        move |which| {
            if which >= nlimits {
                Err(io::Error::from_raw_os_error(22))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn resources_the_running_kernel_lacks_are_left_out() {
        let freebsd14 = known_resource_numbers(sys_getrlimit(16));
        assert_eq!(resource_number_in(Resource::Pipebuf, freebsd14), Some(15));
        assert_eq!(resource_number_in(Resource::Vmm, freebsd14), None);
        let freebsd15 = known_resource_numbers(sys_getrlimit(17));
        assert_eq!(resource_number_in(Resource::Vmm, freebsd15), Some(16));
        let before_pipebuf = known_resource_numbers(sys_getrlimit(15));
        assert_eq!(resource_number_in(Resource::Pipebuf, before_pipebuf), None);
        assert_eq!(
            resource_number_in(Resource::Umtxp, before_pipebuf),
            Some(14)
        );
        // Only EINVAL says "no such resource"; another failure leaves it to the call.
        let odd = known_resource_numbers(|_| Err(io::Error::from_raw_os_error(14)));
        assert_eq!(resource_number_in(Resource::Vmm, odd), Some(16));
        assert_eq!(resource_number_in(Resource::Rttime, u32::MAX), None);
        assert!(is_unknown_resource(&io::Error::from_raw_os_error(22)));
        assert!(!is_unknown_resource(&io::Error::from_raw_os_error(1)));
    }

    /// A target in `execve` for its first `busy` checks: `p_candebug`
    /// (`sys/kern/kern_prot.c`) answers EBUSY while `P_INEXEC` is set, then the
    /// handler answers (here: umask 022).
    fn execing(busy: u32) -> impl FnMut() -> io::Result<u32> {
        let mut checks = 0;
        move || {
            checks += 1;
            if checks <= busy {
                Err(io::Error::from_raw_os_error(16))
            } else {
                Ok(0o022)
            }
        }
    }

    #[test]
    fn a_target_in_exec_is_asked_again() {
        let mut pauses = Vec::new();
        let answer = retry_while_busy(execing(3), |d| pauses.push(d));
        assert_eq!(answer.unwrap(), 0o022);
        assert_eq!(pauses, vec![BUSY_PAUSE; 3]);
        // Still busy after the last attempt: that EBUSY is the answer.
        let mut pauses = 0;
        let err = retry_while_busy(execing(u32::MAX), |_| pauses += 1).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(16));
        assert_eq!(pauses, BUSY_ATTEMPTS - 1);
        // Any other answer is final at once.
        let mut calls = 0;
        let err = retry_while_busy(
            || -> io::Result<()> {
                calls += 1;
                Err(io::Error::from_raw_os_error(1))
            },
            |_| unreachable!("EPERM is not retried"),
        )
        .unwrap_err();
        assert_eq!((err.raw_os_error(), calls), (Some(1), 1));
    }

    fn arbitrary_proc() -> impl Strategy<Value = Proc> {
        (
            proptest::collection::vec(any::<u32>(), 0..=16),
            any::<[[u32; 4]; 4]>(),
            any::<bool>(),
            any::<[i32; 3]>(),
        )
            .prop_map(|(groups, masks, overflow, [pid, pgid, sid])| Proc {
                pid,
                pgid,
                sid,
                ngroups: groups.len() as i16,
                groups,
                cr_flags: if overflow { 0x8000_0000 } else { 0 },
                masks,
            })
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let _ = kinfo_as(&layout::LP64, &bytes);
            let _ = kinfo_as(&layout::I386, &bytes);
            let _ = kinfo_for(1, &bytes);
            let _ = groups(&bytes);
            let _ = umask(&bytes);
            let _ = rlimit(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn kinfo_round_trips(p in arbitrary_proc()) {
            prop_assert_eq!(kinfo_as(&layout::LP64, &amd64_kinfo(&p)), Ok(expected(&p)));
            prop_assert_eq!(kinfo_as(&layout::I386, &i386_kinfo(&p)), Ok(expected(&p)));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn group_lists_round_trip(
            egid in any::<u32>(),
            gids in proptest::collection::vec(any::<u32>(), 0..200),
        ) {
            let mut want = vec![egid];
            want.extend(&gids);
            prop_assert_eq!(groups(&kern_proc_groups(egid, &gids)), Ok(want));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn rlimits_round_trip(soft in any::<u64>(), hard in any::<u64>()) {
            let pair = RLimit::from_raw(soft, hard, RLIM_INFINITY);
            prop_assert_eq!(rlimit(&encode_rlimit(pair)).unwrap(), pair);
        }
    }
}
