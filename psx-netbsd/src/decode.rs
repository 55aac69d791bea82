//! Pure decoding for NetBSD, tested on every host: `struct kinfo_proc2` bytes to psx
//! types, the MIBs, resource numbers, and the order of the two limit writes.
//!
//! Layout: NetBSD `sys/sys/sysctl.h`, `struct kinfo_proc2`, as the libc crate defines
//! it for x86_64-unknown-netbsd (680 bytes); `sys.rs` asserts at compile time, on
//! NetBSD, that every offset below equals libc's `offset_of!`. Fields are in the
//! kernel's native byte order.

use std::cmp::Ordering;

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
    /// A negative `p_ngroups`.
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
    /// `p_groups[..min(p_ngroups, 16)]`.
    pub groups: Vec<u32>,
    /// pending, blocked, ignored, caught (no process-wide pending on NetBSD).
    pub sigmasks: SignalMasks,
}

/// `N` bytes at `at`, or `None` past the end (never a panic, whatever the offsets).
fn bytes<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Decodes one `kinfo_proc2`.
///
/// `p_ngroups` is the process's real group count, while `p_groups` holds at most
/// [`layout::KI_NGROUPS`] of them (the kernel copies `min(ngroups, KI_NGROUPS)`): a
/// larger count gives the first 16. A negative count is an error.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    let truncated = DecodeError::Truncated { len: buf.len() };
    if buf.len() < SIZE {
        return Err(truncated);
    }
    let u32_at = |at: usize| bytes::<4>(buf, at).map(u32::from_ne_bytes);
    let i32_at = |at: usize| bytes::<4>(buf, at).map(i32::from_ne_bytes);
    // `ki_sigset_t`: four `uint32_t` words, signal N at bit (N - 1) % 32 of word (N - 1) / 32.
    let sigset_at = |at: usize| -> Option<SigSet> {
        let mut words = [0u32; 4];
        for (i, word) in words.iter_mut().enumerate() {
            *word = u32_at(at.checked_add(4 * i)?)?;
        }
        Some(SigSet::from_words(&words))
    };
    let ngroups = bytes::<2>(buf, P_NGROUPS)
        .map(i16::from_ne_bytes)
        .ok_or(truncated.clone())?;
    let count = usize::try_from(ngroups)
        .map_err(|_| DecodeError::BadGroupCount(ngroups))?
        .min(KI_NGROUPS);
    let groups = (0..count)
        .map(|i| u32_at(P_GROUPS + 4 * i))
        .collect::<Option<Vec<u32>>>();
    let decoded = (|| {
        Some(Kinfo {
            pid: i32_at(P_PID)?,
            pgid: i32_at(P_PGID)?,
            sid: i32_at(P_SID)?,
            groups: groups?,
            sigmasks: SignalMasks {
                pending: Some(sigset_at(P_SIGLIST)?),
                blocked: Some(sigset_at(P_SIGMASK)?),
                ignored: Some(sigset_at(P_SIGIGNORE)?),
                caught: Some(sigset_at(P_SIGCATCH)?),
                process_pending: None,
            },
        })
    })();
    decoded.ok_or(truncated)
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
/// which refuses soft > hard at every step (`dosetrlimit` in `sys/kern/kern_resource.c`),
/// never sees an invalid pair: when the hard limit rises, hard goes first; when it
/// falls, soft goes first; when it stays, only soft is written.
///
/// After that check `dosetrlimit` caps some limits, as `setrlimit(2)` does: data, stack,
/// nofile, nproc and nthr at `maxdmap`, `maxsmap`, `maxfiles`, `maxproc` and `maxlwp`.
/// So once a raised hard limit is written, the value the kernel kept is read back and
/// the soft limit capped to it: (unlimited, unlimited) for nofile ends as
/// (maxfiles, maxfiles), what `setrlimit(2)` gives, instead of a refused soft write
/// after the hard one has landed.
///
/// Returns the pair from before. Not atomic: another change can land between the
/// writes, and if the second write fails, the first has happened.
pub fn set_rlimit<S: LimitSysctl>(ctl: &mut S, new: RLimit) -> Result<RLimit, S::Error> {
    let old = get_rlimit(ctl)?;
    let (soft, hard) = (
        new.soft.to_raw(RLIM_INFINITY),
        new.hard.to_raw(RLIM_INFINITY),
    );
    match new.hard.cmp(&old.hard) {
        Ordering::Greater => {
            ctl.exchange(Side::Hard, Some(hard))?;
            let kept = ctl.exchange(Side::Hard, None)?;
            ctl.exchange(Side::Soft, Some(soft.min(kept)))?;
        }
        Ordering::Equal => {
            ctl.exchange(Side::Soft, Some(soft))?;
        }
        Ordering::Less => {
            ctl.exchange(Side::Soft, Some(soft))?;
            ctl.exchange(Side::Hard, Some(hard))?;
        }
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
    fn high_signals_cross_every_word() {
        // Signals 32/33, 64/65 and 96/97 sit on either side of a word boundary:
        // bit 31 of one word, bit 0 of the next.
        let w = [1 << 31, 1];
        let masks = [
            [w[0], w[1], 0, 0],
            [0, w[0], w[1], 0],
            [0, 0, w[0], w[1]],
            [0; 4],
        ];
        let m = kinfo(&fixture(&[], 0, masks)).unwrap().sigmasks;
        let list = |s: Option<SigSet>| s.unwrap().iter().collect::<Vec<_>>();
        assert_eq!(list(m.pending), [32, 33]);
        assert_eq!(list(m.blocked), [64, 65]);
        assert_eq!(list(m.ignored), [96, 97]);
        assert!(m.caught.unwrap().is_empty());
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
        // A process in more groups than the array holds: the first 16.
        assert_eq!(
            kinfo(&fixture(&sixteen, 17, [[0; 4]; 4])).unwrap().groups,
            sixteen
        );
        assert_eq!(
            kinfo(&fixture(&sixteen, i16::MAX, [[0; 4]; 4]))
                .unwrap()
                .groups,
            sixteen
        );
        assert_eq!(
            kinfo(&fixture(&[], -1, [[0; 4]; 4])),
            Err(DecodeError::BadGroupCount(-1))
        );
    }

    #[test]
    fn short_buffers_are_errors() {
        let buf = fixture(&[1], 1, [[0; 4]; 4]);
        for len in [
            0,
            1,
            layout::P_NGROUPS,
            layout::P_SIGCATCH + 15,
            layout::SIZE - 1,
        ] {
            assert_eq!(kinfo(&buf[..len]), Err(DecodeError::Truncated { len }));
        }
        // A longer reply (a newer kernel's bigger struct) decodes from its prefix.
        let mut longer = buf.clone();
        longer.extend_from_slice(&[0; 64]);
        assert_eq!(kinfo(&longer), kinfo(&buf));
    }

    #[test]
    fn mibs_have_six_and_five_elements() {
        let mib = kinfo_mib(77);
        assert_eq!(mib.len(), 6);
        // CTL_KERN, KERN_PROC2, KERN_PROC_PID, pid, sizeof(struct kinfo_proc2), count.
        assert_eq!(mib, [1, 47, 1, 77, 680, 1]);
        assert_eq!(mib[4] as usize, layout::SIZE);
        // RLIMIT_NOFILE (8) is element 9 under proc.<pid>.rlimit.
        assert_eq!(limit_mib(77, 8, Side::Soft), [10, 77, 2, 9, 1]);
        assert_eq!(limit_mib(77, 8, Side::Hard), [10, 77, 2, 9, 2]);
        assert_eq!(resource_number(Resource::Cpu), Some(0));
        assert_eq!(resource_number(Resource::As), Some(10));
        assert_eq!(resource_number(Resource::Nthr), Some(11));
        assert_eq!(resource_number(Resource::Rttime), None);
    }

    /// The kernel's limit sysctls as `dosetrlimit` treats a write: soft > hard is
    /// refused (EINVAL), then both sides are capped at `cap` (as `maxfiles` caps nofile).
    /// Records the writes.
    struct FakeKernel {
        soft: u64,
        hard: u64,
        cap: u64,
        writes: Vec<(Side, u64)>,
    }

    impl FakeKernel {
        fn new((soft, hard): (u64, u64), cap: u64) -> Self {
            FakeKernel {
                soft,
                hard,
                cap,
                writes: vec![],
            }
        }
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
                (self.soft, self.hard) = (soft.min(self.cap), hard.min(self.cap));
                self.writes.push((side, v));
            }
            Ok(old)
        }
    }

    fn value_pair((soft, hard): (u64, u64)) -> RLimit {
        RLimit::new(Limit::Value(soft), Limit::Value(hard))
    }

    /// Sets `to` from `from` on an uncapped fake kernel; checks the result and the
    /// returned old pair.
    fn set(from: (u64, u64), to: (u64, u64)) -> FakeKernel {
        let mut k = FakeKernel::new(from, u64::MAX);
        let old = set_rlimit(&mut k, value_pair(to)).unwrap();
        assert_eq!(old, value_pair(from));
        assert_eq!((k.soft, k.hard), to);
        k
    }

    #[test]
    fn raising_writes_hard_first() {
        assert_eq!(
            set((10, 20), (15, 40)).writes,
            [(Side::Hard, 40), (Side::Soft, 15)]
        );
    }

    #[test]
    fn lowering_writes_soft_first() {
        assert_eq!(
            set((30, 40), (35, 38)).writes,
            [(Side::Soft, 35), (Side::Hard, 38)]
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
        // The fake does refuse the other orders.
        let mut k = FakeKernel::new((10, 20), u64::MAX);
        assert!(k.exchange(Side::Soft, Some(25)).is_err());
        let mut k = FakeKernel::new((25, 30), u64::MAX);
        assert!(k.exchange(Side::Hard, Some(10)).is_err());
    }

    #[test]
    fn an_unchanged_hard_limit_is_not_written() {
        assert_eq!(set((10, 20), (20, 20)).writes, [(Side::Soft, 20)]);
        assert_eq!(set((10, 20), (0, 20)).writes, [(Side::Soft, 0)]);
    }

    #[test]
    fn a_capped_hard_limit_caps_the_soft_one_as_setrlimit_does() {
        // nofile at (64, 128) with maxfiles 1000, set to (unlimited, unlimited):
        // setrlimit(2) would give (1000, 1000).
        let mut k = FakeKernel::new((64, 128), 1000);
        let old = set_rlimit(&mut k, RLimit::new(Limit::Unlimited, Limit::Unlimited)).unwrap();
        assert_eq!(old, value_pair((64, 128)));
        assert_eq!((k.soft, k.hard), (1000, 1000));
        assert_eq!(k.writes, [(Side::Hard, RLIM_INFINITY), (Side::Soft, 1000)]);
    }

    #[test]
    fn unlimited_is_netbsds_infinity() {
        let mut k = FakeKernel::new((1, RLIM_INFINITY), u64::MAX);
        assert_eq!(get_rlimit(&mut k).unwrap().hard, Limit::Unlimited);
        assert_eq!(get_rlimit(&mut k).unwrap().soft, Limit::Value(1));
        set_rlimit(&mut k, RLimit::new(Limit::Unlimited, Limit::Unlimited)).unwrap();
        assert_eq!((k.soft, k.hard), (RLIM_INFINITY, RLIM_INFINITY));
        // A value at or above the infinity is written as the infinity.
        let mut k = FakeKernel::new((1, 2), u64::MAX);
        set_rlimit(&mut k, value_pair((u64::MAX, u64::MAX))).unwrap();
        assert_eq!((k.soft, k.hard), (RLIM_INFINITY, RLIM_INFINITY));
    }

    #[test]
    fn a_refused_write_is_reported() {
        /// Refuses every write, as for another user's process.
        struct Denied;
        impl LimitSysctl for Denied {
            type Error = &'static str;
            fn exchange(&mut self, _: Side, new: Option<u64>) -> Result<u64, &'static str> {
                match new {
                    Some(_) => Err("EPERM"),
                    None => Ok(5),
                }
            }
        }
        assert_eq!(set_rlimit(&mut Denied, value_pair((6, 6))), Err("EPERM"));
        assert_eq!(get_rlimit(&mut Denied), Ok(value_pair((5, 5))));
    }

    fn ordered((a, b): (u32, u32)) -> (u64, u64) {
        (u64::from(a.min(b)), u64::from(a.max(b)))
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
            set(ordered(a), ordered(b));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn under_a_cap_the_result_is_setrlimits(a in any::<(u32, u32)>(), b in any::<(u32, u32)>(), cap in any::<u32>()) {
            // The kernel keeps every limit at or below its cap.
            let (from, to, cap) = (ordered(a), ordered(b), u64::from(cap));
            let mut k = FakeKernel::new((from.0.min(cap), from.1.min(cap)), cap);
            set_rlimit(&mut k, value_pair(to)).unwrap();
            prop_assert_eq!((k.soft, k.hard), (to.0.min(cap), to.1.min(cap)));
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(
            groups in proptest::collection::vec(any::<u32>(), 0..=16),
            masks in any::<[[u32; 4]; 4]>(),
            ids in any::<(i32, i32, i32)>(),
        ) {
            let mut buf = fixture(&groups, groups.len() as i16, masks);
            for (at, id) in [(layout::P_PID, ids.0), (layout::P_PGID, ids.1), (layout::P_SID, ids.2)] {
                buf[at..at + 4].copy_from_slice(&id.to_ne_bytes());
            }
            let k = kinfo(&buf).unwrap();
            prop_assert_eq!((k.pid, k.pgid, k.sid), ids);
            prop_assert_eq!(&k.groups, &groups);
            let m = k.sigmasks;
            prop_assert_eq!(m.pending, Some(SigSet::from_words(&masks[0])));
            prop_assert_eq!(m.blocked, Some(SigSet::from_words(&masks[1])));
            prop_assert_eq!(m.ignored, Some(SigSet::from_words(&masks[2])));
            prop_assert_eq!(m.caught, Some(SigSet::from_words(&masks[3])));
        }
    }
}
