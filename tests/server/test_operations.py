"""Health, readiness, Prometheus metrics, login cookie, scopes and the JSON error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spyglass.testing.server import RunningServer, run_server
from tests.server.otlp_helpers import headers, new_span_id, new_trace_id, proto_request

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spyglass_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the module (these tests do not interfere): saves two start-ups."""
    with run_server(tmp_path_factory.mktemp("operations")) as server:
        yield server


def _value(exposition: str, series: str) -> float:
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def test_health_ready_and_metrics(spyglass_server: RunningServer) -> None:
    url = spyglass_server.url
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{url}/readyz").json()
    assert ready["status"] == "ready" and all(ready["checks"].values())
    accepted = 'spyglass_spans_accepted_total{transport="http"}'
    requests = 'spyglass_http_requests_total{endpoint="/v1/traces",status="200"}'
    before = httpx.get(f"{url}/metrics").text
    t = new_trace_id()
    body = proto_request([(t, new_span_id(), None, "a"), (t, new_span_id(), None, "b")]).SerializeToString()
    assert (
        httpx.post(f"{url}/v1/traces", content=body, headers=headers(spyglass_server.api_key)).status_code
        == 200
    )
    text = httpx.get(f"{url}/metrics").text
    assert _value(text, accepted) - _value(before, accepted) == 2
    assert _value(text, requests) - _value(before, requests) == 1
    for name in (
        "spyglass_ingest_seconds_bucket",
        "spyglass_writer_batches_total",
        "spyglass_writer_queue_depth",
        "spyglass_store_size_bytes",
        "spyglass_ingest_normalizer_failures_total",
    ):
        assert name in text


def test_metrics_count_rejections_by_reason_and_repairs_by_field(spyglass_server: RunningServer) -> None:
    url = spyglass_server.url
    rejected = 'spyglass_spans_rejected_total{reason="identity",transport="http"}'
    repaired = 'spyglass_ingest_values_repaired_total{field="input_tokens"}'
    before = httpx.get(f"{url}/metrics").text
    t = new_trace_id()
    req = proto_request(
        [(t, new_span_id(), None, "good"), (t, new_span_id(), None, "bad-id")],
        attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": -3},
    )
    req.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x01" * 9  # 9 bytes: unusable
    resp = httpx.post(
        f"{url}/v1/traces", content=req.SerializeToString(), headers=headers(spyglass_server.api_key)
    )
    assert resp.status_code == 200
    text = httpx.get(f"{url}/metrics").text
    assert _value(text, rejected) - _value(before, rejected) == 1
    assert _value(text, repaired) - _value(before, repaired) == 1  # the good span's -3 tokens


def test_login_sets_cookie_and_cookie_authenticates(spyglass_server: RunningServer) -> None:
    url = spyglass_server.url
    with httpx.Client(base_url=url) as client:
        bad = client.get("/login", params={"key": "sg_" + "n" * 32})
        assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
        resp = client.get("/login", params={"key": spyglass_server.api_key}, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/"
        cookie = resp.headers["set-cookie"].lower()
        assert "spyglass_key=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert client.get("/api/v1/projects/current").json()["id"] == "default"


def test_scopes_and_error_shape(spyglass_server: RunningServer) -> None:
    url, admin = spyglass_server.url, spyglass_server.api_key
    missing = httpx.get(f"{url}/api/v1/traces")
    assert missing.status_code == 401 and set(missing.json()) == {"error", "message"}
    read_key = httpx.post(f"{url}/api/v1/keys", json={"scope": "read"}, headers={"x-api-key": admin}).json()[
        "api_key"
    ]
    denied = httpx.post(
        f"{url}/api/v1/keys", json={"scope": "admin"}, headers={"authorization": f"Bearer {read_key}"}
    )
    assert denied.status_code == 403 and "admin" in denied.json()["message"]
    bad_body = httpx.post(f"{url}/api/v1/keys", json={"scope": "root"}, headers={"x-api-key": admin})
    assert bad_body.status_code == 400 and "scope" in bad_body.json()["message"]
    feedback = httpx.post(f"{url}/api/v1/feedback", json={"thumbs": "up"}, headers={"x-api-key": admin})
    assert feedback.status_code == 400 and "trace_id" in feedback.json()["message"]
    unknown = httpx.get(f"{url}/api/v1/nothing-here", headers={"x-api-key": admin})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert httpx.get(f"{url}/openapi.json").json()["paths"]["/v1/traces"]


def test_per_key_rate_limit_answers_429(tmp_path: Path) -> None:
    env = {"SPYGLASS_RATE_LIMIT_RPS": "0.1", "SPYGLASS_RATE_LIMIT_BURST": "2"}
    with run_server(tmp_path / "data", grpc=False, env=env) as server:
        t = new_trace_id()
        body = proto_request([(t, new_span_id(), None, "a")]).SerializeToString()
        codes = [
            httpx.post(f"{server.url}/v1/traces", content=body, headers=headers(server.api_key)).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        limited = httpx.post(
            f"{server.url}/v1/traces", content=b"{}", headers=headers(server.api_key, "application/json")
        )
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        assert "rate limit" in limited.json()["message"]


def test_keys_are_listed_without_secrets_and_revocation_is_immediate(spyglass_server: RunningServer) -> None:
    url, admin = spyglass_server.url, {"x-api-key": spyglass_server.api_key}
    created = httpx.post(
        f"{url}/api/v1/keys", json={"scope": "read", "name": "dashboards"}, headers=admin
    ).json()
    reader = {"x-api-key": created["api_key"]}
    assert httpx.get(f"{url}/api/v1/projects/current", headers=reader).status_code == 200
    listed = httpx.get(f"{url}/api/v1/keys", headers=admin).json()
    row = next(k for k in listed if k["id"] == created["id"])
    assert row["scope"] == "read" and row["name"] == "dashboards" and not row["revoked"]
    assert created["api_key"] not in httpx.get(f"{url}/api/v1/keys", headers=admin).text
    assert httpx.delete(f"{url}/api/v1/keys/{created['id']}", headers=reader).status_code == 403
    assert httpx.delete(f"{url}/api/v1/keys/{created['id']}", headers=admin).status_code == 204
    assert httpx.get(f"{url}/api/v1/projects/current", headers=reader).status_code == 401
    assert httpx.delete(f"{url}/api/v1/keys/key_doesnotexist", headers=admin).status_code == 404
