from __future__ import annotations

from collections.abc import Iterator

import pytest

from spyglass.fakellm import FakeLLMServer
from tests.fakellm.scenarios import fast_scenario


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    """One fast fake provider per test module (no sleeping; behaviour forced per request)."""
    scenario = fast_scenario(7)
    with FakeLLMServer(scenario) as server:
        yield server
