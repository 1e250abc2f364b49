"""``spyglass serve`` as a user runs it: prints the URL and a fresh admin key that works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from spyglass.testing.server import free_port

pytestmark = pytest.mark.integration


def test_first_start_prints_url_and_a_working_admin_key_then_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
    env["SPYGLASS_PORT"] = str(port)  # from the environment, not a flag
    cfg = tmp_path / "spyglass.yaml"
    cfg.write_text(f"grpc_port: 0\ndata_dir: {tmp_path / 'data'}\nport: 1\n")  # env beats the file's port
    proc = subprocess.Popen(
        [sys.executable, "-m", "spyglass.cli.main", "serve", "--config", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("Admin API key" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}" in text, text
        key = re.search(r"(sg_[A-Za-z0-9_-]{32})", text)
        assert key, text
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        me = httpx.get(f"{url}/api/v1/projects/current", headers={"authorization": f"Bearer {key.group(1)}"})
        assert me.status_code == 200 and me.json()["id"] == "default"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
