from __future__ import annotations

from collections.abc import Iterator

import pytest

from spyglass.demo import clock


@pytest.fixture()
def simulated_clocks() -> Iterator[None]:
    """Patch the clocks for one test only, so other test modules see the untouched ``time``."""
    clock.install()
    yield
    clock.uninstall()
