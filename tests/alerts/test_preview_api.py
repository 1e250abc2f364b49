"""``POST /api/v1/alerts/rules/preview`` in process: field errors, range errors, nothing
persisted, and project isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spyglass.alerts import tables
from spyglass.model.span import ErrorClass, StatusCode
from spyglass.store.meta import MetaStore
from tests.alerts.conftest import DAY, HOUR, MIN, T0, stream
from tests.alerts.test_api import Api, api  # noqa: F401 (the fixture)

pytestmark = pytest.mark.integration

RULE = {
    "name": "checkout-errors",
    "metric": "error_rate",
    "filter": "feature:checkout",
    "window": "5m",
    "condition": {"kind": "threshold", "op": ">", "value": 0.05},
    "min_volume": 10,
    "renotify": "30m",
    "channels": ["hook"],
}
URL = "/api/v1/alerts/rules/preview"
RANGE = {"start": T0, "end": T0 + 2 * HOUR, "step": "1m"}


def _traffic(store: Any) -> None:
    err = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}
    stream(store, T0, T0 + 2 * HOUR, 2.0, project_id="default", feature="checkout", bad=err,
           bad_from=T0 + 30 * MIN, bad_to=T0 + HOUR, bad_share=0.2)  # fmt: skip


def test_preview_shape_and_errors(api: Api) -> None:  # noqa: F811
    client, _, store, h = api
    _traffic(store)
    r = client.post(URL, headers=h, params=RANGE, json=RULE)
    assert r.status_code == 200, r.text
    body = r.json()
    [ep] = body["episodes"]
    assert ep["labels"] == {} and ep["end"] is not None and not ep["still_firing"]
    assert ep["peak_value"] == pytest.approx(0.2, abs=0.02) and ep["threshold"] == 0.05
    assert len(ep["example_traces"]) == 3
    assert body["totals"]["episodes"] == 1 and body["totals"]["firing"] == 1
    assert body["totals"]["notifications"] == body["totals"]["firing"] + body["totals"]["renotify"] + 1
    assert body["unknown_channels"] == [] and body["range"]["step_s"] == 60
    assert sum(d["notifications"] for d in body["per_day"]) == body["totals"]["notifications"]

    bad = client.post(
        URL, headers=h, params=RANGE, json={**RULE, "condition": {"kind": "threshold", "value": "x"}}
    )
    assert bad.status_code == 400 and bad.json()["message"].startswith("condition.value:")
    bad = client.post(URL, headers=h, params=RANGE, json={**RULE, "filter": "feature:"})
    assert bad.status_code == 400 and "filter" in bad.json()["message"]
    inverted = client.post(URL, headers=h, params={"start": T0 + HOUR, "end": T0}, json=RULE)
    assert inverted.status_code == 400 and inverted.json()["message"].startswith("end: must be after start")
    too_long = client.post(URL, headers=h, params={"start": T0, "end": T0 + 60 * DAY}, json=RULE)
    assert too_long.status_code == 400 and "at most 31 days" in too_long.json()["message"]
    too_fine = client.post(URL, headers=h, params={**RANGE, "end": T0 + 20 * DAY, "step": "10s"}, json=RULE)
    assert too_fine.status_code == 400 and too_fine.json()["message"].startswith("step:")
    # no step: the live interval, coarsened to fit; 20 days at 30 s would be 57,600 evaluations
    ok = client.post(URL, headers=h, params={"start": T0, "end": T0 + 20 * DAY}, json=RULE)
    assert ok.status_code == 200 and ok.json()["evaluations"] <= 25_000
    assert client.post(URL, params=RANGE, json=RULE).status_code == 401


def test_preview_persists_nothing(api: Api) -> None:  # noqa: F811
    client, service, store, h = api
    _traffic(store)
    service.evaluator.evaluate_once(T0 + 45 * MIN)  # the live rule fires: state, incident, delivery

    def snapshot() -> list[Any]:
        with service.repo.engine.connect() as c:
            return [[tuple(row) for row in c.execute(sa.select(t))] for t in tables.ALL_TABLES]

    before = snapshot()
    assert any(before[tables.ALL_TABLES.index(tables.alert_deliveries)])
    r = client.post(URL, headers=h, params=RANGE, json=RULE)
    assert r.status_code == 200 and r.json()["totals"]["notifications"] > 0
    assert snapshot() == before


def test_preview_is_scoped_to_the_key_project(api: Api, tmp_path: Path) -> None:  # noqa: F811
    client, _, store, h = api
    _traffic(store)
    meta = MetaStore.for_data_dir(tmp_path / "data")
    other = meta.create_project("other")
    key = meta.create_key(other.id, "read")
    r = client.post(URL, headers={"Authorization": f"Bearer {key.secret}"}, params=RANGE, json=RULE)
    assert r.status_code == 200 and r.json()["episodes"] == []
    assert len(client.post(URL, headers=h, params=RANGE, json=RULE).json()["episodes"]) == 1
