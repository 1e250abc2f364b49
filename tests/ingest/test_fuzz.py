"""Hostile input: corrupted bytes and type-chaos JSON must end in a clean ``IngestError`` or in
spans — never in any other exception (which the server would turn into a 500)."""

from __future__ import annotations

import contextlib
import copy
import json
import random
from typing import Any

import orjson
import pytest

from spyglass.ingest import pipeline
from spyglass.ingest.errors import IngestError
from spyglass.ingest.pipeline import decode_request, enrich, normalize_request
from tests.ingest.fixtures import FIXTURES
from tests.ingest.otlp_builders import proto_body

pytestmark = pytest.mark.unit

SPECS = [
    {
        "name": "chat",
        "attrs": {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
            ),
            "llm.input_messages.0.message.role": "user",
            "traceloop.association.properties.user_id": "u",
            "spyglass.ttft_ms": 5.0,
            "list": [1, "a", 2.5],
        },
        "events": [("exception", 1, {"exception.type": "TimeoutError"})],
        "status": 2,
    }
]


@pytest.fixture(autouse=True)
def _no_normalizer_or_enricher_failure():  # type: ignore[no-untyped-def]
    """Stricter than "the span is kept": no normalizer/enricher may even raise on odd types."""
    before = (pipeline.stats["normalizer_failures"], pipeline.stats["enricher_failures"])
    yield
    assert (pipeline.stats["normalizer_failures"], pipeline.stats["enricher_failures"]) == before


def _run(body: bytes, content_type: str) -> None:
    try:
        decoded = decode_request(body, content_type, None)
    except IngestError as exc:
        assert exc.status in (400, 413, 415) and exc.message
        return
    result = normalize_request(decoded, "p")
    enrich(result.spans)


def test_corrupted_protobuf_bytes() -> None:
    rng = random.Random(1234)
    body = proto_body(SPECS * 3)
    for _ in range(400):
        data = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(data))
            if op < 0.5:
                data[pos] = rng.randrange(256)
            elif op < 0.75:
                del data[pos : pos + rng.randint(1, 8)]
            else:
                data[pos:pos] = rng.randbytes(rng.randint(1, 8))
        _run(bytes(data), "application/x-protobuf")


_CHAOS: list[Any] = [None, 0, -1, "x", "", [], {}, True, 1.5, "ZZZZ", [None], {"a": 1}, 2**70, "9" * 40]


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _nodes(v, (*path, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    "fixture", ["openinference_rag.json", "openllmetry_legacy.json", "genai_v1_36_span_events.json"]
)
def test_type_chaos_json(fixture: str) -> None:
    rng = random.Random(fixture)
    original = orjson.loads((FIXTURES / fixture).read_bytes())
    paths = _nodes(original)
    for _ in range(250):
        doc = copy.deepcopy(original)
        for _ in range(rng.randint(1, 3)):
            with contextlib.suppress(KeyError, IndexError, TypeError):  # path gone after an earlier swap
                doc = _replace(doc, rng.choice(paths[1:]), rng.choice(_CHAOS))
        try:
            body = orjson.dumps(doc)
        except TypeError:  # 2**70 is not encodable by orjson: send it as text JSON
            body = json.dumps(doc).encode()
        _run(body, "application/json")
