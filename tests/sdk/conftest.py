from __future__ import annotations

from collections.abc import Iterator

import pytest

from spyglass.testing.capture import SpanCapture, capture_spans


@pytest.fixture
def cap() -> Iterator[SpanCapture]:
    """Spyglass in ``full`` capture mode exporting to memory through the real pipeline."""
    with capture_spans(capture="full") as capture:
        yield capture
