"""Hypothesis strategies for hostile-but-readable OTLP trace requests, and their encoders.

``otlp_requests()`` draws a ``GenRequest``: several resource/scope groups of spans whose
attributes are random ``AnyValue`` trees (unicode, empty and long strings, ints at the int64
edges, NaN/±inf/-0.0 doubles, bytes, arrays, kvlists, nesting) plus extreme or wrongly typed
values under the keys the conventions read for tokens, cost, TTFT, model and provider; times
at 0 / 2^63-1 / 2^63 / 2^64-1 / end before start; odd ids (0, 7, 9, 15, 17 bytes, all
zeros); events with odd times; links; out-of-range kinds and status codes.

Every request is *readable* (the encoders only write valid protobuf / OTLP/JSON), so the
expectation is exact: the server answers 200, rejects exactly ``GenRequest.invalid_count``
spans (identity unusable) and stores every span of ``GenRequest.valid_spans`` once. Valid
(trace id, span id) pairs are unique within a request. ``with_fresh_ids`` gives a copy whose
valid ids are random, so examples sent to one server never collide.

Encoders: ``to_proto`` / ``to_proto_bytes`` (``opentelemetry.proto``) and ``to_json_bytes``
(OTLP/JSON: hex ids in either case, int64 as strings or numbers, doubles as numbers or the
proto3 JSON strings "NaN"/"Infinity"/"-Infinity", enums as numbers or names), whose choices
come from a ``JsonStyle`` drawn with the request.

AnyValue trees are tagged tuples, so bool/int/double and -0.0 survive both encoders:
``("string", str) | ("int", int64) | ("bigint", int beyond int64: JSON only, a string in
protobuf) | ("double", float) | ("bool", bool) | ("bytes", bytes) | ("array", [AV])
| ("kvlist", [(key, AV)]) | ("empty", None)``.
"""

from __future__ import annotations

import base64
import functools
import math
import random
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

AV = tuple[str, Any]

INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
NOW_NS = 1_763_000_000_000_000_000  # a fixed "now" (Nov 2025) so examples are reproducible

INT_EDGES = [
    0, 1, -1, 7, 2**31 - 1, -(2**31), 2**32, 2**53, 2**53 + 1, 10**12, 10**12 + 1, 2**62,
    INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
]  # fmt: skip
BIGINT_EDGES = [2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**30]
DOUBLE_EDGES = [
    math.nan, math.inf, -math.inf, -0.0, 0.0, 0.5, -1.0, 1e9, 1e9 + 1, 1e12, 9.2e18, 9.3e18, 1.9e19,
    1e308, -1e308, 5e-324, 1.7976931348623157e308,
]  # fmt: skip
NUMERIC_STRINGS = [
    "12", "-5", "0", "1.5", "1e400", "-1e400", "NaN", "nan", "inf", "-Infinity", "9223372036854775807",
    "9223372036854775808", "18446744073709551616", "99999999999999999999999999", "0x10", " 7 ", "",
    "abc", "١٢", "1_000", "1e12", "1e13", "-0", "true", "[1, 2]", '{"a": 1}', "null",
]  # fmt: skip
TIME_EDGES = [0, 1, NOW_NS, INT64_MAX, 2**63, UINT64_MAX, UINT64_MAX - 1, 2**62]

# Keys the three conventions (and ours) read as numbers.
TOKEN_KEYS = [
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens", "gen_ai.usage.total_tokens", "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
    "llm.token_count.prompt", "llm.token_count.completion", "llm.token_count.total",
    "llm.token_count.prompt_details.cache_read", "llm.token_count.prompt_details.cache_write",
    "llm.token_count.completion_details.reasoning", "llm.usage.total_tokens", "llm.usage.reasoning_tokens",
]  # fmt: skip
COST_KEYS = ["llm.cost.prompt", "llm.cost.completion", "llm.cost.total"]
TTFT_KEYS = ["spyglass.ttft_ms", "gen_ai.response.time_to_first_chunk"]
NUMBER_KEYS = [
    *TOKEN_KEYS, *COST_KEYS, *TTFT_KEYS, "gen_ai.request.temperature", "gen_ai.request.max_tokens",
    "gen_ai.request.top_p", "gen_ai.request.seed", "gen_ai.embeddings.dimension.count", "server.port",
]  # fmt: skip
# Keys read as strings (model, provider, context …) or flags: get non-string values.
STRING_KEYS = [
    "gen_ai.request.model", "gen_ai.response.model", "gen_ai.provider.name", "gen_ai.system",
    "gen_ai.operation.name", "gen_ai.response.id", "gen_ai.response.finish_reasons", "llm.model_name",
    "llm.provider", "llm.system", "llm.request.model_name", "llm.request.type", "llm.finish_reason",
    "openinference.span.kind", "traceloop.span.kind", "spyglass.span.kind", "spyglass.session_id",
    "spyglass.user_id", "spyglass.tenant_id", "spyglass.feature", "spyglass.environment",
    "spyglass.release", "spyglass.prompt.name", "spyglass.prompt.version", "spyglass.tool.name",
    "spyglass.tool.status", "spyglass.error.class", "spyglass.tags", "spyglass.metadata.k",
    "spyglass.retrieval.documents", "spyglass.prompt.variables", "spyglass.output.json_schema",
    "spyglass.input", "spyglass.output", "gen_ai.input.messages", "gen_ai.output.messages",
    "gen_ai.system_instructions", "llm.invocation_parameters", "input.value", "output.value",
    "session.id", "user.id", "error.type", "gen_ai.request.stream", "gen_ai.is_streaming",
    "llm.is_streaming", "llm.input_messages.0.message.role", "llm.input_messages.0.message.content",
    "gen_ai.prompt.0.content", "gen_ai.prompt.0.role", "traceloop.association.properties.user_id",
    "metadata", "tag.tags", "service.name",
]  # fmt: skip
EVENT_NAMES = [
    "exception", "gen_ai.user.message", "gen_ai.system.message", "gen_ai.assistant.message",
    "gen_ai.tool.message", "gen_ai.choice", "gen_ai.content.prompt", "gen_ai.content.completion",
    "First Token Stream Event", "gen_ai.content.completion.chunk", "llm.content.completion.chunk",
    "gen_ai.client.inference.operation.details", "",
]  # fmt: skip
EVENT_KEYS = [
    "exception.type", "exception.message", "exception.stacktrace", "gen_ai.prompt", "gen_ai.completion",
    "content", "role", "index", "finish_reason", "message", "gen_ai.input.messages",
]  # fmt: skip
BAD_ID_LENGTHS = {"trace": [0, 7, 9, 15, 17], "span": [0, 7, 9, 15, 17]}


# --------------------------------------------------------------------------- the model


@dataclass
class GenEvent:
    name: str
    time_ns: int
    attributes: list[tuple[str, AV]]


@dataclass
class GenLink:
    trace_id: bytes
    span_id: bytes
    attributes: list[tuple[str, AV]]


@dataclass
class GenSpan:
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    name: str
    kind: int
    start: int
    end: int
    attributes: list[tuple[str, AV]]
    events: list[GenEvent] = field(default_factory=list)
    links: list[GenLink] = field(default_factory=list)
    status_code: int = 0
    status_message: str = ""
    trace_state: str = ""
    flags: int = 0
    dropped_attributes: int = 0

    @property
    def valid_identity(self) -> bool:
        return (
            len(self.trace_id) == 16 and any(self.trace_id) and len(self.span_id) == 8 and any(self.span_id)
        )

    @property
    def times_need_repair(self) -> bool:
        """True when the pipeline must repair the times (missing, beyond int64, end < start)."""
        s, e = self.start, self.end
        return s == 0 or e == 0 or s > INT64_MAX or e > INT64_MAX or e < s

    def key(self) -> tuple[str, str]:
        return self.trace_id.hex(), self.span_id.hex()

    def attribute(self, key: str) -> AV | None:
        """The value the receiver sees for ``key`` (the last one wins, as in a dict)."""
        found = None
        for k, v in self.attributes:
            if k == key:
                found = v
        return found


@dataclass
class GenScope:
    name: str
    version: str
    spans: list[GenSpan]


@dataclass
class GenResource:
    attributes: list[tuple[str, AV]]
    scopes: list[GenScope]


@dataclass
class GenRequest:
    resources: list[GenResource]

    @property
    def spans(self) -> list[GenSpan]:
        return [sp for r in self.resources for s in r.scopes for sp in s.spans]

    @property
    def valid_spans(self) -> list[GenSpan]:
        return [sp for sp in self.spans if sp.valid_identity]

    @property
    def invalid_count(self) -> int:
        return sum(1 for sp in self.spans if not sp.valid_identity)

    def expected_by_trace(self) -> dict[str, list[str]]:
        """trace id (hex) -> sorted span ids (hex) that must be stored."""
        out: dict[str, list[str]] = {}
        for sp in self.valid_spans:
            out.setdefault(sp.trace_id.hex(), []).append(sp.span_id.hex())
        return {t: sorted(s) for t, s in out.items()}


# --------------------------------------------------------------------------- strategies


@functools.cache
def _text(max_size: int = 24) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size)


@functools.cache
def any_values(max_leaves: int = 8) -> st.SearchStrategy[AV]:
    """Random ``AnyValue`` trees (shallow enough for protobuf's parse depth limit)."""
    scalars = st.one_of(
        st.tuples(st.just("string"), st.one_of(_text(), st.sampled_from(NUMERIC_STRINGS))),
        st.tuples(st.just("string"), st.sampled_from(["", "\u0000", "😀" * 50, "é\u200b\ufeff", "x" * 3000])),
        st.tuples(st.just("int"), st.one_of(st.integers(INT64_MIN, INT64_MAX), st.sampled_from(INT_EDGES))),
        st.tuples(st.just("bigint"), st.sampled_from(BIGINT_EDGES)),
        st.tuples(st.just("double"), st.one_of(st.floats(), st.sampled_from(DOUBLE_EDGES))),
        st.tuples(st.just("bool"), st.booleans()),
        st.tuples(st.just("bytes"), st.binary(max_size=24)),
        st.just(("empty", None)),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.tuples(st.just("array"), st.lists(children, max_size=4)),
            st.tuples(st.just("kvlist"), st.lists(st.tuples(_text(8), children), max_size=4)),
        ),
        max_leaves=max_leaves,
    )


@functools.cache
def number_values() -> st.SearchStrategy[AV]:
    """What lands in a token/cost/TTFT key: edges, specials and wrong types."""
    return st.one_of(
        st.tuples(st.just("int"), st.sampled_from(INT_EDGES)),
        st.tuples(st.just("int"), st.integers(INT64_MIN, INT64_MAX)),
        st.tuples(st.just("bigint"), st.sampled_from(BIGINT_EDGES)),
        st.tuples(st.just("double"), st.sampled_from(DOUBLE_EDGES)),
        st.tuples(st.just("double"), st.floats()),
        st.tuples(st.just("string"), st.sampled_from(NUMERIC_STRINGS)),
        st.tuples(st.just("bool"), st.booleans()),
        any_values(max_leaves=3),
    )


def nested_value(depth: int, leaf: AV = ("string", "leaf"), kind: str = "array") -> AV:
    """An AnyValue ``depth`` levels deep (arrays, kvlists, or alternating with ``kind="mixed"``)."""
    v = leaf
    for i in range(depth):
        k = kind if kind != "mixed" else ("array", "kvlist")[i % 2]
        v = ("array", [v]) if k == "array" else ("kvlist", [("k", v)])
    return v


@functools.cache
def attribute_lists(max_size: int = 8) -> st.SearchStrategy[list[tuple[str, AV]]]:
    return st.lists(
        st.one_of(
            st.tuples(st.sampled_from(NUMBER_KEYS), number_values()),
            st.tuples(st.sampled_from(STRING_KEYS), any_values(max_leaves=4)),
            st.tuples(_text(16), any_values()),
        ),
        max_size=max_size,
    )


@functools.cache
def _id_bytes(size: int) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=size, max_size=size).filter(any)


@st.composite
def _identity(draw: st.DrawFn, trace_pool: list[bytes]) -> tuple[bytes, bytes]:
    """(trace id, span id): mostly valid (often sharing a trace id), sometimes unusable."""
    if draw(st.integers(0, 4)) == 0:  # unusable identity
        which = draw(st.sampled_from(["trace", "span", "both"]))
        bad_trace = bad_span = False
        if which in ("trace", "both"):
            bad_trace = True
        if which in ("span", "both"):
            bad_span = True

        def bad(kind: str, good_size: int) -> bytes:
            if draw(st.booleans()):
                return b"\x00" * good_size
            n = draw(st.sampled_from(BAD_ID_LENGTHS[kind]))
            return draw(st.binary(min_size=n, max_size=n))

        trace = bad("trace", 16) if bad_trace else draw(_id_bytes(16))
        span = bad("span", 8) if bad_span else draw(_id_bytes(8))
        return trace, span
    if trace_pool and draw(st.booleans()):
        trace = draw(st.sampled_from(trace_pool))
    else:
        trace = draw(_id_bytes(16))
        trace_pool.append(trace)
    return trace, draw(_id_bytes(8))


def _times() -> st.SearchStrategy[tuple[int, int]]:
    normal = st.integers(NOW_NS - 10**12, NOW_NS).flatmap(
        lambda s: st.tuples(st.just(s), st.integers(s, s + 10**11))
    )
    edges = st.tuples(st.sampled_from(TIME_EDGES), st.sampled_from(TIME_EDGES))
    skewed = st.integers(NOW_NS - 10**12, NOW_NS).map(lambda s: (s, s - 1_000_000))  # end < start
    anything = st.tuples(st.integers(0, UINT64_MAX), st.integers(0, UINT64_MAX))
    return st.one_of(normal, normal, edges, skewed, anything)


@st.composite
def _span(draw: st.DrawFn, trace_pool: list[bytes], span_pool: list[bytes]) -> GenSpan:
    trace, span = draw(_identity(trace_pool))
    parent = draw(
        st.one_of(
            st.just(b""),
            st.sampled_from(span_pool) if span_pool else st.just(b""),
            st.binary(min_size=8, max_size=8),
            st.sampled_from([b"\x00" * 8, b"\x01" * 7, b"\x01" * 9]),
        )
    )
    span_pool.append(span)
    start, end = draw(_times())
    events = draw(
        st.lists(
            st.builds(
                GenEvent,
                st.sampled_from(EVENT_NAMES),
                st.one_of(
                    st.sampled_from(TIME_EDGES), st.integers(start // 2, min(UINT64_MAX, start + 10**9))
                ),
                st.lists(st.tuples(st.sampled_from(EVENT_KEYS), any_values(max_leaves=3)), max_size=3),
            ),
            max_size=3,
        )
    )
    links = draw(
        st.lists(
            st.builds(
                GenLink,
                st.binary(max_size=17),
                st.binary(max_size=9),
                st.lists(st.tuples(_text(8), any_values(max_leaves=2)), max_size=2),
            ),
            max_size=2,
        )
    )
    return GenSpan(
        trace_id=trace,
        span_id=span,
        parent_span_id=parent,
        name=draw(st.one_of(_text(), st.just("chat gpt-4o"), st.just("n" * 2000))),
        kind=draw(st.one_of(st.integers(0, 5), st.sampled_from([6, 99, -1, 2**31 - 1, -(2**31)]))),
        start=start,
        end=end,
        attributes=draw(attribute_lists()),
        events=events,
        links=links,
        status_code=draw(st.one_of(st.integers(0, 2), st.sampled_from([3, 42, -1, 2**31 - 1]))),
        status_message=draw(_text()),
        trace_state=draw(st.sampled_from(["", "k=v", "garbage;;=="])),
        flags=draw(st.sampled_from([0, 1, 0x100, 0x300, 2**32 - 1])),
        dropped_attributes=draw(st.sampled_from([0, 1, 2**32 - 1])),
    )


def _dedupe(request: GenRequest) -> GenRequest:
    """Make valid (trace id, span id) pairs unique (the expectations count each once)."""
    seen: set[tuple[bytes, bytes]] = set()
    for sp in request.spans:
        if not sp.valid_identity:
            continue
        while (sp.trace_id, sp.span_id) in seen:
            n = (int.from_bytes(sp.span_id, "big") + 1) % 2**64 or 1
            sp.span_id = n.to_bytes(8, "big")
        seen.add((sp.trace_id, sp.span_id))
    return request


@st.composite
def otlp_requests(draw: st.DrawFn, max_spans: int = 6) -> GenRequest:
    """A readable OTLP trace request with hostile values (see the module doc)."""
    trace_pool: list[bytes] = []
    span_pool: list[bytes] = []
    n_spans = draw(st.integers(1, max_spans))
    resources: list[GenResource] = []
    left = n_spans
    while left > 0:
        scopes = []
        for _ in range(draw(st.integers(1, 2))):
            k = draw(st.integers(0, left)) if left else 0  # an empty scope now and then
            scopes.append(
                GenScope(
                    draw(_text(12)),
                    draw(_text(6)),
                    [draw(_span(trace_pool, span_pool)) for _ in range(k)],
                )
            )
            left -= k
        resource_attrs = draw(
            st.lists(
                st.one_of(
                    st.tuples(st.just("service.name"), any_values(max_leaves=2)),
                    st.tuples(_text(10), any_values(max_leaves=3)),
                ),
                max_size=3,
            )
        )
        resources.append(GenResource(resource_attrs, scopes))
        if len(resources) >= 3 and left > 0:  # the rest goes to the last scope
            resources[-1].scopes[-1].spans.extend(draw(_span(trace_pool, span_pool)) for _ in range(left))
            left = 0
    return _dedupe(GenRequest(resources))


@dataclass(frozen=True)
class JsonStyle:
    """How ``to_json_bytes`` writes the choices proto3 JSON leaves open (per value, seeded)."""

    seed: int = 0
    upper_hex: bool = False


def json_styles() -> st.SearchStrategy[JsonStyle]:
    return st.builds(JsonStyle, st.integers(0, 2**32 - 1), st.booleans())


# --------------------------------------------------------------------------- fresh ids


def with_fresh_ids(request: GenRequest, rng: random.Random | None = None) -> GenRequest:
    """A copy whose valid trace/span ids (and parent links to them) are new random ids."""
    rand = rng.randbytes if rng is not None else secrets.token_bytes

    def nonzero(n: int) -> bytes:
        while True:
            b = rand(n)
            if any(b):
                return b

    traces: dict[bytes, bytes] = {}
    spans: dict[bytes, bytes] = {}
    resources = []
    for r in request.resources:
        scopes = []
        for s in r.scopes:
            out = []
            for sp in s.spans:
                if sp.valid_identity:
                    t = traces.setdefault(sp.trace_id, nonzero(16))
                    new_span = nonzero(8)
                    spans.setdefault(sp.span_id, new_span)
                    out.append(replace(sp, trace_id=t, span_id=new_span))
                else:
                    out.append(replace(sp))
            scopes.append(replace(s, spans=out))
        resources.append(replace(r, scopes=scopes))
    for r in resources:
        for s in r.scopes:
            for sp in s.spans:
                if sp.parent_span_id in spans:
                    sp.parent_span_id = spans[sp.parent_span_id]
    return GenRequest(resources)


# --------------------------------------------------------------------------- protobuf


def proto_any(v: AV) -> AnyValue:
    tag, x = v
    if tag == "string":
        return AnyValue(string_value=x)
    if tag == "int":
        return AnyValue(int_value=x)
    if tag == "bigint":
        return AnyValue(string_value=str(x))  # int64 on the wire: the nearest protobuf can say
    if tag == "double":
        return AnyValue(double_value=x)
    if tag == "bool":
        return AnyValue(bool_value=x)
    if tag == "bytes":
        return AnyValue(bytes_value=x)
    av = AnyValue()
    if tag == "array":
        av.array_value.SetInParent()
        av.array_value.values.extend(proto_any(c) for c in x)
    elif tag == "kvlist":
        av.kvlist_value.SetInParent()
        av.kvlist_value.values.extend(KeyValue(key=k, value=proto_any(c)) for k, c in x)
    return av  # "empty": no value set


def _proto_kvs(attrs: list[tuple[str, AV]]) -> list[KeyValue]:
    return [KeyValue(key=k, value=proto_any(v)) for k, v in attrs]


def proto_span(sp: GenSpan) -> Span:
    out = Span(
        trace_id=sp.trace_id,
        span_id=sp.span_id,
        parent_span_id=sp.parent_span_id,
        name=sp.name,
        kind=sp.kind,  # type: ignore[arg-type]  # open enum: out-of-range numbers are legal
        start_time_unix_nano=sp.start,
        end_time_unix_nano=sp.end,
        attributes=_proto_kvs(sp.attributes),
        trace_state=sp.trace_state,
        flags=sp.flags,
        dropped_attributes_count=sp.dropped_attributes,
    )
    for ev in sp.events:
        out.events.add(name=ev.name, time_unix_nano=ev.time_ns, attributes=_proto_kvs(ev.attributes))
    for ln in sp.links:
        out.links.add(trace_id=ln.trace_id, span_id=ln.span_id, attributes=_proto_kvs(ln.attributes))
    out.status.code = sp.status_code  # type: ignore[assignment]
    out.status.message = sp.status_message
    return out


def to_proto(request: GenRequest) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for r in request.resources:
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(_proto_kvs(r.attributes))
        for s in r.scopes:
            ss = rs.scope_spans.add()
            ss.scope.name = s.name
            ss.scope.version = s.version
            ss.spans.extend(proto_span(sp) for sp in s.spans)
    return req


def to_proto_bytes(request: GenRequest) -> bytes:
    return to_proto(request).SerializeToString()


# --------------------------------------------------------------------------- OTLP/JSON


class _JsonWriter:
    def __init__(self, style: JsonStyle) -> None:
        self.rng = random.Random(style.seed)
        self.upper = style.upper_hex

    def hexid(self, b: bytes) -> str:
        h = b.hex()
        return h.upper() if self.upper else h

    def int64(self, n: int) -> int | str:
        return str(n) if self.rng.random() < 0.6 else n

    def double(self, x: float) -> float | str:
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        return x if self.rng.random() < 0.8 else repr(x)

    def enum(self, n: int, names: dict[int, str]) -> int | str:
        return names[n] if n in names and self.rng.random() < 0.3 else n

    def any(self, v: AV) -> dict[str, Any]:
        tag, x = v
        if tag == "string":
            return {"stringValue": x}
        if tag in ("int", "bigint"):
            return {"intValue": self.int64(x)}
        if tag == "double":
            return {"doubleValue": self.double(x)}
        if tag == "bool":
            return {"boolValue": x}
        if tag == "bytes":
            return {"bytesValue": base64.b64encode(x).decode()}
        if tag == "array":
            return {"arrayValue": {"values": [self.any(c) for c in x]}}
        if tag == "kvlist":
            return {"kvlistValue": {"values": self.kvs(x)}}
        return {}

    def kvs(self, attrs: list[tuple[str, AV]]) -> list[dict[str, Any]]:
        return [{"key": k, "value": self.any(v)} for k, v in attrs]

    def span(self, sp: GenSpan) -> dict[str, Any]:
        out: dict[str, Any] = {
            "traceId": self.hexid(sp.trace_id),
            "spanId": self.hexid(sp.span_id),
            "name": sp.name,
            "kind": self.enum(sp.kind, _KIND_NAMES),
            "startTimeUnixNano": self.int64(sp.start),
            "endTimeUnixNano": self.int64(sp.end),
            "attributes": self.kvs(sp.attributes),
            "status": {"code": self.enum(sp.status_code, _STATUS_NAMES), "message": sp.status_message},
        }
        if sp.parent_span_id:
            out["parentSpanId"] = self.hexid(sp.parent_span_id)
        if sp.trace_state:
            out["traceState"] = sp.trace_state
        if sp.flags:
            out["flags"] = sp.flags
        if sp.dropped_attributes:
            out["droppedAttributesCount"] = sp.dropped_attributes
        if sp.events:
            out["events"] = [
                {"name": e.name, "timeUnixNano": self.int64(e.time_ns), "attributes": self.kvs(e.attributes)}
                for e in sp.events
            ]
        if sp.links:
            out["links"] = [
                {
                    "traceId": self.hexid(ln.trace_id),
                    "spanId": self.hexid(ln.span_id),
                    "attributes": self.kvs(ln.attributes),
                }
                for ln in sp.links
            ]
        return out


_KIND_NAMES = {
    0: "SPAN_KIND_UNSPECIFIED",
    1: "SPAN_KIND_INTERNAL",
    2: "SPAN_KIND_SERVER",
    3: "SPAN_KIND_CLIENT",
    4: "SPAN_KIND_PRODUCER",
    5: "SPAN_KIND_CONSUMER",
}
_STATUS_NAMES = {0: "STATUS_CODE_UNSET", 1: "STATUS_CODE_OK", 2: "STATUS_CODE_ERROR"}


def to_json_doc(request: GenRequest, style: JsonStyle = JsonStyle()) -> dict[str, Any]:
    w = _JsonWriter(style)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": w.kvs(r.attributes)},
                "scopeSpans": [
                    {"scope": {"name": s.name, "version": s.version}, "spans": [w.span(sp) for sp in s.spans]}
                    for s in r.scopes
                ],
            }
            for r in request.resources
        ]
    }


def to_json_bytes(request: GenRequest, style: JsonStyle = JsonStyle()) -> bytes:
    # ints beyond 64 bits (``bigint`` 10**30) are written as strings by ``int64`` 60% of the
    # time; as JSON numbers orjson refuses them, so those go through the stdlib encoder.
    doc = to_json_doc(request, style)
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        import json

        return json.dumps(doc, allow_nan=False).encode()


# --------------------------------------------------------------------------- a good span


def good_span(trace_id: bytes | None = None, span_id: bytes | None = None, name: str = "good") -> GenSpan:
    """A plain, valid LLM span (fresh ids unless given) to send beside bad ones."""
    return GenSpan(
        trace_id=trace_id or secrets.token_bytes(16),
        span_id=span_id or secrets.token_bytes(8),
        parent_span_id=b"",
        name=name,
        kind=3,
        start=NOW_NS,
        end=NOW_NS + 1_500_000_000,
        attributes=[
            ("gen_ai.operation.name", ("string", "chat")),
            ("gen_ai.provider.name", ("string", "openai")),
            ("gen_ai.request.model", ("string", "gpt-4o-mini")),
            ("gen_ai.usage.input_tokens", ("int", 12)),
            ("gen_ai.usage.output_tokens", ("int", 7)),
        ],
    )


def single_request(*spans: GenSpan, service: str = "props") -> GenRequest:
    return GenRequest(
        [GenResource([("service.name", ("string", service))], [GenScope("tests", "1", list(spans))])]
    )
