"""Chat messages in any of the shapes the conventions use -> ``Message``.

Accepted per message (a dict, or a JSON string of one/a list of them):

- OTel GenAI parts schema (1.37+): ``{role, parts: [{type: text|tool_call|tool_call_response|
  reasoning|refusal|blob|uri|file|…}], name?, finish_reason?}``;
- OpenAI chat shape (old ``gen_ai.prompt`` JSON, ≤1.36 events, OpenLLMetry):
  ``{role, content: str | [parts], tool_calls: [{id, function: {name, arguments}}],
  tool_call_id?, name?, refusal?}``.

``content`` is the concatenated text parts; non-text parts are kept in ``parts``.
"""

from __future__ import annotations

from typing import Any

from spyglass.ingest.normalize.values import as_str, json_value, normalize_finish_reason, to_json_text
from spyglass.model import Message, ToolCall

_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})


def parse_messages(value: Any, default_role: str = "user") -> list[Message]:
    """A list of messages from a JSON string, a list, or a single message object."""
    value = json_value(value)
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, str):
        return [Message(role=default_role, content=value)]
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        msg = parse_message(item, default_role)
        if msg is not None:
            out.append(msg)
    return out


def parse_message(item: Any, default_role: str = "user") -> Message | None:
    item = json_value(item)
    if isinstance(item, str):
        return Message(role=default_role, content=item)
    if not isinstance(item, dict):
        return None
    role = as_str(item.get("role")) or default_role
    msg = Message(role=role)
    msg.name = as_str(item.get("name"))
    msg.tool_call_id = as_str(
        item.get("tool_call_id") or item.get("id") if role == "tool" else item.get("tool_call_id")
    )
    finish = item.get("finish_reason")
    if finish is not None:
        msg.finish_reason = normalize_finish_reason(finish)
    texts: list[str] = []
    extra_parts: list[dict[str, Any]] = []

    parts = item.get("parts")
    if isinstance(parts, list):
        _read_parts(parts, msg, texts, extra_parts)
    content = item.get("content")
    if isinstance(content, list):
        _read_parts(content, msg, texts, extra_parts)
    elif content is not None:
        text = as_str(content)
        if text is not None:
            texts.append(text)
    refusal = item.get("refusal")
    if isinstance(refusal, str) and refusal:
        extra_parts.append({"type": "refusal", "content": refusal})
        if not texts:
            texts.append(refusal)
    calls = json_value(item.get("tool_calls"))
    if isinstance(calls, list):
        for call in calls:
            tc = parse_tool_call(call)
            if tc is not None:
                msg.tool_calls.append(tc)
    if texts:
        msg.content = "".join(texts) if len(texts) == 1 else "\n".join(texts)
    if extra_parts:
        msg.parts = extra_parts
    return msg


def _read_parts(parts: list[Any], msg: Message, texts: list[str], extra: list[dict[str, Any]]) -> None:
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            continue
        ptype = part.get("type")
        if ptype in _TEXT_PART_TYPES or (ptype is None and "content" in part):
            text = as_str(part.get("content") if "content" in part else part.get("text"))
            if text is not None:
                texts.append(text)
        elif ptype == "tool_call" or ptype == "function":
            tc = parse_tool_call(part)
            if tc is not None:
                msg.tool_calls.append(tc)
        elif ptype == "tool_call_response":
            msg.tool_call_id = msg.tool_call_id or as_str(part.get("id"))
            result = part.get("response", part.get("result"))
            text = to_json_text(result)
            if text is not None:
                texts.append(text)
        elif ptype == "refusal":
            extra.append(part)
            text = as_str(part.get("content") or part.get("refusal"))
            if text is not None:
                texts.append(text)
        else:
            extra.append(part)


def parse_tool_call(call: Any) -> ToolCall | None:
    """``{id, name, arguments}`` (GenAI part) or ``{id, function: {name, arguments}}`` (OpenAI)."""
    call = json_value(call)
    if not isinstance(call, dict):
        return None
    fn = call.get("function")
    if isinstance(fn, dict):
        name, args = fn.get("name"), fn.get("arguments")
    else:
        name, args = call.get("name"), call.get("arguments", call.get("input"))
    return ToolCall(id=as_str(call.get("id")), name=as_str(name), arguments=to_json_text(args))


def text_of_parts(value: Any) -> str | None:
    """System instructions: a string, or a list of parts whose text is concatenated."""
    value = json_value(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        texts = []
        for part in value:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                text = as_str(part.get("content") if "content" in part else part.get("text"))
                if text is not None:
                    texts.append(text)
        return "\n".join(texts) if texts else None
    return as_str(value)
