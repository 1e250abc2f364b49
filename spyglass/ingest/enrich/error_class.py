"""Why a failed span failed, grouped the way an on-call engineer groups failures.

Only spans with status error (or finish reason ``content_filter``) get a class. Sources, in
order: an explicit ``spyglass.error.class``; the error type (``error.type`` / exception
type) and message; the HTTP status (``http.response.status_code``, ``http.status_code``,
an ``…status_code`` exception attribute or an "Error code: 429" message); the finish reason.

- timeout: TimeoutError, APITimeoutError, ReadTimeout/ConnectTimeout, "deadline", 408/504
- rate_limit: 429, RateLimitError, "rate limit", "quota", ResourceExhausted
- provider_5xx: 500–599, InternalServerError, APIConnectionError, ServiceUnavailable,
  overloaded_error / "overloaded", BadGateway
- auth: 401/403, AuthenticationError, PermissionDenied
- validation: 400/404/413/422, BadRequestError, UnprocessableEntity, ValidationError, "schema"
- content_filter: finish reason content_filter, ContentFilter/ContentPolicy errors
- tool_error: an error on a tool span not explained by the above
- other: anything else
"""

from __future__ import annotations

import re

from spyglass.ingest.normalize.values import as_int
from spyglass.model import ErrorClass, LlmSpan, SpanKind, StatusCode

_STATUS_IN_TEXT = re.compile(r"(?:error code|status(?: code)?)[:= ]+(\d{3})", re.IGNORECASE)

# (error class, lowercase substrings of the error type or message), checked in order.
_TYPE_RULES: tuple[tuple[ErrorClass, tuple[str, ...]], ...] = (
    (ErrorClass.CONTENT_FILTER, ("contentfilter", "content_filter", "contentpolicy", "content_policy")),
    (ErrorClass.TIMEOUT, ("timeout", "timed out", "deadline", "deadlineexceeded")),
    (
        ErrorClass.RATE_LIMIT,
        ("ratelimit", "rate_limit", "rate limit", "too many requests", "resourceexhausted", "quota"),
    ),
    (
        ErrorClass.AUTH,
        (
            "authentication",
            "permissiondenied",
            "permission_denied",
            "unauthorized",
            "forbidden",
            "invalid api key",
        ),
    ),
    (
        ErrorClass.PROVIDER_5XX,
        (
            "internalserver",
            "internal_server",
            "apiconnection",
            "serviceunavailable",
            "service_unavailable",
            "overloaded",
            "badgateway",
            "bad gateway",
            "server_error",
            "servererror",
            "apierror",
        ),
    ),
    (
        ErrorClass.VALIDATION,
        (
            "badrequest",
            "bad_request",
            "unprocessable",
            "validation",
            "invalid_request",
            "invalidrequest",
            "notfound",
            "not_found",
            "schema",
            "jsondecode",
            "valueerror",
        ),
    ),
)


def classify_status(status: int) -> ErrorClass | None:
    if status == 429:
        return ErrorClass.RATE_LIMIT
    if status in (408, 504):
        return ErrorClass.TIMEOUT
    if 500 <= status <= 599:
        return ErrorClass.PROVIDER_5XX
    if status in (401, 403):
        return ErrorClass.AUTH
    if status in (400, 404, 409, 413, 422):
        return ErrorClass.VALIDATION
    return None


def _http_status(span: LlmSpan) -> int | None:
    a = span.attributes
    for key in ("http.response.status_code", "http.status_code"):
        if (v := as_int(a.get(key))) is not None:
            return v
    for ev in span.events:
        if ev.name == "exception":
            for key in ("http.response.status_code", "exception.status_code", "status_code"):
                if (v := as_int(ev.attributes.get(key))) is not None:
                    return v
    for text in (span.status_message, span.error_type):
        if text and (m := _STATUS_IN_TEXT.search(text)):
            return int(m.group(1))
    return None


def classify(span: LlmSpan) -> ErrorClass:
    """The error class of a span already known to have failed."""
    explicit = span.attributes.get("spyglass.error.class")
    if isinstance(explicit, str):
        try:
            return ErrorClass(explicit.lower())
        except ValueError:
            pass
    if span.finish_reason == "content_filter":
        return ErrorClass.CONTENT_FILTER
    etype = (span.error_type or "").lower()
    for cls, needles in _TYPE_RULES:
        if any(n in etype for n in needles):
            return cls
    status = _http_status(span)
    if status is not None and (cls_ := classify_status(status)) is not None:
        return cls_
    message = (span.status_message or "").lower()
    for cls, needles in _TYPE_RULES:
        if any(n in message for n in needles):
            return cls
    if span.kind is SpanKind.TOOL:
        return ErrorClass.TOOL_ERROR
    return ErrorClass.OTHER


class ErrorClassEnricher:
    name = "error_class"

    def matches(self, span: LlmSpan) -> bool:
        return span.error_class is None and (
            span.status is StatusCode.ERROR or span.finish_reason == "content_filter"
        )

    def apply(self, span: LlmSpan) -> None:
        span.error_class = classify(span)
