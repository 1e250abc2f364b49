"""A realistic synthetic LLM-span dataset, written straight into a store.

``generate(store, n_spans, project_id, seed=0, end_time_ns=None)`` writes ``n_spans``
spans (5 per trace: agent root -> retrieval, LLM call, tool, LLM call) spread over the 24 h
before ``end_time_ns`` (default now), in time order, through ``store.write_batch`` in
batches of 5,000. Prompts are 1–2 KB, outputs ~0.5 KB, ~25 attributes per span, with
several models, features, tenants, prompt versions, environments and an error/refusal mix.
Random choices are drawn with numpy up front (vectorised); only the span objects are built
in Python. Deterministic for a given seed. Other benchmarks (UI, alerts) reuse it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from spyglass.model.span import ErrorClass, LlmSpan, Message, SpanKind, StatusCode
from spyglass.store.base import SpanStore

SPANS_PER_TRACE = 5
BATCH_SPANS = 5000
DAY_NS = 24 * 3600 * 10**9

MODELS = [
    ("openai", "gpt-4o", "gpt-4o-2024-08-06", 2.5, 10.0),
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 0.15, 0.6),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 3.0, 15.0),
    ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 1.0, 5.0),
    ("openai", "o4-mini", "o4-mini-2025-04-16", 1.1, 4.4),
]
MODEL_WEIGHTS = [0.2, 0.4, 0.15, 0.15, 0.1]
FEATURES = ["support", "search", "summarize", "checkout-assistant", "onboarding", "sql-copilot"]
TENANTS = [f"tenant-{i:03d}" for i in range(40)]
TIERS = ["free", "pro", "enterprise"]
ENVS = ["production", "production", "production", "staging"]
RELEASES = ["2026.11.1", "2026.11.2", "2026.11.3"]
SERVICES = ["api-gateway", "support-bot", "search-svc"]
TOOLS = ["lookup_order", "search_kb", "create_ticket", "get_weather", "run_sql"]
ERRORS = [
    (ErrorClass.RATE_LIMIT, "RateLimitError"),
    (ErrorClass.TIMEOUT, "APITimeoutError"),
    (ErrorClass.PROVIDER_5XX, "InternalServerError"),
    (ErrorClass.VALIDATION, "BadRequestError"),
]
_WORDS = [
    "the",
    "customer",
    "order",
    "refund",
    "policy",
    "shipping",
    "account",
    "invoice",
    "delivery",
    "warranty",
    "product",
    "please",
    "help",
    "with",
    "my",
    "question",
    "about",
    "billing",
    "subscription",
    "cancel",
    "upgrade",
    "plan",
    "support",
    "ticket",
    "status",
    "password",
    "reset",
    "login",
    "error",
    "payment",
    "card",
    "declined",
    "address",
    "change",
    "return",
]


def _text_pool(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[str]:
    words = np.array(_WORDS)
    out = []
    for _ in range(n):
        target = int(rng.integers(lo, hi))
        picked = words[rng.integers(0, len(words), target // 6 + 1)]
        out.append(" ".join(picked)[:target])
    return out


def generate(
    store: SpanStore,
    n_spans: int,
    project_id: str,
    seed: int = 0,
    end_time_ns: int | None = None,
    *,
    batch_spans: int = BATCH_SPANS,
) -> dict[str, Any]:
    """Write ``n_spans`` (rounded down to whole traces) and return figures:
    ``{"spans", "traces", "seconds", "spans_per_s", "write_seconds", "write_spans_per_s",
    "start_ns", "end_ns"}`` (``write_*`` count only the time inside ``write_batch``)."""
    rng = np.random.default_rng(seed)
    end_ns = time.time_ns() if end_time_ns is None else end_time_ns
    start_ns = end_ns - DAY_NS
    n_traces = max(1, n_spans // SPANS_PER_TRACE)

    starts = np.sort(rng.integers(start_ns, end_ns - 120 * 10**9, n_traces))
    model_idx = rng.choice(len(MODELS), n_traces, p=MODEL_WEIGHTS)
    feature_idx = rng.integers(0, len(FEATURES), n_traces)
    tenant_idx = rng.integers(0, len(TENANTS), n_traces)
    env_idx = rng.integers(0, len(ENVS), n_traces)
    release_idx = rng.integers(0, len(RELEASES), n_traces)
    prompt_ver = rng.integers(1, 6, n_traces)
    user_idx = rng.integers(0, 5000, n_traces)
    session_idx = rng.integers(0, 20000, n_traces)
    tool_idx = rng.integers(0, len(TOOLS), n_traces)
    llm1_ms = rng.lognormal(6.8, 0.6, n_traces)  # ~900 ms median, long tail
    llm2_ms = rng.lognormal(6.5, 0.7, n_traces)
    tool_ms = rng.lognormal(4.0, 0.8, n_traces)
    ret_ms = rng.lognormal(3.5, 0.5, n_traces)
    in_tok = rng.integers(300, 700, (n_traces, 2))
    out_tok = rng.integers(50, 250, (n_traces, 2))
    cache_tok = rng.integers(0, 200, n_traces)
    ttft_frac = rng.uniform(0.1, 0.4, (n_traces, 2))
    err_roll = rng.random(n_traces)
    err_kind = rng.integers(0, len(ERRORS), n_traces)
    refusal_roll = rng.random(n_traces)
    tool_err_roll = rng.random(n_traces)
    prompt_pool = _text_pool(rng, 512, 1000, 2000)
    output_pool = _text_pool(rng, 512, 400, 600)
    query_pool = _text_pool(rng, 256, 40, 120)
    prompt_pick = rng.integers(0, len(prompt_pool), (n_traces, 2))
    output_pick = rng.integers(0, len(output_pool), (n_traces, 2))
    query_pick = rng.integers(0, len(query_pool), n_traces)
    id_bytes = rng.bytes(n_traces * (16 + 8 * SPANS_PER_TRACE))

    t0 = time.perf_counter()
    batch: list[LlmSpan] = []
    written = 0
    write_seconds = 0.0
    stride = 16 + 8 * SPANS_PER_TRACE
    for i in range(n_traces):
        raw = id_bytes[i * stride : (i + 1) * stride]
        tid = raw[:16].hex()
        sids = [raw[16 + 8 * k : 24 + 8 * k].hex() for k in range(SPANS_PER_TRACE)]
        provider, model, snapshot, price_in, price_out = MODELS[model_idx[i]]
        feature = FEATURES[feature_idx[i]]
        tenant = TENANTS[tenant_idx[i]]
        ctx = {
            "session_id": f"sess-{session_idx[i]:05d}",
            "user_id": f"user-{user_idx[i]:04d}",
            "tenant_id": tenant,
            "feature": feature,
            "environment": ENVS[env_idx[i]],
            "release": RELEASES[release_idx[i]],
            "service_name": SERVICES[feature_idx[i] % len(SERVICES)],
        }
        prompt_name = f"{feature}-answer"
        prompt_version = f"v{prompt_ver[i]}"
        base_attrs = {
            "service.version": ctx["release"],
            "deployment.environment": ctx["environment"],
            "app.tenant.tier": TIERS[tenant_idx[i] % 3],
            "app.region": "eu-west-1" if tenant_idx[i] % 2 else "us-east-1",
            "app.customer_id": f"cust-{tenant_idx[i] * 7:04d}",
            "session.id": ctx["session_id"],
            "user.id": ctx["user_id"],
            "app.feature": feature,
            "app.request_id": f"req-{i:09d}",
            "http.route": f"/api/{feature}",
        }
        t = int(starts[i])
        ret = int(ret_ms[i] * 1e6)
        l1 = int(llm1_ms[i] * 1e6)
        tl = int(tool_ms[i] * 1e6)
        l2 = int(llm2_ms[i] * 1e6)
        total = ret + l1 + tl + l2 + 5_000_000
        failed = err_roll[i] < 0.03
        refused = refusal_roll[i] < 0.02
        user_text = query_pool[query_pick[i]]

        root = LlmSpan(project_id, tid, sids[0], None, f"{feature}.handle", SpanKind.AGENT, t, t + total,
                       status=StatusCode.ERROR if failed else StatusCode.OK, input_value=user_text,
                       output_value=None if failed else output_pool[output_pick[i, 1]], agent_name=f"{feature}-agent",
                       attributes={**base_attrs, "openinference.span.kind": "AGENT", "app.step": "root"}, **ctx)  # fmt: skip
        retrieval = LlmSpan(project_id, tid, sids[1], sids[0], "retrieve", SpanKind.RETRIEVAL, t + 1_000_000,
                            t + 1_000_000 + ret, status=StatusCode.OK, retrieval_query=user_text, index_version="kb-2026-11",
                            attributes={**base_attrs, "retrieval.top_k": 5, "db.system": "pgvector"}, **ctx)  # fmt: skip
        spans = [root, retrieval]
        t_l1 = t + 2_000_000 + ret
        for k, (start, dur) in enumerate(((t_l1, l1), (t_l1 + l1 + tl + 2_000_000, l2))):
            it, ot = int(in_tok[i, k]), int(out_tok[i, k])
            cache = int(cache_tok[i]) if k == 1 else 0
            err = failed and k == 1
            cls, etype = ERRORS[err_kind[i]]
            msgs = [Message("system", prompt_pool[prompt_pick[i, k]]), Message("user", user_text)]
            out = [] if err else [Message("assistant", output_pool[output_pick[i, k]], finish_reason="stop")]
            attrs = {
                **base_attrs,
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": model,
                "gen_ai.response.model": snapshot,
                "gen_ai.request.temperature": 0.2,
                "gen_ai.request.max_tokens": 1024,
                "gen_ai.usage.input_tokens": it,
                "gen_ai.usage.output_tokens": ot,
                "gen_ai.response.finish_reasons": '["stop"]',
            }
            spans.append(
                LlmSpan(
                    project_id,
                    tid,
                    sids[2 + 2 * k],
                    sids[0],
                    f"chat {model}",
                    SpanKind.LLM,
                    start,
                    start + dur,
                    status=StatusCode.ERROR if err else StatusCode.OK,
                    error_class=cls if err else None,
                    error_type=etype if err else None,
                    provider=provider,
                    operation="chat",
                    request_model=model,
                    response_model=None if err else snapshot,
                    response_id=None if err else f"chatcmpl-{tid[:12]}{k}",
                    settings={"temperature": 0.2, "max_tokens": 1024},
                    input_messages=msgs,
                    output_messages=out,
                    finish_reason=None if err else "stop",
                    is_stream=bool(k),
                    ttft_ms=float(dur * ttft_frac[i, k] / 1e6) if k else None,
                    input_tokens=None if err else it,
                    output_tokens=None if err else ot,
                    cache_read_tokens=cache if not err else None,
                    total_tokens=None if err else it + ot,
                    cost_input_usd=None if err else it * price_in / 1e6,
                    cost_output_usd=None if err else ot * price_out / 1e6,
                    cost_total_usd=None if err else (it * price_in + ot * price_out) / 1e6,
                    refusal=refused and k == 1,
                    schema_valid=None,
                    prompt_name=prompt_name,
                    prompt_version=prompt_version,
                    attributes=attrs,
                    **ctx,
                )  # fmt: skip
            )
            if k == 0:
                tool_err = tool_err_roll[i] < 0.02
                tstart = start + dur + 1_000_000
                spans.append(
                    LlmSpan(
                        project_id,
                        tid,
                        sids[3],
                        sids[0],
                        f"tool {TOOLS[tool_idx[i]]}",
                        SpanKind.TOOL,
                        tstart,
                        tstart + tl,
                        status=StatusCode.ERROR if tool_err else StatusCode.OK,
                        error_class=ErrorClass.TOOL_ERROR if tool_err else None,
                        tool_name=TOOLS[tool_idx[i]],
                        tool_arguments='{"query": "' + user_text[:60] + '"}',
                        tool_result=output_pool[output_pick[i, 0]][:300],
                        tool_status="error" if tool_err else "ok",
                        attributes={**base_attrs, "gen_ai.tool.name": TOOLS[tool_idx[i]]},
                        **ctx,
                    )  # fmt: skip
                )
        batch.extend(spans)
        if len(batch) >= batch_spans:
            tw = time.perf_counter()
            store.write_batch(batch)
            write_seconds += time.perf_counter() - tw
            written += len(batch)
            batch = []
    if batch:
        tw = time.perf_counter()
        store.write_batch(batch)
        write_seconds += time.perf_counter() - tw
        written += len(batch)
    seconds = time.perf_counter() - t0
    return {
        "spans": written,
        "traces": n_traces,
        "seconds": seconds,
        "spans_per_s": written / seconds if seconds else 0.0,
        "write_seconds": write_seconds,
        "write_spans_per_s": written / write_seconds if write_seconds else 0.0,
        "start_ns": start_ns,
        "end_ns": end_ns,
    }
