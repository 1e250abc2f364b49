"""Raw HTTP responses: ``with_raw_response`` and ``with_streaming_response``.

Both wrappers of the ``openai`` and ``anthropic`` SDKs call the (patched) method with the
header ``X-Stainless-Raw-Response`` in ``extra_headers``: ``true`` (openai) or ``raw``
(anthropic) for ``with_raw_response``, ``stream`` for ``with_streaming_response``. The method
then returns a response object instead of the parsed model. One span per call still holds,
because the raw wrapper goes through the one patched method.

What the span gets, never consuming or changing what the app reads:

* **Body already in memory** (``with_raw_response`` without ``stream=True``: the SDK read the
  body before returning). The span finishes at once, like a plain call, from the JSON body;
  the app receives the SDK's own object, untouched (a second JSON decode, on raw calls only).
* **Body not read yet** (``stream=True``, or any ``with_streaming_response``). The app gets
  a transparent ``wrapt.ObjectProxy`` of the response object. ``parse()`` of an SSE response
  returns the usual stream proxy (TTFT, chunks, finish exactly once); ``parse()``, ``read()``,
  ``text()`` and ``json()`` of a JSON body finish the span from that body; ``iter_bytes()``,
  ``iter_text()`` and ``iter_lines()`` are observed as the app iterates them (SSE events or
  the JSON body are decoded from the same bytes).
* **Body never read through the response object** (the app only reads headers, or reads
  ``http_response`` itself): the span finishes when the response is closed or garbage
  collected, with what is known (HTTP status, latency up to then) and
  ``spyglass.response.unobserved = true``; tokens, response model and output stay absent
  (not reported), never guessed.
"""

from __future__ import annotations

import codecs
import inspect
import json
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import wrapt

from spyglass.model import attributes as A
from spyglass.sdk._guard import report_internal_error
from spyglass.sdk.integrations._recorder import CallRecorder
from spyglass.sdk.integrations._stream import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy

if TYPE_CHECKING:
    from spyglass.sdk.integrations._wrappers import Operation

# The header both SDKs (Stainless-generated) use to ask for the response object.
RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"

# A JSON body observed through iter_bytes()/iter_text()/iter_lines() is kept until it ends;
# beyond this size it is dropped (the span then reports it as unobserved).
_MAX_TAPPED_BODY_CHARS = 16 * 1024 * 1024


def _status(response: Any) -> int | None:
    status = getattr(getattr(response, "http_response", None), "status_code", None)
    return status if isinstance(status, int) else None


class _RawCall:
    """What the proxy, its taps and its finalizer share about one call (never the response
    object itself, so the finalizer can run once the proxy is unreachable)."""

    __slots__ = ("rec", "op", "accumulator", "status", "handed_off")

    def __init__(
        self, rec: CallRecorder, op: Operation, accumulator: StreamAccumulator | None, status: int | None
    ) -> None:
        self.rec = rec
        self.op = op
        self.accumulator = accumulator  # None: a JSON body, else an SSE stream
        self.status = status
        # True once a stream proxy or a tap owns the ending of the span.
        self.handed_off = False

    def finish_from_json(self, body: Any) -> None:
        """Finish from the decoded JSON body (a dict: the readers accept dicts and models)."""
        if self.rec.done:
            return
        try:
            attrs = self.op.response(body)
        except Exception:
            report_internal_error(f"{self.op.provider}.{self.op.operation}.raw_response")
            attrs = {}
        self.rec.finish(attrs)

    def finish_from_content(self, content: bytes | str) -> None:
        """Finish from the whole body, read by the app (``read()``, ``text()``, ``json()``)."""
        if self.rec.done:
            return
        try:
            if self.accumulator is None:
                body = json.loads(content)
            else:
                tap = _Tap(self)
                tap.feed_text(content.decode("utf-8", "replace") if isinstance(content, bytes) else content)
                tap.end(complete=True)
                return
        except Exception:
            report_internal_error(f"{self.op.provider}.{self.op.operation}.raw_body")
            self.finish_unobserved()
            return
        self.finish_from_json(body)

    def finish_observed_stream(self) -> None:
        """Finish with what the SSE accumulator folded in so far."""
        if self.rec.done:
            return
        attrs: dict[str, Any] = {}
        if self.accumulator is not None:
            try:
                attrs = self.accumulator.attributes()
            except Exception:
                report_internal_error("raw.stream.attributes")
        self.rec.finish(attrs)

    def finish_unobserved(self) -> None:
        if not self.rec.done:
            self.rec.finish({A.HTTP_RESPONSE_STATUS_CODE: self.status, A.RESPONSE_UNOBSERVED: True})

    def close(self) -> None:
        """The app closed the response: the body is over, whatever was read of it."""
        if self.rec.done:
            return
        if self.handed_off and self.accumulator is not None:
            self.finish_observed_stream()
        else:
            self.finish_unobserved()


def _finish_at_gc(call: _RawCall) -> None:
    # A stream proxy or a tap that took over finishes the span itself (also at its own GC).
    if not call.handed_off:
        call.finish_unobserved()


class _Tap:
    """Observes body text the app iterates: SSE events go to the accumulator (TTFT at the
    first event with content); a JSON body is kept and decoded when it ends. Any internal
    error stops the observation, never the app's iteration."""

    __slots__ = ("call", "decoder", "pending", "data", "body", "body_chars", "broken")

    def __init__(self, call: _RawCall) -> None:
        self.call = call
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""  # an incomplete SSE line
        self.data: list[str] = []  # the data lines of the current SSE event
        self.body: list[str] | None = [] if call.accumulator is None else None
        self.body_chars = 0
        self.broken = False

    def feed_bytes(self, chunk: bytes) -> None:
        if self.broken:
            return
        try:
            text = self.decoder.decode(chunk)
        except Exception:
            self._break()
            return
        self.feed_text(text)

    def feed_text(self, chunk: str) -> None:
        if self.broken:
            return
        try:
            if self.body is not None:
                self.body_chars += len(chunk)
                if self.body_chars > _MAX_TAPPED_BODY_CHARS:
                    self.broken = True
                    self.body = None
                else:
                    self.body.append(chunk)
                return
            lines = (self.pending + chunk).split("\n")
            self.pending = lines.pop()
            for line in lines:
                self._line(line)
        except Exception:
            self._break()

    def feed_line(self, line: str) -> None:
        if self.broken:
            return
        try:
            if self.body is not None:
                self.feed_text(line + "\n")
            else:
                self._line(line)
        except Exception:
            self._break()

    def _break(self) -> None:
        self.broken = True
        report_internal_error("raw.tap")

    def _line(self, line: str) -> None:
        line = line.rstrip("\r")
        if not line:
            self._dispatch()
        elif line.startswith("data:"):
            value = line[5:]
            self.data.append(value[1:] if value.startswith(" ") else value)

    def _dispatch(self) -> None:
        if not self.data:
            return
        payload = "\n".join(self.data)
        self.data = []
        if payload == "[DONE]":
            return
        accumulator = self.call.accumulator
        if accumulator is not None and accumulator.add(json.loads(payload)):
            rec = self.call.rec
            if rec.ttft_s is None:
                rec.first_chunk()

    def end(self, complete: bool) -> None:
        """The iteration ended: ``complete`` when the body was exhausted."""
        call = self.call
        if call.rec.done:
            return
        if self.broken:
            call.finish_unobserved()
            return
        if self.body is not None:
            if not complete:
                call.finish_unobserved()  # a partial JSON body says nothing reliable
                return
            try:
                body = json.loads("".join(self.body) + self.decoder.decode(b"", final=True))
            except Exception:
                report_internal_error("raw.tap.json")
                call.finish_unobserved()
                return
            call.finish_from_json(body)
            return
        try:
            self.feed_text(self.decoder.decode(b"", final=True))
            if self.pending:
                self._line(self.pending)
                self.pending = ""
            self._dispatch()
        except Exception:
            report_internal_error("raw.tap.end")
        call.finish_observed_stream()


def _tap_sync(call: _RawCall, source: Iterator[Any], feed: Callable[[_Tap, Any], None]) -> Iterator[Any]:
    tap = _Tap(call)
    call.handed_off = True
    complete = False
    try:
        for item in source:
            feed(tap, item)
            yield item
        complete = True
    finally:
        tap.end(complete)


async def _tap_async(
    call: _RawCall, source: AsyncIterator[Any], feed: Callable[[_Tap, Any], None]
) -> AsyncIterator[Any]:
    tap = _Tap(call)
    call.handed_off = True
    complete = False
    try:
        async for item in source:
            feed(tap, item)
            yield item
        complete = True
    finally:
        tap.end(complete)


class LegacyRawResponseProxy(wrapt.ObjectProxy):
    """Proxy of openai's ``LegacyAPIResponse`` (``with_raw_response``, sync and async clients):
    ``parse()`` is observed; everything else reaches the response object unchanged."""

    def __init__(self, wrapped: Any, call: _RawCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_streams: tuple[Any, Any] | None = None  # (the SDK's stream, our proxy)
        weakref.finalize(self, _finish_at_gc, call)

    def _self_parsed(self, parsed: Any) -> Any:
        """What ``parse()`` returns to the app: an SSE stream wrapped in a stream proxy (the
        same proxy again when the SDK returns its cached stream); a JSON body finishes the span."""
        call = self._self_call
        try:
            if call.accumulator is None:
                if not call.rec.done:
                    call.finish_from_content(self.__wrapped__.http_response.content)
                return parsed
            cached = self._self_streams
            if cached is not None and cached[0] is parsed:
                return cached[1]
            if hasattr(parsed, "__anext__"):
                proxy: Any = AsyncStreamProxy(parsed, call.rec, call.accumulator)
            elif hasattr(parsed, "__next__"):
                proxy = SyncStreamProxy(parsed, call.rec, call.accumulator)
            else:
                return parsed
            call.handed_off = True
            self._self_streams = (parsed, proxy)
            return proxy
        except Exception:
            report_internal_error("raw.parse")
            return parsed

    def _self_read_done(self) -> None:
        """The app read the whole body (``read()``, ``text()``, ``json()``)."""
        call = self._self_call
        if not call.rec.done and not call.handed_off:
            try:
                content = self.__wrapped__.http_response.content
            except Exception:
                report_internal_error("raw.read")
                return
            call.finish_from_content(content)

    def _self_parse_failed(self, exc: BaseException) -> None:
        # As in a plain call, where the SDK parses inside the patched method.
        self._self_call.rec.fail(exc)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = self.__wrapped__.parse(*args, **kwargs)
        except Exception as exc:
            self._self_parse_failed(exc)
            raise
        return self._self_parsed(parsed)


class SyncRawResponseProxy(LegacyRawResponseProxy):
    """Proxy of a sync ``APIResponse`` (``with_streaming_response``, anthropic's raw responses)."""

    def read(self) -> Any:
        data = self.__wrapped__.read()
        self._self_read_done()
        return data

    def text(self) -> Any:
        data = self.__wrapped__.text()
        self._self_read_done()
        return data

    def json(self) -> Any:
        data = self.__wrapped__.json()
        self._self_read_done()
        return data

    def iter_bytes(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        return _tap_sync(self._self_call, self.__wrapped__.iter_bytes(*args, **kwargs), _Tap.feed_bytes)

    def iter_text(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        return _tap_sync(self._self_call, self.__wrapped__.iter_text(*args, **kwargs), _Tap.feed_text)

    def iter_lines(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        return _tap_sync(self._self_call, self.__wrapped__.iter_lines(*args, **kwargs), _Tap.feed_line)

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_call.close()


class AsyncRawResponseProxy(LegacyRawResponseProxy):
    """Proxy of an ``AsyncAPIResponse``: the same, with the async methods."""

    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = await self.__wrapped__.parse(*args, **kwargs)
        except Exception as exc:
            self._self_parse_failed(exc)
            raise
        return self._self_parsed(parsed)

    async def read(self) -> Any:
        data = await self.__wrapped__.read()
        self._self_read_done()
        return data

    async def text(self) -> Any:
        data = await self.__wrapped__.text()
        self._self_read_done()
        return data

    async def json(self) -> Any:
        data = await self.__wrapped__.json()
        self._self_read_done()
        return data

    def iter_bytes(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        return _tap_async(self._self_call, self.__wrapped__.iter_bytes(*args, **kwargs), _Tap.feed_bytes)

    def iter_text(self, *args: Any, **kwargs: Any) -> AsyncIterator[str]:
        return _tap_async(self._self_call, self.__wrapped__.iter_text(*args, **kwargs), _Tap.feed_text)

    def iter_lines(self, *args: Any, **kwargs: Any) -> AsyncIterator[str]:
        return _tap_async(self._self_call, self.__wrapped__.iter_lines(*args, **kwargs), _Tap.feed_line)

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_call.close()


def _body_in_memory(response: Any) -> bytes | None:
    """The body if the SDK has read it already (httpx raises ResponseNotRead otherwise)."""
    try:
        content = response.http_response.content
    except Exception:
        return None
    return content if isinstance(content, bytes) else None


def complete_raw(op: Operation, rec: CallRecorder, kwargs: dict[str, Any], result: Any) -> Any:
    """What a patched method returns for a raw-response call: the SDK's response object, or a
    transparent proxy of it when its body is still to be read. Finishes ``rec`` (now, or once
    the body is observed, closed or garbage collected). Never raises."""
    try:
        parse = getattr(type(result), "parse", None)
        if parse is None or getattr(result, "http_response", None) is None:
            rec.finish()  # not a response object we know: leave it untouched
            return result
        accumulator = op.stream(kwargs)
        call = _RawCall(rec, op, accumulator, _status(result))
        if accumulator is None:
            content = _body_in_memory(result)
            if content is not None:
                call.finish_from_content(content)
                return result
        if inspect.iscoroutinefunction(parse):
            return AsyncRawResponseProxy(result, call)
        if callable(getattr(type(result), "read", None)):
            return SyncRawResponseProxy(result, call)
        return LegacyRawResponseProxy(result, call)
    except Exception:
        report_internal_error(f"{op.provider}.{op.operation}.raw")
        rec.finish()
        return result
