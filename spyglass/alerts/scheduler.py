"""The background loop that runs evaluation rounds in the server.

``AlertScheduler.run`` is an ``async`` callable for ``Services.background_tasks``: every
``interval_s`` (≤ 60 s; 30 s by default) it seeds the default pack for projects that
never had it, runs :meth:`Evaluator.evaluate_once` in a worker thread (it blocks on the
store and the network) and sleeps. A failing round is logged and the loop goes on.
Cancellation (server shutdown) stops it between or during rounds; state is already
persisted after each alert step, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import anyio.to_thread

from spyglass.alerts.evaluate import Evaluator, RoundReport

log = logging.getLogger(__name__)


class AlertScheduler:
    def __init__(
        self,
        evaluator: Evaluator,
        interval_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        before_round: Callable[[float], None] | None = None,
    ) -> None:
        if not 0 < interval_s <= 60:
            raise ValueError("alert evaluation interval must be in (0, 60] seconds")
        self.evaluator, self.interval_s, self.clock, self.before_round = (
            evaluator,
            interval_s,
            clock,
            before_round,
        )
        self.last_report: RoundReport | None = None

    def round(self) -> RoundReport:
        """One blocking round at the clock's current time."""
        now = self.clock()
        if self.before_round is not None:
            self.before_round(now)
        self.last_report = self.evaluator.evaluate_once(now)
        return self.last_report

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await anyio.to_thread.run_sync(self.round)
            except Exception:
                log.exception("alert evaluation round failed")
            await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - started)))
