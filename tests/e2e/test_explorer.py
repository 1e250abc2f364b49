"""Trace explorer: the filter language, quick filters, sorting, paging, URL state."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import open_page, wait_ready

pytestmark = pytest.mark.e2e


def _hash_params(url: str) -> dict[str, str]:
    frag = urlsplit(url).fragment
    query = frag.split("?", 1)[1] if "?" in frag else ""
    return {k: v[0] for k, v in parse_qs(query).items()}


def _features(page: Any) -> list[str]:
    return page.locator("table.table tbody tr td:nth-child(6)").all_inner_texts()


def test_typed_filter_narrows_the_list_and_lands_in_the_url(page: Any, snap: Any) -> None:
    open_page(page, "/traces")
    before = page.locator("table.table tbody tr").count()
    assert before == 50  # a full first page
    assert set(_features(page)) > {"search"}
    page.fill("#filter-input", "feature:search")
    page.press("#filter-input", "Enter")
    page.wait_for_function("location.hash.includes('q=')")
    wait_ready(page)
    assert _hash_params(page.url)["q"] == "feature:search"
    rows = _features(page)
    assert rows and set(rows) == {"search"}
    # the URL alone reproduces the view (shareable)
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    wait_ready(page)
    assert page.input_value("#filter-input") == "feature:search"
    assert set(_features(page)) == {"search"}
    snap(page, "explorer")


def test_bad_filter_shows_the_server_message_and_position(page: Any, snap: Any) -> None:
    open_page(page, "/traces")
    page.fill("#filter-input", "feature:search latncy_ms>5000")
    page.press("#filter-input", "Enter")
    page.wait_for_selector("#filter-error")
    text = page.inner_text("#filter-error")
    assert "latncy_ms" in text and "position" in text
    assert page.inner_text("#filter-error .caret-mark").index("^") == len("feature:search ")
    snap(page, "explorer-filter-error")


def test_quick_filter_sort_and_paging(page: Any) -> None:
    open_page(page, "/traces")
    page.wait_for_selector("select.quick[data-field='status'] option[value='error']", state="attached")
    page.select_option("select.quick[data-field='status']", "error")
    page.wait_for_function("decodeURIComponent(location.hash).includes('q=status:error')")
    wait_ready(page)
    statuses = page.locator("table.table tbody tr td:nth-child(3)").all_inner_texts()
    assert statuses and all(s.startswith("error") for s in statuses)

    open_page(page, "/traces")
    page.click("button.th-sort[data-sort='duration_ms']")
    page.wait_for_function("location.hash.includes('sort=-duration_ms')")
    wait_ready(page)
    first_page = page.locator("table.table tbody tr").first.get_attribute("data-href")
    page.click("#next-page")
    page.wait_for_function("location.hash.includes('cursor=')")
    wait_ready(page)
    assert _hash_params(page.url)["sort"] == "-duration_ms"
    assert page.locator("table.table tbody tr").first.get_attribute("data-href") != first_page
