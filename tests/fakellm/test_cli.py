"""``spyglass fake-llm`` as a process: serves the scenario file, stops on SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx
import pytest

from spyglass.testing.server import free_port

pytestmark = pytest.mark.integration


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "spyglass.cli.main", "fake-llm", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_scenario_and_stops_on_signal(tmp_path, sig: signal.Signals) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("defaults:\n  no_sleep: true\n  snapshots: {gpt-4o-mini: gpt-4o-mini-2024-07-18}\n")
    port = free_port()
    process = _start(["--port", str(port), "--scenario", str(scenario)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "fake-llm did not come up"
            time.sleep(0.1)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            headers={"authorization": "Bearer k"},
        )
        assert answer.json()["model"] == "gpt-4o-mini-2024-07-18"
        process.send_signal(sig)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_bad_scenario_file_exits_with_message(tmp_path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("defaults:\n  latncy: 5\n")
    process = _start(["--port", "0", "--scenario", str(scenario)])
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 2
    assert b"latncy" in output
