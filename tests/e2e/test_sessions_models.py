"""Sessions read as a chat linked to traces; models show the snapshot swap."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import open_page, wait_ready

pytestmark = pytest.mark.e2e


def test_session_reads_as_a_chat_and_links_each_turn(page: Any, snap: Any) -> None:
    open_page(page, "/sessions")
    snap(page, "sessions")
    page.locator("table.table tbody tr").first.click()
    page.wait_for_selector("#chat")
    wait_ready(page)
    assert page.locator(".bubble-user").count() >= 2
    assert page.locator(".bubble-assistant").count() >= 2
    snap(page, "session")
    page.locator("a.turn-trace").first.click()
    wait_ready(page)
    page.wait_for_selector("#waterfall")
    assert "/trace/" in page.url


def test_models_page_shows_the_silent_snapshot_swap(page: Any, snap: Any) -> None:
    open_page(page, "/models")
    text = page.inner_text("#page")
    assert "gpt-4o-mini-2024-07-18" in text and "gpt-4o-mini-2025-04-14" in text
    assert page.locator("[data-model='gpt-4o-mini'] canvas").count() >= 1
    assert "2 snapshots" in page.inner_text("[data-model='gpt-4o-mini']")
    snap(page, "models")
