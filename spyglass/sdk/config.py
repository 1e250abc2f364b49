"""SDK settings: explicit ``init(...)`` arguments, then ``SPYGLASS_*`` environment, then defaults.

Contract of :func:`resolve_config`: a wrong *argument* is a programmer error and raises
``ValueError`` at setup; a wrong *environment value* is an operator error, so it is logged and
the default is used instead (a typo in a deployment must not take the app down).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

logger = logging.getLogger("spyglass.sdk")

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"


class CaptureMode(StrEnum):
    """How much content leaves the process."""

    FULL = "full"  # everything, unredacted
    REDACTED = "redacted"  # everything, with secrets and personal data masked (default)
    METADATA_ONLY = "metadata_only"  # no prompts, completions, arguments, documents, input/output


Redactor = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class SdkConfig:
    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = None
    project: str | None = None
    environment: str | None = None
    release: str | None = None
    service_name: str | None = None
    sample_rate: float = 1.0
    capture: CaptureMode = CaptureMode.REDACTED
    redact: tuple[Redactor, ...] = ()
    detectors: frozenset[str] | None = None  # None = every built-in detector
    instrument: tuple[str, ...] | None = None  # None = every installed client and framework
    disabled_integrations: frozenset[str] = frozenset()  # taken out of ``instrument`` (or of all)
    max_queue_size: int = 2048
    max_export_batch_size: int = 512
    schedule_delay_ms: int = 1000
    export_timeout_s: float = 3.0
    max_content_chars: int = 32_000
    headers: Mapping[str, str] = field(default_factory=dict)
    # model-name globs served by the app's own servers (vLLM, Ollama …): cost 0, not unknown
    self_hosted_models: tuple[str, ...] = ()

    @property
    def traces_url(self) -> str:
        """The OTLP/HTTP traces URL derived from the base endpoint."""
        base = self.endpoint.rstrip("/")
        return base if base.endswith("/v1/traces") else base + "/v1/traces"

    @property
    def base_url(self) -> str:
        base = self.endpoint.rstrip("/")
        return base[: -len("/v1/traces")] if base.endswith("/v1/traces") else base


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def normalize_integration_name(name: str) -> str:
    """``"llama-index"``, ``"Llama_Index"`` and ``"llama_index"`` name the same integration."""
    return str(name).strip().lower().replace("-", "_")


def _check_rate(value: float, source: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{source}: sample_rate must be between 0 and 1, got {value!r}")
    return float(value)


def _check_capture(value: str | CaptureMode, source: str) -> CaptureMode:
    try:
        return CaptureMode(value)
    except ValueError:
        allowed = ", ".join(m.value for m in CaptureMode)
        raise ValueError(f"{source}: capture must be one of {allowed}, got {value!r}") from None


def resolve_config(
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    project: str | None = None,
    environment: str | None = None,
    release: str | None = None,
    service_name: str | None = None,
    sample_rate: float | None = None,
    capture: str | CaptureMode | None = None,
    redact: Iterable[Redactor] | None = None,
    detectors: Iterable[str] | None = None,
    instrument: Iterable[str] | None = None,
    disabled_integrations: Iterable[str] | None = None,
    max_queue_size: int | None = None,
    export_timeout_s: float | None = None,
    schedule_delay_ms: int | None = None,
    max_content_chars: int | None = None,
    headers: Mapping[str, str] | None = None,
    self_hosted_models: Iterable[str] | None = None,
) -> SdkConfig:
    """Merge arguments, ``SPYGLASS_*`` environment and defaults into a validated config."""
    from spyglass.sdk.redact import BUILTIN_DETECTORS  # local: keep config import-light

    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"endpoint must be an http(s) URL, got {endpoint!r}")
    if sample_rate is not None:
        sample_rate = _check_rate(sample_rate, "init()")
    else:
        raw = _env("SPYGLASS_SAMPLE_RATE")
        if raw is not None:
            try:
                sample_rate = _check_rate(float(raw), "SPYGLASS_SAMPLE_RATE")
            except ValueError as exc:
                logger.error("ignoring SPYGLASS_SAMPLE_RATE=%r (%s); using 1.0", raw, exc)
    capture_mode: CaptureMode | None = None
    if capture is not None:
        capture_mode = _check_capture(capture, "init()")
    elif (raw := _env("SPYGLASS_CAPTURE")) is not None:
        try:
            capture_mode = _check_capture(raw, "SPYGLASS_CAPTURE")
        except ValueError as exc:
            logger.error("ignoring SPYGLASS_CAPTURE=%r (%s); using 'redacted'", raw, exc)
    env_endpoint = _env("SPYGLASS_ENDPOINT")
    if endpoint is None and env_endpoint is not None and not env_endpoint.startswith(("http://", "https://")):
        logger.error(
            "ignoring SPYGLASS_ENDPOINT=%r (not an http(s) URL); using %s", env_endpoint, DEFAULT_ENDPOINT
        )
        env_endpoint = None
    callbacks = tuple(redact or ())
    for cb in callbacks:
        if not callable(cb):
            raise ValueError(f"redact= must hold callables fn(text) -> text, got {cb!r}")
    detector_set: frozenset[str] | None = None
    if detectors is not None:
        if isinstance(detectors, str):
            raise ValueError("detectors= must be a collection of detector names, not a string")
        detector_set = frozenset(detectors)
        unknown = detector_set - set(BUILTIN_DETECTORS)
        if unknown:
            raise ValueError(f"unknown detectors {sorted(unknown)}; known: {sorted(BUILTIN_DETECTORS)}")
    instrument_t: tuple[str, ...] | None = None
    if instrument is not None:
        if isinstance(instrument, str):
            raise ValueError("instrument= must be a collection of names such as ('openai', 'anthropic')")
        instrument_t = tuple(normalize_integration_name(n) for n in instrument)
    disabled: frozenset[str] = frozenset()
    if disabled_integrations is not None:
        if isinstance(disabled_integrations, str):
            raise ValueError("disabled_integrations= must be a collection of names such as ('langchain',)")
        disabled = frozenset(normalize_integration_name(n) for n in disabled_integrations)
    elif (raw := _env("SPYGLASS_DISABLED_INTEGRATIONS")) is not None:
        # Names are checked against the known integrations at install (unknown ones logged there).
        disabled = frozenset(normalize_integration_name(n) for n in raw.split(",") if n.strip())
    if self_hosted_models is not None:
        if isinstance(self_hosted_models, str):
            raise ValueError("self_hosted_models= must be a collection of model names or globs, not a string")
        hosted = tuple(str(m) for m in self_hosted_models if str(m).strip())
    else:  # SPYGLASS_SELF_HOSTED_MODELS="llama3.1:*,meta-llama/*"
        hosted = tuple(m.strip() for m in (_env("SPYGLASS_SELF_HOSTED_MODELS") or "").split(",") if m.strip())
    if max_queue_size is not None and max_queue_size < 1:
        raise ValueError(f"max_queue_size must be >= 1, got {max_queue_size}")
    if export_timeout_s is not None and export_timeout_s <= 0:
        raise ValueError(f"export_timeout_s must be > 0, got {export_timeout_s}")
    defaults = SdkConfig()
    queue = max_queue_size or defaults.max_queue_size
    return SdkConfig(
        endpoint=endpoint or env_endpoint or DEFAULT_ENDPOINT,
        api_key=api_key if api_key is not None else _env("SPYGLASS_API_KEY"),
        project=project if project is not None else _env("SPYGLASS_PROJECT"),
        environment=environment if environment is not None else _env("SPYGLASS_ENVIRONMENT"),
        release=release if release is not None else _env("SPYGLASS_RELEASE"),
        service_name=service_name if service_name is not None else _env("OTEL_SERVICE_NAME"),
        sample_rate=sample_rate if sample_rate is not None else 1.0,
        capture=capture_mode or CaptureMode.REDACTED,
        redact=callbacks,
        detectors=detector_set,
        instrument=instrument_t,
        disabled_integrations=disabled,
        max_queue_size=queue,
        max_export_batch_size=min(defaults.max_export_batch_size, queue),
        schedule_delay_ms=schedule_delay_ms if schedule_delay_ms is not None else defaults.schedule_delay_ms,
        export_timeout_s=export_timeout_s or defaults.export_timeout_s,
        max_content_chars=max_content_chars or defaults.max_content_chars,
        headers=dict(headers or {}),
        self_hosted_models=hosted,
    )
