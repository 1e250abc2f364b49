"""Overview dashboard against the real metrics API, and outliers opening their trace."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import open_page, wait_ready

pytestmark = pytest.mark.e2e


def _metrics(server: Any, **params: Any) -> dict[str, Any]:
    resp = httpx.get(
        f"{server.url}/api/v1/metrics",
        params={"start": "-24h", **params},
        headers={"x-api-key": server.api_key},
    )
    resp.raise_for_status()
    return resp.json()


def _kpi(page: Any, name: str) -> float:
    return float(page.get_attribute(f"[data-kpi='{name}'] .kpi-value", "data-value"))


def test_dashboard_figures_match_the_metrics_api(page: Any, ui_server: Any, snap: Any) -> None:
    server, _ = ui_server
    open_page(page, "/")
    expected = _metrics(server)["series"][0]
    assert _kpi(page, "requests") == expected["count"]
    assert _kpi(page, "error-rate") == pytest.approx(expected["error_rate"])
    assert _kpi(page, "p95-latency") == pytest.approx(expected["latency_ms"]["p95"])
    assert _kpi(page, "p95-cost") == pytest.approx(expected["cost_usd"]["p95"])
    fb = expected["feedback"]
    assert _kpi(page, "pass-rate") == pytest.approx(fb["positive"] / (fb["positive"] + fb["negative"]))
    # the latency histogram counts every request once
    page.wait_for_selector("#latency-histogram .chart[data-total]")
    assert int(page.get_attribute("#latency-histogram .chart", "data-total")) == expected["count"]
    assert page.locator("#kpis .kpi-value").first.inner_text() != "—"
    # deltas vs the previous period fill in after the first paint (no traffic before the seed)
    page.wait_for_selector("#page[data-complete='true']")
    assert page.locator("#kpis .delta").all_inner_texts() == ["no previous data"] * 5
    snap(page, "dashboard")
    snap(page, "dashboard-full", full_page=True)


def test_environment_filter_narrows_the_dashboard(page: Any, ui_server: Any) -> None:
    server, _ = ui_server
    open_page(page, "/?env=staging")
    expected = _metrics(server, q="environment:staging")["series"][0]
    assert _kpi(page, "requests") == expected["count"]
    assert expected["count"] < _metrics(server)["series"][0]["count"]


def test_clicking_an_outlier_opens_its_trace(page: Any, ui_server: Any) -> None:
    server, seeded = ui_server
    open_page(page, "/")
    row = page.locator("#outliers tbody tr").first
    row.wait_for()
    href = row.get_attribute("data-href")
    assert href and href.startswith("#/trace/")
    trace_id = href.split("/trace/")[1].split("?")[0]
    # slowest first: the 5,000-span agent run (240 s) is the slowest request
    assert trace_id == seeded.big_trace_id
    row.click()
    wait_ready(page)
    page.wait_for_selector("#waterfall")
    assert f"/trace/{trace_id}" in page.url


def test_outlier_tabs(page: Any, ui_server: Any) -> None:
    open_page(page, "/")
    for key in ("expensive", "lowest", "retried"):
        page.click(f"#outliers .tab[data-key='{key}']")
        page.wait_for_selector(f"#outliers .tab.active[data-key='{key}']")
        page.wait_for_selector("#outliers .outlier-body table tbody tr", timeout=10_000)


def test_kpi_delta_over_a_nearly_empty_previous_period_shows_no_percentage(page: Any, ui_server: Any) -> None:
    """The dashboard's own delta and money formatting, run in Chromium on the served modules."""
    open_page(page, "/")
    result = page.evaluate(
        """async () => {
          const d = await import('/ui/static/js/pages/dashboard.js');
          const f = await import('/ui/static/js/format.js');
          const requests = d.KPIS.find((k) => k.id === 'requests');
          const cost = d.KPIS.find((k) => k.id === 'p95-cost');
          const cur = { count: 2415, cost_usd: { p95: 0.0042 } };
          return {
            few: d.deltaText(requests, cur, { count: 1, cost_usd: { p95: 0.001 } }).text,
            none: d.deltaText(requests, cur, { count: 0, cost_usd: {} }).text,
            enough: d.deltaText(requests, cur, { count: 2000, cost_usd: { p95: 0.004 } }).text,
            costFew: d.deltaText(cost, cur, { count: 3, cost_usd: { p95: 0.0000016 } }).text,
            money: [1.6e-7, 0.0000016, 0.00042, 0.0042, 0.042, 4.2, 420].map(f.usd),
          };
        }"""
    )
    assert result["few"] == "previous: 1 (1 requests, too few to compare)" and "%" not in result["few"]
    assert result["none"] == "no previous data"
    assert result["enough"] == "▲ +20.8% vs previous"
    assert result["costFew"] == "previous: 1.6 µ$ (3 requests, too few to compare)"
    assert result["money"] == ["0.16 µ$", "1.6 µ$", "420 µ$", "$0.0042", "$0.042", "$4.2", "$420"]
