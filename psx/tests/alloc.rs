//! Heap allocations per call, counted by a global allocator: none for umask, pgid, sid,
//! rlimit and signal masks; one (the returned Vec) for a non-empty group list; none per
//! descriptor when counting them.
#![cfg(target_os = "linux")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Counts allocations made by the current thread only, so the test harness's other
/// threads cannot disturb the count.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread (its result is dropped outside the count).
fn allocations<T>(f: impl FnOnce() -> T) -> u64 {
    let before = ALLOCATIONS.get();
    let result = f();
    let n = ALLOCATIONS.get() - before;
    drop(result);
    n
}

#[test]
fn single_attributes_do_not_allocate() {
    let me = std::process::id();
    // Warm up lazily initialised state (thread-locals, std's pid cache).
    psx::proc_get_umask(me).unwrap();
    psx::proc_getgroups(me).unwrap();
    assert_eq!(allocations(|| psx::proc_get_umask(me).unwrap()), 0, "umask");
    assert_eq!(allocations(|| psx::proc_getpgid(me).unwrap()), 0, "pgid");
    assert_eq!(allocations(|| psx::proc_getsid(me).unwrap()), 0, "sid");
    assert_eq!(
        allocations(|| psx::proc_getrlimit(me, psx::Resource::Nofile).unwrap()),
        0,
        "getrlimit"
    );
    assert_eq!(
        allocations(|| psx::proc_rlimit(me, psx::Resource::Core, None).unwrap()),
        0,
        "rlimit"
    );
    assert_eq!(
        allocations(|| psx::proc_get_sigmask(me).unwrap()),
        0,
        "sigmasks"
    );
    let handle = psx::Process::new(me).unwrap();
    assert_eq!(
        allocations(|| handle.umask().unwrap()),
        0,
        "umask through a handle"
    );
    assert_eq!(
        allocations(|| handle.pgid().unwrap()),
        0,
        "pgid through a handle"
    );
    // No supplementary groups: no allocation at all; otherwise exactly the Vec.
    let groups_allocs = allocations(|| psx::proc_getgroups(me).unwrap());
    let expected = u64::from(!psx::proc_getgroups(me).unwrap().is_empty());
    assert_eq!(groups_allocs, expected, "groups");
}

#[test]
fn a_group_list_is_one_allocation() {
    // A child with six groups if we may set them, else whatever groups `sh` has.
    let wanted: [libc::gid_t; 6] = [4, 24, 27, 30, 46, 1000];
    let mut cmd = Command::new("sleep");
    cmd.arg("30");
    // SAFETY: setgroups is async-signal-safe; failing (no CAP_SETGID) is ignored.
    unsafe {
        cmd.pre_exec(move || {
            libc::setgroups(wanted.len(), wanted.as_ptr());
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let groups = psx::proc_getgroups(pid).unwrap();
    let n = allocations(|| psx::proc_getgroups(pid).unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(n, u64::from(!groups.is_empty()), "groups {groups:?}");
}

#[test]
fn counting_descriptors_does_not_allocate_per_descriptor() {
    let me = std::process::id();
    psx::proc_usage(me).unwrap();
    let few = allocations(|| psx::proc_usage(me).unwrap());
    // 500 more descriptors: the count changes, the allocations do not (the
    // directory is read into the thread's one buffer, made by the first count above;
    // the usage map is the same size).
    let files: Vec<std::fs::File> = (0..500)
        .map(|_| std::fs::File::open("/dev/null").unwrap())
        .collect();
    let usage = psx::proc_usage(me).unwrap();
    assert!(usage.used[&psx::Resource::Nofile] >= 500);
    let many = allocations(|| psx::proc_usage(me).unwrap());
    drop(files);
    assert_eq!(many, few, "allocations with 500 more descriptors");
}
