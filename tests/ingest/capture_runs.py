"""Run capture scripts (one subprocess per instrumentation mode, in parallel) and read the OTLP
file each wrote back through the real ingest pipeline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from spyglass.ingest.pipeline import decode_request, enrich, normalize_request
from spyglass.model import LlmSpan

ROOT = Path(__file__).resolve().parents[2]


def run_captures(module: str, modes: Sequence[str], out_dir: Path, *args: str) -> dict[str, list[LlmSpan]]:
    """``python -m <module> <mode> *args <out_dir>/<mode>.pb`` for every mode at once; each
    mode's spans decoded, normalized (none rejected) and enriched, in start-time order."""
    procs = {
        mode: subprocess.Popen(
            [sys.executable, "-m", module, mode, *args, str(out_dir / f"{mode}.pb")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for mode in modes
    }
    result: dict[str, list[LlmSpan]] = {}
    for mode, proc in procs.items():
        try:
            _, err = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, f"{mode}: {err.decode()[-2000:]}"
        body = (out_dir / f"{mode}.pb").read_bytes()
        res = normalize_request(decode_request(body, "application/x-protobuf", None), "proj")
        assert res.rejected == 0, res.errors
        enrich(res.spans)
        result[mode] = sorted(res.spans, key=lambda s: s.start_time_ns)
    return result
