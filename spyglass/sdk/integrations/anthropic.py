"""The ``anthropic`` integration: ``messages.create`` (sync/async, ``stream=True``) and the
``messages.stream(...)`` helper (context manager, ``text_stream``, ``get_final_message``).

Anthropic reports ``input_tokens`` *excluding* prompt-cache reads and writes; OTel's
``gen_ai.usage.input_tokens`` includes them, so we record input + cache_read + cache_creation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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

PROVIDER = "anthropic"
# The anthropic SDK (≥2.x) emits its own CLIENT span per API call; when this integration is
# active that span duplicates ours (and its usage would be counted twice), so it is not exported.
SDK_SPAN_SCOPE = "com.anthropic.sdk.python"

_SETTINGS = {
    "max_tokens": A.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": A.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": A.GEN_AI_REQUEST_TOP_P,
    "top_k": A.GEN_AI_REQUEST_TOP_K,
    "stop_sequences": A.GEN_AI_REQUEST_STOP_SEQUENCES,
}


def _block_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": text(content)}]
    parts: list[dict[str, Any]] = []
    for block in items(content):
        kind = get(block, "type")
        if kind == "text":
            parts.append({"type": "text", "content": text(get(block, "text") or "")})
        elif kind == "tool_use":
            parts.append(
                {
                    "type": "tool_call",
                    "id": get(block, "id"),
                    "name": get(block, "name"),
                    "arguments": arguments_object(get(block, "input")),
                }
            )
        elif kind == "tool_result":
            result = get(block, "content")
            if not isinstance(result, str):
                result = "".join(get(b, "text") or "" for b in items(result))
            parts.append(
                {"type": "tool_call_response", "id": get(block, "tool_use_id"), "response": text(result)}
            )
        elif kind == "thinking":
            parts.append({"type": "reasoning", "content": text(get(block, "thinking") or "")})
        elif kind in ("image", "document"):
            source = get(block, "source")
            parts.append(
                {
                    "type": "blob",
                    "modality": "image" if kind == "image" else "document",
                    "mime_type": get(source, "media_type"),
                }
            )
        else:
            parts.append({"type": str(kind)})
    return parts


def messages_request(instance: Any, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    attrs = server_attributes(instance)
    attrs.update(setting_attributes(kwargs, _SETTINGS))
    if kwargs.get("stream") is True:
        attrs[A.GEN_AI_REQUEST_STREAM] = True
    tools = kwargs.get("tools")
    if given(tools) and tools:
        attrs[A.GEN_AI_TOOL_DEFINITIONS] = json_attr(
            [
                {
                    k: v
                    for k, v in {
                        "type": "function" if get(t, "input_schema") is not None else get(t, "type"),
                        "name": get(t, "name"),
                        "description": get(t, "description"),
                        "parameters": get(t, "input_schema"),
                    }.items()
                    if v is not None
                }
                for t in items(tools)
            ]
        )
    if content_enabled():
        system = kwargs.get("system")
        if given(system):
            attrs[A.GEN_AI_SYSTEM_INSTRUCTIONS] = json_attr(_block_parts(system))
        attrs[A.GEN_AI_INPUT_MESSAGES] = json_attr(
            [
                {"role": str(get(m, "role") or "user"), "parts": _block_parts(get(m, "content"))}
                for m in items(kwargs.get("messages"))
            ]
        )
    model = kwargs.get("model")
    return (model if isinstance(model, str) else None), attrs


def _usage_attributes(usage: Any) -> dict[str, Any]:
    if usage is None:
        return {}
    base = get(usage, "input_tokens")
    read = get(usage, "cache_read_input_tokens")
    write = get(usage, "cache_creation_input_tokens")
    out = get(usage, "output_tokens")
    total_input = None
    if isinstance(base, int):
        total_input = base + (read if isinstance(read, int) else 0) + (write if isinstance(write, int) else 0)
    return token_attributes(
        {
            A.GEN_AI_USAGE_INPUT_TOKENS: total_input,
            A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: read,
            A.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: write,
            A.GEN_AI_USAGE_OUTPUT_TOKENS: out,
        }
    )


def messages_response(message: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        A.GEN_AI_RESPONSE_MODEL: get(message, "model"),
        A.GEN_AI_RESPONSE_ID: get(message, "id"),
    }
    stop = get(message, "stop_reason")
    if stop:
        attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] = [str(stop)]
    attrs.update(_usage_attributes(get(message, "usage")))
    if content_enabled():
        msg: dict[str, Any] = {"role": "assistant", "parts": _block_parts(get(message, "content"))}
        if stop:
            msg["finish_reason"] = str(stop)
        attrs[A.GEN_AI_OUTPUT_MESSAGES] = json_attr([msg])
    return {k: v for k, v in attrs.items() if v is not None}


class RawStreamAccumulator:
    """Folds raw ``messages.create(stream=True)`` events into a message-like snapshot."""

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self.usage: dict[str, Any] = {}
        self.stop_reason: str | None = None
        self.blocks: dict[int, dict[str, Any]] = {}

    def add(self, event: Any) -> bool:
        kind = get(event, "type")
        if kind == "message_start":
            message = get(event, "message")
            self.id, self.model = get(message, "id"), get(message, "model")
            self._merge_usage(get(message, "usage"))
        elif kind == "content_block_start":
            block = get(event, "content_block")
            self.blocks[int(get(event, "index") or 0)] = {
                "type": get(block, "type"),
                "id": get(block, "id"),
                "name": get(block, "name"),
                "chunks": [],
            }
            return get(block, "type") == "tool_use"
        elif kind == "content_block_delta":
            delta = get(event, "delta")
            piece = get(delta, "text") or get(delta, "partial_json") or get(delta, "thinking")
            slot = self.blocks.setdefault(int(get(event, "index") or 0), {"type": "text", "chunks": []})
            if piece:
                slot["chunks"].append(piece)
            return bool(piece)
        elif kind == "message_delta":
            self.stop_reason = get(get(event, "delta"), "stop_reason") or self.stop_reason
            self._merge_usage(get(event, "usage"))
        return False

    def _merge_usage(self, usage: Any) -> None:
        for key in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = get(usage, key)
            if isinstance(value, int):
                self.usage[key] = value

    def attributes(self) -> dict[str, Any]:
        content = []
        for _, block in sorted(self.blocks.items()):
            joined = "".join(block["chunks"])
            if block.get("type") == "tool_use":
                content.append(
                    {
                        "type": "tool_use",
                        "id": block.get("id"),
                        "name": block.get("name"),
                        "input": joined or "{}",
                    }
                )
            elif block.get("type") == "thinking":
                content.append({"type": "thinking", "thinking": joined})
            else:
                content.append({"type": "text", "text": joined})
        return messages_response(
            {
                "id": self.id,
                "model": self.model,
                "stop_reason": self.stop_reason,
                "usage": self.usage or None,
                "content": content,
            }
        )


def _raw_stream(kwargs: dict[str, Any]) -> RawStreamAccumulator | None:
    return RawStreamAccumulator() if kwargs.get("stream") is True else None


# --- the messages.stream(...) helper ----------------------------------------------------------


class HelperStreamAccumulator:
    """For ``MessageStream``: TTFT from its events, the result from its public snapshot."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def add(self, event: Any) -> bool:
        kind = get(event, "type")
        if kind == "content_block_delta":
            delta = get(event, "delta")
            return bool(get(delta, "text") or get(delta, "partial_json") or get(delta, "thinking"))
        return False

    def attributes(self) -> dict[str, Any]:
        try:
            snapshot = self._stream.current_message_snapshot
        except Exception:  # no message_start yet (the stream failed before the first event)
            return {}
        return messages_response(snapshot)


class MessageStreamProxy(SyncStreamProxy):
    """``MessageStream`` with ``text_stream``/``until_done``/``get_final_*`` routed through the proxy,
    so the chunks they consume are observed."""

    @property
    def text_stream(self) -> Iterator[str]:
        for event in self:
            if (
                get(event, "type") == "content_block_delta"
                and get(get(event, "delta"), "type") == "text_delta"
            ):
                yield get(get(event, "delta"), "text")

    def until_done(self) -> None:
        for _ in self:
            pass

    def get_final_message(self) -> Any:
        self.until_done()
        return self.__wrapped__.get_final_message()

    def get_final_text(self) -> str:
        self.until_done()
        return self.__wrapped__.get_final_text()


class AsyncMessageStreamProxy(AsyncStreamProxy):
    @property
    def text_stream(self) -> AsyncIterator[str]:
        async def gen() -> AsyncIterator[str]:
            async for event in self:
                if (
                    get(event, "type") == "content_block_delta"
                    and get(get(event, "delta"), "type") == "text_delta"
                ):
                    yield get(get(event, "delta"), "text")

        return gen()

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def get_final_message(self) -> Any:
        await self.until_done()
        return await self.__wrapped__.get_final_message()

    async def get_final_text(self) -> str:
        await self.until_done()
        return await self.__wrapped__.get_final_text()


MESSAGES = Operation(PROVIDER, "chat", messages_request, messages_response, _raw_stream)
MESSAGES_STREAM_HELPER = Operation(
    PROVIDER,
    "chat",
    streaming_request(messages_request),
    messages_response,
    wrap=wrap_stream_manager(
        helper_stream(MessageStreamProxy, AsyncMessageStreamProxy, HelperStreamAccumulator)
    ),
)

_MODULE = "anthropic.resources.messages.messages"

PATCHES: tuple[Patch, ...] = (
    Patch(_MODULE, "Messages.create", sync_wrapper(MESSAGES)),
    Patch(_MODULE, "AsyncMessages.create", async_wrapper(MESSAGES)),
    Patch(_MODULE, "Messages.stream", sync_wrapper(MESSAGES_STREAM_HELPER)),
    # AsyncMessages.stream is a plain function returning an async context manager.
    Patch(_MODULE, "AsyncMessages.stream", sync_wrapper(MESSAGES_STREAM_HELPER)),
)


class AnthropicIntegration(Integration):
    identifier = "anthropic"
    package = "anthropic"
    min_version = (0, 40)

    def patches(self) -> tuple[Patch, ...]:
        return PATCHES

    def install(self) -> None:
        super().install()
        from spyglass.sdk import client

        client.suppress_scope(SDK_SPAN_SCOPE)

    def uninstall(self) -> None:
        super().uninstall()
        from spyglass.sdk import client

        client.unsuppress_scope(SDK_SPAN_SCOPE)
