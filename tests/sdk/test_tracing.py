"""Manual tracing (span, observe) and request context propagation."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading

import pytest

import spyglass
from spyglass.model import attributes as A
from spyglass.testing.capture import SpanCapture, attrs

pytestmark = pytest.mark.unit


def test_span_helpers_and_nesting(cap: SpanCapture) -> None:
    with spyglass.span("answer", kind="workflow") as root:
        with spyglass.span("search", kind="retrieval") as s:
            s.set_retrieval(
                "refund policy",
                [{"id": "d1", "content": "30 days", "score": 0.9, "metadata": {"src": "kb"}}],
                index_version="v7",
            )
        with spyglass.span("lookup", kind="tool") as t:
            t.set_tool("lookup_order", {"order_id": "A1"}, {"status": "shipped"}, "ok")
        with spyglass.span("check", kind="guardrail") as g:
            g.set_guardrail("block", "pii")
        root.set_input("question").set_output("answer").set_attribute("custom.flag", True)
        root.set_metadata("plan", "pro")
    spans = {s.name: s for s in cap.spans()}
    root_ctx = spans["answer"].context
    assert all(spans[n].parent.span_id == root_ctx.span_id for n in ("search", "lookup", "check"))
    r = attrs(spans["search"])
    assert r[A.SPAN_KIND] == "retrieval" and r[A.RETRIEVAL_QUERY] == "refund policy"
    assert r[A.RETRIEVAL_INDEX_VERSION] == "v7"
    assert json.loads(r[A.RETRIEVAL_DOCUMENTS]) == [
        {"id": "d1", "content": "30 days", "score": 0.9, "metadata": {"src": "kb"}}
    ]
    t = attrs(spans["lookup"])
    assert t[A.TOOL_NAME] == "lookup_order" and json.loads(t[A.TOOL_ARGUMENTS]) == {"order_id": "A1"}
    assert t[A.TOOL_STATUS] == "ok" and json.loads(t[A.TOOL_RESULT]) == {"status": "shipped"}
    g = attrs(spans["check"])
    assert g[A.GUARDRAIL_DECISION] == "block" and g[A.GUARDRAIL_RULE] == "pii"
    w = attrs(spans["answer"])
    assert w[A.SPAN_KIND] == "chain" and w[A.INPUT] == "question" and w[A.OUTPUT] == "answer"
    assert w["custom.flag"] is True and w["spyglass.metadata.plan"] == "pro"


def test_span_records_and_reraises_the_apps_exception(cap: SpanCapture) -> None:
    class AppError(Exception):
        pass

    with pytest.raises(AppError), spyglass.span("step"):
        raise AppError("nope")
    span = cap.one()
    assert not span.status.is_ok and attrs(span)[A.ERROR_TYPE].endswith("AppError")


def test_observe_sync_async_and_errors(cap: SpanCapture) -> None:
    @spyglass.observe(kind="tool")
    def add(a: int, b: int = 1) -> int:
        return a + b

    @spyglass.observe(name="agent-run", kind="agent")
    async def run(q: str) -> str:
        return q.upper()

    @spyglass.observe
    def broken() -> None:
        raise KeyError("k")

    assert add(2, b=3) == 5
    assert asyncio.run(run("hi")) == "HI"
    with pytest.raises(KeyError):
        broken()
    spans = {s.name: s for s in cap.spans()}
    assert json.loads(attrs(spans[add.__qualname__])[A.INPUT]) == {"a": 2, "b": 3}
    assert attrs(spans[add.__qualname__])[A.OUTPUT] == "5"
    assert attrs(spans["agent-run"])[A.SPAN_KIND] == "agent" and attrs(spans["agent-run"])[A.OUTPUT] == "HI"
    assert not spans[broken.__qualname__].status.is_ok


def test_observe_rejects_unknown_kind_at_decoration() -> None:
    with pytest.raises(ValueError, match="unknown span kind"):
        spyglass.observe(kind="banana")


def test_observe_generators_cover_the_whole_iteration(cap: SpanCapture) -> None:
    @spyglass.observe(name="tokens")
    def tokens(n: int):
        for i in range(n):
            with spyglass.span(f"inner-{i}"):
                pass
            yield f"t{i}"

    @spyglass.observe(name="atokens")
    async def atokens(n: int):
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    async def consume() -> list[int]:
        return [x async for x in atokens(3)]

    assert list(tokens(2)) == ["t0", "t1"]
    assert asyncio.run(consume()) == [0, 1, 2]
    gen = tokens(5)
    next(gen)
    gen.close()  # abandoned early: span still ends
    spans = cap.spans()
    by_name = {s.name: s for s in spans}
    assert attrs(by_name["atokens"])[A.OUTPUT] == "[0,1,2]"
    outer = [s for s in spans if s.name == "tokens"]
    assert len(outer) == 2 and {attrs(s)[A.OUTPUT] for s in outer} == {"t0t1", "t0"}
    inner = [s for s in spans if s.name.startswith("inner-")]
    assert all(s.parent is not None and s.parent.span_id in {o.context.span_id for o in outer} for s in inner)
    assert spyglass.current_trace_id() is None  # the generator's span never leaked to the caller


def test_context_merges_and_follows_await_and_threads(cap: SpanCapture) -> None:
    async def child() -> None:
        await asyncio.sleep(0)
        with spyglass.span("async-child"):
            pass

    def in_thread() -> None:
        with spyglass.span("thread-child"):
            pass

    with spyglass.context(session_id="s1", user_id="u1", metadata={"plan": "pro"}):
        with spyglass.context(
            feature="support", prompt_name="answer", prompt_version="v3", metadata={"ab": 2}
        ):
            asyncio.run(child())
            ctx = contextvars.copy_context()
            t = threading.Thread(target=ctx.run, args=(in_thread,))
            t.start()
            t.join()
        with spyglass.span("outer-only"):
            pass
    with spyglass.span("no-context"):
        pass
    spans = {s.name: attrs(s) for s in cap.spans()}
    for name in ("async-child", "thread-child"):
        a = spans[name]
        assert a[A.SESSION_ID] == "s1" and a[A.USER_ID] == "u1" and a[A.FEATURE] == "support"
        assert a[A.PROMPT_NAME] == "answer" and a[A.PROMPT_VERSION] == "v3"
        assert a["spyglass.metadata.plan"] == "pro" and a["spyglass.metadata.ab"] == "2"
    assert A.FEATURE not in spans["outer-only"] and spans["outer-only"][A.SESSION_ID] == "s1"
    assert A.SESSION_ID not in spans["no-context"]


def test_current_trace_id_inside_and_outside(cap: SpanCapture) -> None:
    assert spyglass.current_trace_id() is None
    with spyglass.span("x") as s:
        assert spyglass.current_trace_id() == s.trace_id and len(s.trace_id) == 32


def test_metadata_only_mode_drops_content_but_keeps_ids() -> None:
    from spyglass.testing.capture import capture_spans

    with capture_spans(capture="metadata_only") as cap:
        with spyglass.span("search", kind="retrieval") as s:
            s.set_retrieval("secret query", [{"id": "d1", "content": "private text", "score": 0.5}])
            s.set_input("private input")
        text = cap.exported_text()
        a = attrs(cap.one())
    assert "secret query" not in text and "private" not in text
    assert json.loads(a[A.RETRIEVAL_DOCUMENTS]) == [{"id": "d1", "score": 0.5}]
