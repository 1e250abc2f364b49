"""``spyglass alerts check|apply`` against a real ``spyglass serve`` subprocess."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from spyglass.cli.main import main
from spyglass.testing.server import RunningServer

pytestmark = pytest.mark.integration

RULES = """
rules:
  - name: support-refusals
    metric: refusal_rate
    filter: "feature:support"
    window: 10m
    condition: {kind: threshold, op: ">", value: 0.1}
    min_volume: 20
"""


def test_check_names_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "rules.yaml"
    good.write_text(RULES)
    assert main(["alerts", "check", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace('"feature:support"', '"feature:"'))
    assert main(["alerts", "check", str(bad)]) == 1
    assert f"{bad}: rules[0].filter:" in capsys.readouterr().err


def test_apply_to_a_running_server(tmp_path: Path, spyglass_server: RunningServer) -> None:
    f = tmp_path / "rules.yaml"
    f.write_text(RULES)
    assert (
        main(["alerts", "apply", str(f), "--url", spyglass_server.url, "--key", spyglass_server.api_key]) == 0
    )
    r = httpx.get(
        f"{spyglass_server.url}/api/v1/alerts/rules", headers={"x-api-key": spyglass_server.api_key}
    )
    names = {x["name"] for x in r.json()["items"]}
    assert "support-refusals" in names
    assert main(["alerts", "apply", str(f), "--url", spyglass_server.url, "--key", "sg_wrong"]) == 1


def test_preview_prints_the_episodes(
    tmp_path: Path, spyglass_server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from tests.alerts.test_ui import _span

    then = time.time_ns() - 180 * 1_000_000_000  # settled: the live engine judges windows 60 s old
    spans = [_span(then - i * 1_000_000_000, "v1", i % 2 == 0) for i in range(12)]
    body = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}
    httpx.post(
        f"{spyglass_server.url}/v1/traces", json=body, headers={"x-api-key": spyglass_server.api_key}
    ).raise_for_status()
    f = tmp_path / "rule.yaml"
    f.write_text(
        "name: chat-errors\nmetric: error_rate\nwindow: 5m\nmin_volume: 5\n"
        "condition: {kind: threshold, op: '>', value: 0.2}\n"
    )
    args = ["alerts", "preview", str(f), "--url", spyglass_server.url, "--key", spyglass_server.api_key]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "chat-errors: 1 episode(s), 1 still firing" in out and "still firing  " in out
    assert "0.5" in out and "all traffic" in out
    f.write_text("name: x\nmetric: error_rate\ncondition: {kind: threshold, value: high}\n")
    assert main(args) == 1
    assert f"{f}.condition.value:" in capsys.readouterr().err
