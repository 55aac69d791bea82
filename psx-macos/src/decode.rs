//! Pure decoding for macOS, tested on every host: `struct kinfo_proc` bytes to psx types.
//!
//! The libc crate has no `kinfo_proc` for Apple targets, so the structs are transcribed
//! below from XNU: `struct extern_proc` (`bsd/sys/proc.h`), `struct eproc`, `struct
//! _pcred`, `struct _ucred` (`bsd/sys/sysctl.h`) and `struct vmspace` (`bsd/sys/vm.h`),
//! for LP64 (x86_64 and arm64 alike: pointers 8 bytes, `time_t` 8, `suseconds_t` 4,
//! `sigset_t` 4, `boolean_t` 4, `NGROUPS` 16, `MAXCOMLEN` 16). Pointers become `u64`, so
//! the layout is the same on whatever host compiles it, and the compiler computes the
//! offsets decoding uses; compile-time assertions pin the total size (648 bytes) and
//! the offsets read, as the headers give them.

use core::mem::{offset_of, size_of};

use psx_core::{SigSet, SignalMasks};

/// `struct timeval` (LP64 Darwin: `time_t` 8 bytes, `suseconds_t` 4, padded to 16).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Timeval {
    /// `tv_sec`.
    pub tv_sec: i64,
    /// `tv_usec`.
    pub tv_usec: i32,
}

/// `struct extern_proc`, `bsd/sys/proc.h`.
#[repr(C)]
pub struct ExternProc {
    /// `union p_un { struct { p_forw, p_back } p_st1; struct timeval __p_starttime; }`.
    pub p_un: [u64; 2],
    /// `struct vmspace *p_vmspace`.
    pub p_vmspace: u64,
    /// `struct sigacts *p_sigacts`.
    pub p_sigacts: u64,
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
    pub user_stack: u64,
    /// `void *exit_thread`.
    pub exit_thread: u64,
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
    pub p_wchan: u64,
    /// `char *p_wmesg`.
    pub p_wmesg: u64,
    /// `u_int p_swtime`.
    pub p_swtime: u32,
    /// `u_int p_slptime`.
    pub p_slptime: u32,
    /// `struct itimerval p_realtimer`.
    pub p_realtimer: [Timeval; 2],
    /// `struct timeval p_rtime`.
    pub p_rtime: Timeval,
    /// `u_quad_t p_uticks`.
    pub p_uticks: u64,
    /// `u_quad_t p_sticks`.
    pub p_sticks: u64,
    /// `u_quad_t p_iticks`.
    pub p_iticks: u64,
    /// `int p_traceflag`.
    pub p_traceflag: i32,
    /// `struct vnode *p_tracep`.
    pub p_tracep: u64,
    /// `int p_siglist` (deprecated: always 0).
    pub p_siglist: i32,
    /// `struct vnode *p_textvp`.
    pub p_textvp: u64,
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
    pub p_comm: [u8; 17],
    /// `struct pgrp *p_pgrp`.
    pub p_pgrp: u64,
    /// `struct user *p_addr`.
    pub p_addr: u64,
    /// `u_short p_xstat`.
    pub p_xstat: u16,
    /// `u_short p_acflag`.
    pub p_acflag: u16,
    /// `struct rusage *p_ru`.
    pub p_ru: u64,
}

/// `struct _pcred`, `bsd/sys/sysctl.h`.
#[repr(C)]
pub struct Pcred {
    /// `char pc_lock[72]`.
    pub pc_lock: [u8; 72],
    /// `struct ucred *pc_ucred`.
    pub pc_ucred: u64,
    /// `uid_t p_ruid`, `p_svuid`; `gid_t p_rgid`, `p_svgid`; `int p_refcnt`.
    pub ids: [u32; 5],
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
    pub vm_shm: u64,
    /// `segsz_t vm_rssize, vm_swrss, vm_tsize, vm_dsize, vm_ssize`.
    pub sizes: [i32; 5],
    /// `caddr_t vm_taddr, vm_daddr, vm_maxsaddr`.
    pub addrs: [u64; 3],
}

/// `struct eproc`, `bsd/sys/sysctl.h`.
#[repr(C)]
pub struct Eproc {
    /// `struct proc *e_paddr`.
    pub e_paddr: u64,
    /// `struct session *e_sess`.
    pub e_sess: u64,
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
    pub e_tsess: u64,
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
    /// `kp_proc.p_pid`.
    pub const P_PID: usize = offset_of!(ExternProc, p_pid);
    /// `kp_proc.p_sigignore`.
    pub const P_SIGIGNORE: usize = offset_of!(ExternProc, p_sigignore);
    /// `kp_proc.p_sigcatch`.
    pub const P_SIGCATCH: usize = offset_of!(ExternProc, p_sigcatch);
    /// `kp_eproc.e_ucred.cr_ngroups`.
    pub const CR_NGROUPS: usize = offset_of!(KinfoProc, kp_eproc)
        + offset_of!(Eproc, e_ucred)
        + offset_of!(Ucred, cr_ngroups);
    /// `kp_eproc.e_ucred.cr_groups`.
    pub const CR_GROUPS: usize =
        offset_of!(KinfoProc, kp_eproc) + offset_of!(Eproc, e_ucred) + offset_of!(Ucred, cr_groups);
    /// `kp_eproc.e_pgid`.
    pub const E_PGID: usize = offset_of!(KinfoProc, kp_eproc) + offset_of!(Eproc, e_pgid);
    /// `NGROUPS`.
    pub const NGROUPS: usize = 16;
}

// The layout the headers give for LP64, worked out by hand from them: a wrong
// transcription fails the build on every host.
const _: () = {
    assert!(size_of::<ExternProc>() == 296);
    assert!(size_of::<Eproc>() == 352);
    assert!(layout::SIZE == 648);
    assert!(layout::P_PID == 40);
    assert!(layout::P_SIGIGNORE == 232);
    assert!(layout::P_SIGCATCH == 236);
    assert!(layout::CR_NGROUPS == 424);
    assert!(layout::CR_GROUPS == 428);
    assert!(layout::E_PGID == 564);
};

/// `CTL_KERN`, `KERN_PROC`, `KERN_PROC_PID` (`bsd/sys/sysctl.h`).
pub fn kinfo_mib(pid: i32) -> [i32; 4] {
    [1, 14, 1, pid]
}

/// Why a buffer is not a `kinfo_proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the struct (a zero-length reply means no such process and is
    /// handled before decoding).
    Truncated(usize),
    /// `cr_ngroups` outside `0..=NGROUPS`.
    BadGroupCount(i16),
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
        }
    }
}

impl std::error::Error for DecodeError {}

/// What psx takes from one `kinfo_proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `p_pid`.
    pub pid: i32,
    /// `e_pgid`.
    pub pgid: i32,
    /// `cr_groups[..cr_ngroups]` (at most 16).
    pub groups: Vec<u32>,
    /// ignored and caught; macOS does not report pending or blocked here.
    pub sigmasks: SignalMasks,
}

/// `N` bytes at `at`, or `None` past the end (never a panic, whatever the offsets).
fn bytes<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    bytes(buf, at).map(u32::from_ne_bytes)
}

fn i32_at(buf: &[u8], at: usize) -> Option<i32> {
    bytes(buf, at).map(i32::from_ne_bytes)
}

/// Decodes one `kinfo_proc`.
///
/// `cr_ngroups` is at most `NGROUPS` (16): the kernel copies the credential's first 16
/// groups and counts them; anything else (negative, or above 16) is an error.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    let truncated = DecodeError::Truncated(buf.len());
    if buf.len() < SIZE {
        return Err(truncated);
    }
    let ngroups = bytes(buf, CR_NGROUPS)
        .map(i16::from_ne_bytes)
        .ok_or_else(|| truncated.clone())?;
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    let groups = (0..count)
        .map(|i| u32_at(buf, CR_GROUPS + 4 * i))
        .collect::<Option<Vec<u32>>>();
    let set = |at| u32_at(buf, at).map(|w| SigSet::from_words(&[w]));
    match (
        i32_at(buf, P_PID),
        i32_at(buf, E_PGID),
        groups,
        set(P_SIGIGNORE),
        set(P_SIGCATCH),
    ) {
        (Some(pid), Some(pgid), Some(groups), Some(ignored), Some(caught)) => Ok(Kinfo {
            pid,
            pgid,
            groups,
            sigmasks: SignalMasks {
                pending: None,
                blocked: None,
                ignored: Some(ignored),
                caught: Some(caught),
                process_pending: None,
            },
        }),
        _ => Err(truncated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `kinfo_proc` laid out as XNU's headers give it (LP64).
    fn fixture(groups: &[u32], ngroups: i16, ignored: u32, caught: u32) -> Vec<u8> {
        use layout::*;
        let mut buf = vec![0x77u8; SIZE];
        let mut put = |at: usize, b: &[u8]| buf[at..at + b.len()].copy_from_slice(b);
        put(P_PID, &321i32.to_ne_bytes());
        put(E_PGID, &320i32.to_ne_bytes());
        put(CR_NGROUPS, &ngroups.to_ne_bytes());
        for (i, g) in groups.iter().enumerate() {
            put(CR_GROUPS + 4 * i, &g.to_ne_bytes());
        }
        put(P_SIGIGNORE, &ignored.to_ne_bytes());
        put(P_SIGCATCH, &caught.to_ne_bytes());
        buf
    }

    #[test]
    fn decodes_ids_groups_and_dispositions() {
        // SIGPIPE (13) ignored; SIGINT (2) and SIGUSR1 (30 on macOS) caught.
        let k = kinfo(&fixture(&[20, 12, 61], 3, 1 << 12, (1 << 1) | (1 << 29))).unwrap();
        assert_eq!((k.pid, k.pgid), (321, 320));
        assert_eq!(k.groups, vec![20, 12, 61]);
        assert_eq!(
            k.sigmasks.ignored.unwrap().iter().collect::<Vec<_>>(),
            vec![13]
        );
        assert_eq!(
            k.sigmasks.caught.unwrap().iter().collect::<Vec<_>>(),
            vec![2, 30]
        );
        assert_eq!((k.sigmasks.pending, k.sigmasks.blocked), (None, None));
    }

    #[test]
    fn zero_and_sixteen_groups() {
        assert!(kinfo(&fixture(&[], 0, 0, 0)).unwrap().groups.is_empty());
        let sixteen: Vec<u32> = (500..516).collect();
        assert_eq!(kinfo(&fixture(&sixteen, 16, 0, 0)).unwrap().groups, sixteen);
        assert_eq!(
            kinfo(&fixture(&[], 17, 0, 0)),
            Err(DecodeError::BadGroupCount(17))
        );
        assert_eq!(
            kinfo(&fixture(&[], -3, 0, 0)),
            Err(DecodeError::BadGroupCount(-3))
        );
    }

    #[test]
    fn the_fixture_offsets_are_the_headers() {
        // Worked out by hand from XNU's bsd/sys/proc.h and bsd/sys/sysctl.h (LP64),
        // independently of `layout`: p_pid 40, p_sigignore 232, p_sigcatch 236,
        // cr_ngroups 424, cr_groups 428, e_pgid 564, 648 bytes in all.
        let buf = fixture(&[1000, 1001], 2, 0x11, 0x22);
        assert_eq!(buf.len(), 648);
        assert_eq!(buf[40..44], 321i32.to_ne_bytes());
        assert_eq!(buf[232..236], 0x11u32.to_ne_bytes());
        assert_eq!(buf[236..240], 0x22u32.to_ne_bytes());
        assert_eq!(buf[424..426], 2i16.to_ne_bytes());
        assert_eq!(buf[428..432], 1000u32.to_ne_bytes());
        assert_eq!(buf[432..436], 1001u32.to_ne_bytes());
        assert_eq!(buf[564..568], 320i32.to_ne_bytes());
    }

    #[test]
    fn short_buffers_are_errors() {
        let buf = fixture(&[1], 1, 0, 0);
        for len in [0, 8, 647] {
            assert_eq!(kinfo(&buf[..len]), Err(DecodeError::Truncated(len)));
        }
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
            let _ = kinfo(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(groups in proptest::collection::vec(any::<u32>(), 0..=16), ign in any::<u32>(), cgt in any::<u32>()) {
            let k = kinfo(&fixture(&groups, groups.len() as i16, ign, cgt)).unwrap();
            prop_assert_eq!(&k.groups, &groups);
            prop_assert_eq!(k.sigmasks.ignored, Some(SigSet::from_bits(u128::from(ign))));
            prop_assert_eq!(k.sigmasks.caught, Some(SigSet::from_bits(u128::from(cgt))));
        }
    }
}
