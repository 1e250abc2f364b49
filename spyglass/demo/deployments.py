"""The demo's deployments: one worker process per (application, environment).

Separate processes make the demo look like production: each deployment has its own
``service.name``, environment and release on its resource, exactly as separately
deployed services would report them.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Deployment:
    app: str  # support-bot | invoice-parser | ops-agent | order-assistant
    environment: str
    release: str
    per_hour: float  # mean arrivals per hour replayed in the back-fill (sessions, uploads, tasks)
    live_per_s: float  # mean arrivals per second in live traffic

    @property
    def name(self) -> str:
        return f"{self.app}/{self.environment}"


DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment("support-bot", "production", "support-bot@3.4.0", per_hour=24, live_per_s=0.45),
    Deployment("support-bot", "staging", "support-bot@3.5.0-rc1", per_hour=4, live_per_s=0.05),
    Deployment("invoice-parser", "production", "invoice-parser@1.9.2", per_hour=30, live_per_s=0.5),
    Deployment("ops-agent", "production", "ops-agent@0.8.0", per_hour=12, live_per_s=0.1),
    # A LangGraph agent (2-4 model calls per request); needs the ``demo`` extra.
    Deployment("order-assistant", "production", "order-assistant@1.2.0", per_hour=8, live_per_s=0.06),
)

#: Modules an app needs beyond ``spyglass[server]`` + openai + anthropic (``pip install 'spyglass[demo]'``).
APP_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "order-assistant": ("langgraph.graph", "langchain_openai", "openinference.instrumentation.langchain"),
}


def missing_modules(app: str) -> list[str]:
    """The modules ``app`` needs that are not installed (empty: it can run)."""
    missing = []
    for module in APP_REQUIREMENTS.get(app, ()):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            missing.append(module)
    return missing


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Everything one worker process needs, passed as one JSON argument."""

    deployment: Deployment
    story_json: str
    server_url: str
    api_key: str
    provider_url: str  # the fake provider's root URL
    backfill_from_s: float
    backfill_until_s: float
    rate_scale: float
    live_seconds: float  # 0 = until stopped
    seed: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerConfig:
        data = json.loads(text)
        data["deployment"] = Deployment(**data["deployment"])
        return cls(**data)
