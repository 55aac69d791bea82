//! Process ids, and the target of a call: a bare pid or a pinned handle.

use std::fmt;

/// A process id (`pid_t`).
///
/// Any `i32` can be held; only positive ones can name a process. psx answers
/// [`Error::NoSuchProcess`](crate::Error::NoSuchProcess) for zero and negative pids
/// instead of letting the kernel read them as "self" or "process group".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct Pid(i32);

impl Pid {
    /// The pid as the kernel's `pid_t`.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// Whether the pid can name a process at all (it is positive).
    pub const fn is_valid(self) -> bool {
        self.0 > 0
    }

    /// The calling process's pid.
    pub fn current() -> Self {
        Pid(std::process::id() as i32)
    }
}

impl From<i32> for Pid {
    fn from(raw: i32) -> Self {
        Pid(raw)
    }
}

/// A `u32` beyond `i32::MAX` (no kernel hands those out) becomes `i32::MAX`,
/// which names no process either.
impl From<u32> for Pid {
    fn from(raw: u32) -> Self {
        Pid(i32::try_from(raw).unwrap_or(i32::MAX))
    }
}

impl From<Pid> for i32 {
    fn from(pid: Pid) -> Self {
        pid.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a backend is asked about: a pid, and the pin of a process handle when the
/// call came through one (so the backend can refuse to read a reused pid).
///
/// `P` is the backend's pin type ([`Backend::Pin`](crate::Backend::Pin)).
#[derive(Debug)]
pub struct Target<'a, P> {
    /// The pid; always positive when a backend sees it.
    pub pid: Pid,
    /// The handle's pin, if the caller passed a handle.
    pub pin: Option<&'a P>,
}

impl<P> Clone for Target<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Target<'_, P> {}

impl<P> Target<'_, P> {
    /// A target with no pin: a bare pid.
    pub fn unpinned(pid: Pid) -> Self {
        Target { pid, pin: None }
    }
}
