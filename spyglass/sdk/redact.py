"""Redaction before anything leaves the process.

Two pieces:

* :class:`TextRedactor` masks secrets and personal data in one string, replacing each finding
  with a typed marker such as ``[REDACTED:credit_card]``. Secret patterns come from
  ``detect-secrets`` (Yelp's maintained, offline regex plugins) when it is installed, plus our
  own patterns for what it does not cover (``sk-ant-…``/``sk-proj-…`` keys, bearer tokens,
  ``password=…`` in config, Luhn-checked card numbers, emails, phone numbers). User callbacks
  ``fn(text) -> text`` run last.
* :class:`RedactingSpanExporter` applies the capture mode to every span of an export batch
  (on the batch worker thread, never on the caller's): ``full`` passes spans through,
  ``redacted`` masks every free-text attribute and exception message, ``metadata_only`` drops
  content attributes entirely. It fails closed: if masking a value raises, the value is
  replaced by ``[REDACTED:error]``, never sent as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status

from spyglass.model import attributes as A
from spyglass.sdk._guard import report_internal_error
from spyglass.sdk.config import CaptureMode

Replacer = Callable[[str], str]


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A regex whose match (or its ``group`` when >0) is replaced by ``[REDACTED:kind]``."""

    kind: str
    regex: re.Pattern[str]
    group: int = 0
    check: Callable[[str], bool] | None = None

    def sub(self, text: str) -> str:
        def _replace(m: re.Match[str]) -> str:
            secret = m.group(self.group)
            if secret is None or (self.check is not None and not self.check(secret)):
                return m.group(0)
            if self.group == 0:
                return marker(self.kind)
            start, end = m.span(self.group)
            base = m.start(0)
            whole = m.group(0)
            return whole[: start - base] + marker(self.kind) + whole[end - base :]

        return self.regex.sub(_replace, text)


def luhn_valid(candidate: str) -> bool:
    """True when the digits of ``candidate`` (13–19 of them) pass the Luhn checksum."""
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Our own secret patterns: the ones detect-secrets lacks (Anthropic and project-scoped OpenAI
# keys, bearer headers, config passwords) and a fallback for the ones it has.
_OWN_SECRET_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(
        "private_key",
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    ),
    _Pattern("api_key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{16,}")),
    _Pattern("api_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    _Pattern("bearer_token", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{12,}=*)"), group=1),
    _Pattern("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")),
    _Pattern("aws_access_key", re.compile(r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")),
    _Pattern("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    _Pattern("password", re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:)([^\s@/]+)(@)"), group=2),
    _Pattern(
        "password",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|access[_-]?token)"
            r"(\"?\s*[=:]\s*\"?)([^\s\"',;&}]{3,})"
        ),
        group=2,
    ),
)

# detect-secrets plugins worth running on free text: precise, prefix-anchored patterns. Entropy
# and keyword plugins are left out (they would mask ids and hashes everywhere).
_DETECT_SECRETS_PLUGINS: dict[str, str] = {
    "AWSKeyDetector": "aws_access_key",
    "AzureStorageKeyDetector": "azure_storage_key",
    "BasicAuthDetector": "password",
    "DiscordBotTokenDetector": "discord_token",
    "GitHubTokenDetector": "github_token",
    "GitLabTokenDetector": "gitlab_token",
    "JwtTokenDetector": "jwt",
    "MailchimpDetector": "mailchimp_key",
    "NpmDetector": "npm_token",
    "OpenAIDetector": "api_key",
    "PypiTokenDetector": "pypi_token",
    "SendGridDetector": "sendgrid_key",
    "SlackDetector": "slack_token",
    "SquareOAuthDetector": "square_secret",
    "StripeDetector": "stripe_key",
}


def _detect_secrets_patterns() -> tuple[_Pattern, ...]:
    """Regexes from the installed detect-secrets plugins (empty when it is not installed)."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError:
        return ()
    patterns: list[_Pattern] = []
    try:
        plugin_classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
        for cls in plugin_classes:
            kind = _DETECT_SECRETS_PLUGINS.get(cls.__name__)
            if kind is None:
                continue
            for regex in getattr(cls(), "denylist", ()):
                # detect-secrets reports group 1 as the secret when the pattern has groups.
                patterns.append(_Pattern(kind, regex, group=1 if regex.groups else 0))
    except Exception:
        report_internal_error("redact.detect_secrets")
    return tuple(patterns)


_CARD = _Pattern("credit_card", re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])"), check=luhn_valid)
_EMAIL = _Pattern("email", re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"))
_PHONE = _Pattern(
    "phone",
    # Not preceded/followed by a digit group with a dot, so IPs and versions are left alone.
    re.compile(
        r"(?<![\w+.])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)[ .\-]?|\d{2,4}[ .\-])\d{3,4}[ .\-]\d{3,4}(?!\w)(?!\.\d)"
    ),
)

# Built-in detector groups, selectable with init(detectors=[...]).
BUILTIN_DETECTORS: tuple[str, ...] = ("secrets", "credit_cards", "emails", "phones")


class TextRedactor:
    """Masks secrets and personal data in text. Thread-safe (patterns are immutable)."""

    def __init__(self, detectors: Iterable[str] | None = None, callbacks: Sequence[Replacer] = ()) -> None:
        chosen = set(BUILTIN_DETECTORS if detectors is None else detectors)
        patterns: list[_Pattern] = []
        if "secrets" in chosen:
            patterns.extend(_OWN_SECRET_PATTERNS)
            patterns.extend(_detect_secrets_patterns())
        if "credit_cards" in chosen:
            patterns.append(_CARD)
        if "emails" in chosen:
            patterns.append(_EMAIL)
        if "phones" in chosen:
            patterns.append(_PHONE)
        self._patterns = tuple(patterns)
        self._callbacks = tuple(callbacks)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every finding replaced; user callbacks run after the built-ins."""
        for pattern in self._patterns:
            text = pattern.sub(text)
        for callback in self._callbacks:
            result = callback(text)
            if not isinstance(result, str):
                raise TypeError(f"redact callback {callback!r} returned {type(result).__name__}, not str")
            text = result
        return text


# Values that are identifiers we chose or the app chose on purpose: masking them would only
# break grouping (a model name is never a secret; a user id is the app's to choose).
_STRUCTURAL_KEYS: frozenset[str] = frozenset(
    {
        A.GEN_AI_OPERATION_NAME,
        A.GEN_AI_PROVIDER_NAME,
        A.GEN_AI_REQUEST_MODEL,
        A.GEN_AI_RESPONSE_MODEL,
        A.GEN_AI_RESPONSE_ID,
        A.SPAN_KIND,
        A.ERROR_TYPE,
        A.ERROR_CLASS,
        A.SESSION_ID,
        A.USER_ID,
        A.TENANT_ID,
        A.FEATURE,
        A.PROMPT_NAME,
        A.PROMPT_VERSION,
        A.ENVIRONMENT,
        A.RELEASE,
        A.TOOL_NAME,
        A.TOOL_STATUS,
        A.GUARDRAIL_DECISION,
        A.GUARDRAIL_RULE,
        A.OUTPUT_JSON_SCHEMA,
        A.GEN_AI_TOOL_DEFINITIONS,
        "exception.type",
    }
)

# Flattened content attributes other instrumentations emit (OpenInference, OpenLLMetry ≤0.54).
_CONTENT_PREFIXES: tuple[str, ...] = (
    "llm.input_messages.",
    "llm.output_messages.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "retrieval.documents.",
    "embedding.embeddings.",
)


def is_content_attribute(key: str) -> bool:
    """True for attributes that carry prompts, completions, arguments or documents."""
    return key in A.CONTENT_ATTRIBUTES or key.startswith(_CONTENT_PREFIXES)


class SpanRedaction:
    """Applies a capture mode to spans. ``apply`` returns a new span (or the same in full mode)."""

    def __init__(self, mode: CaptureMode, text_redactor: Replacer) -> None:
        self.mode = mode
        self._redact = text_redactor

    def _safe(self, text: str) -> str:
        try:
            return self._redact(text)
        except Exception:
            report_internal_error("redact.text")
            return marker("error")

    def _text(self, text: str) -> str:
        """Redact one value; JSON documents stay valid JSON (content attributes are JSON)."""
        redacted = self._safe(text)
        if redacted is text or redacted == text or not text.startswith(("[", "{")):
            return redacted
        try:
            json.loads(redacted)
            return redacted
        except ValueError:
            try:
                return redact_json_text(text, self._redact)
            except Exception:
                report_internal_error("redact.json")
                return marker("error")

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, (list, tuple)):
            return tuple(self._safe(v) if isinstance(v, str) else v for v in value)
        return value

    def attributes(self, attrs: Mapping[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (attrs or {}).items():
            content = is_content_attribute(key)
            if self.mode is CaptureMode.METADATA_ONLY and content:
                if key == A.RETRIEVAL_DOCUMENTS and isinstance(value, str):
                    kept = _document_ids_and_scores(value)
                    if kept is not None:
                        out[key] = kept
                continue
            if key in _STRUCTURAL_KEYS and not content:
                out[key] = value
            else:
                out[key] = self._value(value)
        return out

    def apply(self, span: ReadableSpan) -> ReadableSpan:
        if self.mode is CaptureMode.FULL:
            return span
        events = tuple(
            Event(name=e.name, attributes=self.attributes(e.attributes), timestamp=e.timestamp)
            for e in span.events
        )
        status = span.status
        if status.description:
            status = Status(status.status_code, self._safe(status.description))
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=self.attributes(span.attributes),
            events=events,
            links=span.links,
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )


class RedactingSpanExporter(SpanExporter):
    """Wraps an exporter; spans are redacted per the capture mode before the inner export.

    Fail-closed contract: a span whose redaction fails as a whole is dropped (and counted in
    ``redaction_failures``), never exported unredacted.
    """

    def __init__(self, inner: SpanExporter, redaction: SpanRedaction) -> None:
        self._inner = inner
        self._redaction = redaction
        self.redaction_failures = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        clean: list[ReadableSpan] = []
        for span in spans:
            try:
                clean.append(self._redaction.apply(span))
            except Exception:
                self.redaction_failures += 1
                report_internal_error("RedactingSpanExporter.export")
        if not clean:
            return SpanExportResult.SUCCESS
        return self._inner.export(clean)

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _document_ids_and_scores(documents_json: str) -> str | None:
    """Retrieved documents reduced to ``{id, score}`` (metadata), or None if unreadable."""
    try:
        docs = json.loads(documents_json)
        kept = [{k: d[k] for k in ("id", "score") if k in d} for d in docs if isinstance(d, dict)]
    except (ValueError, TypeError):
        return None
    return json.dumps(kept, separators=(",", ":"))


def redact_json_text(text: str, redactor: Replacer) -> str:
    """Redact the string leaves of a JSON document (keeps it valid JSON); plain text otherwise."""
    try:
        doc = json.loads(text)
    except ValueError:
        return redactor(text)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return redactor(node)
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    return json.dumps(walk(doc), ensure_ascii=False)
