"""Latency is really slept unless ``no_sleep``, and is always reported in headers."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest

from spyglass.fakellm import (
    CLOCK_HEADER,
    FORCE_HEADER,
    Behaviour,
    FakeLLMServer,
    LatencySpec,
    Scenario,
    scenario_from_dict,
)

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "hi"}]


def test_stream_waits_ttft_before_first_chunk() -> None:
    scenario = Scenario(defaults=Behaviour(ttft=LatencySpec(300, 300), latency=LatencySpec(500, 500)))
    with FakeLLMServer(scenario) as fake:
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0)
        started = time.monotonic()
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        first = next(iter(stream))
        ttft_s = time.monotonic() - started
        for _ in stream:
            pass
        total_s = time.monotonic() - started
    assert first.choices[0].delta.role == "assistant"
    assert ttft_s >= 0.29 and total_s >= 0.49  # lower bounds only: a busy machine may be slower


def test_no_sleep_reports_simulated_latency_in_headers() -> None:
    scenario = Scenario(
        defaults=Behaviour(no_sleep=True, ttft=LatencySpec(2000, 2000), latency=LatencySpec(9000, 9000))
    )
    with FakeLLMServer(scenario) as fake:
        started = time.monotonic()
        response = httpx.post(
            f"{fake.openai_base_url}/chat/completions",
            json={"model": "m", "messages": MESSAGES},
            headers={"authorization": "Bearer k"},
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert float(response.headers["x-fake-ttft-ms"]) == 2000
    assert float(response.headers["x-fake-latency-ms"]) == 9000
    assert elapsed < 2.0  # nothing close to the simulated 9 s was slept


def test_rules_by_model_header_and_key() -> None:
    scenario = scenario_from_dict(
        {
            "defaults": {"no_sleep": True},
            "rules": [
                {"match": {"model": "gpt-4o"}, "behaviour": {"snapshots": {"gpt-4o": "gpt-4o-2024-08-06"}}},
                {
                    "match": {"headers": {"x-fake-scenario": "broken"}},
                    "behaviour": {"error_rates": {"server_error": 1.0}},
                },
                {"match": {"api_key": "sk-limited-*"}, "behaviour": {"error_rates": {"rate_limit": 1.0}}},
            ],
        }
    )
    with FakeLLMServer(scenario) as fake:
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-ok", max_retries=0)
        assert client.chat.completions.create(model="gpt-4o", messages=MESSAGES).model == "gpt-4o-2024-08-06"
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, extra_headers={"x-fake-scenario": "broken"}
            )
        limited = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-limited-1", max_retries=0)
        with pytest.raises(openai.RateLimitError):
            limited.chat.completions.create(model="gpt-4o", messages=MESSAGES)


def test_clock_header_schedules_a_snapshot_swap() -> None:
    scenario = scenario_from_dict(
        {
            "defaults": {"no_sleep": True},
            "rules": [{"match": {"after": 1000}, "behaviour": {"snapshots": {"m": "m-2"}}}],
        }
    )
    with FakeLLMServer(scenario) as fake:
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0)
        before = client.chat.completions.create(
            model="m", messages=MESSAGES, extra_headers={CLOCK_HEADER: "999"}
        )
        after = client.chat.completions.create(
            model="m", messages=MESSAGES, extra_headers={CLOCK_HEADER: "1001"}
        )
        wall = client.chat.completions.create(model="m", messages=MESSAGES)
    assert (before.model, after.model, wall.model) == ("m", "m-2", "m-2")


@pytest.mark.parametrize(
    ("force", "expected"),
    [("timeout", 504), ("ok", 200)],  # a simulated hang, and a slow but successful answer
)
def test_stop_ends_waiting_requests_instead_of_cancelling_them(force: str, expected: int) -> None:
    """A slow or hanging simulated provider must not hold up a shutdown, nor have its requests
    cancelled by it (uvicorn answers those with 500 and prints a traceback each)."""
    slow = LatencySpec(60_000, 60_000)
    server = FakeLLMServer(Scenario(defaults=Behaviour(timeout_hang_s=60, ttft=slow, latency=slow))).start()
    answered: list[int] = []

    def call() -> None:
        r = httpx.post(
            f"{server.openai_base_url}/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            headers={FORCE_HEADER: force, "authorization": "Bearer sk-test"},
            timeout=30,
        )
        answered.append(r.status_code)

    client = threading.Thread(target=call)
    client.start()
    time.sleep(0.5)  # the request is now waiting inside the provider
    t0 = time.monotonic()
    server.stop()
    client.join(10)
    assert time.monotonic() - t0 < 5
    assert answered == [expected], answered
