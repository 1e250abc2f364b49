"""The ``openai`` integration: chat completions (create/parse, sync/async, streams), the
Responses API and embeddings. Patches are a data table; this module only describes how to
read requests, responses and stream chunks into OTel GenAI attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spyglass.model import attributes as A
from spyglass.sdk.integrations._genai import (
    arguments_object,
    content_enabled,
    get,
    given,
    items,
    json_attr,
    server_attributes,
    setting_attributes,
    text,
    token_attributes,
)
from spyglass.sdk.integrations._stream import (
    AsyncStreamProxy,
    SyncStreamProxy,
    helper_stream,
    wrap_stream_manager,
)
from spyglass.sdk.integrations._wrappers import Operation, async_wrapper, streaming_request, sync_wrapper
from spyglass.sdk.integrations.base import Integration, Patch

PROVIDER = "openai"

_CHAT_SETTINGS = {
    "temperature": A.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": A.GEN_AI_REQUEST_TOP_P,
    "seed": A.GEN_AI_REQUEST_SEED,
    "stop": A.GEN_AI_REQUEST_STOP_SEQUENCES,
    "frequency_penalty": A.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": A.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "reasoning_effort": A.GEN_AI_REQUEST_REASONING_LEVEL,
}


# --- request side ----------------------------------------------------------------------


def _schema_of(response_format: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(gen_ai.output.type, JSON schema) for a chat ``response_format`` or Responses ``text.format``."""
    if not given(response_format):
        return None, None
    if isinstance(response_format, type):  # parse(response_format=PydanticModel)
        schema_fn = getattr(response_format, "model_json_schema", None)
        return "json", schema_fn() if callable(schema_fn) else None
    kind = get(response_format, "type")
    if kind == "json_schema":
        inner = get(response_format, "json_schema") or response_format  # chat nests it; Responses does not
        schema = get(inner, "schema")
        return "json", dict(schema) if isinstance(schema, dict) else None
    if kind == "json_object":
        return "json", None
    if kind == "text":
        return "text", None
    return None, None


def _tool_definitions(tools: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in items(tools):
        fn = get(tool, "function")
        if fn is not None:  # chat completions shape
            out.append(
                {
                    "type": "function",
                    "name": get(fn, "name"),
                    "description": get(fn, "description"),
                    "parameters": get(fn, "parameters"),
                }
            )
        elif get(tool, "type") == "function":  # Responses shape
            out.append(
                {
                    "type": "function",
                    "name": get(tool, "name"),
                    "description": get(tool, "description"),
                    "parameters": get(tool, "parameters"),
                }
            )
        else:
            out.append({"type": str(get(tool, "type"))})
    return [{k: v for k, v in d.items() if v is not None} for d in out]


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": text(content)}]
    parts: list[dict[str, Any]] = []
    for part in items(content):
        kind = get(part, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "text", "content": text(get(part, "text") or "")})
        elif kind in ("image_url", "input_image"):
            url = get(get(part, "image_url"), "url") if kind == "image_url" else get(part, "image_url")
            if isinstance(url, str) and url.startswith("data:"):
                parts.append({"type": "blob", "modality": "image", "mime_type": url[5:].split(";")[0]})
            else:
                parts.append({"type": "uri", "modality": "image", "uri": url})
        elif kind in ("input_audio",):
            parts.append({"type": "blob", "modality": "audio"})
        elif kind in ("file", "input_file"):
            parts.append(
                {"type": "file", "file_id": get(get(part, "file"), "file_id") or get(part, "file_id")}
            )
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": text(get(part, "refusal") or "")})
        else:
            parts.append({"type": str(kind)})
    return parts


def _chat_input_messages(messages: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for msg in items(messages):
        role = str(get(msg, "role") or "user")
        if role == "tool":
            out.append(
                {
                    "role": "tool",
                    "parts": [
                        {
                            "type": "tool_call_response",
                            "id": get(msg, "tool_call_id"),
                            "response": text(get(msg, "content") or ""),
                        }
                    ],
                }
            )
            continue
        parts = _content_parts(get(msg, "content"))
        for call in items(get(msg, "tool_calls")):
            fn = get(call, "function")
            parts.append(
                {
                    "type": "tool_call",
                    "id": get(call, "id"),
                    "name": get(fn, "name"),
                    "arguments": arguments_object(get(fn, "arguments")),
                }
            )
        entry: dict[str, Any] = {"role": "system" if role == "developer" else role, "parts": parts}
        if get(msg, "name"):
            entry["name"] = get(msg, "name")
        out.append(entry)
    return out


def _expected_output_attributes(output_type: str | None, schema: Any, tools: Any) -> dict[str, Any]:
    """What a chat or Responses request says it expects back: the structured output type,
    its JSON schema, the tool definitions (only those given)."""
    attrs: dict[str, Any] = {}
    if output_type:
        attrs[A.GEN_AI_OUTPUT_TYPE] = output_type
    if schema is not None:
        attrs[A.OUTPUT_JSON_SCHEMA] = json_attr(schema)
    if given(tools) and tools:
        attrs[A.GEN_AI_TOOL_DEFINITIONS] = json_attr(_tool_definitions(tools))
    return attrs


def chat_request(instance: Any, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    attrs = server_attributes(instance)
    attrs.update(setting_attributes(kwargs, _CHAT_SETTINGS))
    max_tokens = kwargs.get("max_completion_tokens")
    if not given(max_tokens):
        max_tokens = kwargs.get("max_tokens")
    if given(max_tokens):
        attrs[A.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    n = kwargs.get("n")
    if given(n) and n != 1:
        attrs[A.GEN_AI_REQUEST_CHOICE_COUNT] = n
    if kwargs.get("stream") is True:
        attrs[A.GEN_AI_REQUEST_STREAM] = True
    output_type, schema = _schema_of(kwargs.get("response_format"))
    attrs.update(_expected_output_attributes(output_type, schema, kwargs.get("tools")))
    if content_enabled():
        attrs[A.GEN_AI_INPUT_MESSAGES] = json_attr(_chat_input_messages(kwargs.get("messages")))
    model = kwargs.get("model")
    return (model if isinstance(model, str) else None), attrs


# --- response side ---------------------------------------------------------------------


def _usage_attributes(usage: Any, *, responses_api: bool = False) -> dict[str, Any]:
    if usage is None:
        return {}
    if responses_api:
        inp, out = get(usage, "input_tokens"), get(usage, "output_tokens")
        cached = get(get(usage, "input_tokens_details"), "cached_tokens")
        reasoning = get(get(usage, "output_tokens_details"), "reasoning_tokens")
    else:  # chat: prompt_tokens already INCLUDES cached tokens (as OTel wants)
        inp, out = get(usage, "prompt_tokens"), get(usage, "completion_tokens")
        cached = get(get(usage, "prompt_tokens_details"), "cached_tokens")
        reasoning = get(get(usage, "completion_tokens_details"), "reasoning_tokens")
    return token_attributes(
        {
            A.GEN_AI_USAGE_INPUT_TOKENS: inp,
            A.GEN_AI_USAGE_OUTPUT_TOKENS: out,
            A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: cached,
            A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: reasoning,
        }
    )


def _output_message(
    content: str | None, refusal: str | None, tool_calls: Sequence[dict[str, Any]], finish_reason: str | None
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if content:
        parts.append({"type": "text", "content": text(content)})
    if refusal:
        parts.append({"type": "refusal", "content": text(refusal)})
    for call in tool_calls:
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": call.get("name"),
                "arguments": arguments_object(call.get("arguments")),
            }
        )
    msg: dict[str, Any] = {"role": "assistant", "parts": parts}
    if finish_reason:
        msg["finish_reason"] = finish_reason
    return msg


def chat_response(resp: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        A.GEN_AI_RESPONSE_MODEL: get(resp, "model"),
        A.GEN_AI_RESPONSE_ID: get(resp, "id"),
    }
    choices = get(resp, "choices") or []
    reasons = [str(get(c, "finish_reason")) for c in choices if get(c, "finish_reason")]
    if reasons:
        attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    attrs.update(_usage_attributes(get(resp, "usage")))
    tier, fingerprint = get(resp, "service_tier"), get(resp, "system_fingerprint")
    if isinstance(tier, str):
        attrs[A.OPENAI_RESPONSE_SERVICE_TIER] = tier
    if isinstance(fingerprint, str):
        attrs[A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    if content_enabled() and choices:
        messages = []
        for choice in choices:
            msg = get(choice, "message")
            calls = [
                {
                    "id": get(c, "id"),
                    "name": get(get(c, "function"), "name"),
                    "arguments": get(get(c, "function"), "arguments"),
                }
                for c in get(msg, "tool_calls") or ()
            ]
            messages.append(
                _output_message(get(msg, "content"), get(msg, "refusal"), calls, get(choice, "finish_reason"))
            )
        attrs[A.GEN_AI_OUTPUT_MESSAGES] = json_attr(messages)
    return {k: v for k, v in attrs.items() if v is not None}


class _Obj:
    """Attribute view of a dict chunk (nested dicts stay reachable through ``get``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        value = self._data.get(name)
        if isinstance(value, dict):
            return _Obj(value)
        if isinstance(value, list):
            return [_Obj(v) if isinstance(v, dict) else v for v in value]
        return value


class ChatStreamAccumulator:
    """Folds ``ChatCompletionChunk``s: text, refusal and tool-call deltas per choice, final usage."""

    def __init__(self) -> None:
        self.model: str | None = None
        self.id: str | None = None
        self.usage: Any = None
        self.service_tier: str | None = None
        self.choices: dict[int, dict[str, Any]] = {}

    def _choice(self, index: int) -> dict[str, Any]:
        return self.choices.setdefault(index, {"text": [], "refusal": [], "tools": {}, "finish": None})

    def add(self, chunk: Any) -> bool:
        # Runs once per chunk on the app's thread: plain getattr on the SDK's pydantic objects.
        if type(chunk) is dict:  # only when a caller hands us raw JSON
            chunk = _Obj(chunk)
        # Assign only what changed (the last non-empty value wins), reading each field once.
        model = chunk.model
        if model:
            self.model = model
        chunk_id = chunk.id
        if chunk_id:
            self.id = chunk_id
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        tier = getattr(chunk, "service_tier", None)
        if tier:
            self.service_tier = tier
        choices = chunk.choices
        if not choices:
            return False
        has_content = False
        for choice in choices:
            index = choice.index or 0
            state = self.choices.get(index) or self._choice(index)
            delta = choice.delta
            if delta is not None:
                piece = getattr(delta, "content", None)
                if piece:
                    state["text"].append(piece)
                    has_content = True
                refusal = getattr(delta, "refusal", None)
                if refusal:
                    state["refusal"].append(refusal)
                    has_content = True
                calls = getattr(delta, "tool_calls", None)
                if calls:
                    has_content = True
                    for call in calls:
                        slot = state["tools"].setdefault(
                            int(get(call, "index") or 0), {"id": None, "name": None, "arguments": []}
                        )
                        slot["id"] = get(call, "id") or slot["id"]
                        fn = get(call, "function")
                        slot["name"] = get(fn, "name") or slot["name"]
                        if get(fn, "arguments"):
                            slot["arguments"].append(get(fn, "arguments"))
            if choice.finish_reason:
                state["finish"] = str(choice.finish_reason)
        return has_content

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {A.GEN_AI_RESPONSE_MODEL: self.model, A.GEN_AI_RESPONSE_ID: self.id}
        ordered = [self.choices[i] for i in sorted(self.choices)]
        reasons = [c["finish"] for c in ordered if c["finish"]]
        if reasons:
            attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        attrs.update(_usage_attributes(self.usage))
        if self.service_tier:
            attrs[A.OPENAI_RESPONSE_SERVICE_TIER] = self.service_tier
        if content_enabled() and ordered:
            messages = []
            for c in ordered:
                calls = [
                    {"id": t["id"], "name": t["name"], "arguments": "".join(t["arguments"])}
                    for _, t in sorted(c["tools"].items())
                ]
                messages.append(
                    _output_message(
                        "".join(c["text"]) or None, "".join(c["refusal"]) or None, calls, c["finish"]
                    )
                )
            attrs[A.GEN_AI_OUTPUT_MESSAGES] = json_attr(messages)
        return {k: v for k, v in attrs.items() if v is not None}


def _chat_stream(kwargs: dict[str, Any]) -> ChatStreamAccumulator | None:
    return ChatStreamAccumulator() if kwargs.get("stream") is True else None


# --- Responses API ---------------------------------------------------------------------


def _responses_input_messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "parts": [{"type": "text", "content": text(value)}]}]
    out: list[dict[str, Any]] = []
    for item in items(value):
        kind = get(item, "type")
        if kind == "function_call_output":
            out.append(
                {
                    "role": "tool",
                    "parts": [
                        {
                            "type": "tool_call_response",
                            "id": get(item, "call_id"),
                            "response": text(get(item, "output") or ""),
                        }
                    ],
                }
            )
        elif kind == "function_call":
            out.append(
                {
                    "role": "assistant",
                    "parts": [
                        {
                            "type": "tool_call",
                            "id": get(item, "call_id"),
                            "name": get(item, "name"),
                            "arguments": arguments_object(get(item, "arguments")),
                        }
                    ],
                }
            )
        elif get(item, "role") is not None:
            role = str(get(item, "role"))
            out.append(
                {
                    "role": "system" if role == "developer" else role,
                    "parts": _content_parts(get(item, "content")),
                }
            )
    return out


def responses_request(instance: Any, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    attrs = server_attributes(instance)
    attrs.update(
        setting_attributes(
            kwargs,
            {
                "temperature": A.GEN_AI_REQUEST_TEMPERATURE,
                "top_p": A.GEN_AI_REQUEST_TOP_P,
                "max_output_tokens": A.GEN_AI_REQUEST_MAX_TOKENS,
            },
        )
    )
    effort = get(kwargs.get("reasoning"), "effort")
    if given(effort) and isinstance(effort, str):
        attrs[A.GEN_AI_REQUEST_REASONING_LEVEL] = effort
    if kwargs.get("stream") is True:
        attrs[A.GEN_AI_REQUEST_STREAM] = True
    text_cfg = kwargs.get("text")
    text_format = kwargs.get("text_format")  # responses.parse(text_format=PydanticModel)
    if given(text_format):
        output_type, schema = _schema_of(text_format)
    else:
        output_type, schema = _schema_of(get(text_cfg, "format") if given(text_cfg) else None)
    attrs.update(_expected_output_attributes(output_type, schema, kwargs.get("tools")))
    if content_enabled():
        instructions = kwargs.get("instructions")
        if given(instructions) and isinstance(instructions, str):
            attrs[A.GEN_AI_SYSTEM_INSTRUCTIONS] = json_attr([{"type": "text", "content": text(instructions)}])
        if given(kwargs.get("input")):
            attrs[A.GEN_AI_INPUT_MESSAGES] = json_attr(_responses_input_messages(kwargs.get("input")))
    model = kwargs.get("model")
    return (model if isinstance(model, str) else None), attrs


def responses_response(resp: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        A.GEN_AI_RESPONSE_MODEL: get(resp, "model"),
        A.GEN_AI_RESPONSE_ID: get(resp, "id"),
    }
    attrs.update(_usage_attributes(get(resp, "usage"), responses_api=True))
    texts: list[str] = []
    refusals: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in get(resp, "output") or ():
        kind = get(item, "type")
        if kind == "message":
            for part in get(item, "content") or ():
                if get(part, "type") == "output_text":
                    texts.append(get(part, "text") or "")
                elif get(part, "type") == "refusal":
                    refusals.append(get(part, "refusal") or "")
        elif kind == "function_call":
            calls.append(
                {"id": get(item, "call_id"), "name": get(item, "name"), "arguments": get(item, "arguments")}
            )
    status = get(resp, "status")
    finish: str | None = None
    if status == "completed":
        finish = "tool_call" if calls else "stop"
    elif status == "incomplete":
        reason = get(get(resp, "incomplete_details"), "reason")
        finish = "length" if reason == "max_output_tokens" else (str(reason) if reason else "incomplete")
    elif status in ("failed", "cancelled"):
        finish = "error"
    if finish:
        attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] = [finish]
    if content_enabled() and (texts or refusals or calls):
        attrs[A.GEN_AI_OUTPUT_MESSAGES] = json_attr(
            [_output_message("".join(texts) or None, "".join(refusals) or None, calls, finish)]
        )
    return {k: v for k, v in attrs.items() if v is not None}


class ResponsesStreamAccumulator:
    """Folds Responses API stream events; the terminal event carries the full response."""

    _CONTENT_EVENTS = frozenset(
        {
            "response.output_text.delta",
            "response.refusal.delta",
            "response.function_call_arguments.delta",
            "response.output_item.added",
        }
    )

    def __init__(self) -> None:
        self.partial: Any = None
        self.final: Any = None
        self.text: list[str] = []

    def add(self, event: Any) -> bool:
        kind = get(event, "type")
        if kind in ("response.created", "response.in_progress"):
            self.partial = get(event, "response")
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            self.final = get(event, "response")
        elif kind == "response.output_text.delta":
            self.text.append(get(event, "delta") or "")
        if kind == "response.output_item.added":
            return get(get(event, "item"), "type") == "function_call"
        return kind in self._CONTENT_EVENTS

    def attributes(self) -> dict[str, Any]:
        if self.final is not None:
            return responses_response(self.final)
        attrs = responses_response(self.partial) if self.partial is not None else {}
        if content_enabled() and self.text:
            attrs[A.GEN_AI_OUTPUT_MESSAGES] = json_attr([_output_message("".join(self.text), None, [], None)])
        return attrs


def _responses_stream(kwargs: dict[str, Any]) -> ResponsesStreamAccumulator | None:
    return ResponsesStreamAccumulator() if kwargs.get("stream") is True else None


class ResponseStreamProxy(SyncStreamProxy):
    """``ResponseStream`` (from ``responses.stream(...)``) with its consuming helpers routed
    through the proxy, so every event they read is observed."""

    def until_done(self) -> ResponseStreamProxy:
        for _ in self:
            pass
        return self

    def get_final_response(self) -> Any:
        self.until_done()
        return self.__wrapped__.get_final_response()


class AsyncResponseStreamProxy(AsyncStreamProxy):
    async def until_done(self) -> AsyncResponseStreamProxy:
        async for _ in self:
            pass
        return self

    async def get_final_response(self) -> Any:
        await self.until_done()
        return await self.__wrapped__.get_final_response()


# --- embeddings ------------------------------------------------------------------------


def embeddings_request(instance: Any, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    attrs = server_attributes(instance)
    fmt = kwargs.get("encoding_format")
    if given(fmt):
        attrs["gen_ai.request.encoding_formats"] = [str(fmt)]
    dims = kwargs.get("dimensions")
    if given(dims):
        attrs[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
    value = kwargs.get("input")
    if content_enabled() and isinstance(value, (str, list)):
        attrs[A.INPUT] = text(value if isinstance(value, str) else json_attr(value))
    model = kwargs.get("model")
    return (model if isinstance(model, str) else None), attrs


def embeddings_response(resp: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {A.GEN_AI_RESPONSE_MODEL: get(resp, "model")}
    usage = get(resp, "usage")
    tokens = get(usage, "prompt_tokens")
    if isinstance(tokens, int):
        attrs[A.GEN_AI_USAGE_INPUT_TOKENS] = tokens
    data = get(resp, "data") or []
    vector = get(data[0], "embedding") if data else None
    if isinstance(vector, list):
        attrs[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
    elif isinstance(vector, str) and vector:
        # base64 of float32s (the wire format the SDK asks for by default, and what a raw
        # response body holds): the count from the length, without decoding.
        padding = len(vector) - len(vector.rstrip("="))
        attrs[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = (len(vector) * 3 // 4 - padding) // 4
    return {k: v for k, v in attrs.items() if v is not None}


CHAT = Operation(PROVIDER, "chat", chat_request, chat_response, _chat_stream)
RESPONSES = Operation(PROVIDER, "chat", responses_request, responses_response, _responses_stream)
EMBEDDINGS = Operation(PROVIDER, "embeddings", embeddings_request, embeddings_response)
RESPONSES_STREAM_HELPER = Operation(
    PROVIDER,
    "chat",
    streaming_request(responses_request),
    responses_response,
    wrap=wrap_stream_manager(
        helper_stream(
            ResponseStreamProxy, AsyncResponseStreamProxy, lambda stream: ResponsesStreamAccumulator()
        )
    ),
)

_CHAT_MODULE = "openai.resources.chat.completions.completions"
_RESPONSES_MODULE = "openai.resources.responses.responses"
_EMBEDDINGS_MODULE = "openai.resources.embeddings"

PATCHES: tuple[Patch, ...] = (
    Patch(_CHAT_MODULE, "Completions.create", sync_wrapper(CHAT)),
    Patch(_CHAT_MODULE, "AsyncCompletions.create", async_wrapper(CHAT)),
    Patch(_CHAT_MODULE, "Completions.parse", sync_wrapper(CHAT)),
    Patch(_CHAT_MODULE, "AsyncCompletions.parse", async_wrapper(CHAT)),
    Patch(_RESPONSES_MODULE, "Responses.create", sync_wrapper(RESPONSES)),
    Patch(_RESPONSES_MODULE, "AsyncResponses.create", async_wrapper(RESPONSES)),
    Patch(_RESPONSES_MODULE, "Responses.parse", sync_wrapper(RESPONSES)),
    Patch(_RESPONSES_MODULE, "AsyncResponses.parse", async_wrapper(RESPONSES)),
    # responses.stream(...) returns a context manager (a plain function, also on AsyncResponses).
    Patch(_RESPONSES_MODULE, "Responses.stream", sync_wrapper(RESPONSES_STREAM_HELPER)),
    Patch(_RESPONSES_MODULE, "AsyncResponses.stream", sync_wrapper(RESPONSES_STREAM_HELPER)),
    # openai < 1.92 kept structured outputs under beta (rows for absent targets are skipped).
    Patch("openai.resources.beta.chat.completions", "Completions.parse", sync_wrapper(CHAT)),
    Patch("openai.resources.beta.chat.completions", "AsyncCompletions.parse", async_wrapper(CHAT)),
    Patch(_EMBEDDINGS_MODULE, "Embeddings.create", sync_wrapper(EMBEDDINGS)),
    Patch(_EMBEDDINGS_MODULE, "AsyncEmbeddings.create", async_wrapper(EMBEDDINGS)),
)


class OpenAIIntegration(Integration):
    identifier = "openai"
    package = "openai"
    min_version = (1, 50)

    def patches(self) -> tuple[Patch, ...]:
        return PATCHES
