"""API-key authentication and scope checks.

A key arrives as ``Authorization: Bearer <key>``, ``x-api-key: <key>`` or (for the UI) the
``spyglass_key`` cookie, which ``GET /login?key=`` sets. The key decides the project; its
scope decides what it may do (``admin`` may do everything in its project).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from spyglass.server.errors import ApiError
from spyglass.store.meta import ApiKey, MetaStore, Scope

COOKIE_NAME = "spyglass_key"


def key_from_headers(headers: Mapping[str, str], cookies: Mapping[str, str] | None = None) -> str | None:
    """The presented key, or ``None``. Works for HTTP headers and gRPC metadata alike
    (both lower-cased)."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    api_key = headers.get("x-api-key")
    if api_key:
        return api_key.strip()
    if cookies:
        return cookies.get(COOKIE_NAME)
    return None


class AuthFailure(Exception):
    """Why a key was refused: ``status`` is 401 (missing/invalid), 403 (scope) or 429 (rate)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def authenticate(meta: MetaStore, presented: str | None, scope: Scope) -> ApiKey:
    """The key's identity if it exists and allows ``scope``; raises ``AuthFailure`` otherwise."""
    if not presented:
        raise AuthFailure(401, "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key'")
    key = meta.verify_key(presented)
    if key is None:
        raise AuthFailure(401, "invalid or revoked API key")
    if not key.scope.allows(scope):
        raise AuthFailure(403, f"this key has scope '{key.scope}', '{scope}' is required")
    return key


class RateLimiter:
    """Token bucket per key id (C10.3). ``rate_per_s <= 0`` disables it.

    Single event loop, so no lock: ``check`` is called from async code only.
    """

    def __init__(self, rate_per_s: float, burst: int = 0) -> None:
        self.rate = rate_per_s
        self.burst = float(burst or max(1, int(2 * rate_per_s)))
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key_id: str) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(key_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[key_id] = (tokens, now)
            raise AuthFailure(429, f"rate limit of {self.rate:g} requests/s exceeded for this key")
        self._buckets[key_id] = (tokens - 1, now)


def require_scope(scope: Scope) -> Callable[[Request], ApiKey]:
    """A FastAPI dependency that yields the request's ``ApiKey`` or answers 401/403 JSON."""

    def _dependency(request: Request) -> ApiKey:
        meta: MetaStore = request.app.state.services.meta
        presented = key_from_headers(request.headers, request.cookies)
        try:
            return authenticate(meta, presented, scope)
        except AuthFailure as exc:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            raise ApiError(exc.status, exc.message, headers=headers) from None

    _dependency.__name__ = f"require_{scope.value}_key"
    return _dependency


router = APIRouter(tags=["auth"])


@router.get("/login", include_in_schema=True)
def login(
    request: Request, key: str = Query(..., description="an API key of scope read or admin")
) -> RedirectResponse:
    """Set the ``spyglass_key`` cookie (HttpOnly, SameSite=Lax) and go to the UI."""
    meta: MetaStore = request.app.state.services.meta
    try:
        authenticate(meta, key, Scope.READ)
    except AuthFailure as exc:
        raise ApiError(exc.status, exc.message) from None
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        key,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=30 * 86400,
    )
    return response


@router.get("/logout", include_in_schema=False)
def logout() -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response
