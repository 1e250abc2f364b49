"""One error shape for every endpoint: ``{"error": "<code>", "message": "<what is wrong>"}``.

Routers raise ``ApiError``; the handlers installed by ``install_error_handlers`` also reshape
FastAPI's 422 validation errors into 400 naming the parameter, Starlette's HTTP errors
(404, 405 …), filter syntax errors (400) and writer overload (503 + Retry-After).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import ORJSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An expected failure with a status, a stable code and a human message."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.headers = headers


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> ORJSONResponse:
    return ORJSONResponse(
        {"error": code or _CODES.get(status, "error"), "message": message},
        status_code=status,
        headers=headers,
    )


def _describe_validation(errors: list[Any]) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header", "cookie")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> ORJSONResponse:
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> ORJSONResponse:
        return error_response(400, _describe_validation(list(exc.errors())), "invalid_parameter")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> ORJSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    for exc_type, handler in _layer_handlers():
        app.add_exception_handler(exc_type, handler)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> ORJSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, f"internal error: {type(exc).__name__}")


def _layer_handlers() -> list[tuple[type[Exception], Any]]:
    """Handlers for the query and store layers' own errors (all are bad input or overload)."""
    handlers: list[tuple[type[Exception], Any]] = []
    from spyglass.query.common import QueryParamError
    from spyglass.query.filters import FilterError
    from spyglass.query.timerange import TimeRangeError
    from spyglass.store.writer import WriterOverloaded

    async def _filter(_: Request, exc: Exception) -> ORJSONResponse:
        pos = getattr(exc, "position", None)
        msg = getattr(exc, "message", None) or str(exc)
        if pos is not None and "position" not in msg:
            msg = f"{msg} (at position {pos})"
        return error_response(400, f"q: {msg}", "invalid_filter")

    async def _overloaded(_: Request, exc: Exception) -> ORJSONResponse:
        return error_response(
            503, f"writer overloaded, retry later: {exc}", "overloaded", {"Retry-After": "1"}
        )

    async def _param(_: Request, exc: Exception) -> ORJSONResponse:
        return error_response(400, str(exc), "invalid_parameter")

    handlers.append((FilterError, _filter))
    handlers.append((TimeRangeError, _param))
    handlers.append((QueryParamError, _param))
    handlers.append((WriterOverloaded, _overloaded))
    return handlers
