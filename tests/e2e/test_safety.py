"""LLM and user content is text, never markup; HTML responses carry a strict CSP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import open_page
from tests.e2e.seed import XSS_PAYLOAD

pytestmark = pytest.mark.e2e


def test_llm_output_with_script_and_img_onerror_is_shown_as_text(
    page: Any, ui_server: Any, snap: Any
) -> None:
    _, seeded = ui_server
    open_page(page, f"/trace/{seeded.xss_trace_id}")
    page.click(".wf-row[data-kind='llm']")
    page.wait_for_selector("#span-detail .msg-assistant")
    assert XSS_PAYLOAD in page.inner_text("#span-detail")
    assert 'Show me <b>bold</b> & "quotes"' in page.inner_text("#span-detail")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x'], #page script, #span-detail b").count() == 0
    snap(page, "trace-xss-as-text")
    # the same text in the explorer preview and the session chat
    open_page(page, "/traces?q=session_id:sess-xss")
    assert "<b>bold</b>" in page.inner_text("table.table")
    open_page(page, "/session/sess-xss")
    assert XSS_PAYLOAD in page.inner_text("#chat")
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_html_is_served_with_a_strict_csp(ui_server: Any) -> None:
    server, _ = ui_server
    resp = httpx.get(f"{server.url}/")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in resp.text  # no inline script in the shell
    assert httpx.get(f"{server.url}/ui/static/../routes.py").status_code == 404


def test_rendering_alone_keeps_content_inert_without_the_csp(browser: Any, ui_server: Any) -> None:
    """With the CSP bypassed, textContent rendering must still keep the payload inert."""
    server, seeded = ui_server
    context = browser.new_context(bypass_csp=True)
    try:
        pg = context.new_page()
        pg.goto(f"{server.url}/login?key={server.api_key}")
        pg.goto(f"{server.url}/#/trace/{seeded.xss_trace_id}")
        pg.wait_for_selector("#span-detail")
        pg.click(".wf-row[data-kind='llm']")
        pg.wait_for_selector("#span-detail .msg-assistant")
        pg.goto(f"{server.url}/#/session/sess-xss")
        pg.wait_for_selector("#chat .bubble-assistant")
        pg.goto(f"{server.url}/#/traces?q=session_id:sess-xss")
        pg.wait_for_selector("table.table tbody tr")
        pg.wait_for_timeout(300)
        assert pg.evaluate("typeof window.__xss") == "undefined"
        assert pg.locator("img[src='x']").count() == 0
    finally:
        context.close()
