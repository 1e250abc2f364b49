"""Reads and writes of the alert tables; the only module issuing SQL against them.

Every method is synchronous, opens its own connection from the engine's pool and commits
before returning, so it is safe from any thread. Rows come back as plain dicts.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from spyglass.alerts import tables as t
from spyglass.alerts.rules import Rule, parse_channel, parse_rule
from spyglass.alerts.state import AlertState, AlertStatus


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def _row(r: Any) -> dict[str, Any]:
    return dict(r._mapping)


class AlertRepository:
    """Persistence for rules, channels, alert instances, history, silences, deliveries and
    incidents. Raises SQLAlchemy errors on database failures."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        t.create_tables(engine)
        # Validated rules by id, reused while the stored spec is unchanged: validating every
        # spec with jsonschema on every round would cost more than evaluating it.
        self._parsed: dict[str, tuple[Any, bool, Rule]] = {}

    # ---- rules -----------------------------------------------------------------------------
    def _rule_from_row(self, row: Any) -> Rule:
        cached = self._parsed.get(row["id"])
        if cached and cached[0] == row["spec"] and cached[1] == bool(row["enabled"]):
            return copy.deepcopy(cached[2])  # callers may mutate their copy
        rule = parse_rule(row["spec"])
        rule.id = row["id"]
        rule.enabled = bool(row["enabled"])
        self._parsed[row["id"]] = (copy.deepcopy(row["spec"]), rule.enabled, rule)
        return copy.deepcopy(rule)

    def list_rules(self, project_id: str | None = None, enabled_only: bool = False) -> list[tuple[str, Rule]]:
        """``(project_id, rule)`` pairs, by project then name."""
        q = sa.select(t.alert_rules).order_by(t.alert_rules.c.project_id, t.alert_rules.c.name)
        if project_id is not None:
            q = q.where(t.alert_rules.c.project_id == project_id)
        if enabled_only:
            q = q.where(t.alert_rules.c.enabled.is_(True))
        with self.engine.connect() as c:
            return [(r.project_id, self._rule_from_row(r._mapping)) for r in c.execute(q)]

    def rule_rows(self, project_id: str) -> list[dict[str, Any]]:
        q = (
            sa.select(t.alert_rules)
            .where(t.alert_rules.c.project_id == project_id)
            .order_by(t.alert_rules.c.name)
        )
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def get_rule(self, project_id: str, rule_id: str) -> dict[str, Any] | None:
        q = sa.select(t.alert_rules).where(
            t.alert_rules.c.project_id == project_id, t.alert_rules.c.id == rule_id
        )
        with self.engine.connect() as c:
            r = c.execute(q).first()
        return _row(r) if r else None

    def upsert_rule(self, project_id: str, rule: Rule, source: str, now: float) -> str:
        """Insert, or replace the rule of the same name (or id); returns the rule id."""
        spec = rule.to_spec()
        with self.engine.begin() as c:
            cond = t.alert_rules.c.id == rule.id if rule.id else t.alert_rules.c.name == rule.name
            existing = c.execute(
                sa.select(t.alert_rules.c.id).where(t.alert_rules.c.project_id == project_id, cond)
            ).first()
            if existing:
                c.execute(
                    t.alert_rules.update()
                    .where(t.alert_rules.c.id == existing.id)
                    .values(name=rule.name, spec=spec, enabled=rule.enabled, source=source, updated_at=now)
                )
                return str(existing.id)
            rid = rule.id or new_id()
            c.execute(
                t.alert_rules.insert().values(
                    id=rid,
                    project_id=project_id,
                    name=rule.name,
                    spec=spec,
                    enabled=rule.enabled,
                    source=source,
                    created_at=now,
                    updated_at=now,
                )
            )
            return rid

    def delete_rule(self, project_id: str, rule_id: str) -> bool:
        with self.engine.begin() as c:
            n = c.execute(
                t.alert_rules.delete().where(
                    t.alert_rules.c.project_id == project_id, t.alert_rules.c.id == rule_id
                )
            ).rowcount
            c.execute(t.alert_instances.delete().where(t.alert_instances.c.rule_id == rule_id))
        return bool(n)

    def has_rules(self, project_id: str) -> bool:
        q = (
            sa.select(sa.func.count())
            .select_from(t.alert_rules)
            .where(t.alert_rules.c.project_id == project_id)
        )
        with self.engine.connect() as c:
            return bool(c.execute(q).scalar())

    def seed_once(self, project_id: str, rules: Iterable[Rule], now: float) -> bool:
        """Store ``rules`` for a project that never got the default pack; False if it did."""
        with self.engine.begin() as c:
            seeded = t.alert_seeded_projects
            if c.execute(sa.select(seeded.c.project_id).where(seeded.c.project_id == project_id)).first():
                return False
            c.execute(seeded.insert().values(project_id=project_id, seeded_at=now))
        for rule in rules:
            self.upsert_rule(project_id, rule, "default", now)
        return True

    def mark_evaluated(self, results: Iterable[tuple[str, float, str | None]]) -> None:
        """Record ``(rule_id, evaluated_at, error or None)`` for many rules in one transaction."""
        with self.engine.begin() as c:
            for rule_id, now, error in results:
                c.execute(
                    t.alert_rules.update()
                    .where(t.alert_rules.c.id == rule_id)
                    .values(last_evaluated_at=now, last_error=error)
                )

    # ---- channels ----------------------------------------------------------------------------
    def upsert_channel(self, project_id: str, doc: dict[str, Any], now: float) -> str:
        doc = parse_channel(doc)
        with self.engine.begin() as c:
            existing = c.execute(
                sa.select(t.alert_channels.c.id).where(
                    t.alert_channels.c.project_id == project_id, t.alert_channels.c.name == doc["name"]
                )
            ).first()
            if existing:
                c.execute(
                    t.alert_channels.update()
                    .where(t.alert_channels.c.id == existing.id)
                    .values(type=doc["type"], config=doc)
                )
                return str(existing.id)
            cid = new_id()
            c.execute(
                t.alert_channels.insert().values(
                    id=cid,
                    project_id=project_id,
                    name=doc["name"],
                    type=doc["type"],
                    config=doc,
                    created_at=now,
                )
            )
            return cid

    def channels(self, project_id: str) -> dict[str, dict[str, Any]]:
        """Channel configs by name."""
        q = sa.select(t.alert_channels).where(t.alert_channels.c.project_id == project_id)
        with self.engine.connect() as c:
            return {r.name: dict(r.config) for r in c.execute(q)}

    def delete_channel(self, project_id: str, name: str) -> bool:
        with self.engine.begin() as c:
            return bool(
                c.execute(
                    t.alert_channels.delete().where(
                        t.alert_channels.c.project_id == project_id, t.alert_channels.c.name == name
                    )
                ).rowcount
            )

    # ---- instances and history -----------------------------------------------------------------
    def instances_for_rule(self, rule_id: str) -> dict[str, dict[str, Any]]:
        """Persisted alert instances of a rule, by fingerprint."""
        q = sa.select(t.alert_instances).where(t.alert_instances.c.rule_id == rule_id)
        with self.engine.connect() as c:
            return {r.fingerprint: _row(r) for r in c.execute(q)}

    def save_instance(self, row: dict[str, Any]) -> None:
        """Insert or update one instance (keyed by its ``id``)."""
        self.save_instances([row])

    def save_instances(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert or update instances in ONE transaction (one commit per rule and round)."""
        cols = set(t.alert_instances.c.keys())
        with self.engine.begin() as c:
            for row in rows:
                values = {k: v for k, v in row.items() if k in cols}
                done = c.execute(
                    t.alert_instances.update().where(t.alert_instances.c.id == row["id"]).values(**values)
                )
                if not done.rowcount:
                    c.execute(t.alert_instances.insert().values(**values))

    def active_instances(
        self, project_id: str, states: Iterable[str] = ("pending", "firing")
    ) -> list[dict[str, Any]]:
        q = (
            sa.select(t.alert_instances, t.alert_rules.c.name.label("rule_name"), t.alert_rules.c.spec)
            .join(t.alert_rules, t.alert_rules.c.id == t.alert_instances.c.rule_id)
            .where(
                t.alert_instances.c.project_id == project_id,
                t.alert_instances.c.state.in_(list(states)),
                t.alert_rules.c.enabled.is_(True),  # a disabled rule's alerts are not current
            )
            .order_by(t.alert_instances.c.fired_at.desc(), t.alert_instances.c.active_since.desc())
        )
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def add_history(self, row: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(t.alert_history.insert().values(**row))

    def history(
        self, project_id: str, start: float | None = None, end: float | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        h = t.alert_history
        q = sa.select(h).where(h.c.project_id == project_id)
        if start is not None:
            q = q.where(h.c.at >= start)
        if end is not None:
            q = q.where(h.c.at < end)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q.order_by(h.c.at.desc(), h.c.id.desc()).limit(limit))]

    # ---- silences --------------------------------------------------------------------------------
    def add_silence(self, project_id: str, row: dict[str, Any]) -> str:
        sid = new_id()
        with self.engine.begin() as c:
            c.execute(t.alert_silences.insert().values(id=sid, project_id=project_id, **row))
        return sid

    def silences(self, project_id: str, active_at: float | None = None) -> list[dict[str, Any]]:
        s = t.alert_silences
        q = sa.select(s).where(s.c.project_id == project_id)
        if active_at is not None:
            q = q.where(s.c.starts_at <= active_at, s.c.ends_at > active_at)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q.order_by(s.c.starts_at.desc()))]

    def expire_silence(self, project_id: str, silence_id: str, now: float) -> bool:
        s = t.alert_silences
        with self.engine.begin() as c:
            return bool(
                c.execute(
                    s.update().where(s.c.project_id == project_id, s.c.id == silence_id).values(ends_at=now)
                ).rowcount
            )

    # ---- deliveries ------------------------------------------------------------------------------
    def add_delivery(self, row: dict[str, Any]) -> int | None:
        """Insert a delivery unless its ``dedup_key`` exists (then ``None``: already sent)."""
        d = t.alert_deliveries
        with self.engine.begin() as c:
            if c.execute(sa.select(d.c.id).where(d.c.dedup_key == row["dedup_key"])).first():
                return None
            key = c.execute(d.insert().values(**row)).inserted_primary_key
            return int(key[0]) if key else None

    def update_delivery(self, delivery_id: int, **values: Any) -> None:
        with self.engine.begin() as c:
            c.execute(
                t.alert_deliveries.update().where(t.alert_deliveries.c.id == delivery_id).values(**values)
            )

    def due_deliveries(self, now: float) -> list[dict[str, Any]]:
        d = t.alert_deliveries
        q = sa.select(d).where(d.c.status == "pending", d.c.next_attempt_at <= now).order_by(d.c.id)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def deliveries(self, project_id: str, limit: int = 200) -> list[dict[str, Any]]:
        d = t.alert_deliveries
        q = sa.select(d).where(d.c.project_id == project_id).order_by(d.c.id.desc()).limit(limit)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    # ---- incidents -------------------------------------------------------------------------------
    def open_incidents(self, project_id: str) -> list[dict[str, Any]]:
        i = t.incidents
        q = (
            sa.select(i)
            .where(i.c.project_id == project_id, i.c.state != "resolved")
            .order_by(i.c.opened_at.desc())
        )
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]

    def incidents(self, project_id: str, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        i = t.incidents
        q = sa.select(i).where(i.c.project_id == project_id)
        if state:
            q = q.where(i.c.state == state)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q.order_by(i.c.opened_at.desc()).limit(limit))]

    def get_incident(self, project_id: str, incident_id: str) -> dict[str, Any] | None:
        i = t.incidents
        with self.engine.connect() as c:
            r = c.execute(sa.select(i).where(i.c.project_id == project_id, i.c.id == incident_id)).first()
            if r is None:
                return None
            out = _row(r)
            ev = t.incident_events
            out["timeline"] = [
                _row(e)
                for e in c.execute(
                    sa.select(ev).where(ev.c.incident_id == incident_id).order_by(ev.c.at, ev.c.id)
                )
            ]
            ia = t.incident_alerts
            out["alerts"] = [
                _row(a)
                for a in c.execute(
                    sa.select(ia).where(ia.c.incident_id == incident_id).order_by(ia.c.attached_at)
                )
            ]
        return out

    def create_incident(self, row: dict[str, Any]) -> str:
        iid = new_id()
        with self.engine.begin() as c:
            c.execute(t.incidents.insert().values(id=iid, **row))
        return iid

    def update_incident(self, incident_id: str, **values: Any) -> None:
        with self.engine.begin() as c:
            c.execute(t.incidents.update().where(t.incidents.c.id == incident_id).values(**values))

    def add_incident_event(
        self, incident_id: str, at: float, kind: str, text: str, author: str | None = None
    ) -> None:
        with self.engine.begin() as c:
            c.execute(
                t.incident_events.insert().values(
                    incident_id=incident_id, at=at, kind=kind, text=text, author=author
                )
            )

    def attach_alert(self, incident_id: str, instance: dict[str, Any], rule_name: str, at: float) -> None:
        ia = t.incident_alerts
        with self.engine.begin() as c:
            key = (
                ia.c.incident_id == incident_id,
                ia.c.instance_id == instance["id"],
                ia.c.episode == instance["episode"],
            )
            if c.execute(sa.select(ia.c.incident_id).where(*key)).first():
                return
            c.execute(
                ia.insert().values(
                    incident_id=incident_id,
                    instance_id=instance["id"],
                    episode=instance["episode"],
                    rule_name=rule_name,
                    labels=instance["labels"],
                    attached_at=at,
                )
            )

    def incident_alert_instances(self, incident_id: str) -> list[dict[str, Any]]:
        """The current rows of the alert instances attached to an incident (any episode)."""
        ia, ai = t.incident_alerts, t.alert_instances
        q = (
            sa.select(ai, ia.c.episode.label("attached_episode"))
            .join(ai, ai.c.id == ia.c.instance_id)
            .where(ia.c.incident_id == incident_id)
        )
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(q)]


def status_of(row: Mapping[str, Any] | None) -> AlertStatus:
    """The pure-state view of a persisted instance row."""
    if row is None:
        return AlertStatus()
    return AlertStatus(
        state=AlertState(row["state"]),
        active_since=row["active_since"],
        fired_at=row["fired_at"],
        last_true_at=row["last_true_at"],
        resolved_at=row["resolved_at"],
    )
