"""Framework integrations: LangChain/LangGraph, LlamaIndex, LiteLLM, Google GenAI, Bedrock.

We do not trace frameworks ourselves: each integration turns on the maintained OpenInference
instrumentor of an installed framework, on the SDK's ``TracerProvider`` (so its spans get the
request context, sampling, redaction and export of every other Spyglass span). Why OpenInference
(and not OpenLLMetry): one convention family that the server already normalizes, span kinds for
agent/chain/tool/retriever, and instrumentors maintained per framework.

Two small patches make the result "one trace per request, each LLM call once":

* **LangChain.** OpenInference's LangChain tracer creates spans from callbacks and, on
  purpose, never attaches them as the current OTel context. So the provider-level call that
  ``ChatOpenAI`` makes (our ``openai`` span) started a trace of its own. While a chat model
  generates, we make OpenInference's span of that LLM run current (looked up by the run id
  with the instrumentor's public ``get_span``), so our span nests under it:
  agent → chain → LLM (framework) → chat (provider, the counted one).
* **LiteLLM.** For ``openai/…`` models LiteLLM posts to ``/chat/completions`` through the
  openai client's low-level ``post``, not ``chat.completions.create``: no provider span. The
  OpenInference span is then the only LLM span; we add the model the provider returned to it
  (``llm.response.model_name``), which OpenInference's LiteLLM instrumentor does not record.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from opentelemetry import trace

from spyglass.sdk._guard import guarded
from spyglass.sdk.integrations.base import DidNotEnable, Integration, Patch

logger = logging.getLogger("spyglass.sdk")

RESPONSE_MODEL = "llm.response.model_name"  # OpenInference's attribute for the returned model
MODEL_NAME = "llm.model_name"


class InstrumentorIntegration(Integration):
    """Turns on an OpenTelemetry instrumentor (``instrumentor = "module:Class"``) for ``package``.

    The instrumentor is a process-wide singleton: if the app already turned it on, we leave it
    on at ``uninstall`` and only remove our own patches.
    """

    instrumentor: str = ""
    instrumentor_package: str = ""
    extra: str = ""  # pip extra that installs the instrumentor: spyglass[<extra>]

    def __init__(self) -> None:
        super().__init__()
        self._instance: Any = None
        self._we_instrumented = False
        self._active = False

    def patches(self) -> Sequence[Patch]:
        return ()

    def _check_requirements(self) -> None:
        try:
            metadata.version(self.instrumentor_package)
        except metadata.PackageNotFoundError:
            raise DidNotEnable(
                f"{self.instrumentor_package} is not installed (pip install 'spyglass[{self.extra}]')"
            ) from None

    def _apply(self) -> None:
        with self._lock:
            if not self._wanted or self._active:
                return
            self._active = True
            # Our patches first: an instrumentor that replaces a function (LiteLLM's) then wraps ours.
            self._apply_patches()
            module_name, class_name = self.instrumentor.split(":")
            instance = getattr(importlib.import_module(module_name), class_name)()
            self._instance = instance
            if instance.is_instrumented_by_opentelemetry:
                logger.debug("spyglass: %s is already instrumented by the app; using it", self.package)
                return
            kwargs: dict[str, Any] = {}
            if self.tracer_provider is not None:
                kwargs["tracer_provider"] = self.tracer_provider
            instance.instrument(**kwargs)
            self._we_instrumented = bool(instance.is_instrumented_by_opentelemetry)
            if not self._we_instrumented:
                logger.warning(
                    "spyglass: %s did not enable (version conflict?); %s calls are not traced",
                    class_name,
                    self.package,
                )

    def uninstall(self) -> None:
        with self._lock:
            self._wanted = False
            if self._we_instrumented and self._instance is not None:
                with guarded("integration.uninstrument"):
                    self._instance.uninstrument()
            self._we_instrumented = False
            self._active = False
            while self._originals:
                owner, attr, original = self._originals.pop()
                setattr(owner, attr, original)

    @property
    def patched(self) -> bool:
        return self._active


# --- LangChain / LangGraph ------------------------------------------------------------------


def _run_span(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """OpenInference's open span for the LLM run whose ``run_manager`` this call received."""
    run_manager = kwargs.get("run_manager")
    if run_manager is None and len(args) > 2:  # (messages, stop, run_manager, ...)
        run_manager = args[2]
    run_id = getattr(run_manager, "run_id", None)
    if run_id is None:
        return None
    from openinference.instrumentation.langchain import LangChainInstrumentor

    instrumentor = LangChainInstrumentor()  # a singleton
    if not instrumentor.is_instrumented_by_opentelemetry:
        return None
    span = instrumentor.get_span(run_id)
    return span if span is not None and span.is_recording() else None


def _spyglass_patched_lc_generate(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    span = None
    with guarded("langchain.run_span"):
        span = _run_span(instance, args, kwargs)
    if span is None:
        return wrapped(*args, **kwargs)
    with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        return wrapped(*args, **kwargs)


async def _spyglass_patched_lc_agenerate(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    span = None
    with guarded("langchain.run_span"):
        span = _run_span(instance, args, kwargs)
    if span is None:
        return await wrapped(*args, **kwargs)
    with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        return await wrapped(*args, **kwargs)


class LangChainIntegration(InstrumentorIntegration):
    identifier = "langchain"
    package = "langchain-core"
    module = "langchain_core"
    instrumentor = "openinference.instrumentation.langchain:LangChainInstrumentor"
    instrumentor_package = "openinference-instrumentation-langchain"
    extra = "langchain"

    def patches(self) -> Sequence[Patch]:
        mod = "langchain_core.language_models.chat_models"
        return (
            Patch(mod, "BaseChatModel._generate_with_cache", _spyglass_patched_lc_generate),
            Patch(mod, "BaseChatModel._agenerate_with_cache", _spyglass_patched_lc_agenerate),
        )


# --- LiteLLM --------------------------------------------------------------------------------


def _stamp_response_model(result: Any) -> None:
    span = trace.get_current_span()  # OpenInference's LiteLLM span: it wraps this call
    if not span.is_recording():
        return
    model = getattr(result, "model", None)
    if not isinstance(model, str) or not model:
        return
    if type(result).__name__ == "CustomStreamWrapper":
        # A stream: its chunks are read later, and LiteLLM names them with its own resolved
        # model (the request's without the routing prefix, "openai/x" -> "x"), not the
        # provider's snapshot. That name, unlike "openai/x", can be priced.
        span.set_attribute(MODEL_NAME, model)
    else:
        span.set_attribute(RESPONSE_MODEL, model)


def _spyglass_patched_litellm(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    result = wrapped(*args, **kwargs)
    with guarded("litellm.response_model"):
        _stamp_response_model(result)
    return result


async def _spyglass_patched_alitellm(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    result = await wrapped(*args, **kwargs)
    with guarded("litellm.response_model"):
        _stamp_response_model(result)
    return result


class LiteLLMIntegration(InstrumentorIntegration):
    identifier = "litellm"
    package = "litellm"
    instrumentor = "openinference.instrumentation.litellm:LiteLLMInstrumentor"
    instrumentor_package = "openinference-instrumentation-litellm"
    extra = "litellm"

    def patches(self) -> Sequence[Patch]:
        return (
            Patch("litellm", "completion", _spyglass_patched_litellm),
            Patch("litellm", "acompletion", _spyglass_patched_alitellm),
        )


# --- instrumentor only ----------------------------------------------------------------------


class LlamaIndexIntegration(InstrumentorIntegration):
    identifier = "llama_index"
    package = "llama-index-core"
    module = "llama_index.core"
    instrumentor = "openinference.instrumentation.llama_index:LlamaIndexInstrumentor"
    instrumentor_package = "openinference-instrumentation-llama-index"
    extra = "llama-index"


class GoogleGenAIIntegration(InstrumentorIntegration):
    identifier = "google_genai"
    package = "google-genai"
    module = "google.genai"
    instrumentor = "openinference.instrumentation.google_genai:GoogleGenAIInstrumentor"
    instrumentor_package = "openinference-instrumentation-google-genai"
    extra = "google-genai"


class BedrockIntegration(InstrumentorIntegration):
    identifier = "bedrock"
    package = "botocore"
    instrumentor = "openinference.instrumentation.bedrock:BedrockInstrumentor"
    instrumentor_package = "openinference-instrumentation-bedrock"
    extra = "bedrock"


FRAMEWORK_INTEGRATIONS: tuple[type[InstrumentorIntegration], ...] = (
    LangChainIntegration,
    LlamaIndexIntegration,
    LiteLLMIntegration,
    GoogleGenAIIntegration,
    BedrockIntegration,
)
