"""Run a command and measure it: wall time, and peak memory of every process in its tree.

Two measurements, because each misses something the other sees:
- polling (psutil, every `interval` s) sees every process of the tree by role and their sum at one
  instant, but can miss a short spike between two polls;
- `getrusage(RUSAGE_CHILDREN).ru_maxrss`, read in a small wrapper process that only runs the command,
  is the exact peak of the largest single process of the tree (Linux keeps it for every descendant
  that was waited for), but cannot say which process it was.
The same `getrusage` gives the CPU time of the whole tree, which other work on the machine changes
far less than it changes wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MB = 1 << 20

# The wrapper: runs the command, then reports the exact peak RSS of its largest descendant.
_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1] + ".err", "wb"))
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"returncode": proc.returncode, "seconds": seconds, "maxrss_kb": usage.ru_maxrss,
               "cpu_seconds": usage.ru_utime + usage.ru_stime}, f)
"""


@dataclass
class Measured:
    seconds: float
    cpu_seconds: float  # user + system time of the whole tree, exact (getrusage)
    returncode: int
    stderr: str
    largest_process_mb: float  # exact, from getrusage
    main_mb: float  # the command's own process, polled
    worker_mb: float  # the largest of its descendants, polled
    tree_mb: float  # the whole tree at its largest instant, polled
    per_process_mb: dict[int, float] = field(default_factory=dict)


def run_measured(cmd: list[str], *, cwd: Path | None = None, interval: float = 0.05) -> Measured:
    with tempfile.TemporaryDirectory(prefix="memwatch-") as tmp:
        report = Path(tmp) / "report.json"
        env = dict(os.environ)
        wrapper = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(report), *cmd], cwd=cwd, env=env)
        parent = psutil.Process(wrapper.pid)
        peaks: dict[int, float] = {}
        main_pid: int | None = None
        tree_peak = 0.0
        while wrapper.poll() is None:
            try:
                children = parent.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            total = 0.0
            for child in children:
                try:
                    rss = child.memory_info().rss / MB
                    if main_pid is None and child.ppid() == wrapper.pid:
                        main_pid = child.pid
                except psutil.Error:
                    continue
                total += rss
                peaks[child.pid] = max(peaks.get(child.pid, 0.0), rss)
            tree_peak = max(tree_peak, total)
            time.sleep(interval)
        wrapper.wait()
        figures = json.loads(report.read_text())
        stderr = Path(str(report) + ".err").read_text(errors="replace")
    main = peaks.get(main_pid, 0.0) if main_pid else 0.0
    workers = [mb for pid, mb in peaks.items() if pid != main_pid]
    return Measured(
        seconds=figures["seconds"],
        cpu_seconds=figures["cpu_seconds"],
        returncode=figures["returncode"],
        stderr=stderr,
        largest_process_mb=figures["maxrss_kb"] / 1024,
        main_mb=main,
        worker_mb=max(workers, default=0.0),
        tree_mb=tree_peak,
        per_process_mb=peaks,
    )
