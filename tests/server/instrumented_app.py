"""A tiny app run in its own process by ``test_instrumentations.py``: the real ``openai`` SDK,
one OTel instrumentation, and the real OTLP/HTTP exporter sending to a Spyglass server.

    python -m tests.server.instrumented_app <openai-v2|openllmetry|openinference> <spyglass-url> <key> <openai-base-url>

Prints the trace id of the call on stdout. One process per instrumentation, because each
patches ``openai`` globally and they must not see each other's spans.
"""

from __future__ import annotations

import os
import sys


def instrument(name: str) -> None:
    if name == "openai-v2":
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument()
    elif name == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLlmetryInstrumentor

        OpenLlmetryInstrumentor().instrument()
    elif name == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceInstrumentor

        OpenInferenceInstrumentor().instrument()
    else:
        raise SystemExit(f"unknown instrumentation {name}")


def main() -> None:
    name, spyglass_url, key, openai_base_url = sys.argv[1:5]
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"app-{name}"}))
    provider.add_span_processor(
        SimpleSpanProcessor(
            OTLPSpanExporter(endpoint=f"{spyglass_url}/v1/traces", headers={"x-api-key": key})
        )
    )
    trace.set_tracer_provider(provider)
    instrument(name)

    import openai

    client = openai.OpenAI(base_url=openai_base_url, api_key="sk-test")
    with trace.get_tracer("app").start_as_current_span("answer question") as root:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "What is your refund policy?"}],
            temperature=0.2,
        )
    provider.shutdown()
    print(format(root.get_span_context().trace_id, "032x"))


if __name__ == "__main__":
    main()
