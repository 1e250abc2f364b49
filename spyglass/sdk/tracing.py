"""Manual tracing: ``with spyglass.span(...)`` and ``@spyglass.observe``.

Contract: the app's code runs exactly as without Spyglass: its return values, yielded items
and exceptions pass through untouched; Spyglass's own failures are logged, never raised.
Only a wrong ``kind`` given to ``observe`` raises (``ValueError``, at decoration time).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from spyglass.model import attributes as A
from spyglass.model.span import RetrievedDocument, SpanKind
from spyglass.sdk import client
from spyglass.sdk._guard import guarded, report_internal_error
from spyglass.sdk._serialize import dumps, to_jsonable, to_text
from spyglass.sdk.config import CaptureMode

F = TypeVar("F", bound=Callable[..., Any])

# User-facing kind names -> canonical SpanKind (+ the OTel GenAI operation they correspond to).
_KINDS: dict[str, tuple[SpanKind, str | None]] = {
    "workflow": (SpanKind.CHAIN, "invoke_workflow"),
    "chain": (SpanKind.CHAIN, "invoke_workflow"),
    "agent": (SpanKind.AGENT, "invoke_agent"),
    "retrieval": (SpanKind.RETRIEVAL, "retrieval"),
    "tool": (SpanKind.TOOL, "execute_tool"),
    "guardrail": (SpanKind.GUARDRAIL, None),
    "eval": (SpanKind.EVAL, None),
    "llm": (SpanKind.LLM, None),
    "embedding": (SpanKind.EMBEDDING, None),
    "custom": (SpanKind.OTHER, None),
    "other": (SpanKind.OTHER, None),
}
KINDS: tuple[str, ...] = tuple(_KINDS)


def _resolve_kind(kind: str | SpanKind) -> tuple[SpanKind, str | None]:
    try:
        return _KINDS[str(kind).lower()]
    except KeyError:
        raise ValueError(f"unknown span kind {kind!r}; use one of {', '.join(KINDS)}") from None


def _content_allowed() -> bool:
    return client.capture_mode() is not CaptureMode.METADATA_ONLY


class SpanHandle:
    """What ``with spyglass.span(...) as s`` yields: typed setters over the OTel span.

    Every setter is safe to call in any capture mode (content is simply not recorded in
    ``metadata_only``) and never raises.
    """

    __slots__ = ("span",)

    def __init__(self, span: Span) -> None:
        self.span = span

    @property
    def trace_id(self) -> str:
        return format(self.span.get_span_context().trace_id, "032x")

    @property
    def span_id(self) -> str:
        return format(self.span.get_span_context().span_id, "016x")

    def set_attribute(self, key: str, value: Any) -> SpanHandle:
        with guarded("SpanHandle.set_attribute"):
            if isinstance(value, (str, bool, int, float)):
                self.span.set_attribute(key, value)
            elif isinstance(value, Sequence) and all(isinstance(v, (str, bool, int, float)) for v in value):
                self.span.set_attribute(key, list(value))
            else:
                self.span.set_attribute(key, dumps(value))
        return self

    def set_metadata(self, key: str, value: Any) -> SpanHandle:
        return self.set_attribute(A.METADATA_PREFIX + key, value if isinstance(value, str) else dumps(value))

    def _content(self, key: str, value: Any) -> None:
        if value is None or not _content_allowed():
            return
        self.span.set_attribute(key, to_text(value, client.max_content_chars()))

    def set_input(self, value: Any) -> SpanHandle:
        with guarded("SpanHandle.set_input"):
            self._content(A.INPUT, value)
        return self

    def set_output(self, value: Any) -> SpanHandle:
        with guarded("SpanHandle.set_output"):
            self._content(A.OUTPUT, value)
        return self

    def set_retrieval(
        self,
        query: str | None = None,
        documents: Sequence[Any] | None = None,
        index_version: str | None = None,
    ) -> SpanHandle:
        """Documents may be dicts ``{id, content, score, metadata}``, ``RetrievedDocument``s or strings."""
        with guarded("SpanHandle.set_retrieval"):
            if index_version is not None:
                self.span.set_attribute(A.RETRIEVAL_INDEX_VERSION, str(index_version))
            self._content(A.RETRIEVAL_QUERY, query)
            if documents is not None and _content_allowed():
                docs = [_document(d) for d in documents]
                self.span.set_attribute(A.RETRIEVAL_DOCUMENTS, dumps(docs))
            elif documents is not None:
                # metadata_only: ids and scores are metadata, the content is not.
                docs = [{k: v for k, v in _document(d).items() if k in ("id", "score")} for d in documents]
                self.span.set_attribute(A.RETRIEVAL_DOCUMENTS, dumps(docs))
        return self

    def set_tool(
        self,
        name: str | None = None,
        arguments: Any = None,
        result: Any = None,
        status: str | None = None,
    ) -> SpanHandle:
        with guarded("SpanHandle.set_tool"):
            if name is not None:
                self.span.set_attribute(A.TOOL_NAME, name)
                self.span.set_attribute("gen_ai.tool.name", name)
            if status is not None:
                self.span.set_attribute(A.TOOL_STATUS, status)
            self._content(A.TOOL_ARGUMENTS, arguments)
            self._content(A.TOOL_RESULT, result)
        return self

    def set_guardrail(self, decision: str, rule: str | None = None) -> SpanHandle:
        with guarded("SpanHandle.set_guardrail"):
            self.span.set_attribute(A.GUARDRAIL_DECISION, decision)
            if rule is not None:
                self.span.set_attribute(A.GUARDRAIL_RULE, rule)
        return self

    def set_error(self, error: BaseException, error_class: str | None = None) -> SpanHandle:
        """Mark the span failed with ``error`` (recorded as an exception event)."""
        with guarded("SpanHandle.set_error"):
            record_error(self.span, error, error_class)
        return self


def _document(doc: Any) -> dict[str, Any]:
    if isinstance(doc, RetrievedDocument):
        raw: dict[str, Any] = {
            "id": doc.id,
            "content": doc.content,
            "score": doc.score,
            "metadata": doc.metadata,
        }
    elif isinstance(doc, Mapping):
        raw = {k: doc.get(k) for k in ("id", "content", "score", "metadata")}
    elif isinstance(doc, str):
        raw = {"content": doc}
    else:
        raw = {"content": str(doc)}
    return {k: to_jsonable(v) for k, v in raw.items() if v is not None}


def record_error(span: Span, error: BaseException, error_class: str | None = None) -> None:
    """Status ERROR, ``error.type``, exception event, and ``spyglass.error.class`` if known."""
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:1000]))
    span.set_attribute(A.ERROR_TYPE, type(error).__qualname__)
    if error_class:
        span.set_attribute(A.ERROR_CLASS, error_class)
    span.record_exception(error)


def _start(name: str, kind: str | SpanKind, attributes: Mapping[str, Any] | None) -> Span:
    canonical, operation = _resolve_kind(kind)
    attrs: dict[str, Any] = {A.SPAN_KIND: canonical.value}
    if operation is not None:
        attrs[A.GEN_AI_OPERATION_NAME] = operation
    if canonical is SpanKind.AGENT:
        attrs["gen_ai.agent.name"] = name
    elif canonical is SpanKind.TOOL:
        attrs[A.TOOL_NAME] = name
        attrs["gen_ai.tool.name"] = name
    if attributes:
        attrs.update(attributes)
    return client.get_tracer().start_span(
        name, attributes=attrs, record_exception=False, set_status_on_exception=False
    )


@contextmanager
def span(
    name: str, kind: str | SpanKind = "custom", attributes: Mapping[str, Any] | None = None
) -> Iterator[SpanHandle]:
    """Trace a block as one span (child of the current span). Exceptions are recorded and re-raised."""
    try:
        otel_span = _start(name, kind, attributes)
    except ValueError:
        report_internal_error("spyglass.span(kind)")
        otel_span = _start(name, "custom", attributes)
    except Exception:
        report_internal_error("spyglass.span")
        otel_span = trace.INVALID_SPAN
    with trace.use_span(otel_span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        try:
            yield SpanHandle(otel_span)
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                with guarded("spyglass.span.error"):
                    record_error(otel_span, exc)
            raise
        finally:
            with guarded("spyglass.span.end"):
                otel_span.end()


def _bound_input(sig: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if sig is None:
        return {"args": list(args), "kwargs": kwargs}
    bound = sig.bind_partial(*args, **kwargs)
    values = dict(bound.arguments)
    for skip in ("self", "cls"):
        values.pop(skip, None)
    return values


@overload
def observe(fn: F) -> F: ...


@overload
def observe(
    fn: None = None,
    *,
    name: str | None = None,
    kind: str | SpanKind = "custom",
    capture_input: bool = True,
    capture_output: bool = True,
) -> Callable[[F], F]: ...


def observe(
    fn: F | None = None,
    *,
    name: str | None = None,
    kind: str | SpanKind = "custom",
    capture_input: bool = True,
    capture_output: bool = True,
) -> F | Callable[[F], F]:
    """Trace each call of a sync/async function or sync/async generator as one span.

    The span covers the whole iteration for generators (yielded items become the output).
    Arguments and return values are recorded as ``spyglass.input``/``spyglass.output``
    unless the capture mode is ``metadata_only`` or ``capture_*`` is False.
    """
    _resolve_kind(kind)  # programmer error -> ValueError now, not at call time

    def decorate(func: F) -> F:
        span_name: str = name or str(getattr(func, "__qualname__", getattr(func, "__name__", "observed")))
        try:
            sig: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            sig = None

        def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span:
            try:
                s = _start(span_name, kind, None)
            except Exception:
                report_internal_error("observe.start")
                return trace.INVALID_SPAN
            if capture_input and _content_allowed():
                with guarded("observe.input"):
                    s.set_attribute(
                        A.INPUT, to_text(_bound_input(sig, args, kwargs), client.max_content_chars())
                    )
            return s

        def succeed(s: Span, result: Any) -> None:
            with guarded("observe.output"):
                if capture_output and result is not None and _content_allowed():
                    s.set_attribute(A.OUTPUT, to_text(result, client.max_content_chars()))
                s.end()

        def fail(s: Span, exc: BaseException) -> None:
            with guarded("observe.error"):
                record_error(s, exc)
                s.end()

        if inspect.isasyncgenfunction(func):
            return cast(F, _wrap_async_gen(func, begin, succeed, fail))
        if inspect.isgeneratorfunction(func):
            return cast(F, _wrap_gen(func, begin, succeed, fail))
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                s = begin(args, kwargs)
                with trace.use_span(
                    s, end_on_exit=False, record_exception=False, set_status_on_exception=False
                ):
                    try:
                        result = await func(*args, **kwargs)
                    except BaseException as exc:
                        fail(s, exc)
                        raise
                succeed(s, result)
                return result

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            s = begin(args, kwargs)
            with trace.use_span(s, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                try:
                    result = func(*args, **kwargs)
                except BaseException as exc:
                    fail(s, exc)
                    raise
            succeed(s, result)
            return result

        return cast(F, sync_wrapper)

    if fn is not None:
        return decorate(fn)
    return decorate


_MAX_COLLECTED_ITEMS = 1000


def _collected_output(items: list[Any]) -> Any:
    if items and all(isinstance(i, str) for i in items):
        return "".join(items)
    return items


def _wrap_gen(
    func: Callable[..., Generator[Any, Any, Any]],
    begin: Callable[[tuple[Any, ...], dict[str, Any]], Span],
    succeed: Callable[[Span, Any], None],
    fail: Callable[[Span, BaseException], None],
) -> Callable[..., Generator[Any, Any, Any]]:
    """The span is current only while the generator body runs (never leaks to the consumer)."""

    @functools.wraps(func)
    def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        s = begin(args, kwargs)
        ctx = trace.set_span_in_context(s)
        gen = func(*args, **kwargs)
        items: list[Any] = []
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = otel_context.attach(ctx)
            try:
                if to_throw is not None:
                    exc, to_throw = to_throw, None
                    item = gen.throw(exc)
                else:
                    item = gen.send(to_send)
            except StopIteration as stop:
                succeed(s, stop.value if stop.value is not None else _collected_output(items))
                return stop.value
            except BaseException as exc:
                fail(s, exc)
                raise
            finally:
                otel_context.detach(token)
            if len(items) < _MAX_COLLECTED_ITEMS:
                items.append(item)
            try:
                to_send = yield item
            except GeneratorExit:
                gen.close()
                succeed(s, _collected_output(items))
                raise
            except BaseException as exc:
                to_throw = exc

    return gen_wrapper


def _wrap_async_gen(
    func: Callable[..., AsyncGenerator[Any, Any]],
    begin: Callable[[tuple[Any, ...], dict[str, Any]], Span],
    succeed: Callable[[Span, Any], None],
    fail: Callable[[Span, BaseException], None],
) -> Callable[..., AsyncGenerator[Any, Any]]:
    @functools.wraps(func)
    async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        s = begin(args, kwargs)
        ctx = trace.set_span_in_context(s)
        agen = func(*args, **kwargs)
        items: list[Any] = []
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            token = otel_context.attach(ctx)
            try:
                if to_throw is not None:
                    exc, to_throw = to_throw, None
                    item = await agen.athrow(exc)
                else:
                    item = await agen.asend(to_send)
            except StopAsyncIteration:
                succeed(s, _collected_output(items))
                return
            except BaseException as exc:
                fail(s, exc)
                raise
            finally:
                otel_context.detach(token)
            if len(items) < _MAX_COLLECTED_ITEMS:
                items.append(item)
            try:
                to_send = yield item
            except GeneratorExit:
                await agen.aclose()
                succeed(s, _collected_output(items))
                raise
            except BaseException as exc:
                to_throw = exc

    return agen_wrapper
