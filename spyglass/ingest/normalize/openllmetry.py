"""OpenLLMetry (Traceloop) conventions, legacy (≤0.54) and the Traceloop SDK workflow layer.

``traceloop.span.kind`` (workflow/task/agent/tool), ``traceloop.entity.{name,input,output}``,
``traceloop.workflow.name``, ``traceloop.association.properties.*`` (session_id, user_id,
tenant_id/tenant, feature, anything else -> metadata), ``traceloop.prompt.*``; legacy
flattened ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*`` (incl. ``tool_calls.M.*`` and
``refusal``), ``llm.request.type``, ``llm.usage.*``, ``gen_ai.usage.*_input_tokens`` (old
underscore names), ``llm.is_streaming`` / ``gen_ai.is_streaming``,
``llm.request.functions.N.*``, ``gen_ai.user`` / ``llm.user``. The current OpenLLMetry
(≥0.55) emits OTel GenAI, which ``genai.py`` handles.
"""

from __future__ import annotations

from typing import Any

import orjson

from spyglass.ingest.normalize.base import SpanSource
from spyglass.ingest.normalize.values import (
    OPERATION_KINDS,
    as_bool,
    as_int,
    as_str,
    collect_indexed,
    collect_indexed_many,
    has_first,
    json_object,
    json_value,
    normalize_finish_reason,
)
from spyglass.model import LlmSpan, Message, SpanKind, ToolCall

_TRACELOOP_KINDS = {
    "workflow": SpanKind.CHAIN,
    "task": SpanKind.CHAIN,
    "agent": SpanKind.AGENT,
    "tool": SpanKind.TOOL,
}
_REQUEST_TYPES = {
    "chat": "chat",
    "completion": "text_completion",
    "embedding": "embeddings",
    "rerank": "rerank",
}
_ASSOC = "traceloop.association.properties."
# Keys only legacy OpenLLMetry uses (its current versions emit OTel GenAI, handled elsewhere).
_LEGACY_KEYS = (
    "llm.request.type",
    "llm.usage.total_tokens",
    "llm.is_streaming",
    "gen_ai.is_streaming",
    "gen_ai.prompt.0.role",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.0.role",
    "gen_ai.completion.0.content",
    "gen_ai.completion.0.finish_reason",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "llm.request.functions.0.name",
    "gen_ai.user",
    "llm.user",
    "llm.frequency_penalty",
    "llm.presence_penalty",
    "llm.top_k",
    "llm.chat.stop_sequences",
)


class OpenLlmetryNormalizer:
    name = "openllmetry"

    def matches(self, src: SpanSource) -> bool:
        ns = src.namespaces
        if "traceloop" in ns:
            return True
        if "llm" not in ns and "gen_ai" not in ns:
            return False
        a = src.attrs
        return any(k in a for k in _LEGACY_KEYS)

    def apply(self, src: SpanSource, span: LlmSpan) -> None:
        a = src.attrs
        if (rt := as_str(a.get("llm.request.type"))) is not None:
            span.operation = _REQUEST_TYPES.get(rt.lower(), rt)
            span.kind = OPERATION_KINDS.get(span.operation, SpanKind.LLM)
        tl_kind = as_str(a.get("traceloop.span.kind"))
        if tl_kind is not None and (k := _TRACELOOP_KINDS.get(tl_kind.lower())) is not None:
            span.kind = k
            span.operation = span.operation or tl_kind.lower()
        entity = as_str(a.get("traceloop.entity.name"))
        if (v := a.get("traceloop.entity.input")) is not None:
            span.input_value = as_str(v)
        if (v := a.get("traceloop.entity.output")) is not None:
            span.output_value = as_str(v)
        if span.kind is SpanKind.AGENT and entity is not None:
            span.agent_name = entity
        elif span.kind is SpanKind.TOOL:
            span.tool_name = entity or span.tool_name
            if span.input_value is not None:
                span.tool_arguments = _tool_arguments(span.input_value)
            if span.output_value is not None:
                span.tool_result = span.output_value

        for key, field in (("gen_ai.is_streaming", "is_stream"), ("llm.is_streaming", "is_stream")):
            if (b := as_bool(a.get(key))) is not None:
                setattr(span, field, b)
        usage = (
            ("llm.usage.total_tokens", "total_tokens"),
            ("gen_ai.usage.prompt_tokens", "input_tokens"),
            ("gen_ai.usage.completion_tokens", "output_tokens"),
            ("gen_ai.usage.cache_read_input_tokens", "cache_read_tokens"),
            ("gen_ai.usage.cache_creation_input_tokens", "cache_write_tokens"),
            ("llm.usage.reasoning_tokens", "reasoning_tokens"),
            ("gen_ai.usage.reasoning_tokens", "reasoning_tokens"),
        )
        for key, field in usage:
            if (i := as_int(a.get(key))) is not None:
                setattr(span, field, i)
        for key, setting in (
            ("llm.frequency_penalty", "frequency_penalty"),
            ("llm.presence_penalty", "presence_penalty"),
            ("llm.top_k", "top_k"),
            ("llm.chat.stop_sequences", "stop"),
        ):
            if (v := a.get(key)) is not None:
                span.settings[setting] = v
        functions = (
            collect_indexed(a, "llm.request.functions.") if "llm.request.functions.0.name" in a else None
        )
        if functions:
            span.settings["tools"] = [
                {"type": "function", **{k: json_value(v) for k, v in f.items()}} for f in functions.values()
            ]
        has_in = has_first(a, "gen_ai.prompt.", "role", "content", "tool_call_id")
        has_out = has_first(a, "gen_ai.completion.", "role", "content", "finish_reason")
        groups = (
            collect_indexed_many(a, ("gen_ai.prompt.", "gen_ai.completion.")) if has_in or has_out else None
        )
        if groups and has_in:
            msgs = _flat_messages(groups[0], "user")
            if msgs:
                span.input_messages = msgs
        if groups and has_out:
            msgs = _flat_messages(groups[1], "assistant")
            if msgs:
                span.output_messages = msgs
                calls = [tc for m in msgs for tc in m.tool_calls]
                if calls:
                    span.tool_calls = calls
                if msgs[0].finish_reason is not None:
                    span.finish_reason = msgs[0].finish_reason
        if (v := as_str(a.get("gen_ai.user")) or as_str(a.get("llm.user"))) is not None:
            span.user_id = v
        if "traceloop" in src.namespaces:
            self._association(a, span)
        self._prompt(a, span)

    def _association(self, a: dict[str, Any], span: LlmSpan) -> None:
        props = {k[len(_ASSOC) :]: v for k, v in a.items() if k.startswith(_ASSOC)}
        for key, value in props.items():
            if key in ("session_id", "chat_id", "thread_id", "conversation_id"):
                if span.session_id is None or key == "session_id":
                    span.session_id = as_str(value)
            elif key == "user_id":
                span.user_id = as_str(value)
            elif key in ("tenant_id", "tenant"):
                span.tenant_id = as_str(value)
            elif key == "feature":
                span.feature = as_str(value)
            else:
                span.metadata[key] = value
        if (v := as_str(a.get("traceloop.workflow.name"))) is not None:
            span.metadata.setdefault("workflow", v)

    def _prompt(self, a: dict[str, Any], span: LlmSpan) -> None:
        if (v := as_str(a.get("traceloop.prompt.key"))) is not None:
            span.prompt_name = v
        version = a.get("traceloop.prompt.version_name") or a.get("traceloop.prompt.version")
        if version is not None:
            span.prompt_version = as_str(version)
        if (v := as_str(a.get("traceloop.prompt.template"))) is not None:
            span.prompt_template = v
        if (tv := json_object(a.get("traceloop.prompt.template_variables"))) is not None:
            span.prompt_variables = tv


def _tool_arguments(entity_input: str) -> str:
    """Traceloop wraps tool input as ``{"args": [...], "kwargs": {...}}``; the kwargs are the
    arguments a reader expects to see."""
    parsed = json_object(entity_input)
    if parsed is not None and set(parsed) <= {"args", "kwargs"} and not parsed.get("args"):
        kwargs = parsed.get("kwargs")
        if isinstance(kwargs, dict):
            return orjson.dumps(kwargs).decode()
    return entity_input


def _flat_messages(indexed: dict[int, dict[str, Any]], default_role: str) -> list[Message]:
    out = []
    for fields in indexed.values():
        msg = Message(role=as_str(fields.get("role")) or default_role, content=as_str(fields.get("content")))
        msg.tool_call_id = as_str(fields.get("tool_call_id"))
        msg.name = as_str(fields.get("name"))
        if (fr := fields.get("finish_reason")) is not None:
            msg.finish_reason = normalize_finish_reason(fr)
        if (refusal := as_str(fields.get("refusal"))) is not None:
            msg.parts = [{"type": "refusal", "content": refusal}]
            msg.content = msg.content or refusal
        calls = (
            collect_indexed(fields, "tool_calls.") if has_first(fields, "tool_calls.", "id", "name") else {}
        )
        for c in calls.values():
            msg.tool_calls.append(
                ToolCall(
                    id=as_str(c.get("id")), name=as_str(c.get("name")), arguments=as_str(c.get("arguments"))
                )
            )
        # Oldest form: gen_ai.completion.0.function_call.{name,arguments}
        if not calls and ("function_call.name" in fields):
            msg.tool_calls.append(
                ToolCall(
                    name=as_str(fields.get("function_call.name")),
                    arguments=as_str(fields.get("function_call.arguments")),
                )
            )
        out.append(msg)
    return out
