//! Signal sets and the masks of a process.

use std::fmt;

/// A set of signals, up to 128 of them: bit N-1 stands for signal N, as on every OS.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SigSet(u128);

impl SigSet {
    /// The empty set.
    pub const EMPTY: SigSet = SigSet(0);

    /// The set whose bit N-1 is signal N.
    pub const fn from_bits(bits: u128) -> Self {
        SigSet(bits)
    }

    /// Bit N-1 is signal N.
    pub const fn bits(self) -> u128 {
        self.0
    }

    /// The set from 32-bit words, least significant first (the BSDs' `sigset_t`,
    /// `__bits[0]` holding signals 1 to 32).
    pub fn from_words(words: &[u32]) -> Self {
        let bits = words
            .iter()
            .take(4)
            .enumerate()
            .fold(0u128, |acc, (i, &w)| acc | (u128::from(w) << (32 * i)));
        SigSet(bits)
    }

    /// Whether signal `sig` is in the set (false for numbers outside 1..=128).
    pub const fn contains(self, sig: i32) -> bool {
        sig >= 1 && sig <= 128 && self.0 & (1u128 << (sig - 1)) != 0
    }

    /// Adds signal `sig`; numbers outside 1..=128 are ignored.
    pub fn insert(&mut self, sig: i32) {
        if (1..=128).contains(&sig) {
            self.0 |= 1u128 << (sig - 1);
        }
    }

    /// How many signals are in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether no signal is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The signal numbers in the set, ascending.
    pub fn iter(self) -> SigSetIter {
        SigSetIter(self.0)
    }
}

impl fmt::Debug for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The signals of a [`SigSet`], ascending.
#[derive(Debug, Clone)]
pub struct SigSetIter(u128);

impl Iterator for SigSetIter {
    type Item = i32;

    fn next(&mut self) -> Option<i32> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(bit as i32 + 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for SigSetIter {}

impl IntoIterator for SigSet {
    type Item = i32;
    type IntoIter = SigSetIter;

    fn into_iter(self) -> SigSetIter {
        self.iter()
    }
}

impl FromIterator<i32> for SigSet {
    fn from_iter<I: IntoIterator<Item = i32>>(iter: I) -> Self {
        let mut set = SigSet::EMPTY;
        iter.into_iter().for_each(|s| set.insert(s));
        set
    }
}

/// The signal masks of a process, as psutil-extra's `proc_get_sigmask` returns them.
///
/// A field is `None` where the platform cannot tell it (macOS: `pending`, `blocked`;
/// every OS but Linux, Solaris and illumos: `process_pending`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SignalMasks {
    /// Signals pending for the thread read (Linux `SigPnd`; Solaris/illumos the
    /// representative lwp's `pr_lwppend`; the process elsewhere).
    pub pending: Option<SigSet>,
    /// Signals the thread has blocked (Linux `SigBlk`).
    pub blocked: Option<SigSet>,
    /// Signals whose disposition is `SIG_IGN` (Linux `SigIgn`).
    pub ignored: Option<SigSet>,
    /// Signals with a handler installed (Linux `SigCgt`).
    pub caught: Option<SigSet>,
    /// Signals pending for the whole process (Linux `ShdPnd`; Solaris/illumos
    /// `pr_sigpend`; `None` elsewhere).
    pub process_pending: Option<SigSet>,
}

/// `SIGINT(2) SIGTERM(15)`, signal names where the platform has them, `none` when empty.
impl fmt::Display for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, sig) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match signal_name(sig) {
                Some(name) => write!(f, "{name}({sig})")?,
                None => write!(f, "{sig}")?,
            }
        }
        Ok(())
    }
}

/// One `name: set` line per mask the platform knows (`blocked: SIGCHLD(17)`).
impl fmt::Display for SignalMasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masks = [
            ("pending", self.pending),
            ("blocked", self.blocked),
            ("ignored", self.ignored),
            ("caught", self.caught),
            ("process pending", self.process_pending),
        ];
        let mut first = true;
        for (name, set) in masks {
            if let Some(set) = set {
                if !first {
                    f.write_str("\n")?;
                }
                first = false;
                write!(f, "{name}: {set}")?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::SigSet;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// A sorted array of signal numbers.
    impl Serialize for SigSet {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.iter())
        }
    }

    impl<'de> Deserialize<'de> for SigSet {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let sigs = Vec::<i32>::deserialize(d)?;
            if let Some(bad) = sigs.iter().find(|s| !(1..=128).contains(*s)) {
                return Err(serde::de::Error::custom(format!(
                    "signal {bad} out of range 1..=128"
                )));
            }
            Ok(sigs.into_iter().collect())
        }
    }
}

/// The name of signal `sig` on the platform psx was built for (`"SIGINT"`), or
/// `None` where it has none (Linux's 32 and 33, which glibc keeps for itself).
pub fn signal_name(sig: i32) -> Option<&'static str> {
    names::NAMES
        .iter()
        .chain(names::EXTRA)
        .find(|&&(n, _)| n == sig)
        .map(|&(_, name)| name)
        .or_else(|| names::realtime(sig))
}

#[cfg(unix)]
mod names {
    macro_rules! table {
        ($($sig:ident),+ $(,)?) => { &[$((libc::$sig, stringify!($sig))),+] };
    }

    /// The signals every Unix the libc crate knows defines.
    pub(super) const NAMES: &[(i32, &str)] = table![
        SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
        SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN,
        SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGSYS,
    ];

    /// The platform's own signals.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) const EXTRA: &[(i32, &str)] = table![SIGSTKFLT, SIGPWR];
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd"
    ))]
    pub(super) const EXTRA: &[(i32, &str)] = table![SIGEMT, SIGINFO];
    /// Solaris and illumos number their own signals past 31 (`sys/iso/signal_iso.h`);
    /// the libc crate names few of them, so the numbers are written here. SIGINFO (41)
    /// is illumos's: Solaris's public headers stop at 40.
    #[cfg(any(target_os = "solaris", target_os = "illumos"))]
    pub(super) const EXTRA: &[(i32, &str)] = {
        const ALL: &[(i32, &str)] = &[
            (libc::SIGEMT, "SIGEMT"),
            (libc::SIGPWR, "SIGPWR"),
            (32, "SIGWAITING"),
            (33, "SIGLWP"),
            (34, "SIGFREEZE"),
            (35, "SIGTHAW"),
            (36, "SIGCANCEL"),
            (37, "SIGLOST"),
            (38, "SIGXRES"),
            (39, "SIGJVM1"),
            (40, "SIGJVM2"),
            (41, "SIGINFO"),
        ];
        if cfg!(target_os = "illumos") {
            ALL
        } else {
            ALL.split_at(ALL.len() - 1).0
        }
    };
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "solaris",
        target_os = "illumos"
    )))]
    pub(super) const EXTRA: &[(i32, &str)] = &[];

    /// Linux's real-time signals, `SIGRTMIN()..=SIGRTMAX()` as the C library running
    /// psx defines them (glibc on x86 keeps 32 and 33 for itself, so 34..=64; musl
    /// keeps 32..=34; MIPS runs to 128), named as `kill -l` names them: the lower half
    /// from `SIGRTMIN`, the upper half down from `SIGRTMAX`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn realtime(sig: i32) -> Option<&'static str> {
        use std::sync::OnceLock;
        static NAMES: OnceLock<Vec<String>> = OnceLock::new();
        let (min, max) = bounds();
        let names = NAMES.get_or_init(|| (min..=max).map(|n| realtime_name(n, min, max)).collect());
        usize::try_from(sig.checked_sub(min)?)
            .ok()
            .and_then(|i| names.get(i))
            .map(String::as_str)
    }

    /// `SIGRTMIN()` and `SIGRTMAX()`: calls into the C library, which Miri cannot make.
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    fn bounds() -> (i32, i32) {
        (libc::SIGRTMIN(), libc::SIGRTMAX())
    }

    #[cfg(all(any(target_os = "linux", target_os = "android"), miri))]
    fn bounds() -> (i32, i32) {
        (34, 64)
    }

    /// `kill -l`'s name for real-time signal `sig` in `min..=max`.
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android", target_os = "illumos")),
        allow(dead_code)
    )]
    pub(super) fn realtime_name(sig: i32, min: i32, max: i32) -> String {
        let from_min = sig - min;
        if from_min > (max - min) / 2 {
            match max - sig {
                0 => "SIGRTMAX".to_owned(),
                n => format!("SIGRTMAX-{n}"),
            }
        } else {
            match from_min {
                0 => "SIGRTMIN".to_owned(),
                n => format!("SIGRTMIN+{n}"),
            }
        }
    }

    /// illumos's real-time signals, `_SIGRTMIN` 42 to `_SIGRTMAX` 73
    /// (`sys/iso/signal_iso.h`), named as its libc's `str2sig` names them.
    #[cfg(target_os = "illumos")]
    pub(super) fn realtime(sig: i32) -> Option<&'static str> {
        use std::sync::OnceLock;
        const MIN: i32 = 42;
        const MAX: i32 = 73;
        static NAMES: OnceLock<Vec<String>> = OnceLock::new();
        let names = NAMES.get_or_init(|| (MIN..=MAX).map(|n| realtime_name(n, MIN, MAX)).collect());
        usize::try_from(sig.checked_sub(MIN)?)
            .ok()
            .and_then(|i| names.get(i))
            .map(String::as_str)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "illumos")))]
    pub(super) fn realtime(_sig: i32) -> Option<&'static str> {
        None
    }
}

#[cfg(not(unix))]
mod names {
    pub(super) const NAMES: &[(i32, &str)] = &[];
    pub(super) const EXTRA: &[(i32, &str)] = &[];
    pub(super) fn realtime(_sig: i32) -> Option<&'static str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn sets_and_masks_display_with_names() {
        let set: SigSet = [2, 15, 33].into_iter().collect();
        assert_eq!(set.to_string(), "SIGINT(2) SIGTERM(15) 33");
        assert_eq!(SigSet::EMPTY.to_string(), "none");
        let masks = SignalMasks {
            blocked: Some([17].into_iter().collect()),
            caught: Some(SigSet::EMPTY),
            ..SignalMasks::default()
        };
        assert_eq!(masks.to_string(), "blocked: SIGCHLD(17)\ncaught: none");
    }

    #[test]
    fn bit_n_minus_one_is_signal_n() {
        let set = SigSet::from_bits(0b101);
        assert!(set.contains(1) && !set.contains(2) && set.contains(3));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![1, 3]);
        assert!(!set.contains(0) && !set.contains(-1) && !set.contains(129));
    }

    #[test]
    fn high_signals_and_words() {
        let set = SigSet::from_words(&[0, 0, 0, 0x8000_0000]);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![128]);
        let set: SigSet = [64, 65, 128, 0, 200].into_iter().collect();
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![64, 65, 128]);
        assert_eq!(set.len(), 3);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_names() {
        assert_eq!(signal_name(2), Some("SIGINT"));
        assert_eq!(signal_name(10), Some("SIGUSR1"));
        assert_eq!(signal_name(32), None);
        // Whatever the C library reserves, its first and last real-time signals.
        #[cfg(not(miri))]
        let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
        #[cfg(miri)]
        let (min, max) = (34, 64);
        assert_eq!(signal_name(min), Some("SIGRTMIN"));
        assert_eq!(signal_name(max), Some("SIGRTMAX"));
        assert_eq!(signal_name(min - 1), None);
        assert_eq!(signal_name(max + 1), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn realtime_names_follow_the_c_library() {
        let all = |min, max| -> Vec<String> {
            (min..=max)
                .map(|s| names::realtime_name(s, min, max))
                .collect()
        };
        // glibc on x86: 34..=64, as `kill -l` prints it.
        let glibc = all(34, 64);
        assert_eq!(glibc[0], "SIGRTMIN");
        assert_eq!(glibc[15], "SIGRTMIN+15");
        assert_eq!(glibc[16], "SIGRTMAX-14");
        assert_eq!(glibc[30], "SIGRTMAX");
        // musl: SIGRTMIN is 35.
        let musl = all(35, 64);
        assert_eq!(
            (musl[0].as_str(), musl[29].as_str()),
            ("SIGRTMIN", "SIGRTMAX")
        );
        assert_eq!(musl[14], "SIGRTMIN+14");
        assert_eq!(musl[15], "SIGRTMAX-14");
        // MIPS: 128 signals.
        let mips = all(34, 128);
        assert_eq!(
            (mips[47].as_str(), mips[48].as_str()),
            ("SIGRTMIN+47", "SIGRTMAX-46")
        );
        assert_eq!(mips[94], "SIGRTMAX");
        // illumos: 42..=73 (sys/iso/signal_iso.h), split as its str2sig splits them.
        let illumos = all(42, 73);
        assert_eq!(
            (illumos[15].as_str(), illumos[16].as_str()),
            ("SIGRTMIN+15", "SIGRTMAX-15")
        );
        assert_eq!(illumos[31], "SIGRTMAX");
    }
}
