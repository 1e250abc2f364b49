"""Alert rules: the typed rule model, its JSON schema, and YAML/dict loading.

A rule says *what* to measure (``metric``), *over which spans* (``filter`` in the filter
language plus ``where`` equality matchers), *how* (``window``, ``group_by``, ``min_volume``)
and *when it is bad* (``condition``). Rules arrive from three places — the default pack,
the REST API and a YAML file in the user's repository — and all go through
:func:`parse_rule`, which validates with jsonschema and raises :class:`RuleError` naming
the offending field (``rules[3].condition.value: 'abc' is not of type 'number'``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from spyglass.alerts.measures import METRICS

SEVERITIES = ("critical", "high", "warning", "info")
CONDITION_KINDS = (
    "threshold",
    "baseline",
    "median_ratio",
    "distribution_change",
    "zero_traffic",
    "any_event",
    "release_regression",
)
CHANNEL_TYPES = ("webhook", "slack", "pagerduty", "email")
# Dimensions a rule may group by or match on; names follow docs/api.md ``group_by``.
DIMENSIONS = (
    "model",
    "response_model",
    "provider",
    "kind",
    "name",
    "status",
    "error_class",
    "prompt_name",
    "prompt_version",
    "feature",
    "tenant_id",
    "user_id",
    "environment",
    "release",
    "service_name",
    "finish_reason",
    "tool_name",
)

_DURATION = r"^\s*\d+(\.\d+)?\s*(s|m|h|d)\s*$"
_DURATION_RE = re.compile(_DURATION)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RuleError(ValueError):
    """A rule or channel definition is invalid; the message names the field."""


def parse_duration_s(value: str | int | float) -> float:
    """``"5m"`` -> 300.0; numbers are seconds. Raises :class:`RuleError` on anything else."""
    if isinstance(value, bool):
        raise RuleError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION_RE.match(value)
    if not m:
        raise RuleError(f"invalid duration {value!r} (use e.g. 30s, 5m, 1h, 7d)")
    return float(value.strip()[:-1]) * _UNIT_S[value.strip()[-1]]


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


_duration_schema = {"oneOf": [{"type": "string", "pattern": _DURATION}, {"type": "number", "minimum": 0}]}

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "metric", "condition"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "metric": {"enum": sorted(METRICS)},
        "quantile": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "error_classes": {"type": "array", "items": {"type": "string"}},
        "filter": {"type": "string"},
        "where": {
            "type": "object",
            "propertyNames": {"enum": list(DIMENSIONS)},
            "additionalProperties": {"type": ["string", "array"], "items": {"type": "string"}},
        },
        "window": _duration_schema,
        "for": _duration_schema,
        "keep_firing_for": _duration_schema,
        "renotify": _duration_schema,
        "min_volume": {"type": "integer", "minimum": 0},
        "group_by": {"type": "array", "items": {"enum": list(DIMENSIONS)}, "uniqueItems": True},
        "severity": {"enum": list(SEVERITIES)},
        "runbook_url": {"type": "string"},
        "runbook": {"type": "string"},
        "channels": {"type": "array", "items": {"type": "string"}},
        "condition": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind"],
            "properties": {
                "kind": {"enum": list(CONDITION_KINDS)},
                "op": {"enum": [">", ">=", "<", "<="]},
                "value": {"type": "number"},
                "resolve_value": {"type": "number"},
                "factor": {"type": "number", "exclusiveMinimum": 0},
                "baseline": _duration_schema,
                "dimension": {"enum": list(DIMENSIONS)},
                "min_requests": {"type": "integer", "minimum": 1},
                "min_rate": {"type": "number", "minimum": 0},
            },
        },
    },
}

CHANNEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "type": {"enum": list(CHANNEL_TYPES)},
        "url": {"type": "string"},
        "secret": {"type": "string"},
        "routing_key": {"type": "string"},
        "smtp_host": {"type": "string"},
        "smtp_port": {"type": "integer"},
        "smtp_user": {"type": "string"},
        "smtp_password": {"type": "string"},
        "smtp_starttls": {"type": "boolean"},
        "from": {"type": "string"},
        "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "timeout_s": {"type": "number", "exclusiveMinimum": 0},
    },
    "allOf": [
        {"if": {"properties": {"type": {"enum": ["webhook", "slack"]}}}, "then": {"required": ["url"]}},
        {"if": {"properties": {"type": {"const": "pagerduty"}}}, "then": {"required": ["routing_key"]}},
        {"if": {"properties": {"type": {"const": "email"}}}, "then": {"required": ["smtp_host", "to"]}},
    ],
}

FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "rules": {"type": "array", "items": RULE_SCHEMA},
        "channels": {"type": "array", "items": CHANNEL_SCHEMA},
    },
}


@dataclass(slots=True)
class Condition:
    """When a measured value is bad. Which fields matter depends on ``kind`` (docs/alerts.md)."""

    kind: str
    op: str = ">"
    value: float | None = None  # threshold (threshold, any_event) or max distance (distribution_change)
    resolve_value: float | None = None  # hysteresis: a firing alert resolves only past this value
    factor: float | None = None  # baseline / median_ratio / release_regression multiplier
    baseline_s: float | None = None  # trailing comparison window
    dimension: str | None = None  # distribution_change: whose mix to compare
    min_requests: int | None = None  # release_regression: requests the new version needs first
    min_rate: float = 0.01  # release_regression: floor for the previous version's rate


@dataclass(slots=True)
class Rule:
    """A validated alert rule. Durations are seconds."""

    name: str
    metric: str
    condition: Condition
    description: str = ""
    enabled: bool = True
    quantile: float | None = None
    error_classes: list[str] = field(default_factory=list)
    filter: str = ""
    where: dict[str, list[str]] = field(default_factory=dict)
    window_s: float = 300.0
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    renotify_s: float = 4 * 3600.0
    min_volume: int = 0
    group_by: list[str] = field(default_factory=list)
    severity: str = "warning"
    runbook_url: str = ""
    runbook: str = ""
    channels: list[str] = field(default_factory=list)
    id: str | None = None  # assigned by the repository

    def to_spec(self) -> dict[str, Any]:
        """The rule as the YAML/JSON document that :func:`parse_rule` accepts."""
        cond = {k: v for k, v in asdict(self.condition).items() if v is not None}
        if "baseline_s" in cond:
            cond["baseline"] = format_duration(cond.pop("baseline_s"))
        if cond.get("min_rate") == 0.01:
            cond.pop("min_rate")
        spec: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "metric": self.metric,
            "filter": self.filter,
            "where": self.where,
            "window": format_duration(self.window_s),
            "for": format_duration(self.for_s),
            "keep_firing_for": format_duration(self.keep_firing_for_s),
            "renotify": format_duration(self.renotify_s),
            "min_volume": self.min_volume,
            "group_by": self.group_by,
            "severity": self.severity,
            "runbook_url": self.runbook_url,
            "runbook": self.runbook,
            "channels": self.channels,
            "condition": cond,
        }
        if self.quantile is not None:
            spec["quantile"] = self.quantile
        if self.error_classes:
            spec["error_classes"] = self.error_classes
        return spec


def _error_path(err: jsonschema.ValidationError, prefix: str) -> str:
    path = prefix
    for part in err.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(document)"


def _validate(doc: Any, schema: dict[str, Any], prefix: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(doc))
    if not errors:
        return
    # Report the first field in document order, and the most relevant error for that field.
    first = min(
        errors, key=lambda e: [(0, p) if isinstance(p, int) else (1, str(p)) for p in e.absolute_path]
    )
    same = [e for e in errors if list(e.absolute_path) == list(first.absolute_path)]
    err = jsonschema.exceptions.best_match(same) or first
    message = err.message
    schema_of = err.schema if isinstance(err.schema, dict) else {}
    if schema_of.get("pattern") == _DURATION or schema_of.get("oneOf") == _duration_schema["oneOf"]:
        message = f"{err.instance!r} is not a duration (use e.g. 30s, 5m, 1h, 7d)"
    raise RuleError(f"{_error_path(err, prefix)}: {message}")


def parse_rule(doc: Any, path: str = "") -> Rule:
    """Validate one rule document and build a :class:`Rule`.

    Raises :class:`RuleError` whose message starts with the field path (``path`` prefixes it,
    e.g. ``rules[2]``), including for semantic checks the schema cannot express.
    """
    _validate(doc, RULE_SCHEMA, path)
    where = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (doc.get("where") or {}).items()}
    c = doc["condition"]
    cond = Condition(
        kind=c["kind"],
        op=c.get("op", ">"),
        value=c.get("value"),
        resolve_value=c.get("resolve_value"),
        factor=c.get("factor"),
        baseline_s=parse_duration_s(c["baseline"]) if "baseline" in c else None,
        dimension=c.get("dimension"),
        min_requests=c.get("min_requests"),
        min_rate=c.get("min_rate", 0.01),
    )
    rule = Rule(
        name=doc["name"],
        metric=doc["metric"],
        condition=cond,
        description=doc.get("description", ""),
        enabled=doc.get("enabled", True),
        quantile=doc.get("quantile"),
        error_classes=list(doc.get("error_classes") or []),
        filter=doc.get("filter", ""),
        where=where,
        window_s=parse_duration_s(doc.get("window", "5m")),
        for_s=parse_duration_s(doc.get("for", 0)),
        keep_firing_for_s=parse_duration_s(doc.get("keep_firing_for", 0)),
        renotify_s=parse_duration_s(doc.get("renotify", "4h")),
        min_volume=doc.get("min_volume", 0),
        group_by=list(doc.get("group_by") or []),
        severity=doc.get("severity", "warning"),
        runbook_url=doc.get("runbook_url", ""),
        runbook=doc.get("runbook", ""),
        channels=list(doc.get("channels") or []),
    )
    _check_semantics(rule, path)
    return rule


def _check_semantics(rule: Rule, path: str) -> None:
    """Cross-field rules the JSON schema cannot state clearly."""
    p = f"{path}." if path else ""
    c = rule.condition
    metric = METRICS[rule.metric]
    if rule.window_s <= 0:
        raise RuleError(f"{p}window: must be greater than 0")
    if metric.needs_quantile and rule.quantile is None:
        raise RuleError(f"{p}quantile: required for metric {rule.metric!r} (e.g. 0.95)")
    if c.kind == "threshold" and c.value is None:
        raise RuleError(f"{p}condition.value: required for a threshold condition")
    if c.kind in ("baseline", "median_ratio", "release_regression") and c.factor is None:
        raise RuleError(f"{p}condition.factor: required for a {c.kind} condition")
    if c.kind in ("baseline", "median_ratio", "distribution_change", "zero_traffic") and c.baseline_s is None:
        raise RuleError(f"{p}condition.baseline: required for a {c.kind} condition (e.g. 24h or 7d)")
    if c.kind == "distribution_change" and (c.dimension is None or c.value is None):
        raise RuleError(f"{p}condition.dimension/value: a distribution_change needs both")
    if c.kind == "median_ratio" and not metric.per_request:
        raise RuleError(f"{p}metric: median_ratio needs a per-request metric, not {rule.metric!r}")
    if c.kind == "release_regression":
        if c.min_requests is None:
            raise RuleError(f"{p}condition.min_requests: required for release_regression")
        if not metric.is_rate:
            raise RuleError(f"{p}metric: release_regression compares a failure rate, not {rule.metric!r}")
    if c.resolve_value is not None and c.kind == "threshold" and c.value is not None:
        above = c.op in (">", ">=")
        if (above and c.resolve_value > c.value) or (not above and c.resolve_value < c.value):
            raise RuleError(f"{p}condition.resolve_value: must lie on the healthy side of value")


def parse_channel(doc: Any, path: str = "") -> dict[str, Any]:
    """Validate one notification channel document; returns it unchanged."""
    _validate(doc, CHANNEL_SCHEMA, path)
    return dict(doc)


@dataclass(slots=True)
class RuleFile:
    rules: list[Rule]
    channels: list[dict[str, Any]]


def parse_rule_file(text: str, source: str = "<rules>") -> RuleFile:
    """Parse a YAML rules file (``rules:`` and optional ``channels:``).

    Raises :class:`RuleError` naming the source and the field; nothing is partially applied
    because the caller only gets a result when every rule and channel is valid.
    """
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RuleError(f"{source}: not valid YAML: {e}") from e
    if doc is None:
        doc = {}
    try:
        _validate(doc, FILE_SCHEMA, "")
        rules = [parse_rule(r, f"rules[{i}]") for i, r in enumerate(doc.get("rules") or [])]
        channels = [parse_channel(c, f"channels[{i}]") for i, c in enumerate(doc.get("channels") or [])]
    except RuleError as e:
        raise RuleError(f"{source}: {e}") from e
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RuleError(f"{source}: rules: duplicate rule name(s) {dupes}")
    return RuleFile(rules=rules, channels=channels)


def load_rule_file(path: str | Path) -> RuleFile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RuleError(f"{p}: cannot read the rules file: {e}") from e
    return parse_rule_file(text, str(p))


_DEFAULT_PACK = Path(__file__).with_name("default_rules.yaml")


def default_rules() -> list[Rule]:
    """The default rule pack created for every new project (editable afterwards)."""
    return load_rule_file(_DEFAULT_PACK).rules
