//! Process ids, and the target of a call: a bare pid or a pinned handle.

use std::fmt;

use crate::{Backend, Error, Result};

/// A process id (`pid_t`), or a number asked about as one.
///
/// Any `i32` or `u32` can be held, and keeps its value (a `u32` above `i32::MAX` is
/// not folded onto another number); only `1..=i32::MAX` can name a process. psx answers
/// [`Error::NoSuchProcess`](crate::Error::NoSuchProcess) for every other value without
/// a system call, instead of letting the kernel read zero and negatives as "self" or
/// "process group".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct Pid(i64);

impl Pid {
    /// The pid as the kernel's `pid_t`, for a pid that [`is_valid`](Pid::is_valid);
    /// any other value gives `i32::MIN`, which every kernel psx supports answers as no
    /// process (it is never "self", "every process" or a process group there).
    pub const fn as_raw(self) -> i32 {
        if self.0 >= i32::MIN as i64 && self.0 <= i32::MAX as i64 {
            self.0 as i32
        } else {
            i32::MIN
        }
    }

    /// The number as it was given, which may lie outside `pid_t`.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Whether the pid can name a process at all (`1..=i32::MAX`).
    pub const fn is_valid(self) -> bool {
        self.0 > 0 && self.0 <= i32::MAX as i64
    }

    /// The calling process's pid.
    pub fn current() -> Self {
        Pid(i64::from(std::process::id()))
    }
}

impl From<i32> for Pid {
    fn from(raw: i32) -> Self {
        Pid(i64::from(raw))
    }
}

/// Keeps the value: a `u32` above `i32::MAX` (no kernel hands those out) stays itself,
/// invalid, and names no process.
impl From<u32> for Pid {
    fn from(raw: u32) -> Self {
        Pid(i64::from(raw))
    }
}

/// Keeps the value: anything outside `1..=i32::MAX` names no process.
impl From<i64> for Pid {
    fn from(raw: i64) -> Self {
        Pid(raw)
    }
}

/// Fails for a number outside `pid_t`.
impl TryFrom<Pid> for i32 {
    type Error = std::num::TryFromIntError;

    fn try_from(pid: Pid) -> Result<Self, Self::Error> {
        i32::try_from(pid.0)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a backend is asked about: a pid that can name a process, and the pin of a
/// process handle when the call came through one (so the backend can refuse to read a
/// reused pid).
///
/// `P` is the backend's pin type ([`Backend::Pin`](crate::Backend::Pin)). A target can
/// be built only two ways, so every target is consistent:
///
/// - [`Target::new`]: a bare pid, refused as [`Error::NoSuchProcess`] unless it is in
///   `1..=i32::MAX`, so zero ("self" to `prlimit(2)`), negatives (process groups to
///   `kill(2)`) and numbers outside `pid_t` never reach a backend;
/// - [`Pinned::target`]: a pinned process, whose pid is the one it was pinned by.
///
/// ```
/// use psx_core::{Error, Pid, Target};
///
/// let me: Target<'_, ()> = Target::new(std::process::id())?;
/// assert_eq!(me.pid(), Pid::current());
/// assert!(me.pin().is_none());
/// for bad in [0, -1, i32::MIN] {
///     let refused = Target::<()>::new(bad).unwrap_err();
///     assert!(matches!(refused, Error::NoSuchProcess { pid } if pid == Pid::from(bad)));
/// }
/// # Ok::<(), Error>(())
/// ```
///
/// A pinned target cannot be given another pid: its fields are private.
///
/// ```compile_fail,E0451
/// use psx_core::{Pid, Target};
/// let pin = ();
/// let forged = Target { pid: Pid::from(1), pin: Some(&pin) };
/// ```
#[derive(Debug)]
pub struct Target<'a, P> {
    pid: Pid,
    pin: Option<&'a P>,
}

impl<P> Clone for Target<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Target<'_, P> {}

impl<'a, P> Target<'a, P> {
    /// A target with no pin: a bare pid. [`Error::NoSuchProcess`] for a pid that can
    /// name no process (see [`Pid::is_valid`]), without a system call.
    pub fn new(pid: impl Into<Pid>) -> Result<Self> {
        let pid = pid.into();
        if pid.is_valid() {
            Ok(Target { pid, pin: None })
        } else {
            Err(Error::NoSuchProcess { pid })
        }
    }

    /// The pid: always in `1..=i32::MAX`.
    pub fn pid(self) -> Pid {
        self.pid
    }

    /// The handle's pin, if the target came from a [`Pinned`] process.
    pub fn pin(self) -> Option<&'a P> {
        self.pin
    }
}

/// A process pinned by its backend: the pid and the pin that [`Backend::pin`] made for
/// that very pid, kept together so a pin is never paired with another number.
///
/// The `psx` facade's `Process` holds one; a caller using one OS crate directly makes
/// one with [`Pinned::new`] and reads through [`Pinned::target`].
#[derive(Debug)]
pub struct Pinned<P> {
    pid: Pid,
    pin: P,
}

impl<P> Pinned<P> {
    /// Pins the process `pid` names now, with backend `B`; [`Error::NoSuchProcess`] for
    /// a pid that can name no process (checked as [`Target::new`] checks it, before
    /// `B` is asked) or names none now.
    pub fn new<B: Backend<Pin = P>>(pid: impl Into<Pid>) -> Result<Self> {
        let pid = Target::<P>::new(pid)?.pid;
        Ok(Pinned {
            pid,
            pin: B::pin(pid)?,
        })
    }

    /// The pid it was pinned by.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The backend's pin.
    pub fn pin(&self) -> &P {
        &self.pin
    }

    /// The target for calls through this handle: its pid with its pin.
    pub fn target(&self) -> Target<'_, P> {
        Target {
            pid: self.pid,
            pin: Some(&self.pin),
        }
    }
}

/// When a process started, as its kernel records it (seconds and microseconds): the pin
/// of a [`Process`](https://docs.rs/psx-process/latest/psx/struct.Process.html) handle where the
/// kernel offers no descriptor for a process (the BSDs, macOS). A pid is reused only
/// after its process is reaped, and the newcomer starts later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StartTime {
    /// Whole seconds.
    pub sec: i64,
    /// Microseconds past `sec`.
    pub usec: i64,
}

impl StartTime {
    /// Whether `other` is the same start, to within `tolerance_usec`: where the kernel
    /// reports the start from the wall clock (boot time plus uptime), a clock step moves
    /// it between reads; elsewhere pass 0.
    pub fn matches(self, other: StartTime, tolerance_usec: i64) -> bool {
        let micros = |t: StartTime| i128::from(t.sec) * 1_000_000 + i128::from(t.usec);
        (micros(self) - micros(other)).abs() <= i128::from(tolerance_usec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_keeps_the_number_it_was_given() {
        let big = Pid::from(u32::MAX);
        assert_eq!(big.get(), 4294967295);
        assert_eq!(big.to_string(), "4294967295");
        assert!(!big.is_valid());
        // Never folded onto a number a kernel could read as a process, self or a group.
        assert_eq!(big.as_raw(), i32::MIN);
        assert_ne!(Pid::from(u32::MAX), Pid::from(i32::MAX));
        assert!(Pid::from(i32::MAX).is_valid());
        assert!(!Pid::from(0).is_valid() && !Pid::from(-1).is_valid());
        assert!(!Pid::from(1i64 << 40).is_valid());
        assert_eq!(i32::try_from(Pid::from(7)), Ok(7));
        assert!(i32::try_from(big).is_err());
    }

    #[test]
    fn start_times_match_within_the_tolerance() {
        let t = |sec, usec| StartTime { sec, usec };
        assert!(t(10, 5).matches(t(10, 5), 0));
        assert!(!t(10, 5).matches(t(10, 6), 0));
        assert!(t(10, 999_999).matches(t(11, 100), 200));
        assert!(!t(10, 0).matches(t(12, 0), 1_000_000));
        assert!(t(i64::MAX, 0).matches(t(i64::MAX, 0), 0));
        assert!(!t(i64::MIN, 0).matches(t(i64::MAX, 0), i64::MAX));
    }
}
