"""Error classes from error type, HTTP status, message and finish reason."""

from __future__ import annotations

import pytest

from spyglass.ingest.enrich.error_class import ErrorClassEnricher
from spyglass.model import ErrorClass, SpanEvent, SpanKind, StatusCode
from tests.ingest.enrich._spans import T0, llm_span

pytestmark = pytest.mark.unit


def _cls(**fields):  # type: ignore[no-untyped-def]
    fields.setdefault("status", StatusCode.ERROR)
    span = llm_span(**fields)
    enricher = ErrorClassEnricher()
    if enricher.matches(span):
        enricher.apply(span)
    return span.error_class


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("TimeoutError", ErrorClass.TIMEOUT),
        ("openai.APITimeoutError", ErrorClass.TIMEOUT),
        ("httpx.ReadTimeout", ErrorClass.TIMEOUT),
        ("DeadlineExceeded", ErrorClass.TIMEOUT),
        ("openai.RateLimitError", ErrorClass.RATE_LIMIT),
        ("rate_limit_exceeded", ErrorClass.RATE_LIMIT),
        ("openai.InternalServerError", ErrorClass.PROVIDER_5XX),
        ("openai.APIConnectionError", ErrorClass.PROVIDER_5XX),
        ("ServiceUnavailable", ErrorClass.PROVIDER_5XX),
        ("overloaded_error", ErrorClass.PROVIDER_5XX),
        ("openai.AuthenticationError", ErrorClass.AUTH),
        ("PermissionDeniedError", ErrorClass.AUTH),
        ("openai.BadRequestError", ErrorClass.VALIDATION),
        ("UnprocessableEntityError", ErrorClass.VALIDATION),
        ("pydantic.ValidationError", ErrorClass.VALIDATION),
        ("KeyError", ErrorClass.OTHER),
    ],
)
def test_error_types(error_type: str, expected: ErrorClass) -> None:
    assert _cls(error_type=error_type) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, ErrorClass.RATE_LIMIT),
        (500, ErrorClass.PROVIDER_5XX),
        (503, ErrorClass.PROVIDER_5XX),
        (504, ErrorClass.TIMEOUT),
        (401, ErrorClass.AUTH),
        (403, ErrorClass.AUTH),
        (400, ErrorClass.VALIDATION),
        (422, ErrorClass.VALIDATION),
    ],
)
def test_http_status(status: int, expected: ErrorClass) -> None:
    assert _cls(error_type="_OTHER", attributes={"http.response.status_code": status}) is expected


def test_status_in_exception_message() -> None:
    assert (
        _cls(error_type="openai.APIStatusError", status_message="Error code: 429 - {'error': ...}")
        is ErrorClass.RATE_LIMIT
    )
    assert _cls(status_message="Error code: 502 bad gateway") is ErrorClass.PROVIDER_5XX


def test_status_on_exception_event() -> None:
    ev = SpanEvent("exception", T0, {"exception.type": "APIStatusError", "http.response.status_code": 401})
    assert _cls(error_type="APIStatusError", events=[ev]) is ErrorClass.AUTH


def test_content_filter_finish_reason_even_without_error_status() -> None:
    assert _cls(status=StatusCode.UNSET, finish_reason="content_filter") is ErrorClass.CONTENT_FILTER


def test_error_on_tool_span() -> None:
    assert _cls(kind=SpanKind.TOOL, error_type="KeyError") is ErrorClass.TOOL_ERROR
    assert _cls(kind=SpanKind.TOOL, error_type="TimeoutError") is ErrorClass.TIMEOUT


def test_explicit_class_wins() -> None:
    assert _cls(error_type="TimeoutError", attributes={"spyglass.error.class": "auth"}) is ErrorClass.AUTH


def test_ok_spans_get_no_class() -> None:
    assert _cls(status=StatusCode.OK, error_type="TimeoutError") is None
    assert _cls(status=StatusCode.UNSET) is None
