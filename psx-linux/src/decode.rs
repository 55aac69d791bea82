//! Decoding `/proc/<pid>/status`: pure functions of its bytes, tested on any host.
//!
//! The lines psx reads (format from `fs/proc/array.c`, `task_state`, `task_sig` and
//! `proc_pid_status`; each is `Key:\tvalue\n`):
//! - `Umask:\t0022` (octal; Linux 4.7+, and absent for a zombie, which has no fs_struct),
//! - `State:\tZ (zombie)`,
//! - `Groups:\t4 24 27 ` (decimal, space-separated, trailing space, may be empty),
//! - `SigPnd`, `ShdPnd`, `SigBlk`, `SigIgn`, `SigCgt`: `_NSIG / 4` hex digits (16 on
//!   most architectures, 32 on MIPS with its 128 signals), bit N-1 being signal N.
//!
//! `Name:` comes first and is escaped by the kernel (`\n` becomes `\\n`), so no process
//! name can forge a line.

use psx_core::{SigSet, SignalMasks};

/// Why a status buffer could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The line `key` is missing.
    Missing(&'static str),
    /// The line `key` does not hold what it should.
    Malformed(&'static str),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Missing(key) => write!(f, "/proc status has no {key} line"),
            DecodeError::Malformed(key) => write!(f, "/proc status has a malformed {key} line"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The value of line `key` (given with its colon, `b"Umask:"`), tabs and spaces trimmed.
pub fn field<'a>(status: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    status
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(key))
        .map(|v| v.trim_ascii())
}

/// The umask, `Ok(None)` when the line is absent (a kernel before 4.7, or a zombie:
/// tell them apart with [`is_zombie`]).
pub fn umask(status: &[u8]) -> Result<Option<u32>, DecodeError> {
    let Some(v) = field(status, b"Umask:") else {
        return Ok(None);
    };
    let s = std::str::from_utf8(v).map_err(|_| DecodeError::Malformed("Umask"))?;
    match u32::from_str_radix(s, 8) {
        Ok(mask) if mask <= 0o7777 => Ok(Some(mask)),
        _ => Err(DecodeError::Malformed("Umask")),
    }
}

/// Whether the `State:` line says zombie (`Z`) or dead (`X`).
pub fn is_zombie(status: &[u8]) -> bool {
    matches!(
        field(status, b"State:").and_then(|v| v.first()),
        Some(b'Z' | b'X')
    )
}

/// The supplementary groups, in the kernel's order.
pub fn groups(status: &[u8]) -> Result<Vec<u32>, DecodeError> {
    let v = field(status, b"Groups:").ok_or(DecodeError::Missing("Groups"))?;
    v.split(|&b| b == b' ' || b == b'\t')
        .filter(|g| !g.is_empty())
        .map(|g| parse_decimal(g).ok_or(DecodeError::Malformed("Groups")))
        .collect()
}

/// The five signal masks; all are present on every kernel psx supports (2.6+).
pub fn sigmasks(status: &[u8]) -> Result<SignalMasks, DecodeError> {
    let mask = |key: &'static [u8], name: &'static str| -> Result<SigSet, DecodeError> {
        let v = field(status, key).ok_or(DecodeError::Missing(name))?;
        parse_hex_mask(v).ok_or(DecodeError::Malformed(name))
    };
    Ok(SignalMasks {
        pending: Some(mask(b"SigPnd:", "SigPnd")?),
        blocked: Some(mask(b"SigBlk:", "SigBlk")?),
        ignored: Some(mask(b"SigIgn:", "SigIgn")?),
        caught: Some(mask(b"SigCgt:", "SigCgt")?),
        process_pending: Some(mask(b"ShdPnd:", "ShdPnd")?),
    })
}

/// Everything psx takes from one status read, kept by a oneshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `Umask:`, `None` when absent.
    pub umask: Option<u32>,
    /// Whether `State:` says zombie.
    pub zombie: bool,
    /// `Groups:`.
    pub groups: Vec<u32>,
    /// The five masks.
    pub sigmasks: SignalMasks,
}

/// Decodes every field psx uses.
pub fn status(status: &[u8]) -> Result<Status, DecodeError> {
    Ok(Status {
        umask: umask(status)?,
        zombie: is_zombie(status),
        groups: groups(status)?,
        sigmasks: sigmasks(status)?,
    })
}

fn parse_decimal(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        let d = char::from(d).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(d)
    })
}

/// Up to 32 hex digits (128 signals), most significant first.
fn parse_hex_mask(digits: &[u8]) -> Option<SigSet> {
    if digits.is_empty() || digits.len() > 32 {
        return None;
    }
    let bits = digits.iter().try_fold(0u128, |acc, &d| {
        let d = char::from(d).to_digit(16)?;
        Some(acc << 4 | u128::from(d))
    })?;
    Some(SigSet::from_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/self/status` of a bash on Linux 6.1, x86_64, trimmed after `SigCgt`.
    const BASH: &[u8] = b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\n\
Ngid:\t0\nPid:\t4242\nPPid:\t4200\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\n\
Gid:\t1000\t1000\t1000\t1000\nFDSize:\t256\nGroups:\t4 24 27 30 46 1000 \n\
NStgid:\t4242\nNSpid:\t4242\nNSpgid:\t4242\nNSsid:\t4242\nVmPeak:\t   10000 kB\n\
Threads:\t1\nSigQ:\t0/63382\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000200\n\
SigBlk:\t0000000000010000\nSigIgn:\t0000000000380004\nSigCgt:\t000000004b817efb\n";

    #[test]
    fn decodes_a_real_status() {
        let s = status(BASH).unwrap();
        assert_eq!(s.umask, Some(0o022));
        assert!(!s.zombie);
        assert_eq!(s.groups, vec![4, 24, 27, 30, 46, 1000]);
        let m = s.sigmasks;
        assert!(m.pending.unwrap().is_empty());
        assert_eq!(
            m.process_pending.unwrap().iter().collect::<Vec<_>>(),
            vec![10]
        );
        assert_eq!(m.blocked.unwrap().iter().collect::<Vec<_>>(), vec![17]);
        assert_eq!(
            m.ignored.unwrap().iter().collect::<Vec<_>>(),
            vec![3, 20, 21, 22]
        );
        assert!(m.caught.unwrap().contains(2) && m.caught.unwrap().contains(31));
    }

    #[test]
    fn empty_groups_and_old_kernels() {
        let old = b"Name:\tinit\nState:\tS (sleeping)\nGroups:\t\nSigPnd:\t0\nShdPnd:\t0\n\
SigBlk:\t0\nSigIgn:\t0\nSigCgt:\t0\n";
        let s = status(old).unwrap();
        assert_eq!(s.umask, None);
        assert!(s.groups.is_empty());
        let zombie = b"Name:\tz\nState:\tZ (zombie)\nGroups:\t\n";
        assert!(is_zombie(zombie));
        assert_eq!(umask(zombie), Ok(None));
    }

    #[test]
    fn mips_has_128_signals() {
        let v = b"SigPnd:\t80000000000000000000000000000001\nShdPnd:\t0\nSigBlk:\t0\nSigIgn:\t0\nSigCgt:\t0\n";
        let m = sigmasks(v).unwrap();
        assert_eq!(m.pending.unwrap().iter().collect::<Vec<_>>(), vec![1, 128]);
    }

    #[test]
    fn a_name_cannot_forge_a_line() {
        // The kernel escapes a newline in the name, so the line stays one line.
        let s = b"Name:\tevil\\nUmask:\t0777\nUmask:\t0002\nGroups:\t\n";
        assert_eq!(umask(s), Ok(Some(0o002)));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(groups(b""), Err(DecodeError::Missing("Groups")));
        assert_eq!(
            groups(b"Groups:\t1 x 3\n"),
            Err(DecodeError::Malformed("Groups"))
        );
        assert_eq!(
            groups(b"Groups:\t99999999999\n"),
            Err(DecodeError::Malformed("Groups"))
        );
        assert_eq!(
            umask(b"Umask:\t0999\n"),
            Err(DecodeError::Malformed("Umask"))
        );
        assert_eq!(
            umask(b"Umask:\t\xff\n"),
            Err(DecodeError::Malformed("Umask"))
        );
        assert!(sigmasks(b"SigPnd:\tzz\n").is_err());
        assert!(sigmasks(b"SigPnd:\t000000000000000000000000000000000\n").is_err());
        assert!(status(b"Umask:").is_err());
    }
}
