"""E2E fixtures: one real server filled with the seeded dataset, and headless Chromium.

Run ``pytest tests/e2e --screenshots docs/img`` to also write a PNG of each page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spyglass.testing.server import RunningServer, run_server
from tests.e2e.seed import Seeded, big_trace, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots", action="store", default=None, help="write page screenshots (PNG) to this folder"
    )


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Seeded]]:
    """A real server with the seeded dataset (incl. a 5,000-span trace), shared by the e2e tests."""
    data = tmp_path_factory.mktemp("ui") / "data"
    with run_server(data, grpc=False) as server:
        seeded = seed(server.url, server.api_key)
        seeded.big_trace_id = big_trace(server.url, server.api_key)
        yield server, seeded


# Package scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which would break every asyncio test collected after tests/e2e.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: make test installs it (scripts/system-deps.sh)")
        pytest.skip("Debian chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, ui_server: tuple[RunningServer, Seeded]) -> Iterator[Any]:
    """A signed-in page (cookie set by GET /login?key=) that fails the test on a page error."""
    server, _ = ui_server
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None
        ),
    )
    pg.goto(f"{server.url}/login?key={server.api_key}")
    pg.wait_for_url(f"{server.url}/")
    pg.base_url = server.url  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def snap(request: pytest.FixtureRequest) -> Any:
    """``snap(page, name)`` writes ``<dir>/<name>.png`` when --screenshots is given."""
    folder = request.config.getoption("--screenshots", default=None)

    def _snap(pg: Any, name: str, full_page: bool = False) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)

    return _snap


READY = "() => { const p = document.querySelector('#page'); return Boolean(p && p.dataset.ready === 'true' && p.dataset.route === location.hash); }"


def wait_ready(pg: Any, timeout_ms: int = 20_000) -> None:
    """Wait until the view of the current URL hash has finished rendering."""
    pg.wait_for_function(READY, timeout=timeout_ms)


def open_page(pg: Any, hash_path: str) -> None:
    """Navigate to ``/#<hash_path>`` and wait until the page says it has rendered."""
    pg.goto(f"{pg.base_url}/#{hash_path}")
    wait_ready(pg)
