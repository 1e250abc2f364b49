"""The demo's storyline: what happens when, relative to the moment the demo starts.

Every story is visible in the UI and API (see docs/demo.md). Times are epoch seconds,
computed once by the orchestrator and handed to every worker, so the fake provider's
scheduled rules and the applications agree on when things happened.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Story:
    start_s: float  # the demo's "now" at start; history lies before it
    history_from_s: float  # earliest back-filled request
    v2_release_s: float  # support-answer v1 -> v2 (production)
    v3_canary_s: float  # support-answer v3 canary at 50 % (production); staging runs v3 from the start
    snapshot_swap_s: float  # the provider moves gpt-4o-mini to a new snapshot
    runaway_from_s: float  # the ops agent loops on tool calls (cost blow-up) ...
    runaway_until_s: float  # ... until here
    outage_from_s: float  # tenant "globex"'s orders API and CRM fail (ongoing)
    # False: a healthy run -- no v3 canary (staging stays on v2), no snapshot swap, no runaway
    # agent, no outage; only the background noise (rare provider errors, refusals ...) is left.
    # Used to count false alarms: such a run should open no incident.
    failures: bool = True

    @classmethod
    def starting_at(cls, start_s: float, hours: float, failures: bool = True) -> Story:
        """The default storyline; event times shrink with ``hours`` so short histories
        still show every story. ``failures=False``: the same traffic without any story's
        injected failure."""
        scale = hours / 24.0

        def ago(h: float) -> float:
            return start_s - h * scale * HOUR_S

        return cls(
            start_s=start_s,
            history_from_s=ago(24),
            v2_release_s=ago(18),
            v3_canary_s=ago(6),
            snapshot_swap_s=ago(9),
            runaway_from_s=ago(4.5),
            runaway_until_s=ago(3),
            outage_from_s=ago(5),
            failures=failures,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Story:
        return cls(**json.loads(text))

    def support_prompt_version(self, t_s: float, environment: str, roll: float) -> str:
        """Which support-answer version serves a request at ``t_s`` (``roll`` in [0, 1))."""
        if environment != "production":
            return "v3" if self.failures else "v2"
        if self.failures and t_s >= self.v3_canary_s and roll < 0.5:
            return "v3"
        return "v2" if t_s >= self.v2_release_s else "v1"

    def backend_down_for(self, tenant: str, t_s: float) -> bool:
        return self.failures and tenant == "globex" and t_s >= self.outage_from_s
