"""The headroom scan a user would script with psutil today: for every process its name,
descriptor count, memory, CPU times, nice and every resource limit (psutil's
`num_fds()` plus `rlimit()`), the information `psx limits` reads. Prints the median
time of one whole-machine pass in nanoseconds, for ci/bench-report to compare with
`psx::scan` in the `headroom` benchmark group."""
import statistics
import sys
import time

import psutil

LIMITS = [getattr(psutil, name) for name in dir(psutil) if name.startswith("RLIMIT_")]


def one_pass():
    total = 0
    for proc in psutil.process_iter():
        try:
            with proc.oneshot():
                total += len(proc.name())
                total += proc.num_fds()
                total += proc.memory_info().vms
                total += int(sum(proc.cpu_times()[:2]))
                total += proc.nice()
                for limit in LIMITS:
                    total += proc.rlimit(limit)[0] & 1
        except psutil.Error:
            pass
    return total


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    one_pass()  # warm up: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        one_pass()
        times.append(time.perf_counter_ns() - start)
    print(statistics.median(times))


main()
