"""Alert tables in the metadata store (SQLAlchemy Core, SQLite by default, PostgreSQL scaled).

They are registered on ``spyglass.store.meta.metadata`` so ``MetaStore.create_all()``
creates them with the rest. Times are epoch seconds (float); structured values are JSON.

* ``alert_rules``: one row per rule and project; ``spec`` is the validated rule document.
* ``alert_channels``: notification channels by name (webhook, slack, pagerduty, email).
* ``alert_instances``: the persisted state of each (rule, group fingerprint) — the
  de-duplication key — so a restart resumes instead of re-paging.
* ``alert_history``: every pending/firing/resolved/renotify transition.
* ``alert_silences``: label matchers with a time range and the reason.
* ``alert_deliveries``: the notification log, one row per (episode, channel, kind), with
  attempts and the next retry time: failed sends are retried from here with backoff.
* ``incidents``, ``incident_events``, ``incident_alerts``: grouped alerts with a timeline.
"""

from __future__ import annotations

import sqlalchemy as sa

from spyglass.store.meta import metadata

_ID = sa.String(64)

alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("source", sa.String(16), nullable=False),  # default / api / file
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("last_evaluated_at", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("project_id", "name", name="uq_alert_rules_project_name"),
)

alert_channels = sa.Table(
    "alert_channels",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_alert_channels_project_name"),
)

alert_instances = sa.Table(
    "alert_instances",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("rule_id", _ID, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("episode", sa.Integer, nullable=False, default=0),
    sa.Column("active_since", sa.Float),
    sa.Column("fired_at", sa.Float),
    sa.Column("last_true_at", sa.Float),
    sa.Column("resolved_at", sa.Float),
    sa.Column("last_notified_at", sa.Float),
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("volume", sa.Integer),
    sa.Column("detail", sa.JSON),
    sa.Column("example_traces", sa.JSON),
    sa.Column("silenced_by", _ID),
    sa.Column("incident_id", _ID),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("rule_id", "fingerprint", name="uq_alert_instances_rule_fp"),
)

alert_history = sa.Table(
    "alert_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("rule_id", _ID, nullable=False),
    sa.Column("rule_name", sa.String(200), nullable=False),
    sa.Column("instance_id", _ID, nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("severity", sa.String(16)),
)

alert_silences = sa.Table(
    "alert_silences",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("matchers", sa.JSON, nullable=False),
    sa.Column("starts_at", sa.Float, nullable=False),
    sa.Column("ends_at", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", sa.Float, nullable=False),
)

alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("dedup_key", sa.String(200), nullable=False, unique=True),
    sa.Column("instance_id", _ID, nullable=False),
    sa.Column("channel", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # firing / resolved / renotify
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending / delivered / failed / suppressed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("project_id", _ID, nullable=False, index=True),
    sa.Column("title", sa.String(400), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # open / acknowledged / resolved
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("opened_at", sa.Float, nullable=False),
    sa.Column("acknowledged_at", sa.Float),
    sa.Column("resolved_at", sa.Float),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("suspected_cause", sa.JSON),
    sa.Column("example_traces", sa.JSON),
)

incident_events = sa.Table(
    "incident_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", _ID, nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column(
        "kind", sa.String(32), nullable=False
    ),  # fired / alert_resolved / acknowledged / resolved / note
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(200)),
)

incident_alerts = sa.Table(
    "incident_alerts",
    metadata,
    sa.Column("incident_id", _ID, primary_key=True),
    sa.Column("instance_id", _ID, primary_key=True),
    sa.Column("episode", sa.Integer, primary_key=True),
    sa.Column("rule_name", sa.String(200), nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("attached_at", sa.Float, nullable=False),
)

# Projects that received the default pack once (deleting its rules must not bring them back).
alert_seeded_projects = sa.Table(
    "alert_seeded_projects",
    metadata,
    sa.Column("project_id", _ID, primary_key=True),
    sa.Column("seeded_at", sa.Float, nullable=False),
)

ALL_TABLES = (
    alert_seeded_projects,
    alert_rules,
    alert_channels,
    alert_instances,
    alert_history,
    alert_silences,
    alert_deliveries,
    incidents,
    incident_events,
    incident_alerts,
)


def create_tables(engine: sa.Engine) -> None:
    """Create the alert tables if missing (``MetaStore.create_all`` does the same)."""
    metadata.create_all(engine, tables=list(ALL_TABLES))
