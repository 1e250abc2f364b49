"""Transparent proxies over provider stream objects.

A proxy is a ``wrapt.ObjectProxy``, so ``isinstance(proxy, openai.Stream)`` still holds and
every attribute the app uses reaches the real stream. It feeds each chunk to an accumulator,
stamps TTFT at the first chunk *with content*, and finishes the span exactly once: on
exhaustion, ``close()``, ``__exit__``/``__aexit__``, an error while iterating, or garbage
collection of an abandoned stream.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Protocol

import wrapt

from spyglass.sdk._guard import report_internal_error
from spyglass.sdk.integrations._recorder import CallRecorder


class StreamAccumulator(Protocol):
    def add(self, chunk: Any) -> bool:
        """Fold one chunk in; return True when it carried content (text, tool call, refusal)."""
        ...

    def attributes(self) -> dict[str, Any]:
        """Span attributes for everything seen so far."""
        ...


def _attributes(accumulator: StreamAccumulator) -> dict[str, Any]:
    """The accumulator's span attributes; none (reported) if it fails, so the span still ends."""
    try:
        return accumulator.attributes()
    except Exception:
        report_internal_error("stream.attributes")
        return {}


def _finish(recorder: CallRecorder, accumulator: StreamAccumulator) -> None:
    if not recorder.done:
        recorder.finish(_attributes(accumulator))


def _fail(recorder: CallRecorder, accumulator: StreamAccumulator, exc: BaseException) -> None:
    if not recorder.done:
        recorder.fail(exc, _attributes(accumulator))


class _StreamProxy(wrapt.ObjectProxy):
    """What the sync and async stream proxies share: the recorder, the accumulator, the
    span finished at garbage collection at the latest. The per-chunk bookkeeping is written out
    in each ``__next__``/``__anext__`` (it runs once per chunk on the app's thread)."""

    def __init__(self, wrapped: Any, recorder: CallRecorder, accumulator: StreamAccumulator) -> None:
        super().__init__(wrapped)
        self._self_recorder = recorder
        self._self_accumulator = accumulator
        weakref.finalize(self, _finish, recorder, accumulator)

    def _self_finish(self) -> None:
        _finish(self._self_recorder, self._self_accumulator)

    def _self_fail(self, exc: BaseException) -> None:
        _fail(self._self_recorder, self._self_accumulator, exc)


class SyncStreamProxy(_StreamProxy):
    """Proxy for a sync iterator stream (``openai.Stream``, ``anthropic.Stream``)."""

    def __iter__(self) -> SyncStreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            chunk = next(self.__wrapped__)
        except StopIteration:
            self._self_finish()
            raise
        except BaseException as exc:
            self._self_fail(exc)
            raise
        # Fold the chunk in; TTFT at the first chunk with content. Never raises into the app.
        try:
            if self._self_accumulator.add(chunk):
                recorder = self._self_recorder
                if recorder.ttft_s is None:
                    recorder.first_chunk()
        except Exception:
            report_internal_error("stream.add")
        return chunk

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_finish()

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_finish()


class AsyncStreamProxy(_StreamProxy):
    """Proxy for an async iterator stream (``openai.AsyncStream``, ``anthropic.AsyncStream``)."""

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_finish()
            raise
        except BaseException as exc:
            self._self_fail(exc)
            raise
        try:  # inlined as in SyncStreamProxy.__next__
            if self._self_accumulator.add(chunk):
                recorder = self._self_recorder
                if recorder.ttft_s is None:
                    recorder.first_chunk()
        except Exception:
            report_internal_error("stream.add")
        return chunk

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_finish()

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_finish()


StreamFactory = Callable[[Any, CallRecorder], tuple[Any, StreamAccumulator]]


class _StreamManagerProxy(wrapt.ObjectProxy):
    """What the sync and async stream-helper proxies share: wrapping the stream the helper
    opened, and finishing the span once the helper exits."""

    def __init__(self, wrapped: Any, recorder: CallRecorder, factory: StreamFactory) -> None:
        super().__init__(wrapped)
        self._self_recorder = recorder
        self._self_factory = factory
        self._self_accumulator: StreamAccumulator | None = None

    def _self_wrap_stream(self, stream: Any) -> Any:
        proxy, self._self_accumulator = self._self_factory(stream, self._self_recorder)
        return proxy

    def _self_finish(self) -> None:
        if self._self_accumulator is not None:
            _finish(self._self_recorder, self._self_accumulator)


class SyncStreamManagerProxy(_StreamManagerProxy):
    """Proxy for a stream *helper* context manager (``with client.x.stream(...) as s``).

    The HTTP request happens in ``__enter__`` (run with the call's span current); the stream
    it returns is wrapped by ``factory``; the span finishes at ``__exit__`` at the latest.
    """

    def __enter__(self) -> Any:
        rec = self._self_recorder
        try:
            with rec.active():
                stream = self.__wrapped__.__enter__()
        except BaseException as exc:
            rec.fail(exc)
            raise
        return self._self_wrap_stream(stream)

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_finish()


class AsyncStreamManagerProxy(_StreamManagerProxy):
    """Async twin of :class:`SyncStreamManagerProxy` (``async with client.x.stream(...)``)."""

    async def __aenter__(self) -> Any:
        rec = self._self_recorder
        try:
            with rec.active():
                stream = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            rec.fail(exc)
            raise
        return self._self_wrap_stream(stream)

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_finish()


def wrap_stream_manager(factory: StreamFactory) -> Callable[[Any, CallRecorder, dict[str, Any]], Any]:
    """An ``Operation.wrap`` for helpers returning a (sync or async) stream context manager."""

    def wrap(result: Any, rec: CallRecorder, kwargs: dict[str, Any]) -> Any:
        if hasattr(result, "__aenter__"):
            return AsyncStreamManagerProxy(result, rec, factory)
        if hasattr(result, "__enter__"):
            return SyncStreamManagerProxy(result, rec, factory)
        rec.finish()
        return result

    return wrap


def helper_stream(
    sync_proxy: type[SyncStreamProxy],
    async_proxy: type[AsyncStreamProxy],
    accumulator: Callable[[Any], StreamAccumulator],
) -> StreamFactory:
    """The ``StreamFactory`` of a stream helper: the stream it opened, wrapped by
    ``async_proxy`` when it iterates asynchronously (else ``sync_proxy``) and feeding
    ``accumulator(stream)``."""

    def factory(stream: Any, rec: CallRecorder) -> tuple[Any, StreamAccumulator]:
        acc = accumulator(stream)
        proxy_cls = async_proxy if hasattr(stream, "__anext__") else sync_proxy
        return proxy_cls(stream, rec, acc), acc

    return factory
