"""Back-office tools the support bot and the ops agent call (simulated services).

Each call is a ``tool`` span with its arguments, result and status. One tenant's backend
(orders API and CRM) is down from the story's outage time on: calls fail with a 503,
recorded as tool errors, and the model gets the error text as the tool result (as real
apps do). Apart from that outage the back office is healthy: a stray failure would be
enough for the default ``tool-failures`` rule (3 % of as few as 30 calls) to page.
"""

from __future__ import annotations

import json
import random
from typing import Any

import spyglass
from spyglass.demo import clock
from spyglass.demo.story import Story
from spyglass.demo.world import KNOWLEDGE_BASE

ORDER_TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"order_id": {"type": "string", "description": "Order number, e.g. #123456"}},
    "required": ["order_id"],
}

AGENT_TOOLS: list[dict[str, Any]] = [
    {
        "name": "lookup_order",
        "description": "Status and items of an order.",
        "input_schema": ORDER_TOOL_SCHEMA,
    },
    {
        "name": "get_customer",
        "description": "Customer profile and plan.",
        "input_schema": {
            "type": "object",
            "properties": {"customer_id": {"type": "string"}},
            "required": ["customer_id"],
        },
    },
    {
        "name": "search_kb",
        "description": "Search the help-center articles.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
    {
        "name": "create_ticket",
        "description": "Open a ticket for the human support team.",
        "input_schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "priority": {"type": "string", "enum": ["low", "normal", "high"]},
            },
            "required": ["summary", "priority"],
        },
    },
]


class ToolError(RuntimeError):
    """A back-office service failed."""


def run_tool(
    name: str, arguments: dict[str, Any], tenant: str, story: Story, rng: random.Random
) -> tuple[str, bool]:
    """Execute one tool call as a ``tool`` span; returns (result text for the model, ok)."""
    with spyglass.span(name, kind="tool") as span:
        span.set_tool(name=name, arguments=json.dumps(arguments))
        try:
            result = call_backend(name, arguments, tenant, story, rng)
        except ToolError as exc:
            span.set_tool(status="error", result=str(exc))
            span.set_error(exc, error_class="tool_error")
            return f"ERROR: {exc}", False
        span.set_tool(status="ok", result=result)
        return result, True


def call_backend(name: str, arguments: dict[str, Any], tenant: str, story: Story, rng: random.Random) -> str:
    """The simulated back-office service behind tool ``name`` (raises :class:`ToolError`)."""
    backend_call = name in ("lookup_order", "get_customer")
    if backend_call and story.backend_down_for(tenant, clock.now_s()) and rng.random() < 0.85:
        clock.pause_lognormal(rng, 2500, 10000)  # the failing service answers slowly, then 503
        service = "orders-api" if name == "lookup_order" else "crm-api"
        raise ToolError(f"{service} returned 503 Service Unavailable")
    if name == "lookup_order":
        clock.pause_lognormal(rng, 120, 900)
        status = rng.choice(("processing", "shipped", "in transit", "delivered", "delayed at customs"))
        return json.dumps(
            {"order_id": arguments.get("order_id"), "status": status, "items": rng.randint(1, 5)}
        )
    if name == "get_customer":
        clock.pause_lognormal(rng, 80, 400)
        return json.dumps(
            {
                "customer_id": arguments.get("customer_id"),
                "plan": rng.choice(("starter", "business", "enterprise")),
            }
        )
    if name == "search_kb":
        clock.pause_lognormal(rng, 150, 700)
        docs = rng.sample(KNOWLEDGE_BASE, 2)
        return json.dumps([{"id": d.id, "title": d.title} for d in docs])
    if name == "create_ticket":
        clock.pause_lognormal(rng, 200, 1200)
        return json.dumps(
            {"ticket": f"TCK-{rng.randint(10000, 99999)}", "priority": arguments.get("priority", "normal")}
        )
    raise ToolError(f"unknown tool {name!r}")
