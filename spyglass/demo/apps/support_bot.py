"""A RAG support chatbot on OpenAI: retrieve -> (tool) -> streamed answer -> citation check.

One arrival is a chat session of one to four turns; each turn is one trace. The answer
prompt has three versions (see :class:`~spyglass.demo.story.Story`); v3 is the regressed
one. Users leave thumbs up/down, more often down after refusals or blocked answers.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

import openai

import spyglass
from spyglass.demo import clock
from spyglass.demo.apps.tools import ORDER_TOOL_SCHEMA, run_tool
from spyglass.demo.scenario import V3_PHRASE
from spyglass.demo.story import Story
from spyglass.demo.world import (
    FOLLOW_UPS,
    KNOWLEDGE_BASE,
    QUESTIONS,
    STAGING_TENANT,
    Document,
    keyword_scores,
    order_number,
    pick_tenant,
    pick_user,
)

PROMPTS: dict[str, str] = {
    "v1": "You are the support assistant of {tenant}. Answer the customer's question using the sources below.\n\nSources:\n{sources}",
    "v2": (
        "You are the support assistant of {tenant}. Answer in a friendly, complete way using only the "
        "sources below, and cite each source you use by its id in brackets, e.g. [source id].\n\nSources:\n{sources}"
    ),
    "v3": (
        "You are the support assistant of {tenant}. Be brief. "
        + V3_PHRASE
        + "; cite sources by id in brackets; "
        "decline anything the sources do not cover.\n\nSources:\n{sources}"
    ),
}
ORDER_TOOL: list[Any] = [
    {
        "type": "function",
        "function": {"name": "lookup_order", "description": "Order status", "parameters": ORDER_TOOL_SCHEMA},
    }
]
_CITATION = re.compile(r"\[(doc-[\w-]+)\]")
FALLBACK = "I could not verify that answer against our help center; a support agent will follow up."
INDEX_VERSION = "kb-2026-11-01"


@dataclass(slots=True)
class TurnResult:
    trace_id: str
    answer: str | None
    failed: bool
    refused: bool
    blocked: bool


class SupportBot:
    """``run_session`` is thread-safe (one session per call); clients are shared."""

    def __init__(self, client: openai.OpenAI, story: Story, environment: str) -> None:
        self.client = client
        self.story = story
        self.environment = environment
        self._doc_vectors: dict[str, list[float]] | None = None

    def _vectors(self) -> dict[str, list[float]]:
        """Embed the knowledge base once (lazily, so the first request pays for it)."""
        if self._doc_vectors is None:
            with spyglass.span("kb-index-refresh", kind="workflow"):
                response = self.client.embeddings.create(
                    model="text-embedding-3-small", input=[f"{d.title}. {d.text}" for d in KNOWLEDGE_BASE]
                )
            self._doc_vectors = {
                d.id: item.embedding for d, item in zip(KNOWLEDGE_BASE, response.data, strict=True)
            }
        return self._doc_vectors

    def run_session(self, rng: random.Random) -> list[TurnResult]:
        tenant = pick_tenant(rng) if self.environment == "production" else STAGING_TENANT
        user = pick_user(rng, tenant)
        session_id = f"sess-{rng.getrandbits(48):012x}"
        _, templates = rng.choice(QUESTIONS)
        question = rng.choice(templates).format(order=order_number(rng))
        history: list[dict[str, Any]] = []
        results = []
        for turn in range(rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]):
            if turn:
                clock.pause_lognormal(rng, 12_000, 90_000)  # the user reads and types
                question = rng.choice(FOLLOW_UPS).replace("the order", f"order {order_number(rng)}")
            version = self.story.support_prompt_version(clock.now_s(), self.environment, rng.random())
            result = self.answer_turn(rng, tenant, user, session_id, question, history, version)
            results.append(result)
            self._leave_feedback(rng, result)
            if result.failed:
                break
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": result.answer or ""},
            ]
        return results

    def answer_turn(
        self,
        rng: random.Random,
        tenant: str,
        user: str,
        session_id: str,
        question: str,
        history: list[dict[str, Any]],
        version: str,
    ) -> TurnResult:
        context = spyglass.context(
            session_id=session_id,
            user_id=user,
            tenant_id=tenant,
            feature="support-chat",
            prompt_name="support-answer",
            prompt_version=version,
        )
        with context, spyglass.span("support-chat turn", kind="workflow") as root:
            root.set_input(question)
            try:
                docs = self._retrieve(question)
                sources = "\n".join(f"[{d.id}] {d.title}: {d.text}" for d, _ in docs)
                messages: list[Any] = [
                    {"role": "system", "content": PROMPTS[version].format(tenant=tenant, sources=sources)},
                    *history,
                    {"role": "user", "content": question},
                ]
                if "order" in question.lower():
                    messages += self._order_tool_turn(rng, tenant, messages)
                text, refusal = self._stream_answer(messages)
            except openai.APIError as exc:
                root.set_error(exc)
                return TurnResult(root.trace_id, None, failed=True, refused=False, blocked=False)
            blocked = False
            if refusal is None:
                # Sources of this turn, and those the earlier answers cited (checked then): the
                # model may cite them again from the conversation.
                earlier = {
                    c for m in history if m["role"] == "assistant" for c in _CITATION.findall(m["content"])
                }
                blocked = not self._citations_ok(text, {d.id for d, _ in docs} | earlier)
            answer = FALLBACK if blocked else (refusal or text)
            root.set_output(answer)
            return TurnResult(
                root.trace_id, answer, failed=False, refused=refusal is not None, blocked=blocked
            )

    def _retrieve(self, question: str) -> list[tuple[Document, float]]:
        """Hybrid retrieval: keyword overlap plus embedding similarity, top 3."""
        with spyglass.span("retrieve help-center", kind="retrieval") as span:
            vectors = self._vectors()
            query = (
                self.client.embeddings.create(model="text-embedding-3-small", input=question)
                .data[0]
                .embedding
            )
            scored = []
            for doc, lexical in keyword_scores(question):
                cosine = sum(a * b for a, b in zip(query, vectors[doc.id], strict=False))
                scored.append((doc, round(0.7 * lexical + 0.3 * (cosine + 1) / 2, 4)))
            top = sorted(scored, key=lambda pair: pair[1], reverse=True)[:3]
            span.set_retrieval(
                query=question,
                documents=[
                    {"id": d.id, "content": d.text, "score": s, "metadata": {"title": d.title}}
                    for d, s in top
                ],
                index_version=INDEX_VERSION,
            )
            return top

    def _order_tool_turn(self, rng: random.Random, tenant: str, messages: list[Any]) -> list[dict[str, Any]]:
        """Let the model look the order up; returns the messages to append."""
        response = self.client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=ORDER_TOOL, temperature=0.2
        )
        message = response.choices[0].message
        if not message.tool_calls:
            return []
        added: list[dict[str, Any]] = [message.model_dump(exclude_none=True)]
        for call in message.tool_calls:
            if call.type != "function":
                continue
            arguments = json.loads(call.function.arguments or "{}")
            result, _ = run_tool("lookup_order", arguments, tenant, self.story, rng)
            added.append({"role": "tool", "tool_call_id": call.id, "content": result})
        return added

    def _stream_answer(self, messages: list[Any]) -> tuple[str, str | None]:
        stream = self.client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            temperature=0.3,
        )
        text, refusal = [], []
        for chunk in stream:
            if chunk.choices:
                delta = chunk.choices[0].delta
                text.append(delta.content or "")
                refusal.append(delta.refusal or "")
        return "".join(text), ("".join(refusal) or None)

    @staticmethod
    def _citations_ok(text: str, allowed: set[str]) -> bool:
        """Guardrail: every cited source must be one that was retrieved in this session."""
        with spyglass.span("citation-check", kind="guardrail") as span:
            cited = set(_CITATION.findall(text))
            unsupported = sorted(cited - allowed)
            decision = "block" if unsupported else "allow"
            span.set_guardrail(decision, rule="citations-must-be-retrieved")
            span.set_output({"cited": sorted(cited), "unsupported": unsupported})
            return not unsupported

    @staticmethod
    def _leave_feedback(rng: random.Random, result: TurnResult) -> None:
        unhappy = result.failed or result.refused or result.blocked
        if unhappy and rng.random() < 0.45:
            spyglass.feedback(
                trace_id=result.trace_id,
                thumbs="down",
                comment=rng.choice((None, "not helpful", "that's wrong")),
            )
        elif not unhappy and rng.random() < 0.12:
            spyglass.feedback(trace_id=result.trace_id, thumbs="up")
        elif not unhappy and rng.random() < 0.03:
            spyglass.feedback(trace_id=result.trace_id, thumbs="down", comment="that's wrong")
