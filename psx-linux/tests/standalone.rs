//! The Linux backend used on its own, without the facade: its input is checked as the
//! facade checks it, so a bad pid or pair never reaches the kernel.
#![cfg(target_os = "linux")]

use std::process::{Child, Command};

use psx_core::{Backend, Error, Limit, Pid, Pinned, RLimit, Resource, Target, ValidRLimit};
use psx_linux::{Linux, ProcPin};

fn own_limit(resource: Resource) -> RLimit {
    Linux::get_rlimit(Target::new(std::process::id()).unwrap(), resource).unwrap()
}

/// A pair other than the caller's current NOFILE limits that an unprivileged caller
/// could set on itself (the soft limit one lower), so a set that reached the caller
/// would show.
fn lowered_nofile() -> ValidRLimit {
    let now = own_limit(Resource::Nofile);
    let soft = match now.soft {
        Limit::Value(v) => Limit::Value(v.saturating_sub(1)),
        Limit::Unlimited => Limit::Value(1024),
    };
    ValidRLimit::new(soft, now.hard).unwrap()
}

fn no_such_process<T: std::fmt::Debug>(result: psx_core::Result<T>, pid: i64) {
    match result {
        Err(Error::NoSuchProcess { pid: p }) => assert_eq!(p.get(), pid),
        other => panic!("pid {pid}: expected NoSuchProcess, got {other:?}"),
    }
}

#[test]
fn pid_zero_and_negatives_are_no_such_process_and_never_touch_the_caller() {
    let before = own_limit(Resource::Nofile);
    let new = lowered_nofile();
    assert_ne!(new.get(), before);
    for pid in [0, -1, -2, i64::from(i32::MIN), i64::from(u32::MAX), 1 << 40] {
        // Through a bare pid: `prlimit(0, ..)` would be the caller itself, and a
        // negative pid a process group to `kill(2)`.
        let set = Target::new(pid).and_then(|t| Linux::set_rlimit(t, Resource::Nofile, new));
        no_such_process(set, pid);
        no_such_process(Target::new(pid).and_then(Linux::umask), pid);
        no_such_process(Target::new(pid).and_then(Linux::pgid), pid);
        no_such_process(Target::new(pid).and_then(Linux::is_running), pid);
        no_such_process(
            Target::new(pid).and_then(|t| Linux::get_rlimit(t, Resource::Core)),
            pid,
        );
        // Nor through a handle.
        no_such_process(Pinned::new::<Linux>(pid), pid);
        assert_eq!(
            own_limit(Resource::Nofile),
            before,
            "pid {pid} reached the caller"
        );
    }
}

#[test]
fn soft_above_hard_is_invalid_argument_before_any_call() {
    let before = own_limit(Resource::Core);
    let message = "current limit exceeds maximum limit";
    let pairs = [
        (Limit::Value(2), Limit::Value(1)),
        (Limit::Unlimited, Limit::Value(0)),
        (Limit::Value(u64::MAX - 1), Limit::Value(0)),
    ];
    for (soft, hard) in pairs {
        for refused in [
            ValidRLimit::new(soft, hard),
            RLimit::new(soft, hard).validate(),
            ValidRLimit::try_from(RLimit::new(soft, hard)),
            ValidRLimit::for_backend::<Linux>(RLimit::new(soft, hard)),
        ] {
            match refused {
                Err(Error::InvalidArgument(m)) => assert_eq!(m, message),
                other => panic!("{soft}:{hard}: expected InvalidArgument, got {other:?}"),
            }
        }
    }
    // As the kernel compares them: `Value(u64::MAX)` is RLIM_INFINITY on Linux.
    let infinite = RLimit::new(Limit::Unlimited, Limit::Value(u64::MAX));
    assert!(infinite.validate().is_err());
    let pair = ValidRLimit::for_backend::<Linux>(infinite).unwrap();
    assert_eq!(pair.get(), RLimit::new(Limit::Unlimited, Limit::Unlimited));
    assert_eq!(own_limit(Resource::Core), before);
}

/// A child whose umask (077) differs from ours, so a read of the wrong process shows.
fn child_with_umask_077() -> Child {
    let child = Command::new("sh")
        .args(["-c", "umask 077; exec sleep 30"])
        .spawn()
        .unwrap();
    // Wait for the exec, after which the umask is set.
    let target = Target::new(child.id()).unwrap();
    for _ in 0..500 {
        if Linux::comm(target).is_ok_and(|name| name == "sleep") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

#[test]
fn a_pinned_target_carries_the_pid_it_was_pinned_by() {
    let mut child = child_with_umask_077();
    let child_pid = Pid::from(child.id());
    let pinned: Pinned<ProcPin> = Pinned::new::<Linux>(child.id()).unwrap();
    let target = pinned.target();
    assert_eq!(pinned.pid(), child_pid);
    assert_eq!(target.pid(), child_pid);
    assert!(target.pin().is_some());
    let info = psx_core::info::<Linux>(target, &[psx_core::Attr::Umask]).unwrap();
    assert_eq!((info.pid, info.umask), (child_pid, Some(0o077)));
    // The only other target is a bare pid: it has no pin to borrow.
    let bare: Target<'_, ProcPin> = Target::new(1).unwrap();
    assert!(bare.pin().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
    // Reaped: the pin answers for its own process only.
    assert!(matches!(
        Linux::umask(target),
        Err(Error::NoSuchProcess { pid }) if pid == child_pid
    ));
    assert!(!Linux::is_running(target).unwrap());
}
