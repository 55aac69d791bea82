//! Pure decoding for Solaris and illumos, tested on every host: the binary files of
//! `/proc/<pid>`.
//!
//! Layouts: `usr/src/uts/common/sys/procfs.h` (illumos; Solaris 11 keeps the same
//! offsets for these fields, its `lwpstatus_t` naming the byte after `pr_cursig`
//! `pr_adi` where illumos has `pr_pad1`), for the LP64 data model: `prcred_t`, the head
//! of `pstatus_t` and of its `lwpstatus_t`, the head of `psinfo_t`, and `struct sigaction`
//! (`sys/signal.h`). They are transcribed below as `#[repr(C)]` mirrors (pointers and
//! `long` as 64-bit integers, so the layout is the target's on any host) and the
//! compiler computes the offsets; compile-time assertions pin them to the values worked
//! out by hand from the headers. The libc crate has none of the procfs structs; `sys.rs`
//! checks `struct sigaction`, `siginfo_t` and `sigset_t` against it on the target.

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

/// `prcred_t` (`/proc/<pid>/cred`): `pr_groups` is declared with one slot and runs on
/// past the struct for `pr_ngroups` entries.
#[repr(C)]
pub struct Prcred {
    /// `uid_t pr_euid, pr_ruid, pr_suid; gid_t pr_egid, pr_rgid, pr_sgid`.
    pub pr_ids: [u32; 6],
    /// `int pr_ngroups`.
    pub pr_ngroups: i32,
    /// `gid_t pr_groups[1]`.
    pub pr_groups: [u32; 1],
}

/// The head of `psinfo_t` (`/proc/<pid>/psinfo`), up to `pr_sid`.
#[repr(C)]
pub struct PsinfoHead {
    /// `int pr_flag; int pr_nlwp; pid_t pr_pid; pid_t pr_ppid`.
    pub pr_head: [i32; 4],
    /// `pid_t pr_pgid`: the process group.
    pub pr_pgid: i32,
    /// `pid_t pr_sid`: the session.
    pub pr_sid: i32,
}

/// `struct sigaction` (`sys/signal.h`, LP64), one per signal in `/proc/<pid>/sigact`.
#[repr(C)]
pub struct Sigaction {
    /// `int sa_flags`.
    pub sa_flags: i32,
    /// `union { void (*_handler)(); void (*_sigaction)(int, siginfo_t *, void *); }`:
    /// `SIG_DFL` (0), `SIG_IGN` (1) or a handler's address.
    pub sa_handler: u64,
    /// `sigset_t sa_mask`.
    pub sa_mask: Set4,
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
    pub const PR_NGROUPS: usize = offset_of!(Prcred, pr_ngroups);
    /// `prcred_t.pr_groups`: runs on past the struct for `pr_ngroups` entries.
    pub const PR_GROUPS: usize = offset_of!(Prcred, pr_groups);
    /// `sizeof(prcred_t)`: the least the kernel writes, even with no groups.
    pub const PRCRED_SIZE: usize = size_of::<Prcred>();
    /// `psinfo_t.pr_pgid`.
    pub const PSINFO_PGID: usize = offset_of!(PsinfoHead, pr_pgid);
    /// `psinfo_t.pr_sid`.
    pub const PSINFO_SID: usize = offset_of!(PsinfoHead, pr_sid);
    /// `sizeof(struct sigaction)`.
    pub const SIGACTION_SIZE: usize = size_of::<Sigaction>();
    /// `struct sigaction.sa_handler`.
    pub const SA_HANDLER: usize = offset_of!(Sigaction, sa_handler);
}

// The offsets the headers give for LP64, worked out by hand: a wrong transcription
// fails the build on every host.
const _: () = {
    assert!(layout::PR_SIGPEND == 32);
    assert!(offset_of!(PstatusHead, pr_lwp) == 384);
    assert!(offset_of!(LwpstatusHead, pr_info) == 16);
    assert!(layout::PR_LWPHOLD == 672);
    assert!(layout::PSTATUS_HEAD == 688);
    assert!(layout::PR_NGROUPS == 24 && layout::PR_GROUPS == 28 && layout::PRCRED_SIZE == 32);
    assert!(layout::PSINFO_PGID == 16 && layout::PSINFO_SID == 20);
    assert!(layout::SIGACTION_SIZE == 32 && layout::SA_HANDLER == 8);
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

/// A `sigset_t` (4 x `uint32_t`) at `at`.
fn set_at(buf: &[u8], at: usize) -> Option<SigSet> {
    let mut words = [0u32; 4];
    for (i, w) in words.iter_mut().enumerate() {
        *w = u32_at(buf, at.checked_add(4 * i)?)?;
    }
    Some(SigSet::from_words(&words))
}

/// The supplementary groups from `/proc/<pid>/cred` (`prcred_t`, whose `pr_groups`
/// array runs on past the struct).
pub fn cred_groups(buf: &[u8]) -> Result<Vec<u32>, DecodeError> {
    use layout::*;
    let truncated = DecodeError::Truncated {
        what: "cred",
        len: buf.len(),
    };
    if buf.len() < PRCRED_SIZE {
        return Err(truncated);
    }
    let n = i32_at(buf, PR_NGROUPS).ok_or(truncated)?;
    let room = buf.len().saturating_sub(PR_GROUPS) / 4;
    let count = usize::try_from(n)
        .ok()
        .filter(|&c| c <= room)
        .ok_or(DecodeError::BadGroupCount(n))?;
    (0..count)
        .map(|i| u32_at(buf, PR_GROUPS + 4 * i).ok_or(DecodeError::BadGroupCount(n)))
        .collect()
}

/// `(pr_pgid, pr_sid)` from `/proc/<pid>/psinfo`.
pub fn psinfo_ids(buf: &[u8]) -> Result<(i32, i32), DecodeError> {
    let ids = i32_at(buf, layout::PSINFO_PGID).zip(i32_at(buf, layout::PSINFO_SID));
    ids.ok_or(DecodeError::Truncated {
        what: "psinfo",
        len: buf.len(),
    })
}

/// `(pending, blocked)` from `/proc/<pid>/status`: the process's `pr_sigpend` and the
/// representative lwp's `pr_lwphold`.
pub fn status_masks(buf: &[u8]) -> Result<(SigSet, SigSet), DecodeError> {
    let truncated = DecodeError::Truncated {
        what: "status",
        len: buf.len(),
    };
    if buf.len() < layout::PSTATUS_HEAD {
        return Err(truncated);
    }
    set_at(buf, layout::PR_SIGPEND)
        .zip(set_at(buf, layout::PR_LWPHOLD))
        .ok_or(truncated)
}

/// `(ignored, caught)` from `/proc/<pid>/sigact`: entry N-1 is signal N (the kernel
/// writes `NSIG - 1` entries); `SIG_IGN` is ignored, any other value but `SIG_DFL` is
/// a handler: caught.
/// Entries past signal 128 are beyond any `sigset_t` and are skipped.
pub fn sigact(buf: &[u8]) -> Result<(SigSet, SigSet), DecodeError> {
    use layout::*;
    if buf.is_empty() || buf.len() % SIGACTION_SIZE != 0 {
        return Err(DecodeError::Sigact(buf.len()));
    }
    let (mut ignored, mut caught) = (SigSet::EMPTY, SigSet::EMPTY);
    for (sig, entry) in (1..=128).zip(buf.chunks_exact(SIGACTION_SIZE)) {
        let handler = bytes(entry, SA_HANDLER)
            .map(u64::from_ne_bytes)
            .ok_or(DecodeError::Sigact(buf.len()))?;
        match handler {
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
        // Fewer bytes than `sizeof(prcred_t)`: truncated, even if the count fits.
        assert_eq!(
            cred_groups(&cred(&[], 0)[..31]),
            Err(DecodeError::Truncated {
                what: "cred",
                len: 31
            })
        );
        // Two groups claimed, one present.
        assert_eq!(
            cred_groups(&cred(&[5, 6], 2)[..32]),
            Err(DecodeError::BadGroupCount(2))
        );
    }

    #[test]
    fn psinfo_pgid_and_sid() {
        let mut buf = vec![0u8; 416];
        buf[16..20].copy_from_slice(&77i32.to_ne_bytes());
        buf[20..24].copy_from_slice(&70i32.to_ne_bytes());
        assert_eq!(psinfo_ids(&buf), Ok((77, 70)));
        assert!(psinfo_ids(&buf[..23]).is_err());
    }

    /// A `pstatus_t` laid out as `sys/procfs.h` gives it (LP64: `pr_sigpend` at 32,
    /// `pr_lwp` at 384 and its `pr_lwphold` at 288 into it) with the given sets; the
    /// rest is filler, as the parts psx does not read.
    fn pstatus(sigpend: Set4, lwphold: Set4) -> Vec<u8> {
        let mut buf = vec![0xCCu8; 1000];
        for (at, set) in [(layout::PR_SIGPEND, sigpend), (layout::PR_LWPHOLD, lwphold)] {
            for (i, w) in set.iter().enumerate() {
                buf[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_ne_bytes());
            }
        }
        buf
    }

    /// `/proc/<pid>/sigact`: one `struct sigaction` per signal 1..=n, laid out as
    /// `sys/signal.h` gives it for LP64 (`sa_flags` at 0, the handler at 8, `sa_mask`
    /// at 16, 32 bytes in all).
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
        assert!(psinfo_ids(&[0; 23]).is_err());
    }

    #[test]
    fn sigact_past_signal_128_is_skipped() {
        let mut handlers = vec![SIG_IGN; 200];
        handlers[127] = 0x1000;
        let (ignored, caught) = sigact(&sigact_file(&handlers)).unwrap();
        assert_eq!(ignored.len(), 127);
        assert_eq!(caught.iter().collect::<Vec<_>>(), vec![128]);
    }

    #[test]
    fn the_fixture_offsets_are_the_headers() {
        // Written by hand from procfs.h and signal.h, independently of `layout`.
        let status = pstatus([0xA, 0, 0, 0], [0, 0xB, 0, 0]);
        assert_eq!(status[32..36], 0xAu32.to_ne_bytes());
        assert_eq!(status[384 + 288 + 4..384 + 288 + 8], 0xBu32.to_ne_bytes());
        let file = sigact_file(&[7]);
        assert_eq!(file.len(), 32);
        assert_eq!(file[8..16], 7u64.to_ne_bytes());
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
