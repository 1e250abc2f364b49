"""Without the cookie the UI asks for a key, and the key signs the browser in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e


def test_sign_in_with_a_key(browser: Any, ui_server: Any) -> None:
    server, _ = ui_server
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}/#/traces")
        page.wait_for_selector("#login-key")
        page.fill("#login-key", "sg_wrong_key")
        page.click("form.login button[type='submit']")
        page.wait_for_selector(".login-error span")  # the server's reason, on the form
        assert "key" in page.inner_text(".login-error").lower()
        page.fill("#login-key", server.api_key)
        page.click("form.login button[type='submit']")
        wait_ready(page)
        assert "/#/traces" in page.url  # back where the user was going
        assert page.locator("#filter-input").count() == 1
    finally:
        context.close()
