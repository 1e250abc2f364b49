"""Notifications end to end: evaluator → pipeline → real local HTTP and SMTP receivers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spyglass.alerts.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from spyglass.model.span import ErrorClass, StatusCode
from tests.alerts.conftest import MIN, T0, AlertEnv, make_service, pack_rule, stream
from tests.alerts.receivers import HttpReceiver, SmtpReceiver, free_port, wait_for

pytestmark = pytest.mark.integration

SECRET = "s3cret"
ERR = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}
FIRE_AT = T0 + 12 * MIN
RESOLVE_AT = T0 + 42 * MIN


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    r = HttpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    r = SmtpReceiver().start()
    yield r
    r.stop()


def _bad_then_healthy(env: AlertEnv) -> None:
    """Model A: 10 % provider errors for 20 minutes, then healthy for 20 minutes."""
    stream(
        env.store,
        T0,
        T0 + 42 * MIN,
        2.0,
        request_model="A",
        bad=ERR,
        bad_from=T0,
        bad_to=T0 + 20 * MIN,
        bad_share=0.1,
    )


def _install(env: AlertEnv, channels: list[dict], names: list[str]) -> None:
    for ch in channels:
        env.service.repo.upsert_channel("p1", ch, T0)
    env.install(
        pack_rule(
            "provider-errors", for_s=0.0, channels=names, runbook_url="https://runbooks.example/provider"
        )
    )


def test_every_channel_gets_firing_and_resolve(env: AlertEnv, http: HttpReceiver, smtp: SmtpReceiver) -> None:
    channels = [
        {"name": "hook", "type": "webhook", "url": http.url("/hook"), "secret": SECRET},
        {"name": "slack", "type": "slack", "url": http.url("/slack")},
        {"name": "pd", "type": "pagerduty", "routing_key": "R0UT1NG", "url": http.url("/pd")},
        {
            "name": "mail",
            "type": "email",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "to": ["oncall@example.com"],
        },
    ]
    _install(env, channels, ["hook", "slack", "pd", "mail"])
    _bad_then_healthy(env)
    env.run(FIRE_AT, FIRE_AT, MIN)

    # signed webhook: signature over timestamp + body, and everything an on-call needs
    (hook,) = http.on("/hook")
    assert verify_signature(SECRET, hook.body, hook.headers[TIMESTAMP_HEADER], hook.headers[SIGNATURE_HEADER])
    assert not verify_signature(
        "wrong", hook.body, hook.headers[TIMESTAMP_HEADER], hook.headers[SIGNATURE_HEADER]
    )
    n = hook.json()
    assert n["kind"] == "firing" and n["rule_name"] == "provider-errors"
    assert n["labels"] == {"model": "A"}
    assert n["value"] == pytest.approx(0.1, abs=0.01) and n["threshold"] == 0.02
    assert n["runbook_url"] == "https://runbooks.example/provider" and n["runbook"]
    assert n["explorer_url"].startswith("http://spyglass.test/#/traces?q=model%3AA&start=")
    assert len(n["example_traces"]) == 3
    assert all(t["url"].endswith(t["trace_id"]) for t in n["example_traces"])

    # Slack incoming-webhook Block Kit
    slack = http.on("/slack")[0].json()
    assert "FIRING" in slack["text"]
    assert slack["blocks"][0]["type"] == "header"
    section_text = " ".join(b.get("text", {}).get("text", "") for b in slack["blocks"])
    assert n["example_traces"][0]["trace_id"] in section_text and "runbook" in section_text
    assert any(b["type"] == "actions" for b in slack["blocks"])

    # PagerDuty Events API v2 trigger
    pd = http.on("/pd")[0].json()
    assert pd["event_action"] == "trigger" and pd["routing_key"] == "R0UT1NG"
    assert pd["payload"]["severity"] == "critical" and pd["payload"]["source"] == "spyglass/p1"
    assert "provider-errors" in pd["payload"]["summary"]
    assert len([link for link in pd["links"] if "/#/trace/" in link["href"]]) == 3

    # email
    assert wait_for(lambda: len(smtp.messages) == 1)
    mail = smtp.messages[0]
    assert "[FIRING]" in mail["Subject"] and mail["To"] == "oncall@example.com"
    body = mail.get_payload()
    assert n["example_traces"][0]["trace_id"] in body and "/#/traces?" in body

    # same episode, later evaluation: nothing new is sent
    env.run(FIRE_AT + MIN, FIRE_AT + 3 * MIN, MIN)
    assert len(http.on("/hook")) == 1 and len(smtp.messages) == 1

    # recovery: resolve notices on every channel, PagerDuty resolves the same dedup key
    env.run(RESOLVE_AT, RESOLVE_AT, MIN)
    assert http.on("/hook")[1].json()["kind"] == "resolved"
    assert "RESOLVED" in http.on("/slack")[1].json()["text"]
    pd_resolve = http.on("/pd")[1].json()
    assert pd_resolve == {"routing_key": "R0UT1NG", "event_action": "resolve", "dedup_key": pd["dedup_key"]}
    assert wait_for(lambda: len(smtp.messages) == 2)
    assert "[RESOLVED]" in smtp.messages[1]["Subject"]
    statuses = {d["status"] for d in env.service.repo.deliveries("p1")}
    assert statuses == {"delivered"}


def test_receiver_down_is_retried_with_backoff_then_delivered(env: AlertEnv) -> None:
    port = free_port()  # nothing listens yet
    _install(
        env,
        [{"name": "hook", "type": "webhook", "url": f"http://127.0.0.1:{port}/hook", "secret": SECRET}],
        ["hook"],
    )
    _bad_then_healthy(env)
    env.run(FIRE_AT, FIRE_AT, MIN)
    (d,) = env.service.repo.deliveries("p1")
    assert d["status"] == "pending" and d["attempts"] == 1 and "Connect" in d["last_error"]
    assert d["next_attempt_at"] == pytest.approx(FIRE_AT + 30)

    receiver = HttpReceiver(port=port).start()
    try:
        assert env.service.pipeline.retry_due(FIRE_AT + 10) == 0  # backoff not elapsed
        assert receiver.received == []
        assert env.service.pipeline.retry_due(FIRE_AT + 31) == 1
        (d,) = env.service.repo.deliveries("p1")
        assert d["status"] == "delivered" and d["attempts"] == 2
        (got,) = receiver.on("/hook")
        assert got.json()["kind"] == "firing"
    finally:
        receiver.stop()


def test_server_error_is_retried_client_error_is_final(env: AlertEnv, http: HttpReceiver) -> None:
    _install(env, [{"name": "hook", "type": "webhook", "url": http.url("/hook")}], ["hook"])
    _bad_then_healthy(env)
    http.status = 503
    env.run(FIRE_AT, FIRE_AT, MIN)
    assert env.service.repo.deliveries("p1")[0]["status"] == "pending"
    http.status = 400
    env.service.pipeline.retry_due(FIRE_AT + 60)
    d = env.service.repo.deliveries("p1")[0]
    assert d["status"] == "failed" and "HTTP 400" in d["last_error"]
    assert len(http.on("/hook")) == 2


def test_silence_suppresses_and_says_why(env: AlertEnv, http: HttpReceiver) -> None:
    _install(env, [{"name": "hook", "type": "webhook", "url": http.url("/hook")}], ["hook"])
    _bad_then_healthy(env)
    sid = env.service.repo.add_silence(
        "p1",
        {
            "matchers": [{"name": "model", "value": "A", "op": "="}],
            "starts_at": T0,
            "ends_at": T0 + 3600,
            "reason": "provider maintenance",
            "created_by": "alice",
            "created_at": T0,
        },
    )
    env.run(FIRE_AT, FIRE_AT, MIN)
    assert http.received == []
    (d,) = env.service.repo.deliveries("p1")
    assert d["status"] == "suppressed" and sid in d["last_error"]
    (inst,) = env.service.repo.active_instances("p1")
    assert inst["state"] == "firing" and inst["silenced_by"] == sid


def test_restart_does_not_repage_and_renotifies_later(env: AlertEnv, http: HttpReceiver) -> None:
    _install(env, [{"name": "hook", "type": "webhook", "url": http.url("/hook")}], ["hook"])
    # bad for a long time so the alert stays firing across the "restart"
    stream(env.store, T0, T0 + 5 * 3600, 2.0, request_model="A", bad=ERR, bad_from=T0, bad_share=0.1)
    env.run(FIRE_AT, FIRE_AT, MIN)
    assert len(http.on("/hook")) == 1

    restarted = make_service(env.store, env.engine)  # fresh objects, same databases
    for t in (FIRE_AT + MIN, FIRE_AT + 30 * MIN):
        assert restarted.evaluator.evaluate_once(t).events == []
    assert len(http.on("/hook")) == 1

    report = restarted.evaluator.evaluate_once(FIRE_AT + 4 * 3600)  # renotify: 4h
    assert [e for e, _, _ in report.events] == ["renotify"]
    assert [r.json()["kind"] for r in http.on("/hook")] == ["firing", "renotify"]
