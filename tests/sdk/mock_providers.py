"""In-process OpenAI/Anthropic responses over ``httpx2.MockTransport`` (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import openai

SNAPSHOT = "gpt-4o-mini-2024-07-18"
CLAUDE_SNAPSHOT = "claude-sonnet-4-5-20250929"

USAGE = {
    "prompt_tokens": 50,
    "completion_tokens": 12,
    "total_tokens": 62,
    "prompt_tokens_details": {"cached_tokens": 20},
    "completion_tokens_details": {"reasoning_tokens": 4},
}


def chat_completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": SNAPSHOT,
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": USAGE,
        "service_tier": "default",
        "system_fingerprint": "fp_1",
    }


def chunk(
    delta: dict[str, Any] | None, finish: str | None = None, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    out: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": SNAPSHOT,
        "choices": choices,
    }
    if usage is not None:
        out["usage"] = usage
    return out


def sse(payloads: list[dict[str, Any]], *, named: bool = False, done: bool = True) -> bytes:
    lines = []
    for p in payloads:
        prefix = f"event: {p['type']}\n" if named else ""
        lines.append(f"{prefix}data: {json.dumps(p)}\n\n")
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def chat_stream(include_usage: bool, tool: bool = False) -> bytes:
    chunks = [chunk({"role": "assistant", "content": ""})]
    if tool:
        chunks += [
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup_order", "arguments": ""},
                        }
                    ]
                }
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"order_id":'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "A1"}'}}]}, finish="tool_calls"),
        ]
    else:
        chunks += [chunk({"content": "Hel"}), chunk({"content": "lo!"}, finish="stop")]
    if include_usage:
        chunks.append(chunk(None, usage=USAGE))
    return sse(chunks)


RESPONSE_OBJ = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "model": SNAPSHOT,
    "status": "completed",
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Paris", "annotations": []}],
        }
    ],
    "usage": {
        "input_tokens": 30,
        "output_tokens": 5,
        "total_tokens": 35,
        "input_tokens_details": {"cached_tokens": 10},
        "output_tokens_details": {"reasoning_tokens": 2},
    },
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
}


def responses_stream() -> bytes:
    created = {**RESPONSE_OBJ, "status": "in_progress", "output": [], "usage": None}
    item = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    events = [
        {"type": "response.created", "sequence_number": 0, "response": created},
        {"type": "response.output_item.added", "sequence_number": 0, "output_index": 0, "item": item},
        {
            "type": "response.content_part.added",
            "sequence_number": 0,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": part,
        },
        {
            "type": "response.output_text.delta",
            "sequence_number": 1,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Par",
            "logprobs": [],
        },
        {
            "type": "response.output_text.delta",
            "sequence_number": 2,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "is",
            "logprobs": [],
        },
        {"type": "response.completed", "sequence_number": 3, "response": RESPONSE_OBJ},
    ]
    return sse(events, named=True, done=False)


CLAUDE_MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": CLAUDE_SNAPSHOT,
    "content": [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 5,
        "output_tokens": 7,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 20,
    },
}


def claude_stream() -> bytes:
    start = {
        **CLAUDE_MESSAGE,
        "content": [],
        "stop_reason": None,
        "usage": {
            "input_tokens": 5,
            "output_tokens": 1,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }
    events = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "Paris"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 7},
        },
        {"type": "message_stop"},
    ]
    return sse(events, named=True, done=False)


Handler = Callable[[httpx2.Request], httpx2.Response]


def default_handler(request: httpx2.Request) -> httpx2.Response:
    body = json.loads(request.content or b"{}")
    path = request.url.path
    event_stream = {"content-type": "text/event-stream"}
    if path.endswith("/chat/completions"):
        if body.get("stream"):
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            return httpx2.Response(
                200, content=chat_stream(include, tool=bool(body.get("tools"))), headers=event_stream
            )
        if body.get("tools"):
            return httpx2.Response(
                200,
                json=chat_completion(
                    {
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "lookup_order", "arguments": '{"order_id": "A1"}'},
                            }
                        ],
                    },
                    finish="tool_calls",
                ),
            )
        if (body.get("response_format") or {}).get("type") == "json_schema":
            return httpx2.Response(
                200, json=chat_completion({"content": '{"total": 12.5, "currency": "EUR"}'})
            )
        return httpx2.Response(200, json=chat_completion({"content": "Hello there"}))
    if path.endswith("/responses"):
        if body.get("stream"):
            return httpx2.Response(200, content=responses_stream(), headers=event_stream)
        return httpx2.Response(200, json=RESPONSE_OBJ)
    if path.endswith("/embeddings"):
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "model": "text-embedding-3-small",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                "usage": {"prompt_tokens": 4, "total_tokens": 4},
            },
        )
    if path.endswith("/messages"):
        if body.get("stream"):
            return httpx2.Response(200, content=claude_stream(), headers=event_stream)
        return httpx2.Response(200, json=CLAUDE_MESSAGE)
    return httpx2.Response(404, json={"error": {"message": f"no route {path}"}})


def openai_client(handler: Handler = default_handler) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.local/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def async_openai_client(handler: Handler = default_handler) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://mock.local/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )


def anthropic_client(handler: Handler = default_handler) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://mock.local",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def async_anthropic_client(handler: Handler = default_handler) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        api_key="sk-ant-test",
        base_url="http://mock.local",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )


def error_handler(status: int, body: dict[str, Any] | None = None) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            status, json=body or {"error": {"message": f"boom {status}", "type": "server_error"}}
        )

    return handler


def timeout_handler(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("read timed out", request=request)
