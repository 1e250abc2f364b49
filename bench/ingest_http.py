"""Sustained OTLP/HTTP protobuf ingest through a real ``spyglass serve`` subprocess.

Realistic LLM spans (5 per trace: agent -> retrieval, chat, tool, chat; 1–2 KB prompts,
~0.5 KB outputs, ~25 attributes), 500 spans per request (the OTel SDK's batch size is 512),
sent by several concurrent HTTP/1.1 connections. A request counts only when answered 200,
i.e. after its spans are committed. Prints spans/s, bytes on disk per span and the
server's peak RSS (VmHWM). Goal: >= 20,000 spans/s, peak <= 1 GB.

    python -m bench.ingest_http [--spans 100000] [--connections 8] [--baseline GIT_REF]

``--baseline REF`` (or ``$SPYGLASS_BENCH_BASELINE``, e.g. ``make bench BASELINE=main``) also
runs the server of the build at that git ref, interleaved with this one, and prints the
throughput ratio (goal: >= 0.95, a change may cost at most 5%).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from spyglass.server.telemetry import dir_size_bytes
from spyglass.testing.procfs import children, cpu_seconds, peak_rss_bytes
from spyglass.testing.server import run_server

SPANS_PER_REQUEST = 500
SPANS_PER_TRACE = 5
_WORDS = [
    "the", "customer", "order", "refund", "policy", "shipping", "account", "invoice", "delivery", "warranty",
    "product", "please", "help", "with", "my", "question", "about", "billing", "subscription", "cancel",
    "upgrade", "plan", "support", "ticket", "status",
]  # fmt: skip
MODELS = [
    ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    ("gpt-4o", "gpt-4o-2024-08-06"),
    ("o4-mini", "o4-mini-2025-04-16"),
]


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        w = rng.choice(_WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:size]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _chat_attrs(rng: random.Random, prompt: str, answer: str, session: str, tenant: str) -> list[KeyValue]:
    model, snapshot = rng.choice(MODELS)
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": snapshot,
        "gen_ai.response.id": f"chatcmpl-{rng.getrandbits(64):x}",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 800,
        "gen_ai.request.top_p": 1.0,
        "gen_ai.usage.input_tokens": len(prompt) // 4,
        "gen_ai.usage.output_tokens": len(answer) // 4,
        "gen_ai.response.finish_reasons": '["stop"]',
        "gen_ai.system_instructions": '[{"type":"text","content":"You are a helpful support agent."}]',
        "gen_ai.input.messages": _json([{"role": "user", "parts": [{"type": "text", "content": prompt}]}]),
        "gen_ai.output.messages": (
            _json(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": answer}],
                        "finish_reason": "stop",
                    }
                ]
            )
        ),
        "server.address": "api.openai.com",
        "server.port": 443,
        "session.id": session,
        "user.id": f"user-{rng.randrange(5000)}",
        "spyglass.tenant_id": tenant,
        "spyglass.feature": rng.choice(["support", "search", "summarize"]),
        "spyglass.prompt.name": "support-answer",
        "spyglass.prompt.version": rng.choice(["v3", "v4"]),
        "deployment.environment": "production",
        "http.status_code": 200,
        "gen_ai.openai.response.service_tier": "default",
    }
    return [_kv(k, v) for k, v in attrs.items()]


def build_requests(n_spans: int, seed: int = 0) -> list[bytes]:
    """Serialized ExportTraceServiceRequests of ``SPANS_PER_REQUEST`` spans, unique ids."""
    rng = random.Random(seed)
    prompts = [_text(rng, rng.randrange(1024, 2048)) for _ in range(64)]
    answers = [_text(rng, rng.randrange(400, 600)) for _ in range(64)]
    now = time.time_ns()
    bodies: list[bytes] = []
    resource = {"attributes": [_kv("service.name", "support-bot"), _kv("service.version", "2026.11.3")]}
    for _ in range(max(1, n_spans // SPANS_PER_REQUEST)):
        spans: list[Span] = []
        for _ in range(SPANS_PER_REQUEST // SPANS_PER_TRACE):
            trace_id = rng.getrandbits(128).to_bytes(16, "big")
            root = rng.getrandbits(64).to_bytes(8, "big")
            t0 = now - rng.randrange(0, 3600 * 10**9)
            session, tenant = f"s-{rng.randrange(10**6)}", f"tenant-{rng.randrange(40):03d}"
            spans.append(
                Span(
                    trace_id=trace_id,
                    span_id=root,
                    name="invoke_agent support",
                    kind=Span.SPAN_KIND_INTERNAL,
                    start_time_unix_nano=t0,
                    end_time_unix_nano=t0 + 3_000_000_000,
                    attributes=[
                        _kv("gen_ai.operation.name", "invoke_agent"),
                        _kv("gen_ai.agent.name", "support"),
                        _kv("session.id", session),
                        _kv("spyglass.tenant_id", tenant),
                    ],
                )
            )
            spans.append(
                Span(
                    trace_id=trace_id,
                    span_id=rng.getrandbits(64).to_bytes(8, "big"),
                    parent_span_id=root,
                    name="retrieve kb",
                    kind=Span.SPAN_KIND_INTERNAL,
                    start_time_unix_nano=t0 + 10_000_000,
                    end_time_unix_nano=t0 + 90_000_000,
                    attributes=[
                        _kv("openinference.span.kind", "RETRIEVER"),
                        _kv("input.value", prompts[0][:200]),
                    ],
                )
            )
            for i in range(2):
                prompt, answer = rng.choice(prompts), rng.choice(answers)
                start = t0 + 100_000_000 + i * 1_500_000_000
                spans.append(
                    Span(
                        trace_id=trace_id,
                        span_id=rng.getrandbits(64).to_bytes(8, "big"),
                        parent_span_id=root,
                        name="chat",
                        kind=Span.SPAN_KIND_CLIENT,
                        start_time_unix_nano=start,
                        end_time_unix_nano=start + 1_200_000_000,
                        attributes=_chat_attrs(rng, prompt, answer, session, tenant),
                    )
                )
            spans.append(
                Span(
                    trace_id=trace_id,
                    span_id=rng.getrandbits(64).to_bytes(8, "big"),
                    parent_span_id=root,
                    name="execute_tool lookup_order",
                    kind=Span.SPAN_KIND_INTERNAL,
                    start_time_unix_nano=t0 + 1_400_000_000,
                    end_time_unix_nano=t0 + 1_550_000_000,
                    attributes=[
                        _kv("gen_ai.operation.name", "execute_tool"),
                        _kv("gen_ai.tool.name", "lookup_order"),
                        _kv("gen_ai.tool.call.arguments", '{"order_id": "A-1234"}'),
                    ],
                )
            )
        req = ExportTraceServiceRequest(
            resource_spans=[
                ResourceSpans(
                    resource=resource, scope_spans=[ScopeSpans(scope={"name": "bench"}, spans=spans)]
                )
            ]
        )
        bodies.append(req.SerializeToString())
    return bodies


async def _send_all(url: str, key: str, bodies: list[bytes], connections: int) -> tuple[int, int, float]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    ok = failed = 0
    headers = {"content-type": "application/x-protobuf", "x-api-key": key}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal ok, failed
        while not queue.empty():
            body = queue.get_nowait()
            for _attempt in range(20):  # retry 503 (writer full) like an OTLP exporter would
                resp = await client.post(f"{url}/v1/traces", content=body, headers=headers)
                if resp.status_code != 503:
                    break
                await asyncio.sleep(0.05)
            if resp.status_code == 200:
                ok += 1
            else:
                failed += 1

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        return ok, failed, time.perf_counter() - t0


def _measure(bodies: list[bytes], connections: int, env: dict[str, str] | None) -> dict[str, Any]:
    """One server, one warm-up request, then every body; the server's figures."""
    with (
        tempfile.TemporaryDirectory(prefix="spyglass-bench-") as tmp,
        run_server(Path(tmp) / "data", grpc=False, env=env) as server,
    ):
        # Warm-up request so imports/JIT-free paths (genai-prices tables …) are loaded.
        asyncio.run(_send_all(server.url, server.api_key, build_requests(SPANS_PER_REQUEST, seed=99), 1))
        assert server.pid is not None
        main_before = cpu_seconds(server.pid)
        workers_before = sum(map(cpu_seconds, children(server.pid)))
        ok, failed, seconds = asyncio.run(_send_all(server.url, server.api_key, bodies, connections))
        main_cpu = cpu_seconds(server.pid) - main_before
        workers_cpu = sum(map(cpu_seconds, children(server.pid))) - workers_before
        cpu = main_cpu + workers_cpu
        assert server.pid is not None
        peak_rss = peak_rss_bytes(server.pid)
        workers = children(server.pid)
        workers_rss = sum(peak_rss_bytes(c) or 0 for c in workers)
        server.stop()  # clean shutdown: the store checkpoints, so the size is what stays
        disk = dir_size_bytes(server.data_dir)
    spans = ok * SPANS_PER_REQUEST
    return {
        "spans": spans,
        "failed_requests": failed,
        "connections": connections,
        "seconds": round(seconds, 2),
        "spans_per_s": round(spans / seconds),
        "bytes_on_disk_per_span": round(disk / max(1, spans + SPANS_PER_REQUEST)),
        "server_cpu_us_per_span": round(cpu / max(1, spans) * 1e6, 1),
        "server_main_cpu_us_per_span": round(main_cpu / max(1, spans) * 1e6, 1),
        "server_peak_rss_mb": round(peak_rss / 2**20) if peak_rss else None,
        "worker_processes": len(workers),
        "workers_peak_rss_mb": round(workers_rss / 2**20),
    }


BASELINE_ENV = "SPYGLASS_BENCH_BASELINE"
BASELINE_GOAL = 0.95  # a change may cost at most 5% of the baseline's throughput


def _export_tree(ref: str, into: Path) -> None:
    """The ``spyglass`` package as it was at git ``ref``, unpacked under ``into``."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", ref, "spyglass"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def compare_with_baseline(ref: str, spans: int, connections: int, rounds: int = 6) -> dict[str, Any]:
    """This build against the build at ``ref``, same machine, same run: ``rounds`` interleaved
    pairs whose order alternates (this-baseline, baseline-this, …) so a drift in machine load
    and whatever the first server of a pair leaves behind (page cache, dirty pages) hit both
    alike; medians. An A/A run (``--baseline HEAD``) measured 1.05x with a fixed order."""
    bodies = build_requests(spans)
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="spyglass-baseline-") as tree:
        _export_tree(ref, Path(tree))
        for i in range(rounds):
            if i % 2 == 0:
                ours.append(_measure(bodies, connections, None))
                theirs.append(_measure(bodies, connections, {"PYTHONPATH": tree}))
            else:
                theirs.append(_measure(bodies, connections, {"PYTHONPATH": tree}))
                ours.append(_measure(bodies, connections, None))
            print(
                f"  round {i + 1}: this build {ours[-1]['spans_per_s']:,} spans/s, "
                f"baseline {ref} {theirs[-1]['spans_per_s']:,} spans/s",
                flush=True,
            )
    this_rate = statistics.median(r["spans_per_s"] for r in ours)
    base_rate = statistics.median(r["spans_per_s"] for r in theirs)
    ratio = this_rate / base_rate
    verdict = "PASS" if ratio >= BASELINE_GOAL else "MISS"
    this_cpu = statistics.median(r["server_cpu_us_per_span"] for r in ours)
    base_cpu = statistics.median(r["server_cpu_us_per_span"] for r in theirs)
    print(
        f"this build {this_rate:,.0f} spans/s vs baseline {ref} {base_rate:,.0f} spans/s (medians of {rounds}): "
        f"{ratio:.3f}x — goal >= {BASELINE_GOAL}x: {verdict}; server CPU per span "
        f"{this_cpu} vs {base_cpu} µs (less sensitive to other load on the machine)"
    )
    return {
        "baseline_ref": ref,
        "rounds": rounds,
        "spans_per_round": spans,
        "this_spans_per_s": [r["spans_per_s"] for r in ours],
        "baseline_spans_per_s": [r["spans_per_s"] for r in theirs],
        "this_cpu_us_per_span": [r["server_cpu_us_per_span"] for r in ours],
        "baseline_cpu_us_per_span": [r["server_cpu_us_per_span"] for r in theirs],
        "ratio": round(ratio, 3),
        "verdict": verdict,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="ingest worker processes (0 = in-thread; default: the server's)",
    )
    parser.add_argument(
        "--baseline",
        default=os.environ.get(BASELINE_ENV) or None,
        help=f"also measure the build at this git ref, interleaved (default: ${BASELINE_ENV})",
    )
    args = parser.parse_args(argv if argv is not None else [])
    t = time.perf_counter()
    bodies = build_requests(args.spans)
    print(
        f"built {len(bodies)} requests of {SPANS_PER_REQUEST} spans "
        f"({sum(map(len, bodies)) / len(bodies) / SPANS_PER_REQUEST:.0f} B/span on the wire) in {time.perf_counter() - t:.1f}s"
    )
    env = None if args.processes is None else {"SPYGLASS_INGEST_PROCESSES": str(args.processes)}
    figures = _measure(bodies, args.connections, env)
    seconds, spans, workers = figures["seconds"], figures["spans"], figures["worker_processes"]
    failed = figures["failed_requests"]
    print(
        f"{figures['spans_per_s']:,} spans/s over {seconds:.1f}s ({spans:,} spans, {failed} failed requests, "
        f"{args.connections} connections); {figures['server_cpu_us_per_span']} CPU µs per span "
        f"({figures['server_main_cpu_us_per_span']} in the server process, the rest in workers); "
        f"{figures['bytes_on_disk_per_span']} B on disk per span; "
        f"server peak RSS {figures['server_peak_rss_mb']} MB + {workers} worker processes "
        f"{figures['workers_peak_rss_mb']} MB (sum of peaks)"
    )
    if args.baseline:
        print(f"same-run comparison with the build at {args.baseline}:")
        figures["baseline"] = compare_with_baseline(args.baseline, min(args.spans, 50_000), args.connections)
    return figures


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
