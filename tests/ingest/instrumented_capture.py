"""Produce real instrumentation spans, as OTLP protobuf, for ``test_real_instrumentations.py``.

    python -m tests.ingest.instrumented_capture <mode> <out-file>

Modes: ``openai-v2-latest`` (OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental,
content on spans), ``openai-v2-default`` (the instrumentation's default, old conventions),
``openllmetry``, ``openinference``. The real ``openai`` SDK talks to an ``httpx.MockTransport``
returning a tool-call chat completion and an SSE stream; spans are captured in memory and
encoded with the OTLP exporter's own encoder. One process per mode, because every
instrumentation patches ``openai`` globally.
"""

from __future__ import annotations

import json
import os
import sys

RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"

CHAT_COMPLETION = {
    "id": "chatcmpl-tool-1",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": RESPONSE_MODEL,
    "system_fingerprint": "fp_test",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_weather_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
            "logprobs": None,
        }
    ],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 30,
        "total_tokens": 1230,
        "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    },
}


def _chunk(
    delta: dict[str, object], finish: str | None = None, usage: dict[str, object] | None = None
) -> bytes:
    body = {
        "id": "chatcmpl-stream-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_001,
        "model": RESPONSE_MODEL,
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


SSE_BODY = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Refunds are "}),
        _chunk({"content": "accepted within 30 days."}),
        _chunk({}, finish="stop"),
        _chunk({}, usage={"prompt_tokens": 50, "completion_tokens": 8, "total_tokens": 58}),
        b"data: [DONE]\n\n",
    ]
)


def _handler(request: object) -> object:
    import time

    import httpx

    assert isinstance(request, httpx.Request)
    payload = json.loads(request.content)
    if payload.get("stream"):
        time.sleep(0.01)  # a measurable time to first token
        return httpx.Response(200, content=SSE_BODY, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, json=CHAT_COMPLETION)


def instrument(mode: str) -> None:
    if mode == "openai-v2-latest":
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
    if mode.startswith("openai-v2"):
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument()
    elif mode == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLlmetryInstrumentor

        OpenLlmetryInstrumentor().instrument()
    elif mode == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceInstrumentor

        OpenInferenceInstrumentor().instrument()
    else:
        raise SystemExit(f"unknown mode {mode}")


def main() -> None:
    mode, out = sys.argv[1:3]
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"app-{mode}"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    instrument(mode)

    import httpx
    import openai

    client = openai.OpenAI(
        base_url="https://api.openai.com/v1",
        api_key="sk-test",
        http_client=httpx.Client(transport=httpx.MockTransport(_handler)),
    )
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You are a weather bot."},
            {"role": "user", "content": "Weather in Paris?"},
        ],
        tools=tools,  # type: ignore[arg-type]
        temperature=0.2,
        max_tokens=100,
    )
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "What is your refund policy?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for _ in stream:
        pass
    provider.force_flush()
    spans = exporter.get_finished_spans()
    with open(out, "wb") as f:
        f.write(encode_spans(spans).SerializeToString())
    provider.shutdown()


if __name__ == "__main__":
    main()
