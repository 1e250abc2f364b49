"""The fast fake-provider scenario most SDK and provider tests run against."""

from __future__ import annotations

from typing import Any

from spyglass.fakellm import Behaviour, Scenario

GPT_4O_MINI_SNAPSHOT = "gpt-4o-mini-2024-07-18"


def fast_scenario(seed: int, **behaviour: Any) -> Scenario:
    """No sleeping; cached, cache-write and reasoning token shares set so every usage field is
    non-zero; fixed snapshots. ``behaviour`` overrides or adds ``Behaviour`` fields."""
    fields: dict[str, Any] = {
        "no_sleep": True,
        "cached_share": 0.5,
        "cache_write_share": 0.25,
        "reasoning_share": 0.2,
        "snapshots": {
            "gpt-4o-mini": GPT_4O_MINI_SNAPSHOT,
            "claude-*": "claude-fake-20260101",
            "gemini-2.5-flash": "gemini-2.5-flash-preview-09-2025",
        },
        **behaviour,
    }
    return Scenario(seed=seed, defaults=Behaviour(**fields))
