"""The in-process SDK, built on the OpenTelemetry SDK (see docs/sdk.md).

Modules: ``client`` (init/flush/shutdown/stats/feedback), ``config``, ``context``,
``tracing`` (span/observe), ``redact``, ``export`` (bounded batch pipeline), ``feedback``,
``integrations/`` (openai, anthropic).
"""
