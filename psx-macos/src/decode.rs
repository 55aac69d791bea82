//! Pure decoding for macOS, tested on every host: `struct kinfo_proc` bytes (one
//! process's, or the whole process table's) and `struct proc_uniqidentifierinfo` bytes to
//! psx types, and the answers psx gives for a process the kernel is tearing down.
//!
//! The libc crate has no `kinfo_proc` for Apple targets, so the structs are transcribed
//! below from XNU: `struct extern_proc` (`bsd/sys/proc.h`), `struct eproc`, `struct
//! _pcred`, `struct _ucred` (`bsd/sys/sysctl.h`) and `struct vmspace` (`bsd/sys/vm.h`),
//! for LP64 (x86_64 and arm64 alike: pointers, `long` and `time_t` 8 bytes aligned to 8,
//! `suseconds_t` 4, `sigset_t` 4, `boolean_t` 4, `NGROUPS` 16, `MAXCOMLEN` 16). The kernel
//! writes the same bytes from its `user64_*` twins of these structs (`bsd/sys/sysctl.h`,
//! `bsd/sys/proc_internal.h`). Every 64-bit field is a [`Word64`], 8-aligned on any host,
//! so the layout is the target's wherever the crate compiles (a bare `u64` aligns to 4
//! on i386); the compiler computes the offsets decoding uses, compile-time assertions
//! pin them and the total size (648 bytes), and the tests write their fixtures at the
//! headers' literal offsets.

use core::mem::{offset_of, size_of};

use psx_core::bytes::{array, c_string_at, i32_at, i64_at, u32_at, u64_at};
use psx_core::{Error, OpenFiles, Pid, Result, SigSet, SignalMasks, StartTime};

/// A 64-bit field of an LP64 struct (a pointer, `long`, `time_t`, `u_quad_t`): 8 bytes,
/// aligned to 8 whatever the host.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct Word64(pub u64);

/// `struct timeval` (LP64 Darwin: `time_t` 8 bytes, `suseconds_t` 4, padded to 16).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Timeval {
    /// `tv_sec`.
    pub tv_sec: Word64,
    /// `tv_usec`.
    pub tv_usec: i32,
}

/// `struct extern_proc`, `bsd/sys/proc.h`.
#[repr(C)]
pub struct ExternProc {
    /// `union p_un { struct { p_forw, p_back } p_st1; struct timeval __p_starttime; }`.
    pub p_un: [Word64; 2],
    /// `struct vmspace *p_vmspace`.
    pub p_vmspace: Word64,
    /// `struct sigacts *p_sigacts`.
    pub p_sigacts: Word64,
    /// `int p_flag`.
    pub p_flag: i32,
    /// `char p_stat`.
    pub p_stat: i8,
    /// `pid_t p_pid`.
    pub p_pid: i32,
    /// `pid_t p_oppid`.
    pub p_oppid: i32,
    /// `int p_dupfd`.
    pub p_dupfd: i32,
    /// `caddr_t user_stack`.
    pub user_stack: Word64,
    /// `void *exit_thread`.
    pub exit_thread: Word64,
    /// `int p_debugger`.
    pub p_debugger: i32,
    /// `boolean_t sigwait`.
    pub sigwait: i32,
    /// `u_int p_estcpu`.
    pub p_estcpu: u32,
    /// `int p_cpticks`.
    pub p_cpticks: i32,
    /// `fixpt_t p_pctcpu`.
    pub p_pctcpu: u32,
    /// `void *p_wchan`.
    pub p_wchan: Word64,
    /// `char *p_wmesg`.
    pub p_wmesg: Word64,
    /// `u_int p_swtime`.
    pub p_swtime: u32,
    /// `u_int p_slptime`.
    pub p_slptime: u32,
    /// `struct itimerval p_realtimer`.
    pub p_realtimer: [Timeval; 2],
    /// `struct timeval p_rtime`.
    pub p_rtime: Timeval,
    /// `u_quad_t p_uticks`.
    pub p_uticks: Word64,
    /// `u_quad_t p_sticks`.
    pub p_sticks: Word64,
    /// `u_quad_t p_iticks`.
    pub p_iticks: Word64,
    /// `int p_traceflag`.
    pub p_traceflag: i32,
    /// `struct vnode *p_tracep`.
    pub p_tracep: Word64,
    /// `int p_siglist` (deprecated: always 0).
    pub p_siglist: i32,
    /// `struct vnode *p_textvp`.
    pub p_textvp: Word64,
    /// `int p_holdcnt`.
    pub p_holdcnt: i32,
    /// `sigset_t p_sigmask` (deprecated: always 0).
    pub p_sigmask: u32,
    /// `sigset_t p_sigignore`.
    pub p_sigignore: u32,
    /// `sigset_t p_sigcatch`.
    pub p_sigcatch: u32,
    /// `u_char p_priority`.
    pub p_priority: u8,
    /// `u_char p_usrpri`.
    pub p_usrpri: u8,
    /// `char p_nice`.
    pub p_nice: i8,
    /// `char p_comm[MAXCOMLEN + 1]`.
    pub p_comm: [u8; layout::COMM_LEN],
    /// `struct pgrp *p_pgrp`.
    pub p_pgrp: Word64,
    /// `struct user *p_addr`.
    pub p_addr: Word64,
    /// `u_short p_xstat`.
    pub p_xstat: u16,
    /// `u_short p_acflag`.
    pub p_acflag: u16,
    /// `struct rusage *p_ru`.
    pub p_ru: Word64,
}

/// `struct _pcred`, `bsd/sys/sysctl.h`.
#[repr(C)]
pub struct Pcred {
    /// `char pc_lock[72]`.
    pub pc_lock: [u8; 72],
    /// `struct ucred *pc_ucred`.
    pub pc_ucred: Word64,
    /// `uid_t p_ruid`: the real uid, which `RLIMIT_NPROC` counts processes by.
    pub p_ruid: u32,
    /// `uid_t p_svuid`, `gid_t p_rgid`, `gid_t p_svgid`, `int p_refcnt`.
    pub ids: [u32; 4],
}

/// `struct _ucred`, `bsd/sys/sysctl.h`.
#[repr(C)]
pub struct Ucred {
    /// `int32_t cr_ref`.
    pub cr_ref: i32,
    /// `uid_t cr_uid`.
    pub cr_uid: u32,
    /// `short cr_ngroups`.
    pub cr_ngroups: i16,
    /// `gid_t cr_groups[NGROUPS]`.
    pub cr_groups: [u32; 16],
}

/// `struct vmspace` as userland sees it, `bsd/sys/vm.h`.
#[repr(C)]
pub struct Vmspace {
    /// `int vm_refcnt`.
    pub vm_refcnt: i32,
    /// `caddr_t vm_shm`.
    pub vm_shm: Word64,
    /// `segsz_t vm_rssize, vm_swrss, vm_tsize, vm_dsize, vm_ssize`.
    pub sizes: [i32; 5],
    /// `caddr_t vm_taddr, vm_daddr, vm_maxsaddr`.
    pub addrs: [Word64; 3],
}

/// `struct eproc`, `bsd/sys/sysctl.h`.
#[repr(C)]
pub struct Eproc {
    /// `struct proc *e_paddr`.
    pub e_paddr: Word64,
    /// `struct session *e_sess`.
    pub e_sess: Word64,
    /// `struct _pcred e_pcred`.
    pub e_pcred: Pcred,
    /// `struct _ucred e_ucred`.
    pub e_ucred: Ucred,
    /// `struct vmspace e_vm`.
    pub e_vm: Vmspace,
    /// `pid_t e_ppid`.
    pub e_ppid: i32,
    /// `pid_t e_pgid`.
    pub e_pgid: i32,
    /// `short e_jobc`.
    pub e_jobc: i16,
    /// `dev_t e_tdev`.
    pub e_tdev: i32,
    /// `pid_t e_tpgid`.
    pub e_tpgid: i32,
    /// `struct session *e_tsess`.
    pub e_tsess: Word64,
    /// `char e_wmesg[WMESGLEN + 1]`.
    pub e_wmesg: [u8; 8],
    /// `segsz_t e_xsize`.
    pub e_xsize: i32,
    /// `short e_xrssize, e_xccount, e_xswrss`.
    pub e_xshorts: [i16; 3],
    /// `int32_t e_flag`.
    pub e_flag: i32,
    /// `char e_login[COMAPT_MAXLOGNAME]`.
    pub e_login: [u8; 12],
    /// `int32_t e_spare[4]`.
    pub e_spare: [i32; 4],
}

/// `struct kinfo_proc`, `bsd/sys/sysctl.h`.
#[repr(C)]
pub struct KinfoProc {
    /// `struct extern_proc kp_proc`.
    pub kp_proc: ExternProc,
    /// `struct eproc kp_eproc`.
    pub kp_eproc: Eproc,
}

/// The offsets decoding reads, as the compiler lays out the transcription.
pub mod layout {
    use super::*;
    /// `sizeof(struct kinfo_proc)`.
    pub const SIZE: usize = size_of::<KinfoProc>();
    /// `kp_proc.p_starttime` (`p_un.__p_starttime`): `tv_sec`, then `tv_usec`.
    pub const P_STARTTIME: usize = offset_of!(ExternProc, p_un);
    /// `kp_proc.p_starttime.tv_usec`.
    pub const P_STARTTIME_USEC: usize = P_STARTTIME + offset_of!(Timeval, tv_usec);
    /// `kp_proc.p_flag`.
    pub const P_FLAG: usize = offset_of!(ExternProc, p_flag);
    /// `kp_proc.p_stat`.
    pub const P_STAT: usize = offset_of!(ExternProc, p_stat);
    /// `kp_proc.p_pid`.
    pub const P_PID: usize = offset_of!(ExternProc, p_pid);
    /// `kp_proc.p_sigignore`.
    pub const P_SIGIGNORE: usize = offset_of!(ExternProc, p_sigignore);
    /// `kp_proc.p_sigcatch`.
    pub const P_SIGCATCH: usize = offset_of!(ExternProc, p_sigcatch);
    /// `kp_proc.p_comm`.
    pub const P_COMM: usize = offset_of!(ExternProc, p_comm);
    /// `MAXCOMLEN + 1` (`bsd/sys/param.h`: `MAXCOMLEN` 16), the length of `p_comm`.
    pub const COMM_LEN: usize = 17;
    /// `kp_eproc.e_ucred.cr_ngroups`.
    pub const CR_NGROUPS: usize = offset_of!(KinfoProc, kp_eproc)
        + offset_of!(Eproc, e_ucred)
        + offset_of!(Ucred, cr_ngroups);
    /// `kp_eproc.e_ucred.cr_groups`.
    pub const CR_GROUPS: usize =
        offset_of!(KinfoProc, kp_eproc) + offset_of!(Eproc, e_ucred) + offset_of!(Ucred, cr_groups);
    /// `kp_eproc.e_pgid`.
    pub const E_PGID: usize = offset_of!(KinfoProc, kp_eproc) + offset_of!(Eproc, e_pgid);
    /// `kp_eproc.e_pcred.p_ruid`.
    pub const P_RUID: usize =
        offset_of!(KinfoProc, kp_eproc) + offset_of!(Eproc, e_pcred) + offset_of!(Pcred, p_ruid);
    /// `NGROUPS`.
    pub const NGROUPS: usize = 16;
}

// The layout the headers give for LP64, worked out by hand from them: a wrong
// transcription fails the build on every host, 32-bit ones included.
const _: () = {
    assert!(size_of::<ExternProc>() == 296);
    assert!(size_of::<Eproc>() == 352);
    assert!(layout::SIZE == 648);
    assert!(layout::P_STARTTIME == 0 && layout::P_STARTTIME_USEC == 8);
    assert!(layout::P_FLAG == 32);
    assert!(layout::P_STAT == 36);
    assert!(layout::P_PID == 40);
    assert!(layout::P_SIGIGNORE == 232);
    assert!(layout::P_SIGCATCH == 236);
    assert!(layout::P_COMM == 243 && layout::COMM_LEN == 17);
    assert!(layout::CR_NGROUPS == 424);
    assert!(layout::CR_GROUPS == 428);
    assert!(layout::E_PGID == 564);
    assert!(layout::P_RUID == 392);
};

/// `P_WEXIT` (`bsd/sys/proc.h`): `fill_user64_externproc` (`bsd/kern/kern_sysctl.c`)
/// sets it in `p_flag` once the process has `P_LEXIT`, which `exit_with_reason` and
/// `proc_exit` (`bsd/kern/kern_exit.c`) set before calling `proc_prepareexit`.
pub const P_WEXIT: i32 = 0x0000_2000;

/// `SZOMB` (`bsd/sys/proc.h`): exited, awaiting collection by the parent.
pub const SZOMB: i8 = 5;

/// Signals 1 to 31: `NSIG` is 32 on macOS, counting signal 0 (`bsd/sys/signal.h`).
const SIGNALS: u32 = 0x7fff_ffff;

/// `CTL_KERN`, `KERN_PROC`, `KERN_PROC_PID` (`bsd/sys/sysctl.h`).
pub fn kinfo_mib(pid: i32) -> [i32; 4] {
    [1, 14, 1, pid]
}

/// `CTL_KERN`, `KERN_PROC`, `KERN_PROC_ALL` (`bsd/sys/sysctl.h`): every process's
/// `kinfo_proc`. `sysctl_prochandle` takes this node with no further element.
pub fn table_mib() -> [i32; 3] {
    [1, 14, 0]
}

/// Why a reply is not what the headers describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the struct (a zero-length reply means no such process and is
    /// handled before decoding).
    Truncated(usize),
    /// `cr_ngroups` outside `0..=NGROUPS`.
    BadGroupCount(i16),
    /// A process table whose length is not a whole number of `kinfo_proc` records.
    Ragged(usize),
    /// A `proc_uniqidentifierinfo` reply shorter than the struct.
    ShortUniqueId(usize),
    /// A `proc_taskinfo` reply shorter than the struct.
    ShortTaskInfo(usize),
    /// A descriptor list whose length is not a whole number of `proc_fdinfo` records,
    /// or longer than the buffer it was read into.
    RaggedFdList(usize),
    /// A descriptor list naming a negative descriptor.
    NegativeFd(i32),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated(len) => write!(
                f,
                "kinfo_proc reply of {len} bytes, expected {}",
                layout::SIZE
            ),
            DecodeError::BadGroupCount(n) => write!(f, "kinfo_proc claims {n} groups"),
            DecodeError::Ragged(len) => write!(
                f,
                "process table of {len} bytes, not a multiple of {}",
                layout::SIZE
            ),
            DecodeError::ShortUniqueId(len) => write!(
                f,
                "proc_uniqidentifierinfo reply of {len} bytes, expected {}",
                uniqid::SIZE
            ),
            DecodeError::ShortTaskInfo(len) => write!(
                f,
                "proc_taskinfo reply of {len} bytes, expected {}",
                taskinfo::SIZE
            ),
            DecodeError::RaggedFdList(len) => write!(
                f,
                "descriptor list of {len} bytes, not whole records of {FDINFO_SIZE}"
            ),
            DecodeError::NegativeFd(fd) => write!(f, "descriptor list names descriptor {fd}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What psx takes from one `kinfo_proc`: the record a oneshot keeps, and a scan seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `p_pid`.
    pub pid: i32,
    /// `p_starttime`: the kernel's `p_start`, set once by `forkproc`
    /// (`bsd/kern/kern_fork.c`) from the clock at fork, carried over unchanged by exec,
    /// and kept by a zombie until it is reaped.
    pub start: StartTime,
    /// `p_comm`: the command name, at most `MAXCOMLEN` (16) bytes.
    pub comm: String,
    /// `e_pgid`.
    pub pgid: i32,
    /// `e_pcred.p_ruid`: the real uid, which `fill_user64_eproc` (`bsd/kern/kern_sysctl.c`)
    /// copies from the credential (`kauth_cred_getruid`).
    pub ruid: u32,
    /// `cr_groups[..cr_ngroups]` (at most 16): the effective gid first (the kernel's
    /// credential keeps it in `cr_groups[0]`, `#define cr_gid cr_groups[0]` in
    /// `bsd/sys/ucred.h`), then the supplementary groups.
    pub groups: Vec<u32>,
    /// Exiting or a zombie: `p_stat` is `SZOMB` or `p_flag` has `P_WEXIT`.
    pub exiting: bool,
    /// `p_sigignore`, signals 1 to 31.
    pub ignored: SigSet,
    /// `p_sigcatch`, signals 1 to 31.
    pub caught: SigSet,
}

impl Kinfo {
    /// The signal masks: ignored and caught (macOS does not report pending or blocked
    /// here: `fill_user64_externproc` leaves the deprecated `p_siglist` and `p_sigmask`
    /// zero).
    ///
    /// An exiting process or zombie is [`Error::Zombie`]: `proc_prepareexit`
    /// (`bsd/kern/kern_exit.c`) sets its `p_sigignore` to `~sigcantmask`, so it would
    /// show every signal but SIGKILL and SIGSTOP ignored.
    pub fn sigmasks(&self, pid: Pid) -> Result<SignalMasks> {
        if self.exiting {
            return Err(Error::Zombie { pid });
        }
        Ok(SignalMasks {
            pending: None,
            blocked: None,
            ignored: Some(self.ignored),
            caught: Some(self.caught),
            process_pending: None,
        })
    }
}

/// Decodes one `kinfo_proc`.
///
/// `cr_ngroups` is at most `NGROUPS` (16): the kernel copies the credential's group
/// list, which `setgroups(2)` keeps to 16, and its count; anything else (negative, or
/// above 16) is an error. The signal sets keep signals 1 to 31, the ones macOS has.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    let truncated = DecodeError::Truncated(buf.len());
    if buf.len() < SIZE {
        return Err(truncated);
    }
    let ngroups = array(buf, CR_NGROUPS)
        .map(i16::from_ne_bytes)
        .ok_or_else(|| truncated.clone())?;
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    let groups = (0..count)
        .map(|i| u32_at(buf, CR_GROUPS + 4 * i))
        .collect::<Option<Vec<u32>>>();
    let set = |at| u32_at(buf, at).map(|w| SigSet::from_words(&[w & SIGNALS]));
    let stat = array(buf, P_STAT).map(i8::from_ne_bytes);
    // `fill_user64_externproc` (`bsd/kern/kern_sysctl.c`) copies `p_start` into the
    // union's `__p_starttime`; `tv_usec` is an `__int32_t` (`struct user64_timeval`).
    let start = i64_at(buf, P_STARTTIME)
        .zip(i32_at(buf, P_STARTTIME_USEC))
        .map(|(sec, usec)| StartTime {
            sec,
            usec: i64::from(usec),
        });
    // It copies `MAXCOMLEN` bytes of `p_comm` into a zeroed record: NUL-terminated.
    let comm = c_string_at(buf, P_COMM, COMM_LEN);
    match (
        i32_at(buf, P_PID),
        start.zip(comm),
        i32_at(buf, E_PGID).zip(u32_at(buf, P_RUID)),
        groups,
        i32_at(buf, P_FLAG),
        stat,
        set(P_SIGIGNORE),
        set(P_SIGCATCH),
    ) {
        (
            Some(pid),
            Some((start, comm)),
            Some((pgid, ruid)),
            Some(groups),
            Some(flag),
            Some(stat),
            Some(ignored),
            Some(caught),
        ) => Ok(Kinfo {
            pid,
            start,
            comm,
            pgid,
            ruid,
            groups,
            exiting: stat == SZOMB || flag & P_WEXIT != 0,
            ignored,
            caught,
        }),
        _ => Err(truncated),
    }
}

/// Splits a `KERN_PROC_ALL` reply into its processes, ascending by pid.
///
/// `sysctl_prochandle` (`bsd/kern/kern_sysctl.c`) has `proc_iterate` (`bsd/kern/kern_proc.c`)
/// collect the pids of `allproc` and then of `zombproc` under the list lock (skipping
/// processes still being forked and exec's shadow copies), then copies out one whole
/// `kinfo_proc` per pid it can still reference, zombies included: the reply is a whole
/// number of records, each pid at most once, in no useful order. `allproc` holds the
/// kernel's own task, pid 0, which names no process to psx and is left out.
pub fn table(buf: &[u8]) -> Result<Vec<Kinfo>, DecodeError> {
    if buf.len() % layout::SIZE != 0 {
        return Err(DecodeError::Ragged(buf.len()));
    }
    let mut records = Vec::with_capacity(buf.len() / layout::SIZE);
    for record in buf.chunks_exact(layout::SIZE) {
        let record = kinfo(record)?;
        if record.pid > 0 {
            records.push(record);
        }
    }
    records.sort_unstable_by_key(|k| k.pid);
    Ok(records)
}

/// `PROC_PIDUNIQIDENTIFIERINFO`, the `proc_pidinfo` flavor (`bsd/sys/proc_info_private.h`,
/// formerly `bsd/sys/proc_info.h`).
pub const PROC_PIDUNIQIDENTIFIERINFO: i32 = 17;

/// `struct proc_uniqidentifierinfo` (`bsd/sys/proc_info_private.h`, which asserts its
/// size, 56, and calls it API).
#[repr(C)]
pub struct ProcUniqIdentifierInfo {
    /// `uint8_t p_uuid[16]`: the main executable's UUID.
    pub p_uuid: [u8; 16],
    /// `uint64_t p_uniqueid`.
    pub p_uniqueid: Word64,
    /// `uint64_t p_puniqueid`: the parent's.
    pub p_puniqueid: Word64,
    /// `int32_t p_idversion`.
    pub p_idversion: i32,
    /// `int32_t p_orig_ppidversion`.
    pub p_orig_ppidversion: i32,
    /// `uint64_t p_reserve2`.
    pub p_reserve2: Word64,
    /// `uint64_t p_reserve3`.
    pub p_reserve3: Word64,
}

/// The offsets of [`ProcUniqIdentifierInfo`] decoding reads.
pub mod uniqid {
    use super::*;
    /// `sizeof(struct proc_uniqidentifierinfo)`.
    pub const SIZE: usize = size_of::<ProcUniqIdentifierInfo>();
    /// `p_uniqueid`.
    pub const P_UNIQUEID: usize = offset_of!(ProcUniqIdentifierInfo, p_uniqueid);
}

const _: () = assert!(uniqid::SIZE == 56 && uniqid::P_UNIQUEID == 16);

/// `p_uniqueid` from a `proc_pidinfo(PROC_PIDUNIQIDENTIFIERINFO)` reply (the bytes it
/// says it copied).
///
/// `forkproc` (`bsd/kern/kern_fork.c`) hands each new process `++nextuniqueid`, a
/// 64-bit counter, under the process list lock, and gives the process an exec makes
/// its predecessor's: the id names one process for the whole boot, through exec, and
/// never another after it is reaped.
pub fn unique_id(buf: &[u8]) -> Result<u64, DecodeError> {
    if buf.len() < uniqid::SIZE {
        return Err(DecodeError::ShortUniqueId(buf.len()));
    }
    u64_at(buf, uniqid::P_UNIQUEID).ok_or(DecodeError::ShortUniqueId(buf.len()))
}

/// `PROC_PIDLISTFDS`, the `proc_pidinfo` flavor listing open descriptors
/// (`bsd/sys/proc_info.h`).
pub const PROC_PIDLISTFDS: i32 = 1;

/// `PROC_PIDTASKINFO`, the `proc_pidinfo` flavor giving `struct proc_taskinfo`
/// (`bsd/sys/proc_info.h`).
pub const PROC_PIDTASKINFO: i32 = 4;

/// `struct proc_taskinfo` (`bsd/sys/proc_info.h`).
#[repr(C)]
pub struct ProcTaskinfo {
    /// `uint64_t pti_virtual_size`: bytes.
    pub pti_virtual_size: Word64,
    /// `uint64_t pti_resident_size`: bytes.
    pub pti_resident_size: Word64,
    /// `uint64_t pti_total_user`: Mach absolute time units.
    pub pti_total_user: Word64,
    /// `uint64_t pti_total_system`: Mach absolute time units.
    pub pti_total_system: Word64,
    /// `uint64_t pti_threads_user`, `pti_threads_system`: live threads only.
    pub pti_threads: [Word64; 2],
    /// `int32_t pti_policy` to `pti_priority`: twelve counters.
    pub counters: [i32; 12],
}

/// The offsets of [`ProcTaskinfo`] decoding reads.
pub mod taskinfo {
    use super::*;
    /// `sizeof(struct proc_taskinfo)`.
    pub const SIZE: usize = size_of::<ProcTaskinfo>();
    /// `pti_virtual_size`.
    pub const VIRTUAL_SIZE: usize = offset_of!(ProcTaskinfo, pti_virtual_size);
    /// `pti_resident_size`.
    pub const RESIDENT_SIZE: usize = offset_of!(ProcTaskinfo, pti_resident_size);
    /// `pti_total_user`.
    pub const TOTAL_USER: usize = offset_of!(ProcTaskinfo, pti_total_user);
    /// `pti_total_system`.
    pub const TOTAL_SYSTEM: usize = offset_of!(ProcTaskinfo, pti_total_system);
}

const _: () = {
    assert!(taskinfo::SIZE == 96);
    assert!(taskinfo::VIRTUAL_SIZE == 0 && taskinfo::RESIDENT_SIZE == 8);
    assert!(taskinfo::TOTAL_USER == 16 && taskinfo::TOTAL_SYSTEM == 24);
};

/// What psx takes from a `proc_pidinfo(PROC_PIDTASKINFO)` reply, as
/// `fill_taskprocinfo` (`osfmk/kern/bsd_kern.c`) fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskInfo {
    /// `pti_virtual_size`: `vm_map_adjusted_size` of the task's map, in bytes: the map's
    /// `size`, which `vm_map_enter` (`osfmk/vm/vm_map.c`) holds against both the
    /// `RLIMIT_AS` and the `RLIMIT_DATA` limit (less the reserved regions for a map of
    /// smaller pages than the kernel's, a translated process on Apple silicon).
    pub virtual_size: u64,
    /// `pti_resident_size`: the task's `phys_mem` ledger balance, in bytes.
    pub resident_size: u64,
    /// `pti_total_user`: `recount_task_times`, every thread the task ever ran, in Mach
    /// absolute time units (nanoseconds on Intel, not on Apple silicon).
    pub total_user: u64,
    /// `pti_total_system`, likewise.
    pub total_system: u64,
}

impl TaskInfo {
    /// Whole CPU seconds used, user and system, the Mach time converted with the
    /// machine's `timebase` (`None` for a timebase of denominator 0). `RLIMIT_CPU` is
    /// held against the same sum (`dosetrlimit`, `bsd/kern/kern_resource.c`, sets its
    /// timer from `task_info(TASK_ABSOLUTETIME_INFO)`'s `total_user + total_system`).
    pub fn cpu_seconds(&self, timebase: Timebase) -> Option<u64> {
        if timebase.denom == 0 {
            return None;
        }
        let ticks = u128::from(self.total_user) + u128::from(self.total_system);
        let nanos = ticks * u128::from(timebase.numer) / u128::from(timebase.denom);
        u64::try_from(nanos / 1_000_000_000).ok()
    }
}

/// `struct mach_timebase_info` (`osfmk/mach/mach_time.h`): nanoseconds are Mach time
/// units times `numer / denom` (1/1 on Intel Macs, 125/3 on Apple silicon's 24 MHz
/// clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timebase {
    /// `numer`.
    pub numer: u32,
    /// `denom`.
    pub denom: u32,
}

/// Decodes a `proc_pidinfo(PROC_PIDTASKINFO)` reply (the bytes it says it copied).
pub fn task_info(buf: &[u8]) -> Result<TaskInfo, DecodeError> {
    let short = DecodeError::ShortTaskInfo(buf.len());
    if buf.len() < taskinfo::SIZE {
        return Err(short);
    }
    let field = |at| u64_at(buf, at).ok_or_else(|| short.clone());
    Ok(TaskInfo {
        virtual_size: field(taskinfo::VIRTUAL_SIZE)?,
        resident_size: field(taskinfo::RESIDENT_SIZE)?,
        total_user: field(taskinfo::TOTAL_USER)?,
        total_system: field(taskinfo::TOTAL_SYSTEM)?,
    })
}

/// `struct proc_fdinfo` (`bsd/sys/proc_info.h`): one open descriptor.
#[repr(C)]
pub struct ProcFdinfo {
    /// `int32_t proc_fd`: the descriptor number.
    pub proc_fd: i32,
    /// `uint32_t proc_fdtype`: `PROX_FDTYPE_*`.
    pub proc_fdtype: u32,
}

/// `sizeof(struct proc_fdinfo)`: each record of a `PROC_PIDLISTFDS` reply.
pub const FDINFO_SIZE: usize = size_of::<ProcFdinfo>();

const _: () = assert!(FDINFO_SIZE == 8 && offset_of!(ProcFdinfo, proc_fd) == 0);

/// Descriptors a first `PROC_PIDLISTFDS` read makes room for: most processes have
/// fewer, so they cost one call and no allocation.
pub const FDS_FIRST_READ: usize = 256;

/// How many descriptors, and the highest, in a `PROC_PIDLISTFDS` reply of `reply`
/// bytes read into a buffer of `capacity` bytes; `Ok(None)` when the reply fills the
/// buffer, which may have cut the list short: read again with more room
/// ([`fd_room`]).
///
/// `proc_pidfdlist` (`bsd/kern/proc_info.c`) copies out as many whole records as the
/// buffer holds and returns their size, without an error when more are open;
/// `proc_fdlist_internal` walks the table with `fdt_foreach` (`fdt_next`,
/// `bsd/kern/kern_descrip.c`): each open descriptor once, ascending, those still being
/// set up (`UF_RESERVED`) left out. Counted in place: nothing is allocated per record.
pub fn fd_list(reply: &[u8], capacity: usize) -> Result<Option<OpenFiles>, DecodeError> {
    if reply.len() % FDINFO_SIZE != 0 || reply.len() > capacity {
        return Err(DecodeError::RaggedFdList(reply.len()));
    }
    if reply.len() + FDINFO_SIZE > capacity {
        return Ok(None);
    }
    let mut highest: Option<u64> = None;
    for record in reply.chunks_exact(FDINFO_SIZE) {
        let fd = i32_at(record, 0).ok_or(DecodeError::RaggedFdList(reply.len()))?;
        let fd = u64::try_from(fd).map_err(|_| DecodeError::NegativeFd(fd))?;
        highest = Some(highest.map_or(fd, |h| h.max(fd)));
    }
    Ok(Some(OpenFiles {
        count: (reply.len() / FDINFO_SIZE) as u64,
        highest,
    }))
}

/// The buffer, in records, for the next `PROC_PIDLISTFDS` read after one of `tried`
/// records came back full: what a NULL-buffer call said it needs (`sized` bytes:
/// `proc_pidfdlist` answers `(fd_nfiles + 20) * sizeof(struct proc_fdinfo)`, the
/// table's slots, open or not, and 20 to spare), and never less than twice `tried`,
/// so that a table growing between the calls is still caught up with.
pub fn fd_room(sized: usize, tried: usize) -> usize {
    (sized / FDINFO_SIZE).max(tried.saturating_mul(2)).max(1)
}

/// The error for a `proc_pidinfo` flavor that `proc_find` found no process for: it
/// gives ESRCH both for a pid that names no process and for a zombie or exiting one
/// (`proc_find`, `bsd/kern/kern_proc.c`, takes no reference once `P_REF_DEAD` is set,
/// and `proc_pidinfo` looks for zombies only for a few other flavors). The process's
/// `kinfo_proc`, read after the ESRCH, tells them apart: exiting or a zombie there is
/// [`Error::Zombie`] (the task, and with it the figures, is gone or going); shown alive
/// or not at all, the process is gone ([`Error::NoSuchProcess`]: a live one under the
/// pid is a later process). Another failure of that read stands.
pub fn proc_find_refusal(pid: Pid, kinfo: Result<Kinfo>) -> Error {
    match kinfo {
        Ok(k) if k.exiting => Error::Zombie { pid },
        Ok(_) | Err(Error::NoSuchProcess { .. }) => Error::NoSuchProcess { pid },
        Err(other) => other,
    }
}

/// The id `getpgid(2)` or `getsid(2)` was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdCall {
    /// `getpgid(2)`.
    ProcessGroup,
    /// `getsid(2)`.
    Session,
}

/// `pid`'s process group or session, from the answer of `getpgid(2)`/`getsid(2)`
/// (`called`: the id, or the error its errno maps to) and, when that answer is ESRCH,
/// the process's `kinfo_proc` (`kinfo`, read only then).
///
/// `getpgid` and `getsid` (`bsd/kern/kern_prot.c`) look the pid up with `proc_find`
/// (`bsd/kern/kern_proc.c`), which takes no reference once `proc_prepareexit` has set
/// `P_REF_DEAD`: an exiting process or zombie is ESRCH there. `KERN_PROC_PID` still
/// lists it (`sysctl_prochandle` has `proc_iterate` walk the zombie list too, taking
/// what `proc_find` refuses through `proc_find_zombref`), and it stays in its process
/// group until reaped (`reap_child_locked` calls `pgrp_leave_locked`), so `e_pgid`
/// answers for the group. `kinfo_proc` carries no session id (`e_sess` was a kernel
/// pointer, which `fill_user64_eproc` leaves zero), so the session is
/// [`Error::Zombie`]. A process `kinfo_proc` shows alive (or not at all) after the
/// ESRCH is another one, or none: [`Error::NoSuchProcess`].
pub fn process_id(
    pid: Pid,
    which: IdCall,
    called: Result<Pid>,
    kinfo: impl FnOnce() -> Result<Kinfo>,
) -> Result<Pid> {
    match called {
        Ok(id) => Ok(id),
        Err(Error::NoSuchProcess { .. }) => match kinfo() {
            Ok(k) if k.exiting => match which {
                IdCall::ProcessGroup => Ok(Pid::from(k.pgid)),
                IdCall::Session => Err(Error::Zombie { pid }),
            },
            Ok(_) | Err(Error::NoSuchProcess { .. }) => Err(Error::NoSuchProcess { pid }),
            Err(other) => Err(other),
        },
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a fixture's process looks like.
    #[derive(Clone)]
    struct Proc {
        pid: i32,
        start: (i64, i32),
        comm: &'static [u8],
        flag: i32,
        stat: i8,
        ngroups: i16,
        groups: Vec<u32>,
        ignored: u32,
        caught: u32,
        ruid: u32,
    }

    impl Default for Proc {
        fn default() -> Self {
            Proc {
                pid: 321,
                start: (1_700_000_000, 123_456),
                comm: b"sleep",
                flag: 0x0000_0004, // P_LP64, as a 64-bit process has
                stat: 2,           // SRUN
                ngroups: 2,
                groups: vec![20, 12],
                ignored: 0,
                caught: 0,
                ruid: 501,
            }
        }
    }

    fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// A `kinfo_proc` as the kernel copies it out to a 64-bit caller, written at the
    /// literal offsets of XNU's LP64 layout (`bsd/sys/sysctl.h` `struct kinfo_proc` =
    /// `struct extern_proc kp_proc` from `bsd/sys/proc.h`, 296 bytes at 0, then
    /// `struct eproc kp_eproc`, 352 bytes at 296; 648 in all), not through `layout`.
    /// Every other byte is 0x77, so a read at a wrong offset shows.
    fn fixture(p: &Proc) -> Vec<u8> {
        let mut buf = vec![0x77u8; 648];
        // kp_proc.p_starttime (p_un.__p_starttime) at 0: tv_sec (time_t, 8 bytes), then
        // tv_usec (__int32_t) at 8, the kernel's padding zeroed.
        put(&mut buf, 0, &p.start.0.to_ne_bytes());
        put(&mut buf, 8, &p.start.1.to_ne_bytes());
        put(&mut buf, 12, &[0; 4]);
        // kp_proc.p_flag: after p_un (16 bytes), p_vmspace and p_sigacts (8 each).
        put(&mut buf, 32, &p.flag.to_ne_bytes());
        // kp_proc.p_stat: one char after p_flag.
        put(&mut buf, 36, &p.stat.to_ne_bytes());
        // kp_proc.p_pid: p_stat padded to the next int.
        put(&mut buf, 40, &p.pid.to_ne_bytes());
        // kp_proc.p_sigignore and p_sigcatch: after p_holdcnt (224) and p_sigmask (228).
        put(&mut buf, 232, &p.ignored.to_ne_bytes());
        put(&mut buf, 236, &p.caught.to_ne_bytes());
        // kp_proc.p_comm[17] at 243: after p_priority, p_usrpri, p_nice (240..243). The
        // kernel copies MAXCOMLEN (16) bytes into a zeroed record.
        let mut comm = [0u8; 17];
        comm[..p.comm.len()].copy_from_slice(p.comm);
        put(&mut buf, 243, &comm);
        // kp_eproc.e_pcred.p_ruid at 296 + 16 + 80: after e_paddr and e_sess (8 each),
        // then struct user64_pcred's pc_lock[72] and pc_ucred (8).
        put(&mut buf, 392, &p.ruid.to_ne_bytes());
        // kp_eproc.e_ucred at 296 + 120 (e_paddr, e_sess 8 each, struct _pcred 104):
        // cr_ngroups (short) at +8, cr_groups[16] (gid_t) at +12.
        put(&mut buf, 424, &p.ngroups.to_ne_bytes());
        for (i, g) in p.groups.iter().enumerate() {
            put(&mut buf, 428 + 4 * i, &g.to_ne_bytes());
        }
        // kp_eproc.e_pgid at 296 + 268: e_vm (struct vmspace, 64 bytes) at 200,
        // then e_ppid at 264.
        put(&mut buf, 564, &320i32.to_ne_bytes());
        buf
    }

    /// `~sigcantmask` (`bsd/sys/signalvar.h`: SIGKILL 9 and SIGSTOP 17 removed), what
    /// `proc_prepareexit` leaves in `p_sigignore`.
    const ALL_BUT_KILL_AND_STOP: u32 = !((1 << 8) | (1 << 16));

    fn signals(set: Option<SigSet>) -> Vec<i32> {
        set.unwrap().iter().collect()
    }

    #[test]
    fn decodes_the_header_offsets() {
        // SIGPIPE (13) ignored; SIGINT (2) and SIGUSR1 (30 on macOS) caught.
        let k = kinfo(&fixture(&Proc {
            ngroups: 3,
            groups: vec![20, 12, 61],
            ignored: 1 << 12,
            caught: (1 << 1) | (1 << 29),
            ..Proc::default()
        }))
        .unwrap();
        assert_eq!((k.pid, k.pgid, k.ruid), (321, 320, 501));
        assert_eq!(k.groups, vec![20, 12, 61]);
        assert!(!k.exiting);
        let masks = k.sigmasks(Pid::from(321)).unwrap();
        assert_eq!(signals(masks.ignored), vec![13]);
        assert_eq!(signals(masks.caught), vec![2, 30]);
        assert_eq!((masks.pending, masks.blocked), (None, None));
    }

    #[test]
    fn decodes_the_start_time_and_name() {
        let k = kinfo(&fixture(&Proc {
            start: (1_712_345_678, 999_999),
            comm: b"launchd",
            ..Proc::default()
        }))
        .unwrap();
        assert_eq!(
            k.start,
            StartTime {
                sec: 1_712_345_678,
                usec: 999_999
            }
        );
        assert_eq!(k.comm, "launchd");
        // A name of MAXCOMLEN bytes fills p_comm but for the kernel's NUL.
        let full = kinfo(&fixture(&Proc {
            comm: b"sixteen_bytes_xy",
            ..Proc::default()
        }))
        .unwrap();
        assert_eq!(full.comm, "sixteen_bytes_xy");
    }

    #[test]
    fn a_table_splits_into_processes_ascending() {
        // KERN_PROC_ALL: whole records back to back, in the kernel's order (allproc,
        // newest first, then zombproc), the kernel's own task (pid 0) among them.
        let procs = [
            Proc {
                pid: 740,
                comm: b"zsh",
                start: (1_700_000_740, 7),
                ..Proc::default()
            },
            Proc {
                pid: 0,
                comm: b"kernel_task",
                ..Proc::default()
            },
            Proc {
                pid: 1,
                comm: b"launchd",
                start: (1_700_000_001, 1),
                ..Proc::default()
            },
            Proc {
                pid: 95,
                comm: b"dead",
                stat: 5, // SZOMB
                ..Proc::default()
            },
        ];
        let buf: Vec<u8> = procs.iter().flat_map(fixture).collect();
        let records = table(&buf).unwrap();
        let got: Vec<_> = records
            .iter()
            .map(|k| (k.pid, k.comm.as_str(), k.start.sec, k.exiting))
            .collect();
        assert_eq!(
            got,
            [
                (1, "launchd", 1_700_000_001, false),
                (95, "dead", 1_700_000_000, true),
                (740, "zsh", 1_700_000_740, false),
            ]
        );
        assert_eq!(table(&[]), Ok(vec![]));
        // A partial record: not the kernel's reply.
        assert_eq!(table(&buf[..648 + 100]), Err(DecodeError::Ragged(748)));
        // One bad record spoils the reply: the layout is not the one decoded.
        let mut bad = buf.clone();
        put(&mut bad, 648 * 2 + 424, &40i16.to_ne_bytes());
        assert_eq!(table(&bad), Err(DecodeError::BadGroupCount(40)));
    }

    #[test]
    fn decodes_the_unique_id() {
        // struct proc_uniqidentifierinfo (bsd/sys/proc_info_private.h): p_uuid[16] at 0,
        // p_uniqueid (uint64_t) at 16, p_puniqueid at 24, two int32_t at 32 and 36,
        // p_reserve2 and p_reserve3 at 40 and 48; 56 bytes.
        let mut buf = vec![0x77u8; 56];
        put(&mut buf, 16, &0x0123_4567_89ab_cdefu64.to_ne_bytes());
        put(&mut buf, 24, &5u64.to_ne_bytes());
        assert_eq!(unique_id(&buf), Ok(0x0123_4567_89ab_cdef));
        assert_eq!(unique_id(&buf[..24]), Err(DecodeError::ShortUniqueId(24)));
        assert_eq!(unique_id(&buf[..55]), Err(DecodeError::ShortUniqueId(55)));
    }

    #[test]
    fn the_transcription_has_the_headers_offsets() {
        // struct extern_proc (bsd/sys/proc.h), LP64, worked out by hand from the header.
        let extern_proc = [
            (offset_of!(ExternProc, p_vmspace), 16),
            (offset_of!(ExternProc, p_flag), 32),
            (offset_of!(ExternProc, p_stat), 36),
            (offset_of!(ExternProc, p_pid), 40),
            (offset_of!(ExternProc, user_stack), 56),
            (offset_of!(ExternProc, p_debugger), 72),
            (offset_of!(ExternProc, p_wchan), 96),
            (offset_of!(ExternProc, p_realtimer), 120),
            (offset_of!(ExternProc, p_rtime), 152),
            (offset_of!(ExternProc, p_uticks), 168),
            (offset_of!(ExternProc, p_traceflag), 192),
            (offset_of!(ExternProc, p_tracep), 200),
            (offset_of!(ExternProc, p_textvp), 216),
            (offset_of!(ExternProc, p_sigmask), 228),
            (offset_of!(ExternProc, p_sigignore), 232),
            (offset_of!(ExternProc, p_sigcatch), 236),
            (offset_of!(ExternProc, p_comm), 243),
            (offset_of!(ExternProc, p_pgrp), 264),
            (offset_of!(ExternProc, p_xstat), 280),
            (offset_of!(ExternProc, p_ru), 288),
            (size_of::<ExternProc>(), 296),
        ];
        // struct eproc and the structs in it (bsd/sys/sysctl.h, bsd/sys/vm.h), LP64.
        let eproc = [
            (offset_of!(Eproc, e_pcred), 16),
            (offset_of!(Pcred, p_ruid), 80),
            (size_of::<Pcred>(), 104),
            (offset_of!(Eproc, e_ucred), 120),
            (offset_of!(Ucred, cr_ngroups), 8),
            (offset_of!(Ucred, cr_groups), 12),
            (size_of::<Ucred>(), 76),
            (offset_of!(Eproc, e_vm), 200),
            (size_of::<Vmspace>(), 64),
            (offset_of!(Eproc, e_ppid), 264),
            (offset_of!(Eproc, e_pgid), 268),
            (offset_of!(Eproc, e_tsess), 288),
            (offset_of!(Eproc, e_wmesg), 296),
            (offset_of!(Eproc, e_flag), 316),
            (offset_of!(Eproc, e_login), 320),
            (offset_of!(Eproc, e_spare), 332),
            (size_of::<Eproc>(), 352),
        ];
        for (i, (got, want)) in extern_proc.into_iter().chain(eproc).enumerate() {
            assert_eq!(got, want, "entry {i}");
        }
        assert_eq!(offset_of!(KinfoProc, kp_eproc), 296);
        assert_eq!(size_of::<KinfoProc>(), 648);
    }

    #[test]
    fn zero_and_sixteen_groups() {
        let with = |ngroups: i16, groups: Vec<u32>| {
            kinfo(&fixture(&Proc {
                ngroups,
                groups,
                ..Proc::default()
            }))
        };
        assert!(with(0, vec![]).unwrap().groups.is_empty());
        let sixteen: Vec<u32> = (500..516).collect();
        assert_eq!(with(16, sixteen.clone()).unwrap().groups, sixteen);
        assert_eq!(with(17, vec![]), Err(DecodeError::BadGroupCount(17)));
        assert_eq!(with(-3, vec![]), Err(DecodeError::BadGroupCount(-3)));
    }

    #[test]
    fn an_exiting_process_or_zombie_has_no_masks() {
        let pid = Pid::from(321);
        // Exiting: P_WEXIT (0x2000) in p_flag, still SRUN, p_sigignore rewritten.
        let exiting = Proc {
            flag: 0x0000_2004,
            ignored: ALL_BUT_KILL_AND_STOP,
            ..Proc::default()
        };
        // A zombie: SZOMB (5). It has P_WEXIT too; left out here so each sign is
        // tested alone.
        let zombie = Proc {
            stat: 5,
            flag: 0x0000_0004,
            ..exiting.clone()
        };
        for p in [exiting, zombie] {
            let k = kinfo(&fixture(&p)).unwrap();
            assert!(k.exiting);
            assert!(matches!(k.sigmasks(pid), Err(Error::Zombie { pid: z }) if z == pid));
            // The credential and process group are still there.
            assert_eq!((k.groups.as_slice(), k.pgid), (&[20, 12][..], 320));
        }
    }

    #[test]
    fn signal_32_is_not_a_macos_signal() {
        let k = kinfo(&fixture(&Proc {
            ignored: u32::MAX,
            caught: 1 << 31,
            ..Proc::default()
        }))
        .unwrap();
        let masks = k.sigmasks(Pid::from(321)).unwrap();
        assert_eq!(signals(masks.ignored), (1..=31).collect::<Vec<_>>());
        assert_eq!(signals(masks.caught), Vec::<i32>::new());
    }

    #[test]
    fn short_buffers_are_errors() {
        let buf = fixture(&Proc::default());
        for len in [0, 8, 647] {
            assert_eq!(kinfo(&buf[..len]), Err(DecodeError::Truncated(len)));
        }
    }

    /// `getpgid`/`getsid` as `bsd/kern/kern_prot.c` answers: the id for a process
    /// `proc_find` can reference, ESRCH (`NoSuchProcess`) for any other.
    fn id_call(pid: Pid, findable: bool, id: i32) -> Result<Pid> {
        if findable {
            Ok(Pid::from(id))
        } else {
            Err(Error::NoSuchProcess { pid })
        }
    }

    #[test]
    fn an_exiting_process_has_a_group_and_no_session() {
        let pid = Pid::from(321);
        let dying = || {
            kinfo(&fixture(&Proc {
                flag: 0x0000_2004,
                ..Proc::default()
            }))
            .map_err(|_| Error::NoSuchProcess { pid })
        };
        let pgid = process_id(pid, IdCall::ProcessGroup, id_call(pid, false, 0), dying);
        assert_eq!(pgid.unwrap(), Pid::from(320));
        let sid = process_id(pid, IdCall::Session, id_call(pid, false, 0), dying);
        assert!(matches!(sid, Err(Error::Zombie { pid: z }) if z == pid));
    }

    #[test]
    fn live_gone_and_reused_pids() {
        let pid = Pid::from(321);
        let unread = || -> Result<Kinfo> { panic!("kinfo_proc read for a live process") };
        for which in [IdCall::ProcessGroup, IdCall::Session] {
            // Found by proc_find: its own answer, the kinfo_proc unread.
            let live = process_id(pid, which, id_call(pid, true, 300), unread);
            assert_eq!(live.unwrap(), Pid::from(300));
            // Reaped: KERN_PROC_PID replies with nothing.
            let gone = process_id(pid, which, id_call(pid, false, 0), || {
                Err(Error::NoSuchProcess { pid })
            });
            assert!(matches!(gone, Err(Error::NoSuchProcess { .. })));
            // Reaped, and the pid already names a new, live process.
            let reused = process_id(pid, which, id_call(pid, false, 0), || {
                kinfo(&fixture(&Proc::default())).map_err(|_| Error::NoSuchProcess { pid })
            });
            assert!(matches!(reused, Err(Error::NoSuchProcess { .. })));
            // Any other failure of the call stands.
            let denied = process_id(pid, which, Err(Error::access_denied(pid)), unread);
            assert!(matches!(denied, Err(Error::AccessDenied { .. })));
        }
    }

    /// A `proc_taskinfo` as `proc_pidinfo(PROC_PIDTASKINFO)` copies it out, at the
    /// literal offsets of `struct proc_taskinfo` (`bsd/sys/proc_info.h`: six `uint64_t`,
    /// then twelve `int32_t`; 96 bytes): `pti_virtual_size` at 0, `pti_resident_size` at
    /// 8, `pti_total_user` at 16, `pti_total_system` at 24. Every other byte is 0x77.
    fn task_fixture(virt: u64, resident: u64, user: u64, system: u64) -> Vec<u8> {
        let mut buf = vec![0x77u8; 96];
        put(&mut buf, 0, &virt.to_ne_bytes());
        put(&mut buf, 8, &resident.to_ne_bytes());
        put(&mut buf, 16, &user.to_ne_bytes());
        put(&mut buf, 24, &system.to_ne_bytes());
        buf
    }

    #[test]
    fn decodes_the_task_figures_in_bytes() {
        // 4 GiB and 3 pages of 16 KiB mapped, 1234 pages of 16 KiB resident: the kernel
        // reports bytes, not pages.
        let virt = (4u64 << 30) + 3 * 16384;
        let resident = 1234 * 16384;
        let t = task_info(&task_fixture(virt, resident, 5, 6)).unwrap();
        assert_eq!(t.virtual_size, 4_295_016_448);
        assert_eq!(t.resident_size, 20_217_856);
        assert_eq!((t.total_user, t.total_system), (5, 6));
        let buf = task_fixture(1, 2, 3, 4);
        assert_eq!(task_info(&buf[..95]), Err(DecodeError::ShortTaskInfo(95)));
        assert_eq!(task_info(&[]), Err(DecodeError::ShortTaskInfo(0)));
    }

    #[test]
    fn cpu_time_is_converted_with_the_timebase() {
        let task = |user, system| TaskInfo {
            virtual_size: 0,
            resident_size: 0,
            total_user: user,
            total_system: system,
        };
        let intel = Timebase { numer: 1, denom: 1 };
        let apple = Timebase {
            numer: 125,
            denom: 3,
        };
        // Intel: nanoseconds. 2.5 s user + 0.6 s system: 3 whole seconds.
        assert_eq!(task(2_500_000_000, 600_000_000).cpu_seconds(intel), Some(3));
        // Apple silicon: 24 MHz ticks. 24e6 ticks are one second, not 24 ms.
        assert_eq!(task(24_000_000, 0).cpu_seconds(apple), Some(1));
        assert_eq!(task(24_000_000 - 1, 0).cpu_seconds(apple), Some(0));
        assert_eq!(task(3_600 * 24_000_000, 0).cpu_seconds(apple), Some(3_600));
        // No overflow on the way: u64::MAX ticks each.
        let most = task(u64::MAX, u64::MAX).cpu_seconds(apple).unwrap();
        assert_eq!(most, 1_537_228_672_809);
        assert_eq!(
            task(1, 1).cpu_seconds(Timebase { numer: 1, denom: 0 }),
            None
        );
    }

    /// A `PROC_PIDLISTFDS` reply: `struct proc_fdinfo` records (`bsd/sys/proc_info.h`:
    /// `int32_t proc_fd` at 0, `uint32_t proc_fdtype` at 4; 8 bytes each).
    fn fd_reply(fds: &[i32]) -> Vec<u8> {
        let mut buf = vec![0u8; fds.len() * 8];
        for (i, fd) in fds.iter().enumerate() {
            put(&mut buf, 8 * i, &fd.to_ne_bytes());
            put(&mut buf, 8 * i + 4, &2u32.to_ne_bytes()); // PROX_FDTYPE_SOCKET
        }
        buf
    }

    #[test]
    fn descriptors_are_counted_with_the_highest() {
        let files = |fds: &[i32], capacity| fd_list(&fd_reply(fds), capacity);
        let got = files(&[0, 1, 2, 7, 4096], 64).unwrap().unwrap();
        assert_eq!((got.count, got.highest), (5, Some(4096)));
        // The highest wherever it stands in the reply.
        let got = files(&[9, 3], 64).unwrap().unwrap();
        assert_eq!((got.count, got.highest), (2, Some(9)));
        let none = files(&[], 64).unwrap().unwrap();
        assert_eq!((none.count, none.highest), (0, None));
        // A reply that fills the buffer may have been cut short: read again.
        assert_eq!(files(&[0, 1, 2, 3], 32), Ok(None));
        assert_eq!(files(&[0, 1, 2], 31), Ok(None));
        assert!(files(&[0, 1, 2], 32).unwrap().is_some());
        // Not the kernel's reply.
        assert_eq!(
            fd_list(&fd_reply(&[0])[..7], 64),
            Err(DecodeError::RaggedFdList(7))
        );
        assert_eq!(files(&[0, 1], 8), Err(DecodeError::RaggedFdList(16)));
        assert_eq!(files(&[0, -1], 64), Err(DecodeError::NegativeFd(-1)));
    }

    #[test]
    fn a_full_list_is_read_again_with_more_room() {
        // The kernel asks for (fd_nfiles + 20) records: 1044 bytes-worth for 1024 slots.
        assert_eq!(fd_room(1044 * 8, 256), 1044);
        // Never less than twice what came back full.
        assert_eq!(fd_room(300 * 8, 256), 512);
        assert_eq!(fd_room(0, 0), 1);
        assert_eq!(fd_room(8, usize::MAX), usize::MAX);
    }

    #[test]
    fn an_esrch_is_a_zombie_only_if_the_record_says_so() {
        let pid = Pid::from(321);
        let record = |p: Proc| kinfo(&fixture(&p)).map_err(|_| Error::NoSuchProcess { pid });
        let zombie = record(Proc {
            stat: 5,
            ..Proc::default()
        });
        assert!(matches!(
            proc_find_refusal(pid, zombie),
            Error::Zombie { .. }
        ));
        let exiting = record(Proc {
            flag: 0x0000_2004,
            ..Proc::default()
        });
        assert!(matches!(
            proc_find_refusal(pid, exiting),
            Error::Zombie { .. }
        ));
        // Alive under the pid after the ESRCH: a later process.
        let live = record(Proc::default());
        assert!(matches!(
            proc_find_refusal(pid, live),
            Error::NoSuchProcess { .. }
        ));
        let gone = Err(Error::NoSuchProcess { pid });
        assert!(matches!(
            proc_find_refusal(pid, gone),
            Error::NoSuchProcess { .. }
        ));
        let denied = Err(Error::access_denied(pid));
        assert!(matches!(
            proc_find_refusal(pid, denied),
            Error::AccessDenied { .. }
        ));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
            let _ = kinfo(&bytes);
            let _ = table(&bytes);
            let _ = unique_id(&bytes);
            let _ = task_info(&bytes);
            let _ = fd_list(&bytes, bytes.len());
            let _ = fd_list(&bytes, usize::MAX);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(
            groups in proptest::collection::vec(any::<u32>(), 0..=16),
            ign in any::<u32>(),
            cgt in any::<u32>(),
        ) {
            let p = Proc {
                ngroups: groups.len() as i16,
                groups: groups.clone(),
                ignored: ign,
                caught: cgt,
                ..Proc::default()
            };
            let k = kinfo(&fixture(&p)).unwrap();
            prop_assert_eq!(&k.groups, &groups);
            prop_assert_eq!(k.ignored, SigSet::from_bits(u128::from(ign & 0x7fff_ffff)));
            prop_assert_eq!(k.caught, SigSet::from_bits(u128::from(cgt & 0x7fff_ffff)));
        }
    }
}
