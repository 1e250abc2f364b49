"""The real ``openai`` SDK over an in-process transport: what our spans carry for every call type."""

from __future__ import annotations

import asyncio
import gc
import json

import openai
import pydantic
import pytest

from spyglass.model import attributes as A
from spyglass.sdk.integrations.openai import OpenAIIntegration
from spyglass.testing.capture import SpanCapture, attrs
from tests.sdk import mock_providers as mp

pytestmark = pytest.mark.unit

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is my order?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "find an order",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        },
    }
]


def _check_usage(a: dict) -> None:
    assert a[A.GEN_AI_USAGE_INPUT_TOKENS] == 50  # includes the 20 cached
    assert a[A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 20
    assert a[A.GEN_AI_USAGE_OUTPUT_TOKENS] == 12
    assert a[A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 4


def test_chat_create_records_request_snapshot_usage_and_messages(cap: SpanCapture) -> None:
    result = mp.openai_client().chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=100, seed=3
    )
    assert result.choices[0].message.content == "Hello there"
    span = cap.one()
    a = attrs(span)
    assert span.name == "chat gpt-4o-mini"
    assert a[A.GEN_AI_PROVIDER_NAME] == "openai" and a[A.GEN_AI_OPERATION_NAME] == "chat"
    assert a[A.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert a[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT
    assert a[A.GEN_AI_RESPONSE_ID] == "chatcmpl-1"
    assert a[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[A.GEN_AI_REQUEST_TEMPERATURE] == 0.2 and a[A.GEN_AI_REQUEST_MAX_TOKENS] == 100
    assert a[A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] == "fp_1"
    _check_usage(a)
    inp = json.loads(a[A.GEN_AI_INPUT_MESSAGES])
    assert inp[1] == {"role": "user", "parts": [{"type": "text", "content": "Where is my order?"}]}
    out = json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])
    assert out[0]["parts"][0]["content"] == "Hello there" and out[0]["finish_reason"] == "stop"
    assert A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK not in a  # not a stream
    assert span.status.is_ok


def test_chat_tool_call(cap: SpanCapture) -> None:
    mp.openai_client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS)
    a = attrs(cap.one())
    assert a[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    defs = json.loads(a[A.GEN_AI_TOOL_DEFINITIONS])
    assert defs[0]["name"] == "lookup_order" and defs[0]["type"] == "function"
    part = json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]
    assert part == {
        "type": "tool_call",
        "id": "call_1",
        "name": "lookup_order",
        "arguments": {"order_id": "A1"},
    }


@pytest.mark.parametrize("include_usage", [True, False])
def test_chat_stream_ttft_text_and_usage(cap: SpanCapture, include_usage: bool) -> None:
    kwargs = {"stream_options": {"include_usage": True}} if include_usage else {}
    stream = mp.openai_client().chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, **kwargs
    )
    assert isinstance(stream, openai.Stream)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello!"
    span = cap.one()
    a = attrs(span)
    assert a[A.GEN_AI_REQUEST_STREAM] is True
    ttft_s = a[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]
    assert 0 < ttft_s * 1e9 < span.end_time - span.start_time
    assert a[A.TTFT_MS] == pytest.approx(ttft_s * 1000)
    assert json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["content"] == "Hello!"
    assert a[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT
    if include_usage:
        _check_usage(a)
    else:
        assert A.GEN_AI_USAGE_INPUT_TOKENS not in a  # not reported = absent, never zero


def test_chat_stream_tool_call_deltas_are_assembled(cap: SpanCapture) -> None:
    stream = mp.openai_client().chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS, stream=True
    )
    list(stream)
    a = attrs(cap.one())
    part = json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]
    assert part == {
        "type": "tool_call",
        "id": "call_1",
        "name": "lookup_order",
        "arguments": {"order_id": "A1"},
    }
    assert A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in a


def test_stream_finishes_on_close_context_exit_and_gc(cap: SpanCapture) -> None:
    client = mp.openai_client()
    s1 = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(iter(s1))
    s1.close()
    with client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as s2:
        next(iter(s2))
    s3 = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(iter(s3))
    del s3
    gc.collect()
    assert len(cap.spans()) == 3  # each finished exactly once


def test_parse_records_json_schema(cap: SpanCapture) -> None:
    class Invoice(pydantic.BaseModel):
        total: float
        currency: str

    result = mp.openai_client().chat.completions.parse(
        model="gpt-4o-mini", messages=MESSAGES, response_format=Invoice
    )
    assert result.choices[0].message.parsed == Invoice(total=12.5, currency="EUR")
    a = attrs(cap.one())  # one span: parse is not double-counted through create
    schema = json.loads(a[A.OUTPUT_JSON_SCHEMA])
    assert set(schema["properties"]) == {"total", "currency"}
    assert a[A.GEN_AI_OUTPUT_TYPE] == "json"


def test_responses_api_sync_and_stream(cap: SpanCapture) -> None:
    client = mp.openai_client()
    resp = client.responses.create(model="gpt-4o-mini", input="Capital of France?", instructions="Be terse.")
    assert resp.output_text == "Paris"
    events = list(client.responses.create(model="gpt-4o-mini", input="Capital of France?", stream=True))
    assert events[-1].type == "response.completed"
    plain, streamed = sorted(cap.spans(), key=lambda s: s.start_time)
    for span in (plain, streamed):
        a = attrs(span)
        assert a[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT and a[A.GEN_AI_RESPONSE_ID] == "resp_1"
        assert a[A.GEN_AI_USAGE_INPUT_TOKENS] == 30 and a[A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 10
        assert a[A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 2
        assert a[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
        assert json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["content"] == "Paris"
    assert json.loads(attrs(plain)[A.GEN_AI_SYSTEM_INSTRUCTIONS])[0]["content"] == "Be terse."
    assert A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in attrs(streamed)


def test_embeddings(cap: SpanCapture) -> None:
    mp.openai_client().embeddings.create(model="text-embedding-3-small", input="hello")
    span = cap.one()
    a = attrs(span)
    assert span.name == "embeddings text-embedding-3-small"
    assert a[A.SPAN_KIND] == "embedding" and a[A.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[A.GEN_AI_USAGE_INPUT_TOKENS] == 4 and a[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == 3


def test_async_create_and_stream(cap: SpanCapture) -> None:
    async def run() -> str:
        client = mp.async_openai_client()
        await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        assert isinstance(stream, openai.AsyncStream)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(run()) == "Hello!"
    plain, streamed = sorted(cap.spans(), key=lambda s: s.start_time)
    _check_usage(attrs(plain))
    _check_usage(attrs(streamed))
    assert A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in attrs(streamed)


@pytest.mark.parametrize(
    ("handler", "exc_type", "error_class"),
    [
        (
            mp.error_handler(429, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}),
            openai.RateLimitError,
            "rate_limit",
        ),
        (mp.error_handler(500), openai.InternalServerError, "provider_5xx"),
        (
            mp.error_handler(400, {"error": {"message": "flagged", "code": "content_filter"}}),
            openai.BadRequestError,
            "content_filter",
        ),
        (mp.error_handler(401), openai.AuthenticationError, "auth"),
        (mp.timeout_handler, openai.APITimeoutError, "timeout"),
    ],
)
def test_errors_are_recorded_and_reraised_unchanged(cap: SpanCapture, handler, exc_type, error_class) -> None:
    with pytest.raises(exc_type) as raised:
        mp.openai_client(handler).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(raised.value) is exc_type  # the app sees exactly the SDK's exception
    span = cap.one()
    a = attrs(span)
    assert not span.status.is_ok and a[A.ERROR_TYPE] == exc_type.__qualname__
    assert a[A.ERROR_CLASS] == error_class
    assert any(e.name == "exception" for e in span.events)


def test_uninstall_restores_the_original_methods() -> None:
    from openai.resources.chat.completions.completions import Completions

    before = Completions.__dict__["create"]
    integration = OpenAIIntegration()
    integration.install()
    integration.install()  # idempotent
    assert Completions.__dict__["create"] is not before
    assert "_spyglass_patched_sync" in repr(Completions.__dict__["create"]._self_wrapper)
    integration.uninstall()
    integration.uninstall()
    assert Completions.__dict__["create"] is before


def test_generator_arguments_reach_the_provider_unconsumed(cap: SpanCapture) -> None:
    seen: list[dict] = []

    def handler(request):
        seen.append(json.loads(request.content))
        return mp.default_handler(request)

    messages = ({"role": "user", "content": part} for part in ["hello"])
    mp.openai_client(handler).chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert seen[0]["messages"] == [{"role": "user", "content": "hello"}]
    assert cap.one().status.is_ok


def test_refusal_is_recorded_as_a_part(cap: SpanCapture) -> None:
    def handler(request):
        import httpx2

        return httpx2.Response(
            200, json=mp.chat_completion({"content": None, "refusal": "I can't help with that."})
        )

    mp.openai_client(handler).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    parts = json.loads(attrs(cap.one())[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"]
    assert parts == [{"type": "refusal", "content": "I can't help with that."}]


def test_with_raw_response_keeps_the_sdks_object_and_is_traced(cap: SpanCapture) -> None:
    # More cases, over HTTP: tests/sdk/integrations/test_raw_responses.py
    client = mp.openai_client()
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES, stream=True)
    assert isinstance(raw, openai._legacy_response.LegacyAPIResponse)  # a transparent proxy
    assert "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices) == "Hello!"
    assert (
        client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES).parse().model
        == mp.SNAPSHOT
    )
    spans = cap.spans()
    assert len(spans) == 2
    assert all(attrs(s)[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT for s in spans)


def test_responses_parse_records_schema(cap: SpanCapture) -> None:
    import httpx2

    class City(pydantic.BaseModel):
        name: str

    def handler(request):
        obj = dict(mp.RESPONSE_OBJ)
        obj["output"] = [
            {
                "type": "message",
                "id": "m",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": '{"name": "Paris"}', "annotations": []}],
            }
        ]
        return httpx2.Response(200, json=obj)

    result = mp.openai_client(handler).responses.parse(
        model="gpt-4o-mini", input="Capital?", text_format=City
    )
    assert result.output_parsed == City(name="Paris")
    a = attrs(cap.one())
    assert json.loads(a[A.OUTPUT_JSON_SCHEMA])["properties"] == {"name": {"title": "Name", "type": "string"}}
    assert a[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT


def test_responses_stream_helper(cap: SpanCapture) -> None:
    client = mp.openai_client()
    with client.responses.stream(model="gpt-4o-mini", input="Capital of France?") as stream:
        final = stream.get_final_response()
    assert final.output_text == "Paris"

    async def run() -> str:
        async with mp.async_openai_client().responses.stream(
            model="gpt-4o-mini", input="Capital?"
        ) as astream:
            return (await astream.get_final_response()).output_text

    assert asyncio.run(run()) == "Paris"
    spans = cap.spans()
    assert len(spans) == 2
    for span in spans:
        a = attrs(span)
        assert a[A.GEN_AI_REQUEST_STREAM] is True and a[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT
        assert a[A.GEN_AI_USAGE_INPUT_TOKENS] == 30
        assert 0 < a[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] * 1e9 < span.end_time - span.start_time
