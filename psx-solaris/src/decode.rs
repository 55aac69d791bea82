//! Pure decoding for Solaris and illumos, tested on every host: the binary files of
//! `/proc/<pid>`.
//!
//! Layouts: `usr/src/uts/common/sys/procfs.h` (illumos; Solaris 11 keeps the same
//! offsets for these fields, its `lwpstatus_t` naming the byte after `pr_cursig`
//! `pr_adi` where illumos has `pr_pad1`), for the LP64 data model: `prcred_t`, the head
//! of `pstatus_t` and of its `lwpstatus_t`, the head of `psinfo_t`, and `struct sigaction`
//! (`sys/signal.h`). The pstatus structs are transcribed below as `#[repr(C)]` mirrors so
//! the compiler computes the offsets; compile-time assertions pin them. `sys.rs` checks
//! `struct sigaction` and `siginfo_t` against the libc crate on the target.

use core::mem::{offset_of, size_of};

use psx_core::{SigSet, SignalMasks};

/// `sigset_t`, `fltset_t`: 4 x `uint32_t`.
type Set4 = [u32; 4];
/// `timestruc_t` (LP64): `time_t tv_sec; long tv_nsec`.
type Timestruc = [i64; 2];

/// `siginfo_t` (LP64): 256 bytes (`SI_MAXSZ`), 8-byte aligned.
#[repr(C, align(8))]
pub struct Siginfo(pub [u8; 256]);

/// The head of `lwpstatus_t`, up to `pr_lwphold`.
#[repr(C)]
pub struct LwpstatusHead {
    /// `int pr_flags`.
    pub pr_flags: i32,
    /// `id_t pr_lwpid`.
    pub pr_lwpid: i32,
    /// `short pr_why, pr_what, pr_cursig, pr_pad1`.
    pub pr_shorts: [i16; 4],
    /// `siginfo_t pr_info`.
    pub pr_info: Siginfo,
    /// `sigset_t pr_lwppend`.
    pub pr_lwppend: Set4,
    /// `sigset_t pr_lwphold`: signals the lwp has blocked.
    pub pr_lwphold: Set4,
}

/// The head of `pstatus_t`, up to `pr_lwp`'s `pr_lwphold`.
#[repr(C)]
pub struct PstatusHead {
    /// `int pr_flags, pr_nlwp; pid_t pr_pid, pr_ppid, pr_pgid, pr_sid; id_t pr_aslwpid, pr_agentid`.
    pub pr_ids: [i32; 8],
    /// `sigset_t pr_sigpend`: signals pending for the process.
    pub pr_sigpend: Set4,
    /// `uintptr_t pr_brkbase; size_t pr_brksize; uintptr_t pr_stkbase; size_t pr_stksize`.
    pub pr_mem: [u64; 4],
    /// `timestruc_t pr_utime, pr_stime, pr_cutime, pr_cstime`.
    pub pr_times: [Timestruc; 4],
    /// `sigset_t pr_sigtrace`.
    pub pr_sigtrace: Set4,
    /// `fltset_t pr_flttrace`.
    pub pr_flttrace: Set4,
    /// `sysset_t pr_sysentry, pr_sysexit` (16 words each).
    pub pr_sysset: [[u32; 16]; 2],
    /// `char pr_dmodel; char pr_pad[3]`.
    pub pr_dmodel: [u8; 4],
    /// `taskid_t pr_taskid; projid_t pr_projid; int pr_nzomb; zoneid_t pr_zoneid`.
    pub pr_more_ids: [i32; 4],
    /// `int pr_filler[15]`.
    pub pr_filler: [i32; 15],
    /// `lwpstatus_t pr_lwp`: the representative lwp.
    pub pr_lwp: LwpstatusHead,
}

/// Offsets decoding reads.
pub mod layout {
    use super::*;
    /// `pstatus_t.pr_sigpend`.
    pub const PR_SIGPEND: usize = offset_of!(PstatusHead, pr_sigpend);
    /// `pstatus_t.pr_lwp.pr_lwphold`.
    pub const PR_LWPHOLD: usize =
        offset_of!(PstatusHead, pr_lwp) + offset_of!(LwpstatusHead, pr_lwphold);
    /// Bytes of `pstatus_t` psx needs.
    pub const PSTATUS_HEAD: usize = size_of::<PstatusHead>();
    /// `prcred_t.pr_ngroups`.
    pub const PR_NGROUPS: usize = 24;
    /// `prcred_t.pr_groups`: runs on past the struct for `pr_ngroups` entries.
    pub const PR_GROUPS: usize = 28;
    /// `psinfo_t.pr_pgid`.
    pub const PSINFO_PGID: usize = 16;
    /// `psinfo_t.pr_sid`.
    pub const PSINFO_SID: usize = 20;
    /// `sizeof(struct sigaction)` (LP64): `int sa_flags; void (*sa_handler)(); sigset_t sa_mask`.
    pub const SIGACTION_SIZE: usize = 32;
    /// `struct sigaction.sa_handler`.
    pub const SA_HANDLER: usize = 8;
}

// The offsets the headers give for LP64, worked out by hand: a wrong transcription
// fails the build on every host.
const _: () = {
    assert!(layout::PR_SIGPEND == 32);
    assert!(offset_of!(PstatusHead, pr_lwp) == 384);
    assert!(offset_of!(LwpstatusHead, pr_info) == 16);
    assert!(layout::PR_LWPHOLD == 672);
    assert!(layout::PSTATUS_HEAD == 688);
};

/// `SIG_DFL` and `SIG_IGN` (`sys/signal.h`).
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

/// Why a `/proc` file could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the struct.
    Truncated {
        /// Which file.
        what: &'static str,
        /// Bytes read.
        len: usize,
    },
    /// `pr_ngroups` negative or more than the file holds.
    BadGroupCount(i32),
    /// `sigact` is not a whole number of `struct sigaction`.
    Sigact(usize),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { what, len } => {
                write!(f, "/proc {what} of {len} bytes is too short")
            }
            DecodeError::BadGroupCount(n) => write!(f, "/proc cred claims {n} groups"),
            DecodeError::Sigact(len) => write!(
                f,
                "/proc sigact of {len} bytes is not an array of sigaction"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&buf[at..at + 4]);
    u32::from_ne_bytes(w)
}

fn set_at(buf: &[u8], at: usize) -> SigSet {
    SigSet::from_words(&[0, 4, 8, 12].map(|o| u32_at(buf, at + o)))
}

/// The supplementary groups from `/proc/<pid>/cred` (`prcred_t`, whose `pr_groups`
/// array runs on past the struct).
pub fn cred_groups(buf: &[u8]) -> Result<Vec<u32>, DecodeError> {
    use layout::*;
    if buf.len() < PR_GROUPS {
        return Err(DecodeError::Truncated {
            what: "cred",
            len: buf.len(),
        });
    }
    let n = u32_at(buf, PR_NGROUPS) as i32;
    let count = usize::try_from(n)
        .ok()
        .filter(|&c| c <= (buf.len() - PR_GROUPS) / 4)
        .ok_or(DecodeError::BadGroupCount(n))?;
    Ok((0..count).map(|i| u32_at(buf, PR_GROUPS + 4 * i)).collect())
}

/// `(pr_pgid, pr_sid)` from `/proc/<pid>/psinfo`.
pub fn psinfo_ids(buf: &[u8]) -> Result<(i32, i32), DecodeError> {
    if buf.len() < layout::PSINFO_SID + 4 {
        return Err(DecodeError::Truncated {
            what: "psinfo",
            len: buf.len(),
        });
    }
    Ok((
        u32_at(buf, layout::PSINFO_PGID) as i32,
        u32_at(buf, layout::PSINFO_SID) as i32,
    ))
}

/// `(pending, blocked)` from `/proc/<pid>/status`: the process's `pr_sigpend` and the
/// representative lwp's `pr_lwphold`.
pub fn status_masks(buf: &[u8]) -> Result<(SigSet, SigSet), DecodeError> {
    if buf.len() < layout::PSTATUS_HEAD {
        return Err(DecodeError::Truncated {
            what: "status",
            len: buf.len(),
        });
    }
    Ok((
        set_at(buf, layout::PR_SIGPEND),
        set_at(buf, layout::PR_LWPHOLD),
    ))
}

/// `(ignored, caught)` from `/proc/<pid>/sigact`: entry N-1 is signal N; `SIG_IGN` is
/// ignored, any other handler but `SIG_DFL` is caught.
pub fn sigact(buf: &[u8]) -> Result<(SigSet, SigSet), DecodeError> {
    use layout::*;
    if buf.is_empty() || buf.len() % SIGACTION_SIZE != 0 {
        return Err(DecodeError::Sigact(buf.len()));
    }
    let (mut ignored, mut caught) = (SigSet::EMPTY, SigSet::EMPTY);
    for (i, entry) in buf.chunks_exact(SIGACTION_SIZE).enumerate() {
        let mut handler = [0; 8];
        handler.copy_from_slice(&entry[SA_HANDLER..SA_HANDLER + 8]);
        let sig = i as i32 + 1;
        match u64::from_ne_bytes(handler) {
            SIG_DFL => {}
            SIG_IGN => ignored.insert(sig),
            _ => caught.insert(sig),
        }
    }
    Ok((ignored, caught))
}

/// The masks from `status` and `sigact` together.
pub fn sigmasks(status: &[u8], sigact_bytes: &[u8]) -> Result<SignalMasks, DecodeError> {
    let (pending, blocked) = status_masks(status)?;
    let (ignored, caught) = sigact(sigact_bytes)?;
    Ok(SignalMasks {
        pending: Some(pending),
        blocked: Some(blocked),
        ignored: Some(ignored),
        caught: Some(caught),
        process_pending: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `prcred_t` with `groups` following it, as procfs writes `/proc/<pid>/cred`
    /// (`sizeof(prcred_t)` at least, that is one group slot even when there are none).
    fn cred(groups: &[u32], claimed: i32) -> Vec<u8> {
        let mut buf = Vec::new();
        for id in [100u32, 100, 100, 10, 10, 10] {
            buf.extend_from_slice(&id.to_ne_bytes());
        }
        buf.extend_from_slice(&claimed.to_ne_bytes());
        for g in groups {
            buf.extend_from_slice(&g.to_ne_bytes());
        }
        if groups.is_empty() {
            buf.extend_from_slice(&0u32.to_ne_bytes());
        }
        buf
    }

    #[test]
    fn cred_with_0_1_and_32_groups() {
        assert_eq!(cred_groups(&cred(&[], 0)), Ok(vec![]));
        assert_eq!(cred_groups(&cred(&[14], 1)), Ok(vec![14]));
        let many: Vec<u32> = (100..132).collect();
        assert_eq!(cred_groups(&cred(&many, 32)), Ok(many.clone()));
        assert_eq!(
            cred_groups(&cred(&many, 33)),
            Err(DecodeError::BadGroupCount(33))
        );
        assert_eq!(
            cred_groups(&cred(&[], -1)),
            Err(DecodeError::BadGroupCount(-1))
        );
        assert!(cred_groups(&cred(&[1], 1)[..20]).is_err());
    }

    #[test]
    fn psinfo_pgid_and_sid() {
        let mut buf = vec![0u8; 416];
        buf[16..20].copy_from_slice(&77i32.to_ne_bytes());
        buf[20..24].copy_from_slice(&70i32.to_ne_bytes());
        assert_eq!(psinfo_ids(&buf), Ok((77, 70)));
        assert!(psinfo_ids(&buf[..23]).is_err());
    }

    /// A `pstatus_t` head laid out as `sys/procfs.h` (LP64) with the given sets.
    fn pstatus(sigpend: Set4, lwphold: Set4) -> Vec<u8> {
        let mut buf = vec![0xCCu8; 1000];
        for (at, set) in [(layout::PR_SIGPEND, sigpend), (layout::PR_LWPHOLD, lwphold)] {
            for (i, w) in set.iter().enumerate() {
                buf[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_ne_bytes());
            }
        }
        buf
    }

    /// `/proc/<pid>/sigact`: one `struct sigaction` per signal 1..=n.
    fn sigact_file(handlers: &[u64]) -> Vec<u8> {
        let mut buf = Vec::new();
        for &h in handlers {
            let mut entry = [0u8; 32];
            entry[8..16].copy_from_slice(&h.to_ne_bytes());
            buf.extend_from_slice(&entry);
        }
        buf
    }

    #[test]
    fn status_and_sigact_give_all_four_masks() {
        // SIGUSR1 (16 on Solaris) pending; SIGINT and signal 72 blocked.
        let status = pstatus([1 << 15, 0, 0, 0], [1 << 1, 0, 1 << 7, 0]);
        // SIGHUP default, SIGINT caught, SIGQUIT ignored, signal 72 caught.
        let mut handlers = vec![SIG_DFL; 72];
        handlers[1] = 0x4010_2030;
        handlers[2] = SIG_IGN;
        handlers[71] = 0x4010_2040;
        let m = sigmasks(&status, &sigact_file(&handlers)).unwrap();
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![16]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2, 72]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![3]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![2, 72]);
        assert_eq!(m.process_pending, None);
    }

    #[test]
    fn truncated_files_are_errors() {
        assert!(status_masks(&pstatus([0; 4], [0; 4])[..687]).is_err());
        assert_eq!(sigact(&[]), Err(DecodeError::Sigact(0)));
        assert_eq!(sigact(&[0; 33]), Err(DecodeError::Sigact(33)));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let _ = cred_groups(&bytes);
            let _ = psinfo_ids(&bytes);
            let _ = status_masks(&bytes);
            let _ = sigact(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn cred_round_trips(groups in proptest::collection::vec(any::<u32>(), 0..64)) {
            prop_assert_eq!(cred_groups(&cred(&groups, groups.len() as i32)).unwrap(), groups);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn sigact_round_trips(handlers in proptest::collection::vec(prop_oneof![Just(0u64), Just(1u64), 2u64..], 1..80)) {
            let (ignored, caught) = sigact(&sigact_file(&handlers)).unwrap();
            for (i, h) in handlers.iter().enumerate() {
                let sig = i as i32 + 1;
                prop_assert_eq!(ignored.contains(sig), *h == 1);
                prop_assert_eq!(caught.contains(sig), *h > 1);
            }
        }
    }
}
