from __future__ import annotations

from collections.abc import Iterator

import pytest

from spyglass.fakellm import Behaviour, FakeLLMServer, Scenario


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    """One fast fake provider per test module (no sleeping; behaviour forced per request)."""
    scenario = Scenario(
        seed=7,
        defaults=Behaviour(
            no_sleep=True,
            cached_share=0.5,
            cache_write_share=0.25,
            reasoning_share=0.2,
            snapshots={
                "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
                "claude-*": "claude-fake-20260101",
                "gemini-2.5-flash": "gemini-2.5-flash-preview-09-2025",
            },
        ),
    )
    with FakeLLMServer(scenario) as server:
        yield server
