"""OTel GenAI semantic conventions, all three generations in the wild.

- ≤1.36: ``gen_ai.system``; prompts/completions as span events — per message
  ``gen_ai.{system,user,assistant,tool}.message`` / ``gen_ai.choice`` (1.28–1.36) and the
  older ``gen_ai.content.prompt`` / ``gen_ai.content.completion`` with ``gen_ai.prompt`` /
  ``gen_ai.completion`` JSON attributes;
- 1.37–1.41: ``gen_ai.provider.name``; ``gen_ai.input.messages`` / ``gen_ai.output.messages``
  / ``gen_ai.system_instructions`` as JSON strings or structured values, and the
  ``gen_ai.client.inference.operation.details`` event carrying the same;
- HEAD renames: ``gen_ai.usage.cache_write.input_tokens`` (was ``cache_creation``),
  ``gen_ai.usage.reasoning.output_tokens``, ``gen_ai.request.reasoning.level`` …

Also the current OpenLLMetry (≥0.55), which emits this convention. TTFT
(``gen_ai.response.time_to_first_chunk``) is read by the TTFT enricher.
"""

from __future__ import annotations

from typing import Any

from spyglass.ingest.normalize.base import SpanSource
from spyglass.ingest.normalize.messages import parse_message, parse_messages, text_of_parts
from spyglass.ingest.normalize.values import (
    OPERATION_KINDS,
    as_bool,
    as_int,
    as_str,
    as_str_list,
    json_value,
    normalize_finish_reason,
    to_json_text,
)
from spyglass.model import LlmSpan, Message, RetrievedDocument, SpanKind

# Old gen_ai.system values -> the 1.37+ gen_ai.provider.name ones.
_OLD_PROVIDERS = {
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "vertex_ai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "xai": "x_ai",
    "mistralai": "mistral_ai",
    "watsonx": "ibm.watsonx.ai",
    "bedrock": "aws.bedrock",
}

# Request settings: attribute -> key in LlmSpan.settings
_SETTINGS = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.top_k": "top_k",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.max_completion_tokens": "max_completion_tokens",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.stop_sequences": "stop",
    "gen_ai.request.seed": "seed",
    "gen_ai.openai.request.seed": "seed",
    "gen_ai.request.choice.count": "n",
    "gen_ai.request.reasoning.level": "reasoning_effort",
    "gen_ai.request.reasoning_effort": "reasoning_effort",
    "gen_ai.output.type": "output_type",
    "gen_ai.openai.request.response_format": "response_format",
    "gen_ai.request.response_format": "response_format",
    "gen_ai.openai.request.service_tier": "service_tier",
    "openai.request.service_tier": "service_tier",
}

# Attributes read by GenAiNormalizer._context (skipped entirely when none is present).
_CONTEXT_KEYS = frozenset(
    {
        "gen_ai.conversation.id",
        "gen_ai.agent.name",
        "gen_ai.tool.name",
        "gen_ai.tool.call.id",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.retrieval.query.text",
        "gen_ai.retrieval.documents",
        "gen_ai.prompt.name",
        "gen_ai.prompt.version",
        "gen_ai.evaluation.name",
    }
)

_INPUT_EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def _first_int(attrs: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        v = attrs.get(key)
        if v is not None:
            i = as_int(v)
            if i is not None:
                return i
    return None


class GenAiNormalizer:
    name = "genai"

    def matches(self, src: SpanSource) -> bool:
        return "gen_ai" in src.namespaces or any(ev.name.startswith("gen_ai.") for ev in src.raw.events)

    def apply(self, src: SpanSource, span: LlmSpan) -> None:
        a = src.attrs
        op = as_str(a.get("gen_ai.operation.name"))
        if op is not None:
            span.operation = op
            kind = OPERATION_KINDS.get(op.lower())
            if kind is not None:
                span.kind = kind
        elif "gen_ai.request.model" in a or "gen_ai.response.model" in a:
            span.kind = SpanKind.LLM

        provider = as_str(a.get("gen_ai.provider.name")) or as_str(a.get("gen_ai.system"))
        if provider is not None:
            # old ids also arrive as gen_ai.provider.name (the OTel google-genai instrumentation
            # sends "gemini"): one id per provider, whichever generation named it
            low = provider.lower()
            span.provider = _OLD_PROVIDERS.get(low, low)
        if (v := as_str(a.get("gen_ai.request.model"))) is not None:
            span.request_model = v
        if (v := as_str(a.get("gen_ai.response.model"))) is not None:
            span.response_model = v
        if (v := as_str(a.get("gen_ai.response.id"))) is not None:
            span.response_id = v
        reasons = a.get("gen_ai.response.finish_reasons")
        if reasons is not None:
            lst = as_str_list(reasons)
            if lst:
                span.finish_reason = normalize_finish_reason(lst[0])

        # keys() & set runs in C: only the settings actually present are visited
        for key in a.keys() & _SETTINGS.keys():
            v = a[key]
            if v is not None:
                setting = _SETTINGS[key]
                span.settings[setting] = json_value(v) if setting == "response_format" else v
        if (v := a.get("gen_ai.tool.definitions")) is not None:
            span.settings["tools"] = json_value(v)
        if (stream := as_bool(a.get("gen_ai.request.stream"))) is not None:
            span.is_stream = stream

        self._usage(a, span)
        self._messages(src, span)
        if not _CONTEXT_KEYS.isdisjoint(a.keys()):
            self._context(a, span)

    def _usage(self, a: dict[str, Any], span: LlmSpan) -> None:
        if (v := _first_int(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")) is not None:
            span.input_tokens = v
        if (v := _first_int(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")) is not None:
            span.output_tokens = v
        if (v := _first_int(a, "gen_ai.usage.total_tokens")) is not None:
            span.total_tokens = v
        if (
            v := _first_int(a, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")
        ) is not None:
            span.cache_read_tokens = v
        v = _first_int(
            a,
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
        )
        if v is not None:
            span.cache_write_tokens = v
        if (
            v := _first_int(a, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens")
        ) is not None:
            span.reasoning_tokens = v

    def _messages(self, src: SpanSource, span: LlmSpan) -> None:
        a = src.attrs
        inputs = a.get("gen_ai.input.messages")
        outputs = a.get("gen_ai.output.messages")
        system = a.get("gen_ai.system_instructions")
        event_inputs: list[Message] = []
        event_outputs: list[Message] = []
        for ev in src.raw.events:
            name = ev.name
            if not name.startswith("gen_ai."):
                continue
            ea = ev.attributes
            if name == "gen_ai.client.inference.operation.details":
                inputs = inputs if inputs is not None else ea.get("gen_ai.input.messages")
                outputs = outputs if outputs is not None else ea.get("gen_ai.output.messages")
                system = system if system is not None else ea.get("gen_ai.system_instructions")
            elif name in _INPUT_EVENT_ROLES:
                msg = parse_message({**ea, "role": ea.get("role") or _INPUT_EVENT_ROLES[name]})
                if msg is not None:
                    event_inputs.append(msg)
            elif name == "gen_ai.choice":
                body = json_value(ea.get("message"))
                msg = parse_message(body if isinstance(body, dict) else ea, "assistant")
                if msg is not None:
                    if msg.finish_reason is None and ea.get("finish_reason") is not None:
                        msg.finish_reason = normalize_finish_reason(ea.get("finish_reason"))
                    event_outputs.append(msg)
            elif name == "gen_ai.content.prompt" and inputs is None:
                inputs = ea.get("gen_ai.prompt")
            elif name == "gen_ai.content.completion" and outputs is None:
                outputs = ea.get("gen_ai.completion")
        if inputs is not None:
            span.input_messages = parse_messages(inputs)
        elif event_inputs:
            span.input_messages = event_inputs
        if outputs is not None:
            span.output_messages = parse_messages(outputs, "assistant")
        elif event_outputs:
            span.output_messages = event_outputs
        if system is not None:
            span.system_instructions = text_of_parts(system)
        if span.output_messages:
            calls = [tc for m in span.output_messages for tc in m.tool_calls]
            if calls:
                span.tool_calls = calls
            if span.finish_reason is None:
                span.finish_reason = span.output_messages[0].finish_reason

    def _context(self, a: dict[str, Any], span: LlmSpan) -> None:
        if (v := as_str(a.get("gen_ai.conversation.id"))) is not None:
            span.session_id = v
        if (v := as_str(a.get("gen_ai.agent.name"))) is not None:
            span.agent_name = v
        if (v := as_str(a.get("gen_ai.tool.name"))) is not None:
            span.tool_name = v
        if (v := as_str(a.get("gen_ai.tool.call.id"))) is not None:
            span.tool_call_id = v
        if (v := a.get("gen_ai.tool.call.arguments")) is not None:
            span.tool_arguments = to_json_text(v)
        if (v := a.get("gen_ai.tool.call.result")) is not None:
            span.tool_result = to_json_text(v)
        if (v := as_str(a.get("gen_ai.retrieval.query.text"))) is not None:
            span.retrieval_query = v
        docs = json_value(a.get("gen_ai.retrieval.documents"))
        if isinstance(docs, list):
            span.retrieval_documents = [
                RetrievedDocument(
                    id=as_str(d.get("id")),
                    content=as_str(d.get("content")),
                    score=d.get("score") if isinstance(d.get("score"), (int, float)) else None,
                    metadata=d.get("metadata") if isinstance(d.get("metadata"), dict) else None,
                )
                for d in docs
                if isinstance(d, dict)
            ]
        if (v := as_str(a.get("gen_ai.prompt.name"))) is not None:
            span.prompt_name = v
        if (v := as_str(a.get("gen_ai.prompt.version"))) is not None:
            span.prompt_version = v
        if span.kind is SpanKind.OTHER and "gen_ai.evaluation.name" in a:
            span.kind = SpanKind.EVAL
