"""Durability: every span acknowledged by the writer survives a SIGKILL of the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from spyglass.store.duckdb import DuckDBStore

pytestmark = pytest.mark.integration

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from spyglass.store.duckdb import DuckDBStore
    from spyglass.store.writer import BatchWriter
    from tests.store.spans import make_span

    async def main():
        writer = BatchWriter(DuckDBStore(sys.argv[1]), max_batch_spans=500, max_delay_s=0.005)
        writer.start()
        n = 0
        while True:  # runs until killed
            spans = [make_span(n, k, None if k == 0 else 0) for k in range(50)]
            await writer.submit(spans)
            print(f"ack {n}", flush=True)  # printed only after the COMMIT
            n += 1

    asyncio.run(main())
    """
)


def test_acknowledged_spans_survive_sigkill(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env, cwd=repo
    )
    acked: list[int] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while len(acked) < 20 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(int(line.split()[1]))
    finally:
        proc.send_signal(signal.SIGKILL)  # no clean shutdown, no checkpoint
        proc.wait(10)
    assert len(acked) >= 20, "child did not acknowledge writes"
    store = DuckDBStore(tmp_path)
    try:
        rows = store.query("SELECT trace_id, count(*) AS n FROM spans GROUP BY trace_id")
        stored = {int(r["trace_id"], 16): r["n"] for r in rows}
        for n in acked:
            assert stored.get(n) == 50, f"acknowledged trace {n} lost after SIGKILL"
        traces = store.query("SELECT count(*) AS n FROM traces")[0]["n"]
        assert traces == len(stored)  # rollups committed with their spans
    finally:
        store.close()
