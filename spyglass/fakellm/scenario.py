"""Scenarios: how the fake provider behaves, as data.

A :class:`Scenario` is a seed, a default :class:`Behaviour` and an ordered list of
:class:`Rule` s. For each request, every rule whose :class:`Match` accepts the request is
laid over the defaults in order (later rules win, field by field), which gives the
behaviour for that one request. :class:`Sampler` then draws the concrete outcome
(latencies, error, refusal, output length …) from that behaviour with a seeded RNG, so a
run with the same seed and the same request sequence is reproducible.

Scenarios load from YAML/JSON (:func:`load_scenario`) or are built in Python::

    Scenario(defaults=Behaviour(refusal_rate=0.02),
             rules=[Rule(match=Match(prompt_contains="support-answer@v3"),
                         behaviour=Behaviour(refusal_rate=0.2))])

Unknown keys in a scenario file raise :class:`ScenarioError` naming the key, so a typo
never silently falls back to defaults.
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

#: Error kinds the provider can inject, with the HTTP status each one answers.
ERROR_KINDS: dict[str, int] = {
    "rate_limit": 429,
    "server_error": 500,
    "overloaded": 503,  # Anthropic answers 529 for this kind, see the Anthropic routes
    "timeout": 0,  # no answer at all: the server hangs past the client's timeout
    "content_filter": 200,  # answered, but blocked: finish_reason content_filter
}


class ScenarioError(ValueError):
    """A scenario file or dict that does not describe a valid scenario."""


@dataclass(slots=True)
class LatencySpec:
    """A long-tailed latency: lognormal fitted through its median and 99th percentile."""

    p50_ms: float
    p99_ms: float

    def sample(self, rng: random.Random) -> float:
        if self.p99_ms <= self.p50_ms:
            return self.p50_ms
        mu = math.log(self.p50_ms)
        sigma = (math.log(self.p99_ms) - mu) / 2.326  # z(0.99)
        return rng.lognormvariate(mu, sigma)


@dataclass(slots=True)
class Behaviour:
    """How the provider answers. Every field is optional so that rules can override only
    what they name; :meth:`Scenario.resolve` fills the gaps from :data:`BASE_BEHAVIOUR`."""

    ttft: LatencySpec | None = None  # time to the first token (streams) / to headers
    latency: LatencySpec | None = None  # total response time, always >= ttft
    output_tokens: LatencySpec | None = None  # output length distribution (p50/p99 in tokens)
    error_rates: dict[str, float] | None = None  # kind -> probability, kinds in ERROR_KINDS
    refusal_rate: float | None = None
    cached_share: float | None = None  # share of prompt tokens reported as cache reads
    cache_write_share: float | None = None  # Anthropic cache_creation_input_tokens share
    reasoning_share: float | None = None  # share of output tokens reported as reasoning
    snapshots: dict[str, str] | None = None  # requested model (glob) -> returned snapshot
    retry_after_s: float | None = None  # the retry-after header sent with 429s
    timeout_hang_s: float | None = None  # how long a "timeout" hangs before closing
    no_sleep: bool | None = None  # answer at once; report simulated latency in headers
    tool_call_rate: float | None = None  # probability of a tool call when tools are offered
    invalid_json_rate: float | None = None  # structured output that breaks the schema
    tool_repeat_rate: float | None = None  # probability of another tool call after tool results
    hallucination_rate: float | None = None  # answer cites a source that was not in the prompt


BASE_BEHAVIOUR = Behaviour(
    ttft=LatencySpec(250, 1200),
    latency=LatencySpec(700, 4000),
    output_tokens=LatencySpec(60, 400),
    error_rates={},
    refusal_rate=0.0,
    cached_share=0.0,
    cache_write_share=0.0,
    reasoning_share=0.0,
    snapshots={},
    retry_after_s=1.0,
    timeout_hang_s=120.0,
    no_sleep=False,
    tool_call_rate=1.0,
    invalid_json_rate=0.0,
    tool_repeat_rate=0.25,
    hallucination_rate=0.0,
)


@dataclass(slots=True)
class RequestInfo:
    """What rules can match on, extracted once per request by the routes."""

    api: str  # "openai.chat", "openai.responses", "openai.embeddings", "anthropic.messages"
    model: str
    prompt_text: str
    headers: Mapping[str, str]
    api_key: str | None
    time_s: float = 0.0  # the request's clock: wall time, or the x-fake-clock header (simulations)


@dataclass(slots=True)
class Match:
    """All given conditions must hold (an empty match accepts every request).

    ``model`` and ``api_key`` are shell globs; ``prompt_contains`` is a substring of the
    concatenated prompt (system + messages); ``headers`` maps a header name to a glob;
    ``after``/``before`` (epoch seconds) bound the request's clock, which schedules changes
    such as a snapshot swap or an outage window."""

    model: str | None = None
    api: str | None = None
    prompt_contains: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    api_key: str | None = None
    after: float | None = None
    before: float | None = None

    def accepts(self, req: RequestInfo) -> bool:
        if self.model is not None and not fnmatch.fnmatchcase(req.model, self.model):
            return False
        if self.api is not None and not fnmatch.fnmatchcase(req.api, self.api):
            return False
        if self.prompt_contains is not None and self.prompt_contains not in req.prompt_text:
            return False
        if self.api_key is not None and not fnmatch.fnmatchcase(req.api_key or "", self.api_key):
            return False
        if self.after is not None and req.time_s < self.after:
            return False
        if self.before is not None and req.time_s >= self.before:
            return False
        for name, pattern in self.headers.items():
            value = req.headers.get(name.lower())
            if value is None or not fnmatch.fnmatchcase(value, pattern):
                return False
        return True


@dataclass(slots=True)
class Rule:
    match: Match
    behaviour: Behaviour
    name: str | None = None


@dataclass(slots=True)
class Scenario:
    """The whole script. ``resolve`` is pure; sampling state lives in :class:`Sampler`."""

    seed: int = 0
    defaults: Behaviour = field(default_factory=Behaviour)
    rules: list[Rule] = field(default_factory=list)

    def resolve(self, req: RequestInfo) -> Behaviour:
        """The behaviour for one request: base, then defaults, then matching rules."""
        merged = overlay_behaviour(BASE_BEHAVIOUR, self.defaults)
        for rule in self.rules:
            if rule.match.accepts(req):
                merged = overlay_behaviour(merged, rule.behaviour)
        return merged


def overlay_behaviour(base: Behaviour, top: Behaviour) -> Behaviour:
    """``top`` over ``base``: set fields win, dict fields merge key by key."""
    changes: dict[str, Any] = {}
    for f in fields(Behaviour):
        value = getattr(top, f.name)
        if value is None:
            continue
        if isinstance(value, dict):
            # dicts merge key by key, so a rule can raise one error rate or swap one snapshot
            value = {**(getattr(base, f.name) or {}), **value}
        changes[f.name] = value
    return replace(base, **changes)


def snapshot_for(behaviour: Behaviour, model: str) -> str:
    """The snapshot string returned for a requested model (the model itself if unmapped)."""
    for pattern, snapshot in (behaviour.snapshots or {}).items():
        if fnmatch.fnmatchcase(model, pattern):
            return snapshot
    return model


@dataclass(slots=True)
class Outcome:
    """One drawn outcome for one request."""

    ttft_ms: float
    latency_ms: float
    output_tokens: int
    error: str | None  # a key of ERROR_KINDS, or None
    refusal: bool
    tool_call: bool
    tool_repeat: bool
    invalid_json: bool
    hallucination: bool
    rng: random.Random  # a per-request RNG, for the routes' own choices (words, values)


class Sampler:
    """Draws outcomes from behaviours. Thread-safe: one lock around the master RNG, from
    which each request gets its own child RNG (so concurrent requests stay reproducible
    for a given arrival order)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, behaviour: Behaviour, forced: str | None = None) -> Outcome:
        """``forced`` (from the ``x-fake-force`` header or a ``[[fake:force=…]]`` marker)
        replaces the random error/refusal/quality draws: an error kind, ``refusal``,
        ``invalid_json``, ``hallucination``, or ``ok``."""
        with self._lock:
            rng = random.Random(self._rng.getrandbits(64))
        assert behaviour.ttft and behaviour.latency and behaviour.output_tokens
        ttft = behaviour.ttft.sample(rng)
        latency = max(ttft, behaviour.latency.sample(rng))
        tokens = max(1, round(behaviour.output_tokens.sample(rng)))
        error: str | None = None
        roll = rng.random()
        for kind, rate in (behaviour.error_rates or {}).items():
            if roll < rate:
                error = kind
                break
            roll -= rate
        refusal = rng.random() < (behaviour.refusal_rate or 0.0)
        tool_call = rng.random() < (behaviour.tool_call_rate or 0.0)
        tool_repeat = rng.random() < (behaviour.tool_repeat_rate or 0.0)
        invalid_json = rng.random() < (behaviour.invalid_json_rate or 0.0)
        hallucination = rng.random() < (behaviour.hallucination_rate or 0.0)
        if forced is not None:
            error = forced if forced in ERROR_KINDS else None
            refusal = forced == "refusal"
            invalid_json = forced == "invalid_json"
            hallucination = forced == "hallucination"
        if error == "content_filter" or refusal:
            tokens = min(tokens, 40)
        return Outcome(
            ttft_ms=ttft,
            latency_ms=latency,
            output_tokens=tokens,
            error=error,
            refusal=refusal,
            tool_call=tool_call,
            tool_repeat=tool_repeat,
            invalid_json=invalid_json,
            hallucination=hallucination,
            rng=rng,
        )


# ---------------------------------------------------------------- loading


def scenario_from_dict(data: Mapping[str, Any]) -> Scenario:
    """Build a scenario from plain data (what YAML/JSON gives). Raises ScenarioError."""
    if not isinstance(data, Mapping):
        raise ScenarioError("a scenario must be a mapping with keys seed, defaults, rules")
    _reject_unknown(data, {"seed", "defaults", "rules"}, "scenario")
    seed = data.get("seed", 0)
    if not isinstance(seed, int):
        raise ScenarioError(f"seed must be an integer, got {seed!r}")
    rules: list[Rule] = []
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ScenarioError("rules must be a list")
    for index, raw in enumerate(raw_rules):
        where = f"rules[{index}]"
        if not isinstance(raw, Mapping):
            raise ScenarioError(f"{where} must be a mapping")
        _reject_unknown(raw, {"name", "match", "behaviour", "behavior"}, where)
        rules.append(
            Rule(
                match=_match_from_dict(raw.get("match") or {}, f"{where}.match"),
                behaviour=behaviour_from_dict(raw.get("behaviour") or raw.get("behavior") or {}, where),
                name=raw.get("name"),
            )
        )
    return Scenario(
        seed=seed, defaults=behaviour_from_dict(data.get("defaults") or {}, "defaults"), rules=rules
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a YAML (or JSON, which is YAML) file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return scenario_from_dict(data or {})


def _match_from_dict(data: Mapping[str, Any], where: str) -> Match:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where} must be a mapping")
    _reject_unknown(data, {f.name for f in fields(Match)} | {"header"}, where)
    headers = {str(k).lower(): str(v) for k, v in (data.get("headers") or data.get("header") or {}).items()}
    return Match(
        model=data.get("model"),
        api=data.get("api"),
        prompt_contains=data.get("prompt_contains"),
        headers=headers,
        api_key=data.get("api_key"),
        after=_epoch(data.get("after"), f"{where}.after"),
        before=_epoch(data.get("before"), f"{where}.before"),
    )


def _epoch(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ScenarioError(f"{where} must be epoch seconds or an ISO-8601 time, got {value!r}") from None


def behaviour_from_dict(data: Mapping[str, Any], where: str = "behaviour") -> Behaviour:
    """Build a Behaviour from plain data; latencies are ``{p50_ms, p99_ms}`` and output
    length ``{p50, p99}``."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where} must be a mapping")
    names = {f.name for f in fields(Behaviour)}
    _reject_unknown(data, names, where)
    values: dict[str, Any] = {}
    for name in names:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if name in ("ttft", "latency"):
            values[name] = _latency(value, f"{where}.{name}", "p50_ms", "p99_ms")
        elif name == "output_tokens":
            values[name] = _latency(value, f"{where}.{name}", "p50", "p99")
        elif name == "error_rates":
            if not isinstance(value, Mapping):
                raise ScenarioError(f"{where}.error_rates must be a mapping of kind -> rate")
            for kind, rate in value.items():
                if kind not in ERROR_KINDS:
                    raise ScenarioError(
                        f"{where}.error_rates: unknown kind {kind!r} (known: {', '.join(ERROR_KINDS)})"
                    )
                _rate(rate, f"{where}.error_rates.{kind}")
            values[name] = {str(k): float(v) for k, v in value.items()}
        elif name == "snapshots":
            if not isinstance(value, Mapping):
                raise ScenarioError(f"{where}.snapshots must map requested model -> snapshot")
            values[name] = {str(k): str(v) for k, v in value.items()}
        elif name == "no_sleep":
            values[name] = bool(value)
        elif name.endswith("_rate") or name.endswith("_share"):
            values[name] = _rate(value, f"{where}.{name}")
        else:
            values[name] = float(value)
    return Behaviour(**values)


def _latency(value: Any, where: str, p50: str, p99: str) -> LatencySpec:
    if isinstance(value, (int, float)):
        return LatencySpec(float(value), float(value))
    if not isinstance(value, Mapping) or p50 not in value:
        raise ScenarioError(f"{where} must be a number or a mapping with {p50} (and optionally {p99})")
    _reject_unknown(value, {p50, p99}, where)
    low = float(value[p50])
    high = float(value.get(p99, low))
    if low <= 0 or high < low:
        raise ScenarioError(f"{where}: need 0 < {p50} <= {p99}, got {low} and {high}")
    return LatencySpec(low, high)


def _rate(value: Any, where: str) -> float:
    if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ScenarioError(f"{where} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _reject_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The inverse of :func:`scenario_from_dict` (unset fields left out)."""
    return {
        "seed": scenario.seed,
        "defaults": behaviour_to_dict(scenario.defaults),
        "rules": [
            {
                **({"name": rule.name} if rule.name else {}),
                "match": {k: v for k, v in asdict(rule.match).items() if v not in (None, {})},
                "behaviour": behaviour_to_dict(rule.behaviour),
            }
            for rule in scenario.rules
        ],
    }


def behaviour_to_dict(behaviour: Behaviour) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Behaviour):
        value = getattr(behaviour, f.name)
        if value is None:
            continue
        if isinstance(value, LatencySpec):
            keys = ("p50", "p99") if f.name == "output_tokens" else ("p50_ms", "p99_ms")
            value = {keys[0]: value.p50_ms, keys[1]: value.p99_ms}
        out[f.name] = value
    return out
