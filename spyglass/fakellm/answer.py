"""What the fake model says, independent of the wire format.

Each API's routes reduce their request to a :class:`Question` and render the
:class:`Answer` that :func:`plan_answer` returns in their own JSON/SSE shape, so OpenAI
and Anthropic endpoints behave alike under the same scenario.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Literal

from spyglass.fakellm.schema_value import invalid_value_for_schema, value_for_schema
from spyglass.fakellm.state import Call
from spyglass.fakellm.text import CONTENT_FILTER_TEXT, REFUSAL_TEXT, count_tokens, generate_text

Finish = Literal["stop", "length", "tool_calls", "content_filter", "refusal"]


@dataclass(slots=True)
class ToolSpec:
    name: str
    parameters: dict[str, Any]


@dataclass(slots=True)
class Question:
    """The parts of a request that shape the answer."""

    prompt_text: str  # system + all message text, for token counting and markers
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: str | None = None  # "auto", "none", "required", or a tool name
    after_tool_result: bool = False  # the last message carries tool results
    json_schema: dict[str, Any] | None = None  # structured output requested with a schema
    json_mode: bool = False  # JSON requested without a schema
    max_tokens: int | None = None


@dataclass(slots=True)
class PlannedToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments)


@dataclass(slots=True)
class Answer:
    text: str | None
    refusal: str | None
    tool_calls: list[PlannedToolCall]
    finish: Finish
    prompt_tokens: int  # all input tokens, cached ones included (the OpenAI convention)
    cached_tokens: int
    cache_write_tokens: int
    output_tokens: int  # reasoning tokens included (the OpenAI convention)
    reasoning_tokens: int


def plan_answer(call: Call, question: Question) -> Answer:
    """Decide the answer for one (non-error) call. Pure given the call's RNG."""
    outcome, behaviour, rng = call.outcome, call.behaviour, call.outcome.rng
    # role/format overhead and tool definitions count as input, as providers bill them
    tool_text = json.dumps([[t.name, t.parameters] for t in question.tools]) if question.tools else ""
    prompt_tokens = count_tokens(question.prompt_text) + count_tokens(tool_text) + 8
    cached = int(prompt_tokens * (behaviour.cached_share or 0.0))
    cache_write = int((prompt_tokens - cached) * (behaviour.cache_write_share or 0.0))
    text: str | None = None
    refusal: str | None = None
    tool_calls: list[PlannedToolCall] = []
    finish: Finish = "stop"

    if outcome.error == "content_filter":
        text, finish = CONTENT_FILTER_TEXT, "content_filter"
    elif outcome.refusal:
        refusal, finish = REFUSAL_TEXT, "refusal"
    elif _wants_tool_call(question, outcome.tool_call, outcome.tool_repeat):
        tool = _pick_tool(question, rng)
        arguments = value_for_schema(tool.parameters, rng) if tool.parameters else {}
        call_id = f"call_{rng.getrandbits(64):016x}"
        tool_calls.append(
            PlannedToolCall(call_id, tool.name, arguments if isinstance(arguments, dict) else {})
        )
        finish = "tool_calls"
    elif question.json_schema is not None:
        maker = invalid_value_for_schema if outcome.invalid_json else value_for_schema
        text = json.dumps(maker(question.json_schema, rng))
    elif question.json_mode:
        text = json.dumps({"answer": generate_text(rng, outcome.output_tokens, question.prompt_text)})
    else:
        text = generate_text(rng, outcome.output_tokens, question.prompt_text, outcome.hallucination)

    visible = text if text is not None else refusal or ""
    output_tokens = count_tokens(visible) + sum(count_tokens(c.arguments_json) for c in tool_calls)
    if text is not None and question.max_tokens is not None and output_tokens > question.max_tokens:
        text = text[: question.max_tokens * 4]
        output_tokens, finish = question.max_tokens, "length"
    reasoning = int(output_tokens * (behaviour.reasoning_share or 0.0))
    return Answer(
        text=text,
        refusal=refusal,
        tool_calls=tool_calls,
        finish=finish,
        prompt_tokens=prompt_tokens,
        cached_tokens=cached,
        cache_write_tokens=cache_write,
        output_tokens=output_tokens + reasoning,
        reasoning_tokens=reasoning,
    )


def _wants_tool_call(question: Question, first_call: bool, repeat_call: bool) -> bool:
    if not question.tools or question.tool_choice == "none":
        return False
    if question.tool_choice not in (None, "auto"):
        return True  # "required" or a named tool
    return repeat_call if question.after_tool_result else first_call


def _pick_tool(question: Question, rng: random.Random) -> ToolSpec:
    for tool in question.tools:
        if tool.name == question.tool_choice:
            return tool
    return rng.choice(question.tools)
