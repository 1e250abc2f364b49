"""Which deployments run: the LangGraph app only when its packages are installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.demo import deployments
from spyglass.demo.deployments import DEPLOYMENTS, missing_modules
from spyglass.demo.orchestrator import Demo, DemoOptions

pytestmark = pytest.mark.unit


def test_every_app_but_the_langgraph_one_needs_nothing_beyond_the_server_install() -> None:
    apps = {d.app for d in DEPLOYMENTS}
    assert {"support-bot", "invoice-parser", "ops-agent", "order-assistant"} == apps
    assert set(deployments.APP_REQUIREMENTS) == {"order-assistant"}
    assert missing_modules("support-bot") == []
    assert missing_modules("order-assistant") == []  # the dev install has the demo extra


def test_missing_modules_names_what_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        deployments.APP_REQUIREMENTS, "order-assistant", ("json", "no_such_pkg_x", "no_such_pkg_y.sub")
    )
    assert missing_modules("order-assistant") == ["no_such_pkg_x", "no_such_pkg_y.sub"]


def test_without_the_framework_packages_the_demo_runs_the_others_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(deployments.APP_REQUIREMENTS, "order-assistant", ("no_such_langgraph",))
    demo = Demo(DemoOptions(data_dir=tmp_path))
    running = [d.name for _, d in demo._deployments]
    assert "order-assistant/production" not in running and len(running) == len(DEPLOYMENTS) - 1
    # seeds stay those of the full list, so a skipped app does not change the others' traffic
    assert [i for i, _ in demo._deployments] == [
        i for i, d in enumerate(DEPLOYMENTS) if d.app != "order-assistant"
    ]
    demo._banner("http://127.0.0.1:1", "sg_x", "http://127.0.0.1:2", 0.0, 3600.0)
    lines = [line for line in capsys.readouterr().out.splitlines() if "order-assistant" in line]
    assert len(lines) == 1, lines
    assert "no_such_langgraph" in lines[0] and "spyglass[demo]" in lines[0]


def test_with_the_packages_nothing_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = Demo(DemoOptions(data_dir=tmp_path))
    assert len(demo._deployments) == len(DEPLOYMENTS)
    demo._banner("http://127.0.0.1:1", "sg_x", "http://127.0.0.1:2", 0.0, 3600.0)
    assert "Skipping" not in capsys.readouterr().out
