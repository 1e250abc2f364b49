"""Gemini API-compatible endpoints: ``POST /{version}/models/{model}:generateContent`` and
``:streamGenerateContent`` (SSE with ``?alt=sse``, which the ``google-genai`` SDK always asks
for), for ``version`` ``v1``, ``v1beta`` and ``v1alpha``.

Bodies follow the camelCase JSON the official ``google-genai`` SDK sends and parses
(``GenerateContentResponse`` in its ``types.py``). Differences from the OpenAI surface that
the fake reproduces because instrumentations and our ingest must cope with them:

- usage is ``usageMetadata``: ``promptTokenCount`` *includes* ``cachedContentTokenCount``,
  but ``candidatesTokenCount`` *excludes* ``thoughtsTokenCount`` (thinking is counted apart);
  ``totalTokenCount`` is the sum of prompt, candidates and thoughts;
- a refusal is a candidate with ``finishReason: SAFETY`` and no content; a content-filter
  outcome blocks the prompt (``promptFeedback.blockReason: SAFETY``, no candidates);
- tool calls are whole ``functionCall`` parts (never streamed as argument deltas) and the
  candidate still finishes with ``STOP``;
- the returned snapshot is ``modelVersion``; errors use Google's envelope
  ``{"error": {"code", "message", "status"}}``.

The API key comes in the ``x-goog-api-key`` header (the SDK) or the ``key`` query parameter.
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

VERSIONS = ("v1", "v1beta", "v1alpha")

_ERRORS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "server_error": (500, "INTERNAL", "An internal error has occurred. Please retry or report it."),
    "overloaded": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "timeout": (504, "DEADLINE_EXCEEDED", "The provider did not answer in time (simulated timeout)."),
}

_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP", "refusal": "SAFETY"}

_BLOCKED_RATINGS = [
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
]


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Google's error envelope (``code`` is the canonical status name, e.g. UNAVAILABLE)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if status == 429:
        retry = (headers or {}).get("retry-after", "1")
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry}s"}]
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def build_router(state: ProviderState) -> APIRouter:
    router = APIRouter()

    @router.post("/{version}/models/{target:path}")
    async def generate_content(version: str, target: str, request: Request) -> Response:
        model, _, method = target.rpartition(":")
        if version not in VERSIONS or method not in ("generateContent", "streamGenerateContent") or not model:
            return error_response(404, "NOT_FOUND", f"Method not found: {version}/models/{target}")
        api_key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not api_key:
            return error_response(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers. Please use an API key (x-goog-api-key).",
            )
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            return error_response(400, "INVALID_ARGUMENT", f"Invalid JSON payload received: {exc}")
        if not isinstance(body, dict):
            return error_response(400, "INVALID_ARGUMENT", "The request body must be a JSON object.")
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return error_response(
                400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified"
            )
        question = _question(body, contents)
        call = state.begin("gemini.generate_content", model, question.prompt_text, request.headers, api_key)
        failure = await injected_failure(call, _ERRORS, error_response)
        if failure is not None:
            return failure
        answer = plan_answer(call, question)
        if method == "streamGenerateContent":
            # Without alt=sse the real API streams one JSON array; the SDK always asks for SSE.
            return StreamingResponse(
                _stream(call, answer), media_type="text/event-stream", headers=call.headers()
            )
        await call.wait_whole_response()
        return JSONResponse(_response(call, answer), headers=call.headers())

    return router


# ---------------------------------------------------------------- request


def _get(obj: dict[str, Any], camel: str) -> Any:
    """A field by its camelCase name or its snake_case one: the API parses proto JSON, which
    accepts both, and the SDK sends some in snake case (``parameters_json_schema``)."""
    value = obj.get(camel)
    if value is None:
        value = obj.get("".join(f"_{c.lower()}" if c.isupper() else c for c in camel))
    return value


def _question(body: dict[str, Any], contents: list[Any]) -> Question:
    config = _get(body, "generationConfig")
    config = config if isinstance(config, dict) else {}
    texts = [_parts_text(_get(body, "systemInstruction"))] + [_parts_text(c) for c in contents]
    tools = [
        ToolSpec(
            str(decl["name"]),
            _lower_schema(_get(decl, "parametersJsonSchema") or decl.get("parameters") or {}),
        )
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for decl in _get(tool, "functionDeclarations") or []
        if isinstance(decl, dict) and decl.get("name")
    ]
    question = Question(
        prompt_text="\n".join(t for t in texts if t),
        tools=tools,
        tool_choice=_tool_choice(_get(body, "toolConfig")),
        after_tool_result=_ends_with_function_response(contents),
        max_tokens=_get(config, "maxOutputTokens")
        if isinstance(_get(config, "maxOutputTokens"), int)
        else None,
    )
    if _get(config, "responseMimeType") == "application/json":
        schema = _get(config, "responseJsonSchema") or _get(config, "responseSchema")
        if isinstance(schema, dict):
            question.json_schema = _lower_schema(schema)
        else:
            question.json_mode = True
    return question


def _parts_text(content: Any) -> str:
    """Text of one ``Content`` (or a bare string): text parts, and function calls/responses
    as JSON, since those are input tokens too."""
    if isinstance(content, str):
        return content
    if not isinstance(content, dict):
        return ""
    pieces = []
    for part in content.get("parts") or []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str):
            pieces.append(part["text"])
        elif isinstance(_get(part, "functionCall"), dict):
            pieces.append(json.dumps(_get(part, "functionCall").get("args") or {}))
        elif isinstance(_get(part, "functionResponse"), dict):
            pieces.append(json.dumps(_get(part, "functionResponse").get("response") or {}))
    return "\n".join(pieces)


def _ends_with_function_response(contents: list[Any]) -> bool:
    last = contents[-1]
    parts = last.get("parts") if isinstance(last, dict) else None
    return isinstance(parts, list) and any(
        isinstance(p, dict) and _get(p, "functionResponse") is not None for p in parts
    )


def _tool_choice(tool_config: Any) -> str | None:
    calling = _get(tool_config, "functionCallingConfig") if isinstance(tool_config, dict) else None
    if not isinstance(calling, dict):
        return None
    mode = str(calling.get("mode") or "AUTO").upper()
    if mode == "NONE":
        return "none"
    if mode == "ANY":
        allowed = _get(calling, "allowedFunctionNames") or []
        return str(allowed[0]) if len(allowed) == 1 else "required"
    return "auto"


def _lower_schema(schema: Any) -> Any:
    """Gemini's OpenAPI-subset schema (``"type": "OBJECT"``, ``nullable``) as the JSON Schema
    our value generator reads: type names lowercased, recursively."""
    if isinstance(schema, list):
        return [_lower_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _lower_schema(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf", "oneOf", "allOf", "$defs", "definitions"):
            out[key] = (
                {n: _lower_schema(s) for n, s in value.items()}
                if isinstance(value, dict) and key in ("$defs", "definitions")
                else _lower_schema(value)
            )
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------- response


def _usage(answer: Answer, blocked: bool) -> dict[str, Any]:
    """``usageMetadata``: thoughts apart from candidates, cached content inside the prompt.
    Zero counts are left out, as the API does."""
    usage: dict[str, Any] = {"promptTokenCount": answer.prompt_tokens}
    candidates = 0 if blocked else answer.output_tokens - answer.reasoning_tokens
    thoughts = 0 if blocked else answer.reasoning_tokens
    if candidates:
        usage["candidatesTokenCount"] = candidates
    if answer.cached_tokens:
        usage["cachedContentTokenCount"] = answer.cached_tokens
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    usage["totalTokenCount"] = answer.prompt_tokens + candidates + thoughts
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": answer.prompt_tokens}]
    return usage


def _parts(answer: Answer) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if answer.text is not None:
        parts.append({"text": answer.text})
    for tool_call in answer.tool_calls:
        parts.append(
            {"functionCall": {"id": tool_call.id, "name": tool_call.name, "args": tool_call.arguments}}
        )
    return parts


def _base(call: Call) -> dict[str, Any]:
    return {"modelVersion": call.snapshot, "responseId": call.request_id[4:26]}


def _response(call: Call, answer: Answer) -> dict[str, Any]:
    if answer.finish == "content_filter":  # the prompt itself was blocked: no candidates
        return {
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": _BLOCKED_RATINGS},
            "usageMetadata": _usage(answer, blocked=True),
            **_base(call),
        }
    candidate: dict[str, Any] = {"finishReason": _FINISH[answer.finish], "index": 0}
    if answer.finish == "refusal":  # the candidate was blocked: a finish reason, no content
        candidate["safetyRatings"] = _BLOCKED_RATINGS
    else:
        candidate["content"] = {"parts": _parts(answer), "role": "model"}
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(answer, blocked=answer.finish == "refusal"),
        **_base(call),
    }


async def _stream(call: Call, answer: Answer) -> AsyncIterator[str]:
    """Text in several chunks, each a whole ``GenerateContentResponse``; function calls in
    one part each; the last chunk carries the finish reason and the full usage (earlier
    chunks carry the prompt count only, as the API does)."""
    final = _response(call, answer)
    await call.wait_first_token()
    if answer.text is None or answer.finish == "content_filter":
        yield _data(final)
        return
    pieces = split_chunks(call.outcome.rng, answer.text)
    prompt_only = {"promptTokenCount": answer.prompt_tokens, "totalTokenCount": answer.prompt_tokens}
    for piece in pieces[:-1]:
        content = {"parts": [{"text": piece}], "role": "model"}
        yield _data(
            {"candidates": [{"content": content, "index": 0}], "usageMetadata": prompt_only, **_base(call)}
        )
        await call.wait_between_chunks(len(pieces))
    last_parts = [{"text": pieces[-1]}] + _parts(answer)[1:]
    final["candidates"][0]["content"] = {"parts": last_parts, "role": "model"}
    yield _data(final)


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\r\n\r\n"
