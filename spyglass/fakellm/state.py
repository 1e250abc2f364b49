"""The fake provider's mutable state: the current scenario, the sampler, and counters.

One :class:`ProviderState` is shared by all routes of one server. The scenario can be
replaced at runtime (``POST /_fake/scenario`` or :meth:`ProviderState.set_scenario`),
which is how the demo simulates a provider swapping the snapshot behind a model alias.
All methods are thread-safe; routes call :meth:`ProviderState.begin` once per request.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from spyglass.fakellm.scenario import (
    ERROR_KINDS,
    Behaviour,
    Outcome,
    RequestInfo,
    Sampler,
    Scenario,
    overlay_behaviour,
    snapshot_for,
)

#: Forces one outcome for one request, e.g. ``[[fake:force=rate_limit]]`` in a prompt.
_FORCE_MARKER = re.compile(r"\[\[fake:force=(\w+)\]\]")
FORCE_HEADER = "x-fake-force"
#: Epoch seconds to match ``after``/``before`` rules against instead of the wall clock, sent
#: by simulations that replay history (the demo's back-fill).
CLOCK_HEADER = "x-fake-clock"
FORCE_VALUES = frozenset(ERROR_KINDS) | {"refusal", "invalid_json", "hallucination", "ok"}


@dataclass(slots=True)
class Call:
    """One request in flight: what it asked, how it will be answered, and its pacing.

    In ``no_sleep`` mode the waits return at once; the simulated times are still
    reported in the ``x-fake-ttft-ms`` / ``x-fake-latency-ms`` headers so a client-side
    clock (the demo's back-fill) can account for them."""

    request: RequestInfo
    behaviour: Behaviour
    outcome: Outcome
    snapshot: str
    request_id: str
    stopping: threading.Event | None = None  # set when the server shuts down

    @property
    def sleeps(self) -> bool:
        return not self.behaviour.no_sleep

    def headers(self) -> dict[str, str]:
        return {
            "x-request-id": self.request_id,
            "x-fake-ttft-ms": f"{self.outcome.ttft_ms:.1f}",
            "x-fake-latency-ms": f"{self.outcome.latency_ms:.1f}",
        }

    async def wait_first_token(self) -> None:
        if self.sleeps:
            await self._pause(self.outcome.ttft_ms / 1000)

    async def wait_between_chunks(self, n_chunks: int) -> None:
        if self.sleeps and n_chunks > 0:
            await self._pause((self.outcome.latency_ms - self.outcome.ttft_ms) / 1000 / n_chunks)

    async def wait_whole_response(self) -> None:
        if self.sleeps:
            await self._pause(self.outcome.latency_ms / 1000)

    async def hang(self) -> None:
        """A provider that never answers: hang past the client's timeout."""
        if self.sleeps:
            await self._pause(self.behaviour.timeout_hang_s or 0)

    async def _pause(self, seconds: float) -> None:
        """Sleep like a slow provider, but end at once when the server is stopping, so
        shutdown never has to cancel requests in flight (uvicorn reports each cancelled
        request as a traceback on the user's terminal)."""
        if self.stopping is None:
            await asyncio.sleep(seconds)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self.stopping.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(0.1, left))


class ProviderState:
    """Scenario + sampler + counters, shared across requests and threads."""

    def __init__(self, scenario: Scenario) -> None:
        self._lock = threading.Lock()
        self._scenario = scenario
        self._sampler = Sampler(scenario.seed)
        self.stats: Counter[str] = Counter()
        self.stopping = threading.Event()  # hung requests give up when the server stops

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    def set_scenario(self, scenario: Scenario, reseed: bool = True) -> None:
        """Replace the scenario for every later request (in-flight ones keep theirs)."""
        with self._lock:
            self._scenario = scenario
            if reseed:
                self._sampler = Sampler(scenario.seed)

    def update_defaults(self, behaviour: Behaviour) -> None:
        """Lay ``behaviour`` over the current defaults (dict fields merge key by key),
        e.g. ``Behaviour(snapshots={"gpt-4o-mini": "gpt-4o-mini-2026-01-15"})``."""
        with self._lock:
            current = self._scenario
            self._scenario = Scenario(
                seed=current.seed,
                defaults=overlay_behaviour(current.defaults, behaviour),
                rules=list(current.rules),
            )

    def begin(
        self, api: str, model: str, prompt_text: str, headers: Mapping[str, str], api_key: str | None
    ) -> Call:
        """Resolve the behaviour for one request and draw its outcome."""
        request = RequestInfo(
            api=api,
            model=model,
            prompt_text=prompt_text,
            headers=headers,
            api_key=api_key,
            time_s=_clock(headers),
        )
        with self._lock:
            scenario, sampler = self._scenario, self._sampler
        behaviour = scenario.resolve(request)
        outcome = sampler.draw(behaviour, forced=_forced(prompt_text, headers))
        with self._lock:
            self.stats[f"{api}.requests"] += 1
            if outcome.error:
                self.stats[f"{api}.error.{outcome.error}"] += 1
            if outcome.refusal:
                self.stats[f"{api}.refusal"] += 1
        return Call(
            request=request,
            behaviour=behaviour,
            outcome=outcome,
            snapshot=snapshot_for(behaviour, model),
            request_id=f"req_{uuid.UUID(int=outcome.rng.getrandbits(128)).hex}",
            stopping=self.stopping,
        )


def _clock(headers: Mapping[str, str]) -> float:
    value = headers.get(CLOCK_HEADER)
    if value is not None:
        try:
            return float(value)
        except ValueError:
            pass  # a bad simulation header must not break the request: use the wall clock
    return time.time()


def _forced(prompt_text: str, headers: Mapping[str, str]) -> str | None:
    value = headers.get(FORCE_HEADER)
    if value is None:
        found = _FORCE_MARKER.search(prompt_text)
        value = found.group(1) if found else None
    return value if value in FORCE_VALUES else None
