"""Alerts benchmark.

1. **Evaluation round**: the default rule pack over ``n_spans`` (default 1 M) spans of the
   shared synthetic dataset (``bench/dataset.py``) in a DuckDB store; one full
   ``evaluate_once`` round timed cold and warm, plus the time per rule. Goal: a round ≤ 2 s.
2. **Bad event → notification**: a real ``spyglass serve`` subprocess with an any-event rule
   and a webhook channel pointing at a local receiver; one error span is sent over OTLP/HTTP
   and the time until the signed webhook arrives is measured. Goal: ≤ 60 s + window.
   The server runs with ``interval_s: 10`` and ``settle_s: 5`` to keep the run short; the
   figure printed next to it is the bound for the defaults (settle 60 s + interval 30 s).

``python -m bench.alerts [n_spans]``
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.dataset import generate
from spyglass.alerts.conditions import sample_rule
from spyglass.alerts.service import AlertService
from spyglass.store.duckdb import DuckDBStore
from spyglass.testing.server import run_server

PROJECT = "bench"


def bench_evaluation(n_spans: int, keep_dir: str | None = None) -> dict[str, Any]:
    """``keep_dir``: generate the dataset there once and reuse it on later runs."""
    with tempfile.TemporaryDirectory(prefix="spyglass-bench-alerts-") as tmp:
        data = Path(keep_dir) if keep_dir else Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        stamp = data / f"generated-{n_spans}.txt"
        store = DuckDBStore(data)
        t = time.perf_counter()
        if stamp.exists():
            end_ns = int(stamp.read_text())
        else:
            end_ns = time.time_ns()
            generate(store, n_spans, PROJECT, seed=0, end_time_ns=end_ns)
            stamp.write_text(str(end_ns))
        gen_s = time.perf_counter() - t
        (Path(tmp) / "meta.sqlite").unlink(missing_ok=True)
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'meta.sqlite'}")
        now = end_ns / 1e9
        svc = AlertService(store, engine, settle_s=60.0, base_url="http://bench", clock=lambda: now)
        svc.seed_default_rules([PROJECT], now)
        rounds = []
        reports = []
        for i in range(4):
            t = time.perf_counter()
            reports.append(svc.evaluator.evaluate_once(now + i * 30))
            rounds.append(time.perf_counter() - t)
        report = reports[-1]
        events = [e for r in reports for e, _, _ in r.events]
        firing = len(svc.repo.active_instances(PROJECT, ("firing",)))
        assert report is not None and not report.errors, report and report.errors
        per_rule = {}
        for _, rule in svc.repo.list_rules(PROJECT):
            t = time.perf_counter()
            sample_rule(rule, svc.queries, PROJECT, now - 60)
            per_rule[rule.name] = round((time.perf_counter() - t) * 1000, 1)
        engine.dispose()
        store.close()
    return {
        "n_spans": n_spans,
        "generate_s": round(gen_s, 1),
        "rules": len(per_rule),
        "round_cold_s": round(rounds[0], 3),
        "round_warm_median_s": round(statistics.median(rounds[1:]), 3),
        "events": {k: events.count(k) for k in sorted(set(events))},
        "firing_after": firing,
        "per_rule_ms": per_rule,
    }


class _Receiver(BaseHTTPRequestHandler):
    arrivals: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 (stdlib name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Receiver.arrivals.append(time.time())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _error_span_otlp_json() -> dict[str, Any]:
    now = time.time_ns()
    attrs = [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
        {"key": "error.type", "value": {"stringValue": "InternalServerError"}},
    ]
    span = {
        "traceId": uuid.uuid4().hex,
        "spanId": uuid.uuid4().hex[:16],
        "name": "chat gpt-4o-mini",
        "kind": 3,
        "startTimeUnixNano": str(now - 500_000_000),
        "endTimeUnixNano": str(now),
        "attributes": attrs,
        "status": {"code": 2, "message": "upstream 500"},
    }
    return {
        "resourceSpans": [
            {"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "bench"}, "spans": [span]}]}
        ]
    }


def bench_notification_latency(interval_s: float = 10.0, settle_s: float = 5.0) -> dict[str, Any]:
    _Receiver.arrivals = []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]
    try:
        with tempfile.TemporaryDirectory(prefix="spyglass-bench-alerts-") as tmp:
            rules = Path(tmp) / "rules.yaml"
            rules.write_text(
                f"""
channels:
  - {{name: hook, type: webhook, url: "http://127.0.0.1:{port}/hook", secret: bench}}
rules:
  - name: any-error
    metric: volume
    filter: "status:error"
    window: 1m
    condition: {{kind: any_event}}
    severity: critical
    channels: [hook]
"""
            )
            config = Path(tmp) / "spyglass.yaml"
            config.write_text(f"alerts:\n  interval_s: {interval_s}\n  settle_s: {settle_s}\n")
            with run_server(
                Path(tmp) / "data",
                grpc=False,
                extra_args=["--config", str(config), "--alert-rules", str(rules)],
            ) as server:
                h = {"x-api-key": server.api_key}
                deadline = time.time() + 60
                while time.time() < deadline:  # wait for the first round so the loop is warm
                    items = httpx.get(f"{server.url}/api/v1/alerts/rules", headers=h).json()["items"]
                    if any(r["name"] == "any-error" and r["last_evaluated_at"] for r in items):
                        break
                    time.sleep(0.5)
                sent = time.time()
                r = httpx.post(f"{server.url}/v1/traces", json=_error_span_otlp_json(), headers=h)
                r.raise_for_status()
                deadline = sent + 120
                while not _Receiver.arrivals and time.time() < deadline:
                    time.sleep(0.05)
                latency = (_Receiver.arrivals[0] - sent) if _Receiver.arrivals else None
    finally:
        receiver.shutdown()
        receiver.server_close()
    return {
        "interval_s": interval_s,
        "settle_s": settle_s,
        "event_to_webhook_s": None if latency is None else round(latency, 2),
        "bound_with_defaults_s": 60 + 30,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    n_spans = int(argv[0]) if argv else 1_000_000  # bench.run calls main() with no arguments
    keep = os.environ.get("SPYGLASS_BENCH_ALERTS_DIR")  # reuse a generated dataset between runs
    ev = bench_evaluation(n_spans, keep)
    print(
        f"alerts: default pack ({ev['rules']} rules) over {ev['n_spans']:,} spans "
        f"(generated in {ev['generate_s']} s)"
    )
    print(f"  round, cold          {ev['round_cold_s']:.3f} s   (goal <= 2 s)")
    print(f"  round, warm (median) {ev['round_warm_median_s']:.3f} s")
    print(f"  events over 4 rounds {ev['events']}, firing after: {ev['firing_after']}")
    for name, ms in sorted(ev["per_rule_ms"].items(), key=lambda kv: -kv[1]):
        print(f"    {name:<28} {ms:8.1f} ms")
    lat = bench_notification_latency()
    print(
        f"  bad event -> signed webhook: {lat['event_to_webhook_s']} s "
        f"(interval {lat['interval_s']} s, settle {lat['settle_s']} s; "
        f"defaults bound {lat['bound_with_defaults_s']} s + rule 'for'; goal <= 60 s + window)"
    )
    return {"evaluation": ev, "notification": lat}


if __name__ == "__main__":
    main(sys.argv[1:])
