"""``spyglass export`` streams the matching traces of a running server as JSONL."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from spyglass.testing.server import RunningServer

pytestmark = pytest.mark.integration


def _send_trace(server: RunningServer, trace_id: str, feature: str) -> None:
    now = time.time_ns()
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cli-test"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": trace_id[:16],
                                "name": f"handle {feature}",
                                "startTimeUnixNano": str(now - 5_000_000),
                                "endTimeUnixNano": str(now),
                                "attributes": [
                                    {"key": "spyglass.feature", "value": {"stringValue": feature}},
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
    r = httpx.post(
        f"{server.url}/v1/traces",
        json=body,
        headers={"authorization": f"Bearer {server.api_key}"},
    )
    assert r.status_code == 200, r.text


def _export(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spyglass.cli.main", "export", "--url", server.url, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_export_writes_only_the_matching_traces(spyglass_server: RunningServer) -> None:
    _send_trace(spyglass_server, "a" * 32, "support")
    _send_trace(spyglass_server, "b" * 32, "billing")
    done = _export(spyglass_server, "--key", spyglass_server.api_key, "-q", "feature:support")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [t["trace_id"] for t in lines] == ["a" * 32]


def test_export_with_a_wrong_key_says_why(spyglass_server: RunningServer) -> None:
    done = _export(spyglass_server, "--key", "sg_wrong")
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr
