//! Decoding `/proc/<pid>/status`: pure functions of its bytes, tested on any host.
//!
//! The lines psx reads (format from `fs/proc/array.c`, `task_state`, `task_sig` and
//! `proc_pid_status`; each is `Key:\tvalue\n`):
//! - `Name:\tbash` (the command name, `proc_task_name` escaping `\n`, `\\` and the
//!   other special and space characters as C escapes),
//! - `Umask:\t0022` (octal; Linux 4.7+, and absent for a zombie, which has no fs_struct),
//! - `State:\tZ (zombie)`,
//! - `Tgid:\t4242` (the process a task belongs to: differs from the directory's number
//!   for a thread's `/proc/<tid>`),
//! - `Groups:\t4 24 27 ` (space-separated, trailing space, may be empty; decimal `%u`
//!   since Linux 4.x, `%d` before, so a gid of 2^31 or more may appear negative),
//! - `NSpgid:\t42\t1`, `NSsid:\t40\t1` (Linux 4.1+: the process group and session in
//!   each pid namespace from that of the `/proc` mount inward; the first is what
//!   `getpgid`/`getsid` answer a caller of that namespace),
//! - `Threads:\t1` (live tasks of the process; 0 when the process was reaped while the
//!   file was being written, and then `task_sig` printed every mask as 0),
//! - `SigPnd`, `ShdPnd`, `SigBlk`, `SigIgn`, `SigCgt`: `_NSIG / 4` hex digits (16 on
//!   most architectures, 32 on MIPS with its 128 signals), bit N-1 being signal N.
//!
//! `Name:` comes first and is escaped by the kernel (`\n` becomes `\\n`), so no process
//! name can forge a line.

use psx_core::oneshot::Wanted;
use psx_core::{Attr, SigSet, SignalMasks};

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

/// The keys psx reads, each with its colon; a key's index is its bit ([`bit_of`]) and
/// its slot in [`Lines`].
const KEYS: [&[u8]; 20] = [
    b"Umask:",
    b"State:",
    b"Groups:",
    b"SigPnd:",
    b"ShdPnd:",
    b"SigBlk:",
    b"SigIgn:",
    b"SigCgt:",
    b"Tgid:",
    b"Threads:",
    b"Name:",
    b"NSpgid:",
    b"NSsid:",
    b"VmSize:",
    b"VmData:",
    b"VmStk:",
    b"VmRSS:",
    b"VmLck:",
    b"SigQ:",
    b"Uid:",
];

/// The bit of `key` (one of [`KEYS`]): its index there, found when compiling.
const fn bit_of(key: &[u8]) -> u32 {
    let mut i = 0;
    'keys: while i < KEYS.len() {
        let candidate = KEYS[i];
        i += 1;
        if candidate.len() != key.len() {
            continue;
        }
        let mut j = 0;
        while j < key.len() {
            if candidate[j] != key[j] {
                continue 'keys;
            }
            j += 1;
        }
        return 1 << (i - 1);
    }
    panic!("not one of the keys psx reads");
}

/// [`bit_of`] each of `keys`.
const fn bits_of<const N: usize>(keys: [&[u8]; N]) -> [u32; N] {
    let mut bits = [0; N];
    let mut i = 0;
    while i < N {
        bits[i] = bit_of(keys[i]);
        i += 1;
    }
    bits
}

/// The bits of `bits` together.
const fn union_of<const N: usize>(bits: [u32; N]) -> u32 {
    let mut union = 0;
    let mut i = 0;
    while i < N {
        union |= bits[i];
        i += 1;
    }
    union
}

const UMASK: u32 = bit_of(b"Umask:");
const STATE: u32 = bit_of(b"State:");
const GROUPS: u32 = bit_of(b"Groups:");
/// SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt, in [`SignalMasks`]' decoding order.
const MASK_BITS: [u32; 5] = bits_of([b"SigPnd:", b"ShdPnd:", b"SigBlk:", b"SigIgn:", b"SigCgt:"]);
const MASKS: u32 = union_of(MASK_BITS);
const SIGCGT: u32 = MASK_BITS[4];
const TGID: u32 = bit_of(b"Tgid:");
const THREADS: u32 = bit_of(b"Threads:");
const NAME: u32 = bit_of(b"Name:");
const NSPGID: u32 = bit_of(b"NSpgid:");
const NSSID: u32 = bit_of(b"NSsid:");
/// VmSize, VmData, VmStk, VmRSS, VmLck, in [`Memory`]'s order (each `%8lu kB`,
/// `task_mem` in fs/proc/task_mmu.c); absent for a zombie or a kernel thread, which
/// have no mm.
const MEMORY_BITS: [u32; 5] = bits_of([b"VmSize:", b"VmData:", b"VmStk:", b"VmRSS:", b"VmLck:"]);
const MEMORY: u32 = union_of(MEMORY_BITS);
/// `SigQ:\t<queued>/<limit>`: the real user's queued signals (`task_sig`).
const SIGQ: u32 = bit_of(b"SigQ:");
/// `Uid:\t<real>\t<effective>\t<saved>\t<fs>`.
const UID: u32 = bit_of(b"Uid:");
/// What every read also takes, to know which process (and in what state) it read.
const IDENTITY: u32 = STATE | TGID | THREADS;
/// What the resource usage takes: decoded only when asked for ([`Field::Usage`], or
/// a oneshot told it will be), so that other reads pay nothing for it.
const USAGE: u32 = MEMORY | SIGQ | UID;
const ALL: u32 = NAME | UMASK | GROUPS | MASKS | IDENTITY | NSPGID | NSSID;

/// A key as the first bytes of a line read as a little-endian word: the line starts
/// with the key exactly when `head & mask == word`.
#[derive(Clone, Copy)]
struct KeyWord {
    word: u64,
    mask: u64,
    len: usize,
}

/// [`KEYS`] as words, and a table from the hash of a line's first four bytes
/// ([`key_hash`]) to the one key that can start it (`NO_KEY` for none).
const KEY_WORDS: [KeyWord; KEYS.len()] = {
    let mut words = [KeyWord {
        word: 0,
        mask: 0,
        len: 0,
    }; KEYS.len()];
    let mut i = 0;
    while i < KEYS.len() {
        let key = KEYS[i];
        assert!(key.len() >= 4 && key.len() <= 8);
        let mut word = 0u64;
        let mut j = 0;
        while j < key.len() {
            word |= (key[j] as u64) << (8 * j);
            j += 1;
        }
        let mask = if key.len() == 8 {
            u64::MAX
        } else {
            (1 << (8 * key.len())) - 1
        };
        words[i] = KeyWord {
            word,
            mask,
            len: key.len(),
        };
        i += 1;
    }
    words
};

const NO_KEY: u8 = u8::MAX;

/// The multiplier of [`key_hash`] and its table: the first odd multiplier (from a
/// fixed seed) under which every key's first four bytes land in a slot of their own,
/// found when compiling (which fails if there were none).
const KEY_TABLE: (u32, [u8; 64]) = {
    let mut multiplier: u32 = 0x9e37_79b1;
    let mut tries = 0;
    loop {
        tries += 1;
        assert!(
            tries < 100_000,
            "no multiplier hashes the status keys apart"
        );
        let mut table = [NO_KEY; 64];
        let mut ok = true;
        let mut i = 0;
        while i < KEY_WORDS.len() {
            let slot = (((KEY_WORDS[i].word as u32).wrapping_mul(multiplier)) >> 26) as usize;
            if table[slot] != NO_KEY {
                ok = false;
                break;
            }
            table[slot] = i as u8;
            i += 1;
        }
        if ok {
            break (multiplier, table);
        }
        multiplier = multiplier.wrapping_add(2);
    }
};

/// The slot of [`KEY_TABLE`] a line starting with `head` (its first eight bytes) can
/// only belong to: a multiply and a shift, no branch per key.
fn key_hash(head: u64) -> usize {
    ((head as u32).wrapping_mul(KEY_TABLE.0) >> 26) as usize
}

/// The values (tabs and spaces trimmed) of the wanted lines, found in one pass.
#[derive(Debug, Clone, Copy)]
struct Lines<'a> {
    /// The value of each of [`KEYS`], empty unless its bit is in `found`.
    values: [&'a [u8]; KEYS.len()],
    found: u32,
}

impl<'a> Lines<'a> {
    /// Scans `status` line by line, stopping as soon as every line in `wanted` is found
    /// (a umask read stops at line 3 of about 60), and at `SigCgt:` in any case.
    ///
    /// This is most of psx's own time on a status read, so it is kept cheap: newlines
    /// are found sixteen bytes at a time ([`newline_mask`]), and each line is told
    /// from the keys by its first eight bytes, hashed to the one key it could start
    /// with and compared with that key as a word ([`Lines::look_at`]).
    fn scan(status: &'a [u8], wanted: u32) -> Self {
        let mut lines = Lines {
            values: [&[]; KEYS.len()],
            found: 0,
        };
        // Where the line being read starts.
        let mut start = 0;
        let mut chunks = status.chunks_exact(16);
        let mut base = 0;
        for chunk in &mut chunks {
            let mut block = [0u8; 16];
            // Cannot panic: `chunks_exact(16)` yields exactly sixteen bytes.
            block.copy_from_slice(chunk);
            let mut hits = newline_mask(&block);
            while hits != 0 {
                let end = base + hits.trailing_zeros() as usize;
                hits &= hits - 1;
                if lines.look_at(status, start, end, wanted) {
                    return lines;
                }
                start = end + 1;
            }
            base += 16;
        }
        for (i, _) in chunks
            .remainder()
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
        {
            let end = base + i;
            if lines.look_at(status, start, end, wanted) {
                return lines;
            }
            start = end + 1;
        }
        // A last line without its newline.
        lines.look_at(status, start, status.len(), wanted);
        lines
    }

    /// Records the line `status[start..end]` if it starts with a wanted key not seen
    /// yet (the kernel writes each key once: the first counts); returns whether
    /// everything wanted has been found.
    #[inline(always)]
    fn look_at(&mut self, status: &'a [u8], start: usize, end: usize, wanted: u32) -> bool {
        let head = head_at(status, start);
        let index = KEY_TABLE.1[key_hash(head)];
        let Some(key) = KEY_WORDS.get(usize::from(index)) else {
            return false;
        };
        let bit = 1 << index;
        // A key as a prefix is exactly "the text before the line's first colon is the
        // key"; bytes past the line's end are its `\n`, which no key holds, or the
        // zeros past the buffer's end, so a shorter line never matches.
        if head & key.mask != key.word {
            return false;
        }
        if wanted & !self.found & bit != 0 {
            if let Some(value) = status.get(start + key.len..end) {
                self.values[usize::from(index)] = value.trim_ascii();
                self.found |= bit;
            }
        }
        // `SigCgt:` is the last line psx reads in the kernel's order (`task_sig` prints
        // it after everything else psx reads, since 2.6): a wanted line not seen by
        // then is not in the file, as the memory lines of a kernel thread are not.
        bit == SIGCGT || self.found & wanted == wanted
    }

    /// The value of the key with bit `bit`, if the line was found.
    fn value(&self, bit: u32) -> Option<&'a [u8]> {
        (self.found & bit != 0).then(|| self.values[bit.trailing_zeros() as usize])
    }

    fn umask(&self) -> Result<Option<u32>, DecodeError> {
        let Some(v) = self.value(UMASK) else {
            return Ok(None);
        };
        let s = std::str::from_utf8(v).map_err(|_| DecodeError::Malformed("Umask"))?;
        match u32::from_str_radix(s, 8) {
            Ok(mask) if mask <= 0o7777 => Ok(Some(mask)),
            _ => Err(DecodeError::Malformed("Umask")),
        }
    }

    fn is_zombie(&self) -> bool {
        matches!(self.value(STATE).and_then(|v| v.first()), Some(b'Z' | b'X'))
    }

    fn groups(&self) -> Result<Vec<u32>, DecodeError> {
        let v = self.value(GROUPS).ok_or(DecodeError::Missing("Groups"))?;
        let gids = || {
            v.split(|&b| b == b' ' || b == b'\t')
                .filter(|g| !g.is_empty())
        };
        // Counted first so the one allocation is the right size.
        let mut groups = Vec::with_capacity(gids().count());
        for gid in gids() {
            groups.push(parse_gid(gid).ok_or(DecodeError::Malformed("Groups"))?);
        }
        Ok(groups)
    }

    fn name(&self) -> Result<String, DecodeError> {
        let v = self.value(NAME).ok_or(DecodeError::Missing("Name"))?;
        Ok(unescape_name(v))
    }

    fn number(value: Option<&[u8]>) -> Option<u32> {
        value.and_then(parse_decimal)
    }

    /// The first of a line's tab-separated numbers.
    fn first_number(value: Option<&[u8]>) -> Option<u32> {
        let v = value?;
        let end = v
            .iter()
            .position(|&b| b == b'\t' || b == b' ')
            .unwrap_or(v.len());
        parse_decimal(v.get(..end)?)
    }

    /// The memory lines in bytes, `None` if the process has no mm (no `VmSize:`).
    fn memory(&self) -> Result<Option<Memory>, DecodeError> {
        if self.value(MEMORY_BITS[0]).is_none() {
            return Ok(None);
        }
        let mut bytes = [0u64; 5];
        for (i, out) in bytes.iter_mut().enumerate() {
            let key = ["VmSize", "VmData", "VmStk", "VmRSS", "VmLck"][i];
            let v = self
                .value(MEMORY_BITS[i])
                .ok_or(DecodeError::Missing(key))?;
            let kib = v
                .strip_suffix(b"kB")
                .map(<[u8]>::trim_ascii)
                .and_then(parse_decimal_u64)
                .ok_or(DecodeError::Malformed(key))?;
            *out = kib.checked_mul(1024).ok_or(DecodeError::Malformed(key))?;
        }
        let [size, data, stack, rss, locked] = bytes;
        Ok(Some(Memory {
            size,
            data,
            stack,
            rss,
            locked,
        }))
    }

    /// The queued count of `SigQ:` (`<queued>/<limit>`).
    fn sigq(&self) -> Result<u64, DecodeError> {
        let v = self.value(SIGQ).ok_or(DecodeError::Missing("SigQ"))?;
        let queued = v.split(|&b| b == b'/').next().unwrap_or_default();
        parse_decimal_u64(queued).ok_or(DecodeError::Malformed("SigQ"))
    }

    fn sigmasks(&self) -> Result<SignalMasks, DecodeError> {
        const NAMES: [&str; 5] = ["SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"];
        let mut sets = [SigSet::EMPTY; 5];
        for (i, set) in sets.iter_mut().enumerate() {
            let v = self
                .value(MASK_BITS[i])
                .ok_or(DecodeError::Missing(NAMES[i]))?;
            *set = parse_hex_mask(v).ok_or(DecodeError::Malformed(NAMES[i]))?;
        }
        let [pending, process_pending, blocked, ignored, caught] = sets.map(Some);
        Ok(SignalMasks {
            pending,
            blocked,
            ignored,
            caught,
            process_pending,
        })
    }
}

/// The umask, `Ok(None)` when the line is absent (a kernel before 4.7, or a zombie:
/// tell them apart with [`is_zombie`]).
pub fn umask(status: &[u8]) -> Result<Option<u32>, DecodeError> {
    Lines::scan(status, UMASK | STATE).umask()
}

/// Whether the `State:` line says zombie (`Z`) or dead (`X`).
pub fn is_zombie(status: &[u8]) -> bool {
    Lines::scan(status, STATE).is_zombie()
}

/// The supplementary groups, in the kernel's order.
pub fn groups(status: &[u8]) -> Result<Vec<u32>, DecodeError> {
    Lines::scan(status, GROUPS).groups()
}

/// The five signal masks; all are present on every kernel psx supports (2.6+).
pub fn sigmasks(status: &[u8]) -> Result<SignalMasks, DecodeError> {
    Lines::scan(status, MASKS).sigmasks()
}

/// Which process a status belongs to, and in what state: what every read checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// `Tgid:`, `None` if absent or unreadable.
    pub tgid: Option<u32>,
    /// `Threads:`, `None` if absent or unreadable.
    pub threads: Option<u32>,
    /// Whether `State:` says zombie (`Z`) or dead (`X`).
    pub zombie: bool,
}

/// What a status read says about the process asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The status is the process's own: use it.
    Process,
    /// The number names a thread of process `tgid`, not a process (`/proc/<tid>` exists
    /// for every thread, though readdir lists only processes).
    Thread {
        /// The process the thread belongs to.
        tgid: u32,
    },
    /// `Threads: 0`: the process was reaped while the kernel wrote the file, so its
    /// masks were printed as zero (`task_sig` when `lock_task_sighand` fails).
    Reaped,
    /// The main thread has exited (`pthread_exit`) but other threads live: the
    /// leader's status shows `Z` and has no umask; a live thread's status has them.
    LeaderExited,
}

impl Identity {
    /// Judges the status read for `pid` (`None` when it was read through
    /// `/proc/self`, which is the caller whatever its number).
    pub fn verdict(&self, pid: Option<u32>) -> Verdict {
        match (pid, self.tgid) {
            (Some(pid), Some(tgid)) if tgid != pid => return Verdict::Thread { tgid },
            _ => {}
        }
        match self.threads {
            Some(0) => Verdict::Reaped,
            Some(n) if n > 1 && self.zombie => Verdict::LeaderExited,
            _ => Verdict::Process,
        }
    }
}

/// The fields a read decodes ([`status_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `Name:`.
    Name,
    /// `Umask:`.
    Umask,
    /// `Groups:`.
    Groups,
    /// The five masks.
    Sigmasks,
    /// What the resource usage takes: the memory lines, `SigQ:`, `Uid:`.
    Usage,
    /// The fields of these attributes (a oneshot told what it will be asked for).
    Attrs(Wanted),
    /// Every field but the usage lines (a oneshot's read).
    All,
    /// Every field and the usage lines (a oneshot's second read, for what its first
    /// skipped).
    Every,
}

impl Field {
    /// The lines the field needs, the identity included.
    fn lines(self) -> u32 {
        IDENTITY
            | match self {
                Field::Name => NAME,
                Field::Umask => UMASK,
                Field::Groups => GROUPS,
                Field::Sigmasks => MASKS,
                Field::Usage => USAGE,
                Field::Attrs(wanted) => {
                    let of = |attr, lines| if wanted.contains(attr) { lines } else { 0 };
                    of(Attr::Comm, NAME)
                        | of(Attr::Umask, UMASK)
                        | of(Attr::Groups, GROUPS)
                        | of(Attr::Sigmasks, MASKS)
                        | of(Attr::Pgid, NSPGID)
                        | of(Attr::Sid, NSSID)
                        | of(Attr::Usage, USAGE)
                }
                Field::All => ALL,
                Field::Every => ALL | USAGE,
            }
    }
}

/// Everything psx takes from one status read, kept by a oneshot.
///
/// Each field is decoded on its own: a malformed `Groups:` line fails the groups only.
/// A field not asked for ([`status_for`]) is `Err(Missing)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Which process this is.
    pub identity: Identity,
    /// `Name:`, unescaped.
    pub name: Result<String, DecodeError>,
    /// The first `NSpgid:` value, if the read got that far (`None` before Linux 4.1).
    pub pgid: Option<u32>,
    /// The first `NSsid:` value, if the read got that far (`None` before Linux 4.1).
    pub sid: Option<u32>,
    /// `Umask:`, `Ok(None)` when absent.
    pub umask: Result<Option<u32>, DecodeError>,
    /// `Groups:`.
    pub groups: Result<Vec<u32>, DecodeError>,
    /// The five masks.
    pub sigmasks: Result<SignalMasks, DecodeError>,
    /// The memory figures, `Ok(None)` for a process without an mm (zombie, kernel
    /// thread).
    pub memory: Result<Option<Memory>, DecodeError>,
    /// The real user's queued signals (`SigQ:`).
    pub sigq: Result<u64, DecodeError>,
    /// The real uid (first value of `Uid:`).
    pub ruid: Option<u32>,
    /// The lines this read decoded ([`Status::covers`]).
    lines: u32,
}

impl Status {
    /// Whether this read decoded what `field` needs: a field it skipped is
    /// `Err(Missing)` here without being missing from the file.
    pub fn covers(&self, field: Field) -> bool {
        let needed = field.lines();
        self.lines & needed == needed
    }
}

/// The memory figures of `status` (`task_mem`, fs/proc/task_mmu.c), in bytes: what the
/// kernel checks the memory limits against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmSize`: `total_vm`, checked against `RLIMIT_AS` (`may_expand_vm`).
    pub size: u64,
    /// `VmData`: `data_vm`, checked against `RLIMIT_DATA` since Linux 4.7.
    pub data: u64,
    /// `VmStk`: `stack_vm`; `RLIMIT_STACK` caps the stack vma's size.
    pub stack: u64,
    /// `VmRSS`: resident pages (`RLIMIT_RSS` is not enforced by Linux).
    pub rss: u64,
    /// `VmLck`: `locked_vm`, checked against `RLIMIT_MEMLOCK`.
    pub locked: u64,
}

/// Decodes every field psx uses, in one pass.
pub fn status(status: &[u8]) -> Status {
    status_for(status, Field::All)
}

/// Decodes the identity and `field`, in one pass that stops once they are found.
pub fn status_for(status: &[u8], field: Field) -> Status {
    let wanted = field.lines();
    let lines = Lines::scan(status, wanted);
    Status {
        identity: Identity {
            tgid: Lines::number(lines.value(TGID)),
            threads: Lines::number(lines.value(THREADS)),
            zombie: lines.is_zombie(),
        },
        pgid: Lines::first_number(lines.value(NSPGID)),
        sid: Lines::first_number(lines.value(NSSID)),
        lines: wanted,
        name: if wanted & NAME != 0 {
            lines.name()
        } else {
            Err(DecodeError::Missing("Name"))
        },
        umask: if wanted & UMASK != 0 {
            lines.umask()
        } else {
            Err(DecodeError::Missing("Umask"))
        },
        groups: if wanted & GROUPS != 0 {
            lines.groups()
        } else {
            Err(DecodeError::Missing("Groups"))
        },
        sigmasks: if wanted & MASKS == MASKS {
            lines.sigmasks()
        } else {
            Err(DecodeError::Missing("SigPnd"))
        },
        memory: if wanted & MEMORY == MEMORY {
            lines.memory()
        } else {
            Err(DecodeError::Missing("VmSize"))
        },
        sigq: if wanted & SIGQ != 0 {
            lines.sigq()
        } else {
            Err(DecodeError::Missing("SigQ"))
        },
        ruid: if wanted & UID != 0 {
            Lines::first_number(lines.value(UID))
        } else {
            None
        },
    }
}

/// The clock id of process `pid`'s CPU clock `clock` (0 CPUCLOCK_PROF, 1 CPUCLOCK_VIRT,
/// 2 CPUCLOCK_SCHED): `MAKE_PROCESS_CPUCLOCK(pid, clock)`, `(~pid << 3) | clock`
/// (include/linux/posix-timers_types.h; what glibc's `clock_getcpuclockid` builds with
/// CPUCLOCK_SCHED). An `i32`, as Linux's `clockid_t` is.
pub fn process_cpu_clock(pid: i32, clock: i32) -> i32 {
    (!pid << 3) | clock
}

/// The names in a `getdents64` buffer, without allocating: each `struct
/// linux_dirent64` is `d_ino` (u64, offset 0), `d_off` (i64, 8), `d_reclen` (u16, 16),
/// `d_type` (u8, 18), `d_name` (NUL-terminated, 19), `d_reclen` bytes in all
/// (include/linux/dirent.h). A record cut short ends the names with `None`.
fn dirent_names(buf: &[u8]) -> impl Iterator<Item = Option<&[u8]>> {
    let mut rest = Some(buf);
    std::iter::from_fn(move || {
        let records = rest.filter(|r| !r.is_empty())?;
        let record = psx_core::bytes::u16_at(records, 16)
            .and_then(|reclen| records.get(..usize::from(reclen)))
            .filter(|r| r.len() > 19);
        rest = record.and_then(|r| records.get(r.len()..));
        let name = record.map(|r| &r[19..]);
        Some(name.map(|name| &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())]))
    })
}

/// Counts the descriptors in a `getdents64` buffer of `/proc/<pid>/fd` into `files`
/// (`struct linux_dirent64` records); `.` and `..` are skipped.
pub fn count_fds(buf: &[u8], files: &mut psx_core::OpenFiles) -> Result<(), DecodeError> {
    for name in dirent_names(buf) {
        let name = name.ok_or(DecodeError::Malformed("fd"))?;
        if name != b"." && name != b".." {
            let fd = parse_decimal_u64(name).ok_or(DecodeError::Malformed("fd"))?;
            files.count += 1;
            files.highest = files.highest.max(Some(fd));
        }
    }
    Ok(())
}

/// Adds the processes in a `getdents64` buffer of `/proc` to `pids`: its entries whose
/// names are numbers (`proc_pid_readdir`, fs/proc/base.c, lists each thread group
/// leader by its number in the pid namespace of the mount; the other entries have
/// names that are not numbers).
pub fn pids_in(buf: &[u8], pids: &mut Vec<psx_core::Pid>) -> Result<(), DecodeError> {
    for name in dirent_names(buf) {
        let name = name.ok_or(DecodeError::Malformed("/proc entry"))?;
        if let Some(pid) = parse_decimal(name).map(psx_core::Pid::from) {
            if pid.is_valid() {
                pids.push(pid);
            }
        }
    }
    Ok(())
}

/// Whether a `uname` release string (`"6.1.0-18-amd64"`) is at least `major.minor`.
/// An unreadable release counts as new: old kernels are the exception.
pub fn kernel_at_least(release: &[u8], major: u32, minor: u32) -> bool {
    let mut parts = release.split(|&b| b == b'.' || b == b'-').map(|p| {
        let digits = p
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(p, |end| &p[..end]);
        parse_decimal(digits)
    });
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(have_major), Some(have_minor)) => (have_major, have_minor) >= (major, minor),
        _ => true,
    }
}

/// The eight bytes of `status` from `start`, little-endian, zero past its end.
#[inline(always)]
fn head_at(status: &[u8], start: usize) -> u64 {
    match status.get(start..start + 8) {
        // Cannot fail: the range is eight bytes.
        Some(bytes) => u64::from_le_bytes(bytes.try_into().unwrap_or_default()),
        None => {
            let mut bytes = [0u8; 8];
            let rest = status.get(start..).unwrap_or_default();
            bytes[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(bytes)
        }
    }
}

/// Bit `i` set where byte `i` of `block` is `\n`: one SSE2 compare (part of every
/// x86_64), which halved the instructions of finding a status file's ~60 newlines.
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn newline_mask(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is in the x86_64 baseline; the unaligned load reads the 16 bytes of
    // `block` and nothing else.
    let mask = unsafe {
        let bytes = _mm_loadu_si128(block.as_ptr().cast());
        _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8)))
    };
    // movemask sets only the low 16 bits.
    mask as u32
}

/// [`newline_mask`] without SIMD (other architectures, and Miri).
#[cfg(not(all(target_arch = "x86_64", not(miri))))]
fn newline_mask(block: &[u8; 16]) -> u32 {
    newline_mask_portable(block)
}

/// [`newline_mask`] from two words of [`newline_bits`]: the multiply gathers the bit of
/// byte `i` (at `8 * i` once shifted down) to bit `56 + i`, and no two bytes' terms
/// meet, so nothing carries into the top byte.
#[cfg_attr(all(target_arch = "x86_64", not(miri)), allow(dead_code))]
fn newline_mask_portable(block: &[u8; 16]) -> u32 {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let half = |i: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&block[i..i + 8]);
        ((newline_bits(word) >> 7).wrapping_mul(GATHER) >> 56) as u32
    };
    half(0) | half(8) << 8
}

/// One high bit per `\n` byte of `word`, loaded little-endian so that the lowest set
/// bit is the first newline.
///
/// The exact zero-byte test (no false positives) on `word ^ 0x0a0a..`: a byte's high
/// bit survives `!(((x & 0x7f..) + 0x7f..) | x | 0x7f..)` only if the byte is zero.
/// Eight bytes at a time, because a byte-at-a-time search cost ~0.5 µs over a typical
/// 1.4 KiB status, more than the rest of psx's work on a read together.
fn newline_bits(word: [u8; 8]) -> u64 {
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let x = u64::from_le_bytes(word) ^ NEWLINES;
    !(((x & LOWS).wrapping_add(LOWS)) | x | LOWS)
}

/// The command name as the kernel wrote it, its C escapes (`\n`, `\t`, `\\`, `\"`,
/// ...; `string_escape_mem` with `ESCAPE_SPACE | ESCAPE_SPECIAL`) undone. Bytes that are
/// not UTF-8 are replaced.
fn unescape_name(escaped: &[u8]) -> String {
    let mut out = Vec::with_capacity(escaped.len());
    let mut bytes = escaped.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let plain = match bytes.next() {
            Some(b'n') => b'\n',
            Some(b't') => b'\t',
            Some(b'r') => b'\r',
            Some(b'f') => 0x0c,
            Some(b'v') => 0x0b,
            Some(b'a') => 0x07,
            Some(b'e') => 0x1b,
            Some(&other) => other,
            None => b'\\',
        };
        out.push(plain);
    }
    // One allocation when the name is UTF-8, as nearly every name is.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A gid as `%u` (Linux 4.x and later) or `%d` (before: 2^31 and above printed negative).
fn parse_gid(text: &[u8]) -> Option<u32> {
    match text.strip_prefix(b"-") {
        Some(magnitude) => {
            let m = parse_decimal(magnitude)?;
            // `%d` of a u32 gid: -1 is 4294967295, -2147483648 is 2147483648.
            (1..=1 << 31).contains(&m).then(|| m.wrapping_neg())
        }
        None => parse_decimal(text),
    }
}

fn parse_decimal_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        let d = char::from(d).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(u64::from(d))
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
    // The 16 digits of 64 signals, as every architecture but MIPS prints them.
    if let Some((high, low)) = digits.split_first_chunk::<8>().and_then(|(high, rest)| {
        let low: &[u8; 8] = rest.try_into().ok()?;
        Some((high, low))
    }) {
        let bits = u64::from(hex8(*high)?) << 32 | u64::from(hex8(*low)?);
        return Some(SigSet::from_bits(bits.into()));
    }
    if digits.is_empty() || digits.len() > 32 {
        return None;
    }
    // The last 16 digits are the low 64 bits (all of them on every architecture but
    // MIPS).
    let (high, low) = digits.split_at(digits.len().saturating_sub(16));
    let bits = u128::from(parse_hex_u64(high)?) << 64 | u128::from(parse_hex_u64(low)?);
    Some(SigSet::from_bits(bits))
}

/// At most 16 hex digits (0 for none): whole groups of eight at once ([`hex8`]), the
/// digits before them through a table. Five masks of 16 digits are most of a scan's
/// decoding after the line search.
fn parse_hex_u64(digits: &[u8]) -> Option<u64> {
    if digits.len() > 16 {
        return None;
    }
    let (lead, words) = digits.split_at(digits.len() % 8);
    let (mut value, mut bad) = (0u64, 0u8);
    for &d in lead {
        let nibble = HEX_VALUES[usize::from(d)];
        bad |= nibble;
        value = value << 4 | u64::from(nibble & 0xf);
    }
    if bad >= 16 {
        return None;
    }
    for word in words.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        value = value << 32 | u64::from(hex8(bytes)?);
    }
    Some(value)
}

/// Eight hex digits, most significant first, with no branch per digit (SWAR: each
/// byte of a word is a lane). With every byte below 0x80, adding `0x80 - c` sets a
/// byte's high bit exactly when it is at least `c`, and no sum leaves its byte.
fn hex8(digits: [u8; 8]) -> Option<u32> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let x = u64::from_le_bytes(digits);
    if x & HIGH != 0 {
        return None;
    }
    let at_least = |x: u64, c: u8| x + ONES * u64::from(0x80 - c);
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1) & HIGH;
    // `| 0x20` folds `A`-`F` onto `a`-`f` and no other byte onto them.
    let folded = x | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'f' + 1) & HIGH;
    if digit | letter != HIGH {
        return None;
    }
    // Each byte's value: its low four bits, plus 9 for a letter (`a` is 0x61).
    let nibbles = (x & (ONES * 0xf)) + (letter >> 7) * 9;
    // The first digit to the top byte, then pairs of lanes merged: 8 nibbles in
    // bytes, 4 bytes in 16-bit lanes, 2 in 32-bit lanes, one word.
    let mut value = nibbles.swap_bytes();
    value = (value | value >> 4) & 0x00ff_00ff_00ff_00ff;
    value = (value | value >> 8) & 0x0000_ffff_0000_ffff;
    value = (value | value >> 16) & 0xffff_ffff;
    Some(value as u32)
}

/// Each byte's value as a hex digit, 0xff for a byte that is not one.
const HEX_VALUES: [u8; 256] = {
    let mut values = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        values[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        values[b'a' as usize + i] = 10 + i as u8;
        values[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    values
};

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
        let s = status(BASH);
        assert_eq!(s.umask, Ok(Some(0o022)));
        assert_eq!(
            s.identity,
            Identity {
                tgid: Some(4242),
                threads: Some(1),
                zombie: false
            }
        );
        assert_eq!(s.identity.verdict(Some(4242)), Verdict::Process);
        assert_eq!(s.groups, Ok(vec![4, 24, 27, 30, 46, 1000]));
        let m = s.sigmasks.unwrap();
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
        let s = status(old);
        assert_eq!(s.umask, Ok(None));
        assert_eq!(s.groups, Ok(vec![]));
        let zombie = b"Name:\tz\nState:\tZ (zombie)\nGroups:\t\n";
        assert!(is_zombie(zombie));
        assert_eq!(umask(zombie), Ok(None));
    }

    /// The usage lines of a Linux 6.1 status (`task_mem`, `task_sig`): sizes in kB.
    const USAGE_STATUS: &[u8] = b"Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t27316\n\
Uid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t \nNSpgid:\t27314\nNSsid:\t19115\n\
VmPeak:\t    3892 kB\nVmSize:\t    3892 kB\nVmLck:\t      16 kB\nVmPin:\t       0 kB\n\
VmHWM:\t    1940 kB\nVmRSS:\t    1940 kB\nVmData:\t     424 kB\nVmStk:\t     132 kB\n\
VmExe:\t     144 kB\nThreads:\t1\nSigQ:\t3/96364\nSigPnd:\t0000000000000000\n\
ShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n\
SigCgt:\t0000000000000000\n";

    #[test]
    fn usage_lines_are_bytes_and_counts() {
        let s = status_for(USAGE_STATUS, Field::Usage);
        assert_eq!(
            s.memory,
            Ok(Some(Memory {
                size: 3892 * 1024,
                data: 424 * 1024,
                stack: 132 * 1024,
                rss: 1940 * 1024,
                locked: 16 * 1024,
            }))
        );
        assert_eq!(s.sigq, Ok(3));
        assert_eq!(s.ruid, Some(1000), "the real uid, not the effective");
        // A zombie or kernel thread has no Vm lines: no memory, not an error.
        assert_eq!(status_for(BASH, Field::Usage).memory, Ok(None));
        let bad = String::from_utf8_lossy(USAGE_STATUS).replace("424 kB", "4x4 kB");
        let s = status_for(bad.as_bytes(), Field::Usage);
        assert_eq!(s.memory, Err(DecodeError::Malformed("VmData")));
        assert_eq!(s.sigq, Ok(3), "a bad line fails only itself");
        // Other reads do not decode them, and say so.
        let umask = status_for(USAGE_STATUS, Field::Umask);
        assert!(umask.memory.is_err() && !umask.covers(Field::Usage));
        let all = status(USAGE_STATUS);
        assert!(all.memory.is_err() && !all.covers(Field::Usage) && all.covers(Field::Groups));
        // A oneshot told what it will be asked for decodes that and no more.
        let wanted = psx_core::oneshot::Wanted::of(&[psx_core::Attr::Usage, psx_core::Attr::Comm]);
        let hinted = status_for(USAGE_STATUS, Field::Attrs(wanted));
        assert!(hinted.covers(Field::Usage) && hinted.covers(Field::Name));
        assert!(!hinted.covers(Field::Groups) && hinted.groups.is_err());
        assert_eq!(hinted.sigq, Ok(3));
    }

    #[test]
    fn process_cpu_clock_ids_are_the_kernels_encoding() {
        // `(~pid << 3) | clock` worked by hand: ~1 = -2, -2 << 3 = -16; ~1234 = -1235,
        // -1235 << 3 = -9880, | 2 = -9878.
        assert_eq!(process_cpu_clock(1, 0), -16);
        assert_eq!(process_cpu_clock(1234, 2), -9878);
        // The largest pid Linux gives (PID_MAX_LIMIT, 2^22): ~4194304 = -4194305, times 8.
        assert_eq!(process_cpu_clock(4_194_304, 0), -33_554_440);
    }

    /// One `struct linux_dirent64` (include/linux/dirent.h): d_ino u64 at 0, d_off i64
    /// at 8, d_reclen u16 at 16, d_type u8 at 18, d_name from 19, padded to 8 bytes.
    fn dirent(name: &[u8]) -> Vec<u8> {
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        let mut record = vec![0u8; reclen];
        record[0..8].copy_from_slice(&7u64.to_ne_bytes());
        record[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
        record[18] = 10; // DT_LNK
        record[19..19 + name.len()].copy_from_slice(name);
        record
    }

    #[test]
    fn descriptors_are_counted_with_the_highest() {
        let mut buf = Vec::new();
        for name in [&b"."[..], b"..", b"0", b"1", b"2", b"1023", b"5"] {
            buf.extend(dirent(name));
        }
        let mut files = psx_core::OpenFiles::default();
        count_fds(&buf, &mut files).unwrap();
        assert_eq!(files.count, 5);
        assert_eq!(files.highest, Some(1023));
        // A second buffer adds to the first.
        count_fds(&dirent(b"4096"), &mut files).unwrap();
        assert_eq!((files.count, files.highest), (6, Some(4096)));
        // A record cut short is an error, not a panic.
        assert!(count_fds(&buf[..buf.len() - 3], &mut psx_core::OpenFiles::default()).is_err());
        assert!(count_fds(&[0u8; 16], &mut psx_core::OpenFiles::default()).is_err());
    }

    #[test]
    fn processes_are_the_numbered_entries_of_proc() {
        let mut buf = Vec::new();
        let names = [
            &b"."[..],
            b"..",
            b"1",
            b"self",
            b"4242",
            b"thread-self",
            b"sys",
        ];
        for name in names
            .into_iter()
            .chain([&b"2147483647"[..], b"2147483648", b"0"])
        {
            buf.extend(dirent(name));
        }
        let mut pids = Vec::new();
        pids_in(&buf, &mut pids).unwrap();
        // 0 and numbers past i32::MAX name no process.
        let pids: Vec<i64> = pids.iter().map(|p| p.get()).collect();
        assert_eq!(pids, [1, 4242, 2_147_483_647]);
        // Hand-made from include/linux/dirent.h's offsets: a record of `d_reclen` 24
        // whose name "77" starts at byte 19.
        let mut record = [0u8; 24];
        record[16] = 24;
        record[19..21].copy_from_slice(b"77");
        let mut pids = Vec::new();
        pids_in(&record, &mut pids).unwrap();
        assert_eq!(pids, [psx_core::Pid::from(77u32)]);
        assert!(pids_in(&record[..20], &mut pids).is_err());
    }

    #[test]
    fn kernel_versions() {
        assert!(kernel_at_least(b"6.18.44-fc-v445", 4, 7));
        assert!(kernel_at_least(b"4.7.0", 4, 7));
        assert!(!kernel_at_least(b"4.6.7-generic", 4, 7));
        assert!(!kernel_at_least(b"3.10.0-1160.el7.x86_64", 4, 7));
        assert!(kernel_at_least(b"garbage", 4, 7));
    }

    #[test]
    fn newline_bits_are_exact() {
        // Every pair of byte values, in every position of a word: no false positives
        // (the cheaper "has zero byte" test flags a 0x0b right after a 0x0a) and none
        // missed.
        let step = if cfg!(miri) { 15 } else { 1 };
        for a in (0..=255u8).step_by(step) {
            for b in 0..=255u8 {
                let word = [a, b, a, a, b, b, a, b];
                let expected = word
                    .iter()
                    .enumerate()
                    .filter(|(_, &x)| x == b'\n')
                    .fold(0u64, |acc, (i, _)| acc | 0x80 << (8 * i));
                assert_eq!(newline_bits(word), expected, "{word:?}");
            }
        }
    }

    #[test]
    fn newline_masks_are_exact() {
        // Every byte value next to a newline, in every position of a block.
        let step = if cfg!(miri) { 17 } else { 1 };
        for other in (0..=255u8).step_by(step) {
            for at in 0..16 {
                let mut block = [other; 16];
                block[at] = b'\n';
                block[15 - at] = b'\n';
                let expected = block
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b == b'\n')
                    .fold(0u32, |acc, (i, _)| acc | 1 << i);
                assert_eq!(newline_mask(&block), expected, "{block:?}");
                assert_eq!(newline_mask_portable(&block), expected, "{block:?}");
            }
        }
        assert_eq!(newline_mask(&[b'\n'; 16]), 0xffff);
        assert_eq!(newline_mask_portable(&[b'\n'; 16]), 0xffff);
        assert_eq!(newline_mask(&[0; 16]), 0);
    }

    #[test]
    fn lines_are_found_at_every_alignment() {
        // Shifting the text moves each line across word boundaries and into the tail
        // shorter than a word.
        for pad in 0..24 {
            let mut text = format!("Name:\t{}\n", "x".repeat(pad)).into_bytes();
            text.extend_from_slice(&BASH[BASH.iter().position(|&b| b == b'\n').unwrap() + 1..]);
            let expected = Status {
                name: Ok("x".repeat(pad)),
                ..status(BASH)
            };
            assert_eq!(status(&text), expected, "pad {pad}");
            let short = format!("Name:\t{}\nUmask:\t7", "x".repeat(pad));
            assert_eq!(umask(short.as_bytes()), Ok(Some(7)), "pad {pad}");
            let short = format!("Name:\t{}\nUmask:\t7\n", "x".repeat(pad));
            assert_eq!(umask(short.as_bytes()), Ok(Some(7)), "pad {pad}");
        }
        // A key must start its line: `XSigPnd:` and `Groupsy:` are other keys.
        let text = b"XSigPnd:\t1\nGroupsy:\t5\nGroups:\t6\nSigPnd:\t2\n";
        assert_eq!(groups(text), Ok(vec![6]));
        assert_eq!(Lines::scan(text, MASKS).value(1 << 3), Some(&b"2"[..]));
    }

    #[test]
    fn hex_numbers_of_every_length() {
        for len in 0..=16 {
            for seed in 0..64u64 {
                let value = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - 4 * len.max(1));
                let value = if len == 0 { 0 } else { value };
                let lower = format!("{value:0len$x}");
                let upper = format!("{value:0len$X}");
                assert_eq!(parse_hex_u64(lower.as_bytes()), Some(value), "{lower}");
                assert_eq!(parse_hex_u64(upper.as_bytes()), Some(value), "{upper}");
            }
        }
    }

    #[test]
    fn masks_take_hex_digits_only() {
        assert_eq!(
            parse_hex_mask(b"00000000000004E8"),
            Some(SigSet::from_bits(0x4e8))
        );
        assert_eq!(
            parse_hex_mask(b"fedcba9876543210"),
            Some(SigSet::from_bits(0xfedc_ba98_7654_3210))
        );
        // 17 digits: the first is bit 64 and up.
        assert_eq!(
            parse_hex_mask(b"10000000000000001"),
            Some(SigSet::from_bits(1 << 64 | 1))
        );
        // Any byte that is not a hex digit, in any position, fails the mask.
        for bad in [
            b'g', b'G', b'/', b':', b'@', b'`', b' ', 0, 0x01, 0x11, 0x7f, 0x80, 0xb0, 0xc1, 0xe1,
            0xff,
        ] {
            for at in 0..16 {
                let mut digits = *b"0123456789abcdef";
                digits[at] = bad;
                assert_eq!(parse_hex_mask(&digits), None, "{bad:#x} at {at}");
            }
        }
        assert_eq!(parse_hex_mask(b""), None);
        assert_eq!(parse_hex_mask(&[b'0'; 33]), None);
    }

    #[test]
    fn eight_digits_at_once_agree_with_the_table() {
        // Every byte value in every position, against the digit-by-digit table.
        let by_table = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |value, &d| {
                let nibble = HEX_VALUES[usize::from(d)];
                (nibble < 16).then(|| value << 4 | u32::from(nibble))
            })
        };
        for at in 0..8 {
            for byte in 0..=255u8 {
                let mut digits = *b"9a0Fc3e7";
                digits[at] = byte;
                assert_eq!(hex8(digits), by_table(&digits), "{byte:#x} at {at}");
            }
        }
        assert_eq!(hex8(*b"fedcba98"), Some(0xfedc_ba98));
        assert_eq!(hex8(*b"01234567"), Some(0x0123_4567));
    }

    #[test]
    fn the_scan_ends_at_sigcgt() {
        // A kernel thread's status has no memory lines; nothing psx reads follows
        // `SigCgt:`, so a line after it is never taken.
        let kthread = b"Name:\tkworker/0:1\nUmask:\t0000\nState:\tI (idle)\nTgid:\t9\n\
            Uid:\t0\t0\t0\t0\nGroups:\t\nNSpgid:\t0\nNSsid:\t0\nThreads:\t1\nSigQ:\t0/7\n\
            SigPnd:\t0\nShdPnd:\t0\nSigBlk:\t0\nSigIgn:\tffffffffffffffff\nSigCgt:\t0\n\
            VmSize:\t  4 kB\nVmData:\t 1 kB\nVmStk:\t 1 kB\nVmRSS:\t 1 kB\nVmLck:\t 0 kB\n";
        let status = status_for(kthread, Field::Every);
        assert_eq!(status.memory, Ok(None));
        assert_eq!(status.sigq, Ok(0));
        assert_eq!(status.ruid, Some(0));
        assert_eq!(status.identity.threads, Some(1));
        assert_eq!(
            status.sigmasks.unwrap().ignored,
            Some(SigSet::from_bits(u64::MAX.into()))
        );
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
        assert!(status(b"Umask:").umask.is_err());
    }

    #[test]
    fn process_group_and_session_come_from_the_ns_lines() {
        let s = status(BASH);
        assert_eq!((s.pgid, s.sid), (Some(4242), Some(4242)));
        let nested = b"Name:\tsh\nNSpgid:\t900\t1\nNSsid:\t0\t1\nState:\tS\n";
        let s = status(nested);
        assert_eq!((s.pgid, s.sid), (Some(900), Some(0)));
        // A kernel before 4.1 has no such lines.
        assert_eq!(status(b"Name:\tx\nState:\tS\n").pgid, None);
        assert_eq!(status(b"NSpgid:\tx\n").pgid, None);
    }

    #[test]
    fn names_are_unescaped() {
        assert_eq!(status(BASH).name, Ok("bash".into()));
        let s = status(b"Name:\tev\\nil\\\\x\\ty\nState:\tS\n");
        assert_eq!(s.name, Ok("ev\nil\\x\ty".into()));
        assert_eq!(
            status_for(b"Name:\tkworker/0:1\n", Field::Name).name,
            Ok("kworker/0:1".into())
        );
        assert_eq!(
            status(b"State:\tS\n").name,
            Err(DecodeError::Missing("Name"))
        );
    }

    #[test]
    fn a_bad_field_fails_only_itself() {
        let text = b"Umask:\t0022\nState:\tS\nTgid:\t9\nGroups:\t1 x\nThreads:\t1\n\
SigPnd:\t0\nShdPnd:\t0\nSigBlk:\t0\nSigIgn:\t0\nSigCgt:\t2\n";
        let s = status(text);
        assert_eq!(s.groups, Err(DecodeError::Malformed("Groups")));
        assert_eq!(s.umask, Ok(Some(0o022)));
        assert!(s.sigmasks.unwrap().caught.unwrap().contains(2));
        assert_eq!(s.identity.verdict(Some(9)), Verdict::Process);
    }

    #[test]
    fn pre_4x_kernels_print_large_gids_negative() {
        // `%d` of gids 4294967294, 2147483648 and 4294967295.
        let text = b"Groups:\t-2 5 -2147483648 -1 \n";
        assert_eq!(
            groups(text),
            Ok(vec![4294967294, 5, 2147483648, 4294967295])
        );
        assert_eq!(
            groups(b"Groups:\t-2147483649\n"),
            Err(DecodeError::Malformed("Groups"))
        );
        assert_eq!(
            groups(b"Groups:\t-0\n"),
            Err(DecodeError::Malformed("Groups"))
        );
        assert_eq!(
            groups(b"Groups:\t--1\n"),
            Err(DecodeError::Malformed("Groups"))
        );
    }

    #[test]
    fn verdicts() {
        let id = |tgid, threads, zombie| Identity {
            tgid: Some(tgid),
            threads: Some(threads),
            zombie,
        };
        // A thread's /proc/<tid>: its Tgid is the process's.
        assert_eq!(
            id(100, 3, false).verdict(Some(101)),
            Verdict::Thread { tgid: 100 }
        );
        // Through /proc/self there is no number to compare.
        assert_eq!(id(100, 3, false).verdict(None), Verdict::Process);
        // Reaped while the kernel wrote the file.
        assert_eq!(id(100, 0, false).verdict(Some(100)), Verdict::Reaped);
        // A zombie: one (dead) thread left.
        assert_eq!(id(100, 1, true).verdict(Some(100)), Verdict::Process);
        // The leader called pthread_exit; two threads still run.
        assert_eq!(id(100, 3, true).verdict(Some(100)), Verdict::LeaderExited);
        // Kernels without the lines: judged as the process.
        let bare = Identity {
            tgid: None,
            threads: None,
            zombie: false,
        };
        assert_eq!(bare.verdict(Some(5)), Verdict::Process);
    }

    #[test]
    fn a_one_field_read_stops_early_but_finds_the_identity() {
        let s = status_for(BASH, Field::Umask);
        assert_eq!(s.umask, Ok(Some(0o022)));
        assert_eq!(s.identity, status(BASH).identity);
        assert_eq!(s.groups, Err(DecodeError::Missing("Groups")));
    }
}
