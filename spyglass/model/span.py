"""The canonical span: one shape for every span, whatever convention it arrived in.

Every layer speaks this vocabulary: ``ingest`` produces it, ``store`` persists it,
``query`` reads it back. It holds no I/O and imports nothing from the rest of Spyglass.

Times are integer nanoseconds since the epoch and ids are lowercase hex strings
(32 characters for trace ids, 16 for span ids), as on the OTLP wire.

The dataclasses are slotted but not frozen: the ingest pipeline builds a span once and
then lets each enricher fill in derived fields (cost, refusal, error class …) in place,
which avoids copying every span once per enricher on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SpanKind(StrEnum):
    """What a span does, in our words (each convention's kinds map onto these)."""

    LLM = "llm"
    EMBEDDING = "embedding"
    RETRIEVAL = "retrieval"
    TOOL = "tool"
    AGENT = "agent"
    CHAIN = "chain"  # workflow / chain / task steps
    GUARDRAIL = "guardrail"
    EVAL = "eval"
    OTHER = "other"


class StatusCode(StrEnum):
    UNSET = "unset"
    OK = "ok"
    ERROR = "error"


class ErrorClass(StrEnum):
    """Why a span failed, as an on-call engineer groups failures."""

    TIMEOUT = "timeout"
    RATE_LIMIT = "rate_limit"
    PROVIDER_5XX = "provider_5xx"
    AUTH = "auth"
    VALIDATION = "validation"
    CONTENT_FILTER = "content_filter"
    TOOL_ERROR = "tool_error"
    OTHER = "other"


@dataclass(slots=True)
class ToolCall:
    """A tool/function call requested by a model (arguments kept as the JSON text sent)."""

    id: str | None = None
    name: str | None = None
    arguments: str | None = None


@dataclass(slots=True)
class Message:
    """One chat message. ``content`` is the concatenated text parts; ``parts`` keeps the
    original structured parts (images, files, reasoning …) when there were any."""

    role: str
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    finish_reason: str | None = None
    parts: list[dict[str, Any]] | None = None


@dataclass(slots=True)
class RetrievedDocument:
    id: str | None = None
    content: str | None = None
    score: float | None = None
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LlmSpan:
    """A span in canonical form. Only identity and timing are required; everything else
    is filled when the source carried it (``None`` means "not reported", never zero)."""

    # identity
    project_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: SpanKind
    start_time_ns: int
    end_time_ns: int

    # outcome
    status: StatusCode = StatusCode.UNSET
    status_message: str | None = None
    error_type: str | None = None  # raw error.type / exception.type as sent
    error_class: ErrorClass | None = None  # derived at ingest

    # LLM call
    provider: str | None = None
    operation: str | None = None  # chat, text_completion, embeddings, execute_tool, invoke_agent …
    request_model: str | None = None
    response_model: str | None = None  # the returned snapshot, never merged with request_model
    response_id: str | None = None
    # temperature, top_p, max_tokens, seed, response_format, stop, tools …
    settings: dict[str, Any] = field(default_factory=dict)
    system_instructions: str | None = None
    input_messages: list[Message] = field(default_factory=list)
    output_messages: list[Message] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)  # calls the model asked for
    finish_reason: str | None = None  # normalised: stop, length, tool_call, content_filter, error, …
    is_stream: bool | None = None
    ttft_ms: float | None = None
    output_json_schema: dict[str, Any] | None = None  # when structured output was requested

    # usage (input_tokens INCLUDES cache reads and writes; output_tokens INCLUDES reasoning)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None

    # cost in USD, derived at ingest unless the source reported it
    cost_input_usd: float | None = None
    cost_output_usd: float | None = None
    cost_total_usd: float | None = None

    # quality signals, derived at ingest
    refusal: bool = False
    schema_valid: bool | None = None

    # prompt record
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_template: str | None = None
    prompt_variables: dict[str, Any] | None = None

    # request context
    session_id: str | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    feature: str | None = None
    environment: str | None = None
    release: str | None = None
    service_name: str | None = None
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    # generic input/output (workflow steps, tools, OpenInference input.value …)
    input_value: str | None = None
    output_value: str | None = None

    # retrieval
    retrieval_query: str | None = None
    retrieval_documents: list[RetrievedDocument] = field(default_factory=list)
    index_version: str | None = None

    # tool execution
    tool_name: str | None = None
    tool_call_id: str | None = None
    tool_arguments: str | None = None
    tool_result: str | None = None
    tool_status: str | None = None  # ok / error

    # guardrail
    guardrail_decision: str | None = None  # allow / block / redact …
    guardrail_rule: str | None = None

    # agent
    agent_name: str | None = None

    # everything as received (attribute names untouched), so nothing is ever lost
    attributes: dict[str, Any] = field(default_factory=dict)
    resource_attributes: dict[str, Any] = field(default_factory=dict)
    scope_name: str | None = None
    events: list[SpanEvent] = field(default_factory=list)

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_time_ns - self.start_time_ns)

    @property
    def duration_ms(self) -> float:
        return self.duration_ns / 1e6
