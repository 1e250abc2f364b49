"""The fake provider's script for the demo, built from the :class:`Story`."""

from __future__ import annotations

from spyglass.demo.story import Story
from spyglass.demo.transport import PHASE_HEADER
from spyglass.fakellm import Behaviour, LatencySpec, Match, Rule, Scenario

#: A phrase only the regressed support prompt (v3) contains; the provider answers it worse.
V3_PHRASE = "Never speculate beyond the sources"
NEW_MINI_SNAPSHOT = "gpt-4o-mini-2025-04-14"
#: The LangGraph order assistant's (fake) OpenAI key; its scenario rule matches it.
ORDER_ASSISTANT_KEY = "sk-demo-order-assistant"


def demo_scenario(story: Story, seed: int = 42) -> Scenario:
    """The provider's behaviour: quiet background noise, and the stories' failures as
    scheduled rules (left out when ``story.failures`` is off, for a healthy run).

    The background noise stays clear of the default alert pack's thresholds, so only the
    stories page: provider errors ~0.7 % of calls (the ``provider-errors`` rule pages above
    2 %), timeouts 0.2 % (``timeouts``: 1 %), refusals 1 % (``refusals``: 5 %), and no
    invalid structured output or unsupported citation when nothing is wrong (each of those
    is a guardrail block, and ``safety-violation`` pages on any block).
    """
    story_rules = [
        Rule(
            name="support-answer v3 regression: more refusals and unsupported citations, slower",
            match=Match(prompt_contains=V3_PHRASE),
            behaviour=Behaviour(refusal_rate=0.14, hallucination_rate=0.16, latency=LatencySpec(2100, 11000)),
        ),
        Rule(
            name="provider swaps the gpt-4o-mini snapshot; structured output gets worse",
            match=Match(model="gpt-4o-mini", after=story.snapshot_swap_s),
            behaviour=Behaviour(snapshots={"gpt-4o-mini": NEW_MINI_SNAPSHOT}, invalid_json_rate=0.11),
        ),
        Rule(
            name="runaway agent: the model keeps calling tools",
            match=Match(api="anthropic.messages", after=story.runaway_from_s, before=story.runaway_until_s),
            behaviour=Behaviour(tool_repeat_rate=0.99, refusal_rate=0.0),
        ),
    ]
    return Scenario(
        seed=seed,
        defaults=Behaviour(
            ttft=LatencySpec(380, 2200),
            latency=LatencySpec(1300, 7000),
            output_tokens=LatencySpec(110, 550),
            error_rates={"rate_limit": 0.004, "server_error": 0.0015, "overloaded": 0.0015, "timeout": 0.002},
            refusal_rate=0.01,
            hallucination_rate=0.0,
            invalid_json_rate=0.0,
            cached_share=0.35,
            cache_write_share=0.1,
            tool_repeat_rate=0.3,
            snapshots={
                "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
                "gpt-4o": "gpt-4o-2024-08-06",
                "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
                "text-embedding-3-small": "text-embedding-3-small",
            },
            timeout_hang_s=60,
            retry_after_s=2,
        ),
        rules=[
            Rule(
                name="embeddings are fast and reliable",
                match=Match(api="openai.embeddings"),
                behaviour=Behaviour(
                    ttft=LatencySpec(40, 200),
                    latency=LatencySpec(60, 400),
                    error_rates={"rate_limit": 0.002, "server_error": 0.0, "overloaded": 0.0, "timeout": 0.0},
                ),
            ),
            *(story_rules if story.failures else []),
            Rule(
                name="order assistant: mostly one or two tool rounds, sometimes a direct answer",
                match=Match(api_key=ORDER_ASSISTANT_KEY),
                behaviour=Behaviour(tool_call_rate=0.85, tool_repeat_rate=0.4),
            ),
            Rule(
                name="back-fill: answer at once, report simulated latency in headers",
                match=Match(headers={PHASE_HEADER: "backfill"}),
                behaviour=Behaviour(no_sleep=True),
            ),
        ],
    )
