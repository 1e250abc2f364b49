"""``spyglass demo``: a server, a fake provider and five demo deployments, wired together.

Order of events: start ``spyglass serve`` (subprocess, embedded store in ``data_dir``) and
wait until ready; start the fake provider in this process with the demo scenario; print
the URL, login link and API key; start one worker process per deployment, each of which
back-fills history on simulated clocks and then sends live traffic (a deployment whose
optional packages are missing -- the LangGraph app without ``spyglass[demo]`` -- is skipped
with a one-line note). Ctrl-C / SIGTERM (or
``live_seconds`` elapsed) stops the workers (they flush), then the server (it drains),
then the provider. ``demo-state.json`` in the data dir remembers the storyline and how far
history reaches, so a second run continues the story and back-fills only the gap.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spyglass.demo.deployments import DEPLOYMENTS, Deployment, WorkerConfig, missing_modules
from spyglass.demo.processes import spawn, stop_all
from spyglass.demo.scenario import demo_scenario
from spyglass.demo.story import HOUR_S, Story
from spyglass.fakellm import FakeLLMServer
from spyglass.testing.server import wait_until_ready

STATE_FILE = "demo-state.json"
KEY_FILE = "demo-api-key"


@dataclass(slots=True)
class DemoOptions:
    data_dir: Path = Path(".spyglass-demo")
    host: str = "127.0.0.1"
    port: int = 4318
    grpc_port: int = 4317
    hours: float = 24.0
    live_seconds: float = 0.0  # 0 = until Ctrl-C
    scale: float = 1.0  # multiplies the back-fill volume
    seed: int = 42
    provider_port: int = 0
    failures: bool = True  # False: no story injects a failure (a healthy run, for false alarms)


def _say(text: str) -> None:
    print(text, flush=True)


def _api_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = "sg_" + secrets.token_urlsafe(24)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _load_state(data_dir: Path) -> dict[str, Any]:
    try:
        state = json.loads((data_dir / STATE_FILE).read_text())
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(data_dir: Path, story: Story, history_until_s: float) -> None:
    (data_dir / STATE_FILE).write_text(
        json.dumps({"story": story.to_json(), "history_until_s": history_until_s})
    )


def plan_history(
    state: dict[str, Any], now: float, hours: float, failures: bool = True
) -> tuple[Story, float]:
    """The storyline and the start of the back-fill for a run at ``now``, given the saved
    state of earlier runs: a story still inside the window (and with the same ``failures``
    switch) continues, and only the gap since the history those runs completed is back-filled."""
    story = Story.starting_at(now, hours, failures)
    if "story" in state:
        with contextlib.suppress(TypeError, ValueError, KeyError):
            previous = Story.from_json(state["story"])
            if previous.start_s > now - hours * HOUR_S and previous.failures == failures:
                story = previous
    history_from = max(now - hours * HOUR_S, float(state.get("history_until_s", 0) or 0))
    return story, min(history_from, now)


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, stop: threading.Event, timeout_s: float = 60
) -> None:
    outcome = wait_until_ready(url, process, timeout_s, interval_s=0.1, stop=stop)
    if outcome == "ready":
        return
    if outcome == "stopped":
        raise KeyboardInterrupt  # Ctrl-C while the server starts
    if outcome == "exited":
        raise RuntimeError(f"spyglass serve exited with {process.returncode}; see {log}:\n{_tail(log)}")
    raise RuntimeError(f"spyglass serve not ready after {timeout_s:.0f}s; see {log}:\n{_tail(log)}")


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


class Demo:
    """One run of the demo. ``run()`` blocks until stopped and returns an exit code.
    ``request_stop()`` is for other threads, ``stop_from_signal`` for signal handlers."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self._stop = threading.Event()
        self._children: list[subprocess.Popen[bytes]] = []
        self._server: subprocess.Popen[bytes] | None = None
        self._backfill_reports: list[dict[str, Any]] = []
        # (index in DEPLOYMENTS, so seeds do not depend on what is installed; deployment)
        self._deployments: list[tuple[int, Deployment]] = []
        self._skipped: dict[str, list[str]] = {}  # deployment name -> missing modules
        for index, deployment in enumerate(DEPLOYMENTS):
            missing = missing_modules(deployment.app)
            if missing:
                self._skipped[deployment.name] = missing
            else:
                self._deployments.append((index, deployment))

    def request_stop(self) -> None:
        self._stop.set()

    def stop_from_signal(self, *_: object) -> None:
        """A signal handler runs in the main thread, which may be inside ``self._stop.wait()``
        holding the event's lock: ``Event.set`` there would wait for that lock forever (seen:
        a demo that ignored SIGINT and SIGTERM). The set is left to a short-lived thread."""
        threading.Thread(target=self.request_stop, name="demo-stop", daemon=True).start()

    def run(self) -> int:
        opts = self.options
        data_dir = opts.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        logs = data_dir / "logs"
        logs.mkdir(exist_ok=True)
        key = _api_key(data_dir)
        now = time.time()
        state = _load_state(data_dir)
        story, history_from = plan_history(state, now, opts.hours, opts.failures)
        url = f"http://{opts.host}:{opts.port}"
        # Only a completed back-fill moves this forward: a failed or interrupted run must
        # not leave a hole that the next run would believe filled.
        history_until = float(state.get("history_until_s", 0))
        try:
            self._server = self._start_server(key, logs / "server.log")
            _wait_ready(url, self._server, logs / "server.log", self._stop)
            with FakeLLMServer(demo_scenario(story, opts.seed), port=opts.provider_port) as provider:
                self._banner(url, key, provider.url, history_from, now)
                self._start_workers(story, url, key, provider.url, history_from, now, logs)
                backfilled = self._wait_for_backfill(started=time.monotonic())
                self._run_live(url)
                if backfilled:  # history is complete up to now: back-filled, then live
                    history_until = time.time()
        except KeyboardInterrupt:
            pass
        except RuntimeError as exc:
            print(f"spyglass demo: {exc}", file=sys.stderr)
            return 1
        finally:
            self._shutdown()
            _save_state(data_dir, story, history_until)
        _say("Demo stopped; data kept in " + str(data_dir.resolve()))
        return 0

    def _start_server(self, key: str, log: Path) -> subprocess.Popen[bytes]:
        opts = self.options
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
        env["SPYGLASS_API_KEY"] = key
        args = [
            "-m", "spyglass.cli.main", "serve",
            "--host", opts.host, "--port", str(opts.port), "--grpc-port", str(opts.grpc_port),
            "--data-dir", str(opts.data_dir), "--log-level", "warning",
        ]  # fmt: skip
        process = spawn(args, env=env, log_path=log)
        self._children.append(process)
        return process

    def _start_workers(
        self, story: Story, url: str, key: str, provider_url: str, history_from: float, now: float, logs: Path
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
        env["PYTHONUNBUFFERED"] = "1"
        for index, deployment in self._deployments:
            config = WorkerConfig(
                deployment=deployment,
                story_json=story.to_json(),
                server_url=url,
                api_key=key,
                provider_url=provider_url,
                backfill_from_s=history_from,
                backfill_until_s=now,
                rate_scale=self.options.scale,
                live_seconds=self.options.live_seconds,
                seed=self.options.seed * 100 + index,
            )
            log = logs / f"{deployment.app}-{deployment.environment}.log"
            process = spawn(
                ["-m", "spyglass.demo.worker", config.to_json()],
                env=env,
                stdout=subprocess.PIPE,
                log_path=log,
            )
            self._children.append(process)
            threading.Thread(target=self._read_reports, args=(process,), daemon=True).start()

    def _read_reports(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with contextlib.suppress(ValueError):
                report = json.loads(line)
                if report.get("event") == "backfill_done":
                    self._backfill_reports.append(report)

    def _workers(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self._children if p is not self._server]

    def _wait_for_backfill(self, started: float) -> bool:
        """Wait for every worker's back-fill report; True when all completed."""
        _say("Back-filling history through the real SDKs (simulated clocks) ...")
        while len(self._backfill_reports) < len(self._deployments) and not self._stop.is_set():
            if all(p.poll() is not None for p in self._workers()):
                break
            self._stop.wait(0.2)
        for report in sorted(self._backfill_reports, key=lambda r: r["deployment"]):
            dropped = f", {report['spans_dropped']} spans DROPPED" if report["spans_dropped"] else ""
            if report.get("export_failures"):
                dropped += f", {report['export_failures']} export batches FAILED (see logs)"
            _say(
                f"  {report['deployment']:<28} {report['arrivals']:>5} arrivals, {report['spans_exported']:>6} spans{dropped}"
            )
        complete = len(self._backfill_reports) == len(self._deployments) and not self._stop.is_set()
        if complete:
            _say(f"History ready in {time.monotonic() - started:.0f}s.")
        return complete

    def _run_live(self, url: str) -> None:
        opts = self.options
        if self._stop.is_set():
            return
        until = f"for {opts.live_seconds:g}s" if opts.live_seconds > 0 else "until Ctrl-C"
        _say(f"Live traffic flowing {until}.  Open {url}/login?key=... (see above)")
        deadline = time.monotonic() + opts.live_seconds + 10 if opts.live_seconds > 0 else float("inf")
        while not self._stop.wait(0.5):
            workers_done = all(p.poll() is not None for p in self._workers())
            if workers_done or time.monotonic() > deadline:
                return
            if self._server is not None and self._server.poll() is not None:
                raise RuntimeError(f"spyglass serve exited with {self._server.returncode}")

    def _banner(self, url: str, key: str, provider_url: str, history_from: float, now: float) -> None:
        hours = (now - history_from) / HOUR_S
        _say("")
        _say(f"Spyglass demo running: {url}")
        _say(f"  Open the UI:  {url}/login?key={key}")
        _say(f"  API key:      {key}   (admin of the default project)")
        _say(f"  Fake LLM provider: {provider_url}   Data: {self.options.data_dir.resolve()}")
        _say(f"  Replaying {hours:.1f} h of history, then live traffic. Stories: docs/demo.md")
        for name, missing in self._skipped.items():
            _say(
                f"  Skipping {name} (LangGraph app): {', '.join(missing)} not installed;"
                " `make demo` or pip install 'spyglass[demo]' adds it."
            )
        _say("")

    def _shutdown(self) -> None:
        workers = self._workers()
        stop_all(workers, timeout_s=15)  # workers flush their spans to the server first
        if self._server is not None:
            stop_all([self._server], timeout_s=20)  # then the server drains its writer


def run_demo(options: DemoOptions) -> int:
    """Run the demo in the foreground (main thread): Ctrl-C/SIGTERM stop it cleanly."""
    demo = Demo(options)
    previous = {sig: signal.signal(sig, demo.stop_from_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return demo.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
