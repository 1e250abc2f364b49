"""The SDK pointed at a real ``spyglass serve`` subprocess, and reading back what it stored."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx

import spyglass
from spyglass.testing.server import RunningServer


@contextlib.contextmanager
def sdk_exporting_to(server: RunningServer, release: str) -> Iterator[None]:
    """``spyglass.init`` against ``server`` (fast export), shut down afterwards."""
    spyglass.shutdown()
    spyglass.init(
        endpoint=server.url, api_key=server.api_key, environment="test", release=release, schedule_delay_ms=50
    )
    try:
        yield
    finally:
        spyglass.shutdown()


def fetch_trace(
    server: RunningServer, trace_id: str, min_spans: int = 1, timeout_s: float = 10.0
) -> dict[str, Any]:
    """Flush the SDK, then poll the trace detail until it holds ``min_spans`` spans."""
    spyglass.flush(5)
    deadline = time.monotonic() + timeout_s
    while True:
        resp = httpx.get(
            f"{server.url}/api/v1/traces/{trace_id}", headers={"x-api-key": server.api_key}, timeout=5
        )
        if resp.status_code == 200 and len(resp.json()["spans"]) >= min_spans:
            return resp.json()
        if time.monotonic() > deadline:
            raise AssertionError(
                f"trace {trace_id} not stored: {resp.status_code} {resp.text[:300]}\n{server.log_text()[-2000:]}"
            )
        time.sleep(0.1)
