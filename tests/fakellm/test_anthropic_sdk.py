"""The real anthropic SDK, unmodified, against the fake provider over HTTP."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from spyglass.fakellm import FORCE_HEADER, FakeLLMServer

pytestmark = pytest.mark.integration

MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Check the weather in Paris"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]
OK = {FORCE_HEADER: "ok"}


@pytest.fixture()
def client(fake: FakeLLMServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


@pytest.fixture()
def aclient(fake: FakeLLMServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


def test_message_with_cache_usage(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=MODEL, max_tokens=2000, system="Be brief.", messages=MESSAGES, extra_headers=OK
    )
    assert message.model == "claude-fake-20260101"
    assert message.stop_reason == "end_turn" and message.content[0].type == "text"
    usage = message.usage
    assert usage.cache_read_input_tokens and usage.cache_read_input_tokens > 0
    assert usage.cache_creation_input_tokens is not None and usage.cache_creation_input_tokens > 0
    assert usage.input_tokens > 0 and usage.output_tokens > 0


def test_max_tokens_truncates(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model=MODEL, max_tokens=3, messages=MESSAGES, extra_headers=OK)
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 3


def test_raw_stream_event_sequence(client: anthropic.Anthropic) -> None:
    stream = client.messages.create(
        model=MODEL, max_tokens=2000, messages=MESSAGES, stream=True, extra_headers=OK
    )
    events = list(stream)
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[1] == "content_block_start"
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert events[-2].usage.output_tokens > 0  # type: ignore[union-attr]


def test_stream_helper_with_tool_use(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=500, messages=MESSAGES, tools=TOOLS, extra_headers=OK
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    block = final.content[0]
    assert block.type == "tool_use" and block.name == "get_weather" and "city" in block.input


def test_tool_result_turn_then_text_stream(client: anthropic.Anthropic) -> None:
    first = client.messages.create(
        model=MODEL, max_tokens=500, messages=MESSAGES, tools=TOOLS, extra_headers=OK
    )
    tool_use = first.content[0]
    assert tool_use.type == "tool_use"
    followup = [
        *MESSAGES,
        {"role": "assistant", "content": [tool_use.model_dump(include={"type", "id", "name", "input"})]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "18C, sunny"}],
        },
    ]
    # tool_choice none: the model must answer in text after the result
    with client.messages.stream(
        model=MODEL,
        max_tokens=2000,
        messages=followup,
        tools=TOOLS,
        tool_choice={"type": "none"},
        extra_headers=OK,
    ) as stream:
        text = "".join(stream.text_stream)
    assert text


def test_refusal_and_errors(client: anthropic.Anthropic) -> None:
    refused = client.messages.create(
        model=MODEL, max_tokens=100, messages=MESSAGES, extra_headers={FORCE_HEADER: "refusal"}
    )
    assert refused.stop_reason == "refusal"
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.messages.create(
            model=MODEL, max_tokens=100, messages=MESSAGES, extra_headers={FORCE_HEADER: "rate_limit"}
        )
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        client.messages.create(
            model=MODEL, max_tokens=100, messages=MESSAGES, extra_headers={FORCE_HEADER: "overloaded"}
        )
    assert overloaded.value.status_code == 529
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(
            model=MODEL, max_tokens=100, messages=MESSAGES, extra_headers={FORCE_HEADER: "server_error"}
        )


def test_bad_request_names_the_field(fake: FakeLLMServer) -> None:
    response = httpx.post(
        f"{fake.url}/v1/messages", json={"model": MODEL, "messages": MESSAGES}, headers={"x-api-key": "k"}
    )
    assert response.status_code == 400 and "max_tokens" in response.json()["error"]["message"]
    assert httpx.post(f"{fake.url}/v1/messages", json={"model": MODEL}).status_code == 401


async def test_async_create_and_stream_helper(aclient: anthropic.AsyncAnthropic) -> None:
    message = await aclient.messages.create(model=MODEL, max_tokens=2000, messages=MESSAGES, extra_headers=OK)
    assert message.content[0].type == "text"
    async with aclient.messages.stream(
        model=MODEL, max_tokens=500, messages=MESSAGES, tools=TOOLS, extra_headers=OK
    ) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    raw = await aclient.messages.create(
        model=MODEL, max_tokens=2000, messages=MESSAGES, stream=True, extra_headers=OK
    )
    assert [e.type async for e in raw][-1] == "message_stop"
