//! Pure decoding for NetBSD, tested on every host: `struct kinfo_proc2` bytes to psx
//! types, the MIBs, resource numbers, and the order of the two limit writes.
//!
//! Layout: NetBSD `sys/sys/sysctl.h`, `struct kinfo_proc2`, as the libc crate defines
//! it for x86_64-unknown-netbsd (680 bytes); `sys.rs` asserts at compile time, on
//! NetBSD, that every offset below equals libc's `offset_of!`. Fields are in the
//! kernel's native byte order.

use psx_core::{RLimit, Resource, SigSet, SignalMasks};

/// Byte offsets in `struct kinfo_proc2` (x86_64).
pub mod layout {
    /// `sizeof(struct kinfo_proc2)`.
    pub const SIZE: usize = 680;
    /// `int32_t p_pid`.
    pub const P_PID: usize = 116;
    /// `int32_t p_sid`.
    pub const P_SID: usize = 124;
    /// `int32_t p__pgid`.
    pub const P_PGID: usize = 128;
    /// `uint32_t p_groups[KI_NGROUPS]`.
    pub const P_GROUPS: usize = 152;
    /// `int16_t p_ngroups`.
    pub const P_NGROUPS: usize = 216;
    /// `ki_sigset_t p_siglist` (4 x `uint32_t`), pending signals.
    pub const P_SIGLIST: usize = 296;
    /// `ki_sigset_t p_sigmask`, blocked signals.
    pub const P_SIGMASK: usize = 312;
    /// `ki_sigset_t p_sigignore`.
    pub const P_SIGIGNORE: usize = 328;
    /// `ki_sigset_t p_sigcatch`.
    pub const P_SIGCATCH: usize = 344;
    /// `KI_NGROUPS`: `kinfo_proc2` holds at most this many groups.
    pub const KI_NGROUPS: usize = 16;
}

/// `CTL_KERN`, `KERN_PROC2`, `KERN_PROC_PID` (`sys/sysctl.h`).
const CTL_KERN: i32 = 1;
const KERN_PROC2: i32 = 47;
const KERN_PROC_PID: i32 = 1;
/// `CTL_PROC`, `PROC_PID_LIMIT`, `PROC_PID_LIMIT_TYPE_SOFT`/`_HARD` (`sys/sysctl.h`).
const CTL_PROC: i32 = 10;
const PROC_PID_LIMIT: i32 = 2;
const PROC_PID_LIMIT_TYPE_SOFT: i32 = 1;
const PROC_PID_LIMIT_TYPE_HARD: i32 = 2;

/// NetBSD's `RLIM_INFINITY` (`sys/resource.h`): `(rlim_t)(~(1ULL << 63))`.
pub const RLIM_INFINITY: u64 = 0x7fff_ffff_ffff_ffff;

/// The MIB for one process's `kinfo_proc2`. Six elements: the element size and count
/// are part of it, and the kernel rejects the four-element form.
pub fn kinfo_mib(pid: i32) -> [i32; 6] {
    [
        CTL_KERN,
        KERN_PROC2,
        KERN_PROC_PID,
        pid,
        layout::SIZE as i32,
        1,
    ]
}

/// Which side of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `rlim_cur`.
    Soft,
    /// `rlim_max`.
    Hard,
}

/// The MIB `proc.<pid>.rlimit.<resource>.{soft,hard}`; the kernel numbers resources from 1.
pub fn limit_mib(pid: i32, resource_number: i32, side: Side) -> [i32; 5] {
    let side = match side {
        Side::Soft => PROC_PID_LIMIT_TYPE_SOFT,
        Side::Hard => PROC_PID_LIMIT_TYPE_HARD,
    };
    [CTL_PROC, pid, PROC_PID_LIMIT, resource_number + 1, side]
}

/// NetBSD's `RLIMIT_*` number for `resource` (`sys/resource.h`).
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
        Resource::Nthr => 11,
        _ => return None,
    })
}

/// Why a buffer is not a `kinfo_proc2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the struct.
    Truncated {
        /// Bytes received.
        len: usize,
    },
    /// `p_ngroups` outside `0..=KI_NGROUPS`.
    BadGroupCount(i16),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { len } => {
                write!(
                    f,
                    "kinfo_proc2 reply of {len} bytes, expected {}",
                    layout::SIZE
                )
            }
            DecodeError::BadGroupCount(n) => write!(f, "kinfo_proc2 claims {n} groups"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What psx takes from one `kinfo_proc2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinfo {
    /// `p_pid`.
    pub pid: i32,
    /// `p__pgid`.
    pub pgid: i32,
    /// `p_sid`.
    pub sid: i32,
    /// `p_groups[..p_ngroups]` (at most 16).
    pub groups: Vec<u32>,
    /// pending, blocked, ignored, caught (no process-wide pending on NetBSD).
    pub sigmasks: SignalMasks,
}

fn array<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&buf[at..at + N]);
    out
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(array(buf, at))
}

fn sigset_at(buf: &[u8], at: usize) -> SigSet {
    SigSet::from_words(&[0, 4, 8, 12].map(|o| u32_at(buf, at + o)))
}

/// Decodes one `kinfo_proc2`.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    if buf.len() < SIZE {
        return Err(DecodeError::Truncated { len: buf.len() });
    }
    let ngroups = i16::from_ne_bytes(array(buf, P_NGROUPS));
    let count = usize::try_from(ngroups)
        .ok()
        .filter(|&n| n <= KI_NGROUPS)
        .ok_or(DecodeError::BadGroupCount(ngroups))?;
    Ok(Kinfo {
        pid: u32_at(buf, P_PID) as i32,
        pgid: u32_at(buf, P_PGID) as i32,
        sid: u32_at(buf, P_SID) as i32,
        groups: (0..count).map(|i| u32_at(buf, P_GROUPS + 4 * i)).collect(),
        sigmasks: SignalMasks {
            pending: Some(sigset_at(buf, P_SIGLIST)),
            blocked: Some(sigset_at(buf, P_SIGMASK)),
            ignored: Some(sigset_at(buf, P_SIGIGNORE)),
            caught: Some(sigset_at(buf, P_SIGCATCH)),
            process_pending: None,
        },
    })
}

/// One side of one resource limit of one process, as the `CTL_PROC` sysctls expose it:
/// each call reads the old value and optionally writes a new one.
pub trait LimitSysctl {
    /// The error of a failed call.
    type Error;
    /// Reads `side`, and writes `new` if given; returns the value from before.
    fn exchange(&mut self, side: Side, new: Option<u64>) -> Result<u64, Self::Error>;
}

/// Reads both sides.
pub fn get_rlimit<S: LimitSysctl>(ctl: &mut S) -> Result<RLimit, S::Error> {
    let soft = ctl.exchange(Side::Soft, None)?;
    let hard = ctl.exchange(Side::Hard, None)?;
    Ok(RLimit::from_raw(soft, hard, RLIM_INFINITY))
}

/// Sets a valid (soft <= hard) pair with one write per side, ordered so the kernel,
/// which refuses soft > hard at every step, never sees an invalid pair: when the hard
/// limit rises (or stays), hard goes first; when it falls, soft goes first. Returns the
/// pair from before. Not atomic: if the second write fails, the first has happened.
pub fn set_rlimit<S: LimitSysctl>(ctl: &mut S, new: RLimit) -> Result<RLimit, S::Error> {
    let old = get_rlimit(ctl)?;
    let (soft, hard) = (
        new.soft.to_raw(RLIM_INFINITY),
        new.hard.to_raw(RLIM_INFINITY),
    );
    if new.hard >= old.hard {
        ctl.exchange(Side::Hard, Some(hard))?;
        ctl.exchange(Side::Soft, Some(soft))?;
    } else {
        ctl.exchange(Side::Soft, Some(soft))?;
        ctl.exchange(Side::Hard, Some(hard))?;
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use psx_core::Limit;

    /// A `kinfo_proc2` laid out as NetBSD's `sys/sys/sysctl.h` (libc's struct, x86_64).
    fn fixture(groups: &[u32], ngroups: i16, masks: [[u32; 4]; 4]) -> Vec<u8> {
        use layout::*;
        let mut buf = vec![0xAAu8; SIZE];
        buf[P_PID..P_PID + 4].copy_from_slice(&4242i32.to_ne_bytes());
        buf[P_PGID..P_PGID + 4].copy_from_slice(&4200i32.to_ne_bytes());
        buf[P_SID..P_SID + 4].copy_from_slice(&4100i32.to_ne_bytes());
        buf[P_NGROUPS..P_NGROUPS + 2].copy_from_slice(&ngroups.to_ne_bytes());
        for (i, g) in groups.iter().enumerate() {
            buf[P_GROUPS + 4 * i..P_GROUPS + 4 * i + 4].copy_from_slice(&g.to_ne_bytes());
        }
        for (set, at) in masks
            .iter()
            .zip([P_SIGLIST, P_SIGMASK, P_SIGIGNORE, P_SIGCATCH])
        {
            for (i, w) in set.iter().enumerate() {
                buf[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_ne_bytes());
            }
        }
        buf
    }

    #[test]
    fn decodes_ids_groups_and_masks() {
        // SIGUSR1 (30 on NetBSD) pending, SIGINT blocked, SIGPIPE ignored, signal 128 caught.
        let masks = [
            [1 << 29, 0, 0, 0],
            [1 << 1, 0, 0, 0],
            [1 << 12, 0, 0, 0],
            [0, 0, 0, 1 << 31],
        ];
        let k = kinfo(&fixture(&[0, 5], 2, masks)).unwrap();
        assert_eq!((k.pid, k.pgid, k.sid), (4242, 4200, 4100));
        assert_eq!(k.groups, vec![0, 5]);
        let m = k.sigmasks;
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![128]);
        assert_eq!(m.process_pending, None);
    }

    #[test]
    fn zero_and_sixteen_groups() {
        assert!(kinfo(&fixture(&[], 0, [[0; 4]; 4]))
            .unwrap()
            .groups
            .is_empty());
        let sixteen: Vec<u32> = (100..116).collect();
        assert_eq!(
            kinfo(&fixture(&sixteen, 16, [[0; 4]; 4])).unwrap().groups,
            sixteen
        );
        assert_eq!(
            kinfo(&fixture(&sixteen, 17, [[0; 4]; 4])),
            Err(DecodeError::BadGroupCount(17))
        );
        assert_eq!(
            kinfo(&fixture(&[], -1, [[0; 4]; 4])),
            Err(DecodeError::BadGroupCount(-1))
        );
    }

    #[test]
    fn short_buffers_are_errors() {
        let buf = fixture(&[1], 1, [[0; 4]; 4]);
        for len in [0, 1, layout::P_NGROUPS, layout::SIZE - 1] {
            assert_eq!(kinfo(&buf[..len]), Err(DecodeError::Truncated { len }));
        }
    }

    #[test]
    fn mibs_have_six_and_five_elements() {
        assert_eq!(kinfo_mib(77), [1, 47, 1, 77, 680, 1]);
        assert_eq!(kinfo_mib(77).len(), 6);
        // RLIMIT_NOFILE (8) is element 9 under proc.<pid>.rlimit.
        assert_eq!(limit_mib(77, 8, Side::Soft), [10, 77, 2, 9, 1]);
        assert_eq!(limit_mib(77, 8, Side::Hard), [10, 77, 2, 9, 2]);
        assert_eq!(resource_number(Resource::Nthr), Some(11));
        assert_eq!(resource_number(Resource::Rttime), None);
    }

    /// A kernel's limit sysctls: refuses soft > hard at every step, records the writes.
    struct FakeKernel {
        soft: u64,
        hard: u64,
        writes: Vec<(Side, u64)>,
    }

    impl LimitSysctl for FakeKernel {
        type Error = &'static str;
        fn exchange(&mut self, side: Side, new: Option<u64>) -> Result<u64, &'static str> {
            let old = match side {
                Side::Soft => self.soft,
                Side::Hard => self.hard,
            };
            if let Some(v) = new {
                let (soft, hard) = match side {
                    Side::Soft => (v, self.hard),
                    Side::Hard => (self.soft, v),
                };
                if soft > hard {
                    return Err("EINVAL: soft above hard");
                }
                (self.soft, self.hard) = (soft, hard);
                self.writes.push((side, v));
            }
            Ok(old)
        }
    }

    fn set(from: (u64, u64), to: (u64, u64)) -> FakeKernel {
        let mut k = FakeKernel {
            soft: from.0,
            hard: from.1,
            writes: vec![],
        };
        let new = RLimit::new(Limit::Value(to.0), Limit::Value(to.1));
        let old = set_rlimit(&mut k, new).unwrap();
        assert_eq!(old, RLimit::new(Limit::Value(from.0), Limit::Value(from.1)));
        assert_eq!((k.soft, k.hard), to);
        k
    }

    #[test]
    fn raising_writes_hard_first() {
        assert_eq!(
            set((10, 20), (30, 40)).writes,
            [(Side::Hard, 40), (Side::Soft, 30)]
        );
    }

    #[test]
    fn lowering_writes_soft_first() {
        assert_eq!(
            set((30, 40), (5, 8)).writes,
            [(Side::Soft, 5), (Side::Hard, 8)]
        );
    }

    #[test]
    fn crossing_the_old_hard_limit_works() {
        // New soft above the old hard: only hard-first can do it.
        assert_eq!(
            set((10, 20), (25, 30)).writes,
            [(Side::Hard, 30), (Side::Soft, 25)]
        );
        // New hard below the old soft: only soft-first can do it.
        assert_eq!(
            set((25, 30), (5, 10)).writes,
            [(Side::Soft, 5), (Side::Hard, 10)]
        );
    }

    #[test]
    fn unlimited_is_netbsds_infinity() {
        let mut k = FakeKernel {
            soft: 1,
            hard: RLIM_INFINITY,
            writes: vec![],
        };
        assert_eq!(get_rlimit(&mut k).unwrap().hard, Limit::Unlimited);
        set_rlimit(&mut k, RLimit::new(Limit::Unlimited, Limit::Unlimited)).unwrap();
        assert_eq!((k.soft, k.hard), (RLIM_INFINITY, RLIM_INFINITY));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = kinfo(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn any_valid_pair_is_set_from_any_valid_pair(a in any::<(u32, u32)>(), b in any::<(u32, u32)>()) {
            let (from, to) = ((a.0.min(a.1) as u64, a.0.max(a.1) as u64), (b.0.min(b.1) as u64, b.0.max(b.1) as u64));
            set(from, to);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(groups in proptest::collection::vec(any::<u32>(), 0..=16), masks in any::<[[u32; 4]; 4]>()) {
            let k = kinfo(&fixture(&groups, groups.len() as i16, masks)).unwrap();
            prop_assert_eq!(&k.groups, &groups);
            prop_assert_eq!(k.sigmasks.caught, Some(SigSet::from_words(&masks[3])));
        }
    }
}
