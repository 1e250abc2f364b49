"""The alerts/incidents REST API in process (real app, real stores, TestClient transport)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spyglass.alerts.service import AlertService
from spyglass.model.span import ErrorClass, StatusCode
from spyglass.server.api.alerts import install
from spyglass.server.app import create_app
from spyglass.server.services import Services
from spyglass.server.settings import Settings
from spyglass.store.duckdb import DuckDBStore
from spyglass.store.meta import MetaStore, new_key_secret
from spyglass.store.writer import BatchWriter
from tests.alerts.conftest import MIN, T0, stream

pytestmark = pytest.mark.integration

RULES_YAML = """
channels:
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/hook", secret: abc}
rules:
  - name: checkout-errors
    metric: error_rate
    filter: "feature:checkout"
    window: 5m
    condition: {kind: threshold, op: ">", value: 0.05}
    min_volume: 10
    severity: critical
    channels: [hook]
"""


Api = tuple[TestClient, AlertService, DuckDBStore, dict[str, str]]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    key = new_key_secret()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(data_dir=data, grpc_port=0, api_key=key, extra={"alerts": {"rules_file": str(rules)}})
    store = DuckDBStore(data)
    services = Services(
        settings=settings, store=store, meta=MetaStore.for_data_dir(data), writer=BatchWriter(store)
    )
    service = install(services)
    services.meta.bootstrap(key)
    services.background_tasks.clear()  # rounds are driven by the test, not the wall clock
    with TestClient(create_app(settings, services)) as client:
        yield client, service, store, {"Authorization": f"Bearer {key}"}


def test_rules_crud_with_field_errors(api: Api) -> None:
    client, _, _, h = api
    names = {r["name"] for r in client.get("/api/v1/alerts/rules", headers=h).json()["items"]}
    assert "checkout-errors" in names and "provider-errors" in names  # file + default pack

    bad = client.post(
        "/api/v1/alerts/rules",
        headers=h,
        json={"name": "x", "metric": "error_rate", "condition": {"kind": "threshold", "value": "high"}},
    )
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("condition.value:")
    bad_filter = client.post(
        "/api/v1/alerts/rules",
        headers=h,
        json={
            "name": "x",
            "metric": "volume",
            "filter": "model:",
            "condition": {"kind": "threshold", "value": 1},
        },
    )
    assert bad_filter.status_code == 400 and "filter" in bad_filter.json()["message"]

    doc = {
        "name": "spend-cap",
        "metric": "spend",
        "window": "1h",
        "condition": {"kind": "threshold", "value": 50},
        "severity": "high",
    }
    created = client.post("/api/v1/alerts/rules", headers=h, json=doc)
    assert created.status_code == 201
    rid = created.json()["id"]
    assert client.post("/api/v1/alerts/rules", headers=h, json=doc).status_code == 409
    doc["condition"]["value"] = 80
    assert (
        client.put(f"/api/v1/alerts/rules/{rid}", headers=h, json=doc).json()["spec"]["condition"]["value"]
        == 80
    )
    assert client.delete(f"/api/v1/alerts/rules/{rid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/alerts/rules/{rid}", headers=h).status_code == 404
    assert client.get("/api/v1/alerts/rules").status_code == 401

    applied = client.post("/api/v1/alerts/apply", headers=h, content=RULES_YAML.replace("0.05", "0.07"))
    assert applied.json() == {"rules": 1, "channels": 1}
    bad_file = client.post(
        "/api/v1/alerts/apply", headers=h, content=RULES_YAML.replace("metric: error_rate", "metric: nope")
    )
    assert bad_file.status_code == 400 and bad_file.json()["message"].startswith("body: rules[0].metric:")
    chans = client.get("/api/v1/alerts/channels", headers=h).json()["items"]
    assert chans[0]["secret"] == "***"


def test_alerts_incidents_and_silences(api: Api) -> None:
    client, service, store, h = api
    err = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}
    stream(
        store,
        T0,
        T0 + 10 * MIN,
        2.0,
        project_id="default",
        feature="checkout",
        bad=err,
        bad_from=T0,
        bad_share=0.2,
    )
    service.evaluator.evaluate_once(T0 + 11 * MIN)

    items = client.get("/api/v1/alerts", headers=h).json()["items"]
    fired = {a["rule_name"] for a in items if a["state"] == "firing"}
    assert "checkout-errors" in fired
    one = next(a for a in items if a["rule_name"] == "checkout-errors")
    assert len(one["example_traces"]) == 3 and one["incident_id"]

    summary = client.get("/api/v1/alerts/summary", headers=h).json()
    assert summary["firing"] >= 1 and summary["open_incidents"] >= 1
    history = client.get("/api/v1/alerts/history", headers=h).json()["items"]
    assert any(e["event"] == "firing" and e["rule_name"] == "checkout-errors" for e in history)
    deliveries = client.get("/api/v1/alerts/deliveries", headers=h).json()["items"]
    assert (
        deliveries and deliveries[0]["status"] == "pending" and deliveries[0]["last_error"]
    )  # port 9: nobody listens

    inc_id = one["incident_id"]
    inc = client.get(f"/api/v1/incidents/{inc_id}", headers=h).json()
    assert inc["state"] == "open" and inc["timeline"][0]["kind"] == "opened"
    assert client.post(f"/api/v1/incidents/{inc_id}/acknowledge", headers=h).json()["state"] == "acknowledged"
    noted = client.post(f"/api/v1/incidents/{inc_id}/notes", headers=h, json={"text": "rolling back"}).json()
    assert [e["text"] for e in noted["timeline"] if e["kind"] == "note"] == ["rolling back"]
    assert client.post(f"/api/v1/incidents/{inc_id}/resolve", headers=h).json()["state"] == "resolved"
    assert (
        client.get("/api/v1/incidents", headers=h, params={"state": "resolved"}).json()["items"][0]["id"]
        == inc_id
    )

    bad = client.post(
        "/api/v1/alerts/silences",
        headers=h,
        json={"matchers": [{"name": "x", "value": "(", "op": "=~"}], "duration": "1h", "reason": "r"},
    )
    assert bad.status_code == 400 and bad.json()["message"].startswith("matchers[0].value")
    s = client.post(
        "/api/v1/alerts/silences",
        headers=h,
        json={
            "matchers": [{"name": "alertname", "value": "checkout-errors"}],
            "duration": "2h",
            "reason": "deploy",
        },
    )
    assert s.status_code == 201
    assert [x["id"] for x in client.get("/api/v1/alerts/silences", headers=h).json()["items"]] == [
        s.json()["id"]
    ]
    assert client.delete(f"/api/v1/alerts/silences/{s.json()['id']}", headers=h).status_code == 204
    assert client.get("/api/v1/alerts/silences", headers=h).json()["items"] == []
