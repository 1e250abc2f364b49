"""Large OTLP bodies go through the ingest worker processes: the workers do the work, every
acknowledged span survives a SIGKILL of the server, and no worker outlives it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from spyglass.server.ingest_flow import POOL_MIN_BODY_BYTES
from spyglass.testing.procfs import cpu_seconds, wait_for_idle_workers
from spyglass.testing.server import run_server
from tests.server.otlp_helpers import headers, new_span_id, new_trace_id, proto_request, trace_span_counts

pytestmark = pytest.mark.integration

SPANS_PER_BODY = 200


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _large_body(trace: str, span_ids: list[str]) -> bytes:
    body = proto_request([(trace, s, None, "chat") for s in span_ids]).SerializeToString()
    assert len(body) >= POOL_MIN_BODY_BYTES
    return body


def test_large_bodies_use_the_workers_and_acknowledged_spans_survive_sigkill(tmp_path: Path) -> None:
    acknowledged: set[tuple[str, str]] = set()
    lock = threading.Lock()
    stop = threading.Event()
    with run_server(tmp_path / "data", grpc=False, env={"SPYGLASS_INGEST_PROCESSES": "1"}) as server:
        assert server.pid is not None
        url, key = server.url, server.api_key
        # the first large body starts the worker; wait until it has started and is idle
        with httpx.Client(timeout=10) as client:
            first = [new_span_id() for _ in range(SPANS_PER_BODY)]
            t0 = new_trace_id()
            assert client.post(
                f"{url}/v1/traces", content=_large_body(t0, first), headers=headers(key)
            ).is_success
            acknowledged.update((t0, s) for s in first)
        workers = wait_for_idle_workers(server.pid)
        assert workers, "no ingest worker process started"
        cpu_before = sum(map(cpu_seconds, workers))

        def send() -> None:
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    t = new_trace_id()
                    ids = [new_span_id() for _ in range(SPANS_PER_BODY)]
                    try:
                        resp = client.post(
                            f"{url}/v1/traces", content=_large_body(t, ids), headers=headers(key)
                        )
                    except httpx.HTTPError:
                        continue  # the server died under us: not acknowledged
                    if resp.status_code == 200:
                        with lock:
                            acknowledged.update((t, s) for s in ids)

        senders = [threading.Thread(target=send) for _ in range(3)]
        for s in senders:
            s.start()
        deadline = time.monotonic() + 15
        while len(acknowledged) < 4000 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker_cpu = sum(map(cpu_seconds, workers)) - cpu_before
        server.kill()
        stop.set()
        for s in senders:
            s.join(15)
        # ~90 µs of CPU per span: a few thousand spans are tens of clock ticks in the workers
        assert worker_cpu >= 0.1, f"the worker processes did little ingest work ({worker_cpu:.2f} s of CPU)"
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)):
            assert time.monotonic() < deadline, "ingest workers outlived the killed server"
            time.sleep(0.1)

        server.start()
        stored = trace_span_counts(server.url, server.api_key)
        acked_traces = {t for t, _ in acknowledged}
        lost = {t for t in acked_traces if stored.get(t) != SPANS_PER_BODY}
        assert not lost, f"{len(lost)} of {len(acked_traces)} acknowledged traces lost or incomplete"
