"""An order assistant built with LangGraph on ``langchain_openai.ChatOpenAI`` (a framework trace).

Each arrival is one customer message ("I want to return order #123456"). A small ReAct graph
answers it: the ``model`` node calls ``gpt-4o-mini`` with three tools, the ``tools`` node
runs the tools the model asked for, and the loop goes on until the model answers without a
tool call. The app itself only wraps each run in ``spyglass.context`` and one workflow
span; the rest of the trace comes from OpenInference's LangChain instrumentor, which
``spyglass.init()`` turns on, with the ``openai`` call nested under LangChain's LLM span:

    order-assistant request (workflow) -> order-agent (agent) -> model (chain)
        -> ChatOpenAI (LLM, framework) -> chat gpt-4o-mini (LLM, counted: tokens and cost)
    -> tools (chain) -> lookup_order | check_refund_policy | create_return_label (tool)

``lookup_order`` goes to the same simulated orders API as the other apps, so the story's
outage for tenant ``globex`` fails it here too (a tool span in error; the model gets the
error text and answers anyway).

Needs ``spyglass[demo]`` (langgraph, langchain-openai, the OpenInference instrumentor);
the demo skips this deployment when they are missing (:data:`REQUIREMENTS`).
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx2
import openai
from langchain_core.messages import SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

import spyglass
from spyglass.demo import clock
from spyglass.demo.apps.tools import ToolError, call_backend
from spyglass.demo.story import Story
from spyglass.demo.world import KNOWLEDGE_BASE, keyword_scores, order_number, pick_tenant, pick_user

MODEL = "gpt-4o-mini"
MAX_GRAPH_STEPS = 24  # LangGraph's recursion limit: about 11 model calls
PROMPT_NAME, PROMPT_VERSION = "order-assistant-system", "v1"
SYSTEM = (
    "You are the order assistant of an online shop. Use the tools to look orders up, check the "
    "refund policy before promising a refund, and create a return label only for orders the policy "
    "allows to return. Answer in two or three sentences."
)
REQUESTS = (
    "I want to return order {order}, it arrived damaged.",
    "Where is my order {order}? It has been a week.",
    "Can I get a refund for order {order}? I ordered the wrong size.",
    "Order {order} is a custom print, can I still send it back?",
    "Please send me a return label for order {order}.",
    "What is your refund policy for digital goods?",
)
_POLICY_DOCS = [d for d in KNOWLEDGE_BASE if d.id.startswith(("doc-refund", "doc-shipping"))]


def _run(config: RunnableConfig) -> tuple[str, Story, random.Random]:
    """The tenant, story and random source of the run a tool call belongs to."""
    run = config.get("configurable", {})
    return run["tenant"], run["story"], run["rng"]


@tool
def lookup_order(order_id: str, config: RunnableConfig) -> str:
    """Status and items of an order, by order number (e.g. #123456)."""
    tenant, story, rng = _run(config)
    return call_backend("lookup_order", {"order_id": order_id}, tenant, story, rng)


@tool
def check_refund_policy(question: str, config: RunnableConfig) -> str:
    """The refund and shipping policy articles that match a question."""
    _, _, rng = _run(config)
    clock.pause_lognormal(rng, 90, 500)  # the help-center search
    scores = {d.id: s for d, s in keyword_scores(question)}
    best = sorted(_POLICY_DOCS, key=lambda d: scores.get(d.id, 0.0), reverse=True)[:2]
    return json.dumps([{"id": d.id, "title": d.title, "text": d.text} for d in best])


@tool
def create_return_label(order_id: str, reason: str, config: RunnableConfig) -> str:
    """Create a prepaid return label for an order; returns the label id and drop-off deadline."""
    _, _, rng = _run(config)
    clock.pause_lognormal(rng, 250, 1500)  # the carrier's API
    return json.dumps(
        {"order_id": order_id, "label": f"RL-{rng.randint(100000, 999999)}", "drop_off_days": 14}
    )


def _tool_failed(exc: ToolError) -> str:
    """A failing back-office service: the model gets the error (LangGraph catches ToolError only)."""
    return f"ERROR: {exc}"


def build_graph(llm: ChatOpenAI) -> Any:
    """The ReAct loop as a LangGraph state graph: model -> tools -> model ... -> END."""
    tools = [lookup_order, check_refund_policy, create_return_label]
    model = llm.bind_tools(tools)

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke([SystemMessage(SYSTEM), *state["messages"]])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=_tool_failed))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "model")
    return graph.compile(name="order-agent")


class OrderAssistant:
    """``run_request`` is thread-safe: the graph and the client are shared, the run's own
    tenant and random source travel in the run config."""

    def __init__(self, provider_url: str, api_key: str, http_client: httpx2.Client, story: Story) -> None:
        llm = ChatOpenAI(
            model=MODEL,
            base_url=f"{provider_url}/v1",
            api_key=api_key,  # type: ignore[arg-type]
            http_client=http_client,
            max_retries=0,  # retries would sleep in real time, also while replaying history
            temperature=0.2,
        )
        self.graph = build_graph(llm)
        self.story = story

    def run_request(self, rng: random.Random) -> str:
        """Answer one customer message; returns the trace id."""
        tenant = pick_tenant(rng)
        request = rng.choice(REQUESTS).format(order=order_number(rng))
        context = spyglass.context(
            user_id=pick_user(rng, tenant),
            tenant_id=tenant,
            feature="order-assistant",
            prompt_name=PROMPT_NAME,
            prompt_version=PROMPT_VERSION,
        )
        with context, spyglass.span("order-assistant request", kind="workflow") as root:
            root.set_input(request)
            config: RunnableConfig = {
                "configurable": {"tenant": tenant, "story": self.story, "rng": rng},
                "recursion_limit": MAX_GRAPH_STEPS,
            }
            try:
                state = self.graph.invoke({"messages": [("user", request)]}, config)
                answer = state["messages"][-1]
                root.set_output(str(answer.content))
                root.set_metadata("model_calls", sum(1 for m in state["messages"] if m.type == "ai"))
            except GraphRecursionError as exc:
                root.set_error(exc)
            except openai.APIError as exc:
                root.set_error(exc)
            return root.trace_id
