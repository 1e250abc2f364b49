"""Did the model refuse? Structural signals first, then a phrase check.

Structural (certain): an OpenAI ``refusal`` field/part or OpenLLMetry ``{"type": "refusal"}``
part / ``gen_ai.completion.N.refusal`` on an output message (the normalizers keep these in
``Message.parts``), or finish reason ``content_filter``.

Phrases (heuristic): the assistant reply *starts* with a refusal phrase ("I'm sorry, but I
can't", "I cannot help with", "As an AI" …), after trimming whitespace and quotes, within
the first 200 characters. Anchoring at the start avoids flagging a helpful answer that
merely contains "I can't" somewhere ("Here is why I can't recommend X: …" is still caught
only if it opens with the phrase). Phrase list after llm-guard's ``NoRefusalLight`` and the
GCG test prefixes; apostrophes are normalised (’ -> ').
"""

from __future__ import annotations

import re

from spyglass.model import LlmSpan, SpanKind

_PHRASES = (
    r"i'?m sorry,? (?:but )?(?:i|as an ai)",
    r"i am sorry,? (?:but )?(?:i|as an ai)",
    r"i apologi[sz]e,? (?:but )?i",
    r"sorry,? (?:but )?i (?:can(?:'?t|not)|won'?t|am unable|'?m unable|am not able)",
    r"i (?:can(?:'?t|not)|won'?t|will not|am unable to|'?m unable to|am not able to|'?m not able to) "
    r"(?:help|assist|provide|comply|fulfil|do that|answer|support|engage|create|generate|share|give|write|discuss)",
    r"i must (?:decline|refuse)",
    r"i (?:have to|need to) (?:decline|refuse)",
    r"as an ai\b",
    r"as a language model\b",
    r"unfortunately,? i (?:can(?:'?t|not)|am unable|'?m unable|won'?t)",
    r"i'?m not (?:able|allowed|permitted) to",
    r"that(?:'s| is) not something i can",
)
_REFUSAL_START = re.compile(r"^(?:" + "|".join(_PHRASES) + ")", re.IGNORECASE)
_TRIM = " \t\r\n\"'`*>_-"


def looks_like_refusal(text: str | None) -> bool:
    """Phrase classifier, anchored to the start of the reply."""
    if not text:
        return False
    head = text[:200].lstrip(_TRIM).replace("\u2019", "'").replace("\u2018", "'")
    return _REFUSAL_START.match(head) is not None


class RefusalEnricher:
    name = "refusal"

    def matches(self, span: LlmSpan) -> bool:
        return (
            span.kind is SpanKind.LLM or bool(span.output_messages) or span.finish_reason == "content_filter"
        )

    def apply(self, span: LlmSpan) -> None:
        if span.finish_reason == "content_filter":
            span.refusal = True
            return
        assistant_text = None
        for msg in span.output_messages:
            if msg.finish_reason == "content_filter":
                span.refusal = True
                return
            if msg.parts and any(p.get("type") == "refusal" for p in msg.parts):
                span.refusal = True
                return
            if assistant_text is None and msg.content and not msg.tool_calls:
                assistant_text = msg.content
        if assistant_text is None and not span.output_messages and span.kind is SpanKind.LLM:
            assistant_text = (
                span.output_value if span.output_value and span.output_value[:1] not in "{[" else None
            )
        if looks_like_refusal(assistant_text):
            span.refusal = True
