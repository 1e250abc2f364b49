"""The demo's HTTP transport to the fake provider: accounts simulated provider time.

(``httpx2`` is the HTTP client the openai and anthropic SDKs are built on.)

In real time it only passes requests through. When the calling context replays history
(:mod:`spyglass.demo.clock`), it

* asks the fake provider not to sleep (``x-spyglass-demo-phase: backfill``, matched by a
  rule of the demo scenario) and tells it the simulated time (``x-fake-clock``), so
  scheduled changes such as the snapshot swap happen at the right point in history;
* advances the simulated clock by the latency the provider reports (``x-fake-ttft-ms``
  when the headers arrive, the rest when a stream ends), so spans get realistic durations
  and time to first token;
* turns a simulated provider timeout into the ``httpx2.ReadTimeout`` a real hang would
  cause, after advancing the clock by the client's timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2

from spyglass.demo import clock
from spyglass.fakellm.state import CLOCK_HEADER

PHASE_HEADER = "x-spyglass-demo-phase"


class SimulatedTimeTransport(httpx2.BaseTransport):
    """Wraps a real transport; see the module docstring. ``timeout_ms`` is the client's
    read timeout, charged to the simulated clock when a timeout is simulated."""

    def __init__(self, inner: httpx2.BaseTransport | None = None, timeout_ms: float = 30_000) -> None:
        self._inner = inner or httpx2.HTTPTransport()
        self._timeout_ms = timeout_ms

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        timeline = clock.current()
        if timeline is None:
            return self._inner.handle_request(request)
        request.headers[PHASE_HEADER] = "backfill"
        request.headers[CLOCK_HEADER] = f"{timeline.now_s():.3f}"
        response = self._inner.handle_request(request)
        if response.headers.get("x-fake-simulated-timeout"):
            response.close()
            timeline.advance_ms(self._timeout_ms)
            raise httpx2.ReadTimeout("simulated provider timeout", request=request)
        ttft_ms = _header_ms(response, "x-fake-ttft-ms")
        total_ms = max(ttft_ms, _header_ms(response, "x-fake-latency-ms"))
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            timeline.advance_ms(total_ms)
            return response
        timeline.advance_ms(ttft_ms)
        assert isinstance(response.stream, httpx2.SyncByteStream)  # a sync transport's body
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_AdvanceAtEnd(response.stream, timeline, total_ms - ttft_ms),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()


class _AdvanceAtEnd(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, timeline: clock.Timeline, remaining_ms: float) -> None:
        self._inner = inner
        self._timeline = timeline
        self._remaining_ms = remaining_ms

    def __iter__(self) -> Iterator[bytes]:
        chunks = list(self._inner)  # the fake answered at once: the whole body is here
        step = self._remaining_ms / max(1, len(chunks) - 1)
        for index, chunk in enumerate(chunks):
            if index:  # the first chunk arrives at TTFT, already charged with the headers
                self._timeline.advance_ms(step)
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _header_ms(response: httpx2.Response, name: str) -> float:
    try:
        return float(response.headers.get(name, "0"))
    except ValueError:
        return 0.0
