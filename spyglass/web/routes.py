"""HTTP routes of the web UI: the HTML shell and its static assets.

Contract:
- ``GET /`` (and ``/ui``) returns the single-page app shell; pages are hash routes
  (``/#/traces?q=...``), so filter state lives in a shareable URL and the server needs no
  per-page route.
- ``GET /ui/static/{path}`` serves files from ``spyglass/web/static`` with ETag and
  ``Last-Modified`` (Starlette's ``StaticFiles`` does the caching headers and refuses
  paths that leave the folder).
- Every HTML response carries a strict Content-Security-Policy: scripts only from this
  origin, no inline script, no ``eval``, no plugins, no framing. LLM and user content is
  additionally rendered with ``textContent`` by the front end, so the CSP is a second wall.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

_WEB_DIR = Path(__file__).resolve().parent
_STATIC_DIR = _WEB_DIR / "static"
_SHELL_PATH = _WEB_DIR / "templates" / "index.html"

# 'unsafe-inline' is deliberately absent everywhere: the shell has no inline script or
# style, and chart tooltips are built with class names rather than style attributes.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)
_static_files = StaticFiles(directory=_STATIC_DIR)


def _module_preloads() -> str:
    """``<link rel="modulepreload">`` for every UI module: the browser fetches them all at
    once instead of discovering them import by import (a three-level waterfall)."""
    paths = sorted(
        p.relative_to(_STATIC_DIR).as_posix() for p in _STATIC_DIR.rglob("*.js") if "vendor" not in p.parts
    )
    return "\n  ".join(f'<link rel="modulepreload" href="/ui/static/{p}">' for p in paths)


def _shell() -> str:
    # Read per request: a few KB, and editing the shell or adding a module then needs no
    # restart in development.
    return _SHELL_PATH.read_text(encoding="utf-8").replace("<!--modulepreload-->", _module_preloads(), 1)


@router.get("/", response_class=HTMLResponse)
@router.get("/ui", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    """The single-page app shell (hash-routed pages), with the strict CSP."""
    return HTMLResponse(_shell(), headers=_HTML_HEADERS)


@router.get("/ui/static/{path:path}")
async def static_asset(path: str, request: Request) -> Response:
    """A static asset of the UI; 404 for anything outside ``spyglass/web/static``."""
    response = await _static_files.get_response(path, request.scope)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Module scripts are revalidated (ETag) so an upgrade is picked up on the next load.
    response.headers.setdefault("Cache-Control", "no-cache")
    return response
