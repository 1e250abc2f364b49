"""The UI routes: shell with a strict CSP, static assets, no escape from the static folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spyglass.web import CONTENT_SECURITY_POLICY, router

pytestmark = pytest.mark.unit
STATIC = Path(__file__).resolve().parents[2] / "spyglass" / "web" / "static"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_shell_has_a_strict_csp_and_no_inline_script(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    csp = resp.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    # every <script> has a src (no inline code), no inline style attribute or on* handler
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", resp.text))
    assert not re.search(r"\sstyle=|\son[a-z]+=", resp.text)
    # every UI module is preloaded (no import waterfall); the 1 MB chart library is not
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)"', resp.text)
    assert "/ui/static/js/app.js" in preloads and "/ui/static/js/pages/dashboard.js" in preloads
    assert not any("vendor" in p for p in preloads)


def test_static_assets_are_served_and_traversal_is_refused(client: TestClient) -> None:
    js = client.get("/ui/static/js/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert js.headers["etag"]
    assert client.get("/ui/static/vendor/echarts.min.js").status_code == 200
    assert client.get("/ui/static/../routes.py").status_code == 404
    assert client.get("/ui/static/%2e%2e/routes.py").status_code == 404
    assert client.get("/ui/static/nope.js").status_code == 404


def test_front_end_never_parses_data_as_html() -> None:
    """Guard for C4.6: no innerHTML/outerHTML/insertAdjacentHTML/document.write in our JS;
    the only HTML strings are chart tooltips, built with escapeHtml()."""
    offenders = []
    for path in STATIC.rglob("*.js"):
        if "vendor" in path.parts:
            continue
        text = path.read_text()
        for pattern in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            if pattern in text:
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []
