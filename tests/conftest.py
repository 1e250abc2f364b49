"""Shared fixtures. Keep this small: fixtures used by one folder live in that folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spyglass.testing.server import RunningServer, run_server


@pytest.fixture
def spyglass_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A real ``spyglass serve`` subprocess on free ports with a fresh data dir."""
    with run_server(tmp_path / "data") as server:
        yield server
