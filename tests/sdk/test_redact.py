"""Redaction: detectors, capture modes, fail-closed behaviour, on exported spans."""

from __future__ import annotations

import json

import pytest

import spyglass
from spyglass.model import attributes as A
from spyglass.sdk.redact import TextRedactor, luhn_valid
from spyglass.testing.capture import attrs, capture_spans
from tests.sdk import mock_providers as mp

pytestmark = pytest.mark.unit

CARD = "4111 1111 1111 1111"
OPENAI_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
ANTHROPIC_KEY = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx"
PASSWORD_URL = "postgres://admin:hunter2secret@db.internal:5432/app"
SECRETS = (CARD.replace(" ", ""), "1111 1111 1111", OPENAI_KEY, ANTHROPIC_KEY, "hunter2secret")


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        (f"pay with {CARD} now", "[REDACTED:credit_card]"),
        ("card 4111-1111-1111-1111.", "[REDACTED:credit_card]"),
        (f"key={OPENAI_KEY}", "[REDACTED:"),
        (f"use {ANTHROPIC_KEY}", "[REDACTED:api_key]"),
        ("Authorization: Bearer abcdefghijklmnop123456", "Bearer [REDACTED:bearer_token]"),
        (
            "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "[REDACTED:jwt]",
        ),
        ("aws AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws_access_key]"),
        ("gh ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "[REDACTED:github_token]"),
        (PASSWORD_URL, "postgres://admin:[REDACTED:password]@db.internal"),
        ("password=Sup3rS3cret!", "password=[REDACTED:password]"),
        ("mail jane.doe@example.com please", "[REDACTED:email]"),
        ("call +1 415-555-0132 today", "[REDACTED:phone]"),
    ],
)
def test_builtin_detectors(text: str, marker: str) -> None:
    out = TextRedactor()(text)
    assert marker in out


def test_luhn_rejects_non_cards_and_plain_numbers_survive() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    redactor = TextRedactor()
    assert redactor("order 4111111111111112 shipped") == "order 4111111111111112 shipped"
    for harmless in (
        "total 1234.50 EUR, 3 items",
        "host 192.168.100.200 up",
        "v2026.11.23 released",
        "at 2026-11-23 10:00:00",
        "id 550e8400-e29b-41d4-a716-446655440000",
    ):
        assert redactor(harmless) == harmless


def test_detector_selection_and_callbacks() -> None:
    redactor = TextRedactor(
        detectors=["credit_cards"], callbacks=[lambda t: t.replace("ACME", "[REDACTED:customer]")]
    )
    out = redactor(f"ACME paid {CARD}, mail a@b.co")
    assert out == "[REDACTED:customer] paid [REDACTED:credit_card], mail a@b.co"


def test_redacted_mode_secrets_never_leave_in_llm_spans() -> None:
    prompt = f"My card is {CARD}, key {OPENAI_KEY}, db {PASSWORD_URL}, anthropic {ANTHROPIC_KEY}"
    with capture_spans() as cap:  # default capture mode: redacted
        mp.openai_client().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
        )
        with spyglass.span("tool", kind="tool") as s:
            s.set_tool("query_db", {"dsn": PASSWORD_URL}, f"charged {CARD}", "ok")
        with pytest.raises(RuntimeError), spyglass.span("fails"):
            raise RuntimeError(f"could not connect to {PASSWORD_URL}")
        text = cap.exported_text()
        llm = attrs(cap.llm_spans()[0])
    for secret in SECRETS:
        assert secret not in text
    # content attributes stay valid JSON after masking
    assert "[REDACTED:credit_card]" in json.loads(llm[A.GEN_AI_INPUT_MESSAGES])[0]["parts"][0]["content"]
    assert llm[A.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"


def test_metadata_only_sends_no_content_at_all() -> None:
    with capture_spans(capture="metadata_only") as cap:
        mp.openai_client().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "TOPSECRET prompt"}],
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        )
        stream = mp.openai_client().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "TOPSECRET"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        list(stream)
        with spyglass.span("step") as s:
            s.set_input("TOPSECRET in").set_output("TOPSECRET out")
            s.set_tool("t", "TOPSECRET args", "TOPSECRET result")
        text = cap.exported_text()
        llm = [attrs(s) for s in cap.llm_spans()]
    assert "TOPSECRET" not in text and "Hello" not in text
    for a in llm:  # metadata survives
        assert a[A.GEN_AI_USAGE_INPUT_TOKENS] == 50 and a[A.GEN_AI_RESPONSE_MODEL] == mp.SNAPSHOT
        assert A.GEN_AI_INPUT_MESSAGES not in a and A.GEN_AI_OUTPUT_MESSAGES not in a


def test_failing_callback_fails_closed() -> None:
    def broken(text: str) -> str:
        raise RuntimeError("bug in user redactor")

    with capture_spans(redact=[broken]) as cap:
        with spyglass.span("step") as s:
            s.set_input("sensitive words")
        text = cap.exported_text()
        a = attrs(cap.one())
    assert "sensitive words" not in text
    assert a[A.INPUT] == "[REDACTED:error]"
    assert a[A.SPAN_KIND] == "other"  # structural attributes untouched


def test_full_mode_keeps_content() -> None:
    with capture_spans(capture="full") as cap:
        with spyglass.span("step") as s:
            s.set_input(f"card {CARD}")
        assert attrs(cap.one())[A.INPUT] == f"card {CARD}"


def test_a_span_that_cannot_be_redacted_is_dropped_and_the_rest_exported() -> None:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from spyglass.sdk.config import CaptureMode
    from spyglass.sdk.redact import RedactingSpanExporter, SpanRedaction

    class Picky(SpanRedaction):
        def apply(self, span: ReadableSpan) -> ReadableSpan:
            if span.name == "bad":
                raise RuntimeError("cannot redact")
            return super().apply(span)

    inner = InMemorySpanExporter()
    exporter = RedactingSpanExporter(inner, Picky(CaptureMode.REDACTED, TextRedactor()))
    spans = [ReadableSpan(name=n, attributes={A.INPUT: f"{n} {CARD}"}) for n in ("good-1", "bad", "good-2")]
    exporter.export(spans)
    exported = inner.get_finished_spans()
    assert [s.name for s in exported] == ["good-1", "good-2"] and exporter.redaction_failures == 1
    assert all(CARD not in s.attributes[A.INPUT] for s in exported)
