"""A headless Debian Chromium page logged in to a running server (the alerts UI tests)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spyglass.testing.server import RunningServer

CHROMIUM = "/usr/bin/chromium"


@contextlib.contextmanager
def logged_in_page(server: RunningServer) -> Iterator[tuple[Any, list[str]]]:
    """(page, page errors); skips the test when Chromium is not installed."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server.url}/login?key={server.api_key}")
            yield page, errors
        finally:
            browser.close()
