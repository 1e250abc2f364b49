"""One demo deployment as a process: back-fill history, then live traffic.

Run by the orchestrator as ``python -m spyglass.demo.worker '<WorkerConfig JSON>'``.
Reports progress as JSON lines on stdout (``{"event": "backfill_done", ...}``,
``{"event": "stopped", ...}``); logs go to stderr. Stops on SIGTERM/SIGINT, and when its
parent dies (Linux), after flushing the spans it has.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx2
import openai

import spyglass
from spyglass.demo import clock
from spyglass.demo.apps import InvoiceParser, OpsAgent, SupportBot
from spyglass.demo.deployments import WorkerConfig
from spyglass.demo.scenario import ORDER_ASSISTANT_KEY
from spyglass.demo.story import Story
from spyglass.demo.transport import SimulatedTimeTransport
from spyglass.demo.world import arrivals

CLIENT_TIMEOUT_S = 20.0
BACKFILL_THREADS = 4
LIVE_MAX_IN_FLIGHT = 64  # sessions idle for minutes between turns (user think time)
# The provider keys are fake: the fake provider accepts any key; apps send their own.
OPENAI_KEY = "sk-demo-not-a-real-key"
ANTHROPIC_KEY = "sk-ant-demo-not-a-real-key"
# LangChain's tracer stamps runs with datetime.now(); OpenInference's spans take those times.
LANGCHAIN_CLOCK_MODULES = ("langchain_core.tracers.core", "langchain_core.tracers.langchain")


def build_app(config: WorkerConfig, story: Story) -> Callable[[random.Random], Any]:
    """The deployment's application, as a callable running one arrival."""
    http = httpx2.Client(
        transport=SimulatedTimeTransport(timeout_ms=CLIENT_TIMEOUT_S * 1000), timeout=CLIENT_TIMEOUT_S
    )
    env = config.deployment.environment
    app = config.deployment.app
    if app == "ops-agent":
        claude = anthropic.Anthropic(
            base_url=config.provider_url, api_key=ANTHROPIC_KEY, http_client=http, max_retries=0
        )
        return OpsAgent(claude, story, env).run_task
    if app == "order-assistant":  # optional (spyglass[demo]): imported only here
        from spyglass.demo.apps.order_assistant import OrderAssistant

        for module in LANGCHAIN_CLOCK_MODULES:
            clock.patch_datetime(module)
        return OrderAssistant(config.provider_url, ORDER_ASSISTANT_KEY, http, story).run_request
    gpt = openai.OpenAI(
        base_url=f"{config.provider_url}/v1", api_key=OPENAI_KEY, http_client=http, max_retries=0
    )
    if app == "support-bot":
        return SupportBot(gpt, story, env).run_session
    if app == "invoice-parser":
        return InvoiceParser(gpt, story, env).run_upload
    raise ValueError(f"unknown demo app {app!r}")


class Worker:
    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.story = Story.from_json(config.story_json)
        self.stop = threading.Event()
        self.run_one = build_app(config, self.story)
        self.completed = 0
        self.failed = 0
        self._lock = threading.Lock()

    def _arrival(self, seed: int, at_s: float | None) -> None:
        rng = random.Random(seed)
        try:
            if at_s is None:
                self.run_one(rng)
            else:
                with clock.simulated_time(at_s):
                    self.run_one(rng)
            with self._lock:
                self.completed += 1
        except Exception:  # a bug in one arrival must not stop the demo; show it
            with self._lock:
                self.failed += 1
            traceback.print_exc(file=sys.stderr)

    def backfill(self) -> int:
        """Replay ``[backfill_from_s, backfill_until_s)`` on simulated clocks; returns arrivals run."""
        cfg = self.config
        rng = random.Random(cfg.seed)
        times = arrivals(
            rng, cfg.deployment.per_hour * cfg.rate_scale, cfg.backfill_from_s, cfg.backfill_until_s
        )
        # Shuffled, so the whole time range fills in at once rather than oldest first: the
        # dashboards show the full 24 h shape early; each arrival has its own clock anyway.
        order = list(enumerate(times))
        rng.shuffle(order)
        with ThreadPoolExecutor(BACKFILL_THREADS, thread_name_prefix="backfill") as pool:
            for index, at_s in order:
                if self.stop.is_set():
                    break
                pool.submit(self._arrival, cfg.seed * 1_000_003 + index, at_s)
            if self.stop.is_set():
                pool.shutdown(cancel_futures=True)
        return len(times)

    def live(self) -> None:
        """Poisson arrivals in real time until stopped (or ``live_seconds`` elapsed)."""
        cfg = self.config
        rng = random.Random(cfg.seed + 1)
        slots = threading.BoundedSemaphore(LIVE_MAX_IN_FLIGHT)
        deadline = time.monotonic() + cfg.live_seconds if cfg.live_seconds > 0 else float("inf")
        parent = os.getppid()
        index = 0
        while not self.stop.wait(rng.expovariate(cfg.deployment.live_per_s)):
            if time.monotonic() >= deadline or os.getppid() != parent:
                break
            if not slots.acquire(blocking=False):
                continue  # saturated: shed this arrival rather than queue without bound
            index += 1

            def one(seed: int = cfg.seed * 7_000_003 + index) -> None:
                try:
                    self._arrival(seed, None)
                finally:
                    slots.release()

            # daemon threads: an in-flight call (e.g. a 20 s provider timeout) must not delay exit
            threading.Thread(target=one, daemon=True, name=f"live-{index}").start()
        # Let in-flight requests finish (briefly) so their traces arrive whole.
        until = time.monotonic() + 5
        for _ in range(LIVE_MAX_IN_FLIGHT):
            if not slots.acquire(timeout=max(0.0, until - time.monotonic())):
                break


def _report(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main(argv: list[str]) -> int:
    config = WorkerConfig.from_json(argv[0])
    clock.install()
    dep = config.deployment
    spyglass.init(
        endpoint=config.server_url,
        api_key=config.api_key,
        service_name=dep.app,
        environment=dep.environment,
        release=dep.release,
        max_queue_size=200_000,  # the back-fill produces spans far faster than real time
        export_timeout_s=30.0,  # a server busy ingesting the back-fill answers slowly; wait for it
        schedule_delay_ms=500,
    )
    worker = Worker(config)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop.set())
    started = time.monotonic()
    arrivals_run = worker.backfill()
    spyglass.flush(60)
    stats = spyglass.stats()
    _report(
        "backfill_done",
        deployment=dep.name,
        arrivals=arrivals_run,
        failed=worker.failed,
        seconds=round(time.monotonic() - started, 1),
        spans_exported=stats.exported,
        spans_dropped=stats.dropped,
        export_failures=stats.failed,
    )
    if not worker.stop.is_set():
        worker.live()
    spyglass.shutdown(timeout=5)
    _report("stopped", deployment=dep.name, completed=worker.completed, failed=worker.failed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
