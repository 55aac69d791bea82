//! Helpers shared by the Linux test files (each `tests/*.rs` that says `mod common;`).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `sleep` child holding exactly `extra` descriptors besides 0, 1 and 2 (each
/// `/dev/null`), whatever this test process inherited; returned once it sleeps, when
/// its loader and locale set-up have closed what they opened.
pub fn child_with_files(extra: u32) -> Child {
    let mut cmd = Command::new("sleep");
    cmd.arg("30")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec only async-signal-safe calls: close_range, close, open.
    unsafe {
        cmd.pre_exec(move || {
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
                for fd in 3..4096 {
                    libc::close(fd);
                }
            }
            for _ in 0..extra {
                if libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        })
    };
    let child = cmd.spawn().expect("spawn sleep");
    let deadline = Instant::now() + Duration::from_secs(10);
    let sleeping = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
        stat.starts_with(&format!("{} (sleep) S ", child.id()))
    };
    while !sleeping() {
        assert!(Instant::now() < deadline, "child never slept");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}
