"""Anthropic-compatible endpoint: ``POST /v1/messages`` (plain and SSE stream).

Streams emit ``message_start``, ``content_block_start``/``_delta``/``_stop``,
``message_delta`` and ``message_stop`` exactly as the official ``anthropic`` SDK (and its
``messages.stream`` helper) parses them. Usage follows Anthropic's convention:
``input_tokens`` excludes ``cache_read_input_tokens`` and ``cache_creation_input_tokens``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from spyglass.fakellm.answer import Answer, Question, ToolSpec, plan_answer
from spyglass.fakellm.failure import injected_failure
from spyglass.fakellm.state import Call, ProviderState
from spyglass.fakellm.text import split_chunks

_ERRORS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "rate_limit_error", "Number of requests has exceeded your rate limit."),
    "server_error": (500, "api_error", "Internal server error."),
    "overloaded": (529, "overloaded_error", "Overloaded"),  # Anthropic's own status for overload
    "timeout": (504, "timeout_error", "The provider did not answer in time (simulated timeout)."),
}

_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "refusal": "refusal",
}


def error_response(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Anthropic's error envelope."""
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def build_router(state: ProviderState) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/messages")
    async def messages(request: Request) -> Response:
        api_key = _key(request)
        if not api_key:
            return error_response(
                401, "authentication_error", "x-api-key or Authorization: Bearer header is required"
            )
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            return error_response(400, "invalid_request_error", f"Request body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return error_response(400, "invalid_request_error", "The request body must be a JSON object.")
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return error_response(400, "invalid_request_error", f"{name}: Field required")
        msgs = body["messages"]
        if not isinstance(msgs, list) or not msgs:
            return error_response(400, "invalid_request_error", "messages: must be a non-empty list")
        question = Question(
            prompt_text="\n".join(
                [_text(body.get("system"))] + [_text(m.get("content")) for m in msgs if isinstance(m, dict)]
            ),
            tools=[
                ToolSpec(t["name"], t.get("input_schema") or {})
                for t in body.get("tools") or []
                if isinstance(t, dict) and "name" in t
            ],
            tool_choice=_tool_choice(body.get("tool_choice")),
            after_tool_result=_ends_with_tool_result(msgs),
            max_tokens=int(body["max_tokens"]),
        )
        call = state.begin(
            "anthropic.messages", str(body["model"]), question.prompt_text, request.headers, api_key
        )
        failure = await _failure(call)
        if failure is not None:
            return failure
        answer = plan_answer(call, question)
        if body.get("stream"):
            return StreamingResponse(
                _stream(call, answer), media_type="text/event-stream", headers=call.headers()
            )
        await call.wait_whole_response()
        return JSONResponse(_message(call, answer, final=True), headers=call.headers())

    return router


def _key(request: Request) -> str | None:
    """Older SDKs send ``x-api-key``; recent ones send the key as a bearer token."""
    auth = request.headers.get("authorization", "")
    bearer = auth[7:] if auth.lower().startswith("bearer ") else ""
    return request.headers.get("x-api-key") or bearer or None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                parts.append(_text(block.get("content")))
            elif block.get("type") == "tool_use":  # tool calls count as input tokens too
                parts.append(json.dumps(block.get("input", {})))
            else:
                parts.append(str(block.get("text", "")))
        return "\n".join(parts)
    return ""


def _ends_with_tool_result(messages: list[Any]) -> bool:
    last = messages[-1]
    content = last.get("content") if isinstance(last, dict) else None
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _tool_choice(choice: Any) -> str | None:
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind == "tool":
        return str(choice.get("name"))
    return {"any": "required", "none": "none"}.get(str(kind), "auto")


async def _failure(call: Call) -> Response | None:
    return await injected_failure(call, _ERRORS, error_response)


def _content(answer: Answer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = answer.text if answer.text is not None else answer.refusal
    if text is not None:
        blocks.append({"type": "text", "text": text})
    for tool_call in answer.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_{tool_call.id[5:]}",
                "name": tool_call.name,
                "input": tool_call.arguments,
            }
        )
    return blocks


def _usage(answer: Answer, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": answer.prompt_tokens - answer.cached_tokens - answer.cache_write_tokens,
        "cache_creation_input_tokens": answer.cache_write_tokens,
        "cache_read_input_tokens": answer.cached_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _message(call: Call, answer: Answer, final: bool) -> dict[str, Any]:
    return {
        "id": f"msg_{call.request_id[4:28]}",
        "type": "message",
        "role": "assistant",
        "model": call.snapshot,
        "content": _content(answer) if final else [],
        "stop_reason": _STOP[answer.finish] if final else None,
        "stop_sequence": None,
        "usage": _usage(answer, answer.output_tokens if final else 1),
    }


async def _stream(call: Call, answer: Answer) -> AsyncIterator[str]:
    def event(kind: str, **fields: Any) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n"

    rng = call.outcome.rng
    blocks = _content(answer)
    pieces = [
        split_chunks(rng, b["text"]) if b["type"] == "text" else split_chunks(rng, json.dumps(b["input"]))
        for b in blocks
    ]
    n_chunks = sum(len(p) for p in pieces)
    await call.wait_first_token()
    yield event("message_start", message=_message(call, answer, final=False))
    for index, (block, block_pieces) in enumerate(zip(blocks, pieces, strict=True)):
        start = {"type": "text", "text": ""} if block["type"] == "text" else {**block, "input": {}}
        yield event("content_block_start", index=index, content_block=start)
        if index == 0:
            yield event("ping")
        for piece in block_pieces:
            await call.wait_between_chunks(n_chunks)
            if block["type"] == "text":
                delta = {"type": "text_delta", "text": piece}
            else:
                delta = {"type": "input_json_delta", "partial_json": piece}
            yield event("content_block_delta", index=index, delta=delta)
        yield event("content_block_stop", index=index)
    usage = _usage(answer, answer.output_tokens)
    yield event(
        "message_delta", delta={"stop_reason": _STOP[answer.finish], "stop_sequence": None}, usage=usage
    )
    yield event("message_stop")
