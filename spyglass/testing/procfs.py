"""What /proc says about a server process and its ingest workers (tests and benchmarks).

Linux only; every reader returns an empty/zero answer for a process that is gone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (a server's ingest worker processes)."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out.extend(int(c) for c in (task / "children").read_text().split())
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid`` (its threads included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_bytes(pid: int) -> int | None:
    """The peak resident set size (VmHWM) of ``pid``."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def wait_for_idle_workers(pid: int, timeout_s: float = 20.0) -> list[int]:
    """After the first large body started a server's ingest pool: wait until its workers have
    started and stopped using CPU (imports done; the pool is used once they are ready).
    Returns the workers, or ``[]`` if none started in time (a server without a pool)."""
    deadline = time.monotonic() + timeout_s
    while not (workers := [c for c in children(pid) if cpu_seconds(c) > 0]):
        if time.monotonic() > deadline:
            return []
        time.sleep(0.1)
    before = -1.0
    while (now := sum(map(cpu_seconds, workers))) != before and time.monotonic() < deadline:
        before = now
        time.sleep(0.5)
    return workers
