"""OTLP trace requests (protobuf or JSON, optionally compressed) -> ``DecodedRequest``.

Contract:

- ``decode_request(body, content_type, content_encoding, max_bytes)`` raises ``IngestError``
  with 415 for an unsupported content type or content encoding, 413 when the body is larger
  than ``max_bytes`` *after* decompression (decompression is incremental and stops at the
  limit, so a zip bomb never expands fully), 400 for a body that cannot be parsed at all.
- Content types are matched case-insensitively, parameters (``; charset=utf-8``) ignored.
  ``application/x-protobuf`` / ``application/protobuf`` and ``application/json`` (or any
  ``+json``) are accepted. A missing content type is sniffed (``{`` -> JSON), and a body
  labelled protobuf that is really JSON (a known exporter bug) is read as JSON.
- Invalid UTF-8 in protobuf ``string`` fields (upb refuses to parse it) does not lose the
  batch: the body is re-parsed with a lenient copy of the schema in which every ``string``
  is ``bytes``, and the bad bytes become U+FFFD; a warning counts the repaired strings.
  JSON bodies with invalid UTF-8 are repaired the same way.
- OTLP/JSON is walked by hand (``json_format`` reads the hex ids as base64): hex ids in any
  case, base64 ids of 24/12 characters from exporters using the plain protobuf JSON mapping,
  enum names or numbers, int64 as strings or numbers, lowerCamelCase or snake_case keys.
- Attribute string/bytes values (also inside arrays and maps) are capped at 1 MiB while
  decoding, with a ``…[truncated N chars]`` marker (``raw.cap_str``), so a huge value never
  costs more than one copy and every later stage sees the capped value.
- Speed: span attributes are parsed as raw ``KeyValue`` bytes and short ones are decoded
  once, then looked up by their bytes (see ``_CachingProtoWalker``).
- A span whose trace/span id is unusable is *not* an error here: it comes back with
  ``RawSpan.problem`` set and ``normalize_request`` rejects just that span.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import math
import re
import zlib
from collections.abc import Callable
from typing import Any

import orjson
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from spyglass.ingest.errors import IngestError
from spyglass.ingest.raw import (
    MAX_ATTRIBUTE_CHARS,
    MAX_VALUE_DEPTH,
    TOO_DEEP,
    DecodedRequest,
    Encoding,
    RawEvent,
    RawResourceSpans,
    RawScopeSpans,
    RawSpan,
    cap_bytes,
    cap_str,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 256 * 1024

_PROTOBUF_TYPES = frozenset(
    {"application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf"}
)
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_HEX16 = re.compile(r"[0-9a-fA-F]{16}")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def decode_request(
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DecodedRequest:
    """Decode one OTLP/HTTP ``/v1/traces`` body; see the module docstring for the rules."""
    encoding = _encoding_for(content_type, body)
    data = _decompress(body, content_encoding, max_bytes)
    if encoding == "json":
        return _decode_json(data)
    try:
        req = _fast_request_class().FromString(data)
    except DecodeError as exc:
        if _looks_like_json(data):
            decoded = _decode_json(data)
            decoded.encoding = "protobuf"  # answer in the content type the client declared
            decoded.warnings.append("body was labelled protobuf but is JSON; read as JSON")
            return decoded
        return _decode_protobuf_leniently(data, exc)
    walker = _CachingProtoWalker()
    groups = walker.request(req)
    return DecodedRequest("protobuf", groups, walker.warnings())


def decode_proto_request(req: ExportTraceServiceRequest) -> DecodedRequest:
    """Convert an already-parsed ``ExportTraceServiceRequest`` (the gRPC server's input)."""
    walker = _ProtoWalker(lenient=False)
    groups = walker.request(req)
    return DecodedRequest("protobuf", groups, walker.warnings())


# --------------------------------------------------------------------------- content type/encoding


def _encoding_for(content_type: str | None, body: bytes) -> Encoding:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not media:
        return "json" if _looks_like_json(body) else "protobuf"
    if media in _PROTOBUF_TYPES:
        return "protobuf"
    if media == "application/json" or media.endswith("+json"):
        return "json"
    raise IngestError(
        415, f"unsupported content type {media!r}: send application/x-protobuf or application/json"
    )


def _looks_like_json(data: bytes) -> bool:
    return data[:64].lstrip()[:1] in (b"{", b"[")


def _decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    # Content-Encoding may list several codings, applied in order; undo them in reverse.
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    data = body
    for coding in reversed(codings):
        if coding in ("identity", "none"):
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, zlib.MAX_WBITS | 16, max_bytes, "gzip")
        elif coding == "deflate":
            # RFC says zlib-wrapped, but some clients send raw deflate: the zlib header tells.
            wrapped = len(data) >= 2 and (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            data = _inflate(data, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS, max_bytes, "deflate")
        else:
            raise IngestError(415, f"unsupported content encoding {coding!r}: use gzip, deflate or identity")
    if len(data) > max_bytes:
        raise IngestError(413, f"request body is {len(data)} bytes, over the {max_bytes}-byte limit")
    return data


def _inflate(data: bytes, wbits: int, max_bytes: int, name: str) -> bytes:
    """Decompress at most ``max_bytes + 1`` bytes, member after member (concatenated gzip)."""
    out = bytearray()
    pending = data
    while pending:
        d = zlib.decompressobj(wbits)
        try:
            chunk = d.decompress(pending, max_bytes + 1 - len(out))
            out += chunk
            while d.unconsumed_tail and len(out) <= max_bytes:
                out += d.decompress(d.unconsumed_tail, max_bytes + 1 - len(out))
            if len(out) > max_bytes:
                raise IngestError(413, f"decompressed body exceeds the {max_bytes}-byte limit")
            if not d.eof:
                out += d.flush()
                raise IngestError(400, f"invalid {name} body: truncated compressed stream")
        except zlib.error as exc:
            raise IngestError(400, f"invalid {name} body: {exc}") from None
        pending = d.unused_data
        if name != "gzip":
            break  # trailing bytes after a deflate stream are ignored
    return bytes(out)


# --------------------------------------------------------------------------- protobuf


@functools.cache
def _lenient_request_class() -> type[Message]:
    """``ExportTraceServiceRequest`` from a private pool where every ``string`` is ``bytes``
    (same wire format, so it parses what upb's UTF-8 check refuses). Built once, on first use."""
    pool = descriptor_pool.DescriptorPool()
    seen: set[str] = set()

    def add(fd: Any) -> None:
        if fd.name in seen:
            return
        for dep in fd.dependencies:
            add(dep)
        seen.add(fd.name)
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        for msg in proto.message_type:
            _strings_to_bytes(msg)
        pool.Add(proto)

    add(ExportTraceServiceRequest.DESCRIPTOR.file)
    desc = pool.FindMessageTypeByName(ExportTraceServiceRequest.DESCRIPTOR.full_name)
    return message_factory.GetMessageClass(desc)


def _strings_to_bytes(msg: descriptor_pb2.DescriptorProto) -> None:
    for f in msg.field:
        if f.type == descriptor_pb2.FieldDescriptorProto.TYPE_STRING:
            f.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
    for nested in msg.nested_type:
        _strings_to_bytes(nested)


def _decode_protobuf_leniently(data: bytes, original: DecodeError) -> DecodedRequest:
    try:
        req = _lenient_request_class().FromString(data)
    except DecodeError:
        raise IngestError(
            400, f"invalid protobuf: {original or 'cannot parse ExportTraceServiceRequest'}"
        ) from None
    walker = _ProtoWalker(lenient=True)
    groups = walker.request(req)
    return DecodedRequest("protobuf", groups, walker.warnings())


class _ProtoWalker:
    """Walks the generated protobuf objects into ``Raw*`` objects. In lenient mode every
    ``string`` field arrives as ``bytes`` (see ``_lenient_request_class``)."""

    def __init__(self, lenient: bool) -> None:
        self.repaired = 0
        self.too_deep = 0  # values cut at MAX_VALUE_DEPTH
        self.text: Callable[[Any], str] = self._repair if lenient else _identity
        self.lenient = lenient

    def warnings(self) -> list[str]:
        out = []
        if self.repaired:
            out.append(f"{self.repaired} string(s) had invalid UTF-8; bad bytes replaced with U+FFFD")
        if self.too_deep:
            out.append(_too_deep_warning(self.too_deep))
        return out

    def _repair(self, value: Any) -> str:
        if type(value) is str:
            return value
        try:
            return str(value.decode("utf-8"))
        except UnicodeDecodeError:
            self.repaired += 1
            return str(value.decode("utf-8", "replace"))

    def request(self, req: Any) -> list[RawResourceSpans]:
        groups: list[RawResourceSpans] = []
        attrs = self.attrs
        for ri, rs in enumerate(req.resource_spans):
            scopes: list[RawScopeSpans] = []
            for si, ss in enumerate(rs.scope_spans):
                scope = ss.scope
                spans = [self.safe_span(sp, ri, si, i) for i, sp in enumerate(ss.spans)]
                scopes.append(
                    RawScopeSpans(self.text(scope.name) or None, self.text(scope.version) or None, spans)
                )
            groups.append(RawResourceSpans(attrs(rs.resource.attributes), scopes))
        return groups

    def safe_span(self, sp: Any, ri: int, si: int, i: int) -> RawSpan:
        """``span``, except that a failure of ours on one span makes only it a rejection."""
        try:
            return self.span(sp, ri, si, i)
        except IngestError:
            raise  # the body itself is corrupt: a full parse would refuse it too
        except Exception as exc:
            return _undecodable(f"resourceSpans[{ri}].scopeSpans[{si}].spans[{i}]", exc)

    def span(self, sp: Any, ri: int, si: int, i: int) -> RawSpan:
        text = self.text
        trace_id = sp.trace_id.hex()
        span_id = sp.span_id.hex()
        parent = sp.parent_span_id.hex() or None
        problem = None
        if len(sp.trace_id) != 16 or trace_id == _ZERO_TRACE:
            problem = f"resourceSpans[{ri}].scopeSpans[{si}].spans[{i}].traceId: expected 16 non-zero bytes, got {trace_id!r} ({len(sp.trace_id)} bytes)"
        elif len(sp.span_id) != 8 or span_id == _ZERO_SPAN:
            problem = f"resourceSpans[{ri}].scopeSpans[{si}].spans[{i}].spanId: expected 8 non-zero bytes, got {span_id!r} ({len(sp.span_id)} bytes)"
        if parent is not None and (len(parent) != 16 or parent == _ZERO_SPAN):
            parent = None  # an unusable parent link makes the span a root; identity is intact
        events = [RawEvent(text(ev.name), ev.time_unix_nano, self.attrs(ev.attributes)) for ev in sp.events]
        status = sp.status
        return RawSpan(
            trace_id,
            span_id,
            parent,
            text(sp.name),
            sp.kind,
            sp.start_time_unix_nano,
            sp.end_time_unix_nano,
            self.span_attrs(sp.attributes),
            events,
            status.code,
            text(status.message) or None,
            problem,
        )

    def span_attrs(self, kvs: Any) -> dict[str, Any]:
        return self.attrs(kvs)

    def attrs(self, kvs: Any) -> dict[str, Any]:
        if self.lenient:
            text = self.text
            return {text(kv.key): self.value(kv.value) for kv in kvs}
        value = self.value
        return {kv.key: value(kv.value) for kv in kvs}

    def value(self, v: Any, depth: int = 0) -> Any:
        # Most attribute values are strings: reading string_value first (a non-empty string
        # can only be the string case) skips WhichOneof for them, ~15% of decode time.
        s = v.string_value
        if s:
            if self.lenient:
                s = self.text(s)
            return s if len(s) <= MAX_ATTRIBUTE_CHARS else cap_str(s)
        which = v.WhichOneof("value")
        if which == "int_value":
            return v.int_value
        if which == "string_value":
            return "" if not self.lenient else self.text(s)
        if which == "bool_value":
            return v.bool_value
        if which == "double_value":
            return v.double_value
        if which == "array_value" or which == "kvlist_value":
            if depth >= MAX_VALUE_DEPTH:
                self.too_deep += 1
                return TOO_DEEP
            if which == "array_value":
                return [self.value(x, depth + 1) for x in v.array_value.values]
            kvs = v.kvlist_value.values
            text = self.text
            return {text(kv.key): self.value(kv.value, depth + 1) for kv in kvs}
        if which == "bytes_value":
            return cap_bytes(bytes(v.bytes_value))
        return None  # unset, or a case we don't know (string_value_strindex is for profiles)


# --- the fast path: span attributes as raw KeyValue bytes, decoded through a cache ----------
#
# Walking upb objects costs ~1 µs per attribute, and most attributes repeat verbatim from span
# to span (model, provider, operation, settings, user, feature …). So the request is parsed
# with a copy of the schema in which ``Span.attributes`` is ``repeated bytes`` (same wire
# format), and each short serialized KeyValue is decoded once and then looked up by its bytes.
# Only immutable values are cached, so spans never share a mutable list or dict.

_KV_CACHE: dict[bytes, tuple[str, Any]] = {}
_KV_CACHE_MAX_ENTRIES = 20_000  # x <=256-byte keys: a few MB at most
_KV_CACHE_MAX_BYTES = 256
_IMMUTABLE = (str, int, float, bool, bytes, type(None))


@functools.cache
def _fast_request_class() -> type[Message]:
    """``ExportTraceServiceRequest`` whose ``Span.attributes`` is ``repeated bytes``."""
    pool = descriptor_pool.DescriptorPool()
    seen: set[str] = set()
    span_type = ".opentelemetry.proto.trace.v1.Span"

    def add(fd: Any) -> None:
        if fd.name in seen:
            return
        for dep in fd.dependencies:
            add(dep)
        seen.add(fd.name)
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        for msg in proto.message_type:
            if f".{proto.package}.{msg.name}" == span_type:
                for f in msg.field:
                    if f.name == "attributes":
                        f.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
                        f.ClearField("type_name")
        pool.Add(proto)

    add(ExportTraceServiceRequest.DESCRIPTOR.file)
    desc = pool.FindMessageTypeByName(ExportTraceServiceRequest.DESCRIPTOR.full_name)
    return message_factory.GetMessageClass(desc)


@functools.cache
def _lenient_key_value_class() -> type[Message]:
    pool = _lenient_request_class().DESCRIPTOR.file.pool
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(KeyValue.DESCRIPTOR.full_name))


class _CachingProtoWalker(_ProtoWalker):
    """Strict walker for requests parsed with ``_fast_request_class``."""

    def __init__(self) -> None:
        super().__init__(lenient=False)

    def span_attrs(self, raw_kvs: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        cache = _KV_CACHE
        for b in raw_kvs:
            hit = cache.get(b) if len(b) <= _KV_CACHE_MAX_BYTES else None
            if hit is None:
                hit = self._key_value(b)
                if len(b) <= _KV_CACHE_MAX_BYTES and isinstance(hit[1], _IMMUTABLE):
                    if len(cache) >= _KV_CACHE_MAX_ENTRIES:
                        cache.clear()
                    cache[b] = hit
            out[hit[0]] = hit[1]
        return out

    def _key_value(self, b: bytes) -> tuple[str, Any]:
        try:
            kv = KeyValue.FromString(b)
        except DecodeError:
            # invalid UTF-8 inside this one attribute: repair it, keep everything else
            try:
                kv = _lenient_key_value_class().FromString(b)
            except DecodeError:  # not a UTF-8 problem: the bytes are corrupt, as a full parse says
                raise IngestError(400, "invalid protobuf: a span attribute (KeyValue) is corrupt") from None
            lenient = _ProtoWalker(lenient=True)
            key, value = lenient.text(kv.key), lenient.value(kv.value)
            self.repaired += lenient.repaired
            self.too_deep += lenient.too_deep
            return key, value
        return kv.key, self.value(kv.value)


def _identity(value: Any) -> str:
    return value


# --------------------------------------------------------------------------- JSON


def _decode_json(data: bytes) -> DecodedRequest:
    warnings: list[str] = []
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        doc = _decode_json_leniently(data, exc, warnings)
    if not isinstance(doc, dict):
        raise IngestError(400, "invalid OTLP/JSON: top level must be an object with resourceSpans")
    groups: list[RawResourceSpans] = []
    cut: list[int] = []  # one entry per attribute subtree cut at MAX_VALUE_DEPTH
    for ri, rs in enumerate(_list(doc, "resourceSpans", "resource_spans", "")):
        path = f"resourceSpans[{ri}]"
        if not isinstance(rs, dict):
            raise IngestError(400, f"invalid OTLP/JSON: {path}: expected an object")
        resource = _get(rs, "resource", "resource")
        rattrs = (
            _json_attrs(_list(resource, "attributes", "attributes", f"{path}.resource"), 0, cut)
            if isinstance(resource, dict)
            else {}
        )
        scopes: list[RawScopeSpans] = []
        for si, ss in enumerate(_list(rs, "scopeSpans", "scope_spans", path)):
            spath = f"{path}.scopeSpans[{si}]"
            if not isinstance(ss, dict):
                raise IngestError(400, f"invalid OTLP/JSON: {spath}: expected an object")
            scope = _get(ss, "scope", "scope")
            name = version = None
            if isinstance(scope, dict):
                name = _str_or_none(scope.get("name"))
                version = _str_or_none(scope.get("version"))
            spans = [
                _safe_json_span(sp, f"{spath}.spans[{i}]", cut)
                for i, sp in enumerate(_list(ss, "spans", "spans", spath))
            ]
            scopes.append(RawScopeSpans(name, version, spans))
        groups.append(RawResourceSpans(rattrs, scopes))
    if cut:
        warnings.append(_too_deep_warning(len(cut)))
    return DecodedRequest("json", groups, warnings)


def _decode_json_leniently(data: bytes, error: orjson.JSONDecodeError, warnings: list[str]) -> Any:
    """The slow path for bodies orjson refuses but whose data is recoverable: invalid UTF-8
    bytes, and lone UTF-16 surrogate escapes (a string truncated inside an emoji by the
    exporter), both replaced with U+FFFD. Anything else is a 400 with orjson's position."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        warnings.append("body had invalid UTF-8; bad bytes replaced with U+FFFD")
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            error = exc
    if "\\u" in text:
        try:
            doc = json.loads(text)  # the stdlib accepts lone surrogates; they are scrubbed below
            doc = _scrub_surrogates(doc)
        except json.JSONDecodeError:
            pass
        except RecursionError:
            raise IngestError(400, "invalid JSON: nested too deeply") from None
        else:
            warnings.append("lone UTF-16 surrogates in strings replaced with U+FFFD")
            return doc
    raise IngestError(400, f"invalid JSON: {error}") from None


def _scrub_surrogates(v: Any) -> Any:
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return v.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return v
    if isinstance(v, list):
        return [_scrub_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {_scrub_surrogates(k): _scrub_surrogates(x) for k, x in v.items()}
    return v


def _get(d: dict[str, Any], camel: str, snake: str) -> Any:
    v = d.get(camel)
    if v is None and snake != camel:
        v = d.get(snake)
    return v


def _list(d: Any, camel: str, snake: str, path: str) -> list[Any]:
    v = _get(d, camel, snake)
    if v is None:
        return []
    if not isinstance(v, list):
        where = f"{path}.{camel}" if path else camel
        raise IngestError(400, f"invalid OTLP/JSON: {where}: expected an array")
    return v


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


class _SpanProblem(Exception):
    pass


def _safe_json_span(sp: Any, path: str, cut: list[int]) -> RawSpan:
    """``_json_span``, except that a failure of ours on one span makes only it a rejection."""
    try:
        return _json_span(sp, path, cut)
    except Exception as exc:
        return _undecodable(path, exc)


def _undecodable(path: str, exc: Exception) -> RawSpan:
    log.warning("cannot decode span %s: %r", path, exc)
    return RawSpan(
        "", "", None, "", 0, 0, 0, {}, problem=f"{path}: internal: cannot decode it ({type(exc).__name__})"
    )


def _too_deep_warning(n: int) -> str:
    return f"{n} attribute value(s) nested deeper than {MAX_VALUE_DEPTH} levels; the deeper part replaced by {TOO_DEEP!r}"


def _json_span(sp: Any, path: str, cut: list[int] | None = None) -> RawSpan:
    if not isinstance(sp, dict):
        return RawSpan("", "", None, "", 0, 0, 0, {}, problem=f"{path}: expected an object")
    trace_raw = _get(sp, "traceId", "trace_id")
    span_raw = _get(sp, "spanId", "span_id")
    problem = None
    trace_id = _json_id(trace_raw, 16)
    span_id = _json_id(span_raw, 8)
    if trace_id is None:
        problem = f"{path}.traceId: {_id_problem(trace_raw, 32)}"
    elif span_id is None:
        problem = f"{path}.spanId: {_id_problem(span_raw, 16)}"
    parent = _json_id(_get(sp, "parentSpanId", "parent_span_id"), 8)
    notes: list[tuple[str, Any, str]] | None = None
    start_raw = _get(sp, "startTimeUnixNano", "start_time_unix_nano")
    end_raw = _get(sp, "endTimeUnixNano", "end_time_unix_nano")
    try:
        start = _int64(start_raw, "")
    except _SpanProblem:  # not a number: missing, then repaired like any missing time
        start = 0
        notes = [("start_time_ns", start_raw, "not an integer; treated as missing")]
    try:
        end = _int64(end_raw, "")
    except _SpanProblem:
        end = 0
        notes = (notes or []) + [("end_time_ns", end_raw, "not an integer; treated as missing")]
    status = _get(sp, "status", "status")
    code, message = 0, None
    if isinstance(status, dict):
        code = _enum(status.get("code"), _STATUS_NAMES)
        message = _str_or_none(status.get("message"))
    events: list[RawEvent] = []
    raw_events = _get(sp, "events", "events")
    if isinstance(raw_events, list):
        for ev in raw_events:
            if not isinstance(ev, dict):
                continue
            try:
                t = _int64(_get(ev, "timeUnixNano", "time_unix_nano"), "")
            except _SpanProblem:
                t = 0
            events.append(RawEvent(str(ev.get("name") or ""), t, _json_attrs(ev.get("attributes"), 0, cut)))
    name = sp.get("name")
    return RawSpan(
        trace_id or (trace_raw if isinstance(trace_raw, str) else ""),
        span_id or (span_raw if isinstance(span_raw, str) else ""),
        parent,
        name if isinstance(name, str) else "",
        _enum(sp.get("kind"), _KIND_NAMES),
        start,
        end,
        _json_attrs(sp.get("attributes"), 0, cut),
        events,
        code,
        message,
        problem,
        notes,
    )


def _id_problem(v: Any, nhex: int) -> str:
    if isinstance(v, str) and v and v.strip("0") == "":
        return f"must not be all zeros (got {len(v)} zeros)"
    if v is None or v == "":
        return f"missing (expected {nhex} hex characters)"
    return f"expected {nhex} hex characters, got {_short(v)}"


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _json_id(v: Any, nbytes: int) -> str | None:
    """Hex (any case) per OTLP/JSON; base64 as a fallback for the plain protobuf mapping."""
    if not isinstance(v, str) or not v:
        return None
    if len(v) == 2 * nbytes and (_HEX32 if nbytes == 16 else _HEX16).fullmatch(v):
        out = v.lower()
    elif len(v) == (nbytes + 2) // 3 * 4:
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            try:
                raw = base64.urlsafe_b64decode(v)
            except (binascii.Error, ValueError):
                return None
        if len(raw) != nbytes:
            return None
        out = raw.hex()
    else:
        return None
    return None if out == "0" * (2 * nbytes) else out


def _int64(v: Any, path: str) -> int:
    if v is None or v == "":
        return 0
    if type(v) is int:
        return v if v < 2**64 else 0  # out of fixed64 range: treated as missing, then repaired
    if isinstance(v, str):
        try:
            n = int(v)
        except ValueError:
            pass
        else:
            return n if n < 2**64 else 0
    elif isinstance(v, float) and math.isfinite(v):
        return int(v) if v < 2**64 else 0
    raise _SpanProblem(f"{path}: expected an integer (nanoseconds), got {_short(v)}")


_KIND_NAMES = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
    "UNSPECIFIED": 0,
    "INTERNAL": 1,
    "SERVER": 2,
    "CLIENT": 3,
    "PRODUCER": 4,
    "CONSUMER": 5,
}
_STATUS_NAMES = {
    "STATUS_CODE_UNSET": 0,
    "STATUS_CODE_OK": 1,
    "STATUS_CODE_ERROR": 2,
    "UNSET": 0,
    "OK": 1,
    "ERROR": 2,
}


def _enum(v: Any, names: dict[str, int]) -> int:
    if type(v) is int:
        return v
    if isinstance(v, str):
        if v.isdigit():
            return int(v)
        return names.get(v.upper(), 0)
    return 0


def _json_attrs(kvs: Any, depth: int = 0, cut: list[int] | None = None) -> dict[str, Any]:
    """OTLP/JSON ``KeyValue`` list -> dict. ``depth`` is the nesting level of this list inside
    an attribute value; ``cut`` collects one entry per subtree cut at ``MAX_VALUE_DEPTH``."""
    out: dict[str, Any] = {}
    if type(kvs) is not list:
        return out
    for kv in kvs:
        if type(kv) is dict:
            key = kv.get("key")
            if type(key) is str:
                value = kv.get("value")
                if type(value) is dict:  # inline the common case: a string value
                    s = value.get("stringValue")
                    if type(s) is str and len(value) == 1:
                        out[key] = s if len(s) <= MAX_ATTRIBUTE_CHARS else cap_str(s)
                        continue
                out[key] = _json_value(value, depth, cut)
    return out


def _json_value(v: Any, depth: int = 0, cut: list[int] | None = None) -> Any:
    """Unwrap an OTLP/JSON AnyValue; odd values are kept as sent, never dropped."""
    if type(v) is not dict:
        return v if type(v) is not list else _raw_tree(v, depth, cut)
    for key, val in v.items():  # one key in practice; unknown keys are skipped
        if key == "stringValue":
            return val if type(val) is not str or len(val) <= MAX_ATTRIBUTE_CHARS else cap_str(val)
        handler = _ANY_VALUE.get(key)
        if handler is not None:
            return handler(val)
        nested = _NESTED_VALUE.get(key)
        if nested is not None:
            if depth >= MAX_VALUE_DEPTH:
                if cut is not None:
                    cut.append(1)
                return TOO_DEEP
            return nested(val, depth + 1, cut)
    return None


def _raw_tree(v: Any, depth: int, cut: list[int] | None) -> Any:
    """A value sent as plain JSON instead of an AnyValue (non-conforming exporters): kept as
    sent, cut at ``MAX_VALUE_DEPTH`` like any other tree."""
    kind = type(v)
    if kind is not dict and kind is not list:
        return v
    if depth >= MAX_VALUE_DEPTH:
        if cut is not None:
            cut.append(1)
        return TOO_DEEP
    if kind is list:
        return [_raw_tree(x, depth + 1, cut) for x in v]
    return {k: _raw_tree(x, depth + 1, cut) for k, x in v.items()}


def _any_string(val: Any) -> Any:
    return cap_str(val) if isinstance(val, str) else val


def _any_int(val: Any) -> Any:
    if type(val) is not int:
        try:
            val = int(val)
        except (TypeError, ValueError):
            return val  # kept as sent
    # AnyValue.int_value is int64: anything wider is kept as its decimal text, not lost
    return val if -(2**63) <= val < 2**63 else str(val)


def _any_bool(val: Any) -> bool:
    return val if isinstance(val, bool) else str(val).lower() == "true"


def _any_double(val: Any) -> Any:
    try:
        return float(val)  # numbers, and "NaN", "Infinity", "1.5"
    except (TypeError, ValueError):
        return val


def _any_array(val: Any, depth: int, cut: list[int] | None) -> list[Any]:
    values = val.get("values") if isinstance(val, dict) else None
    return [_json_value(x, depth, cut) for x in values] if isinstance(values, list) else []


def _any_kvlist(val: Any, depth: int, cut: list[int] | None) -> dict[str, Any]:
    return _json_attrs(val.get("values"), depth, cut) if isinstance(val, dict) else {}


def _any_bytes(val: Any) -> Any:
    try:
        return cap_bytes(base64.b64decode(val))
    except (binascii.Error, ValueError, TypeError):
        return val


_ANY_VALUE: dict[str, Callable[[Any], Any]] = {
    "string_value": _any_string,
    "intValue": _any_int,
    "int_value": _any_int,
    "boolValue": _any_bool,
    "bool_value": _any_bool,
    "doubleValue": _any_double,
    "double_value": _any_double,
    "bytesValue": _any_bytes,
    "bytes_value": _any_bytes,
}
_NESTED_VALUE: dict[str, Callable[[Any, int, list[int] | None], Any]] = {
    "arrayValue": _any_array,
    "array_value": _any_array,
    "kvlistValue": _any_kvlist,
    "kvlist_value": _any_kvlist,
}
