//! The OS-independent half of [psx](https://docs.rs/psx-process): types, errors, the
//! [`Backend`] trait each OS crate implements, and the per-thread [`oneshot`] cache.
//!
//! Applications use the `psx` crate, which re-exports all of this and picks the backend
//! for the target. One OS crate can also be used on its own, through this crate: its
//! backend's [`Backend`] methods take a [`Target`], made by [`Target::new`] from a pid
//! (refused as [`Error::NoSuchProcess`] unless it can name a process, so 0 and
//! negatives never reach a system call) or by [`Pinned::target`] from a process pinned
//! with [`Pinned::new`]; limits are set from a [`ValidRLimit`] (soft at most hard).
//! Each OS crate's docs show it for its OS. Its types and logic are the same, and tested, everywhere; the one
//! OS-facing part is [`unix`], the calls several backends make alike (`getpgid`,
//! `getsid`, `kill(pid, 0)`, and on the BSDs and macOS `sysctl(3)` and the whole-table
//! read), so that each OS crate keeps only what is its own.
#![warn(missing_docs)]

mod backend;
pub mod bytes;
mod error;
pub mod oneshot;
mod pid;
mod resource;
mod resource_map;
mod signal;
#[cfg(unix)]
pub mod unix;
mod usage;

pub use backend::{
    info, read_attr, rlimits, scan_each, scan_info, scan_seeded, scan_threaded, usage, usage_from,
    Attr, AttrRead, Backend, Missing, NoBackend, ProcInfo,
};
pub use error::{Error, Op, Result};
pub use oneshot::OneshotGuard;
pub use pid::{Pid, Pinned, StartTime, Target};
pub use resource::{Limit, RLimit, Resource, ValidRLimit};
pub use resource_map::{Iter as ResourceMapIter, ResourceMap};
pub use signal::{signal_name, SigSet, SigSetIter, SignalMasks};
pub use usage::{NprocShare, OpenFiles, Usage};
