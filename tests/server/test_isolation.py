"""A key of project A never sees anything of project B, on any endpoint."""

from __future__ import annotations

import httpx
import orjson
import pytest

from spyglass.testing.server import RunningServer
from tests.server.otlp_helpers import (
    headers,
    iter_span_ids,
    new_span_id,
    new_trace_id,
    proto_request,
    wait_for_trace,
)

pytestmark = pytest.mark.integration


def _send(server: RunningServer, key: str, session: str) -> str:
    t = new_trace_id()
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "session.id": session}
    body = proto_request([(t, new_span_id(), None, "chat")], attributes=attrs).SerializeToString()
    assert httpx.post(f"{server.url}/v1/traces", content=body, headers=headers(key)).status_code == 200
    return t


def test_projects_are_isolated(spyglass_server: RunningServer) -> None:
    server = spyglass_server
    key_a = server.api_key
    created = httpx.post(f"{server.url}/api/v1/projects", json={"name": "B"}, headers={"x-api-key": key_a})
    assert created.status_code == 201, created.text
    key_b = created.json()["api_key"]
    assert created.json()["id"] != "default"
    me_b = httpx.get(f"{server.url}/api/v1/projects/current", headers={"x-api-key": key_b}).json()
    assert me_b == {"id": created.json()["id"], "name": "B"}

    trace_a = _send(server, key_a, "session-a")
    trace_b = _send(server, key_b, "session-b")
    wait_for_trace(server.url, key_a, trace_a)
    wait_for_trace(server.url, key_b, trace_b)
    fb = httpx.post(
        f"{server.url}/api/v1/feedback",
        json={"trace_id": trace_b, "thumbs": "down"},
        headers={"x-api-key": key_b},
    )
    assert fb.status_code == 201, fb.text

    def get(path: str, key: str, **params: str) -> httpx.Response:
        return httpx.get(f"{server.url}{path}", params={"start": "-1h", **params}, headers={"x-api-key": key})

    for mine, other, key, my_session, other_session in (
        (trace_a, trace_b, key_a, "session-a", "session-b"),
        (trace_b, trace_a, key_b, "session-b", "session-a"),
    ):
        assert get(f"/api/v1/traces/{other}", key).status_code == 404
        listed = [i["trace_id"] for i in get("/api/v1/traces", key).json()["items"]]
        assert mine in listed and other not in listed
        assert {t for t, _ in iter_span_ids(server.url, key)} == {mine}
        assert get(f"/api/v1/sessions/{other_session}", key).status_code == 404
        turns = get(f"/api/v1/sessions/{my_session}", key).json()["turns"]
        assert [turn["trace_id"] for turn in turns] == [mine]
        sessions = [s["session_id"] for s in get("/api/v1/sessions", key).json()["items"]]
        assert sessions == [my_session]
        metrics = get("/api/v1/metrics", key).json()
        assert sum(row["count"] for row in metrics["series"]) == 1
        export = get("/api/v1/export", key)
        lines = [orjson.loads(line) for line in export.content.splitlines() if line.strip()]
        assert [line["trace_id"] for line in lines] == [mine]
    # Feedback of B is visible to B only.
    assert get(f"/api/v1/traces/{trace_b}", key_b).json()["feedback"][0]["thumbs"] == "down"
    assert get(f"/api/v1/traces/{trace_a}", key_a).json()["feedback"] == []
