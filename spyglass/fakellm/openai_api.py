"""OpenAI-compatible endpoints: ``/v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``.

Bodies and SSE events follow the shapes the official ``openai`` SDK parses (including its
``responses.stream`` helper, which checks event order and ids). Errors use OpenAI's error
envelope and status codes; 429s carry ``retry-after``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from spyglass.fakellm.answer import Answer, Question, ToolSpec, plan_answer
from spyglass.fakellm.failure import injected_failure
from spyglass.fakellm.state import Call, ProviderState
from spyglass.fakellm.text import count_tokens, split_chunks

_ERRORS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    "server_error": (500, "server_error", "The server had an error while processing your request."),
    "overloaded": (503, "server_error", "The engine is currently overloaded, please try again later."),
    "timeout": (504, "timeout", "The provider did not answer in time (simulated timeout)."),
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """OpenAI's error envelope."""
    err_type = "invalid_request_error" if status == 400 else "authentication_error" if status == 401 else code
    body = {"error": {"message": message, "type": err_type, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def build_router(state: ProviderState) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body, problem = await _read(request, required=("model", "messages"))
        if problem is not None:
            return problem
        messages = body["messages"]
        if not isinstance(messages, list) or not messages:
            return error_response(400, "invalid_value", "'messages' must be a non-empty array")
        question = Question(
            prompt_text="\n".join(_message_text(m) for m in messages),
            tools=[
                ToolSpec(t["function"]["name"], t["function"].get("parameters") or {})
                for t in body.get("tools") or []
                if isinstance(t, dict) and isinstance(t.get("function"), dict) and "name" in t["function"]
            ],
            tool_choice=_tool_choice(body.get("tool_choice")),
            after_tool_result=isinstance(messages[-1], dict) and messages[-1].get("role") == "tool",
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
        )
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            question.json_schema = (fmt.get("json_schema") or {}).get("schema") or {}
        question.json_mode = fmt.get("type") == "json_object"
        call = state.begin(
            "openai.chat", str(body["model"]), question.prompt_text, request.headers, _key(request)
        )
        failure = await _failure(call)
        if failure is not None:
            return failure
        answer = plan_answer(call, question)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return _sse(_chat_stream(call, answer, include_usage), call)
        await call.wait_whole_response()
        return JSONResponse(_chat_completion(call, answer), headers=call.headers())

    @router.post("/v1/responses")
    async def responses(request: Request) -> Response:
        body, problem = await _read(request, required=("model", "input"))
        if problem is not None:
            return problem
        items = (
            body["input"] if isinstance(body["input"], list) else [{"role": "user", "content": body["input"]}]
        )
        text_parts = [str(body.get("instructions") or "")] + [_item_text(i) for i in items]
        fmt = (body.get("text") or {}).get("format") or {}
        question = Question(
            prompt_text="\n".join(p for p in text_parts if p),
            tools=[
                ToolSpec(t["name"], t.get("parameters") or {})
                for t in body.get("tools") or []
                if isinstance(t, dict) and t.get("type") == "function" and "name" in t
            ],
            tool_choice=_tool_choice(body.get("tool_choice")),
            after_tool_result=bool(items)
            and isinstance(items[-1], dict)
            and items[-1].get("type") == "function_call_output",
            json_schema=(fmt.get("schema") or {}) if fmt.get("type") == "json_schema" else None,
            json_mode=fmt.get("type") == "json_object",
            max_tokens=body.get("max_output_tokens"),
        )
        call = state.begin(
            "openai.responses", str(body["model"]), question.prompt_text, request.headers, _key(request)
        )
        failure = await _failure(call)
        if failure is not None:
            return failure
        answer = plan_answer(call, question)
        if body.get("stream"):
            return _sse(_responses_stream(call, answer, body), call)
        await call.wait_whole_response()
        return JSONResponse(_response_object(call, answer, body, "completed"), headers=call.headers())

    @router.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        body, problem = await _read(request, required=("model", "input"))
        if problem is not None:
            return problem
        raw = body["input"]
        inputs: list[Any] = raw if isinstance(raw, list) and raw and not isinstance(raw[0], int) else [raw]
        texts = [x if isinstance(x, str) else " ".join(map(str, x)) for x in inputs]
        call = state.begin(
            "openai.embeddings", str(body["model"]), "\n".join(texts), request.headers, _key(request)
        )
        failure = await _failure(call)
        if failure is not None:
            return failure
        dims = int(body.get("dimensions") or 256)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = _embedding(text, dims)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if as_base64 else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(count_tokens(t) for t in texts)
        await call.wait_whole_response()
        payload = {
            "object": "list",
            "data": data,
            "model": call.snapshot,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return JSONResponse(payload, headers=call.headers())

    return router


# ---------------------------------------------------------------- request helpers


async def _read(request: Request, required: tuple[str, ...]) -> tuple[dict[str, Any], Response | None]:
    if _key(request) is None:
        return {}, error_response(
            401, "invalid_api_key", "You didn't provide an API key (Authorization: Bearer)."
        )
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        return {}, error_response(
            400, "invalid_json", f"We could not parse the JSON body of your request: {exc}"
        )
    if not isinstance(body, dict):
        return {}, error_response(400, "invalid_json", "The request body must be a JSON object.")
    for name in required:
        if name not in body:
            return {}, error_response(
                400, "missing_required_parameter", f"Missing required parameter: '{name}'."
            )
    return body, None


def _key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") and len(auth) > 7 else None


def _tool_choice(choice: Any) -> str | None:
    if isinstance(choice, str):
        return choice
    if isinstance(choice, dict):
        named = choice.get("function", choice)
        return str(named.get("name")) if isinstance(named, dict) and named.get("name") else "required"
    return None


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _message_text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    calls = [
        c.get("function", {}).get("arguments", "")
        for c in message.get("tool_calls") or []
        if isinstance(c, dict)
    ]
    return "\n".join([_content_text(message.get("content")), *calls])


def _item_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return ""
    if "content" in item:
        return _content_text(item["content"])
    return str(item.get("output") or item.get("arguments") or "")


async def _failure(call: Call) -> Response | None:
    return await injected_failure(call, _ERRORS, error_response)


def _embedding(text: str, dims: int) -> list[float]:
    """A deterministic unit vector per text (same text, same vector)."""
    seed = hashlib.sha256(text.encode()).digest()
    values = [((seed[i % 32] ^ (i * 73 % 256)) / 255.0) - 0.5 for i in range(dims)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]


def _sse(events: AsyncIterator[str], call: Call) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=call.headers())


# ---------------------------------------------------------------- chat completions


def _usage(answer: Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.prompt_tokens + answer.output_tokens,
        "prompt_tokens_details": {"cached_tokens": answer.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": answer.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_finish(answer: Answer) -> str:
    return "stop" if answer.finish == "refusal" else answer.finish


def _chat_completion(call: Call, answer: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": answer.refusal}
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in answer.tool_calls
        ]
    return {
        "id": f"chatcmpl-{call.request_id[4:28]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": call.snapshot,
        "system_fingerprint": "fp_fake",
        "service_tier": "default",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _chat_finish(answer)}
        ],
        "usage": _usage(answer),
    }


async def _chat_stream(call: Call, answer: Answer, include_usage: bool) -> AsyncIterator[str]:
    base = {
        "id": f"chatcmpl-{call.request_id[4:28]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": call.snapshot,
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        extra = {"usage": None} if include_usage else {}
        return _data({**base, "choices": [choice], **extra})

    rng = call.outcome.rng
    deltas: list[dict[str, Any]] = []
    if answer.text is not None:
        deltas = [{"content": piece} for piece in split_chunks(rng, answer.text)]
    elif answer.refusal is not None:
        deltas = [{"refusal": piece} for piece in split_chunks(rng, answer.refusal)]
    for index, tool_call in enumerate(answer.tool_calls):
        head = {
            "index": index,
            "id": tool_call.id,
            "type": "function",
            "function": {"name": tool_call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        for piece in split_chunks(rng, tool_call.arguments_json):
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})

    await call.wait_first_token()
    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for delta in deltas:
        await call.wait_between_chunks(len(deltas))
        yield chunk(delta)
    yield chunk({}, _chat_finish(answer))
    if include_usage:
        yield _data({**base, "choices": [], "usage": _usage(answer)})
    yield "data: [DONE]\n\n"


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


# ---------------------------------------------------------------- responses


def _output_items(call: Call, answer: Answer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    msg_id = f"msg_{call.request_id[4:28]}"
    if answer.text is not None:
        part = {"type": "output_text", "text": answer.text, "annotations": [], "logprobs": []}
        items.append(
            {"type": "message", "id": msg_id, "status": "completed", "role": "assistant", "content": [part]}
        )
    elif answer.refusal is not None:
        part = {"type": "refusal", "refusal": answer.refusal}
        items.append(
            {"type": "message", "id": msg_id, "status": "completed", "role": "assistant", "content": [part]}
        )
    for tool_call in answer.tool_calls:
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{tool_call.id[5:]}",
                "call_id": tool_call.id,
                "name": tool_call.name,
                "arguments": tool_call.arguments_json,
                "status": "completed",
            }
        )
    return items


def _response_object(call: Call, answer: Answer | None, body: dict[str, Any], status: str) -> dict[str, Any]:
    done = answer is not None and status != "in_progress"
    incomplete = done and answer is not None and answer.finish in ("length", "content_filter")
    reason = None
    if incomplete and answer is not None:
        reason = {"reason": "max_output_tokens" if answer.finish == "length" else "content_filter"}
    return {
        "id": f"resp_{call.request_id[4:36]}",
        "object": "response",
        "created_at": int(time.time()),
        "status": ("incomplete" if incomplete else "completed") if done else status,
        "error": None,
        "incomplete_details": reason,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": call.snapshot,
        "output": _output_items(call, answer) if done and answer is not None else [],
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "text": body.get("text") or {"format": {"type": "text"}},
        "truncation": "disabled",
        "metadata": body.get("metadata") or {},
        "usage": (
            {
                "input_tokens": answer.prompt_tokens,
                "input_tokens_details": {"cached_tokens": answer.cached_tokens},
                "output_tokens": answer.output_tokens,
                "output_tokens_details": {"reasoning_tokens": answer.reasoning_tokens},
                "total_tokens": answer.prompt_tokens + answer.output_tokens,
            }
            if done and answer is not None
            else None
        ),
    }


async def _responses_stream(call: Call, answer: Answer, body: dict[str, Any]) -> AsyncIterator[str]:
    sequence = 0

    def event(kind: str, **fields: Any) -> str:
        nonlocal sequence
        payload = {"type": kind, "sequence_number": sequence, **fields}
        sequence += 1
        return f"event: {kind}\ndata: {json.dumps(payload)}\n\n"

    rng = call.outcome.rng
    items = _output_items(call, answer)
    pending = _response_object(call, None, body, "in_progress")
    await call.wait_first_token()
    yield event("response.created", response=pending)
    yield event("response.in_progress", response=pending)
    n_chunks = len(split_chunks(rng, answer.text or answer.refusal or "")) + sum(
        len(split_chunks(rng, c.arguments_json)) for c in answer.tool_calls
    )
    for index, item in enumerate(items):
        if item["type"] == "message":
            part = item["content"][0]
            is_refusal = part["type"] == "refusal"
            text = part["refusal"] if is_refusal else part["text"]
            empty_part = {"type": "refusal", "refusal": ""} if is_refusal else {**part, "text": ""}
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            yield event(
                "response.content_part.added",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=empty_part,
            )
            kind = "response.refusal" if is_refusal else "response.output_text"
            for piece in split_chunks(rng, text):
                await call.wait_between_chunks(n_chunks)
                extra: dict[str, Any] = {} if is_refusal else {"logprobs": []}
                yield event(
                    f"{kind}.delta",
                    item_id=item["id"],
                    output_index=index,
                    content_index=0,
                    delta=piece,
                    **extra,
                )
            done_field = {"refusal": text} if is_refusal else {"text": text, "logprobs": []}
            yield event(f"{kind}.done", item_id=item["id"], output_index=index, content_index=0, **done_field)
            yield event(
                "response.content_part.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=part,
            )
        else:
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            for piece in split_chunks(rng, item["arguments"]):
                await call.wait_between_chunks(n_chunks)
                yield event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=piece,
                )
            yield event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                name=item["name"],
                arguments=item["arguments"],
            )
        yield event("response.output_item.done", output_index=index, item=item)
    final = _response_object(call, answer, body, "completed")
    yield event(
        "response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final
    )
