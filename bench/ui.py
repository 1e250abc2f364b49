"""UI benchmark: time to a usable dashboard, to the first explorer page and to an open
5,000-span trace, measured in headless Chromium against a real server holding N spans.

Run: ``python -m bench.ui [n_spans] [--data DIR]`` (default 1,000,000; with ``--data`` the
generated store is kept in DIR and reused by the next run). The spans are written straight
into the server's DuckDB file by ``bench.dataset.generate`` (project ``default``), then
``spyglass serve`` starts on that data dir and a 5,000-span agent trace is sent over OTLP.
Each page is loaded ``RUNS`` times from a blank tab (full page load: HTML, ES modules,
ECharts, API calls, rendering) until it reports ``data-ready``; the median is the figure.
Goals: dashboard <= 1 s, explorer <= 500 ms, 5,000-span trace <= 2 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.dataset import generate
from spyglass.store.duckdb import DuckDBStore
from spyglass.store.meta import DEFAULT_PROJECT_ID
from spyglass.testing.server import run_server
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, READY
from tests.e2e.seed import big_trace

RUNS = 5
GOALS_MS = {"dashboard": 1000.0, "explorer": 500.0, "trace_5000": 2000.0}


def _time_page(page: Any, url: str, hash_path: str) -> float:
    page.goto("about:blank")
    t0 = time.perf_counter()
    page.goto(f"{url}/#{hash_path}")
    page.wait_for_function(READY, timeout=120_000, polling=10)
    elapsed = (time.perf_counter() - t0) * 1000
    # let the below-the-fold queries finish so they do not slow the next measurement down
    page.wait_for_load_state("networkidle")
    return elapsed


def _api_ms(url: str, key: str, path: str, params: dict[str, Any], runs: int = 3) -> float:
    import httpx

    times = []
    with httpx.Client(headers={"x-api-key": key}, timeout=120) as client:
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            client.get(f"{url}{path}", params=params).raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times[1:]), 1)


def api_figures(url: str, key: str, trace_id: str) -> dict[str, float]:
    """Server time of the calls on each page's critical path (median ms), to attribute the page time."""
    day = {"start": "-24h"}
    return {
        "metrics_24h_ms": _api_ms(url, key, "/api/v1/metrics", day),
        "metrics_24h_bucketed_ms": _api_ms(url, key, "/api/v1/metrics", {**day, "bucket": "1h"}),
        "metrics_release_prompt_ms": _api_ms(
            url, key, "/api/v1/metrics", {**day, "bucket": "1h", "group_by": "release,prompt_version"}
        ),
        "traces_first_page_ms": _api_ms(url, key, "/api/v1/traces", {**day, "limit": 50}),
        "trace_5000_ms": _api_ms(url, key, f"/api/v1/traces/{trace_id}", {}),
        "histogram_ms": _api_ms(url, key, "/api/v1/metrics/histogram", {**day, "field": "duration_ms"}),
    }


def measure(url: str, key: str, trace_id: str, runs: int = RUNS) -> dict[str, Any]:
    """Median and first-load milliseconds of each page (the first load warms DuckDB and caches)."""
    from playwright.sync_api import sync_playwright

    pages = {"dashboard": "/", "explorer": "/traces", "trace_5000": f"/trace/{trace_id}"}
    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(f"{url}/login?key={key}")
            for name, path in pages.items():
                times = [_time_page(page, url, path) for _ in range(runs + 1)]
                out[name] = {
                    "first_ms": round(times[0], 1),
                    "median_ms": round(statistics.median(times[1:]), 1),
                    "goal_ms": GOALS_MS[name],
                    "meets_goal": statistics.median(times[1:]) <= GOALS_MS[name],
                }
        finally:
            browser.close()
    return out


def _prepare(data: Path, n_spans: int) -> int:
    """Generate ``n_spans`` into ``data`` unless a previous run left them there."""
    marker = data / "bench-ui-spans.txt"
    if marker.exists() and int(marker.read_text()) == n_spans:
        print(f"reusing {n_spans:,} spans in {data}", flush=True)
        return n_spans
    store = DuckDBStore(data)
    gen = generate(store, n_spans, DEFAULT_PROJECT_ID)
    store.checkpoint()
    store.close()
    marker.write_text(str(n_spans))
    print(f"generated {gen['spans']:,} spans in {gen['seconds']:.1f} s", flush=True)
    return int(gen["spans"])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = list(argv or [])  # bench.run calls main() without arguments
    keep = None
    if "--data" in args:
        i = args.index("--data")
        keep = Path(args[i + 1])
        del args[i : i + 2]
    n_spans = int(args[0]) if args else 1_000_000
    with tempfile.TemporaryDirectory(prefix="spyglass-bench-ui-") as tmp:
        data = keep or Path(tmp) / "data"
        spans = _prepare(data, n_spans)
        with run_server(data, grpc=False, timeout_s=120) as server:
            trace_id = big_trace(server.url, server.api_key, n_spans=5000)
            figures = measure(server.url, server.api_key, trace_id)
            api = api_figures(server.url, server.api_key, trace_id)
    result = {"spans": spans, **figures, "api": api}
    print(f"{'page':<12} {'first load':>12} {'median':>10} {'goal':>8}")
    for name in GOALS_MS:
        f = figures[name]
        mark = "ok" if f["meets_goal"] else "MISSED"
        print(
            f"{name:<12} {f['first_ms']:>10.0f} ms {f['median_ms']:>7.0f} ms {f['goal_ms']:>5.0f} ms  {mark}"
        )
    print("server time of the critical-path API calls (median ms):", api)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
