"""Plausible output text and token counts for the fake provider.

Text is drawn word by word from a small support-desk vocabulary with the request's own
RNG, so it is deterministic under a seed. Token counts use the rough "four characters per
token" rule: the fake has to report *consistent* usage, not the real tokenizer's.
"""

from __future__ import annotations

import math
import random
import re

_VOCABULARY_TEXT = (
    "the account invoice order refund policy within days team support customer request "
    "please note that your plan includes access billing period update settings page "
    "confirm payment method shipping address delivery status warranty covers replacement "
    "we can help you with this after review our records show processed successfully "
    "according to documentation feature available enterprise tier limit per month "
    "contact details verify identity reset password link expires hours security "
    "integration webhook endpoint retry schedule export report dashboard usage"
)
VOCABULARY: tuple[str, ...] = tuple(_VOCABULARY_TEXT.split())

REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
CONTENT_FILTER_TEXT = "The response was filtered due to the prompt triggering content management policy."

#: Source ids the fake cites when the prompt carries them, e.g. "[doc-12]" or "[kb-refunds]".
_SOURCE_ID = re.compile(r"\[((?:doc|kb|src)-[\w.-]+)\]")


def count_tokens(text: str) -> int:
    """Approximate token count (ceil(chars / 4)), at least 1 for non-empty text."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def cited_sources(prompt: str) -> list[str]:
    """Source ids present in a prompt, in order of first appearance."""
    seen: dict[str, None] = {}
    for source in _SOURCE_ID.findall(prompt):
        seen.setdefault(source, None)
    return list(seen)


def generate_text(rng: random.Random, n_tokens: int, prompt: str = "", hallucinate: bool = False) -> str:
    """About ``n_tokens`` tokens of sentences. When the prompt names sources (``[doc-…]``)
    the text cites one or two of them; with ``hallucinate`` it cites one that the prompt
    never gave, which a citation check downstream can catch."""
    words: list[str] = []
    budget = max(1, n_tokens)
    while count_tokens(" ".join(words)) < budget:
        sentence = [rng.choice(VOCABULARY) for _ in range(rng.randint(6, 14))]
        sentence[0] = sentence[0].capitalize()
        words.extend(sentence)
        words[-1] += "."
    text = " ".join(words)
    sources = cited_sources(prompt)
    if hallucinate:
        text += f" See [doc-{rng.randint(900, 999)}] for the full details."
    elif sources:
        picked = rng.sample(sources, k=min(len(sources), rng.randint(1, 2)))
        text += " Sources: " + " ".join(f"[{s}]" for s in picked)
    return text


def split_chunks(rng: random.Random, text: str) -> list[str]:
    """Split text into stream deltas of one to five words, keeping every character.

    (Real providers send about one token per chunk; a few words per chunk keeps streams
    realistic in shape while sparing the client SDKs' per-chunk parsing cost.)"""
    pieces = re.findall(r"\S+\s*", text) or [text]
    chunks: list[str] = []
    i = 0
    while i < len(pieces):
        step = rng.randint(1, 5)
        chunks.append("".join(pieces[i : i + step]))
        i += step
    return chunks
