"""Acknowledged means durable: stop the server mid-stream (SIGKILL, or SIGTERM), restart it on
the same data dir, and find every span that was answered 200."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from spyglass.testing.server import run_server
from tests.server.otlp_helpers import headers, new_span_id, new_trace_id, proto_request, trace_span_counts

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("how", ["sigkill", "sigterm"])
def test_every_acknowledged_span_survives_the_server_stopping(tmp_path: Path, how: str) -> None:
    acknowledged: set[tuple[str, str]] = set()
    lock = threading.Lock()
    stop = threading.Event()
    with run_server(tmp_path / "data", grpc=False) as server:

        def send() -> None:
            with httpx.Client(timeout=5) as client:
                while not stop.is_set():
                    t = new_trace_id()
                    ids = [(t, new_span_id()) for _ in range(20)]
                    body = proto_request([(tt, s, None, "llm") for tt, s in ids]).SerializeToString()
                    try:
                        resp = client.post(
                            f"{server.url}/v1/traces", content=body, headers=headers(server.api_key)
                        )
                    except httpx.HTTPError:
                        continue  # the server died under us: not acknowledged
                    if resp.status_code == 200:
                        with lock:
                            acknowledged.update(ids)

        senders = [threading.Thread(target=send) for _ in range(4)]
        for s in senders:
            s.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 2000 and time.monotonic() < deadline:
            time.sleep(0.05)
        if how == "sigkill":
            server.kill()
        else:
            assert server.stop() == 0  # graceful: in-flight requests finish, the writer drains
        stop.set()
        for s in senders:
            s.join(10)
        assert len(acknowledged) >= 200, "too few spans acknowledged before the kill to mean anything"

        server.start()
        stored = trace_span_counts(server.url, server.api_key)
        # Each request is one whole trace of 20 spans: acknowledged => listed with all 20.
        acked_traces = {t for t, _ in acknowledged}
        lost = {t for t in acked_traces if stored.get(t) != 20}
        assert not lost, f"{len(lost)} of {len(acked_traces)} acknowledged traces lost or incomplete"
