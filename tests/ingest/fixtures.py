"""Load the hand-written OTLP/JSON fixtures in tests/fixtures/otlp through the pipeline."""

from __future__ import annotations

from pathlib import Path

from spyglass.model import LlmSpan
from tests.ingest.otlp_builders import ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "otlp"


def load(name: str) -> dict[str, LlmSpan]:
    """The fixture's spans, keyed by span name."""
    spans = ingest((FIXTURES / name).read_bytes(), "application/json")
    return {s.name: s for s in spans}
