"""Write a PNG of each UI page to docs/img/ from a freshly seeded real server.

    python scripts/screenshots.py [--out docs/img] [--url URL --key KEY]

Without ``--url`` it starts ``spyglass serve`` on free ports in a temporary folder, sends the
e2e dataset (tests/e2e/seed.py) and stops the server at the end. Headless Debian Chromium.
``make screenshots`` runs the e2e tests with ``--screenshots docs/img`` instead; both write
the same file names.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from spyglass.testing.server import run_server  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, READY  # noqa: E402
from tests.e2e.seed import BIG_TRACE_ID, FAILING_TRACE_ID, XSS_TRACE_ID, big_trace, seed  # noqa: E402

PAGES: list[tuple[str, str, bool]] = [
    ("dashboard", "/", False),
    ("dashboard-full", "/", True),
    ("explorer", "/traces?q=feature:support", False),
    ("explorer-filter-error", "/traces?q=feature:support latncy_ms>5000", False),
    ("trace", f"/trace/{FAILING_TRACE_ID}", False),
    ("trace-5000-spans", f"/trace/{BIG_TRACE_ID}", False),
    ("trace-xss-as-text", f"/trace/{XSS_TRACE_ID}", False),
    ("sessions", "/sessions", False),
    ("session", "/session/sess-003", False),
    ("compare", "/compare?dimension=prompt_version&a=v3&b=v4", False),
    ("models", "/models", False),
]


@contextlib.contextmanager
def _server(url: str | None, key: str | None) -> Iterator[tuple[str, str]]:
    if url and key:
        yield url, key
        return
    with tempfile.TemporaryDirectory(prefix="spyglass-shots-") as tmp, run_server(Path(tmp) / "data", grpc=False) as srv:
        seed(srv.url, srv.api_key)
        big_trace(srv.url, srv.api_key)
        yield srv.url, srv.api_key


def capture(page: Page, url: str, out: Path) -> list[Path]:
    written = []
    for name, path, full in PAGES:
        page.goto(f"{url}/#{path}")
        page.wait_for_function(READY, timeout=30_000)
        if name.startswith("dashboard"):
            page.wait_for_selector("#page[data-complete='true']", timeout=30_000)
        if name == "trace-xss-as-text":
            page.click(".wf-row[data-kind='llm']")
            page.locator("#span-detail .msg-assistant").scroll_into_view_if_needed()
        page.wait_for_timeout(400)  # let charts finish their first paint
        target = out / f"{name}.png"
        page.screenshot(path=str(target), full_page=full)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    parser.add_argument("--url", help="an already running, seeded server")
    parser.add_argument("--key", help="its API key (read scope)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with _server(args.url, args.key) as (url, key), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(f"{url}/login?key={key}")
            for path in capture(page, url, out):
                print(path)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
