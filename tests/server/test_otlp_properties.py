"""Property tests through one real server: a readable OTLP request, however hostile its
values, is answered 200 (never 5xx), rejects exactly the spans whose identity is unusable
(counted in ``partial_success`` with a message) and stores every other span exactly once,
with stored values inside the rule's bounds. Same over HTTP protobuf, HTTP JSON and gRPC;
HTTP bodies are sometimes gzipped and sometimes padded past ``POOL_MIN_BODY_BYTES`` so both
the in-thread and the worker-process paths are exercised (issue 22).

Deterministic (``derandomize``, no example database). Shrinking is off to keep a failing run
short (each example is a server round trip); set ``SPYGLASS_HYPOTHESIS_SHRINK=1`` to get a
minimal example, ``SPYGLASS_HYPOTHESIS_EXAMPLES=N`` for a longer run.
"""

from __future__ import annotations

import gzip
import math
import os
import time
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from spyglass.server.ingest_flow import POOL_MIN_BODY_BYTES
from spyglass.testing.procfs import wait_for_idle_workers
from spyglass.testing.server import RunningServer, run_server
from tests.ingest.otlp_strategies import (
    INT64_MAX,
    GenRequest,
    GenSpan,
    JsonStyle,
    good_span,
    json_styles,
    otlp_requests,
    single_request,
    to_json_bytes,
    to_proto,
    to_proto_bytes,
    with_fresh_ids,
)

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("SPYGLASS_HYPOTHESIS_EXAMPLES", "25"))
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
if os.environ.get("SPYGLASS_HYPOTHESIS_SHRINK"):
    _PHASES.append(Phase.shrink)
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=_PHASES,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

REPAIRS = "spyglass.ingest.repairs"
TOKEN_FIELDS = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
    "total_tokens",
)  # fmt: skip
# Reported counts are capped at 10^12; input/output may grow by cache/reasoning parts (enrich).
MAX_TOKENS_STORED = 3 * 10**12
COST_FIELDS = ("cost_input_usd", "cost_output_usd", "cost_total_usd")
MAX_COST_USD = 1e9
PADDING_KEY = "spyglass.test.padding"


# --------------------------------------------------------------------------- server helpers


def warm_ingest_pool(server: RunningServer, timeout_s: float = 30.0) -> None:
    """Start the server's ingest workers (first large body) and wait until they are idle,
    so later large bodies really go to the workers (the pool is used once it is ready)."""
    assert server.pid is not None
    span = good_span(name="warm-up")
    req = pad(single_request(span))
    resp = httpx.post(
        f"{server.url}/v1/traces",
        content=to_proto_bytes(req),
        headers={"x-api-key": server.api_key, "content-type": "application/x-protobuf"},
        timeout=30,
    )
    assert resp.status_code == 200, (resp.status_code, resp.text, server.log_text())
    wait_for_idle_workers(server.pid, timeout_s)  # none on a server without a pool


def pad(request: GenRequest, size: int = POOL_MIN_BODY_BYTES + 4096) -> GenRequest:
    """The same request with a large resource attribute, so its body takes the worker path."""
    first = request.resources[0]
    first.attributes = [*first.attributes, (PADDING_KEY, ("string", "p" * size))]
    return request


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(tmp_path_factory.mktemp("otlp-props")) as srv:
        warm_ingest_pool(srv)
        yield srv


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20) as c:
        yield c


def _log_tail(server: RunningServer, chars: int = 4000) -> str:
    return "\n--- server log (tail) ---\n" + server.log_text()[-chars:]


def _describe(request: GenRequest) -> str:
    lines = []
    for sp in request.spans:
        keys = ", ".join(f"{k}={v!r:.60}" for k, v in sp.attributes)
        lines.append(
            f"  span {sp.trace_id.hex()}/{sp.span_id.hex()} valid={sp.valid_identity} "
            f"start={sp.start} end={sp.end} attrs: {keys}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- senders


def post_http(
    server: RunningServer, client: httpx.Client, body: bytes, content_type: str, gzipped: bool
) -> httpx.Response:
    headers = {"x-api-key": server.api_key, "content-type": content_type}
    if gzipped:
        body = gzip.compress(body, compresslevel=1)
        headers["content-encoding"] = "gzip"
    return client.post(f"{server.url}/v1/traces", content=body, headers=headers)


def http_partial_success(resp: httpx.Response, encoding: str) -> tuple[int, str]:
    """(rejected_spans, error_message) of a 200 answer in the request's encoding."""
    if encoding == "json":
        partial = resp.json().get("partialSuccess") or {}
        return int(partial.get("rejectedSpans") or 0), str(partial.get("errorMessage") or "")
    parsed = ExportTraceServiceResponse.FromString(resp.content)
    return parsed.partial_success.rejected_spans, parsed.partial_success.error_message


def assert_http_answer(
    server: RunningServer, request: GenRequest, resp: httpx.Response, encoding: str
) -> None:
    status = resp.status_code
    context = f"{_describe(request)}{_log_tail(server)}"
    assert status != 500, f"500 for a readable request: {resp.text[:500]}\n{context}"
    assert status < 500, f"{status} (server fault) for a readable request: {resp.text[:500]}\n{context}"
    assert status == 200, f"{status} for a readable request: {resp.text[:500]}\n{context}"
    rejected, message = http_partial_success(resp, encoding)
    assert_rejections(request, rejected, message, server)


def assert_rejections(request: GenRequest, rejected: int, message: str, server: RunningServer) -> None:
    assert rejected == request.invalid_count, (
        f"rejected_spans={rejected} but {request.invalid_count} span(s) have an unusable identity "
        f"(message: {message!r})\n{_describe(request)}{_log_tail(server)}"
    )
    if rejected:
        assert message.strip(), "spans were rejected without an error_message"


# --------------------------------------------------------------------------- read-back


def get_trace(server: RunningServer, client: httpx.Client, trace_id: str) -> httpx.Response:
    return client.get(f"{server.url}/api/v1/traces/{trace_id}", headers={"x-api-key": server.api_key})


def stored_spans(
    server: RunningServer, client: httpx.Client, trace_id: str, expected: int, timeout_s: float = 5.0
) -> list[dict[str, Any]]:
    """The stored spans of ``trace_id`` (waits briefly until ``expected`` are there; a 200
    means committed, the wait only keeps a slow machine from failing the test)."""
    deadline = time.monotonic() + timeout_s
    while True:
        resp = get_trace(server, client, trace_id)
        assert resp.status_code in (200, 404), (resp.status_code, resp.text, _log_tail(server))
        spans = list(resp.json()["spans"]) if resp.status_code == 200 else []
        if len(spans) >= expected or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


def check_stored_span(stored: dict[str, Any], sent: GenSpan | None) -> None:
    """The rule's bounds on one stored span (see spyglass/ingest/bounds.py)."""
    where = f"stored span {stored.get('trace_id')}/{stored.get('span_id')}"
    start, end = stored["start_time_ns"], stored["end_time_ns"]
    assert 0 < start <= end <= INT64_MAX, f"{where}: times not repaired: start={start} end={end}"
    assert stored["duration_ms"] is None or stored["duration_ms"] >= 0, where
    for name in TOKEN_FIELDS:
        v = stored.get(name)
        assert v is None or (type(v) is int and 0 <= v <= MAX_TOKENS_STORED), f"{where}: {name}={v!r}"
    for name in COST_FIELDS:
        v = stored.get(name)
        assert v is None or (math.isfinite(v) and 0 <= v <= MAX_COST_USD), f"{where}: {name}={v!r}"
    ttft = stored.get("ttft_ms")
    assert ttft is None or (math.isfinite(ttft) and ttft >= 0), f"{where}: ttft_ms={ttft!r}"
    for ev in stored.get("events") or []:
        t = ev.get("time_ns") if isinstance(ev, dict) else None
        assert t is None or 0 <= t <= INT64_MAX, f"{where}: event time {t!r}"
    if sent is None:
        return
    attrs = stored.get("attributes") or {}
    missing = {k for k, _ in sent.attributes} - set(attrs)
    assert not missing, f"{where}: attributes lost: {sorted(missing)!r}"
    s, e = sent.start, sent.end
    if s == 0 or s > INT64_MAX or e > INT64_MAX or 0 < e < s:
        assert isinstance(attrs.get(REPAIRS), list) and attrs[REPAIRS], (
            f"{where}: times {s}..{e} were repaired but {REPAIRS} does not say so: {attrs.get(REPAIRS)!r}"
        )


def assert_all_stored(server: RunningServer, client: httpx.Client, request: GenRequest) -> None:
    sent = {sp.key(): sp for sp in request.valid_spans}
    for trace_id, span_ids in request.expected_by_trace().items():
        spans = stored_spans(server, client, trace_id, len(span_ids))
        got = sorted(s["span_id"] for s in spans)
        assert got == span_ids, (
            f"trace {trace_id}: stored spans {got} != sent valid spans {span_ids}\n"
            f"{_describe(request)}{_log_tail(server)}"
        )
        for s in spans:
            check_stored_span(s, sent.get((trace_id, s["span_id"])))


# --------------------------------------------------------------------------- the properties


@PROPERTY_SETTINGS
@given(request=otlp_requests(), gzipped=st.booleans(), padded=st.booleans())
def test_http_protobuf_never_5xx_and_stores_every_valid_span(
    server: RunningServer, client: httpx.Client, request: GenRequest, gzipped: bool, padded: bool
) -> None:
    request = with_fresh_ids(request)
    if padded:
        request = pad(request)
    resp = post_http(server, client, to_proto_bytes(request), "application/x-protobuf", gzipped)
    assert_http_answer(server, request, resp, "protobuf")
    assert_all_stored(server, client, request)


@PROPERTY_SETTINGS
@given(request=otlp_requests(), style=json_styles(), gzipped=st.booleans(), padded=st.booleans())
def test_http_json_never_5xx_and_stores_every_valid_span(
    server: RunningServer,
    client: httpx.Client,
    request: GenRequest,
    style: JsonStyle,
    gzipped: bool,
    padded: bool,
) -> None:
    request = with_fresh_ids(request)
    if padded:
        request = pad(request)
    resp = post_http(server, client, to_json_bytes(request, style), "application/json", gzipped)
    assert_http_answer(server, request, resp, "json")
    assert_all_stored(server, client, request)


@pytest.fixture(scope="module")
def grpc_stub(server: RunningServer) -> Iterator[trace_service_pb2_grpc.TraceServiceStub]:
    with grpc.insecure_channel(server.grpc_target) as channel:
        yield trace_service_pb2_grpc.TraceServiceStub(channel)


@PROPERTY_SETTINGS
@given(request=otlp_requests(), padded=st.booleans())
def test_grpc_never_fails_a_readable_request_and_stores_every_valid_span(
    server: RunningServer,
    client: httpx.Client,
    grpc_stub: trace_service_pb2_grpc.TraceServiceStub,
    request: GenRequest,
    padded: bool,
) -> None:
    request = with_fresh_ids(request)
    if padded:
        request = pad(request)
    try:
        response = grpc_stub.Export(to_proto(request), metadata=[("x-api-key", server.api_key)], timeout=20)
    except grpc.RpcError as exc:
        code = exc.code()  # type: ignore[attr-defined]
        details = exc.details()  # type: ignore[attr-defined]
        kind = "INTERNAL/UNKNOWN" if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN) else "error"
        pytest.fail(
            f"gRPC {kind} status {code} for a readable request: {details}\n"
            f"{_describe(request)}{_log_tail(server)}"
        )
    partial = response.partial_success
    assert_rejections(request, partial.rejected_spans, partial.error_message, server)
    assert_all_stored(server, client, request)


def test_server_is_still_healthy_after_the_properties(server: RunningServer, client: httpx.Client) -> None:
    """After every hostile body: the server answers and a good span is stored."""
    span = good_span(name="after-properties")
    request = single_request(span)
    resp = post_http(server, client, to_proto_bytes(request), "application/x-protobuf", False)
    assert resp.status_code == 200, (resp.status_code, resp.text, _log_tail(server))
    assert_all_stored(server, client, request)
    assert client.get(f"{server.url}/readyz").status_code == 200
