//! The per-thread, per-pid oneshot cache (psutil-extra's `oneshot_proc`).
//!
//! While a [`OneshotGuard`] for a pid lives on a thread, a backend may keep what one
//! bulk read returned (Linux: the parsed `status`; FreeBSD: the `kinfo_proc`) and serve
//! later calls for that pid on that thread from it. Outside a guard nothing is kept.
//! Failed reads are never kept, so a vanished process keeps reporting its error.

use std::any::Any;
use std::marker::PhantomData;

use crate::{Attr, Pid, Result};

struct Entry {
    pid: Pid,
    /// Guards alive for this pid on this thread; the entry goes when it reaches 0.
    depth: usize,
    /// One value per bulk-read type; a backend rarely has more than two.
    values: Vec<Box<dyn Any>>,
    /// What [`want`] said will be asked for, and the depth of the guard it holds for.
    wanted: Option<(usize, Wanted)>,
}

/// The attributes a oneshot will be asked for ([`wanted`]): a backend whose bulk read
/// decodes per attribute decodes only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted(u32);

impl Wanted {
    /// The set of `attrs`.
    pub fn of(attrs: &[Attr]) -> Self {
        Wanted(attrs.iter().fold(0, |set, &a| set | 1 << a as u32))
    }

    /// Whether `attr` is in the set.
    pub fn contains(self, attr: Attr) -> bool {
        self.0 & 1 << attr as u32 != 0
    }
}

// Nightly clippy misreads the `const` initialiser on some tier-3 targets (OpenBSD, Solaris).
#[allow(clippy::missing_const_for_thread_local)]
mod entries {
    thread_local! {
        pub(super) static ENTRIES: std::cell::RefCell<Vec<super::Entry>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
}
use entries::ENTRIES;

/// Enables the oneshot cache for one pid on the current thread until dropped.
///
/// Guards nest: only when the last guard for a pid drops is its cache cleared. The
/// guard is tied to its thread: it is neither `Send` nor `Sync`.
///
/// ```compile_fail,E0277
/// fn send<T: Send>(_: T) {}
/// send(psx_core::OneshotGuard::enter(psx_core::Pid::from(1)));
/// ```
///
/// ```compile_fail,E0277
/// fn sync<T: Sync>(_: &T) {}
/// sync(&psx_core::OneshotGuard::enter(psx_core::Pid::from(1)));
/// ```
#[derive(Debug)]
#[must_use = "the cache is cleared as soon as the guard is dropped"]
pub struct OneshotGuard {
    pid: Pid,
    _not_send: PhantomData<*const ()>,
}

impl OneshotGuard {
    /// Starts (or nests) a oneshot for `pid` on this thread.
    pub fn enter(pid: Pid) -> Self {
        ENTRIES.with_borrow_mut(|entries| match entries.iter_mut().find(|e| e.pid == pid) {
            Some(entry) => entry.depth += 1,
            None => entries.push(Entry {
                pid,
                depth: 1,
                values: Vec::new(),
                wanted: None,
            }),
        });
        OneshotGuard {
            pid,
            _not_send: PhantomData,
        }
    }

    /// The pid this guard caches.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}

impl Drop for OneshotGuard {
    fn drop(&mut self) {
        // `try_with`: a guard dropped during thread teardown finds no cache to clear.
        let _ = ENTRIES.try_with(|entries| {
            let mut entries = entries.borrow_mut();
            if let Some(i) = entries.iter().position(|e| e.pid == self.pid) {
                if entries[i]
                    .wanted
                    .is_some_and(|(depth, _)| depth == entries[i].depth)
                {
                    entries[i].wanted = None;
                }
                entries[i].depth -= 1;
                if entries[i].depth == 0 {
                    entries.swap_remove(i);
                }
            }
        });
    }
}

/// Whether a oneshot for `pid` is active on this thread.
pub fn is_active(pid: Pid) -> bool {
    ENTRIES.with_borrow(|entries| entries.iter().any(|e| e.pid == pid))
}

/// Serves `read` from this thread's cached `T` for `pid`, reading it with `fill` first
/// if it is not cached yet. Returns `None`, calling neither, when no oneshot for `pid`
/// is active: the caller then takes its uncached path, which may be cheaper than a
/// full bulk read.
///
/// An error from `fill` is returned and nothing is cached.
pub fn cached<T: Any, R>(
    pid: Pid,
    fill: impl FnOnce() -> Result<T>,
    read: impl FnOnce(&T) -> Result<R>,
) -> Option<Result<R>> {
    let cached_here = ENTRIES.with_borrow(|entries| {
        let entry = entries.iter().find(|e| e.pid == pid)?;
        Some(entry.values.iter().any(|v| v.is::<T>()))
    })?;
    if cached_here {
        return ENTRIES.with_borrow(|entries| {
            let entry = entries.iter().find(|e| e.pid == pid)?;
            entry
                .values
                .iter()
                .find_map(|v| v.downcast_ref::<T>())
                .map(read)
        });
    }
    // Not cached yet: read without holding the borrow, then keep the value.
    let value = match fill() {
        Ok(value) => value,
        Err(e) => return Some(Err(e)),
    };
    let result = read(&value);
    ENTRIES.with_borrow_mut(|entries| {
        if let Some(entry) = entries.iter_mut().find(|e| e.pid == pid) {
            entry.values.push(Box::new(value));
        }
    });
    Some(result)
}

/// `read` of this thread's cached `T` for `pid`, if a oneshot holds one; never reads.
pub fn peek<T: Any, R>(pid: Pid, read: impl FnOnce(&T) -> R) -> Option<R> {
    ENTRIES.with_borrow(|entries| {
        let entry = entries.iter().find(|e| e.pid == pid)?;
        entry
            .values
            .iter()
            .find_map(|v| v.downcast_ref::<T>())
            .map(read)
    })
}

/// Says that, until the innermost active guard for `pid` drops, only `attrs` will be
/// asked for (what [`info`](crate::info) does), unless an outer guard said so first.
/// Outside a oneshot it does nothing.
pub fn want(pid: Pid, attrs: &[Attr]) {
    ENTRIES.with_borrow_mut(|entries| {
        if let Some(entry) = entries.iter_mut().find(|e| e.pid == pid) {
            if entry.wanted.is_none() {
                entry.wanted = Some((entry.depth, Wanted::of(attrs)));
            }
        }
    });
}

/// What the active oneshot for `pid` will be asked for, if its caller said ([`want`]);
/// `None` means anything may be. A backend may decode less of a bulk read for a hint,
/// and must then read again for what the hint left out.
pub fn wanted(pid: Pid) -> Option<Wanted> {
    ENTRIES.with_borrow(|entries| {
        entries
            .iter()
            .find(|e| e.pid == pid)
            .and_then(|e| e.wanted.map(|(_, w)| w))
    })
}

/// Puts `value` in the active oneshot for `pid` on this thread, replacing a `T` already
/// there; does nothing outside a oneshot. A scan reads every process's bulk record in
/// one call and seeds each process's oneshot with its own, so reading its attributes
/// then costs no further call for what the record holds.
pub fn seed<T: Any>(pid: Pid, value: T) {
    ENTRIES.with_borrow_mut(|entries| {
        if let Some(entry) = entries.iter_mut().find(|e| e.pid == pid) {
            entry.values.retain(|v| !v.is::<T>());
            entry.values.push(Box::new(value));
        }
    });
}

/// `pick` from the oneshot's `T` for `pid` (read with `read` the first time), or, outside
/// a oneshot, from a fresh `read`: the shape of every bulk-read attribute.
pub fn cached_or_fresh<T: Any, R>(
    pid: Pid,
    read: impl Fn() -> Result<T>,
    pick: impl Fn(&T) -> Result<R>,
) -> Result<R> {
    match cached(pid, &read, &pick) {
        Some(result) => result,
        None => pick(&read()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::cell::Cell;

    fn counted(pid: Pid, reads: &Cell<u32>) -> Option<Result<u32>> {
        cached(
            pid,
            || {
                reads.set(reads.get() + 1);
                Ok(7u32)
            },
            |v| Ok(*v),
        )
    }

    #[test]
    fn outside_a_oneshot_nothing_is_cached() {
        let reads = Cell::new(0);
        assert!(counted(Pid::from(1), &reads).is_none());
        assert_eq!(reads.get(), 0);
    }

    #[test]
    fn nested_guards_clear_at_the_outermost() {
        let pid = Pid::from(100);
        let reads = Cell::new(0);
        let outer = OneshotGuard::enter(pid);
        {
            let _inner = OneshotGuard::enter(pid);
            assert_eq!(counted(pid, &reads).unwrap().unwrap(), 7);
        }
        assert!(is_active(pid));
        assert_eq!(counted(pid, &reads).unwrap().unwrap(), 7);
        assert_eq!(reads.get(), 1);
        drop(outer);
        assert!(!is_active(pid));
        let _again = OneshotGuard::enter(pid);
        counted(pid, &reads);
        assert_eq!(reads.get(), 2);
    }

    #[test]
    fn errors_are_not_cached_and_pids_are_separate() {
        let (a, b) = (Pid::from(200), Pid::from(201));
        let _ga = OneshotGuard::enter(a);
        let _gb = OneshotGuard::enter(b);
        let failed: Option<Result<u32>> =
            cached(a, || Err(Error::NoSuchProcess { pid: a }), |v: &u32| Ok(*v));
        assert!(matches!(failed, Some(Err(Error::NoSuchProcess { .. }))));
        let reads = Cell::new(0);
        counted(a, &reads);
        counted(b, &reads);
        counted(a, &reads);
        assert_eq!(reads.get(), 2);
    }

    #[test]
    fn a_seed_serves_without_a_read() {
        let pid = Pid::from(400);
        seed(pid, 9u32);
        let reads = Cell::new(0);
        // Outside a oneshot a seed is dropped: nothing is kept.
        assert!(counted(pid, &reads).is_none());
        let _g = OneshotGuard::enter(pid);
        seed(pid, 5u32);
        seed(pid, 6u32);
        let got = cached_or_fresh(pid, || -> Result<u32> { unreachable!() }, |v| Ok(*v));
        assert_eq!(got.unwrap(), 6);
        assert_eq!(reads.get(), 0);
        assert_eq!(peek(pid, |v: &u32| *v), Some(6));
        assert_eq!(peek(pid, |v: &u64| *v), None);
        assert_eq!(peek(Pid::from(402), |v: &u32| *v), None);
    }

    #[test]
    fn cached_or_fresh_reads_each_time_outside_a_oneshot() {
        let pid = Pid::from(401);
        let reads = Cell::new(0);
        let read = || {
            reads.set(reads.get() + 1);
            Ok(3u32)
        };
        for _ in 0..2 {
            assert_eq!(cached_or_fresh(pid, read, |v| Ok(*v + 1)).unwrap(), 4);
        }
        assert_eq!(reads.get(), 2);
        let _g = OneshotGuard::enter(pid);
        for _ in 0..2 {
            assert_eq!(cached_or_fresh(pid, read, |v| Ok(*v)).unwrap(), 3);
        }
        assert_eq!(reads.get(), 3);
    }

    #[test]
    fn a_hint_lasts_as_long_as_the_guard_it_was_given_for() {
        let pid = Pid::from(500);
        want(pid, &[Attr::Umask]);
        assert_eq!(wanted(pid), None, "outside a oneshot nothing is kept");
        let _outer = OneshotGuard::enter(pid);
        {
            let _inner = OneshotGuard::enter(pid);
            want(pid, &[Attr::Umask, Attr::Usage]);
            want(pid, &[Attr::Groups]);
            let hint = wanted(pid).unwrap();
            assert!(hint.contains(Attr::Umask) && hint.contains(Attr::Usage));
            assert!(!hint.contains(Attr::Groups), "the first hint holds");
        }
        assert_eq!(wanted(pid), None, "gone with the inner guard");
        want(pid, &[Attr::Groups]);
        assert_eq!(wanted(pid), Some(Wanted::of(&[Attr::Groups])));
    }

    #[test]
    fn the_cache_is_per_thread() {
        let pid = Pid::from(300);
        let _g = OneshotGuard::enter(pid);
        std::thread::spawn(move || assert!(!is_active(pid)))
            .join()
            .unwrap();
        assert!(is_active(pid));
    }
}
