"""A scripted OpenAI-, Anthropic- and Gemini-compatible provider (``spyglass fake-llm``).

Used by our tests, by benchmarks and by ``spyglass demo``: the real ``openai``,
``anthropic`` and ``google-genai`` SDKs talk to it over HTTP, and a :class:`Scenario` decides latencies,
errors, refusals, snapshots and output shapes, reproducibly under a seed.
"""

from spyglass.fakellm.app import create_app
from spyglass.fakellm.scenario import (
    Behaviour,
    LatencySpec,
    Match,
    Rule,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from spyglass.fakellm.server import FakeLLMServer
from spyglass.fakellm.state import CLOCK_HEADER, FORCE_HEADER, ProviderState

__all__ = [
    "CLOCK_HEADER",
    "FORCE_HEADER",
    "Behaviour",
    "FakeLLMServer",
    "LatencySpec",
    "Match",
    "ProviderState",
    "Rule",
    "Scenario",
    "ScenarioError",
    "create_app",
    "load_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]
