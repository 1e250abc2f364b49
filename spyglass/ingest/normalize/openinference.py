"""OpenInference (Arize) conventions.

``openinference.span.kind``; ``llm.provider`` / ``llm.system``; ``llm.model_name`` (the
response's model) and the newer ``llm.request.model_name`` / ``llm.response.model_name``;
``llm.invocation_parameters`` JSON (request settings, ``model``, ``stream``);
``llm.token_count.*`` incl. ``prompt_details.cache_read/cache_write`` and
``completion_details.reasoning``; flattened ``llm.input_messages.N.message.*`` and
``llm.output_messages.N.message.*`` (``contents.M.message_content.*``,
``tool_calls.M.tool_call.*``); ``llm.tools.N.tool.json_schema``; ``input.value`` /
``output.value``; ``retrieval.documents.N.document.*``; ``tool.*``; ``metadata`` (JSON
string) or ``metadata.*``; ``tag.tags``; ``llm.prompt_template.*``; ``llm.cost.*``;
``agent.name``; ``embedding.model_name``. TTFT (``First Token Stream Event``) is read by
the TTFT enricher.
"""

from __future__ import annotations

from typing import Any

from spyglass.ingest.normalize.base import SpanSource
from spyglass.ingest.normalize.values import (
    as_bool,
    as_float,
    as_int,
    as_str,
    as_str_list,
    collect_indexed,
    collect_indexed_many,
    has_first,
    json_object,
    json_value,
    normalize_finish_reason,
)
from spyglass.model import LlmSpan, Message, RetrievedDocument, SpanKind, ToolCall

_KINDS = {
    "LLM": (SpanKind.LLM, "chat"),
    "EMBEDDING": (SpanKind.EMBEDDING, "embeddings"),
    "CHAIN": (SpanKind.CHAIN, None),
    "RETRIEVER": (SpanKind.RETRIEVAL, "retrieval"),
    "RERANKER": (SpanKind.RETRIEVAL, "rerank"),
    "TOOL": (SpanKind.TOOL, "execute_tool"),
    "AGENT": (SpanKind.AGENT, "invoke_agent"),
    "GUARDRAIL": (SpanKind.GUARDRAIL, None),
    "EVALUATOR": (SpanKind.EVAL, None),
    "PROMPT": (SpanKind.CHAIN, None),
    "DECISION": (SpanKind.CHAIN, None),
    "UNKNOWN": (SpanKind.OTHER, None),
}

_NAMESPACES = frozenset(
    {
        "openinference",
        "input",
        "output",
        "retrieval",
        "tool",
        "tag",
        "metadata",
        "embedding",
        "reranker",
        "agent",
    }
)
# "llm." is shared with legacy OpenLLMetry (llm.request.type, llm.usage.*), so OpenInference's
# llm.* keys are recognised by name rather than by namespace.
_LLM_KEYS = (
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "llm.invocation_parameters",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "llm.token_count.total",
    "llm.finish_reason",
    "llm.input_messages.0.message.role",
    "llm.output_messages.0.message.role",
    "llm.request.model_name",
    "llm.response.model_name",
    "llm.cost.total",
    "llm.prompt_template.template",
    "llm.tools.0.tool.json_schema",
)


# What OpenInferenceNormalizer._context reads (skipped entirely when none is present).
_CONTEXT_NAMESPACES = frozenset({"metadata", "tag", "agent"})
_CONTEXT_KEYS = frozenset(
    {"llm.prompt_template.template", "llm.prompt_template.variables", "llm.prompt_template.version"}
)


class OpenInferenceNormalizer:
    name = "openinference"

    def matches(self, src: SpanSource) -> bool:
        if not _NAMESPACES.isdisjoint(src.namespaces):
            return True
        if "llm" in src.namespaces:
            a = src.attrs
            return any(k in a for k in _LLM_KEYS)
        return False

    def apply(self, src: SpanSource, span: LlmSpan) -> None:
        a = src.attrs
        kind_name = as_str(a.get("openinference.span.kind"))
        if kind_name is not None:
            kind, op = _KINDS.get(kind_name.upper(), (SpanKind.OTHER, None))
            span.kind = kind
            if op is not None:
                span.operation = op

        provider = as_str(a.get("llm.provider")) or as_str(a.get("llm.system"))
        if provider is not None:
            span.provider = provider.lower()
        params = json_object(a.get("llm.invocation_parameters"))
        if params is not None:
            for key, value in params.items():
                if key not in ("model", "messages", "stream", "input"):
                    span.settings[key] = value
            if (stream := as_bool(params.get("stream"))) is not None:
                span.is_stream = stream
        request_model = as_str(a.get("llm.request.model_name")) or (
            as_str(params.get("model")) if params else None
        )
        if request_model is None:
            request_model = as_str(a.get("embedding.model_name")) or as_str(a.get("reranker.model_name"))
        if request_model is not None:
            span.request_model = request_model
        response_model = as_str(a.get("llm.response.model_name")) or as_str(a.get("llm.model_name"))
        if response_model is not None:
            span.response_model = response_model
            if span.request_model is None:
                # Only one model known: it is the best answer for "which model was asked for" too.
                span.request_model = response_model

        self._usage(a, span)
        if (v := a.get("llm.finish_reason")) is not None:
            span.finish_reason = normalize_finish_reason(v)
        has_in = has_first(a, "llm.input_messages.", "message.role", "message.content")
        has_out = has_first(a, "llm.output_messages.", "message.role", "message.content")
        if has_in or has_out:
            groups = collect_indexed_many(a, ("llm.input_messages.", "llm.output_messages."))
            if has_in:
                span.input_messages = _messages(groups[0], "user")
            if has_out:
                span.output_messages = _messages(groups[1], "assistant")
        if has_out:
            calls = [tc for m in span.output_messages for tc in m.tool_calls]
            if calls:
                span.tool_calls = calls
            if span.finish_reason is None:
                span.finish_reason = span.output_messages[0].finish_reason
        tools = collect_indexed(a, "llm.tools.") if "llm.tools.0.tool.json_schema" in a else None
        if tools:
            span.settings["tools"] = [json_value(t.get("tool.json_schema")) for t in tools.values()]

        if (v := a.get("input.value")) is not None:
            span.input_value = as_str(v)
        if (v := a.get("output.value")) is not None:
            span.output_value = as_str(v)
        ns = src.namespaces
        if "retrieval" in ns or "reranker" in ns:
            self._retrieval(a, span)
        if "tool" in ns or span.kind is SpanKind.TOOL:
            self._tool(a, span)
        if not _CONTEXT_NAMESPACES.isdisjoint(ns) or not _CONTEXT_KEYS.isdisjoint(a.keys()):
            self._context(a, span, ns)

    def _usage(self, a: dict[str, Any], span: LlmSpan) -> None:
        for key, field in (
            ("llm.token_count.prompt", "input_tokens"),
            ("llm.token_count.completion", "output_tokens"),
            ("llm.token_count.total", "total_tokens"),
            ("llm.token_count.prompt_details.cache_read", "cache_read_tokens"),
            ("llm.token_count.prompt_details.cache_write", "cache_write_tokens"),
            ("llm.token_count.completion_details.reasoning", "reasoning_tokens"),
        ):
            v = a.get(key)
            if v is not None and (i := as_int(v)) is not None:
                setattr(span, field, i)
        for key, field in (
            ("llm.cost.prompt", "cost_input_usd"),
            ("llm.cost.completion", "cost_output_usd"),
            ("llm.cost.total", "cost_total_usd"),
        ):
            v = a.get(key)
            if v is not None and (f := as_float(v)) is not None:
                setattr(span, field, f)

    def _retrieval(self, a: dict[str, Any], span: LlmSpan) -> None:
        docs = None
        if has_first(a, "retrieval.documents.", "document.id", "document.content", "document.score"):
            docs = collect_indexed(a, "retrieval.documents.")
        elif has_first(a, "reranker.output_documents.", "document.id", "document.content", "document.score"):
            docs = collect_indexed(a, "reranker.output_documents.")
        if docs:
            span.retrieval_documents = [
                RetrievedDocument(
                    id=as_str(d.get("document.id")),
                    content=as_str(d.get("document.content")),
                    score=as_float(d.get("document.score")),
                    metadata=json_object(d.get("document.metadata")),
                )
                for d in docs.values()
            ]
            if span.kind is SpanKind.RETRIEVAL and span.retrieval_query is None:
                span.retrieval_query = as_str(a.get("reranker.query")) or span.input_value

    def _tool(self, a: dict[str, Any], span: LlmSpan) -> None:
        if (v := as_str(a.get("tool.name"))) is not None:
            span.tool_name = v
        if (v := as_str(a.get("tool.id"))) is not None:
            span.tool_call_id = v
        if span.kind is SpanKind.TOOL:
            args = as_str(a.get("tool.parameters")) if span.input_value is None else span.input_value
            if args is not None:
                span.tool_arguments = args
            if span.output_value is not None:
                span.tool_result = span.output_value

    def _context(self, a: dict[str, Any], span: LlmSpan, namespaces: set[str]) -> None:
        meta = json_object(a.get("metadata"))
        if meta:
            span.metadata.update(meta)
        if "metadata" in namespaces:
            for key, value in a.items():
                if key.startswith("metadata."):
                    span.metadata[key[9:]] = value
        tags = as_str_list(a.get("tag.tags"))
        if tags:
            span.tags = list(dict.fromkeys([*span.tags, *tags]))
        if (v := as_str(a.get("agent.name"))) is not None:
            span.agent_name = v
        if (v := a.get("llm.prompt_template.template")) is not None:
            span.prompt_template = as_str(v)
        if (pv := json_object(a.get("llm.prompt_template.variables"))) is not None:
            span.prompt_variables = pv
        if (v := as_str(a.get("llm.prompt_template.version"))) is not None:
            span.prompt_version = v


def _messages(indexed: dict[int, dict[str, Any]], default_role: str) -> list[Message]:
    out = []
    for fields in indexed.values():
        role = as_str(fields.get("message.role")) or default_role
        msg = Message(role=role, content=as_str(fields.get("message.content")))
        msg.name = as_str(fields.get("message.name"))
        msg.tool_call_id = as_str(fields.get("message.tool_call_id"))
        if (fr := fields.get("message.finish_reason")) is not None:
            msg.finish_reason = normalize_finish_reason(fr)
        contents = (
            collect_indexed(fields, "message.contents.")
            if has_first(fields, "message.contents.", "message_content.type", "message_content.text")
            else None
        )
        if contents:
            texts, parts = [], []
            for c in contents.values():
                ctype = as_str(c.get("message_content.type")) or "text"
                if ctype == "text":
                    if (t := as_str(c.get("message_content.text"))) is not None:
                        texts.append(t)
                else:
                    part: dict[str, Any] = {"type": ctype}
                    for k, v in c.items():
                        part[k.removeprefix("message_content.")] = v
                    parts.append(part)
            if texts and msg.content is None:
                msg.content = "\n".join(texts)
            if parts:
                msg.parts = parts
        if not has_first(fields, "message.tool_calls.", "tool_call.id", "tool_call.function.name"):
            out.append(msg)
            continue
        for call in collect_indexed(fields, "message.tool_calls.").values():
            msg.tool_calls.append(
                ToolCall(
                    id=as_str(call.get("tool_call.id")),
                    name=as_str(call.get("tool_call.function.name")),
                    arguments=as_str(call.get("tool_call.function.arguments")),
                )
            )
        out.append(msg)
    return out
