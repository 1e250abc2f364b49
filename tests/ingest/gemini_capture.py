"""Produce real Gemini instrumentation spans, as OTLP protobuf, for ``test_real_instrumentations.py``.

    python -m tests.ingest.gemini_capture <mode> <fake-provider-url> <out-file>

Modes: ``gemini-openinference`` (openinference-instrumentation-google-genai) and
``gemini-otel`` (opentelemetry-instrumentation-google-genai, OTel GenAI conventions with
content on spans). The real ``google-genai`` SDK talks over HTTP to the fake provider,
which the test runs; the SDK's own view of each response (usage, model version) is written
next to the spans (``<out-file>.json``) so the test compares ingest with what the SDK saw.
One process per mode, because each instrumentation patches ``google.genai`` globally.
"""

from __future__ import annotations

import json
import os
import sys

REQUEST_MODEL = "gemini-2.5-flash"


def instrument(mode: str) -> None:
    if mode == "gemini-openinference":
        from openinference.instrumentation.google_genai import GoogleGenAIInstrumentor

        GoogleGenAIInstrumentor().instrument()
    elif mode == "gemini-otel":
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
        from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor

        # Its releases declare google-genai < 3 (the dev extra installs 3.x, whose
        # generate_content surface it patches unchanged): the check is skipped, and the
        # test below fails if that ever stops producing spans.
        GoogleGenAiSdkInstrumentor().instrument(skip_dep_check=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


def main() -> None:
    mode, url, out = sys.argv[1:4]
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

    from google import genai
    from google.genai import types

    client = genai.Client(
        api_key="g-test",
        http_options=types.HttpOptions(base_url=url, headers={"x-fake-force": "ok"}),
    )
    seen = []

    def record(response: types.GenerateContentResponse) -> None:
        usage = response.usage_metadata.model_dump(exclude_none=True) if response.usage_metadata else {}
        finish = response.candidates[0].finish_reason if response.candidates else None
        seen.append(
            {
                "model_version": response.model_version,
                "usage": {k: v for k, v in usage.items() if isinstance(v, int)},
                "text": response.text,
                "finish": finish.value if finish else None,
                "calls": [c.name for c in response.function_calls or []],
            }
        )

    # 1. plain, with a system instruction and settings
    record(
        client.models.generate_content(
            model=REQUEST_MODEL,
            contents="What is your refund policy?",
            config=types.GenerateContentConfig(
                system_instruction="You are a support bot.", temperature=0.2, max_output_tokens=400
            ),
        )
    )
    # 2. streamed: the last chunk carries the usage; the text is the chunks joined
    chunks = list(
        client.models.generate_content_stream(model=REQUEST_MODEL, contents="Tell me about invoices")
    )
    record(chunks[-1])
    seen[-1]["text"] = "".join(c.text or "" for c in chunks)
    # 3. a function call
    weather = types.FunctionDeclaration(
        name="get_weather",
        description="Weather for a city",
        parameters_json_schema={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
    record(
        client.models.generate_content(
            model=REQUEST_MODEL,
            contents="Weather in Paris?",
            config=types.GenerateContentConfig(tools=[types.Tool(function_declarations=[weather])]),
        )
    )
    # 4. a model the price list does not know
    record(client.models.generate_content(model="gemini-fake-unreleased", contents="hello"))

    provider.force_flush()
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    with open(out, "wb") as f:
        f.write(encode_spans(spans).SerializeToString())
    with open(out + ".json", "w", encoding="utf-8") as f:
        json.dump(seen, f)
    provider.shutdown()


if __name__ == "__main__":
    main()
