"""Refusal: structural signals, then a phrase check anchored at the start of the reply."""

from __future__ import annotations

import pytest

from spyglass.ingest.enrich.refusal import RefusalEnricher, looks_like_refusal
from spyglass.model import Message
from tests.ingest.enrich._spans import llm_span

pytestmark = pytest.mark.unit


def _refused(**fields) -> bool:  # type: ignore[no-untyped-def]
    span = llm_span(**fields)
    enricher = RefusalEnricher()
    if enricher.matches(span):
        enricher.apply(span)
    return span.refusal


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I’m sorry, but I can’t assist with that request.",
        "I cannot help with creating malware.",
        "  \"I can't provide that information.",
        "As an AI language model, I don't have opinions.",
        "Sorry, I can't do that.",
        "I must decline this request.",
        "Unfortunately, I cannot share internal documents.",
        "I apologize, but I won't write that.",
        "I'm not able to discuss that topic.",
    ],
)
def test_refusal_phrases_at_the_start(text: str) -> None:
    assert looks_like_refusal(text)
    assert _refused(output_messages=[Message(role="assistant", content=text)])


@pytest.mark.parametrize(
    "text",
    [
        "Here is the summary. Note: I can't guarantee the numbers are current.",
        "The error says 'I cannot help with that' when the token expires.",
        "Sorry for the wait! Your order ships tomorrow.",
        "I can help with that: the refund window is 30 days.",
        "Refunds are accepted within 30 days. As an AI assistant for Acme, I recommend...",
        "",
    ],
)
def test_helpful_answers_are_not_refusals(text: str) -> None:
    assert not looks_like_refusal(text)
    assert not _refused(output_messages=[Message(role="assistant", content=text)])


def test_structural_refusal_part() -> None:
    msg = Message(role="assistant", content="x", parts=[{"type": "refusal", "content": "no"}])
    assert _refused(output_messages=[msg])


def test_content_filter_finish_reason() -> None:
    assert _refused(finish_reason="content_filter")
    assert _refused(output_messages=[Message(role="assistant", finish_reason="content_filter")])


def test_tool_call_reply_is_not_checked_by_phrase() -> None:
    from spyglass.model import ToolCall

    msg = Message(
        role="assistant", content="I cannot help without looking it up", tool_calls=[ToolCall(name="f")]
    )
    assert not _refused(output_messages=[msg])


def test_plain_output_value_on_llm_span() -> None:
    assert _refused(output_value="I'm sorry, but I cannot comply.")
    assert not _refused(
        output_value='{"answer": "I\'m sorry, but I cannot comply."}'
    )  # raw JSON is not a reply
