"""A tool-calling operations agent on Anthropic: agent span -> LLM -> tools -> LLM ...

Each arrival is one task ("customer says order X never arrived, resolve it"). The loop
stops when the model answers without tool calls or after ``MAX_STEPS`` model calls; in
the story's runaway window the model keeps calling tools, and every task runs to the
step limit (the cost blow-up).
"""

from __future__ import annotations

import random
from typing import Any

import anthropic

import spyglass
from spyglass.demo import clock
from spyglass.demo.apps.tools import AGENT_TOOLS, run_tool
from spyglass.demo.story import Story
from spyglass.demo.world import order_number, pick_tenant, pick_user

MODEL = "claude-sonnet-4-5"
MAX_STEPS = 30
TRANSIENT_RETRIES = 2
_POLICIES = (
    "Refunds: orders delivered less than 14 days ago may be refunded to the original payment method; "
    "digital goods and custom orders are not refundable once delivered or in production.",
    "Shipping: standard 3-5 business days, express 1-2, international 7-12 plus customs; a parcel is "
    "lost after 10 business days without a tracking update.",
    "Double charges: confirm both charges in billing, refund the duplicate, tell the customer 5-7 days.",
    "Plans: upgrades apply at once, downgrades at the next billing period; API limits per plan are in "
    "the help center.",
    "Escalation: open a ticket with priority high for anything involving money over 500 USD, legal "
    "threats, security, or a customer who asked for a human twice.",
    "Privacy: never repeat full card numbers, passwords or tokens; refer to the last four digits only.",
    "Tone: concise, factual, no promises the tools cannot confirm; state what you did and what happens next.",
)
SYSTEM = (
    "You are an operations agent for a support team. Investigate the customer's issue with the tools, "
    "fix what you can, open a ticket for anything you cannot fix, then summarise what you did.\n\n"
    "Policies:\n" + "\n".join(f"- {rule}" for rule in _POLICIES)
)
TASKS = (
    "Customer {user} says order {order} never arrived. Investigate and resolve.",
    "Customer {user} was charged twice for order {order}. Check and open a ticket if needed.",
    "Customer {user} asks to upgrade their plan and wants to know the new API limits.",
    "Order {order} for {user} shows delivered but the customer disputes it. Decide next steps.",
)


class StepLimitExceeded(RuntimeError):
    """The agent did not finish within MAX_STEPS model calls."""


class OpsAgent:
    def __init__(self, client: anthropic.Anthropic, story: Story, environment: str) -> None:
        self.client = client
        self.story = story
        self.environment = environment

    def run_task(self, rng: random.Random) -> str:
        """Run one task to completion (or the step limit); returns the trace id."""
        tenant = pick_tenant(rng)
        user = pick_user(rng, tenant)
        task = rng.choice(TASKS).format(user=user, order=order_number(rng))
        context = spyglass.context(
            user_id=user,
            tenant_id=tenant,
            feature="ops-agent",
            prompt_name="ops-agent-system",
            prompt_version="v4",
        )
        with context, spyglass.span("ops-agent", kind="agent") as agent:
            agent.set_input(task)
            messages: list[dict[str, Any]] = [{"role": "user", "content": task}]
            try:
                for step in range(1, MAX_STEPS + 1):
                    message = self._think(rng, messages)
                    messages.append(
                        {
                            "role": "assistant",
                            "content": [
                                b.model_dump(include={"type", "id", "name", "input", "text"})
                                for b in message.content
                            ],
                        }
                    )
                    tool_uses = [b for b in message.content if b.type == "tool_use"]
                    if message.stop_reason != "tool_use" or not tool_uses:
                        agent.set_output(" ".join(b.text for b in message.content if b.type == "text"))
                        agent.set_metadata("steps", step)
                        return agent.trace_id
                    results = []
                    for block in tool_uses:
                        output, ok = run_tool(block.name, dict(block.input), tenant, self.story, rng)
                        results.append(
                            {
                                "type": "tool_result",
                                "tool_use_id": block.id,
                                "content": output,
                                "is_error": not ok,
                            }
                        )
                    messages.append({"role": "user", "content": results})
                agent.set_metadata("steps", MAX_STEPS)
                agent.set_error(StepLimitExceeded(f"no answer after {MAX_STEPS} model calls"))
            except anthropic.APIError as exc:
                agent.set_error(exc)
            return agent.trace_id

    def _think(self, rng: random.Random, messages: list[dict[str, Any]]) -> anthropic.types.Message:
        """One model call; a third of them stream (the UI then shows time to first token)."""
        kwargs: dict[str, Any] = {
            "model": MODEL,
            "max_tokens": 1024,
            "system": SYSTEM,
            "tools": AGENT_TOOLS,
            "messages": messages,
        }
        for attempt in range(TRANSIENT_RETRIES + 1):
            try:
                if rng.random() < 0.33:
                    with self.client.messages.stream(**kwargs) as stream:
                        return stream.get_final_message()
                return self.client.messages.create(**kwargs)
            except (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APITimeoutError):
                if attempt == TRANSIENT_RETRIES:
                    raise
                clock.pause(1000 * 2**attempt)  # app-level backoff (the client has max_retries=0)
        raise AssertionError("unreachable")
