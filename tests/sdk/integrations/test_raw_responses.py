"""``with_raw_response`` and ``with_streaming_response`` of the real openai and anthropic SDKs,
over HTTP to the fake provider.

Each case makes the same request three times, reseeding the fake provider before each, so the
three answers are identical: once without Spyglass (what the app should see), once as a plain
call (the span to match) and once through the raw wrapper. The raw call must give the app what
it got without Spyglass, and exactly one span equal to the plain call's.
"""

from __future__ import annotations

import gc
import inspect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest

from spyglass.fakellm import FakeLLMServer
from spyglass.model import attributes as A
from spyglass.sdk import client as sdk_client
from spyglass.testing.capture import SpanCapture, attrs
from tests.fakellm.scenarios import fast_scenario

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is my order?"}]
TIMING = (A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, A.TTFT_MS)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    scenario = fast_scenario(11)
    with FakeLLMServer(scenario) as server:
        yield server


def _client_spans(cap: SpanCapture) -> list[Any]:
    """Every exported span but the in-process fake provider's own (FastAPI's server spans)."""
    return [
        s for s in cap.spans() if s.instrumentation_scope is None or s.instrumentation_scope.name != "fastapi"
    ]


def _one(cap: SpanCapture) -> Any:
    """The single span of the call: ours, and no other (no second one of ours, no SDK span)."""
    spans = _client_spans(cap)
    assert len(spans) == 1, [s.name for s in spans]
    assert spans[0] in cap.llm_spans()
    return spans[0]


def _reseed(fake: FakeLLMServer) -> None:
    """The next request draws the same outcome as the first one after the previous reseed."""
    fake.state.set_scenario(fake.state.scenario, reseed=True)


def _client(fake: FakeLLMServer, api: str, is_async: bool) -> Any:
    # A new client per call: ``with_raw_response`` binds the method when first read, so an
    # object made while Spyglass was off would stay unpatched.
    if api == "anthropic":
        cls: Any = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
        return cls(base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)


def _resource(client: Any, api: str) -> Any:
    return {"chat": lambda: client.chat.completions, "responses": lambda: client.responses}.get(
        api, lambda: client.messages
    )()


def _request(api: str, stream: bool) -> dict[str, Any]:
    if api == "chat":
        kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
        if stream:
            kw.update(stream=True, stream_options={"include_usage": True})
        return kw
    if api == "responses":
        kw = {"model": "gpt-4o-mini", "instructions": "Be brief.", "input": "Where is my order?"}
    else:
        kw = {"model": "claude-sonnet-4-5", "max_tokens": 64, "system": "Be brief.", "messages": MESSAGES[1:]}
    if stream:
        kw["stream"] = True
    return kw


_CREATED = re.compile(r'"created(_at)?": ?\d+')


def _strip(value: Any) -> Any:
    """Without the wall-clock timestamps the fake stamps (``created``, ``created_at``)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("created", "created_at")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, str):
        return _CREATED.sub('"created": 0', value)
    if isinstance(value, bytes):
        return _strip(value.decode())
    return value


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() != "date"}


def _app_view_sync(kind: str, read: str, resource: Any, kw: dict[str, Any]) -> dict[str, Any]:
    """What the app reads from one call (minus timestamps)."""
    if kind == "plain":
        result = resource.create(**kw)
        body = [c.model_dump() for c in result] if kw.get("stream") else result.model_dump()
        return {"body": _strip(body)}
    if kind == "raw":
        raw = resource.with_raw_response.create(**kw)
        view: dict[str, Any] = {"headers": _headers(raw), "status": raw.http_response.status_code}
        parsed = raw.parse()
        assert raw.parse() is parsed  # the SDK caches parse(); so do we
        body = [c.model_dump() for c in parsed] if kw.get("stream") else parsed.model_dump()
        view["body"] = _strip(body)
        return view
    with resource.with_streaming_response.create(**kw) as response:
        view = {"headers": _headers(response), "status": response.status_code}
        if read == "parse":
            parsed = response.parse()
            body: Any = [c.model_dump() for c in parsed] if kw.get("stream") else parsed.model_dump()
        elif read == "iter_lines":
            body = list(response.iter_lines())
        elif read == "iter_bytes":
            body = b"".join(response.iter_bytes(chunk_size=7))
        elif read == "iter_text":
            body = "".join(response.iter_text())
        else:
            body = response.json()
        view["body"] = _strip(body)
        return view


async def _app_view_async(kind: str, read: str, resource: Any, kw: dict[str, Any]) -> dict[str, Any]:
    if kind == "plain":
        result = await resource.create(**kw)
        body = [c.model_dump() async for c in result] if kw.get("stream") else result.model_dump()
        return {"body": _strip(body)}
    if kind == "raw":
        raw = await resource.with_raw_response.create(**kw)
        view: dict[str, Any] = {"headers": _headers(raw), "status": raw.http_response.status_code}
        parsed = raw.parse()  # openai's legacy response parses synchronously, anthropic's awaits
        if inspect.isawaitable(parsed):
            parsed = await parsed
        body = [c.model_dump() async for c in parsed] if kw.get("stream") else parsed.model_dump()
        view["body"] = _strip(body)
        return view
    async with resource.with_streaming_response.create(**kw) as response:
        view = {"headers": _headers(response), "status": response.status_code}
        if read == "parse":
            parsed = await response.parse()
            body: Any = [c.model_dump() async for c in parsed] if kw.get("stream") else parsed.model_dump()
        elif read == "iter_lines":
            body = [line async for line in response.iter_lines()]
        elif read == "iter_bytes":
            body = b"".join([b async for b in response.iter_bytes(chunk_size=7)])
        elif read == "iter_text":
            body = "".join([t async for t in response.iter_text()])
        else:
            body = await response.json()
        view["body"] = _strip(body)
        return view


def _check_same_span(plain: Any, raw: Any, stream: bool) -> None:
    a_plain, a_raw = attrs(plain), attrs(raw)
    assert raw.name == plain.name
    assert raw.status.status_code == plain.status.status_code
    assert A.RESPONSE_UNOBSERVED not in a_raw
    # Every field a plain call records: tokens, response model and id, finish reasons, output.
    for key in (
        A.GEN_AI_RESPONSE_MODEL,
        A.GEN_AI_RESPONSE_ID,
        A.GEN_AI_RESPONSE_FINISH_REASONS,
        A.GEN_AI_USAGE_INPUT_TOKENS,
        A.GEN_AI_USAGE_OUTPUT_TOKENS,
        A.GEN_AI_OUTPUT_MESSAGES,
    ):
        assert key in a_plain, key
    assert {k: v for k, v in a_raw.items() if k not in TIMING} == {
        k: v for k, v in a_plain.items() if k not in TIMING
    }
    if stream:
        ttft = a_raw[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]
        assert 0 < ttft * 1e9 < raw.end_time - raw.start_time
        assert a_raw[A.TTFT_MS] == pytest.approx(ttft * 1000)
    else:
        assert not any(k in a_raw for k in TIMING)


def _run_case(
    fake: FakeLLMServer,
    cap_factory: Callable[[], Any],
    api: str,
    kind: str,
    read: str,
    stream: bool,
    is_async: bool,
) -> None:
    import asyncio

    kw = _request(api, stream)

    def view(k: str) -> dict[str, Any]:
        _reseed(fake)
        resource = _resource(_client(fake, api, is_async), api)
        if is_async:
            return asyncio.run(_app_view_async(k, read, resource, dict(kw)))
        return _app_view_sync(k, read, resource, dict(kw))

    sdk_client.shutdown()  # no Spyglass: the reference of what the app reads
    without_sdk = view(kind)
    with cap_factory() as cap:
        plain_view = view("plain")
        plain = _one(cap)
        cap.clear()
        with_sdk = view(kind)
        gc.collect()
        raw = _one(cap)  # exactly one span for the raw call
    assert with_sdk == without_sdk
    assert without_sdk["status"] == 200 and without_sdk["headers"]["x-request-id"]
    if read == "parse":
        assert with_sdk["body"] == plain_view["body"]
    _check_same_span(plain, raw, stream)


def _cap() -> Any:
    from spyglass.testing.capture import capture_spans

    return capture_spans(capture="full")


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("kind", ["raw", "streaming"])
@pytest.mark.parametrize("api", ["chat", "responses", "anthropic"])
def test_parse_gives_the_app_the_same_and_the_span_of_a_plain_call(
    fake: FakeLLMServer, api: str, kind: str, stream: bool, is_async: bool
) -> None:
    _run_case(fake, _cap, api, kind, "parse", stream, is_async)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("read", "stream"),
    [(read, stream) for read in ("iter_lines", "iter_bytes", "iter_text") for stream in (False, True)]
    + [("json", False)],  # an SSE body is not JSON
)
@pytest.mark.parametrize("api", ["chat", "responses", "anthropic"])
def test_streaming_response_read_without_parse(
    fake: FakeLLMServer, api: str, read: str, stream: bool, is_async: bool
) -> None:
    _run_case(fake, _cap, api, "streaming", read, stream, is_async)


def _unobserved(span: Any) -> None:
    a = attrs(span)
    assert span.status.is_ok
    assert a[A.RESPONSE_UNOBSERVED] is True and a[A.HTTP_RESPONSE_STATUS_CODE] == 200
    # Not reported is absent, never zero or guessed.
    for key in (A.GEN_AI_RESPONSE_MODEL, A.GEN_AI_USAGE_INPUT_TOKENS, A.GEN_AI_OUTPUT_MESSAGES):
        assert key not in a
    assert a[A.GEN_AI_REQUEST_MODEL]


@pytest.mark.parametrize("api", ["chat", "anthropic"])
def test_headers_only_stream_finishes_once_at_garbage_collection(
    fake: FakeLLMServer, cap: SpanCapture, api: str
) -> None:
    resource = _resource(_client(fake, api, False), api)
    raw = resource.with_raw_response.create(**_request(api, True))
    assert raw.headers["x-request-id"]
    assert _client_spans(cap) == []  # not over yet: the app may still parse the stream
    raw.http_response.close()
    del raw
    gc.collect()
    _unobserved(_one(cap))


def test_headers_only_streaming_response_finishes_at_close(fake: FakeLLMServer, cap: SpanCapture) -> None:
    resource = _resource(_client(fake, "chat", False), "chat")
    with resource.with_streaming_response.create(**_request("chat", False)) as response:
        assert response.headers["content-type"].startswith("application/json")
        assert _client_spans(cap) == []
    _unobserved(_one(cap))


async def test_async_headers_only_streaming_response_finishes_at_close(
    fake: FakeLLMServer, cap: SpanCapture
) -> None:
    resource = _resource(_client(fake, "anthropic", True), "anthropic")
    async with resource.with_streaming_response.create(**_request("anthropic", True)) as response:
        assert response.status_code == 200
    _unobserved(_one(cap))


def test_stream_abandoned_after_a_few_chunks_keeps_what_was_seen(
    fake: FakeLLMServer, cap: SpanCapture
) -> None:
    resource = _resource(_client(fake, "chat", False), "chat")
    with resource.with_streaming_response.create(**_request("chat", True)) as response:
        stream = response.parse()
        assert isinstance(stream, openai.Stream)
        texts = [c.choices[0].delta.content or "" for _, c in zip(range(3), stream, strict=False)]
    span = _one(cap)
    a = attrs(span)
    assert A.RESPONSE_UNOBSERVED not in a and a[A.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in a
    out = json.loads(a[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["content"]
    assert out == "".join(texts)


def test_raw_response_object_is_the_sdks(fake: FakeLLMServer, cap: SpanCapture) -> None:
    client = _client(fake, "chat", False)
    raw = client.chat.completions.with_raw_response.create(**_request("chat", True))
    assert isinstance(raw, openai._legacy_response.LegacyAPIResponse)
    stream = raw.parse()
    assert isinstance(stream, openai.Stream) and raw.parse() is stream
    list(stream)
    with client.chat.completions.with_streaming_response.create(**_request("chat", False)) as response:
        assert isinstance(response, openai._response.APIResponse)
        response.parse()
    assert len(_client_spans(cap)) == 2


def test_embeddings_with_raw_response(fake: FakeLLMServer, cap: SpanCapture) -> None:
    client = _client(fake, "chat", False)
    kw = {"model": "text-embedding-3-small", "input": "hello"}
    plain = client.embeddings.create(**kw)
    expected = attrs(_one(cap))
    cap.clear()
    raw = client.embeddings.with_raw_response.create(**kw)
    assert raw.parse().data[0].embedding == plain.data[0].embedding
    a = attrs(_one(cap))
    assert a == expected  # the body holds base64: the dimension count comes from its length
    assert a[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == len(plain.data[0].embedding)
    assert a[A.GEN_AI_USAGE_INPUT_TOKENS] > 0


def test_failed_raw_call_is_one_error_span(fake: FakeLLMServer, cap: SpanCapture) -> None:
    from spyglass.fakellm import FORCE_HEADER

    client = _client(fake, "chat", False)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.with_raw_response.create(
            **_request("chat", False), extra_headers={FORCE_HEADER: "rate_limit"}
        )
    span = _one(cap)
    assert not span.status.is_ok and attrs(span)[A.ERROR_CLASS] == "rate_limit"


@pytest.mark.parametrize("api", ["chat", "anthropic"])
def test_stream_parsed_from_a_dropped_raw_response_is_still_observed(
    fake: FakeLLMServer, cap: SpanCapture, api: str
) -> None:
    resource = _resource(_client(fake, api, False), api)
    stream = resource.with_raw_response.create(**_request(api, True)).parse()
    gc.collect()  # the response object is gone; its stream is still the app's
    assert _client_spans(cap) == []
    events = list(stream)
    a = attrs(_one(cap))
    assert A.RESPONSE_UNOBSERVED not in a and A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in a
    assert a[A.GEN_AI_USAGE_OUTPUT_TOKENS] > 0 and len(events) > 2
