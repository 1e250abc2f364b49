"""Table definitions for the event store, in one place and backend-neutral.

Each table is a list of ``Column(name, type)`` with a small logical type vocabulary; a
backend module (``duckdb.py`` today, ``clickhouse.py`` later) maps the logical types to its
own DDL. Query modules reference columns by these names only.

Layout (why it is split this way):

* ``spans``: one row per span with scalar canonical fields, metrics, context dimensions,
  short input/output previews and the attributes as a string->string map. Small and
  columnar so list/filter/metric queries scan little. No large text here. ``counted``
  marks the one LLM span of a nesting that counts as the call (see ``SPAN_COLUMNS``).
* ``span_payloads``: the large content (messages, documents, tool args/results, events,
  resource attributes, typed attributes) keyed like ``spans``, so each class can get its
  own retention later and scans of ``spans`` never read prompt text.
* ``traces``: one rollup row per trace, recomputed from ``spans`` for every trace touched
  by a write batch (in the same transaction).
* ``feedback``: user/reviewer/system feedback attached to a trace or a request id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogicalType = Literal[
    "id",  # short identifier string (hex ids, project ids)
    "lowcard",  # low-cardinality string (kind, status, provider, model …)
    "text",  # free text
    "json",  # JSON document as text
    "int64",
    "float64",
    "bool",
    "ts_ns",  # integer nanoseconds since the epoch
    "str_list",  # list of strings
    "str_map",  # map string -> string
]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: LogicalType


PREVIEW_CHARS = 500
"""Characters of input/output kept in ``spans``/``traces`` for lists and free-text search."""

SPAN_COLUMNS: tuple[Column, ...] = (
    Column("project_id", "id"),
    Column("trace_id", "id"),
    Column("span_id", "id"),
    Column("parent_span_id", "id"),
    Column("start_time_ns", "ts_ns"),
    Column("end_time_ns", "ts_ns"),
    Column("duration_ms", "float64"),
    Column("name", "lowcard"),
    Column("kind", "lowcard"),
    Column("status", "lowcard"),
    Column("status_message", "text"),
    Column("error_type", "lowcard"),
    Column("error_class", "lowcard"),
    Column("provider", "lowcard"),
    Column("operation", "lowcard"),
    Column("request_model", "lowcard"),
    Column("response_model", "lowcard"),
    Column("response_id", "id"),
    Column("finish_reason", "lowcard"),
    Column("is_stream", "bool"),
    Column("ttft_ms", "float64"),
    Column("input_tokens", "int64"),
    Column("output_tokens", "int64"),
    Column("cache_read_tokens", "int64"),
    Column("cache_write_tokens", "int64"),
    Column("reasoning_tokens", "int64"),
    Column("total_tokens", "int64"),
    Column("cost_input_usd", "float64"),
    Column("cost_output_usd", "float64"),
    Column("cost_total_usd", "float64"),
    Column("refusal", "bool"),
    Column("schema_valid", "bool"),
    Column("prompt_name", "lowcard"),
    Column("prompt_version", "lowcard"),
    Column("session_id", "id"),
    Column("user_id", "id"),
    Column("tenant_id", "lowcard"),
    Column("feature", "lowcard"),
    Column("environment", "lowcard"),
    Column("release", "lowcard"),
    Column("service_name", "lowcard"),
    Column("tags", "str_list"),
    Column("tool_name", "lowcard"),
    Column("tool_call_id", "id"),
    Column("tool_status", "lowcard"),
    Column("guardrail_decision", "lowcard"),
    Column("guardrail_rule", "lowcard"),
    Column("agent_name", "lowcard"),
    Column("index_version", "lowcard"),
    Column("scope_name", "lowcard"),
    Column("input_preview", "text"),
    Column("output_preview", "text"),
    Column("attributes", "str_map"),
    Column("metadata", "str_map"),
    # False for an LLM span that wraps another LLM span describing the same call (its direct
    # child of kind llm): calls, tokens, cost and TTFT count the innermost span only. True for
    # every other span. Maintained by the store on write (see DuckDBStore, docs/ingest.md).
    # Last, so a data dir created before it gets it by ALTER TABLE … ADD COLUMN in place.
    Column("counted", "bool"),
)

PAYLOAD_COLUMNS: tuple[Column, ...] = (
    Column("project_id", "id"),
    Column("trace_id", "id"),
    Column("span_id", "id"),
    Column("start_time_ns", "ts_ns"),
    Column("system_instructions", "text"),
    Column("input_messages", "json"),
    Column("output_messages", "json"),
    Column("tool_calls", "json"),
    Column("settings", "json"),
    Column("output_json_schema", "json"),
    Column("prompt_template", "text"),
    Column("prompt_variables", "json"),
    Column("input_value", "text"),
    Column("output_value", "text"),
    Column("retrieval_query", "text"),
    Column("retrieval_documents", "json"),
    Column("tool_arguments", "text"),
    Column("tool_result", "text"),
    Column("events", "json"),
    Column("attributes", "json"),  # typed, as received (the spans map holds strings)
    Column("metadata", "json"),
    Column("resource_attributes", "json"),
)

TRACE_COLUMNS: tuple[Column, ...] = (
    Column("project_id", "id"),
    Column("trace_id", "id"),
    Column("root_span_id", "id"),
    Column("name", "lowcard"),
    Column("start_time_ns", "ts_ns"),
    Column("end_time_ns", "ts_ns"),
    Column("duration_ms", "float64"),
    Column("status", "lowcard"),
    Column("error_class", "lowcard"),
    Column("span_count", "int64"),
    Column("error_count", "int64"),
    Column("llm_call_count", "int64"),
    Column("input_tokens", "int64"),
    Column("output_tokens", "int64"),
    Column("cache_read_tokens", "int64"),
    Column("total_tokens", "int64"),
    Column("cost_usd", "float64"),
    Column("models", "str_list"),
    Column("response_models", "str_list"),
    Column("providers", "str_list"),
    Column("prompt_versions", "str_list"),
    Column("services", "str_list"),
    Column("session_id", "id"),
    Column("user_id", "id"),
    Column("tenant_id", "lowcard"),
    Column("feature", "lowcard"),
    Column("environment", "lowcard"),
    Column("release", "lowcard"),
    Column("service_name", "lowcard"),
    Column("ttft_ms", "float64"),
    Column("refusal", "bool"),
    Column("schema_failure_count", "int64"),
    Column("tool_error_count", "int64"),
    Column("input_preview", "text"),
    Column("output_preview", "text"),
)

FEEDBACK_COLUMNS: tuple[Column, ...] = (
    Column("id", "id"),
    Column("project_id", "id"),
    Column("trace_id", "id"),
    Column("request_id", "id"),
    Column("score", "float64"),
    Column("thumbs", "lowcard"),
    Column("comment", "text"),
    Column("source", "lowcard"),
    Column("kind", "lowcard"),
    Column("metadata", "json"),
    Column("created_at_ns", "ts_ns"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "spans": SPAN_COLUMNS,
    "span_payloads": PAYLOAD_COLUMNS,
    "traces": TRACE_COLUMNS,
    "feedback": FEEDBACK_COLUMNS,
}


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]
