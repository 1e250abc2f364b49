"""Incidents: grouping, timeline, states and the suspected cause computed from the data."""

from __future__ import annotations

import pytest

from spyglass.alerts.incidents import CauseAnalysis, suspected_cause
from spyglass.model.span import ErrorClass, SpanKind, StatusCode
from tests.alerts.conftest import HOUR, MIN, T0, AlertEnv, make_span, pack_rule, stream

pytestmark = pytest.mark.integration

ERR = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}


def test_bad_prompt_version_is_the_suspected_cause(env: AlertEnv) -> None:
    env.install(pack_rule("provider-errors", for_s=0.0, group_by=[]))
    end = T0 + 15 * MIN
    # three prompt versions share the traffic; only v7 fails
    stream(
        env.store,
        T0,
        end,
        3.0,
        prompt_name="support",
        prompt_version="v5",
        tenant_id="acme",
        request_model="gpt-4o",
    )
    stream(
        env.store,
        T0,
        end,
        3.0,
        prompt_name="support",
        prompt_version="v6",
        tenant_id="globex",
        request_model="gpt-4o",
    )
    stream(
        env.store,
        T0,
        end,
        3.0,
        prompt_name="support",
        prompt_version="v7",
        tenant_id="acme",
        request_model="gpt-4o",
        bad=ERR,
        bad_from=T0,
        bad_share=0.3,
    )
    env.run(end, end, MIN)
    (incident,) = env.service.repo.incidents("p1")
    cause = incident["suspected_cause"]
    assert cause[0]["dimension"] == "prompt_version" and cause[0]["value"] == "v7"
    assert cause[0]["failing_share"] == 1.0
    assert cause[0]["healthy_share"] == pytest.approx(0.7 / 2.7, abs=0.01)
    assert len(incident["example_traces"]) == 3


def test_snapshot_swap_is_the_suspected_cause(env: AlertEnv) -> None:
    env.install(pack_rule("snapshot-mix-change"))
    end = T0 + 26 * HOUR
    stream(
        env.store,
        T0,
        end,
        30.0,
        request_model="gpt-4o",
        response_model="gpt-4o-2024-08-06",
        release="r1",
        bad={"response_model": "gpt-4o-2024-11-20"},
        bad_from=T0 + 25 * HOUR,
    )
    env.run(end, end, MIN)
    (incident,) = env.service.repo.incidents("p1")
    top = incident["suspected_cause"][0]
    assert (top["dimension"], top["value"]) == ("response_model", "gpt-4o-2024-11-20")
    assert top["failing_share"] > 0.9 and top["healthy_share"] < 0.1


def test_related_alerts_group_into_one_incident_with_a_timeline(env: AlertEnv) -> None:
    env.install(pack_rule("provider-errors", for_s=0.0))
    env.install(pack_rule("timeouts", for_s=0.0))
    end = T0 + 40 * MIN
    bad = {"status": StatusCode.ERROR}
    stream(
        env.store,
        T0,
        end,
        2.0,
        request_model="A",
        bad={**bad, "error_class": ErrorClass.PROVIDER_5XX},
        bad_from=T0,
        bad_to=T0 + 20 * MIN,
        bad_share=0.1,
    )
    stream(
        env.store,
        T0,
        end,
        2.0,
        request_model="A",
        bad={**bad, "error_class": ErrorClass.TIMEOUT},
        bad_from=T0,
        bad_to=T0 + 20 * MIN,
        bad_share=0.1,
    )
    env.run(T0 + 12 * MIN, T0 + 12 * MIN, MIN)
    (incident,) = env.service.repo.incidents("p1")
    full = env.service.repo.get_incident("p1", incident["id"])
    assert full is not None and {a["rule_name"] for a in full["alerts"]} == {"provider-errors", "timeouts"}
    assert full["state"] == "open"

    inc = env.service.incidents
    assert inc.acknowledge("p1", incident["id"], T0 + 13 * MIN, "alice")
    assert inc.add_note("p1", incident["id"], "failing over to the backup provider", T0 + 14 * MIN, "alice")
    env.run(T0 + 42 * MIN, T0 + 42 * MIN, MIN)  # both alerts resolve
    full = env.service.repo.get_incident("p1", incident["id"])
    assert full is not None and full["state"] == "resolved"
    kinds = [e["kind"] for e in full["timeline"]]
    assert kinds[:4] == ["opened", "analysis", "fired", "fired"]
    assert kinds[4:6] == ["acknowledged", "note"]
    assert kinds.count("alert_resolved") == 2 and kinds[-1] == "resolved"


def test_unrelated_alerts_open_separate_incidents(env: AlertEnv) -> None:
    env.install(pack_rule("provider-errors", for_s=0.0))
    end = T0 + 15 * MIN
    stream(
        env.store, T0, end, 2.0, request_model="A", prompt_version="v1", bad=ERR, bad_from=T0, bad_share=0.1
    )
    stream(
        env.store, T0, end, 2.0, request_model="B", prompt_version="v2", bad=ERR, bad_from=T0, bad_share=0.1
    )
    env.run(end, end, MIN)
    assert len(env.service.repo.incidents("p1")) == 2


# --- the suspected-cause ranking on fixed traffic (Fisher exact, Holm, minimum failing count)


def _analyse(env: AlertEnv, hours: float = 1.0) -> CauseAnalysis:
    rule = pack_rule("provider-errors")
    return suspected_cause(
        env.service.incidents.queries, rule, "p1", int(T0 * 1e9), int((T0 + hours * HOUR) * 1e9), {}, None
    )


def test_a_planted_cause_with_40_failing_requests_is_found(env: AlertEnv) -> None:
    end = T0 + HOUR
    # 1,200 requests per tenant; 10 failures each for acme and globex, 40 for umbrella
    for tenant, share in (("acme", 10 / 1200), ("globex", 10 / 1200), ("umbrella", 40 / 1200)):
        stream(
            env.store,
            T0,
            end,
            3.0,
            tenant_id=tenant,
            request_model="gpt-4o",
            bad=ERR,
            bad_from=T0,
            bad_share=share,
        )
    analysis = _analyse(env)
    assert analysis.failing == 60
    top = analysis.causes[0]
    assert (top["dimension"], top["value"]) == ("tenant_id", "umbrella")
    assert top["failing_count"] == 40 and top["p_adjusted"] < 0.001 and top["confidence"] == "very strong"
    assert all(c["value"] not in ("acme", "globex") for c in analysis.causes)
    assert "Fisher's exact test" in analysis.note and "60 failing requests" in analysis.note


def test_a_single_failing_request_names_no_cause(env: AlertEnv) -> None:
    end = T0 + HOUR
    stream(env.store, T0, end, 3.0, tenant_id="acme", request_model="gpt-4o")
    stream(
        env.store,
        T0,
        end,
        3.0,
        tenant_id="globex",
        request_model="gpt-4o",
        bad=ERR,
        bad_from=T0,
        bad_share=1 / 1200,
    )
    analysis = _analyse(env)
    assert analysis.failing == 1 and analysis.causes == []
    assert analysis.note.startswith("Not enough data to name a cause: 1 failing request")


def test_a_merely_common_value_is_not_named(env: AlertEnv) -> None:
    """A big tenant fails at the same rate as the small one: it has most of the failures, and
    the old share-difference ranking would have named it; the test does not."""
    end = T0 + HOUR
    stream(
        env.store,
        T0,
        end,
        0.75,
        tenant_id="bigco",
        request_model="gpt-4o",
        bad=ERR,
        bad_from=T0,
        bad_share=0.05,
    )
    stream(
        env.store,
        T0,
        end,
        3.0,
        tenant_id="small",
        request_model="gpt-4o",
        bad=ERR,
        bad_from=T0,
        bad_share=0.05,
    )
    analysis = _analyse(env)
    assert analysis.failing == 300 and analysis.tested >= 2
    assert analysis.causes == []
    assert analysis.note.startswith("No dimension stands out among 300 failing requests")


def test_an_incident_opened_without_a_cause_takes_the_first_joining_alerts_cause(env: AlertEnv) -> None:
    """One guardrail block pages (too little data to name anything); the refusal alert on the
    same feature joins the incident a little later and names the prompt version for it."""
    env.install(pack_rule("safety-violation"))
    env.install(pack_rule("refusals", for_s=0.0))
    block = make_span(T0 + 30, kind=SpanKind.GUARDRAIL, guardrail_decision="block", feature="chat")
    env.store.write_batch([block])
    env.run(T0 + 2 * MIN, T0 + 2 * MIN, MIN)
    (incident,) = env.service.repo.incidents("p1")
    assert incident["suspected_cause"] == []
    chat = {"feature": "chat", "request_model": "m"}
    stream(env.store, T0 + 2 * MIN, T0 + 12 * MIN, 2.0, prompt_version="v2", **chat)
    stream(env.store, T0 + 2 * MIN, T0 + 12 * MIN, 2.0, prompt_version="v3", bad={"refusal": True},
           bad_from=T0 + 2 * MIN, bad_share=0.2, **chat)  # fmt: skip
    env.run(T0 + 13 * MIN, T0 + 13 * MIN, MIN)
    (incident,) = env.service.repo.incidents("p1")
    full = env.service.repo.get_incident("p1", incident["id"])
    assert full is not None and {a["rule_name"] for a in full["alerts"]} == {"safety-violation", "refusals"}
    top = full["suspected_cause"][0]
    assert (top["dimension"], top["value"]) == ("prompt_version", "v3")
    analyses = [e["text"] for e in full["timeline"] if e["kind"] == "analysis"]
    assert analyses[0].startswith("Not enough data") and analyses[1].startswith("refusals: ")


def test_two_culprits_on_one_feature_open_two_incidents(env: AlertEnv) -> None:
    """A tool outage for one tenant and a prompt regression, both on feature support-chat:
    the label they share must not merge them, or one culprit hides the other."""
    env.install(pack_rule("provider-errors", for_s=0.0, group_by=["feature"]))
    env.install(pack_rule("refusals", for_s=0.0, group_by=["feature"]))
    end = T0 + 15 * MIN
    common = {"feature": "support-chat", "request_model": "gpt-4o"}
    stream(env.store, T0, end, 2.0, tenant_id="acme", prompt_version="v2", **common)
    stream(
        env.store,
        T0,
        end,
        2.0,
        tenant_id="globex",
        prompt_version="v2",
        bad=ERR,
        bad_from=T0,
        bad_share=0.2,
        **common,
    )
    stream(
        env.store,
        T0,
        end,
        2.0,
        tenant_id="initech",
        prompt_version="v3",
        bad={"refusal": True},
        bad_from=T0,
        bad_share=0.3,
        **common,
    )
    env.run(end, end + MIN, MIN)
    tops = sorted(
        (inc["suspected_cause"][0]["dimension"], inc["suspected_cause"][0]["value"])
        for inc in env.service.repo.incidents("p1")
    )
    assert ("tenant_id", "globex") in tops
    assert ("prompt_version", "v3") in tops or ("tenant_id", "initech") in tops
    assert len(tops) == 2
