"""A tiny app run in its own process by ``test_instrumentations.py``: the real ``openai`` SDK,
one OTel instrumentation, and the real OTLP/HTTP exporter sending to a Spyglass server.

    python -m tests.server.instrumented_app <openai-v2|openai-v2-events|openllmetry|openinference> <spyglass-url> <key> <openai-base-url>

``openai-v2-events`` runs OTel contrib in its ``EVENT_ONLY`` mode: message content goes out as
OTLP *log* events (``/v1/logs``) with the default batch schedules (logs 1 s, spans 5 s).

Prints the trace id of the call on stdout. One process per instrumentation, because each
patches ``openai`` globally and they must not see each other's spans.
"""

from __future__ import annotations

import os
import sys
import time


def instrument(name: str) -> None:
    if name.startswith("openai-v2"):
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        mode = "EVENT_ONLY" if name == "openai-v2-events" else "SPAN_ONLY"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = mode
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

    resource = Resource.create({"service.name": f"app-{name}"})
    provider = TracerProvider(resource=resource)
    span_exporter = OTLPSpanExporter(endpoint=f"{spyglass_url}/v1/traces", headers={"x-api-key": key})
    log_provider = None
    if name == "openai-v2-events":
        from opentelemetry import _logs
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        log_provider = LoggerProvider(resource=resource)
        log_exporter = OTLPLogExporter(endpoint=f"{spyglass_url}/v1/logs", headers={"x-api-key": key})
        log_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
        _logs.set_logger_provider(log_provider)
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    else:
        provider.add_span_processor(SimpleSpanProcessor(span_exporter))
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
    if log_provider is not None:
        time.sleep(1.5)  # the log batch goes out on its own 1 s schedule, before the 5 s span batch
        log_provider.shutdown()
    provider.shutdown()
    print(format(root.get_span_context().trace_id, "032x"))


if __name__ == "__main__":
    main()
