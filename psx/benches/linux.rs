//! psx against the floor (the bare system calls it makes) and against the `procfs`
//! crate, in the same run. `ci/bench-report` runs this and prints the ratios.
//!
//! Every group has `floor`, `psx` and `procfs` (and, where it is the obvious
//! hand-written alternative, `naive`: `std::fs::read_to_string` and a line search).
#![allow(missing_docs)]

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::{CStr, CString};
    use std::hint::black_box;

    use criterion::{BenchmarkId, Criterion};
    use psx::Resource;

    /// The bare read of a status file: open, read into a stack buffer (left
    /// uninitialised, as psx leaves it) until EOF or a short read ending a line (the end
    /// of a single-record seq file, where psx stops too), close.
    pub fn floor_status(path: &CStr) -> usize {
        floor_status_with(path, |_| {})
    }

    /// [`floor_status`], handing the bytes read to `look`.
    fn floor_status_with(path: &CStr, look: impl FnOnce(&[u8])) -> usize {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8192];
        // SAFETY: a NUL-terminated path; `buf` is writable for its length, and a byte
        // is read only after a read initialised it.
        unsafe {
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return 0;
            }
            let mut len = 0;
            loop {
                let asked = buf.len() - len;
                let n = libc::read(fd, buf[len..].as_mut_ptr().cast(), asked);
                if n <= 0 {
                    break;
                }
                len += n as usize;
                if (n as usize) < asked && buf[len - 1].assume_init() == b'\n' {
                    break;
                }
            }
            libc::close(fd);
            look(std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), len));
            len
        }
    }

    /// `/proc/<pid>/<name>` in a stack buffer, as psx makes its paths (no allocation).
    pub fn proc_file<'a>(buf: &'a mut [u8; 48], pid: i32, name: &str) -> &'a CStr {
        use std::io::Write;
        let mut out = &mut buf[..];
        write!(out, "/proc/{pid}/{name}\0").expect("a pid and a short name fit");
        CStr::from_bytes_until_nul(buf).expect("NUL-terminated")
    }

    pub fn floor_prlimit(pid: i32) -> u64 {
        let mut old = libc::rlimit64 {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `old` is a valid out pointer; no new limit is passed.
        unsafe { libc::prlimit64(pid, libc::RLIMIT_NOFILE, std::ptr::null(), &mut old) };
        old.rlim_cur
    }

    pub fn floor_pgid(pid: i32) -> i32 {
        // SAFETY: no pointers.
        unsafe { libc::getpgid(pid) }
    }

    pub fn floor_sid(pid: i32) -> i32 {
        // SAFETY: no pointers.
        unsafe { libc::getsid(pid) }
    }

    /// The calls psx makes for umask, groups, masks, pgid, sid and one limit in a
    /// oneshot: one status read (which also holds pgid and sid, `NSpgid`/`NSsid`) and
    /// one `prlimit`.
    pub fn floor_all(pid: i32, path: &CString) -> usize {
        floor_status(path) + floor_prlimit(pid) as usize
    }

    pub fn psx_all(pid: i32) -> usize {
        psx::with_oneshot(pid, || {
            let umask = psx::proc_get_umask(pid).map_or(0, |m| m as usize);
            let groups = psx::proc_getgroups(pid).map_or(0, |g| g.len());
            let masks = psx::proc_get_sigmask(pid).map_or(0, |m| m.caught.map_or(0, |c| c.len()));
            let pgid = psx::proc_getpgid(pid).map_or(0, |p| p.as_raw() as usize);
            let sid = psx::proc_getsid(pid).map_or(0, |p| p.as_raw() as usize);
            let nofile = psx::proc_getrlimit(pid, Resource::Nofile)
                .map_or(0, |l| l.soft.value().unwrap_or(0) as usize);
            umask + groups + masks + pgid + sid + nofile
        })
    }

    pub fn procfs_all(pid: i32) -> usize {
        procfs::process::Process::new(pid).map_or(0, |p| procfs_read(&p, true))
    }

    /// What procfs reads for name, umask, groups, masks, pgid and sid (status and stat),
    /// and with `limits` the limits file too.
    fn procfs_read(proc: &procfs::process::Process, limits: bool) -> usize {
        let status = proc.status().map_or(0, |s| {
            s.name.len() + s.umask.unwrap_or(0) as usize + s.groups.len() + s.sigcgt as usize
        });
        let stat = proc.stat().map_or(0, |s| (s.pgrp + s.session) as usize);
        status + stat + if limits { procfs_nofile(proc) } else { 0 }
    }

    /// procfs reading the limits file for the NOFILE soft limit.
    fn procfs_nofile(proc: &procfs::process::Process) -> usize {
        proc.limits()
            .map_or(0, |l| match l.max_open_files.soft_limit {
                procfs::process::LimitValue::Value(v) => v as usize,
                procfs::process::LimitValue::Unlimited => 1,
            })
    }

    fn naive_status(pid: i32) -> String {
        std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap()
    }

    fn naive_field<'a>(text: &'a str, key: &str) -> &'a str {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
    }

    pub fn status_path(pid: i32) -> CString {
        CString::new(format!("/proc/{pid}/status")).expect("no NUL in a path")
    }

    pub fn single_attributes(c: &mut Criterion) {
        let pid = std::process::id() as i32;
        let path = status_path(pid);

        let mut g = c.benchmark_group("umask");
        g.bench_function("floor", |b| b.iter(|| floor_status(black_box(&path))));
        g.bench_function("psx", |b| {
            b.iter(|| psx::proc_get_umask(black_box(pid)).unwrap())
        });
        g.bench_function("procfs", |b| {
            b.iter(|| {
                procfs::process::Process::new(black_box(pid))
                    .unwrap()
                    .status()
                    .unwrap()
                    .umask
            })
        });
        g.bench_function("naive", |b| {
            b.iter(|| {
                u32::from_str_radix(naive_field(&naive_status(black_box(pid)), "Umask:"), 8)
                    .unwrap()
            })
        });
        g.finish();

        let mut g = c.benchmark_group("groups");
        g.bench_function("floor", |b| b.iter(|| floor_status(black_box(&path))));
        g.bench_function("psx", |b| {
            b.iter(|| psx::proc_getgroups(black_box(pid)).unwrap())
        });
        g.bench_function("procfs", |b| {
            b.iter(|| {
                procfs::process::Process::new(black_box(pid))
                    .unwrap()
                    .status()
                    .unwrap()
                    .groups
            })
        });
        g.bench_function("naive", |b| {
            b.iter(|| {
                naive_field(&naive_status(black_box(pid)), "Groups:")
                    .split_whitespace()
                    .map(|g| g.parse::<u32>().unwrap())
                    .collect::<Vec<_>>()
            })
        });
        g.finish();

        let mut g = c.benchmark_group("sigmasks");
        g.bench_function("floor", |b| b.iter(|| floor_status(black_box(&path))));
        g.bench_function("psx", |b| {
            b.iter(|| psx::proc_get_sigmask(black_box(pid)).unwrap())
        });
        g.bench_function("procfs", |b| {
            b.iter(|| {
                let s = procfs::process::Process::new(black_box(pid))
                    .unwrap()
                    .status()
                    .unwrap();
                (s.sigpnd, s.shdpnd, s.sigblk, s.sigign, s.sigcgt)
            })
        });
        g.bench_function("naive", |b| {
            b.iter(|| {
                let text = naive_status(black_box(pid));
                ["SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:"]
                    .map(|k| u64::from_str_radix(naive_field(&text, k), 16).unwrap())
            })
        });
        g.finish();

        let mut g = c.benchmark_group("pgid");
        g.bench_function("floor", |b| b.iter(|| floor_pgid(black_box(pid))));
        g.bench_function("psx", |b| {
            b.iter(|| psx::proc_getpgid(black_box(pid)).unwrap())
        });
        g.bench_function("procfs", |b| {
            b.iter(|| {
                procfs::process::Process::new(black_box(pid))
                    .unwrap()
                    .stat()
                    .unwrap()
                    .pgrp
            })
        });
        g.finish();

        let mut g = c.benchmark_group("sid");
        g.bench_function("floor", |b| b.iter(|| floor_sid(black_box(pid))));
        g.bench_function("psx", |b| {
            b.iter(|| psx::proc_getsid(black_box(pid)).unwrap())
        });
        g.bench_function("procfs", |b| {
            b.iter(|| {
                procfs::process::Process::new(black_box(pid))
                    .unwrap()
                    .stat()
                    .unwrap()
                    .session
            })
        });
        g.finish();

        let mut g = c.benchmark_group("rlimit_nofile");
        g.bench_function("floor", |b| b.iter(|| floor_prlimit(black_box(pid))));
        g.bench_function("psx", |b| {
            b.iter(|| psx::proc_getrlimit(black_box(pid), Resource::Nofile).unwrap())
        });
        g.bench_function("procfs", |b| {
            b.iter(|| {
                procfs::process::Process::new(black_box(pid))
                    .unwrap()
                    .limits()
                    .unwrap()
                    .max_open_files
            })
        });
        g.finish();
    }

    pub fn all_attributes(c: &mut Criterion) {
        let pid = std::process::id() as i32;
        let path = status_path(pid);
        let mut g = c.benchmark_group("all_oneshot");
        g.bench_function("floor", |b| b.iter(|| floor_all(black_box(pid), &path)));
        g.bench_function("psx", |b| b.iter(|| psx_all(black_box(pid))));
        g.bench_function("procfs", |b| b.iter(|| procfs_all(black_box(pid))));
        g.finish();
    }

    fn every_pid() -> Vec<i32> {
        psx::pids()
            .expect("list processes")
            .into_iter()
            .map(|p| p.as_raw())
            .collect()
    }

    /// The floor of a scan: list `/proc`, then for every process the bare calls psx
    /// makes for the same attributes (one status read, which holds pgid and sid too),
    /// on `threads` threads as `psx::scan` spreads them.
    fn floor_scan(threads: usize) -> usize {
        scan(&floor_pids(), threads, |&p| {
            floor_status(proc_file(&mut [0; 48], p, "status"))
        })
    }

    /// The numeric entries of `/proc`, ascending: how a scan's floor lists processes,
    /// `getdents64` into a zeroed buffer as psx lists them.
    fn floor_pids() -> Vec<i32> {
        let mut buf = vec![0u64; 4096];
        let mut pids = Vec::new();
        // SAFETY: a NUL-terminated path; `buf` is writable for its size in bytes, and
        // every byte of it was initialised when it was made.
        unsafe {
            let fd = libc::open(c"/proc".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            loop {
                let n = libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), 32768);
                if n <= 0 {
                    break;
                }
                let mut rest = std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n as usize);
                // `struct linux_dirent64`: `d_reclen` at 16, the name at 19.
                while rest.len() > 19 {
                    let reclen = usize::from(u16::from_ne_bytes([rest[16], rest[17]]));
                    let name = &rest[19..reclen];
                    let name = &name[..name.iter().position(|&b| b == 0).unwrap()];
                    if let Some(pid) = std::str::from_utf8(name).ok().and_then(|n| n.parse().ok()) {
                        pids.push(pid);
                    }
                    rest = &rest[reclen..];
                }
            }
            libc::close(fd);
        }
        pids.sort_unstable();
        pids
    }

    /// What a scan reads besides the limits: name, umask, groups, masks, pgid, sid.
    const SCAN_ATTRS: &[psx::Attr] = &[
        psx::Attr::Comm,
        psx::Attr::Umask,
        psx::Attr::Groups,
        psx::Attr::Sigmasks,
        psx::Attr::Pgid,
        psx::Attr::Sid,
    ];

    /// The procfs crate reading the same fields of every process.
    fn procfs_scan() -> usize {
        procfs_each(|p| procfs_read(p, false))
    }

    /// `read` of every process procfs lists, summed.
    fn procfs_each(read: impl Fn(&procfs::process::Process) -> usize) -> usize {
        procfs::process::all_processes()
            .unwrap()
            .filter_map(|p| p.ok())
            .map(|p| read(&p))
            .sum()
    }

    /// procfs reading the same fields from the status file alone, pgid and sid from its
    /// `NSpgid:`/`NSsid:` lines as psx takes them (one file per process, not two).
    fn procfs_scan_status_only() -> usize {
        procfs_each(|p| {
            p.status().map_or(0, |s| {
                let first = |ids: Option<Vec<i32>>| ids.and_then(|v| v.first().copied());
                s.name.len()
                    + s.umask.unwrap_or(0) as usize
                    + s.groups.len()
                    + s.sigcgt as usize
                    + (first(s.nspgid).unwrap_or(0) + first(s.nssid).unwrap_or(0)) as usize
            })
        })
    }

    /// `psx::scan` of every process against the floor on the same number of threads,
    /// and against procfs.
    pub fn whole_scan(c: &mut Criterion) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut g = c.benchmark_group("scan");
        g.bench_function("floor", |b| b.iter(|| floor_scan(cores)));
        g.bench_function("psx", |b| b.iter(|| psx::scan(SCAN_ATTRS).unwrap().len()));
        g.bench_function("procfs", |b| b.iter(procfs_scan));
        g.bench_function("procfs_status_only", |b| b.iter(procfs_scan_status_only));
        g.finish();
    }

    /// `psx ps --signals` against procps `ps` asked for the same columns, as whole
    /// commands; skipped when either binary is missing.
    pub fn ps_command(c: &mut Criterion) {
        let Some(psx_bin) = option_env!("CARGO_BIN_EXE_psx") else {
            eprintln!("ps_command: skipped (build with --features cli)");
            return;
        };
        let run = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
                .map(|s| s.success())
        };
        let ps_args = ["-eo", "pid,pgid,sid,pending,blocked,ignored,caught,comm"];
        if !matches!(run("ps", &ps_args), Ok(true)) {
            eprintln!("ps_command: skipped (no procps ps)");
            return;
        }
        let mut g = c.benchmark_group("ps_command");
        g.bench_function("psx", |b| b.iter(|| run(psx_bin, &["ps", "--signals"])));
        g.bench_function("procps", |b| b.iter(|| run("ps", &ps_args)));
        g.finish();
    }

    /// Runs `work` over `items` on `threads` threads, the calling thread one of them,
    /// each taking the next item no thread has taken, as `psx::scan` shares them out.
    fn scan<T: Sync>(items: &[T], threads: usize, work: impl Fn(&T) -> usize + Sync) -> usize {
        if threads == 1 {
            return items.iter().map(&work).sum();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let share = || {
            let claim = || items.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            std::iter::from_fn(claim).map(&work).sum::<usize>()
        };
        std::thread::scope(|s| {
            let handles: Vec<_> = (1..threads).map(|_| s.spawn(share)).collect();
            let own = share();
            own + handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .sum::<usize>()
        })
    }

    thread_local! {
        /// A `getdents64` buffer per thread, zeroed once, as psx keeps one.
        static DIRENT_BUF: std::cell::Cell<Option<Box<[u64; 512]>>> =
            const { std::cell::Cell::new(None) };
    }

    /// Whether an `fd` directory's size is its descriptor count (Linux 6.2+), asked once
    /// of our own, open, as psx asks it.
    fn size_counts() -> bool {
        static COUNTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *COUNTS.get_or_init(|| {
            std::fs::File::open("/proc/self/fd")
                .and_then(|dir| dir.metadata())
                .is_ok_and(|meta| meta.len() > 0)
        })
    }

    /// The size `stat` gives `path`: the descriptor count of an `fd` directory (Linux
    /// 6.2+).
    fn floor_size(path: &CStr) -> Option<usize> {
        // SAFETY: all-zero is a valid `stat` for the kernel to fill.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a NUL-terminated path and a writable out pointer.
        let ret = unsafe { libc::stat(path.as_ptr(), &mut st) };
        (ret == 0).then_some(st.st_size as usize)
    }

    /// The descriptors of a process, counted with the calls psx makes: for a process
    /// without an address space (`no_mm`, seen in its status), the `fd` directory's
    /// size first, where it counts, and nothing more if it is 0; else the listing, and
    /// the size where the listing is refused.
    fn floor_fd_count(path: &CStr, no_mm: bool) -> usize {
        let mut size = None;
        if no_mm && size_counts() {
            size = floor_size(path);
            if size == Some(0) {
                return 0;
            }
        }
        let mut buf = DIRENT_BUF.take().unwrap_or_else(|| Box::new([0; 512]));
        let mut count = 0;
        // SAFETY: a NUL-terminated path; `buf` is writable for its size in bytes, and
        // every byte of it was initialised when it was made.
        unsafe {
            let fd = libc::open(
                path.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            );
            if fd < 0 {
                let errno = std::io::Error::last_os_error().raw_os_error();
                if matches!(errno, Some(libc::EACCES | libc::EPERM)) && size_counts() {
                    count = size.or_else(|| floor_size(path)).unwrap_or(0);
                }
            } else {
                loop {
                    let n = libc::syscall(
                        libc::SYS_getdents64,
                        fd,
                        buf.as_mut_ptr(),
                        std::mem::size_of_val(&*buf),
                    );
                    if n <= 0 {
                        break;
                    }
                    let bytes = std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n as usize);
                    let mut at = 0;
                    while at + 19 < bytes.len() {
                        let reclen = u16::from_ne_bytes([bytes[at + 16], bytes[at + 17]]) as usize;
                        if bytes[at + 19] != b'.' {
                            count += 1;
                        }
                        at += reclen.max(1);
                    }
                }
                libc::close(fd);
            }
        }
        DIRENT_BUF.set(Some(buf));
        count
    }

    /// What a headroom scan reads of one process, bare: status (name, memory, SigQ),
    /// the descriptor count, every limit, and the CPU time, nice value and real-time
    /// priority by pid.
    fn floor_headroom(pid: i32) -> usize {
        let mut no_mm = false;
        let status = floor_status_with(proc_file(&mut [0; 48], pid, "status"), |bytes| {
            no_mm = memchr::memmem::find(bytes, b"\nVmSize:").is_none();
        });
        status
            + floor_fd_count(proc_file(&mut [0; 48], pid, "fd"), no_mm)
            + floor_every_limit(pid)
            + floor_cpu_nice_rtprio(pid)
    }

    /// The process CPU clock (CPUCLOCK_PROF) and `sched_getattr`, bare, as psx reads them.
    fn floor_cpu_nice_rtprio(pid: i32) -> usize {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `sched_attr` is plain integers, for which zero is a valid value.
        let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::sched_attr>() as libc::c_uint;
        // SAFETY: `now` and `attr` are writable (`attr` for `size` bytes); the rest are
        // integers. The clock id is `MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_PROF)`.
        unsafe {
            libc::clock_gettime(!pid << 3, &mut now);
            libc::syscall(libc::SYS_sched_getattr, pid, &mut attr, size, 0);
            // The nice of a real-time or deadline task, which `sched_getattr` leaves out.
            let nice = match attr.sched_policy as i32 {
                libc::SCHED_FIFO | libc::SCHED_RR | libc::SCHED_DEADLINE => {
                    libc::syscall(libc::SYS_getpriority, libc::PRIO_PROCESS, pid)
                }
                _ => libc::c_long::from(20 - attr.sched_nice),
            };
            now.tv_sec as usize + nice as usize + attr.sched_priority as usize
        }
    }

    /// The sixteen `prlimit`s of every Linux resource, bare.
    fn floor_every_limit(pid: i32) -> usize {
        (0..16)
            .map(|resource| {
                let mut old = libc::rlimit64 {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                // SAFETY: `old` is a valid out pointer; no new limit is passed.
                unsafe { libc::prlimit64(pid, resource, std::ptr::null(), &mut old) };
                old.rlim_cur as usize & 1
            })
            .sum()
    }

    /// The floor of a scan of every attribute but the usage: the status read and the
    /// sixteen `prlimit`s of every process.
    fn floor_scan_with_limits(threads: usize) -> usize {
        scan(&floor_pids(), threads, |&p| {
            floor_status(proc_file(&mut [0; 48], p, "status")) + floor_every_limit(p)
        })
    }

    /// procfs reading the same: status, stat and limits of every process.
    fn procfs_scan_with_limits() -> usize {
        procfs_each(|p| procfs_read(p, true))
    }

    /// procfs reading every attribute of every process, each file once: status (name,
    /// umask, groups, masks, memory, SigQ), stat (pgid, sid, CPU, nice, rtprio), limits
    /// and the descriptor count.
    fn procfs_scan_all() -> usize {
        procfs_each(|p| {
            let status = p.status().map_or(0, |s| {
                s.name.len()
                    + s.umask.unwrap_or(0) as usize
                    + s.groups.len()
                    + s.sigcgt as usize
                    + s.vmrss.unwrap_or(0) as usize
                    + s.sigq.0 as usize
            });
            let stat = p.stat().map_or(0, |s| {
                (s.pgrp + s.session) as usize + (s.utime + s.stime) as usize
            });
            let limits = procfs_nofile(p);
            status + stat + limits + p.fd_count().unwrap_or(0)
        })
    }

    /// What `psx limits` reads of every process.
    const HEADROOM_ATTRS: &[psx::Attr] = &[psx::Attr::Comm, psx::Attr::Rlimits, psx::Attr::Usage];

    /// The floor of a headroom scan: list `/proc`, then [`floor_headroom`] of every
    /// process, on `threads` threads.
    fn floor_headroom_scan(threads: usize) -> usize {
        scan(&floor_pids(), threads, |&p| floor_headroom(p))
    }

    /// The procfs crate reading the same of every process.
    fn procfs_headroom() -> usize {
        procfs_each(|p| {
            let status = p.status().map_or(0, |s| {
                s.name.len() + s.vmsize.unwrap_or(0) as usize + s.vmrss.unwrap_or(0) as usize
            });
            let stat = p.stat().map_or(0, |s| (s.utime + s.stime) as usize);
            let fds = p.fd_count().unwrap_or(0);
            let limits = procfs_nofile(p);
            status + stat + fds + limits
        })
    }

    /// A whole-machine headroom scan (`psx limits`' read: name, every limit and every
    /// usage of every process) against the floor on as many threads, and procfs.
    pub fn headroom(c: &mut Criterion) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut g = c.benchmark_group("headroom");
        g.bench_function("floor", |b| b.iter(|| floor_headroom_scan(cores)));
        g.bench_function("psx", |b| {
            b.iter(|| psx::scan(HEADROOM_ATTRS).unwrap().len())
        });
        g.bench_function("procfs", |b| b.iter(procfs_headroom));
        g.finish();
    }

    pub fn full_scan(c: &mut Criterion) {
        let pids = every_pid();
        let paths: Vec<(i32, CString)> = pids.iter().map(|&p| (p, status_path(p))).collect();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut threads = vec![1];
        if cores > 1 {
            threads.push(cores);
        }
        let mut g = c.benchmark_group("full_scan");
        for &t in &threads {
            g.bench_with_input(BenchmarkId::new("floor", t), &t, |b, &t| {
                b.iter(|| scan(&paths, t, |(p, path)| floor_all(*p, path)))
            });
            g.bench_with_input(BenchmarkId::new("psx", t), &t, |b, &t| {
                b.iter(|| scan(&pids, t, |&p| psx_all(p)))
            });
        }
        g.bench_function("procfs", |b| b.iter(|| scan(&pids, 1, |&p| procfs_all(p))));
        g.finish();
        eprintln!("full_scan: {} processes, {cores} cores", pids.len());
    }

    /// Keeps `value` alive in the optimiser's eyes, then drops it.
    fn sink<T>(value: T) {
        black_box(value);
    }

    /// Time per call of `f` over one block of `calls` calls.
    fn block(calls: u32, f: &mut dyn FnMut()) -> std::time::Duration {
        let start = std::time::Instant::now();
        for _ in 0..calls {
            f();
        }
        start.elapsed() / calls
    }

    /// The median time per call of `first` and of `second`, measured in 300 rounds of
    /// one block each, in a random order every round (so neither always follows the
    /// other).
    fn pair(
        calls: u32,
        first: &mut dyn FnMut(),
        second: &mut dyn FnMut(),
    ) -> (std::time::Duration, std::time::Duration) {
        let (mut a, mut b) = (Vec::with_capacity(300), Vec::with_capacity(300));
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..300 {
            // xorshift64: a coin for the order.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if seed & 1 == 0 {
                a.push(block(calls, first));
                b.push(block(calls, second));
            } else {
                b.push(block(calls, second));
                a.push(block(calls, first));
            }
        }
        a.sort_unstable();
        b.sort_unstable();
        (a[a.len() / 2], b[b.len() / 2])
    }

    /// Paired measurement: floor and psx alternate in short blocks (a few ms), then, in a
    /// second pairing, psx and procfs, so a burst of load from another process slows
    /// both of a pair alike; the ratios of the medians are then steady on a busy
    /// machine where separate criterion runs drift apart by ±15%. Prints one markdown
    /// row per case, which `ci/bench-report` checks against the targets.
    pub fn paired() {
        let pid = std::process::id() as i32;
        let path = status_path(pid);
        let pids = every_pid();
        let paths: Vec<(i32, CString)> = pids.iter().map(|&p| (p, status_path(p))).collect();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // What `psx info --all` read before usage existed.
        let all_but_usage: Vec<psx::Attr> = psx::Attr::ALL
            .iter()
            .copied()
            .filter(|&a| a != psx::Attr::Usage)
            .collect();
        type Arm<'a> = Box<dyn FnMut() + 'a>;
        type Case<'a> = (&'a str, u32, Arm<'a>, Arm<'a>, Option<Arm<'a>>);
        let status = |p: &CString| floor_status(black_box(p));
        let cases: Vec<Case> = vec![
            (
                "umask",
                100,
                Box::new(|| sink(black_box(status(&path)))),
                Box::new(|| sink(black_box(psx::proc_get_umask(black_box(pid))))),
                None,
            ),
            (
                "groups",
                100,
                Box::new(|| sink(black_box(status(&path)))),
                Box::new(|| sink(black_box(psx::proc_getgroups(black_box(pid))))),
                None,
            ),
            (
                "sigmasks",
                100,
                Box::new(|| sink(black_box(status(&path)))),
                Box::new(|| sink(black_box(psx::proc_get_sigmask(black_box(pid))))),
                None,
            ),
            (
                "pgid",
                4000,
                Box::new(|| sink(black_box(floor_pgid(black_box(pid))))),
                Box::new(|| sink(black_box(psx::proc_getpgid(black_box(pid))))),
                None,
            ),
            (
                "sid",
                4000,
                Box::new(|| sink(black_box(floor_sid(black_box(pid))))),
                Box::new(|| sink(black_box(psx::proc_getsid(black_box(pid))))),
                None,
            ),
            (
                "rlimit_nofile",
                2000,
                Box::new(|| sink(black_box(floor_prlimit(black_box(pid))))),
                Box::new(|| {
                    sink(black_box(psx::proc_getrlimit(
                        black_box(pid),
                        Resource::Nofile,
                    )))
                }),
                None,
            ),
            (
                "all_oneshot",
                100,
                Box::new(|| sink(black_box(floor_all(black_box(pid), &path)))),
                Box::new(|| sink(black_box(psx_all(black_box(pid))))),
                Some(Box::new(|| sink(black_box(procfs_all(black_box(pid)))))),
            ),
            (
                "full_scan, 1 thread",
                2,
                Box::new(|| sink(black_box(scan(&paths, 1, |(p, path)| floor_all(*p, path))))),
                Box::new(|| sink(black_box(scan(&pids, 1, |&p| psx_all(p))))),
                Some(Box::new(|| {
                    sink(black_box(scan(&pids, 1, |&p| procfs_all(p))))
                })),
            ),
            (
                "psx::scan, every core",
                2,
                Box::new(|| sink(black_box(floor_scan(cores)))),
                Box::new(|| sink(black_box(psx::scan(SCAN_ATTRS)))),
                Some(Box::new(|| sink(black_box(procfs_scan())))),
            ),
            (
                "psx::scan of all but usage, every core",
                1,
                Box::new(|| sink(black_box(floor_scan_with_limits(cores)))),
                Box::new(|| sink(black_box(psx::scan(&all_but_usage)))),
                Some(Box::new(|| sink(black_box(procfs_scan_with_limits())))),
            ),
            (
                "psx::scan(Attr::ALL), every core",
                1,
                Box::new(|| sink(black_box(floor_headroom_scan(cores)))),
                Box::new(|| sink(black_box(psx::scan(psx::Attr::ALL)))),
                Some(Box::new(|| sink(black_box(procfs_scan_all())))),
            ),
            (
                "headroom scan, every core",
                1,
                Box::new(|| sink(black_box(floor_headroom_scan(cores)))),
                Box::new(|| sink(black_box(psx::scan(HEADROOM_ATTRS)))),
                Some(Box::new(|| sink(black_box(procfs_headroom())))),
            ),
        ];
        println!("| case (paired) | floor | psx | psx / floor | procfs | procfs / psx |");
        println!("|---|---|---|---|---|---|");
        // `PSX_BENCH_PAIRED=<text>` (other than 1): only the cases whose name holds it.
        let only = std::env::var("PSX_BENCH_PAIRED").unwrap_or_default();
        for (name, calls, mut floor, mut ours, mut procfs) in cases {
            if only != "1" && !name.contains(only.as_str()) {
                continue;
            }
            // psx against the floor, then (a second pairing, so that procfs's heavy
            // blocks never sit between them) procfs against psx.
            let (fa, fb) = pair(calls, &mut *floor, &mut *ours);
            let procfs = match procfs.as_mut() {
                Some(procfs) => {
                    let (psx_again, procfs_time) = pair(calls, &mut *ours, &mut **procfs);
                    format!(
                        "{procfs_time:.2?} | {:.3}x",
                        procfs_time.as_secs_f64() / psx_again.as_secs_f64()
                    )
                }
                None => "- | -".to_owned(),
            };
            println!(
                "| {name} | {fa:.2?} | {fb:.2?} | {:.3}x | {procfs} |",
                fb.as_secs_f64() / fa.as_secs_f64()
            );
        }
    }
}

#[cfg(target_os = "linux")]
criterion::criterion_group!(
    benches,
    linux::single_attributes,
    linux::all_attributes,
    linux::full_scan,
    linux::whole_scan,
    linux::ps_command,
    linux::headroom
);
#[cfg(target_os = "linux")]
fn main() {
    // `PSX_BENCH_PAIRED=1`: the paired ratios instead of criterion (see `paired`).
    if std::env::var_os("PSX_BENCH_PAIRED").is_some() {
        linux::paired();
        return;
    }
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

#[cfg(not(target_os = "linux"))]
fn main() {}
