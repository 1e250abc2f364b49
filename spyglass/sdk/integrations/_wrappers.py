"""Generic sync/async wrappers: one :class:`Operation` (what to read from a request, a
response, a stream) becomes a wrapt wrapper. Provider modules only describe data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spyglass.model import attributes as A
from spyglass.sdk._guard import report_internal_error
from spyglass.sdk.integrations._raw import RAW_RESPONSE_HEADER, complete_raw
from spyglass.sdk.integrations._recorder import CallRecorder, in_call
from spyglass.sdk.integrations._stream import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy
from spyglass.sdk.integrations.base import Wrapper

# (instance, kwargs) -> (request model, request attributes)
RequestReader = Callable[[Any, dict[str, Any]], tuple[str | None, dict[str, Any]]]


def streaming_request(request: RequestReader) -> RequestReader:
    """``request`` for a helper that always streams (it takes no ``stream=True``): the same
    model and attributes plus ``gen_ai.request.stream``."""

    def read(instance: Any, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        model, attrs = request(instance, kwargs)
        attrs[A.GEN_AI_REQUEST_STREAM] = True
        return model, attrs

    return read


@dataclass(frozen=True, slots=True)
class Operation:
    provider: str
    operation: str
    request: RequestReader
    # response object -> attributes
    response: Callable[[Any], dict[str, Any]]
    # (kwargs) -> accumulator when the call streams, else None
    stream: Callable[[dict[str, Any]], StreamAccumulator | None] = lambda kwargs: None
    # (result, recorder, kwargs) -> what to return instead of ``result`` (special stream helpers)
    wrap: Callable[[Any, CallRecorder, dict[str, Any]], Any] | None = None


def begin(op: Operation, instance: Any, kwargs: dict[str, Any]) -> CallRecorder | None:
    try:
        model, attrs = op.request(instance, kwargs)
    except Exception:
        report_internal_error(f"{op.provider}.{op.operation}.request")
        model, attrs = kwargs.get("model"), {}
    return CallRecorder.start(
        provider=op.provider,
        operation=op.operation,
        request_model=model if isinstance(model, str) else None,
        attributes=attrs,
    )


def complete(op: Operation, rec: CallRecorder, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
    """Finish (or hand to a stream proxy) and return what the app should receive: never raises."""
    try:
        if op.wrap is not None:
            return op.wrap(result, rec, kwargs)
        # with_raw_response / with_streaming_response: a response object, not the parsed model.
        # (One dict lookup on the plain path: ``extra_headers`` is usually absent.)
        extra_headers = kwargs.get("extra_headers")
        if extra_headers and RAW_RESPONSE_HEADER in extra_headers:
            return complete_raw(op, rec, kwargs, result)
        accumulator = op.stream(kwargs)
        if accumulator is not None:
            if hasattr(result, "__anext__" if is_async else "__next__"):
                return (AsyncStreamProxy if is_async else SyncStreamProxy)(result, rec, accumulator)
            rec.finish()  # not a chunk iterator: leave it untouched
            return result
        rec.finish(op.response(result))
    except Exception:
        report_internal_error(f"{op.provider}.{op.operation}.response")
        rec.finish()
    return result


def sync_wrapper(op: Operation) -> Wrapper:
    def _spyglass_patched_sync(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        rec = None if in_call() else begin(op, instance, kwargs)
        if rec is None:
            return wrapped(*args, **kwargs)
        try:
            with rec.active():
                result = wrapped(*args, **kwargs)
        except BaseException as exc:
            rec.fail(exc)
            raise
        return complete(op, rec, kwargs, result, is_async=False)

    return _spyglass_patched_sync


def async_wrapper(op: Operation) -> Wrapper:
    async def _spyglass_patched_async(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        rec = None if in_call() else begin(op, instance, kwargs)
        if rec is None:
            return await wrapped(*args, **kwargs)
        try:
            with rec.active():
                result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            rec.fail(exc)
            raise
        return complete(op, rec, kwargs, result, is_async=True)

    return _spyglass_patched_async
