"""Canonical spans -> the Arrow tables a backend bulk-loads (``spans`` and ``span_payloads``).

Pure and picklable-free of I/O, so it can run wherever there is CPU to spare: in the writer
thread, or in an ingest worker process that then ships the tables as Arrow IPC bytes
(``SpanTables.to_ipc``/``from_ipc``: a few memcpys, no per-span Python on the receiving side).

The columns are built with as little per-span Python as possible: ``attrgetter`` + ``zip(*)``
transpose rows to columns in C, JSON payloads come from orjson.
"""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from spyglass.model.span import LlmSpan, Message
from spyglass.store.schema import PREVIEW_CHARS, TABLES

log = logging.getLogger(__name__)

ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "lowcard": pa.string(),
    "text": pa.string(),
    "json": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "ts_ns": pa.int64(),
    "str_list": pa.list_(pa.string()),
    "str_map": pa.map_(pa.string(), pa.string()),
}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in TABLES[table]])


SPANS_SCHEMA = arrow_schema("spans")
PAYLOADS_SCHEMA = arrow_schema("span_payloads")
KEY_COLUMNS = ("project_id", "trace_id", "span_id")


@dataclass(frozen=True, slots=True)
class SpanTables:
    """One batch of spans as rows of ``spans`` and ``span_payloads`` (same row order)."""

    spans: pa.Table
    payloads: pa.Table

    @property
    def num_rows(self) -> int:
        return self.spans.num_rows

    def to_ipc(self) -> bytes:
        """Both tables as one Arrow IPC stream (spans rows, then payload rows)."""
        sink = pa.BufferOutputStream()
        for table in (self.spans, self.payloads):
            with pa.ipc.new_stream(sink, table.schema) as w:
                w.write_table(table)
        return sink.getvalue().to_pybytes()

    @classmethod
    def from_ipc(cls, data: bytes) -> SpanTables:
        """Inverse of ``to_ipc``; raises ``pyarrow.ArrowInvalid`` on bytes it did not write."""
        reader = pa.BufferReader(data)
        spans = pa.ipc.open_stream(reader).read_all()
        payloads = pa.ipc.open_stream(reader).read_all()
        if spans.schema != SPANS_SCHEMA or payloads.schema != PAYLOADS_SCHEMA:
            raise pa.ArrowInvalid("span tables do not match the store schema")
        return cls(spans, payloads)

    @classmethod
    def concat(cls, parts: Sequence[SpanTables]) -> SpanTables:
        if len(parts) == 1:
            return parts[0]
        return cls(pa.concat_tables([p.spans for p in parts]), pa.concat_tables([p.payloads for p in parts]))

    def take(self, indices: Sequence[int]) -> SpanTables:
        idx = pa.array(indices, pa.int64())
        return SpanTables(self.spans.take(idx), self.payloads.take(idx))

    def keys(self) -> list[tuple[str, str, str]]:
        """(project_id, trace_id, span_id) of every row, in row order."""
        cols = [self.spans.column(c).to_pylist() for c in KEY_COLUMNS]
        return list(zip(*cols, strict=True))


def _str_value(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return _dumps(v)


# A value of the ``spans`` string map is cut to this many characters. The map is there to
# filter and group on (``attr.x = y``); the complete typed attributes are in
# ``span_payloads.attributes`` (the trace detail reads those). Uncut, the prompt/response
# JSON that instrumentations also put in attributes (``gen_ai.input.messages`` ~2 KB) made
# the attributes ~60% of every ``spans`` row and was written twice: cutting it shrank the
# IPC sent back by the workers by 28% and the server's write CPU (see the commit message).
MAP_VALUE_CHARS = 256


def _map_array(dicts: Sequence[dict[str, Any]]) -> pa.Array:
    """A MAP(string,string) array from flat offsets/keys/values (much faster than tuples);
    values longer than ``MAP_VALUE_CHARS`` are cut to that length."""
    offsets = [0]
    keys: list[str] = []
    values: list[str | None] = []
    total = 0
    for d in dicts:
        if d:
            keys.extend(d)
            values.extend([v if v.__class__ is str or v is None else _str_value(v) for v in d.values()])
            total += len(d)
        offsets.append(total)
    value_array = pa.array(values, pa.string())
    # one vectorised pass instead of a length test per value in Python
    value_array = pc.utf8_slice_codeunits(value_array, 0, MAP_VALUE_CHARS)
    return pa.MapArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(keys, pa.string()), value_array)


def _dumps(v: Any) -> str:
    # str, not the bytes orjson gives: pyarrow converts str to utf8 ~2x faster than bytes
    try:
        return orjson.dumps(v, default=str).decode()
    except TypeError:  # orjson's limits: ints beyond 64 bits, depth > 255, non-str keys
        return orjson.dumps(json_safe(v), default=str).decode()


json_text = _dumps  # the public name: any value as JSON text, never raising

# Deeper than this, ``json_safe`` replaces a subtree by a marker (orjson stops at 255 levels,
# and a dataclass inside a list inside a dict … adds levels of its own).
JSON_SAFE_DEPTH = 128


def json_safe(v: Any, depth: int = 0) -> Any:
    """``v`` made serializable by orjson: ints beyond 64 bits as decimal text, keys as text,
    dataclasses as dicts, subtrees deeper than ``JSON_SAFE_DEPTH`` as a marker string. Only
    used after orjson refused a value (ingest caps values earlier; this is the net)."""
    if depth >= JSON_SAFE_DEPTH:
        return f"…[nested deeper than {JSON_SAFE_DEPTH} levels]"
    if v is None or isinstance(v, str | bool | float):
        return v
    if isinstance(v, int):
        return v if -(2**63) <= v < 2**64 else str(v)
    if isinstance(v, dict):
        return {k if isinstance(k, str) else str(k): json_safe(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [json_safe(x, depth + 1) for x in v]
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: json_safe(getattr(v, f.name), depth + 1) for f in dataclasses.fields(v)}
    return str(v)


def _json_column(values: Sequence[Any]) -> pa.Array:
    """JSON text of each value; empty lists/dicts and None are stored as NULL."""
    return pa.array([_dumps(v) if v else None for v in values], pa.string())


def _messages_text(messages: list[Message], last_user: bool) -> str | None:
    if not messages:
        return None
    if last_user:
        for m in reversed(messages):
            if m.role == "user" and m.content:
                return m.content
    texts = [m.content for m in messages if m.content]
    return "\n".join(texts) if texts else None


def _preview(s: str | None) -> str | None:
    return s[:PREVIEW_CHARS] if s else None


def input_preview(span: LlmSpan) -> str | None:
    """The text a list shows as a span's input: last user message, else the generic input."""
    return _preview(
        _messages_text(span.input_messages, last_user=True)
        or span.input_value
        or span.retrieval_query
        or span.tool_arguments
    )


def output_preview(span: LlmSpan) -> str | None:
    return _preview(
        _messages_text(span.output_messages, last_user=False) or span.output_value or span.tool_result
    )


_SCALAR_FIELDS = (
    "project_id", "trace_id", "span_id", "start_time_ns", "end_time_ns", "name", "kind", "status",
    "status_message", "error_type", "error_class",
    "provider", "operation", "request_model", "response_model", "response_id",
    "finish_reason", "is_stream", "ttft_ms", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "total_tokens", "cost_input_usd", "cost_output_usd",
    "cost_total_usd", "refusal", "schema_valid", "prompt_name", "prompt_version", "session_id",
    "user_id", "tenant_id", "feature", "environment", "release", "service_name", "tool_name",
    "tool_call_id", "tool_status", "guardrail_decision", "guardrail_rule", "agent_name",
    "index_version", "scope_name",
)  # fmt: skip
_get_scalars = operator.attrgetter(*_SCALAR_FIELDS)
_get_derived = operator.attrgetter("parent_span_id", "tags", "attributes", "metadata")

_PAYLOAD_TEXT = (
    "system_instructions", "prompt_template", "input_value", "output_value", "retrieval_query",
    "tool_arguments", "tool_result",
)  # fmt: skip
_PAYLOAD_JSON = (
    "input_messages", "output_messages", "tool_calls", "settings", "output_json_schema",
    "prompt_variables", "retrieval_documents", "events", "attributes", "metadata", "resource_attributes",
)  # fmt: skip
_get_payload_text = operator.attrgetter(*_PAYLOAD_TEXT)
_get_payload_json = operator.attrgetter(*_PAYLOAD_JSON)


def _columns(getter: Any, names: Sequence[str], spans: Sequence[LlmSpan]) -> dict[str, Any]:
    # attrgetter + zip(*) transposes rows to columns in C: ~3x faster than a getattr loop
    return dict(zip(names, zip(*map(getter, spans), strict=True), strict=True))


def span_table(spans: Sequence[LlmSpan]) -> pa.Table:
    """Rows of the ``spans`` table (enum fields stored as their string values)."""
    cols = _columns(_get_scalars, _SCALAR_FIELDS, spans)
    parents, tags, attrs, metas = zip(*map(_get_derived, spans), strict=True)
    # "" is not an id: a parent/tag list that is empty is "not reported"
    cols["parent_span_id"] = [p or None for p in parents]
    cols["tags"] = [t or None for t in tags]
    cols["duration_ms"] = [
        max(0, e - s) / 1e6 for s, e in zip(cols["start_time_ns"], cols["end_time_ns"], strict=True)
    ]
    cols["input_preview"] = list(map(input_preview, spans))
    cols["output_preview"] = list(map(output_preview, spans))
    cols["attributes"] = _map_array(attrs)
    cols["metadata"] = _map_array(metas)
    # every span counts until the store, which sees the whole trace, marks the wrappers
    cols["counted"] = pa.repeat(True, len(spans))
    arrays = [
        cols[f.name] if isinstance(cols[f.name], pa.Array) else pa.array(cols[f.name], f.type)
        for f in SPANS_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SPANS_SCHEMA)


LLM_KIND = "llm"


def _keys(project: Any, trace: Any, span: Any) -> Any:
    # hex trace/span ids hold no "/", so the joined key is unambiguous
    return pc.binary_join_element_wise(project, trace, span, "/")


def llm_wrapper_mask(spans: pa.Table) -> pa.ChunkedArray | pa.Array:
    """True for each LLM span of ``spans`` that has a direct child of kind llm among
    ``spans`` (a wrapper of that call, see ``SPAN_COLUMNS``' ``counted``), else False."""
    is_llm = pc.fill_null(pc.equal(spans.column("kind"), LLM_KIND), False)
    parent, span_id = spans.column("parent_span_id"), spans.column("span_id")
    # an LLM child names its parent; a span naming itself (corrupt) wraps nothing
    is_child = pc.and_(is_llm, pc.fill_null(pc.not_equal(parent, span_id), False))
    if not pc.any(is_child).as_py():
        return pa.repeat(False, spans.num_rows)
    project, trace = spans.column("project_id"), spans.column("trace_id")
    parents = _keys(project.filter(is_child), trace.filter(is_child), parent.filter(is_child))
    own = _keys(project, trace, span_id)
    return pc.and_(is_llm, pc.is_in(own, value_set=parents.combine_chunks()))


def with_counted(spans: pa.Table, wrappers: pa.ChunkedArray | pa.Array) -> pa.Table:
    """``spans`` with ``counted`` = not ``wrappers`` (a boolean mask, one per row)."""
    i = spans.schema.get_field_index("counted")
    return spans.set_column(i, spans.schema.field(i), pc.invert(wrappers))


def payload_table(spans: Sequence[LlmSpan]) -> pa.Table:
    """Rows of the ``span_payloads`` table (structured values as JSON text)."""
    cols: dict[str, Any] = _columns(operator.attrgetter(*KEY_COLUMNS, "start_time_ns"),
                                    (*KEY_COLUMNS, "start_time_ns"), spans)  # fmt: skip
    cols.update(_columns(_get_payload_text, _PAYLOAD_TEXT, spans))
    for name, values in _columns(_get_payload_json, _PAYLOAD_JSON, spans).items():
        cols[name] = _json_column(values)
    arrays = [
        cols[f.name] if isinstance(cols[f.name], pa.Array) else pa.array(cols[f.name], f.type)
        for f in PAYLOADS_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=PAYLOADS_SCHEMA)


def build_tables(spans: Sequence[LlmSpan]) -> SpanTables:
    """Both tables for ``spans`` (which must not be empty), rows in the order given."""
    return SpanTables(span_table(spans), payload_table(spans))


def span_key(span: LlmSpan) -> str:
    return f"{span.trace_id}/{span.span_id}"


def build_tables_isolating(spans: Sequence[LlmSpan]) -> tuple[SpanTables | None, list[str]]:
    """``build_tables``, except that a span whose columns cannot be built costs only itself.

    A column is converted for the whole batch at once, so a failure names no span: the batch
    is rebuilt by halves until each failing span is alone (log2(n) rebuilds per bad span;
    nothing extra when all is well). Returns the tables of the spans that could be built
    (None if none) and one ``"trace/span: reason"`` per span that could not."""
    failures: list[str] = []
    parts = _build_halves(spans, failures)
    return (SpanTables.concat(parts) if parts else None), failures


def _build_halves(spans: Sequence[LlmSpan], failures: list[str]) -> list[SpanTables]:
    try:
        return [build_tables(spans)]
    except Exception as exc:  # any failure: pin it on its span(s) below
        if len(spans) == 1:
            log.warning("span %s cannot be stored: %r", span_key(spans[0]), exc)
            failures.append(
                f"{span_key(spans[0])}: internal: its columns cannot be built ({_short_error(exc)})"
            )
            return []
    mid = len(spans) // 2
    return _build_halves(spans[:mid], failures) + _build_halves(spans[mid:], failures)


def _short_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 160 else text[:157] + "..."
