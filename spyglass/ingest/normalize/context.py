"""Convention-free context every span may carry: OTel resource and general attributes.

``service.name`` (resource), ``deployment.environment(.name)`` (resource or span),
``service.version`` (release when nothing explicit), ``user.id``, ``session.id``, and
``error.type`` / the ``exception`` event for the raw error type. Runs first (lowest
priority), on every span.
"""

from __future__ import annotations

from spyglass.ingest.normalize.base import SpanSource
from spyglass.ingest.normalize.values import as_str
from spyglass.model import LlmSpan


class ContextNormalizer:
    name = "context"

    def matches(self, src: SpanSource) -> bool:
        return True

    def apply(self, src: SpanSource, span: LlmSpan) -> None:
        attrs, res = src.attrs, src.resource
        span.service_name = as_str(res.get("service.name")) or span.service_name
        env = (
            attrs.get("deployment.environment.name")
            or attrs.get("deployment.environment")
            or res.get("deployment.environment.name")
            or res.get("deployment.environment")
        )
        if env is not None:
            span.environment = as_str(env)
        release = attrs.get("service.version") or res.get("service.version")
        if release is not None:
            span.release = as_str(release)
        if (v := attrs.get("user.id")) is not None:
            span.user_id = as_str(v)
        if (v := attrs.get("session.id")) is not None:
            span.session_id = as_str(v)
        if (v := attrs.get("error.type")) is not None:
            span.error_type = as_str(v)
        else:
            for ev in src.raw.events:
                if ev.name == "exception":
                    span.error_type = as_str(ev.attributes.get("exception.type")) or span.error_type
                    if span.status_message is None:
                        span.status_message = as_str(ev.attributes.get("exception.message"))
                    break
