//! The OS-independent half of [psx](https://docs.rs/psx): types, errors, the
//! [`Backend`] trait each OS crate implements, and the per-thread [`oneshot`] cache.
//!
//! Applications use the `psx` crate, which re-exports all of this and picks the backend
//! for the target. This crate holds no OS code, so its types and logic are the same,
//! and tested, everywhere.
#![warn(missing_docs)]

mod backend;
mod error;
pub mod oneshot;
mod pid;
mod resource;
mod signal;

pub use backend::{info, Attr, Backend, NoBackend, ProcInfo};
pub use error::{Error, Result};
pub use oneshot::OneshotGuard;
pub use pid::{Pid, Target};
pub use resource::{Limit, RLimit, Resource};
pub use signal::{signal_name, SigSet, SigSetIter, SignalMasks};
