"""A real ``spyglass serve`` subprocess for tests and benchmarks.

    with run_server(tmp_path / "data") as server:
        httpx.post(f"{server.url}/v1/traces", headers={"x-api-key": server.api_key}, ...)

The server binds 127.0.0.1 on free HTTP and gRPC ports, gets ``api_key`` as
``SPYGLASS_API_KEY`` (admin of the default project) and is ready (``/readyz`` = 200) when
the context is entered. On exit it is stopped (SIGTERM, then SIGKILL after a grace period).
Output goes to ``log_path`` (read ``server.log_text()`` when a test fails).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ReadyOutcome = Literal["ready", "exited", "stopped", "timeout"]


def wait_until_ready(
    url: str,
    process: subprocess.Popen[bytes],
    timeout_s: float,
    *,
    interval_s: float = 0.05,
    stop: threading.Event | None = None,
) -> ReadyOutcome:
    """Poll ``{url}/readyz`` until it answers 200 (``"ready"``), ``process`` exits
    (``"exited"``), ``stop`` is set (``"stopped"``) or ``timeout_s`` passes (``"timeout"``).
    The caller decides what each outcome means (raise, kill, retry)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if stop is not None and stop.is_set():
            return "stopped"
        if process.poll() is not None:
            return "exited"
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{url}/readyz", timeout=1) as resp,
        ):
            if resp.status == 200:
                return "ready"
        time.sleep(interval_s)
    return "timeout"


class ServerStartError(RuntimeError):
    """The server process exited or did not become ready in time (message has its log)."""


@dataclass
class RunningServer:
    data_dir: Path
    api_key: str
    http_port: int
    grpc_port: int
    log_path: Path
    env: dict[str, str]
    extra_args: Sequence[str] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the process and wait until ``/readyz`` answers 200."""
        cmd = [
            sys.executable,
            "-m",
            "spyglass.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.http_port),
            "--grpc-port",
            str(self.grpc_port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "warning",
            *self.extra_args,
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed on exit
        try:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        finally:
            log.close()
        outcome = wait_until_ready(self.url, self.process, timeout_s)
        if outcome == "ready":
            return
        if outcome == "exited":
            raise ServerStartError(
                f"spyglass serve exited with {self.process.returncode}:\n{self.log_text()}"
            )
        self.kill()
        raise ServerStartError(f"spyglass serve not ready after {timeout_s}s:\n{self.log_text()}")

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM (clean shutdown, writer drained), SIGKILL if it takes longer than ``timeout_s``."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL: the crash case (nothing drained, nothing flushed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self, timeout_s: float = 30.0) -> None:
        """Start again on the same ports and data dir (after ``stop()`` or ``kill()``)."""
        self.stop()
        self.start(timeout_s)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""


@contextlib.contextmanager
def run_server(
    data_dir: str | Path,
    api_key: str | None = None,
    *,
    grpc: bool = True,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout_s: float = 30.0,
) -> Iterator[RunningServer]:
    """Run ``spyglass serve`` on free ports for the duration of the block (see module doc).

    ``env`` adds to (and overrides) the current environment; ``grpc=False`` turns gRPC off.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = api_key or "sg_" + secrets.token_urlsafe(24)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
    child_env.update(env or {})
    child_env["SPYGLASS_API_KEY"] = key
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    log_fd, log_name = tempfile.mkstemp(prefix="spyglass-server-", suffix=".log")
    os.close(log_fd)
    server = RunningServer(
        data_dir=data_dir,
        api_key=key,
        http_port=free_port(),
        grpc_port=free_port() if grpc else 0,
        log_path=Path(log_name),
        env=child_env,
        extra_args=tuple(extra_args),
    )
    try:
        server.start(timeout_s)
        yield server
    finally:
        server.stop()
        with contextlib.suppress(OSError):
            os.unlink(log_name)
