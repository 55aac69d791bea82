//! The one dispatch point: which backend this target uses.
//!
//! Each supported OS has one `use` line here and one dependency section in Cargo.toml;
//! every other target gets [`NoBackend`](psx_core::NoBackend), whose every call is
//! `Unsupported`.

#[cfg(target_os = "linux")]
pub(crate) use psx_linux::Linux as Os;

#[cfg(target_os = "macos")]
pub(crate) use psx_macos::MacOs as Os;

#[cfg(target_os = "freebsd")]
pub(crate) use psx_freebsd::FreeBsd as Os;

#[cfg(target_os = "dragonfly")]
pub(crate) use psx_dragonfly::DragonFly as Os;

#[cfg(target_os = "netbsd")]
pub(crate) use psx_netbsd::NetBsd as Os;

#[cfg(target_os = "openbsd")]
pub(crate) use psx_openbsd::OpenBsd as Os;

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub(crate) use psx_solaris::Solaris as Os;

#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "solaris",
    target_os = "illumos"
)))]
pub(crate) use psx_core::NoBackend as Os;

/// What a [`Process`](crate::Process) holds to detect a reused pid on this target.
pub type Pin = <Os as psx_core::Backend>::Pin;
