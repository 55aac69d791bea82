//! `struct kinfo_proc` bytes as FreeBSD's kernel writes them, built at the offsets of
//! `sys/sys/user.h` counted by hand (never the decoder's own constants), for the
//! tests of `decode` and `backend`.

use psx_core::{SigSet, SignalMasks, StartTime};

use crate::decode::{Kinfo, KinfoUsage};

/// The fields psx reads, as a test process has them.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub ngroups: i16,
    pub groups: Vec<u32>,
    pub cr_flags: u32,
    /// siglist, sigmask, sigignore, sigcatch.
    pub masks: [[u32; 4]; 4],
    /// `ki_comm`, at most `COMMLEN` (19) bytes.
    pub comm: String,
    /// `ki_start`: seconds and microseconds (within `i32`, so that i386 holds them).
    pub start: (i32, i32),
    /// `ki_ruid`.
    pub ruid: u32,
    /// `ki_size` (bytes; within `u32`, so that i386 holds it).
    pub vsize: u32,
    /// `ki_rssize`, `ki_dsize`, `ki_ssize`: pages.
    pub pages: [i32; 3],
    /// `ki_runtime`: microseconds.
    pub runtime: u64,
    /// `ki_stat`.
    pub stat: u8,
}

pub fn proc_501() -> Proc {
    Proc {
        pid: 501,
        pgid: 500,
        sid: 400,
        ngroups: 2,
        groups: vec![20, 5],
        cr_flags: 0,
        // SIGUSR1 (30) pending, SIGINT blocked, SIGPIPE ignored, SIGRTMIN (65) caught.
        masks: [
            [1 << 29, 0, 0, 0],
            [1 << 1, 0, 0, 0],
            [1 << 12, 0, 0, 0],
            [0, 0, 1, 0],
        ],
        comm: "sshd".into(),
        start: (1_700_000_000, 250_000),
        ruid: 1001,
        // 96 MiB mapped; 1500 pages resident, 300 of data, 8 of stack; 2.75 s of CPU.
        vsize: 96 << 20,
        pages: [1500, 300, 8],
        runtime: 2_750_000,
        // SSLEEP (sys/sys/proc.h).
        stat: 3,
    }
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

fn put_sigset(buf: &mut [u8], at: usize, words: [u32; 4]) {
    for (i, w) in words.iter().enumerate() {
        put(buf, at + 4 * i, &w.to_ne_bytes());
    }
}

fn put_groups(buf: &mut [u8], at: usize, groups: &[u32]) {
    for (i, g) in groups.iter().enumerate() {
        put(buf, at + 4 * i, &g.to_ne_bytes());
    }
}

/// `strlcpy` into `char ki_comm[20]`: the name and its NUL.
fn put_comm(buf: &mut [u8], at: usize, comm: &str) {
    put(buf, at, comm.as_bytes());
    buf[at + comm.len()] = 0;
}

/// A `struct kinfo_proc` as `sys/sys/user.h` lays it out for amd64 (LP64:
/// 8-byte pointers, `long`, `vm_size_t`, `segsz_t`, `time_t`; `KINFO_PROC_SIZE`
/// 1088), each offset counted from the header's field list. Every other byte is
/// filler that psx must not read.
pub fn amd64_kinfo(p: &Proc) -> Vec<u8> {
    let mut buf = vec![0xEE; 1088];
    // ki_structsize at offset 0.
    put(&mut buf, 0, &1088i32.to_ne_bytes());
    // ki_pid at 72: ki_structsize and ki_layout (8), then 8 pointers (64).
    put(&mut buf, 72, &p.pid.to_ne_bytes());
    // ki_pgid at 80, after ki_ppid at 76.
    put(&mut buf, 80, &p.pgid.to_ne_bytes());
    // ki_sid at 88, after ki_tpgid at 84.
    put(&mut buf, 88, &p.sid.to_ne_bytes());
    // ki_siglist at 104: ki_tsid 92, ki_jobc and ki_spare_short1 96,
    // ki_tdev_freebsd11 100; then ki_sigmask, ki_sigignore, ki_sigcatch, 16 each.
    put_sigset(&mut buf, 104, p.masks[0]);
    put_sigset(&mut buf, 120, p.masks[1]);
    put_sigset(&mut buf, 136, p.masks[2]);
    put_sigset(&mut buf, 152, p.masks[3]);
    // ki_ngroups at 188: ki_uid 168, ki_ruid 172, ki_svuid 176, ki_rgid 180,
    // ki_svgid 184; then ki_spare_short2 190, ki_groups at 192.
    put(&mut buf, 188, &p.ngroups.to_ne_bytes());
    put_groups(&mut buf, 192, &p.groups);
    // ki_ruid at 172 (above).
    put(&mut buf, 172, &p.ruid.to_ne_bytes());
    // ki_size (vm_size_t, 8) at 256, where ki_groups end; ki_rssize 264, ki_swrss 272,
    // ki_tsize 280, ki_dsize 288, ki_ssize 296 (segsz_t, 8 each).
    put(&mut buf, 256, &u64::from(p.vsize).to_ne_bytes());
    put(&mut buf, 264, &i64::from(p.pages[0]).to_ne_bytes());
    put(&mut buf, 288, &i64::from(p.pages[1]).to_ne_bytes());
    put(&mut buf, 296, &i64::from(p.pages[2]).to_ne_bytes());
    // ki_runtime (u_int64_t) at 328 (below).
    put(&mut buf, 328, &p.runtime.to_ne_bytes());
    // ki_stat at 388: ki_traceflag (int) 384 (below).
    buf[388] = p.stat;
    // ki_start at 336: ki_groups end at 256; six 8-byte sizes (ki_size .. ki_ssize)
    // to 304, ki_xstat and ki_acflag to 308, five u_int (ki_pctcpu .. ki_cow) to 328,
    // ki_runtime (u_int64_t) 328. A timeval: tv_sec (time_t) 336, tv_usec (long) 344.
    put(&mut buf, 336, &i64::from(p.start.0).to_ne_bytes());
    put(&mut buf, 344, &i64::from(p.start.1).to_ne_bytes());
    // ki_comm at 447: ki_childtime 352, ki_flag 368, ki_kiflag 376, ki_traceflag 384,
    // six chars (ki_stat .. ki_lastcpu_old) 388, ki_tdname[17] 394, ki_wmesg[9] 411,
    // ki_login[18] 420, ki_lockname[9] 438.
    put_comm(&mut buf, 447, &p.comm);
    // ki_cr_flags at 588: ki_tdev (uint64_t) 560, ki_oncpu 568, ki_lastcpu 572,
    // ki_tracer 576, ki_flag2 580, ki_fibnum 584.
    put(&mut buf, 588, &p.cr_flags.to_ne_bytes());
    buf
}

/// A `struct kinfo_proc` as `sys/sys/user.h` lays it out for i386 (4-byte
/// pointers, `long`, `vm_size_t`, `segsz_t` and `time_t`, `uint64_t` aligned to 4;
/// `KINFO_PROC_SIZE` 768, which the fields below ki_cr_flags add up to), each
/// offset counted from the header's field list.
pub fn i386_kinfo(p: &Proc) -> Vec<u8> {
    let mut buf = vec![0xEE; 768];
    // ki_structsize at offset 0.
    put(&mut buf, 0, &768i32.to_ne_bytes());
    // ki_pid at 40: ki_structsize and ki_layout (8), then 8 pointers (32).
    put(&mut buf, 40, &p.pid.to_ne_bytes());
    // ki_pgid at 48, after ki_ppid at 44.
    put(&mut buf, 48, &p.pgid.to_ne_bytes());
    // ki_sid at 56, after ki_tpgid at 52.
    put(&mut buf, 56, &p.sid.to_ne_bytes());
    // ki_siglist at 72: ki_tsid 60, ki_jobc and ki_spare_short1 64,
    // ki_tdev_freebsd11 68; then ki_sigmask, ki_sigignore, ki_sigcatch, 16 each.
    put_sigset(&mut buf, 72, p.masks[0]);
    put_sigset(&mut buf, 88, p.masks[1]);
    put_sigset(&mut buf, 104, p.masks[2]);
    put_sigset(&mut buf, 120, p.masks[3]);
    // ki_ngroups at 156: ki_uid 136, ki_ruid 140, ki_svuid 144, ki_rgid 148,
    // ki_svgid 152; then ki_spare_short2 158, ki_groups at 160.
    put(&mut buf, 156, &p.ngroups.to_ne_bytes());
    put_groups(&mut buf, 160, &p.groups);
    // ki_ruid at 140 (above).
    put(&mut buf, 140, &p.ruid.to_ne_bytes());
    // ki_size (vm_size_t, 4) at 224, where ki_groups end; ki_rssize 228, ki_swrss 232,
    // ki_tsize 236, ki_dsize 240, ki_ssize 244 (segsz_t, 4 each).
    put(&mut buf, 224, &p.vsize.to_ne_bytes());
    put(&mut buf, 228, &p.pages[0].to_ne_bytes());
    put(&mut buf, 240, &p.pages[1].to_ne_bytes());
    put(&mut buf, 244, &p.pages[2].to_ne_bytes());
    // ki_runtime (u_int64_t, 4-aligned) at 272 (below).
    put(&mut buf, 272, &p.runtime.to_ne_bytes());
    // ki_stat at 308: ki_traceflag (int) 304 (below).
    buf[308] = p.stat;
    // ki_start at 280: ki_groups end at 224; six 4-byte sizes to 248, ki_xstat and
    // ki_acflag to 252, five u_int to 272, ki_runtime 272. A timeval of two 4-byte
    // fields: tv_sec 280, tv_usec 284.
    put(&mut buf, 280, &p.start.0.to_ne_bytes());
    put(&mut buf, 284, &p.start.1.to_ne_bytes());
    // ki_comm at 367: ki_childtime 288, ki_flag 296, ki_kiflag 300, ki_traceflag 304,
    // six chars 308, ki_tdname[17] 314, ki_wmesg[9] 331, ki_login[18] 340,
    // ki_lockname[9] 358.
    put_comm(&mut buf, 367, &p.comm);
    // ki_cr_flags at 508: ki_comm ends at 387; ki_emul[17] 387, ki_loginclass[18] 404,
    // ki_moretdname[4] 422, ki_sparestrings[46] 426, ki_spareints[2] 472,
    // ki_tdev 480, ki_oncpu 488, ki_lastcpu 492, ki_tracer 496, ki_flag2 500,
    // ki_fibnum 504.
    put(&mut buf, 508, &p.cr_flags.to_ne_bytes());
    buf
}

/// This target's layout, as the kernel hands it to psx.
pub fn native_kinfo(p: &Proc) -> Vec<u8> {
    if cfg!(target_arch = "x86") {
        i386_kinfo(p)
    } else {
        amd64_kinfo(p)
    }
}

/// A `kern.boottime` reply in this target's layout: a `struct timeval` of two `long`s
/// (`int`s to a 32-bit process, `sysctl_kern_boottime`).
pub fn native_boottime(t: StartTime) -> Vec<u8> {
    if cfg!(target_arch = "x86") {
        [t.sec as i32, t.usec as i32]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect()
    } else {
        [t.sec, t.usec]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect()
    }
}

/// What the decoder should make of `p`.
pub fn expected(p: &Proc) -> Kinfo {
    let overflow = p.cr_flags & 0x8000_0000 != 0;
    Kinfo {
        pid: p.pid,
        pgid: p.pgid,
        sid: p.sid,
        comm: p.comm.clone(),
        start: StartTime {
            sec: p.start.0.into(),
            usec: p.start.1.into(),
        },
        groups: (!overflow).then(|| p.groups[..p.ngroups as usize].to_vec()),
        sigmasks: SignalMasks {
            pending: Some(SigSet::from_words(&p.masks[0])),
            blocked: Some(SigSet::from_words(&p.masks[1])),
            ignored: Some(SigSet::from_words(&p.masks[2])),
            caught: Some(SigSet::from_words(&p.masks[3])),
            process_pending: None,
        },
        ruid: p.ruid,
        usage: KinfoUsage {
            vsize: p.vsize.into(),
            rss_pages: p.pages[0].into(),
            data_pages: p.pages[1].into(),
            stack_pages: p.pages[2].into(),
            runtime_usec: p.runtime,
            zombie: p.stat == 5,
        },
    }
}

/// One packed `struct kinfo_file` record as `pack_kinfo` (`sys/kern/kern_descrip.c`)
/// writes it: `kf_structsize` (int) at 0, `kf_type` at 4, `kf_fd` at 8 (`sys/sys/user.h`),
/// `size` bytes in all; the rest is filler that must not be read.
pub fn kinfo_file(fd: i32, size: usize) -> Vec<u8> {
    let mut record = vec![0xEE; size];
    put(&mut record, 0, &(size as i32).to_ne_bytes());
    put(&mut record, 4, &1i32.to_ne_bytes());
    put(&mut record, 8, &fd.to_ne_bytes());
    record
}
