from __future__ import annotations

import pytest

from spyglass.server.api.params import parse_time_ns
from spyglass.server.errors import ApiError

pytestmark = pytest.mark.unit

NOW = 1_800_000_000 * 10**9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-24h", NOW - 24 * 3600 * 10**9),
        ("-15m", NOW - 15 * 60 * 10**9),
        ("-7d", NOW - 7 * 86400 * 10**9),
        ("123", 123),
        ("2026-11-23T10:00:00Z", 1795428000 * 10**9),
        ("2026-11-23T10:00:00.5+00:00", 1795428000 * 10**9 + 500_000_000),
        ("2026-11-23T10:00:00", 1795428000 * 10**9),
    ],
)
def test_time_forms(text: str, expected: int) -> None:
    assert parse_time_ns(text, NOW, "start") == expected


@pytest.mark.parametrize("text", ["yesterday", "-5y", "2026-13-01", "+1h", "-1.5h"])
def test_bad_time_names_the_parameter(text: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_time_ns(text, NOW, "start")
    assert info.value.status == 400 and info.value.message.startswith("start:") and text in info.value.message
