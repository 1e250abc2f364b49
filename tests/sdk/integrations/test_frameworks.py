"""Framework integrations in process: switching them on and off, the app's own instrumentor,
and the bare install pulling no framework. Real langchain/litellm packages, fake provider."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

import spyglass
from spyglass.fakellm import Behaviour, FakeLLMServer, Scenario
from spyglass.sdk import client
from spyglass.sdk.integrations.frameworks import FRAMEWORK_INTEGRATIONS
from spyglass.testing.capture import capture_spans

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at litellm import

pytestmark = pytest.mark.integration


def _identifiers() -> set[str]:
    state = client._state
    assert state is not None
    return {i.identifier for i in state.integrations}


def _chat(fake: FakeLLMServer) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model="gpt-4o-mini", base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)


def _is_oi(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    return scope is not None and scope.name.startswith("openinference")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    scenario = Scenario(seed=9, defaults=Behaviour(no_sleep=True))
    with FakeLLMServer(scenario) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    spyglass.shutdown()


def test_every_installed_framework_is_on_by_default() -> None:
    import langchain_core  # noqa: F401  (imported: patched at init, not deferred)

    with capture_spans():
        assert {"openai", "langchain", "litellm", "llama_index", "google_genai", "bedrock"} <= _identifiers()


def test_disabled_integrations_argument_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with capture_spans(disabled_integrations=["langchain", "llama-index"]):
        ids = _identifiers()
        assert "langchain" not in ids and "llama_index" not in ids and "openai" in ids
    monkeypatch.setenv("SPYGLASS_DISABLED_INTEGRATIONS", "litellm, Google-GenAI,nosuch")
    with capture_spans():  # the unknown name is logged, not raised
        ids = _identifiers()
        assert "litellm" not in ids and "google_genai" not in ids and "langchain" in ids
    with pytest.raises(ValueError, match="nosuch"):
        spyglass.init(disabled_integrations=["nosuch"])
    with pytest.raises(ValueError, match="not both"):
        spyglass.init(integrations=["openai"], instrument=["openai"])
    with capture_spans(integrations=["langchain"]):
        assert _identifiers() == {"langchain"}


def test_langchain_off_gives_only_the_provider_span(fake: FakeLLMServer) -> None:
    with capture_spans(capture="full", disabled_integrations=["langchain"]) as cap:
        _chat(fake).invoke("Where is order A1?")
        spans = cap.spans()
    assert not [s for s in spans if _is_oi(s)]
    assert [s.name for s in cap.llm_spans()] == ["chat gpt-4o-mini"]


def test_langchain_on_nests_the_provider_span_and_stamps_context(fake: FakeLLMServer) -> None:
    with capture_spans(capture="full") as cap, spyglass.context(session_id="s-lc", feature="faq"):
        _chat(fake).invoke("Where is order A1?")
    spans = cap.spans()
    framework = [s for s in spans if _is_oi(s)]
    assert [s.name for s in framework] == ["ChatOpenAI"]
    (ours,) = cap.llm_spans()
    assert ours.parent is not None and ours.parent.span_id == framework[0].context.span_id
    for span in (ours, framework[0]):
        attrs = span.attributes or {}
        assert attrs["spyglass.session_id"] == "s-lc" and attrs["spyglass.feature"] == "faq"


async def test_langchain_async_nests_too(fake: FakeLLMServer) -> None:
    with capture_spans(capture="full") as cap:
        await _chat(fake).ainvoke("Where is order A1?")
    (framework,) = [s for s in cap.spans() if _is_oi(s)]
    (ours,) = cap.llm_spans()
    assert ours.parent is not None and ours.parent.span_id == framework.context.span_id


def test_app_instrumented_langchain_itself_on_the_same_provider(fake: FakeLLMServer) -> None:
    """The user's setup: OpenInference's LangChain instrumentor turned on by the app on the
    global provider. Spyglass uses it (and leaves it on at shutdown) and nests under it."""
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from opentelemetry import trace

    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=trace.get_tracer_provider())
    try:
        with capture_spans(capture="full") as cap:
            _chat(fake).invoke("Where is order A1?")
            spans = cap.spans()
        assert instrumentor.is_instrumented_by_opentelemetry  # Spyglass did not switch it off
    finally:
        instrumentor.uninstrument()
    (framework,) = [s for s in spans if _is_oi(s)]
    (ours,) = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert ours.context.trace_id == framework.context.trace_id
    assert ours.parent is not None and ours.parent.span_id == framework.context.span_id


def test_shutdown_removes_instrumentors_and_patches() -> None:
    import litellm
    from langchain_core.language_models.chat_models import BaseChatModel
    from openinference.instrumentation.langchain import LangChainInstrumentor

    original_completion = litellm.completion
    original_generate = BaseChatModel.__dict__["_generate_with_cache"]
    with capture_spans():
        assert litellm.completion is not original_completion
        assert BaseChatModel.__dict__["_generate_with_cache"] is not original_generate
        assert LangChainInstrumentor().is_instrumented_by_opentelemetry
    assert litellm.completion is original_completion
    assert BaseChatModel.__dict__["_generate_with_cache"] is original_generate
    assert not LangChainInstrumentor().is_instrumented_by_opentelemetry


def test_bare_install_requires_no_framework_and_no_server_package() -> None:
    requires = metadata.requires("spyglass") or []
    bare = [r for r in requires if "extra ==" not in r]
    names = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in bare}
    assert names == {
        "opentelemetry-api",
        "opentelemetry-sdk",
        "opentelemetry-exporter-otlp-proto-http",
        "wrapt",
    }
    for cls in FRAMEWORK_INTEGRATIONS:  # each instrumentor comes only with its own extra
        extra = cls.extra
        assert any(cls.instrumentor_package in r and f'extra == "{extra}"' in r for r in requires), cls
