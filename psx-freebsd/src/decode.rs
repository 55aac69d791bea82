//! Pure decoding for FreeBSD, tested on every host: `struct kinfo_proc` bytes and the
//! replies of `KERN_PROC_GROUPS`, `KERN_PROC_UMASK` and `KERN_PROC_RLIMIT` to psx
//! types, the MIBs, and resource numbers.
//!
//! Layout: FreeBSD `sys/sys/user.h`, `struct kinfo_proc` (`KINFO_PROC_SIZE` 1088 on
//! amd64), as the libc crate defines it for x86_64-unknown-freebsd; `sys.rs` asserts at
//! compile time, on FreeBSD, that every offset below equals libc's `offset_of!`. Fields
//! are in the kernel's native byte order.

use psx_core::{Limit, RLimit, Resource, SigSet, SignalMasks};

/// Byte offsets in `struct kinfo_proc` (amd64).
pub mod layout {
    /// `KINFO_PROC_SIZE`, which the kernel also writes in `ki_structsize`.
    pub const SIZE: usize = 1088;
    /// `int ki_structsize`.
    pub const KI_STRUCTSIZE: usize = 0;
    /// `pid_t ki_pid`.
    pub const KI_PID: usize = 72;
    /// `pid_t ki_pgid`.
    pub const KI_PGID: usize = 80;
    /// `pid_t ki_sid`.
    pub const KI_SID: usize = 88;
    /// `sigset_t ki_siglist` (4 x `uint32_t`): pending.
    pub const KI_SIGLIST: usize = 104;
    /// `sigset_t ki_sigmask`: blocked.
    pub const KI_SIGMASK: usize = 120;
    /// `sigset_t ki_sigignore`.
    pub const KI_SIGIGNORE: usize = 136;
    /// `sigset_t ki_sigcatch`.
    pub const KI_SIGCATCH: usize = 152;
    /// `short ki_ngroups`.
    pub const KI_NGROUPS_FIELD: usize = 188;
    /// `gid_t ki_groups[KI_NGROUPS]`.
    pub const KI_GROUPS: usize = 192;
    /// `u_int ki_cr_flags`.
    pub const KI_CR_FLAGS: usize = 588;
    /// `KI_NGROUPS`: `kinfo_proc` holds at most this many groups.
    pub const KI_NGROUPS: usize = 16;
    /// `KI_CRF_GRP_OVERFLOW`: the process has more groups than `ki_groups` holds.
    pub const KI_CRF_GRP_OVERFLOW: u32 = 0x8000_0000;
}

/// `CTL_KERN`, `KERN_PROC` and its sub-nodes (`sys/sysctl.h`).
const CTL_KERN: i32 = 1;
const KERN_PROC: i32 = 14;
const KERN_PROC_PID: i32 = 1;
const KERN_PROC_GROUPS: i32 = 34;
const KERN_PROC_RLIMIT: i32 = 37;
const KERN_PROC_UMASK: i32 = 39;

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

/// FreeBSD's `RLIMIT_*` number for `resource` (`sys/resource.h`).
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
        _ => return None,
    })
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
    StructSize(i32),
    /// `ki_ngroups` outside `0..=KI_NGROUPS`.
    BadGroupCount(i16),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { what, len } => {
                write!(f, "{what} reply of {len} bytes is too short")
            }
            DecodeError::StructSize(n) => write!(
                f,
                "kernel's kinfo_proc is {n} bytes, psx was built for {}: a different FreeBSD ABI",
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
    /// `ki_pid`.
    pub pid: i32,
    /// `ki_pgid`.
    pub pgid: i32,
    /// `ki_sid`.
    pub sid: i32,
    /// `ki_groups[..ki_ngroups]`, or `None` when `KI_CRF_GRP_OVERFLOW` says it is
    /// truncated (then `KERN_PROC_GROUPS` has the full list).
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

/// Decodes one `kinfo_proc`, checking `ki_structsize` first.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    if buf.len() < 4 {
        return Err(DecodeError::Truncated {
            what: "kinfo_proc",
            len: buf.len(),
        });
    }
    let structsize = u32_at(buf, KI_STRUCTSIZE) as i32;
    if structsize != SIZE as i32 {
        return Err(DecodeError::StructSize(structsize));
    }
    if buf.len() < SIZE {
        return Err(DecodeError::Truncated {
            what: "kinfo_proc",
            len: buf.len(),
        });
    }
    let ngroups = ngroups_at(buf, KI_NGROUPS_FIELD);
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= KI_NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    let overflow = u32_at(buf, KI_CR_FLAGS) & KI_CRF_GRP_OVERFLOW != 0;
    Ok(Kinfo {
        pid: u32_at(buf, KI_PID) as i32,
        pgid: u32_at(buf, KI_PGID) as i32,
        sid: u32_at(buf, KI_SID) as i32,
        groups: (!overflow).then(|| (0..count).map(|i| u32_at(buf, KI_GROUPS + 4 * i)).collect()),
        sigmasks: SignalMasks {
            pending: Some(sigset_at(buf, KI_SIGLIST)),
            blocked: Some(sigset_at(buf, KI_SIGMASK)),
            ignored: Some(sigset_at(buf, KI_SIGIGNORE)),
            caught: Some(sigset_at(buf, KI_SIGCATCH)),
            process_pending: None,
        },
    })
}

/// Decodes a `KERN_PROC_GROUPS` reply: `gid_t[]`, as many as fit in `buf` (a trailing
/// partial `gid_t` is ignored). Up to FreeBSD 14 the first is the effective gid (as
/// `getgroups(2)` returned it); from FreeBSD 15 the list holds only the supplementary
/// groups and may be empty.
pub fn groups(buf: &[u8]) -> Vec<u32> {
    buf.chunks_exact(4).map(|c| u32_at(c, 0)).collect()
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
/// then `rlim_max`).
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

    /// A `kinfo_proc` laid out as FreeBSD's `sys/sys/user.h` `struct kinfo_proc`
    /// (`KINFO_PROC_SIZE` 1088 on amd64), at the offsets of libc's
    /// `x86_64-unknown-freebsd` struct that sys.rs asserts; the rest is filler.
    fn fixture(groups: &[u32], ngroups: i16, cr_flags: u32, masks: [[u32; 4]; 4]) -> Vec<u8> {
        use layout::*;
        let mut buf = vec![0xEEu8; SIZE];
        let mut put = |at: usize, bytes: &[u8]| buf[at..at + bytes.len()].copy_from_slice(bytes);
        put(KI_STRUCTSIZE, &(SIZE as i32).to_ne_bytes());
        put(KI_PID, &501i32.to_ne_bytes());
        put(KI_PGID, &500i32.to_ne_bytes());
        put(KI_SID, &400i32.to_ne_bytes());
        put(KI_NGROUPS_FIELD, &ngroups.to_ne_bytes());
        put(KI_CR_FLAGS, &cr_flags.to_ne_bytes());
        for (i, g) in groups.iter().enumerate() {
            put(KI_GROUPS + 4 * i, &g.to_ne_bytes());
        }
        for (set, at) in masks
            .iter()
            .zip([KI_SIGLIST, KI_SIGMASK, KI_SIGIGNORE, KI_SIGCATCH])
        {
            for (i, w) in set.iter().enumerate() {
                put(at + 4 * i, &w.to_ne_bytes());
            }
        }
        buf
    }

    #[test]
    fn decodes_ids_groups_and_masks() {
        // SIGUSR1 (30) pending, SIGINT blocked, SIGPIPE ignored, SIGRTMIN (65) caught.
        let masks = [
            [1 << 29, 0, 0, 0],
            [1 << 1, 0, 0, 0],
            [1 << 12, 0, 0, 0],
            [0, 0, 1, 0],
        ];
        let k = kinfo(&fixture(&[0, 5], 2, 0, masks)).unwrap();
        assert_eq!((k.pid, k.pgid, k.sid), (501, 500, 400));
        assert_eq!(k.groups, Some(vec![0, 5]));
        let m = k.sigmasks;
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![65]);
    }

    #[test]
    fn zero_sixteen_and_overflowing_groups() {
        assert_eq!(
            kinfo(&fixture(&[], 0, 0, [[0; 4]; 4])).unwrap().groups,
            Some(vec![])
        );
        let sixteen: Vec<u32> = (10..26).collect();
        assert_eq!(
            kinfo(&fixture(&sixteen, 16, 0, [[0; 4]; 4]))
                .unwrap()
                .groups,
            Some(sixteen.clone())
        );
        let flags = layout::KI_CRF_GRP_OVERFLOW;
        assert_eq!(
            kinfo(&fixture(&sixteen, 16, flags, [[0; 4]; 4]))
                .unwrap()
                .groups,
            None
        );
        assert_eq!(
            kinfo(&fixture(&[], 99, 0, [[0; 4]; 4])),
            Err(DecodeError::BadGroupCount(99))
        );
    }

    #[test]
    fn structsize_and_length_are_checked() {
        let mut other_abi = fixture(&[], 0, 0, [[0; 4]; 4]);
        other_abi[..4].copy_from_slice(&1096i32.to_ne_bytes());
        assert_eq!(kinfo(&other_abi), Err(DecodeError::StructSize(1096)));
        let buf = fixture(&[], 0, 0, [[0; 4]; 4]);
        for len in [0, 3] {
            assert!(matches!(
                kinfo(&buf[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        assert_eq!(
            kinfo(&buf[..100]),
            Err(DecodeError::Truncated {
                what: "kinfo_proc",
                len: 100
            })
        );
    }

    #[test]
    fn small_replies() {
        assert_eq!(umask(&0o022u16.to_ne_bytes()), Ok(0o022));
        assert!(umask(&[1]).is_err());
        let gids: Vec<u8> = [0u32, 5, 65534]
            .iter()
            .flat_map(|g| g.to_ne_bytes())
            .collect();
        assert_eq!(groups(&gids), vec![0, 5, 65534]);
        let pair = RLimit::new(Limit::Value(1024), Limit::Unlimited);
        let bytes = encode_rlimit(pair);
        assert_eq!(&bytes[8..], &RLIM_INFINITY.to_ne_bytes());
        assert_eq!(rlimit(&bytes), Ok(pair));
        assert!(rlimit(&bytes[..15]).is_err());
    }

    #[test]
    fn a_larger_kernel_struct_is_named_in_the_error() {
        // What read_kinfo hands over when a newer kernel's kinfo_proc is bigger than
        // the struct psx knows: the kernel's bytes, led by its own ki_structsize.
        let mut newer = vec![0u8; 2 * layout::SIZE];
        newer[..4].copy_from_slice(&1152i32.to_ne_bytes());
        let err = kinfo(&newer).unwrap_err();
        assert_eq!(err, DecodeError::StructSize(1152));
        assert!(err.to_string().contains("1152"), "{err}");
        assert!(err.to_string().contains("1088"), "{err}");
    }

    #[test]
    fn group_lists_of_any_length() {
        // FreeBSD 15: no supplementary groups is an empty reply.
        assert_eq!(groups(&[]), Vec::<u32>::new());
        let many: Vec<u32> = (1000..1040).collect();
        let mut bytes: Vec<u8> = many.iter().flat_map(|g| g.to_ne_bytes()).collect();
        assert_eq!(groups(&bytes), many);
        // A torn trailing gid_t is dropped, not misread.
        bytes.extend_from_slice(&[1, 2]);
        assert_eq!(groups(&bytes), many);
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
        assert_eq!(resource_number(Resource::Rttime), None);
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let _ = kinfo(&bytes);
            let _ = groups(&bytes);
            let _ = umask(&bytes);
            let _ = rlimit(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn kinfo_round_trips(
            gids in proptest::collection::vec(any::<u32>(), 0..=layout::KI_NGROUPS),
            masks in any::<[[u32; 4]; 4]>(),
            overflow in any::<bool>(),
        ) {
            let flags = if overflow { layout::KI_CRF_GRP_OVERFLOW } else { 0 };
            let k = kinfo(&fixture(&gids, gids.len() as i16, flags, masks)).unwrap();
            prop_assert_eq!(k.groups, (!overflow).then(|| gids.clone()));
            let m = k.sigmasks;
            for (got, want) in [m.pending, m.blocked, m.ignored, m.caught].into_iter().zip(masks) {
                prop_assert_eq!(got, Some(SigSet::from_words(&want)));
            }
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn group_lists_round_trip(gids in proptest::collection::vec(any::<u32>(), 0..200)) {
            let bytes: Vec<u8> = gids.iter().flat_map(|g| g.to_ne_bytes()).collect();
            prop_assert_eq!(groups(&bytes), gids);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn rlimits_round_trip(soft in any::<u64>(), hard in any::<u64>()) {
            let pair = RLimit::from_raw(soft, hard, RLIM_INFINITY);
            prop_assert_eq!(rlimit(&encode_rlimit(pair)).unwrap(), pair);
        }
    }
}
