"""`make bench`: run every benchmark in sequence and print its figures.

Each benchmark module exposes ``main() -> dict | None`` that prints its own table and
returns its figures; this runner records them in ``bench/out/results.json`` together with
the machine it ran on, so docs/benchmarks.md can quote them with their context.

Select a subset with ``python -m bench.run store_query sdk_overhead`` (module names).
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

# Order: cheap and self-contained first, the 1 M-span runs last.
BENCHMARKS = [
    "ingest_pipeline",  # decode + normalize + enrich, in process
    "sdk_overhead",  # per-call overhead of the SDK vs OpenInference
    "ingest_http",  # sustained OTLP/protobuf ingest through a real server
    "fuzz_otlp",  # 100,000 mutated OTLP bodies: never a 500, a hang or a lost neighbour
    "store_query",  # query latency and bytes per span at 1 M spans
    "alerts",  # default rule pack over 1 M spans, event -> notification
    "ui",  # dashboard / explorer / 5,000-span trace in headless Chromium
]


def machine() -> dict[str, object]:
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            mem_gib = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str]) -> int:
    selected = argv or BENCHMARKS
    results: dict[str, object] = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"machine: {results['machine']}")
    failed = []
    for name in selected:
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            sys.argv = [f"bench.{name}"]  # modules that read sys.argv must see no arguments of ours
            figures = module.main()
            results[name] = figures if figures is not None else {}
        except Exception:  # one failing benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            results[name] = {"error": traceback.format_exc(limit=3)}
        print(f"--- bench.{name}: {time.perf_counter() - t0:.1f} s", flush=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nfigures written to {out / 'results.json'}")
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
