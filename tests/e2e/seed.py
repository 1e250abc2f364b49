"""Realistic OTLP/JSON traffic with chosen timestamps, for the UI tests, screenshots and bench.

``seed(url, api_key, now_ns=None)`` sends, through the real ``POST /v1/traces``:

* ~360 support/search/extract requests over the last 6 hours (chain root → retrieval →
  LLM call → optional tool), with sessions, tenants, environments, releases and feedback;
* a **seeded regression**: prompt ``support-answer@v4`` (last 3 hours) is slower and fails
  more often than ``@v3``;
* two **identical** prompt versions: ``extract@v1`` and ``extract@v2`` get the very same
  durations, costs and outcomes, pairwise;
* a **silent snapshot swap**: ``gpt-4o-mini`` returns ``gpt-4o-mini-2024-07-18`` until 3 h
  ago, then ``gpt-4o-mini-2025-04-14``;
* one trace whose LLM output holds ``<script>`` and ``<img onerror>`` (``XSS_TRACE_ID``);
* one failing trace with a known failed span (``FAILING_TRACE_ID`` / ``FAILING_SPAN_ID``);
* optionally a 5,000-span agent trace (``big_trace``).

Returns a ``Seeded`` record with the ids the tests look for.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

HOUR_NS = 3600 * 10**9
XSS_PAYLOAD = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2"> Here is your answer.'
XSS_TRACE_ID = "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"
FAILING_TRACE_ID = "fa11fa11fa11fa11fa11fa11fa11fa11"
FAILING_SPAN_ID = "fa11000000000003"
BIG_TRACE_ID = "b16b16b16b16b16b16b16b16b16b16b1"

QUESTIONS = [
    "How do I get a refund for a duplicate charge?",
    "What is your refund policy for annual plans?",
    "Can I change the email on my account?",
    "Why was my card declined?",
    "How do I export my invoices as PDF?",
    "Is there a discount for non-profits?",
    "My order arrived damaged, what now?",
    "How long does shipping to Canada take?",
]
ANSWERS = [
    "You can request a refund from Billing → Invoices within 30 days; duplicate charges are refunded automatically in 3–5 business days.",
    "Annual plans are refundable pro rata during the first 60 days. After that, the plan stays active until the end of the term.",
    "Go to Settings → Profile → Email, enter the new address and confirm the link we send you.",
    "Card declines usually come from the bank. Please check the card's expiry date and your bank's 3-D Secure prompt.",
]


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": str(v)} for v in value]}}}
    return {"key": key, "value": {"stringValue": str(value)}}


@dataclass
class SpanSpec:
    trace_id: str
    span_id: str
    parent: str | None
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    error: str | None = None

    def to_otlp(self) -> dict[str, Any]:
        span: dict[str, Any] = {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "name": self.name,
            "kind": 3 if self.attributes.get("gen_ai.operation.name") else 1,
            "startTimeUnixNano": str(self.start_ns),
            "endTimeUnixNano": str(self.end_ns),
            "attributes": [_attr(k, v) for k, v in self.attributes.items() if v is not None],
            "status": {"code": 2, "message": self.error} if self.error else {"code": 1},
        }
        if self.parent:
            span["parentSpanId"] = self.parent
        return span


@dataclass
class Seeded:
    trace_ids: list[str] = field(default_factory=list)
    span_count: int = 0
    xss_trace_id: str = XSS_TRACE_ID
    failing_trace_id: str = FAILING_TRACE_ID
    failing_span_id: str = FAILING_SPAN_ID
    big_trace_id: str | None = None
    session_ids: list[str] = field(default_factory=list)


def _messages(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


def llm_attrs(
    *,
    model: str,
    snapshot: str,
    prompt: str,
    answer: str,
    tokens_in: int,
    tokens_out: int,
    ctx: dict[str, Any],
    ttft_ms: float | None,
) -> dict[str, Any]:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": snapshot,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 512,
        "gen_ai.usage.input_tokens": tokens_in,
        "gen_ai.usage.output_tokens": tokens_out,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.system_instructions": json.dumps(
            [
                {
                    "type": "text",
                    "content": "You are a concise, friendly support agent. Cite the help-center article you used.",
                }
            ]
        ),
        "gen_ai.input.messages": _messages("user", prompt),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
        ),
        "spyglass.ttft_ms": ttft_ms,
        **ctx,
    }
    return attrs


def _send(
    client: httpx.Client, url: str, api_key: str, spans: list[SpanSpec], service: str = "support-bot"
) -> None:
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attr("service.name", service)]},
                "scopeSpans": [
                    {"scope": {"name": "spyglass.tests.e2e"}, "spans": [s.to_otlp() for s in spans]}
                ],
            }
        ]
    }
    resp = client.post(f"{url}/v1/traces", json=body, headers={"x-api-key": api_key})
    resp.raise_for_status()


class _Ids:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def trace(self) -> str:
        return f"{self.rnd.getrandbits(128):032x}"

    def span(self) -> str:
        return f"{self.rnd.getrandbits(64):016x}"


def request_trace(
    ids: _Ids,
    *,
    start_ns: int,
    feature: str,
    prompt_version: str,
    model: str,
    snapshot: str,
    llm_ms: float,
    error: str | None,
    ctx: dict[str, Any],
    question: str,
    answer: str,
    with_tool: bool,
    trace_id: str | None = None,
    refusal: bool = False,
) -> list[SpanSpec]:
    """One request: chain root -> retrieval -> LLM call (-> tool), realistic timings."""
    tid = trace_id or ids.trace()
    root, ret, llm = ids.span(), ids.span(), ids.span()
    retrieval_ms = 40 + int(llm_ms) % 60  # a function of the call, so identical inputs give identical traces
    t_ret = start_ns + 2_000_000
    t_llm = t_ret + int(retrieval_ms * 1e6) + 1_000_000
    t_llm_end = t_llm + int(llm_ms * 1e6)
    spans = [
        SpanSpec(
            tid,
            ret,
            root,
            "retrieve-help-articles",
            t_ret,
            t_ret + int(retrieval_ms * 1e6),
            {
                "spyglass.span.kind": "retrieval",
                "spyglass.retrieval.query": question,
                "spyglass.retrieval.index_version": "help-center@2026-11-20",
                "spyglass.retrieval.documents": json.dumps(
                    [
                        {
                            "id": "kb-1042",
                            "content": "Refunds: duplicate charges are refunded automatically within 3–5 business days.",
                            "score": 0.91,
                        },
                        {
                            "id": "kb-0077",
                            "content": "Annual plans: pro-rata refunds during the first 60 days.",
                            "score": 0.84,
                        },
                        {"id": "kb-0311", "content": "Shipping times by country.", "score": 0.42},
                    ]
                ),
                **ctx,
            },
        ),
    ]
    if refusal:
        answer = "I'm sorry, but I can't help with that request."
    prompt_name, _, version = prompt_version.partition("@")
    llm_ctx = {
        **ctx,
        "spyglass.prompt.name": prompt_name,
        "spyglass.prompt.version": version,
        "spyglass.prompt.template": "Answer the customer using the articles.\n\nArticles: {{articles}}\n\nQuestion: {{question}}",
        "spyglass.prompt.variables": json.dumps({"question": question, "articles": "kb-1042, kb-0077"}),
    }
    attrs = llm_attrs(
        model=model,
        snapshot=snapshot,
        prompt=question,
        answer=answer,
        tokens_in=420 + len(question) * 3,
        tokens_out=60 + len(answer) // 3,
        ctx=llm_ctx,
        ttft_ms=round(llm_ms * 0.35, 1),
    )
    if error:
        attrs["error.type"] = {
            "timeout": "openai.APITimeoutError",
            "rate_limit": "openai.RateLimitError",
            "provider_5xx": "openai.InternalServerError",
        }[error]
        attrs["spyglass.error.class"] = error
        attrs.pop("gen_ai.output.messages")
    spans.append(
        SpanSpec(
            tid,
            llm,
            root,
            f"chat {model}",
            t_llm,
            t_llm_end,
            attrs,
            error=f"{attrs['error.type']}: request failed" if error else None,
        )
    )
    end = t_llm_end
    if with_tool and not error:
        tool = ids.span()
        t_tool = t_llm_end + 1_000_000
        spans.append(
            SpanSpec(
                tid,
                tool,
                root,
                "lookup_order",
                t_tool,
                t_tool + 35_000_000,
                {
                    "spyglass.span.kind": "tool",
                    "spyglass.tool.name": "lookup_order",
                    "spyglass.tool.arguments": json.dumps({"order_id": "A-1042", "include_items": True}),
                    "spyglass.tool.result": json.dumps(
                        {"status": "shipped", "carrier": "UPS", "eta_days": 2}
                    ),
                    "spyglass.tool.status": "ok",
                    **ctx,
                },
            )
        )
        end = t_tool + 35_000_000
    spans.insert(
        0,
        SpanSpec(
            tid,
            root,
            None,
            f"{feature}-request",
            start_ns,
            end + 1_000_000,
            {
                "spyglass.span.kind": "chain",
                "spyglass.input": question,
                "spyglass.output": None if error else answer,
                "error.type": attrs.get("error.type"),
                **ctx,
            },
            error=f"{attrs['error.type']}: request failed" if error else None,
        ),
    )
    return spans


def seed(
    url: str, api_key: str, *, now_ns: int | None = None, n_requests: int = 360, random_seed: int = 7
) -> Seeded:
    """Send the dataset described in the module docstring; returns the ids tests look for."""
    now = now_ns or time.time_ns()
    rnd = random.Random(random_seed)
    ids = _Ids(rnd)
    out = Seeded()
    batch: list[SpanSpec] = []
    with httpx.Client(timeout=30) as client:

        def flush() -> None:
            if batch:
                _send(client, url, api_key, batch)
                out.span_count += len(batch)
                batch.clear()

        sessions = [f"sess-{i:03d}" for i in range(24)]
        out.session_ids = sessions[:]
        identical: list[tuple[float, str | None]] = []
        for i in range(n_requests):
            age = (i / n_requests) * 6 * HOUR_NS + rnd.randint(0, 30) * 10**9
            start = now - int(age) - 60 * 10**9
            recent = age < 3 * HOUR_NS
            kind = i % 6
            if kind < 4:
                feature, version = "support", ("support-answer@v4" if recent else "support-answer@v3")
                base = 900.0 if recent else 600.0
                p_err = 0.14 if recent else 0.02
            elif kind == 4:
                feature, version, base, p_err = "search", "search-rewrite@v7", 350.0, 0.02
            else:
                feature, base, p_err = "extract", 500.0, 0.0
                version = "extract@v1"
            llm_ms = base * rnd.lognormvariate(0, 0.35)
            err = None
            if rnd.random() < p_err:
                err = rnd.choice(["timeout", "rate_limit", "provider_5xx"])
            if feature == "extract":
                # pairwise identical versions: every v1 value is repeated for v2
                if len(identical) % 2 == 0:
                    identical.append((llm_ms, err))
                else:
                    llm_ms, err = identical[-1]
                    identical.append((llm_ms, err))
                    version = "extract@v2"
            model = "gpt-4o-mini" if feature != "search" else "claude-3-5-haiku"
            snapshot = (
                ("gpt-4o-mini-2025-04-14" if recent else "gpt-4o-mini-2024-07-18")
                if model == "gpt-4o-mini"
                else "claude-3-5-haiku-20241022"
            )
            ctx = {
                "spyglass.feature": feature,
                "spyglass.environment": "production" if i % 10 else "staging",
                "spyglass.tenant_id": f"tenant-{'abc'[i % 3]}",
                "spyglass.user_id": f"user-{i % 40:02d}",
                "spyglass.release": "2026.11.2" if age < 2 * HOUR_NS else "2026.11.1",
            }
            if feature == "support":
                ctx["spyglass.session_id"] = sessions[i % len(sessions)]
            turn = i // len(sessions)  # successive turns of one session ask different things
            q = QUESTIONS[(i + turn) % len(QUESTIONS)] if feature != "extract" else QUESTIONS[0]
            a = ANSWERS[(i + turn) % len(ANSWERS)] if feature != "extract" else ANSWERS[0]
            spans = request_trace(
                ids,
                start_ns=start,
                feature=feature,
                prompt_version=version,
                model=model,
                snapshot=snapshot,
                llm_ms=llm_ms,
                error=err,
                ctx=ctx,
                question=q,
                answer=a,
                with_tool=(i % 3 == 0),
                refusal=(feature == "support" and i % 53 == 0),
            )
            out.trace_ids.append(spans[0].trace_id)
            batch.extend(spans)
            if len(batch) > 400:
                flush()
        # the XSS trace and the failing trace, at known times
        ctx = {
            "spyglass.feature": "support",
            "spyglass.environment": "production",
            "spyglass.tenant_id": "tenant-x",
            "spyglass.release": "2026.11.2",
            "spyglass.session_id": "sess-xss",
        }
        batch.extend(
            request_trace(
                ids,
                start_ns=now - 20 * 60 * 10**9,
                feature="support",
                prompt_version="support-answer@v4",
                model="gpt-4o-mini",
                snapshot="gpt-4o-mini-2025-04-14",
                llm_ms=700,
                error=None,
                ctx=ctx,
                question='Show me <b>bold</b> & "quotes"',
                answer=XSS_PAYLOAD,
                with_tool=False,
                trace_id=XSS_TRACE_ID,
            )
        )
        failing = request_trace(
            ids,
            start_ns=now - 10 * 60 * 10**9,
            feature="support",
            prompt_version="support-answer@v4",
            model="gpt-4o-mini",
            snapshot="gpt-4o-mini-2025-04-14",
            llm_ms=30_000,
            error="timeout",
            ctx={**ctx, "spyglass.session_id": "sess-fail"},
            question="Where is my order A-1042?",
            answer="",
            with_tool=False,
            trace_id=FAILING_TRACE_ID,
        )
        # fixed span ids so the test can find the failed LLM span
        root_id, ret_id, llm_id = "fa11000000000001", "fa11000000000002", FAILING_SPAN_ID
        failing[0].span_id = root_id
        failing[1].span_id, failing[1].parent = ret_id, root_id
        failing[2].span_id, failing[2].parent = llm_id, root_id
        batch.extend(failing)
        out.trace_ids += [XSS_TRACE_ID, FAILING_TRACE_ID]
        flush()
        # feedback: thumbs on some traces, a retry signal
        for j, tid in enumerate(out.trace_ids[:120:7]):
            body: dict[str, Any] = {
                "trace_id": tid,
                "thumbs": "down" if j % 4 == 0 else "up",
                "source": "user",
            }
            if j % 4 == 0:
                body["comment"] = "The answer ignored my order number."
            client.post(
                f"{url}/api/v1/feedback", json=body, headers={"x-api-key": api_key}
            ).raise_for_status()
        client.post(
            f"{url}/api/v1/feedback",
            json={"trace_id": out.trace_ids[3], "kind": "retry", "source": "system"},
            headers={"x-api-key": api_key},
        ).raise_for_status()
    return out


def big_trace(
    url: str, api_key: str, *, n_spans: int = 5000, now_ns: int | None = None, trace_id: str = BIG_TRACE_ID
) -> str:
    """An agent trace of ``n_spans`` spans (nested steps of LLM calls and tools), one failing tool."""
    now = now_ns or time.time_ns()
    rnd = random.Random(5)
    ids = _Ids(rnd)
    start = now - 30 * 60 * 10**9
    root = ids.span()
    spans = [
        SpanSpec(
            trace_id,
            root,
            None,
            "research-agent",
            start,
            start + 240 * 10**9,
            {
                "spyglass.span.kind": "agent",
                "spyglass.agent.name": "researcher",
                "spyglass.feature": "research",
                "spyglass.environment": "production",
            },
        )
    ]
    t = start + 10**6
    step = 0
    while len(spans) < n_spans:
        step_id = ids.span()
        step_start = t
        children = []
        for k in range(4):
            if len(spans) + len(children) + 1 >= n_spans:
                break
            sid = ids.span()
            dur = rnd.randint(2, 40) * 10**6
            if k % 2 == 0:
                attrs = llm_attrs(
                    model="gpt-4o-mini",
                    snapshot="gpt-4o-mini-2025-04-14",
                    prompt=f"step {step}: what next?",
                    answer=f"call tool {k}",
                    tokens_in=300,
                    tokens_out=20,
                    ctx={"spyglass.feature": "research"},
                    ttft_ms=dur / 3e6,
                )
                children.append(SpanSpec(trace_id, sid, step_id, "chat gpt-4o-mini", t, t + dur, attrs))
            else:
                failed = step == 600 and k == 1
                children.append(
                    SpanSpec(
                        trace_id,
                        sid,
                        step_id,
                        "web_search",
                        t,
                        t + dur,
                        {
                            "spyglass.span.kind": "tool",
                            "spyglass.tool.name": "web_search",
                            "spyglass.tool.arguments": json.dumps({"q": f"topic {step}"}),
                            "spyglass.tool.status": "error" if failed else "ok",
                        },
                        error="HTTP 503 from search backend" if failed else None,
                    )
                )
            t += dur + 10**5
        spans.append(
            SpanSpec(trace_id, step_id, root, f"step {step}", step_start, t, {"spyglass.span.kind": "chain"})
        )
        spans.extend(children)
        step += 1
    with httpx.Client(timeout=60) as client:
        for i in range(0, len(spans), 1000):
            _send(client, url, api_key, spans[i : i + 1000], service="research-agent")
    return trace_id
