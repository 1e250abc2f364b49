"""Child processes of the demo: started in their own session, stopped for sure.

Children get their own session so a terminal Ctrl-C reaches only the orchestrator, which
then stops them in order (workers flush first, the server drains last). On Linux they
also get ``PR_SET_PDEATHSIG`` so that even a killed orchestrator leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Any:
    try:
        return ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None


# Resolved here, in the parent: the child between fork and exec must not dlopen (another
# thread of ours may have held the loader lock at fork time); it only calls the pointer.
_PRCTL = _load_prctl() if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] | None = None,
    log_path: Path,
) -> subprocess.Popen[bytes]:
    """Start ``python -m ...``-style args in a new session; stderr (and stdout unless
    piped) go to ``log_path``."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it; our copy closes below
    try:
        return subprocess.Popen(
            [sys.executable, *args],
            env=dict(env) if env is not None else None,
            stdout=stdout if stdout is not None else log,
            stderr=log,
            start_new_session=True,
            preexec_fn=_die_with_parent if _PRCTL is not None else None,  # noqa: PLW1509
        )
    finally:
        log.close()


def stop_all(processes: Sequence[subprocess.Popen[bytes]], timeout_s: float) -> None:
    """SIGTERM every live process, wait up to ``timeout_s`` in total, SIGKILL the rest.
    Signals go to each child's process group, so grandchildren stop too."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(5)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
