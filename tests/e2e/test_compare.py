"""Compare view: a seeded regression is significant, identical versions are not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import open_page, wait_ready

pytestmark = pytest.mark.e2e


def _significant(page: Any) -> dict[str, str]:
    rows = page.locator("#compare-table tbody tr")
    return {
        rows.nth(i).get_attribute("data-metric"): rows.nth(i).get_attribute("data-significant")
        for i in range(rows.count())
    }


def test_seeded_regression_is_significant(page: Any, snap: Any) -> None:
    open_page(page, "/compare?dimension=prompt_version&a=v3&b=v4")
    sig = _significant(page)
    assert sig["error_rate"] == "true"
    assert sig["latency_p50"] == "true"
    assert "significantly worse" in page.inner_text("#compare-table tr[data-metric='error_rate']")
    snap(page, "compare")


def test_identical_versions_show_no_difference(page: Any) -> None:
    open_page(page, "/compare?dimension=prompt_version&a=v1&b=v2")
    sig = _significant(page)
    assert sig and set(sig.values()) == {"false"}
    assert page.locator("#compare-table .sig-worse, #compare-table .sig-better").count() == 0


def test_choosing_values_updates_the_url(page: Any) -> None:
    open_page(page, "/compare")
    page.select_option("#compare-dimension", "response_model")
    page.wait_for_function("location.hash.includes('dimension=response_model')")
    wait_ready(page)
    page.select_option("#compare-a", "gpt-4o-mini-2024-07-18")
    page.wait_for_function("location.hash.includes('a=gpt-4o-mini-2024-07-18')")
    wait_ready(page)
    page.select_option("#compare-b", "gpt-4o-mini-2025-04-14")
    page.wait_for_function("location.hash.includes('b=gpt-4o-mini-2025-04-14')")
    page.wait_for_selector("#compare-table")
