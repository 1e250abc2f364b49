"""Alerts and incidents REST API (docs/alerts.md) and the server wiring of the alert engine.

``install(services)`` builds the :class:`~spyglass.alerts.service.AlertService` over the
server's span store and metadata engine, gives existing projects the default rule pack,
applies the ``--alert-rules`` file if any, and appends the router to ``services.routers``
and the evaluation loop to ``services.background_tasks``. The router closes over the
service, so handlers need no global state.

Reads need a ``read`` key, changes an ``admin`` key; everything is scoped to the key's
project. Blocking work runs in a worker thread.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from spyglass.alerts.backtest import MAX_EVALUATIONS, BacktestError
from spyglass.alerts.queries import validate_filter
from spyglass.alerts.rules import (
    RuleError,
    load_rule_file,
    parse_channel,
    parse_duration_s,
    parse_rule,
    parse_rule_file,
)
from spyglass.alerts.service import AlertService
from spyglass.alerts.silences import SilenceError, validate_matchers
from spyglass.server.deps import AdminKey, ReadKey
from spyglass.server.errors import ApiError
from spyglass.server.services import Services
from spyglass.store.meta import DEFAULT_PROJECT_ID

log = logging.getLogger(__name__)


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: list[dict[str, str]] = Field(description='[{"name": "model", "value": "gpt-4o", "op": "="}]')
    duration: str | None = Field(None, description="e.g. 2h; or give ends_at")
    starts_at: float | None = None
    ends_at: float | None = None
    reason: str = Field(min_length=1, max_length=2000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)


def _bad(e: Exception) -> ApiError:
    return ApiError(400, str(e), "invalid_rule")


def _rule_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "enabled": row["enabled"],
        "source": row["source"],
        "spec": row["spec"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "last_evaluated_at": row["last_evaluated_at"],
        "last_error": row["last_error"],
    }


def _alert_out(row: dict[str, Any]) -> dict[str, Any]:
    spec = row.get("spec") or {}
    return {
        "id": row["id"],
        "rule_id": row["rule_id"],
        "rule_name": row.get("rule_name"),
        "severity": spec.get("severity"),
        "state": row["state"],
        "labels": row["labels"],
        "value": row["value"],
        "threshold": row["threshold"],
        "volume": row["volume"],
        "detail": row["detail"],
        "active_since": row["active_since"],
        "fired_at": row["fired_at"],
        "resolved_at": row["resolved_at"],
        "silenced_by": row["silenced_by"],
        "incident_id": row["incident_id"],
        "example_traces": row["example_traces"] or [],
        "runbook": spec.get("runbook", ""),
        "runbook_url": spec.get("runbook_url", ""),
    }


def create_router(service: AlertService) -> APIRouter:
    """The alerts/incidents router bound to ``service``."""
    router = APIRouter(prefix="/api/v1", tags=["alerts"])
    repo = service.repo

    async def run(fn: Any, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args)

    def check_rule(doc: Any) -> Any:
        try:
            rule = parse_rule(doc)
            validate_filter(rule.filter)
        except RuleError as e:
            raise _bad(e) from None
        return rule

    # ---- rules ---------------------------------------------------------------------------------
    @router.get("/alerts/rules", summary="Alert rules of the project")
    async def list_rules(key: ReadKey) -> dict[str, Any]:
        rows = await run(repo.rule_rows, key.project_id)
        return {"items": [_rule_out(r) for r in rows]}

    @router.post("/alerts/rules", status_code=201, summary="Create a rule (the YAML rule format, as JSON)")
    async def create_rule(key: AdminKey, doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        rule = check_rule(doc)
        rows = await run(repo.rule_rows, key.project_id)
        if any(r["name"] == rule.name for r in rows):
            raise ApiError(409, f"name: a rule named {rule.name!r} exists", "conflict")
        rid = await run(lambda: repo.upsert_rule(key.project_id, rule, "api", service.clock()))
        return _rule_out(await run(repo.get_rule, key.project_id, rid))

    @router.post(
        "/alerts/rules/preview",
        summary="Backtest a rule (new or edited) over a past range; persists and notifies nothing",
    )
    async def preview_rule(
        key: ReadKey,
        doc: Annotated[dict[str, Any], Body()],
        start: Annotated[float | None, Query(description="epoch seconds; default end - days")] = None,
        end: Annotated[float | None, Query(description="epoch seconds; default now")] = None,
        days: Annotated[float, Query(gt=0, description="the range when start is not given")] = 7.0,
        step: Annotated[str | None, Query(description="e.g. 30s; default the live interval")] = None,
    ) -> dict[str, Any]:
        rule = check_rule(doc)
        end_s = service.clock() if end is None else end
        start_s = end_s - days * 86400.0 if start is None else start
        try:
            step_s = None if step is None else parse_duration_s(step if not step.isdigit() else float(step))
        except RuleError as e:
            raise ApiError(400, f"step: {e}", "invalid_range") from None
        if step_s is None:
            # the live interval; coarsened (a multiple of it) only when the range needs more
            # evaluations than a preview runs
            step_s = service.interval_s
            n = (end_s - start_s) / step_s
            if n > MAX_EVALUATIONS - 1:
                step_s *= -(-n // (MAX_EVALUATIONS - 1))
        try:
            result = await run(service.backtest, rule, key.project_id, start_s, end_s, step_s)
        except BacktestError as e:
            raise ApiError(400, str(e), "invalid_range") from None
        return dict(result.to_dict())

    @router.get("/alerts/rules/{rule_id}", summary="One rule")
    async def get_rule(key: ReadKey, rule_id: str) -> dict[str, Any]:
        row = await run(repo.get_rule, key.project_id, rule_id)
        if row is None:
            raise ApiError(404, f"no rule {rule_id!r}")
        return _rule_out(row)

    @router.put("/alerts/rules/{rule_id}", summary="Replace a rule")
    async def put_rule(key: AdminKey, rule_id: str, doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        if await run(repo.get_rule, key.project_id, rule_id) is None:
            raise ApiError(404, f"no rule {rule_id!r}")
        rule = check_rule(doc)
        rule.id = rule_id
        await run(lambda: repo.upsert_rule(key.project_id, rule, "api", service.clock()))
        return _rule_out(await run(repo.get_rule, key.project_id, rule_id))

    @router.delete("/alerts/rules/{rule_id}", status_code=204, summary="Delete a rule and its alert state")
    async def delete_rule(key: AdminKey, rule_id: str) -> None:
        if not await run(repo.delete_rule, key.project_id, rule_id):
            raise ApiError(404, f"no rule {rule_id!r}")

    @router.post("/alerts/apply", summary="Apply a YAML rules file (rules and channels, replaced by name)")
    async def apply_file(key: AdminKey, request: Request) -> dict[str, Any]:
        text = (await request.body()).decode("utf-8", errors="replace")
        try:
            parsed = parse_rule_file(text, "body")
            for r in parsed.rules:
                validate_filter(r.filter)
        except RuleError as e:
            raise _bad(e) from None
        return dict(await run(service.apply_rule_file, key.project_id, parsed))

    # ---- alerts, history, deliveries -------------------------------------------------------------
    @router.get("/alerts", summary="Firing and pending alerts")
    async def list_alerts(
        key: ReadKey, state: Annotated[Literal["firing", "pending", "all"], Query()] = "all"
    ) -> dict[str, Any]:
        states = ("firing", "pending") if state == "all" else (state,)
        rows = await run(repo.active_instances, key.project_id, states)
        return {"items": [_alert_out(r) for r in rows]}

    @router.get("/alerts/history", summary="Alert transitions, newest first")
    async def history(
        key: ReadKey,
        start: float | None = None,
        end: float | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> dict[str, Any]:
        return {"items": await run(repo.history, key.project_id, start, end, limit)}

    @router.get("/alerts/deliveries", summary="Notification delivery log (status, attempts, errors)")
    async def deliveries(key: ReadKey, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
        rows = await run(repo.deliveries, key.project_id, limit)
        return {
            "items": [
                {k: v for k, v in r.items() if k != "payload"} | {"title": r["payload"].get("title")}
                for r in rows
            ]
        }

    @router.get("/alerts/summary", summary="Counts and open items for the overview dashboard")
    async def summary(key: ReadKey) -> dict[str, Any]:
        alerts = await run(repo.active_instances, key.project_id, ("firing", "pending"))
        incidents = await run(repo.open_incidents, key.project_id)
        return {
            "firing": sum(1 for a in alerts if a["state"] == "firing"),
            "pending": sum(1 for a in alerts if a["state"] == "pending"),
            "open_incidents": len(incidents),
            "alerts": [_alert_out(a) for a in alerts[:10]],
            "incidents": incidents[:10],
        }

    # ---- channels ----------------------------------------------------------------------------------
    @router.get("/alerts/channels", summary="Notification channels (secrets masked)")
    async def list_channels(key: ReadKey) -> dict[str, Any]:
        chans = await run(repo.channels, key.project_id)
        masked = ("secret", "smtp_password", "routing_key")
        return {"items": [{k: ("***" if k in masked else v) for k, v in c.items()} for c in chans.values()]}

    @router.put("/alerts/channels/{name}", summary="Create or replace a channel")
    async def put_channel(key: AdminKey, name: str, doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        try:
            ch = parse_channel({**doc, "name": name})
        except RuleError as e:
            raise ApiError(400, str(e), "invalid_channel") from None
        cid = await run(lambda: repo.upsert_channel(key.project_id, ch, service.clock()))
        return {"id": cid, "name": name, "type": ch["type"]}

    @router.delete("/alerts/channels/{name}", status_code=204, summary="Delete a channel")
    async def delete_channel(key: AdminKey, name: str) -> None:
        if not await run(repo.delete_channel, key.project_id, name):
            raise ApiError(404, f"no channel {name!r}")

    # ---- silences ----------------------------------------------------------------------------------
    @router.get("/alerts/silences", summary="Silences (active ones unless all=true)")
    async def list_silences(key: ReadKey, all: bool = False) -> dict[str, Any]:  # noqa: A002 (query name)
        at = None if all else service.clock()
        return {"items": await run(repo.silences, key.project_id, at)}

    @router.post("/alerts/silences", status_code=201, summary="Silence alerts matching label matchers")
    async def create_silence(key: AdminKey, body: SilenceIn) -> dict[str, Any]:
        from spyglass.alerts.rules import parse_duration_s

        now = service.clock()
        try:
            matchers = validate_matchers(body.matchers)
            starts = body.starts_at if body.starts_at is not None else now
            if body.ends_at is not None:
                ends = body.ends_at
            elif body.duration:
                ends = starts + parse_duration_s(body.duration)
            else:
                raise SilenceError("duration: give a duration (e.g. 2h) or ends_at")
        except (SilenceError, RuleError) as e:
            raise ApiError(400, str(e), "invalid_silence") from None
        if ends <= starts:
            raise ApiError(400, "ends_at: must be after starts_at", "invalid_silence")
        row = {
            "matchers": matchers,
            "starts_at": starts,
            "ends_at": ends,
            "reason": body.reason,
            "created_by": key.name,
            "created_at": now,
        }
        sid = await run(repo.add_silence, key.project_id, row)
        return {"id": sid, **row}

    @router.delete("/alerts/silences/{silence_id}", status_code=204, summary="Expire a silence now")
    async def expire_silence(key: AdminKey, silence_id: str) -> None:
        if not await run(repo.expire_silence, key.project_id, silence_id, service.clock()):
            raise ApiError(404, f"no silence {silence_id!r}")

    # ---- incidents ---------------------------------------------------------------------------------
    @router.get("/incidents", summary="Incidents, newest first")
    async def list_incidents(
        key: ReadKey,
        state: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        return {"items": await run(repo.incidents, key.project_id, state, limit)}

    @router.get(
        "/incidents/{incident_id}", summary="One incident with its timeline, alerts and suspected cause"
    )
    async def get_incident(key: ReadKey, incident_id: str) -> dict[str, Any]:
        inc = await run(repo.get_incident, key.project_id, incident_id)
        if inc is None:
            raise ApiError(404, f"no incident {incident_id!r}")
        return dict(inc)

    async def _change(key: Any, incident_id: str, fn: Any, *args: Any) -> dict[str, Any]:
        ok = await run(lambda: fn(key.project_id, incident_id, *args, service.clock(), key.name))
        if not ok:
            raise ApiError(404, f"no incident {incident_id!r}")
        return dict(await run(repo.get_incident, key.project_id, incident_id))

    @router.post("/incidents/{incident_id}/acknowledge", summary="Acknowledge an open incident")
    async def acknowledge(key: AdminKey, incident_id: str) -> dict[str, Any]:
        return await _change(key, incident_id, service.incidents.acknowledge)

    @router.post("/incidents/{incident_id}/resolve", summary="Resolve an incident by hand")
    async def resolve(key: AdminKey, incident_id: str) -> dict[str, Any]:
        return await _change(key, incident_id, service.incidents.resolve)

    @router.post("/incidents/{incident_id}/notes", summary="Add a note to the timeline")
    async def add_note(key: AdminKey, incident_id: str, body: NoteIn) -> dict[str, Any]:
        return await _change(key, incident_id, service.incidents.add_note, body.text)

    return router


def install(services: Services) -> AlertService:
    """Wire alerts into the server (see the module docstring). Settings come from the
    ``alerts:`` section of the config file: ``interval_s`` (≤ 60, default 30), ``settle_s``
    (default 60), ``rules_file`` (also ``--alert-rules``), ``project`` (the project the
    file is applied to; default the default project) and ``enabled`` (false: no evaluation
    loop, e.g. for benchmarks of other components). Raises ``RuleError`` for a bad file."""
    cfg: dict[str, Any] = dict(services.settings.extra.get("alerts") or {})
    service = AlertService(
        services.store,
        services.meta.engine,
        base_url=services.settings.public_url,
        settle_s=float(cfg.get("settle_s", 60.0)),
        clock=lambda: services.clock() / 1e9,
        interval_s=float(cfg.get("interval_s", 30.0)),
    )

    def project_ids() -> list[str]:
        return [p.id for p in services.meta.list_projects()]

    rules_file = cfg.get("rules_file")
    if rules_file:
        parsed = load_rule_file(rules_file)  # fail at start, naming the field, before serving
        for r in parsed.rules:
            validate_filter(r.filter)
        project = str(cfg.get("project") or DEFAULT_PROJECT_ID)
        service.seed_default_rules([project])  # so the file's rules win over same-named defaults
        counts = service.apply_rule_file(project, parsed)
        log.info("applied %s rules and %s channels from %s", counts["rules"], counts["channels"], rules_file)
    services.routers.append(create_router(service))
    if cfg.get("enabled", True):  # `alerts: {enabled: false}` keeps the API but runs no rounds
        services.background_tasks.append(
            service.scheduler(float(cfg.get("interval_s", 30.0)), project_ids).run
        )
    return service
