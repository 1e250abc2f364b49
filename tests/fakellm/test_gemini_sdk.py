"""The real google-genai SDK, unmodified, against the fake provider over HTTP."""

from __future__ import annotations

import json

import httpx
import jsonschema
import pytest
from google import genai
from google.genai import errors, types
from pydantic import BaseModel

from spyglass.fakellm import FORCE_HEADER, Behaviour, FakeLLMServer, LatencySpec, Scenario

pytestmark = pytest.mark.integration

MODEL = "gemini-2.5-flash"
SNAPSHOT = "gemini-2.5-flash-preview-09-2025"  # tests/fakellm/conftest.py
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Current weather",
    parameters_json_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city", "days"],
    },
)


def _client(fake: FakeLLMServer, force: str | None = "ok", **options: object) -> genai.Client:
    headers = {FORCE_HEADER: force} if force else {}
    http = types.HttpOptions(base_url=fake.gemini_base_url, headers=headers, **options)  # type: ignore[arg-type]
    return genai.Client(api_key="g-test", http_options=http)


@pytest.fixture()
def client(fake: FakeLLMServer) -> genai.Client:
    return _client(fake)


def _check_usage(usage: types.GenerateContentResponseUsageMetadata | None) -> None:
    """Gemini's convention, which the conftest's shares make visible: cached content is part
    of the prompt count, thoughts are *not* part of the candidates count."""
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    assert usage.cached_content_token_count == usage.prompt_token_count // 2  # cached_share 0.5
    assert usage.thoughts_token_count and 0 < usage.thoughts_token_count < usage.candidates_token_count
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )


def test_generate_content_reports_model_version_and_usage(client: genai.Client) -> None:
    response = client.models.generate_content(
        model=MODEL,
        contents="What is your refund policy?",
        config=types.GenerateContentConfig(system_instruction="Be brief.", temperature=0.2),
    )
    assert response.model_version == SNAPSHOT
    assert response.text and response.response_id
    assert response.candidates and response.candidates[0].finish_reason == types.FinishReason.STOP
    _check_usage(response.usage_metadata)


def test_unmapped_model_is_echoed_and_v1beta_is_served(fake: FakeLLMServer) -> None:
    client = _client(fake, api_version="v1beta")
    response = client.models.generate_content(model="gemini-9-ultra", contents="hi")
    assert response.model_version == "gemini-9-ultra" and response.text


def test_stream_chunks_then_final_usage(client: genai.Client) -> None:
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Tell me about invoices"))
    assert len(chunks) > 1
    assert all(c.model_version == SNAPSHOT for c in chunks)
    assert all(c.text for c in chunks)
    *head, last = chunks
    assert all(c.candidates and c.candidates[0].finish_reason is None for c in head)
    assert all(c.usage_metadata and c.usage_metadata.candidates_token_count is None for c in head)
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    _check_usage(last.usage_metadata)


async def test_async_plain_and_stream(fake: FakeLLMServer) -> None:
    client = _client(fake)
    response = await client.aio.models.generate_content(model=MODEL, contents="hello")
    assert response.text and response.model_version == SNAPSHOT
    _check_usage(response.usage_metadata)
    pieces = [
        c.text async for c in await client.aio.models.generate_content_stream(model=MODEL, contents="hi")
    ]
    assert len(pieces) > 1 and all(pieces)


def test_function_call_matches_the_declared_schema(client: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])])
    response = client.models.generate_content(model=MODEL, contents="Weather in Paris?", config=config)
    calls = response.function_calls
    assert calls and calls[0].name == "get_weather" and calls[0].id
    jsonschema.validate(calls[0].args, WEATHER.parameters_json_schema)  # type: ignore[arg-type]
    assert response.candidates and response.candidates[0].finish_reason == types.FinishReason.STOP

    streamed = list(client.models.generate_content_stream(model=MODEL, contents="Weather?", config=config))
    assert [c.name for chunk in streamed for c in chunk.function_calls or []] == ["get_weather"]


def test_python_function_tool_and_function_calling_modes(client: genai.Client) -> None:
    def lookup_order(order_id: str) -> str:
        """Find an order."""
        return "shipped"

    no_auto = types.AutomaticFunctionCallingConfig(disable=True)
    config = types.GenerateContentConfig(tools=[lookup_order], automatic_function_calling=no_auto)
    response = client.models.generate_content(model=MODEL, contents="Where is order 7?", config=config)
    assert response.function_calls and isinstance(response.function_calls[0].args["order_id"], str)

    none = types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="NONE"))
    config = types.GenerateContentConfig(
        tools=[lookup_order], tool_config=none, automatic_function_calling=no_auto
    )
    response = client.models.generate_content(model=MODEL, contents="Where is order 7?", config=config)
    assert response.function_calls is None and response.text


def test_automatic_function_calling_round_trip(fake: FakeLLMServer) -> None:
    """The SDK calls the Python function itself and sends its result back; the fake then
    answers in text (tool_repeat_rate 0)."""
    calls: list[str] = []

    def lookup_order(order_id: str) -> str:
        """Find an order."""
        calls.append(order_id)
        return "shipped"

    with FakeLLMServer(Scenario(defaults=Behaviour(no_sleep=True, tool_repeat_rate=0.0))) as own:
        client = _client(own)
        config = types.GenerateContentConfig(tools=[lookup_order])
        response = client.models.generate_content(model=MODEL, contents="Where is order 7?", config=config)
        assert len(calls) == 1 and response.text and response.function_calls is None
        assert own.state.stats["gemini.generate_content.requests"] == 2


class Ticket(BaseModel):
    title: str
    priority: int
    tags: list[str]


def test_json_output_with_schema_parses(client: genai.Client) -> None:
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=Ticket)
    response = client.models.generate_content(model=MODEL, contents="File a ticket", config=config)
    assert isinstance(response.parsed, Ticket)
    json_schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    config = types.GenerateContentConfig(
        response_mime_type="application/json", response_json_schema=json_schema
    )
    response = client.models.generate_content(model=MODEL, contents="A number", config=config)
    jsonschema.validate(json.loads(response.text or ""), json_schema)
    config = types.GenerateContentConfig(response_mime_type="application/json")
    response = client.models.generate_content(model=MODEL, contents="Anything", config=config)
    assert isinstance(json.loads(response.text or ""), dict)


def test_json_output_can_be_forced_invalid(fake: FakeLLMServer) -> None:
    client = _client(fake, force="invalid_json")
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=Ticket)
    response = client.models.generate_content(model=MODEL, contents="File a ticket", config=config)
    data = json.loads(response.text or "")
    assert not {"title", "priority", "tags"} <= set(data) or not isinstance(data["tags"], list)
    assert response.parsed is None  # the SDK could not validate it


def test_refusal_is_a_safety_finish_and_content_filter_blocks_the_prompt(fake: FakeLLMServer) -> None:
    refusing = _client(fake, force="refusal")
    refused = refusing.models.generate_content(model=MODEL, contents="x")
    assert refused.candidates and refused.candidates[0].finish_reason == types.FinishReason.SAFETY
    assert refused.text is None and refused.candidates[0].safety_ratings
    assert refused.usage_metadata and refused.usage_metadata.candidates_token_count is None

    filtering = _client(fake, force="content_filter")
    blocked = filtering.models.generate_content(model=MODEL, contents="x")
    assert blocked.candidates is None
    assert blocked.prompt_feedback and blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    streamed = list(filtering.models.generate_content_stream(model=MODEL, contents="x"))
    assert len(streamed) == 1 and streamed[0].prompt_feedback is not None


def test_max_output_tokens_truncates(client: genai.Client) -> None:
    config = types.GenerateContentConfig(max_output_tokens=3)
    response = client.models.generate_content(model=MODEL, contents="Tell me a story", config=config)
    assert response.candidates and response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


@pytest.mark.parametrize(
    ("kind", "error", "code", "status"),
    [
        ("rate_limit", errors.ClientError, 429, "RESOURCE_EXHAUSTED"),
        ("server_error", errors.ServerError, 500, "INTERNAL"),
        ("overloaded", errors.ServerError, 503, "UNAVAILABLE"),
    ],
)
def test_errors_use_google_envelope(
    fake: FakeLLMServer, kind: str, error: type[errors.APIError], code: int, status: str
) -> None:
    client = _client(fake, force=kind)  # kept referenced: a collected Client closes its connection
    with pytest.raises(error) as info:
        client.models.generate_content(model=MODEL, contents="hi")
    assert (info.value.code, info.value.status) == (code, status)
    assert info.value.message


async def test_stream_error_raises_in_async_client(fake: FakeLLMServer) -> None:
    client = _client(fake, force="rate_limit")
    with pytest.raises(errors.ClientError) as info:
        async for _ in await client.aio.models.generate_content_stream(model=MODEL, contents="hi"):
            pass
    assert info.value.code == 429


def test_timeout_hangs_past_the_client_timeout() -> None:
    fast = LatencySpec(1, 1)
    with FakeLLMServer(Scenario(defaults=Behaviour(timeout_hang_s=3.0, ttft=fast, latency=fast))) as slow:
        client = _client(slow, force="timeout", timeout=300)  # milliseconds
        with pytest.raises(Exception) as info:  # the SDK's HTTP client's own ReadTimeout
            client.models.generate_content(model=MODEL, contents="hi")
        assert "Timeout" in type(info.value).__name__


def test_api_key_by_query_parameter_and_bad_requests(fake: FakeLLMServer) -> None:
    url = f"{fake.url}/v1beta/models/{MODEL}:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert httpx.post(url, json=body).status_code == 403
    by_query = httpx.post(url, params={"key": "g-test"}, json=body, headers={FORCE_HEADER: "ok"})
    assert by_query.status_code == 200 and by_query.json()["candidates"][0]["content"]["parts"][0]["text"]
    empty = httpx.post(url, params={"key": "g-test"}, json={"contents": []})
    assert empty.status_code == 400 and empty.json()["error"]["status"] == "INVALID_ARGUMENT"
    unknown = httpx.post(f"{fake.url}/v1beta/models/{MODEL}:embedText", params={"key": "k"}, json=body)
    assert unknown.status_code == 404
