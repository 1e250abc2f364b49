"""Trace view: failed span highlighted and selected, 5,000-span trace usable."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import open_page

pytestmark = pytest.mark.e2e


def test_failed_span_of_a_failing_trace_is_highlighted(page: Any, ui_server: Any, snap: Any) -> None:
    _, seeded = ui_server
    open_page(page, f"/trace/{seeded.failing_trace_id}")
    failed = page.locator(f".wf-row[data-span-id='{seeded.failing_span_id}']")
    assert "span-error" in failed.get_attribute("class")
    assert "selected" in failed.get_attribute("class")  # opened on the cause
    assert page.get_attribute("#span-detail", "data-span-id") == seeded.failing_span_id
    detail = page.inner_text("#span-detail")
    assert "APITimeoutError" in detail and "gpt-4o-mini" in detail
    # kinds are visually distinct: label per kind
    kinds = set(page.locator(".wf-row .kind").all_inner_texts())
    assert {"✦LLM", "⌕RET", "▹STEP"} <= {k.replace("\n", "").replace(" ", "") for k in kinds}
    snap(page, "trace")
    # keyboard: up moves the selection to the retrieval span above
    page.focus("#waterfall")
    page.keyboard.press("ArrowUp")
    assert page.get_attribute(".wf-row.selected", "data-kind") == "retrieval"
    assert page.get_attribute("#span-detail", "data-span-id") != seeded.failing_span_id


def test_span_detail_renders_messages_documents_and_tools(page: Any, ui_server: Any) -> None:
    _, seeded = ui_server
    open_page(page, f"/trace/{seeded.xss_trace_id}")
    page.click(".wf-row[data-kind='retrieval']")
    page.wait_for_selector("#span-detail table.docs")
    assert "kb-1042" in page.inner_text("#span-detail") and "0.910" in page.inner_text("#span-detail")
    page.click(".wf-row[data-kind='llm']")
    page.wait_for_selector("#span-detail .msg-user")
    detail = page.inner_text("#span-detail")
    assert "Generation settings" in detail.title() or "GENERATION SETTINGS" in detail
    assert "support-answer" in detail


def test_five_thousand_span_trace_opens_and_stays_usable(page: Any, ui_server: Any, snap: Any) -> None:
    _, seeded = ui_server
    t0 = time.monotonic()
    open_page(page, f"/trace/{seeded.big_trace_id}")
    elapsed = time.monotonic() - t0
    assert "5,000 spans" in page.inner_text(".wf-axis")
    rendered = page.locator(".wf-row").count()
    assert 0 < rendered < 200, "rows must be virtualized"
    # the failed tool call deep in the trace is selected on open and scrolled into view
    detail = page.inner_text("#span-detail")
    assert "web_search" in detail and "503" in detail
    assert page.locator(".wf-row.selected.span-error").count() == 1
    # scrolling to the end renders the last rows
    page.eval_on_selector("#waterfall", "el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_timeout(100)
    assert page.locator(".wf-row").count() < 200
    # collapse everything below the root: only root + its direct children remain
    page.click("text=Collapse all")
    height = page.eval_on_selector(".wf-inner", "el => el.getBoundingClientRect().height")
    assert height < 5000 * 28 / 3
    snap(page, "trace-5000-spans")
    assert elapsed < 20  # generous: the benchmark (bench/ui.py) measures the real figure
