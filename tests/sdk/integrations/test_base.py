"""Integration machinery: DidNotEnable, idempotent install/uninstall, no double spans."""

from __future__ import annotations

import logging

import pytest

from spyglass.sdk.integrations import base
from spyglass.sdk.integrations.base import DidNotEnable, Integration, Patch
from spyglass.testing.capture import SpanCapture
from tests.sdk import mock_providers as mp

pytestmark = pytest.mark.unit


class _Absent(Integration):
    identifier = "absent"
    package = "surely-not-installed-package-xyz"

    def patches(self) -> tuple[Patch, ...]:
        return ()


class _TooNew(Integration):
    identifier = "too_new"
    package = "wrapt"
    min_version = (999,)

    def patches(self) -> tuple[Patch, ...]:
        return ()


def test_did_not_enable_when_absent_or_too_old() -> None:
    with pytest.raises(DidNotEnable, match="not installed"):
        _Absent().install()
    with pytest.raises(DidNotEnable, match="older than"):
        _TooNew().install()


def test_auto_install_is_silent_but_explicit_request_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(base, "all_integrations", lambda: {"absent": _Absent})
    with caplog.at_level(logging.DEBUG, logger="spyglass.sdk"):
        assert base.install_integrations(None) == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="spyglass.sdk"):
        assert base.install_integrations(["absent"]) == []
    assert [r for r in caplog.records if r.levelno == logging.WARNING]


def test_chat_completions_stream_helper_is_one_span(cap: SpanCapture) -> None:
    client = mp.openai_client()
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        for _ in stream:
            pass
    spans = cap.spans()
    assert len(spans) == 1 and spans[0].attributes["spyglass.ttft_ms"] > 0


def test_nested_patched_calls_do_not_double_count(cap: SpanCapture) -> None:
    from spyglass.sdk.integrations._recorder import _IN_CALL

    token = _IN_CALL.set(True)  # as if an outer patched call were running
    try:
        mp.openai_client().chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    finally:
        _IN_CALL.reset(token)
    assert cap.spans() == []
