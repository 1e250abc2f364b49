"""The real ``anthropic`` SDK over an in-process transport."""

from __future__ import annotations

import asyncio
import json

import anthropic
import pytest

from spyglass.model import attributes as A
from spyglass.testing.capture import SpanCapture, attrs
from tests.sdk import mock_providers as mp

pytestmark = pytest.mark.unit

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def _check_cache_usage(a: dict) -> None:
    # Anthropic's input_tokens (5) EXCLUDES the cache; ours includes reads (100) and writes (20).
    assert a[A.GEN_AI_USAGE_INPUT_TOKENS] == 125
    assert a[A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 100
    assert a[A.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] == 20
    assert a[A.GEN_AI_USAGE_OUTPUT_TOKENS] == 7


def test_create_with_tools_and_cache_tokens(cap: SpanCapture) -> None:
    msg = mp.anthropic_client().messages.create(
        model="claude-sonnet-4-5", max_tokens=64, system="Be brief.", messages=MESSAGES, tools=TOOLS
    )
    assert msg.stop_reason == "tool_use"
    span = cap.one()  # the anthropic SDK's own duplicate CLIENT span is not exported
    a = attrs(span)
    assert span.name == "chat claude-sonnet-4-5"
    assert a[A.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert a[A.GEN_AI_RESPONSE_MODEL] == mp.CLAUDE_SNAPSHOT and a[A.GEN_AI_RESPONSE_ID] == "msg_01"
    assert a[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_use",)
    assert a[A.GEN_AI_REQUEST_MAX_TOKENS] == 64
    _check_cache_usage(a)
    assert json.loads(a[A.GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(a[A.GEN_AI_TOOL_DEFINITIONS])[0]["name"] == "get_weather"
    parts = json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"]
    assert parts[1] == {
        "type": "tool_call",
        "id": "toolu_1",
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }


def test_create_stream_true(cap: SpanCapture) -> None:
    stream = mp.anthropic_client().messages.create(
        model="claude-sonnet-4-5", max_tokens=64, messages=MESSAGES, stream=True
    )
    assert isinstance(stream, anthropic.Stream)
    assert [e.type for e in stream][-1] == "message_stop"
    span = cap.one()
    a = attrs(span)
    _check_cache_usage(a)
    assert 0 < a[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] * 1e9 < span.end_time - span.start_time
    parts = json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"]
    assert parts[0] == {"type": "text", "content": "Hello"}
    assert parts[1]["name"] == "get_weather" and parts[1]["arguments"] == {"city": "Paris"}


def test_stream_helper_text_stream_and_final_message(cap: SpanCapture) -> None:
    client = mp.anthropic_client()
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=MESSAGES) as stream:
        assert "".join(stream.text_stream) == "Hello"
        final = stream.get_final_message()
    assert final.usage.cache_read_input_tokens == 100
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=MESSAGES) as stream:
        stream.get_final_message()
    spans = cap.spans()
    assert len(spans) == 2
    for span in spans:
        a = attrs(span)
        _check_cache_usage(a)
        assert a[A.GEN_AI_REQUEST_STREAM] is True
        assert a[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_use",)
        assert 0 < a[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] * 1e9 < span.end_time - span.start_time


def test_async_create_stream_and_helper(cap: SpanCapture) -> None:
    async def run() -> str:
        client = mp.async_anthropic_client()
        await client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=MESSAGES)
        stream = await client.messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=MESSAGES, stream=True
        )
        async for _ in stream:
            pass
        async with client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=64, messages=MESSAGES
        ) as helper:
            return "".join([t async for t in helper.text_stream])

    assert asyncio.run(run()) == "Hello"
    spans = cap.spans()
    assert len(spans) == 3
    for span in spans:
        _check_cache_usage(attrs(span))


def test_overloaded_error_is_classed_and_reraised(cap: SpanCapture) -> None:
    handler = mp.error_handler(
        529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    )
    with pytest.raises(anthropic.APIStatusError) as raised:
        mp.anthropic_client(handler).messages.create(
            model="claude-sonnet-4-5", max_tokens=8, messages=MESSAGES
        )
    assert raised.value.status_code == 529
    a = attrs(cap.one())
    assert a[A.ERROR_CLASS] == "provider_5xx" and a[A.ERROR_TYPE] == type(raised.value).__qualname__


def test_generator_messages_reach_the_provider_unconsumed(cap: SpanCapture) -> None:
    seen: list[dict] = []

    def handler(request):
        seen.append(json.loads(request.content))
        return mp.default_handler(request)

    msgs = (m for m in MESSAGES)
    mp.anthropic_client(handler).messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=msgs)
    assert seen[0]["messages"] == MESSAGES
