"""The endpoints behind the UI (histogram, compare, outliers) over a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spyglass.testing.server import RunningServer
from tests.e2e.seed import seed

pytestmark = pytest.mark.integration


def _get(server: RunningServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", params=params, headers={"x-api-key": server.api_key}, timeout=30)


def test_histogram_compare_outliers_and_their_errors(spyglass_server: RunningServer) -> None:
    seed(spyglass_server.url, spyglass_server.api_key, n_requests=120)

    h = _get(spyglass_server, "/api/v1/metrics/histogram", field="duration_ms", buckets=10).json()
    assert h["count"] == 122 and len(h["buckets"]) == 10
    assert sum(b["count"] for b in h["buckets"]) + h["zero_count"] == h["count"]
    narrowed = _get(
        spyglass_server, "/api/v1/metrics/histogram", field="duration_ms", q="feature:search"
    ).json()
    assert 0 < narrowed["count"] < h["count"]

    c = _get(spyglass_server, "/api/v1/compare", dimension="prompt_version", a="v3", b="v4").json()
    assert c["n_a"] > 0 and c["n_b"] > 0
    assert {m["key"] for m in c["metrics"]} >= {
        "error_rate",
        "latency_p50",
        "cost_mean",
        "feedback_positive_rate",
    }

    o = _get(spyglass_server, "/api/v1/outliers", by="lowest_score", limit=3).json()
    assert o["by"] == "lowest_score" and len(o["items"]) == 3
    assert o["items"][0]["metric"] == 0.0  # a thumbs-down

    bad = _get(spyglass_server, "/api/v1/metrics/histogram", field="duration_ms", q="latncy_ms>5")
    assert bad.status_code == 400 and "position" in bad.json()["message"]
    assert _get(spyglass_server, "/api/v1/metrics/histogram", field="tokens").status_code == 400
    assert _get(spyglass_server, "/api/v1/compare", dimension="colour", a="x", b="y").status_code == 400
    assert _get(spyglass_server, "/api/v1/outliers", by="weird").status_code == 400
    assert (
        httpx.get(
            f"{spyglass_server.url}/api/v1/compare", params={"dimension": "model", "a": "x", "b": "y"}
        ).status_code
        == 401
    )
