//! Pure decoding for OpenBSD, tested on every host: `struct kinfo_proc` bytes to psx
//! types, and the MIB.
//!
//! Layout: OpenBSD `sys/sys/sysctl.h`, `struct kinfo_proc` (648 bytes on x86_64), as the
//! libc crate also defines it; `sys.rs` asserts at compile time, on OpenBSD, that every
//! offset below equals libc's `offset_of!`, and the tests pin each one to the header's
//! literal offset. Fields are in the kernel's native byte order; OpenBSD's signal sets
//! are one 32-bit word (signals 1 to 32).

use psx_core::{Error, Pid, SigSet, SignalMasks};

/// Byte offsets in `struct kinfo_proc` (x86_64).
pub mod layout {
    /// `sizeof(struct kinfo_proc)`.
    pub const SIZE: usize = 648;
    /// `int32_t p_pid`.
    pub const P_PID: usize = 108;
    /// `int32_t p_sid`.
    pub const P_SID: usize = 116;
    /// `int32_t p__pgid`.
    pub const P_PGID: usize = 120;
    /// `uint32_t p_groups[KI_NGROUPS]`.
    pub const P_GROUPS: usize = 144;
    /// `int16_t p_ngroups`.
    pub const P_NGROUPS: usize = 208;
    /// `int32_t p_siglist`: signals arrived, not yet delivered.
    pub const P_SIGLIST: usize = 288;
    /// `uint32_t p_sigmask`: blocked.
    pub const P_SIGMASK: usize = 292;
    /// `uint32_t p_sigignore`.
    pub const P_SIGIGNORE: usize = 296;
    /// `uint32_t p_sigcatch`.
    pub const P_SIGCATCH: usize = 300;
    /// `KI_NGROUPS`: `kinfo_proc` holds at most this many groups.
    pub const KI_NGROUPS: usize = 16;
}

/// `CTL_KERN`, `KERN_PROC`, `KERN_PROC_PID` (`sys/sysctl.h`).
const CTL_KERN: i32 = 1;
const KERN_PROC: i32 = 66;
const KERN_PROC_PID: i32 = 1;

/// The MIB for one process's `kinfo_proc`: six elements, the element size and count
/// being part of it.
pub fn kinfo_mib(pid: i32) -> [i32; 6] {
    [
        CTL_KERN,
        KERN_PROC,
        KERN_PROC_PID,
        pid,
        layout::SIZE as i32,
        1,
    ]
}

/// A process group or session id outside a oneshot, from `call` (`getpgid`/`getsid`),
/// or from `kinfo_id` (`kinfo_proc`'s `p__pgid`/`p_sid`) where the call refuses.
///
/// `sys_getpgid` and `sys_getsid` (`sys/kern/kern_prot.c`) answer EPERM for a process
/// in another session, and ESRCH when `prfind` fails, which it does for a zombie
/// (`exit1` in `sys/kern/kern_exit.c` takes the process off the pid hash), while
/// `sysctl_doproc` still lists zombies. `sys_getsid` also answers ESRCH for a live
/// process whose session leader has exited, where `fill_kproc` leaves `p_sid` 0. So on
/// either error the id comes from `kinfo_proc`, as it does inside a oneshot; a pid
/// `kinfo_proc` does not list either is no such process.
pub fn id_from_call(
    call: Result<Pid, Error>,
    kinfo_id: impl FnOnce() -> Result<i32, Error>,
) -> Result<Pid, Error> {
    match call {
        Err(Error::AccessDenied { .. } | Error::NoSuchProcess { .. }) => kinfo_id().map(Pid::from),
        other => other,
    }
}

/// Why a buffer is not a `kinfo_proc`.
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
                    "kinfo_proc reply of {len} bytes, expected {}",
                    layout::SIZE
                )
            }
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
    /// `p__pgid`.
    pub pgid: i32,
    /// `p_sid`: the session leader's pid, 0 once the leader has exited.
    pub sid: i32,
    /// `p_groups[..min(p_ngroups, 16)]`.
    pub groups: Vec<u32>,
    /// pending (the process's and its main thread's), blocked (the main thread's),
    /// ignored, caught; no separate process-wide pending.
    pub sigmasks: SignalMasks,
}

/// `N` bytes at `at`, or `None` past the end (never a panic, whatever the offsets).
fn bytes<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Decodes one `kinfo_proc`.
///
/// `p_ngroups` is the process's real group count (`cr_ngroups`), while `p_groups` holds
/// at most [`layout::KI_NGROUPS`]: a larger count gives the first 16. A negative count
/// is an error.
pub fn kinfo(buf: &[u8]) -> Result<Kinfo, DecodeError> {
    use layout::*;
    let truncated = DecodeError::Truncated { len: buf.len() };
    if buf.len() < SIZE {
        return Err(truncated);
    }
    let u32_at = |at: usize| bytes::<4>(buf, at).map(u32::from_ne_bytes);
    let i32_at = |at: usize| bytes::<4>(buf, at).map(i32::from_ne_bytes);
    // One 32-bit word: signal N at bit N - 1.
    let set = |at: usize| u32_at(at).map(|word| SigSet::from_words(&[word]));
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
                pending: Some(set(P_SIGLIST)?),
                blocked: Some(set(P_SIGMASK)?),
                ignored: Some(set(P_SIGIGNORE)?),
                caught: Some(set(P_SIGCATCH)?),
                process_pending: None,
            },
        })
    })();
    decoded.ok_or(truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// A `kinfo_proc` as OpenBSD's `sys/sys/sysctl.h` lays it out on LP64, written at
    /// the header's literal offsets (not through `layout`, so a wrong constant there
    /// fails these tests).
    fn fixture(groups: &[u32], ngroups: i16, masks: [u32; 4]) -> Vec<u8> {
        // sizeof(struct kinfo_proc): 12 uint64_t pointers, then the fields below,
        // through p_name[KI_MAXCOMLEN], with no padding anywhere.
        let mut buf = vec![0x55u8; 648];
        put(&mut buf, 108, &777i32.to_ne_bytes()); // int32_t p_pid
        put(&mut buf, 116, &700i32.to_ne_bytes()); // int32_t p_sid
        put(&mut buf, 120, &770i32.to_ne_bytes()); // int32_t p__pgid
        for (i, g) in groups.iter().enumerate() {
            put(&mut buf, 144 + 4 * i, &g.to_ne_bytes()); // u_int32_t p_groups[16]
        }
        put(&mut buf, 208, &ngroups.to_ne_bytes()); // int16_t p_ngroups

        // int32_t p_siglist, u_int32_t p_sigmask, p_sigignore, p_sigcatch.
        for (m, at) in masks.iter().zip([288, 292, 296, 300]) {
            put(&mut buf, at, &m.to_ne_bytes());
        }
        buf
    }

    #[test]
    fn layout_is_the_headers() {
        // sys/sys/sysctl.h, struct kinfo_proc, LP64.
        use layout::*;
        assert_eq!(SIZE, 648);
        assert_eq!((P_PID, P_SID, P_PGID), (108, 116, 120));
        assert_eq!((P_GROUPS, P_NGROUPS, KI_NGROUPS), (144, 208, 16));
        assert_eq!(
            (P_SIGLIST, P_SIGMASK, P_SIGIGNORE, P_SIGCATCH),
            (288, 292, 296, 300)
        );
    }

    #[test]
    fn decodes_ids_groups_and_masks() {
        // SIGUSR1 (30) pending, SIGINT blocked, SIGPIPE ignored, SIGTHR (32) caught.
        let k = kinfo(&fixture(
            &[0, 5, 20],
            3,
            [1 << 29, 1 << 1, 1 << 12, 1 << 31],
        ))
        .unwrap();
        assert_eq!((k.pid, k.pgid, k.sid), (777, 770, 700));
        assert_eq!(k.groups, vec![0, 5, 20]);
        let m = k.sigmasks;
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![30]);
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), vec![13]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), vec![32]);
        assert_eq!(m.process_pending, None);
    }

    #[test]
    fn every_signal_up_to_32() {
        // All 32 bits: signals 1 to 32, nothing above (OpenBSD has 32 signals).
        let m = kinfo(&fixture(&[], 0, [u32::MAX, 0, 1 << 31, 1]))
            .unwrap()
            .sigmasks;
        assert_eq!(
            m.pending.unwrap().iter().collect::<Vec<_>>(),
            (1..=32).collect::<Vec<_>>()
        );
        assert!(m.blocked.unwrap().is_empty());
        assert_eq!(m.ignored.unwrap().iter().collect::<Vec<_>>(), [32]);
        assert_eq!(m.caught.unwrap().iter().collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn zero_and_sixteen_groups() {
        assert!(kinfo(&fixture(&[], 0, [0; 4])).unwrap().groups.is_empty());
        let sixteen: Vec<u32> = (1000..1016).collect();
        assert_eq!(
            kinfo(&fixture(&sixteen, 16, [0; 4])).unwrap().groups,
            sixteen
        );
        // A count above what the array holds: the first 16.
        assert_eq!(
            kinfo(&fixture(&sixteen, 17, [0; 4])).unwrap().groups,
            sixteen
        );
        assert_eq!(
            kinfo(&fixture(&[], -1, [0; 4])),
            Err(DecodeError::BadGroupCount(-1))
        );
        assert_eq!(
            kinfo(&fixture(&[], i16::MIN, [0; 4])),
            Err(DecodeError::BadGroupCount(i16::MIN))
        );
    }

    #[test]
    fn short_buffers_are_errors() {
        let buf = fixture(&[1], 1, [0; 4]);
        for len in [0, 4, 209, 303, 647] {
            assert_eq!(kinfo(&buf[..len]), Err(DecodeError::Truncated { len }));
        }
        // A longer reply (a newer kernel's bigger struct) decodes from its prefix.
        let mut longer = buf.clone();
        longer.extend_from_slice(&[0; 64]);
        assert_eq!(kinfo(&longer), kinfo(&buf));
    }

    #[test]
    fn the_mib_has_six_elements_with_the_struct_size() {
        let mib = kinfo_mib(9);
        assert_eq!(mib.len(), 6);
        // CTL_KERN, KERN_PROC, KERN_PROC_PID, pid, sizeof(struct kinfo_proc), count.
        assert_eq!(mib, [1, 66, 1, 9, 648, 1]);
    }

    /// A process as OpenBSD shows it to another process: `sys_getpgid`/`sys_getsid`
    /// refuse another session (EPERM) and fail `prfind` for a zombie (ESRCH);
    /// `sys_getsid` answers ESRCH once the session leader has exited; `sysctl_doproc`
    /// lists live processes and zombies, with `p_sid` 0 when the session has no leader.
    #[derive(Clone, Copy)]
    struct Proc {
        exists: bool,
        zombie: bool,
        same_session: bool,
        leader_alive: bool,
    }

    impl Proc {
        fn kinfo(self) -> Result<Kinfo, Error> {
            if !self.exists {
                return Err(Error::NoSuchProcess {
                    pid: Pid::from(777),
                });
            }
            let mut buf = fixture(&[], 0, [0; 4]);
            if !self.leader_alive {
                put(&mut buf, 116, &0i32.to_ne_bytes()); // int32_t p_sid
            }
            Ok(kinfo(&buf).unwrap())
        }

        fn prfind(self) -> Result<(), Error> {
            let pid = Pid::from(777);
            if !self.exists || self.zombie {
                Err(Error::NoSuchProcess { pid })
            } else if !self.same_session {
                Err(Error::AccessDenied { pid })
            } else {
                Ok(())
            }
        }

        fn getpgid(self) -> Result<Pid, Error> {
            self.prfind().map(|()| Pid::from(770))
        }

        fn getsid(self) -> Result<Pid, Error> {
            self.prfind()?;
            if self.leader_alive {
                Ok(Pid::from(700))
            } else {
                Err(Error::NoSuchProcess {
                    pid: Pid::from(777),
                })
            }
        }
    }

    #[test]
    fn ids_fall_back_to_kinfo_where_the_calls_refuse() {
        let live = Proc {
            exists: true,
            zombie: false,
            same_session: true,
            leader_alive: true,
        };
        let cases = [
            (live, Some((770, 700))),
            // EPERM: another session.
            (
                Proc {
                    same_session: false,
                    ..live
                },
                Some((770, 700)),
            ),
            // ESRCH: a zombie.
            (
                Proc {
                    zombie: true,
                    same_session: false,
                    ..live
                },
                Some((770, 700)),
            ),
            // getsid's ESRCH for a leaderless session; kinfo_proc says 0.
            (
                Proc {
                    leader_alive: false,
                    ..live
                },
                Some((770, 0)),
            ),
            (
                Proc {
                    leader_alive: false,
                    same_session: false,
                    ..live
                },
                Some((770, 0)),
            ),
            (
                Proc {
                    exists: false,
                    ..live
                },
                None,
            ),
        ];
        for (proc, expected) in cases {
            let pgid = id_from_call(proc.getpgid(), || proc.kinfo().map(|k| k.pgid));
            let sid = id_from_call(proc.getsid(), || proc.kinfo().map(|k| k.sid));
            match expected {
                Some((g, s)) => {
                    assert_eq!(pgid.unwrap(), Pid::from(g));
                    assert_eq!(sid.unwrap(), Pid::from(s));
                }
                None => {
                    assert!(matches!(pgid, Err(Error::NoSuchProcess { .. })));
                    assert!(matches!(sid, Err(Error::NoSuchProcess { .. })));
                }
            }
            // Inside a oneshot the ids come from kinfo_proc alone: the same answer.
            if let (Some((g, s)), Ok(k)) = (expected, proc.kinfo()) {
                assert_eq!((k.pgid, k.sid), (g, s));
            }
        }
        // Other errors are not looked into.
        let other = Err(Error::Os {
            pid: Pid::from(777),
            source: std::io::Error::from_raw_os_error(22),
        });
        assert!(matches!(
            id_from_call(other, || unreachable!("EINVAL needs no kinfo_proc")),
            Err(Error::Os { .. })
        ));
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = kinfo(&bytes);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fixtures_round_trip(
            groups in proptest::collection::vec(any::<u32>(), 0..=16),
            masks in any::<[u32; 4]>(),
            ids in any::<(i32, i32, i32)>(),
        ) {
            let mut buf = fixture(&groups, groups.len() as i16, masks);
            // int32_t p_pid, p__pgid, p_sid (sys/sys/sysctl.h, struct kinfo_proc).
            for (at, id) in [(108, ids.0), (120, ids.1), (116, ids.2)] {
                put(&mut buf, at, &id.to_ne_bytes());
            }
            let k = kinfo(&buf).unwrap();
            prop_assert_eq!((k.pid, k.pgid, k.sid), ids);
            prop_assert_eq!(&k.groups, &groups);
            let m = k.sigmasks;
            let set = |w: u32| Some(SigSet::from_bits(u128::from(w)));
            prop_assert_eq!(m.pending, set(masks[0]));
            prop_assert_eq!(m.blocked, set(masks[1]));
            prop_assert_eq!(m.ignored, set(masks[2]));
            prop_assert_eq!(m.caught, set(masks[3]));
        }
    }
}
