"""Regression cases of issue 22 through a real server: one bad span never costs its
neighbours. Each bad span is sent in one request beside a good span; the good span must be
stored, and so must the bad one (repaired), except an unusable identity, which is rejected
and counted in ``partial_success``. HTTP protobuf and HTTP JSON, some over gRPC.

Two servers: one with ingest worker processes (every body padded past
``POOL_MIN_BODY_BYTES`` so it is prepared in a worker, ``process_pool.prepare_tables``) and
one with ``SPYGLASS_INGEST_PROCESSES=0`` (everything prepared in the server process).
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import httpx
import orjson
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from spyglass.testing.server import RunningServer, run_server
from tests.ingest.otlp_strategies import (
    INT64_MAX,
    NOW_NS,
    UINT64_MAX,
    GenRequest,
    GenSpan,
    good_span,
    nested_value,
    single_request,
    to_json_bytes,
    to_proto,
    to_proto_bytes,
)
from tests.server.test_otlp_properties import (
    REPAIRS,
    check_stored_span,
    http_partial_success,
    pad,
    stored_spans,
    warm_ingest_pool,
)

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


@pytest.fixture(scope="module", params=["workers", "in-thread"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {"SPYGLASS_INGEST_PROCESSES": "0"} if request.param == "in-thread" else None
    with run_server(tmp_path_factory.mktemp(f"bad-values-{request.param}"), env=env) as srv:
        srv.mode = request.param  # type: ignore[attr-defined]
        if request.param == "workers":
            warm_ingest_pool(srv)
        yield srv


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as c:
        yield c


def _log(server: RunningServer) -> str:
    return "\n--- server log (tail) ---\n" + server.log_text()[-3000:]


def _for_mode(server: RunningServer, request: GenRequest) -> GenRequest:
    return pad(request) if getattr(server, "mode", "") == "workers" else request


def _bad(name: str, **changes: Any) -> GenSpan:
    """A fresh valid span with ``changes`` (attributes given as a dict of AnyValue tuples)."""
    span = good_span(name=name)
    attrs = changes.pop("attrs", None)
    if attrs is not None:
        span.attributes = [("gen_ai.request.model", ("string", "gpt-4o-mini")), *attrs.items()]
    for k, v in changes.items():
        setattr(span, k, v)
    return span


def _post(
    server: RunningServer, client: httpx.Client, request: GenRequest, encoding: str, body: bytes | None = None
) -> httpx.Response:
    request = _for_mode(server, request)
    if body is None:
        body = to_json_bytes(request) if encoding == "json" else to_proto_bytes(request)
    ctype = "application/json" if encoding == "json" else "application/x-protobuf"
    return client.post(
        f"{server.url}/v1/traces", content=body, headers={"x-api-key": server.api_key, "content-type": ctype}
    )


def _accepted(server: RunningServer, resp: httpx.Response, encoding: str, rejected: int = 0) -> None:
    assert resp.status_code != 500, f"500: {resp.text[:300]}{_log(server)}"
    assert resp.status_code == 200, f"{resp.status_code}: {resp.text[:300]}{_log(server)}"
    got, message = http_partial_success(resp, encoding)
    assert got == rejected, f"rejected_spans={got}, expected {rejected} ({message!r})"
    if rejected:
        assert message.strip()


def _stored(server: RunningServer, client: httpx.Client, span: GenSpan) -> dict[str, Any]:
    trace_id, span_id = span.key()
    spans = stored_spans(server, client, trace_id, 1)
    by_id = {s["span_id"]: s for s in spans}
    assert span_id in by_id, f"span {trace_id}/{span_id} ({span.name}) not stored{_log(server)}"
    check_stored_span(by_id[span_id], span)
    return by_id[span_id]


def _repaired(stored: dict[str, Any]) -> None:
    repairs = (stored.get("attributes") or {}).get(REPAIRS)
    assert isinstance(repairs, list) and repairs, f"{REPAIRS} missing on a repaired span: {repairs!r}"


# --------------------------------------------------------------------------- the bad spans


def _tokens_sum_past_int64() -> GenSpan:
    return _bad(
        "tokens-2^63-1",
        attrs={
            "gen_ai.usage.input_tokens": ("int", INT64_MAX),
            "gen_ai.usage.output_tokens": ("int", INT64_MAX),
        },
    )


def _check_tokens(stored: dict[str, Any]) -> None:
    assert stored["input_tokens"] is None and stored["output_tokens"] is None, stored
    assert stored["total_tokens"] is None, stored["total_tokens"]
    _repaired(stored)


def _end_time_max() -> GenSpan:
    return _bad("end-2^64-1", end=UINT64_MAX)


def _check_end_time(stored: dict[str, Any]) -> None:
    assert stored["start_time_ns"] == NOW_NS and stored["end_time_ns"] == NOW_NS, stored
    _repaired(stored)


def _non_finite(x: float) -> Callable[[], GenSpan]:
    def make() -> GenSpan:
        return _bad(
            f"non-finite-{x}",
            attrs={
                "gen_ai.usage.input_tokens": ("double", x),
                "gen_ai.usage.output_tokens": ("double", x),
                "llm.token_count.total": ("double", x),
                "llm.cost.prompt": ("double", x),
                "llm.cost.completion": ("double", x),
                "llm.cost.total": ("double", x),
                "spyglass.ttft_ms": ("double", x),
                "gen_ai.response.time_to_first_chunk": ("double", x),
                "plain.double": ("double", x),
            },
        )

    return make


def _check_non_finite(stored: dict[str, Any]) -> None:
    for name in ("input_tokens", "output_tokens", "total_tokens", "ttft_ms"):
        assert stored[name] is None, (name, stored[name])
    for name in ("cost_input_usd", "cost_output_usd", "cost_total_usd"):
        assert stored[name] is None or math.isfinite(stored[name]), (name, stored[name])
    assert "plain.double" in stored["attributes"]  # non-finite doubles stay as attributes


def _negative_and_huge() -> GenSpan:
    return _bad(
        "negative-and-huge",
        attrs={
            "gen_ai.usage.input_tokens": ("int", -5),
            "gen_ai.usage.output_tokens": ("int", 10**12 + 1),
            "llm.cost.total": ("double", -1.0),
            "spyglass.ttft_ms": ("double", -3.0),
        },
        start=NOW_NS,
        end=NOW_NS - 10**9,  # end before start
    )


def _check_negative_and_huge(stored: dict[str, Any]) -> None:
    assert stored["input_tokens"] is None and stored["output_tokens"] is None, stored
    assert stored["cost_total_usd"] is None and stored["ttft_ms"] is None, stored
    assert stored["end_time_ns"] == stored["start_time_ns"] == NOW_NS
    _repaired(stored)


def _huge_attribute() -> GenSpan:
    return _bad("1MB-attribute", attrs={"big": ("string", "x" * (MIB + 50_000))})


def _check_huge_attribute(stored: dict[str, Any]) -> None:
    value = stored["attributes"]["big"]
    assert isinstance(value, str) and value.startswith("x" * 1000)
    assert MIB <= len(value) <= MIB + 100, len(value)  # cut at 1 MiB plus a short marker


def _depth(v: Any) -> int:
    d = 0
    while isinstance(v, list | dict) and v:
        v = v[0] if isinstance(v, list) else next(iter(v.values()))
        d += 1
    return d


def _deep_proto() -> GenSpan:
    # 40 levels: past the 32-level cap, within protobuf's parse depth limit
    return _bad("nested-40", attrs={"deep": nested_value(40)})


def _check_deep(stored: dict[str, Any]) -> None:
    value = stored["attributes"]["deep"]
    assert 30 <= _depth(value) <= 33, _depth(value)


BAD_SPANS: dict[str, tuple[Callable[[], GenSpan], Callable[[dict[str, Any]], None]]] = {
    "tokens 2^63-1 + 2^63-1": (_tokens_sum_past_int64, _check_tokens),
    "end time 2^64-1": (_end_time_max, _check_end_time),
    "NaN numbers": (_non_finite(math.nan), _check_non_finite),
    "+inf numbers": (_non_finite(math.inf), _check_non_finite),
    "negative, over 10^12, end<start": (_negative_and_huge, _check_negative_and_huge),
    "1 MiB+ attribute": (_huge_attribute, _check_huge_attribute),
    "nested 40 levels": (_deep_proto, _check_deep),
}


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
@pytest.mark.parametrize("case", list(BAD_SPANS))
def test_bad_span_is_repaired_and_its_neighbour_stored(
    server: RunningServer, client: httpx.Client, case: str, encoding: str
) -> None:
    make, check = BAD_SPANS[case]
    good, bad = good_span(), make()
    resp = _post(server, client, single_request(bad, good), encoding)
    _accepted(server, resp, encoding)
    _stored(server, client, good)
    check(_stored(server, client, bad))


# --------------------------------------------------------------------------- identity


def _bad_id_spans() -> list[GenSpan]:
    long_trace = _bad("trace-id-17-bytes", trace_id=bytes(range(1, 18)))
    long_span = _bad("span-id-9-bytes", span_id=bytes(range(1, 10)))
    zero_span = _bad("span-id-zeros", span_id=b"\x00" * 8)
    return [long_trace, long_span, zero_span]


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_unusable_ids_are_rejected_counted_and_the_neighbour_stored(
    server: RunningServer, client: httpx.Client, encoding: str
) -> None:
    good = good_span()
    resp = _post(server, client, single_request(*_bad_id_spans(), good), encoding)
    _accepted(server, resp, encoding, rejected=3)
    _stored(server, client, good)


def test_nested_300_levels_in_json(server: RunningServer, client: httpx.Client) -> None:
    """JSON only: protobuf parsers refuse such depth. 300 array levels (~900 JSON levels)."""
    good, bad = good_span(), _bad("nested-300", attrs={"deep": ("string", "@@NESTED@@")})
    request = _for_mode(server, single_request(bad, good))
    deep = b'{"arrayValue":{"values":[' * 300 + b'{"stringValue":"leaf"}' + b"]}}" * 300
    body = to_json_bytes(request).replace(b'{"stringValue":"@@NESTED@@"}', deep)
    assert deep in body
    resp = _post(server, client, request, "json", body=body)
    _accepted(server, resp, "json")
    _stored(server, client, good)
    _check_deep(_stored(server, client, bad))


@pytest.mark.parametrize("bad_kind", ["tokens", "identity"])
@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_bad_span_300th_of_512(
    server: RunningServer, client: httpx.Client, encoding: str, bad_kind: str
) -> None:
    """The OTel SDK's default batch: 512 spans; the bad one must not cost the other 511."""
    spans = [good_span(name=f"batch-{i}") for i in range(512)]
    trace = spans[0].trace_id
    for sp in spans:
        sp.trace_id = trace
    bad = _tokens_sum_past_int64() if bad_kind == "tokens" else _bad("bad-id", span_id=b"\x01" * 9)
    bad.trace_id = trace
    spans[299] = bad
    resp = _post(server, client, single_request(*spans), encoding)
    _accepted(server, resp, encoding, rejected=1 if bad_kind == "identity" else 0)
    expected = sorted(sp.span_id.hex() for sp in spans if sp.valid_identity)
    stored = stored_spans(server, client, trace.hex(), len(expected))
    assert sorted(s["span_id"] for s in stored) == expected, (
        f"{len(stored)} of {len(expected)} stored{_log(server)}"
    )
    if bad_kind == "tokens":
        _check_tokens(next(s for s in stored if s["span_id"] == bad.span_id.hex()))


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_duplicate_ids_in_one_request_are_stored_once(
    server: RunningServer, client: httpx.Client, encoding: str
) -> None:
    good = good_span(name="first")
    twin = good_span(trace_id=good.trace_id, span_id=good.span_id, name="twin")
    other = good_span(trace_id=good.trace_id, name="other")
    resp = _post(server, client, single_request(good, twin, other), encoding)
    assert resp.status_code == 200, (resp.status_code, resp.text, _log(server))
    stored = stored_spans(server, client, good.trace_id.hex(), 2)
    ids = sorted(s["span_id"] for s in stored)
    assert ids == sorted([good.span_id.hex(), other.span_id.hex()]), ids


# --------------------------------------------------------------------------- gRPC


@pytest.fixture(scope="module")
def stub(server: RunningServer) -> Iterator[trace_service_pb2_grpc.TraceServiceStub]:
    with grpc.insecure_channel(
        server.grpc_target, options=[("grpc.max_send_message_length", 64 * MIB)]
    ) as channel:
        yield trace_service_pb2_grpc.TraceServiceStub(channel)


GRPC_CASES = ["tokens 2^63-1 + 2^63-1", "end time 2^64-1", "NaN numbers", "+inf numbers", "1 MiB+ attribute"]


@pytest.mark.parametrize("case", GRPC_CASES)
def test_grpc_bad_span_is_repaired_and_its_neighbour_stored(
    server: RunningServer, client: httpx.Client, stub: trace_service_pb2_grpc.TraceServiceStub, case: str
) -> None:
    make, check = BAD_SPANS[case]
    good, bad = good_span(), make()
    request = _for_mode(server, single_request(bad, good))
    try:
        response = stub.Export(to_proto(request), metadata=[("x-api-key", server.api_key)], timeout=30)
    except grpc.RpcError as exc:
        pytest.fail(f"gRPC {exc.code()}: {exc.details()}{_log(server)}")  # type: ignore[attr-defined]
    assert response.partial_success.rejected_spans == 0, response.partial_success
    _stored(server, client, good)
    check(_stored(server, client, bad))


def test_grpc_unusable_ids_are_counted(
    server: RunningServer, client: httpx.Client, stub: trace_service_pb2_grpc.TraceServiceStub
) -> None:
    good = good_span()
    request = _for_mode(server, single_request(*_bad_id_spans(), good))
    response = stub.Export(to_proto(request), metadata=[("x-api-key", server.api_key)], timeout=30)
    assert response.partial_success.rejected_spans == 3 and response.partial_success.error_message
    _stored(server, client, good)


# --------------------------------------------------------------------------- unreadable bodies


BROKEN_BODIES = {
    "garbage protobuf": ("application/x-protobuf", None, b"\xff\x00garbage" * 10),
    "truncated protobuf": ("application/x-protobuf", None, "truncate"),
    "bad json": ("application/json", None, b'{"resourceSpans": ['),
    "json not an object": ("application/json", None, b"[1, 2, 3]"),
    "json resourceSpans not a list": ("application/json", None, b'{"resourceSpans": 5}'),
    "bad gzip": ("application/x-protobuf", "gzip", b"not gzip at all"),
    "truncated gzip": ("application/json", "gzip", "truncated-gzip"),
}


@pytest.mark.parametrize("case", list(BROKEN_BODIES))
def test_unreadable_body_is_still_400_with_a_message(
    server: RunningServer, client: httpx.Client, case: str
) -> None:
    ctype, cenc, body = BROKEN_BODIES[case]
    if body == "truncate":
        body = to_proto_bytes(single_request(good_span(), good_span()))[:-7]
    elif body == "truncated-gzip":
        body = gzip.compress(to_json_bytes(single_request(good_span())))[:-12]
    assert isinstance(body, bytes)
    headers = {"x-api-key": server.api_key, "content-type": ctype}
    if cenc:
        headers["content-encoding"] = cenc
    resp = client.post(f"{server.url}/v1/traces", content=body, headers=headers)
    assert resp.status_code == 400, (resp.status_code, resp.text, _log(server))
    if ctype == "application/json":
        message = orjson.loads(resp.content)["message"]
    else:
        message = status_pb2.Status.FromString(resp.content).message
    assert message.strip(), resp.content


def test_unsupported_content_type_is_still_415(server: RunningServer, client: httpx.Client) -> None:
    resp = client.post(
        f"{server.url}/v1/traces",
        content=b"x",
        headers={"x-api-key": server.api_key, "content-type": "text/plain"},
    )
    assert resp.status_code == 415 and "text/plain" in resp.text, (resp.status_code, resp.text)
