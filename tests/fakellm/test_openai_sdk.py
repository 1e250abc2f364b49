"""The real openai SDK, unmodified, against the fake provider over HTTP."""

from __future__ import annotations

import json

import httpx
import jsonschema
import openai
import pytest

from spyglass.fakellm import FORCE_HEADER, Behaviour, FakeLLMServer, LatencySpec, Scenario

pytestmark = pytest.mark.integration

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]
SCHEMA = {
    "type": "object",
    "properties": {"total": {"type": "number"}, "currency": {"type": "string", "enum": ["USD", "EUR"]}},
    "required": ["total", "currency"],
    "additionalProperties": False,
}
MESSAGES = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Where is my order?"},
]


@pytest.fixture()
def client(fake: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.fixture()
def aclient(fake: FakeLLMServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)


def test_chat_completion_reports_snapshot_and_detailed_usage(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "ok"}
    )
    assert result.model == "gpt-4o-mini-2024-07-18"
    choice = result.choices[0]
    assert choice.finish_reason in ("stop", "length") and choice.message.content
    usage = result.usage
    assert usage is not None and usage.prompt_tokens > 0
    assert (
        usage.prompt_tokens_details is not None
        and usage.prompt_tokens_details.cached_tokens == usage.prompt_tokens // 2
    )
    assert (
        usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens > 0
    )
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_stream_with_usage_chunk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={FORCE_HEADER: "ok"},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes in (["stop"], ["length"])
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    )
    assert all(c.model == "gpt-4o-mini-2024-07-18" for c in chunks)


def test_tool_calls_plain_and_streamed(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, tools=TOOLS, extra_headers={FORCE_HEADER: "ok"}
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "lookup_order"
    assert "order_id" in json.loads(call.function.arguments)

    with client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, tools=TOOLS) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.tool_calls[0].function.name == "lookup_order"


def test_tool_choice_none_answers_in_text(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, tools=TOOLS, tool_choice="none"
    )
    assert result.choices[0].message.tool_calls is None


def test_json_schema_output_validates_and_can_be_forced_invalid(client: openai.OpenAI) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "invoice", "schema": SCHEMA, "strict": True}}
    good = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, response_format=fmt, extra_headers={FORCE_HEADER: "ok"}
    )
    jsonschema.validate(json.loads(good.choices[0].message.content or ""), SCHEMA)
    bad = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        response_format=fmt,
        extra_headers={FORCE_HEADER: "invalid_json"},
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(bad.choices[0].message.content or ""), SCHEMA)
    mode = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(mode.choices[0].message.content or ""), dict)


def test_refusal_and_content_filter(client: openai.OpenAI) -> None:
    refused = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "refusal"}
    )
    assert refused.choices[0].message.refusal and refused.choices[0].message.content is None
    streamed = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={FORCE_HEADER: "refusal"}
    )
    assert "".join(c.choices[0].delta.refusal or "" for c in streamed if c.choices)
    filtered = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "content_filter"}
    )
    assert filtered.choices[0].finish_reason == "content_filter"


def test_prompt_marker_forces_outcome(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi [[fake:force=server_error]]"}]
        )


@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("rate_limit", openai.RateLimitError, 429),
        ("server_error", openai.InternalServerError, 500),
        ("overloaded", openai.InternalServerError, 503),
    ],
)
def test_errors_carry_real_status_codes(
    client: openai.OpenAI, kind: str, error: type[Exception], status: int
) -> None:
    with pytest.raises(error) as info:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: kind}
        )
    assert info.value.status_code == status  # type: ignore[attr-defined]
    if kind == "rate_limit":
        assert info.value.response.headers["retry-after"] == "1"  # type: ignore[attr-defined]


def test_timeout_hangs_past_the_client_timeout() -> None:
    fast = LatencySpec(1, 1)
    with FakeLLMServer(Scenario(defaults=Behaviour(timeout_hang_s=3.0, ttft=fast, latency=fast))) as slow:
        client = openai.OpenAI(base_url=slow.openai_base_url, api_key="sk-test", max_retries=0, timeout=0.3)
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "timeout"}
            )


def test_bad_requests_get_clear_errors(fake: FakeLLMServer, client: openai.OpenAI) -> None:
    missing = httpx.post(
        f"{fake.openai_base_url}/chat/completions", json={"model": "x"}, headers={"authorization": "Bearer k"}
    )
    assert missing.status_code == 400 and "messages" in missing.json()["error"]["message"]
    garbage = httpx.post(
        f"{fake.openai_base_url}/chat/completions",
        content=b"{not json",
        headers={"authorization": "Bearer k"},
    )
    assert garbage.status_code == 400
    anonymous = httpx.post(
        f"{fake.openai_base_url}/chat/completions", json={"model": "x", "messages": MESSAGES}
    )
    assert anonymous.status_code == 401
    # the server still answers well-formed requests after bad ones
    assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices


def test_responses_api_plain_stream_and_tools(client: openai.OpenAI) -> None:
    plain = client.responses.create(
        model="gpt-4o-mini", input="Summarise my invoice", extra_headers={FORCE_HEADER: "ok"}
    )
    assert plain.output_text and plain.model == "gpt-4o-mini-2024-07-18"
    assert plain.usage is not None and plain.usage.input_tokens_details.cached_tokens > 0

    with client.responses.stream(
        model="gpt-4o-mini", input="Summarise", extra_headers={FORCE_HEADER: "ok"}
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text

    tools = [{"type": "function", "name": "lookup_order", "parameters": TOOLS[0]["function"]["parameters"]}]
    called = client.responses.create(
        model="gpt-4o", input="Where?", tools=tools, extra_headers={FORCE_HEADER: "ok"}
    )
    assert called.output[0].type == "function_call" and called.output[0].name == "lookup_order"

    refused = client.responses.create(model="gpt-4o", input="Nope", extra_headers={FORCE_HEADER: "refusal"})
    assert refused.output[0].content[0].type == "refusal"

    fmt = {"format": {"type": "json_schema", "name": "invoice", "schema": SCHEMA, "strict": True}}
    structured = client.responses.create(
        model="gpt-4o", input="Parse", text=fmt, extra_headers={FORCE_HEADER: "ok"}
    )
    jsonschema.validate(json.loads(structured.output_text), SCHEMA)


def test_embeddings_float_and_default_base64(client: openai.OpenAI) -> None:
    default = client.embeddings.create(model="text-embedding-3-small", input=["refund policy", "shipping"])
    floats = client.embeddings.create(
        model="text-embedding-3-small", input="refund policy", encoding_format="float", dimensions=64
    )
    assert len(default.data) == 2 and len(default.data[0].embedding) == 256
    assert len(floats.data[0].embedding) == 64
    assert default.data[0].embedding[:3] != default.data[1].embedding[:3]
    assert default.usage.prompt_tokens > 0


async def test_async_client_every_endpoint(aclient: openai.AsyncOpenAI) -> None:
    result = await aclient.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "ok"}
    )
    assert result.choices[0].message.content
    stream = await aclient.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={FORCE_HEADER: "ok"},
    )
    chunks = [c async for c in stream]
    assert chunks[-1].usage is not None
    response = await aclient.responses.create(
        model="gpt-4o-mini", input="hi", stream=True, extra_headers={FORCE_HEADER: "ok"}
    )
    types = [e.type async for e in response]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    embedded = await aclient.embeddings.create(model="text-embedding-3-small", input="x")
    assert embedded.data
    with pytest.raises(openai.RateLimitError):
        await aclient.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "rate_limit"}
        )


def test_snapshot_swap_through_admin_endpoint() -> None:
    with FakeLLMServer() as own:
        client = openai.OpenAI(base_url=own.openai_base_url, api_key="sk-test", max_retries=0)
        before = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        swap = httpx.post(
            f"{own.url}/_fake/defaults", json={"snapshots": {"gpt-4o-mini": "gpt-4o-mini-2026-02-01"}}
        )
        assert swap.status_code == 200
        after = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert (before.model, after.model) == ("gpt-4o-mini", "gpt-4o-mini-2026-02-01")
        rejected = httpx.post(f"{own.url}/_fake/scenario", json={"defaults": {"bogus": 1}})
        assert rejected.status_code == 400 and "bogus" in rejected.json()["message"]
        stats = httpx.get(f"{own.url}/_fake/stats").json()
        assert stats["openai.chat.requests"] == 2
