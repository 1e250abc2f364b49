"""Shared helpers for building OTel GenAI attributes from provider objects."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from spyglass.sdk import client
from spyglass.sdk._serialize import dumps, to_jsonable, truncate
from spyglass.sdk.config import CaptureMode


def content_enabled() -> bool:
    """False in ``metadata_only`` mode: content is then never even serialised."""
    return client.capture_mode() is not CaptureMode.METADATA_ONLY


_MISSING = object()


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or mapping key (request kwargs are dicts, responses are pydantic models).

    Hot path (every stream chunk): exact-type and attribute checks first, because an
    ``isinstance(x, Mapping)`` ABC check on a pydantic model costs more than the lookup.
    """
    if obj is None:
        return default
    if type(obj) is dict:
        return obj.get(name, default)
    value = getattr(obj, name, _MISSING)
    if value is not _MISSING:
        return value
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return default


def given(value: Any) -> bool:
    """False for None and the SDKs' NOT_GIVEN / Omit sentinels."""
    if value is None:
        return False
    return type(value).__name__ not in ("NotGiven", "Omit")


def items(value: Any) -> list[Any] | tuple[Any, ...]:
    """``value`` if it is a list or tuple, else empty.

    Request parameters may be any iterable (the SDKs accept ``Iterable[...]``); iterating a
    generator here would consume it and the provider would receive nothing. Such values are
    simply not recorded.
    """
    return value if isinstance(value, (list, tuple)) else ()


def text(value: Any) -> str:
    return truncate(value if isinstance(value, str) else str(value), client.max_content_chars())


def arguments_object(arguments: Any) -> Any:
    """Tool-call arguments as an object when they are JSON text (the GenAI parts schema)."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return text(arguments)
    return to_jsonable(arguments)


def json_attr(value: Any) -> str:
    return dumps(value)


# (base URL object, its attributes) of the last call: an app talks to one or two base URLs, and
# reading host/port off an httpx URL costs more than the rest of the request side. Replaced
# as a whole (one tuple), so threads never see a half-written entry.
_last_server: tuple[Any, dict[str, Any]] = (object(), {})


def server_attributes(instance: Any) -> dict[str, Any]:
    """``server.address``/``server.port`` from the client's base URL, when reachable.

    Returns a new dict each call (callers add to it)."""
    sdk_client = getattr(instance, "_client", None)
    # ``_base_url`` is what the public ``base_url`` property returns in both SDKs' (Stainless)
    # base client; the property costs ~1 µs (openai 3.x imports a helper on every read).
    base = getattr(sdk_client, "_base_url", None) or getattr(sdk_client, "base_url", None)
    cached_base, cached = _last_server
    if base is cached_base:
        return dict(cached)
    return dict(_read_server(base))


def _read_server(base: Any) -> dict[str, Any]:
    global _last_server
    host = getattr(base, "host", None)
    if not host:
        return {}
    attrs: dict[str, Any] = {"server.address": str(host)}
    port = getattr(base, "port", None)
    if isinstance(port, int):
        attrs["server.port"] = port
    _last_server = (base, attrs)
    return attrs


def setting_attributes(kwargs: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for kwarg, attr in mapping.items():
        if kwarg not in kwargs:  # most settings are absent: skip the sentinel check
            continue
        value = kwargs[kwarg]
        if not given(value):
            continue
        if isinstance(value, str) and attr.endswith("stop_sequences"):
            value = [value]
        if isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        if isinstance(value, (str, bool, int, float, list)):
            attrs[attr] = value
    return attrs


def token_attributes(counts: Mapping[str, Any]) -> dict[str, Any]:
    """The token counts (attribute -> value read from a usage object) that are integers;
    a provider leaves out or nulls the ones it does not report."""
    return {attr: value for attr, value in counts.items() if isinstance(value, int)}
