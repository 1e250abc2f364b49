"""Ingest: OTLP wire bytes -> canonical, enriched ``LlmSpan`` objects. Never touches SQL.

Public API (``spyglass.ingest.pipeline``): ``decode_request``, ``decode_proto_request``,
``normalize_request`` -> ``NormalizeResult``, ``enrich``, ``encode_response``, ``encode_error``,
``IngestError``. Layout: ``decode.py`` (wire -> ``raw.DecodedRequest``), ``normalize/`` (one
module per convention), ``enrich/`` (cost, TTFT, tokens, refusal, error class, schema).
"""
