"""The filter language (``q=``): a hand-written tokenizer and recursive-descent parser.

Grammar (AND is implicit between adjacent terms; see docs/filters.md)::

    query    := or_expr? EOF
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*
    unary    := "NOT" unary | "-" unary | primary
    primary  := "(" or_expr ")" | term
    term     := FIELD OP value | "has:" FIELD | TEXT
    value    := WORD | QUOTED | WORD ("," WORD)* | "(" value ("OR"|",") value ... ")"

``parse(text)`` returns an AST of frozen dataclasses or raises ``FilterError`` naming the
offending token and its character position. Fields are checked here (unknown field,
wrong value type, unknown enum value) so every error comes back with a position; the
mapping of fields to columns lives in ``compile.py``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from spyglass.model.span import ErrorClass, SpanKind, StatusCode


class FilterError(ValueError):
    """A filter that cannot be parsed; ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at {position}" if position >= 0 else message)
        self.message = message
        self.position = position


FieldType = Literal["str", "id", "num", "bool", "enum"]

# canonical field -> value type
FIELDS: dict[str, FieldType] = {
    "model": "str",
    "response_model": "str",
    "provider": "str",
    "kind": "enum",
    "name": "str",
    "status": "enum",
    "error_class": "enum",
    "refusal": "bool",
    "prompt_name": "str",
    "prompt_version": "str",
    "session_id": "str",
    "user_id": "str",
    "tenant_id": "str",
    "feature": "str",
    "environment": "str",
    "release": "str",
    "service_name": "str",
    "trace_id": "id",
    "span_id": "id",
    "finish_reason": "str",
    "tool_name": "str",
    "duration_ms": "num",
    "ttft_ms": "num",
    "cost_usd": "num",
    "total_tokens": "num",
    "input_tokens": "num",
    "output_tokens": "num",
    "schema_valid": "bool",
    "stream": "bool",
    "operation": "str",
    "agent_name": "str",
    "counted": "bool",
}

ALIASES: dict[str, str] = {
    "snapshot": "response_model",
    "error": "error_class",
    "prompt": "prompt_name",
    "session": "session_id",
    "user": "user_id",
    "tenant": "tenant_id",
    "env": "environment",
    "service": "service_name",
    "tool": "tool_name",
    "latency_ms": "duration_ms",
    "cost": "cost_usd",
    "tokens": "total_tokens",
    "agent": "agent_name",
}

ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "kind": tuple(k.value for k in SpanKind),
    "status": tuple(s.value for s in StatusCode),
    "error_class": tuple(e.value for e in ErrorClass),
}

MAP_PREFIXES = ("attr.", "metadata.")

_BOOL_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_OPS = (">=", "<=", "!=", ":", ">", "<")


# ---- AST ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A canonical field, or a map lookup (``map_name`` = attr/metadata, ``key``)."""

    name: str
    map_name: str | None = None
    key: str | None = None

    @property
    def type(self) -> FieldType:
        return "str" if self.map_name else FIELDS[self.name]

    def __str__(self) -> str:
        return f"{self.map_name}.{self.key}" if self.map_name else self.name


Value = str | float | bool


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; several values mean "any of" (op is ':' then). A string value
    with ``glob`` holds ``*`` wildcards."""

    field: FieldRef
    op: str  # ':' (equals/matches), '>', '>=', '<', '<=', '!='
    values: tuple[Value, ...]
    glob: bool
    position: int


@dataclass(frozen=True, slots=True)
class Present:
    field: FieldRef
    position: int


@dataclass(frozen=True, slots=True)
class Text:
    """Free text (a word or a quoted phrase) matched case-insensitively over content."""

    text: str
    position: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Compare | Present | Text | And | Or | Not


# ---- tokenizer ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: Literal["word", "quoted", "lparen", "rparen", "eof"]
    text: str
    position: int
    end: int  # offset just past the token (adjacency tells "field:" + value apart)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            tokens.append(Token("lparen", c, i, i + 1))
            i += 1
        elif c == ")":
            tokens.append(Token("rparen", c, i, i + 1))
            i += 1
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise FilterError("unterminated quoted string", i)
            tokens.append(Token("quoted", "".join(buf), i, j + 1))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            tokens.append(Token("word", text[i:j], i, j))
            i = j
    tokens.append(Token("eof", "", n, n))
    return tokens


# ---- parser -------------------------------------------------------------------------------


def resolve_field(name: str, position: int) -> FieldRef:
    """Canonical field for a name/alias/``attr.<key>``; ``FilterError`` with a suggestion."""
    lowered = name.lower()
    for prefix in MAP_PREFIXES:
        if lowered.startswith(prefix):
            key = name[len(prefix) :]
            if not key:
                raise FilterError(f"missing key after '{name}'", position)
            return FieldRef(prefix[:-1], prefix[:-1], key)
    if lowered in FIELDS:
        return FieldRef(lowered)
    if lowered in ALIASES:
        return FieldRef(ALIASES[lowered])
    close = difflib.get_close_matches(lowered, [*FIELDS, *ALIASES], n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise FilterError(f"unknown field '{name}'{hint}", position)


def _split_field_op(word: str) -> tuple[str, str, str] | None:
    """'latency_ms>=5' -> ('latency_ms', '>=', '5'); None when the word is not a term."""
    best: tuple[int, str] | None = None
    for op in _OPS:
        idx = word.find(op)
        if idx > 0 and (best is None or idx < best[0] or (idx == best[0] and len(op) > len(best[1]))):
            best = (idx, op)
    if best is None:
        return None
    idx, op = best
    name = word[:idx]
    if not (name[0].isalpha() or name[0] == "_") or not all(ch.isalnum() or ch in "_.-" for ch in name):
        return None
    return name, op, word[idx + len(op) :]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def is_keyword(self, word: str) -> bool:
        return self.tok.kind == "word" and self.tok.text == word

    def parse(self) -> Node | None:
        if self.tok.kind == "eof":
            return None
        node = self.or_expr()
        if self.tok.kind != "eof":
            raise FilterError(f"unexpected '{self.tok.text}'", self.tok.position)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_keyword("OR"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.tok.kind not in ("eof", "rparen") and not self.is_keyword("OR"):
            if self.is_keyword("AND"):
                self.advance()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        t = self.tok
        if t.kind == "eof" or t.kind == "rparen" or self.is_keyword("OR") or self.is_keyword("AND"):
            shown = t.text or "end of filter"
            raise FilterError(f"expected a term but found '{shown}'", t.position)
        if self.is_keyword("NOT"):
            self.advance()
            return Not(self.unary())
        if t.kind == "word" and t.text == "-":
            self.advance()
            if self.tok.position != t.end:
                raise FilterError("'-' must be followed directly by a term", t.position)
            return Not(self.unary())
        if t.kind == "word" and t.text.startswith("-") and len(t.text) > 1:
            # "-field:value" / "-word": negate the rest of the token
            self.tokens[self.i] = Token("word", t.text[1:], t.position + 1, t.end)
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "lparen":
            self.advance()
            node = self.or_expr()
            if self.tok.kind != "rparen":
                raise FilterError("expected ')' to close '('", t.position)
            self.advance()
            return node
        if t.kind == "quoted":
            self.advance()
            return Text(t.text, t.position)
        self.advance()
        split = _split_field_op(t.text)
        if split is None:
            return Text(t.text, t.position)
        name, op, rest = split
        if name.lower() == "has" and op == ":":
            if not rest:
                raise FilterError("expected a field name after 'has:'", t.end)
            return Present(resolve_field(rest, t.position + 4), t.position)
        field = resolve_field(name, t.position)
        value_pos = t.position + len(name) + len(op)
        if rest:
            if op == ":" and rest == "*":
                return Present(field, t.position)
            raw = rest.split(",") if op == ":" and "," in rest else [rest]
            return self.compare(field, op, [(r, False, value_pos) for r in raw], t.position, name + op)
        nxt = self.tok
        if nxt.position == t.end and nxt.kind == "quoted":
            self.advance()
            return self.compare(field, op, [(nxt.text, True, nxt.position)], t.position, name + op)
        if nxt.position == t.end and nxt.kind == "lparen" and op == ":":
            return self.compare(field, op, self.value_list(), t.position, name + op)
        what = "a number" if field.type == "num" or op in (">", ">=", "<", "<=") else "a value"
        raise FilterError(f"expected {what} after '{name}{op}'", value_pos)

    def value_list(self) -> list[tuple[str, bool, int]]:
        open_tok = self.advance()
        values: list[tuple[str, bool, int]] = []
        while True:
            t = self.tok
            if t.kind == "word" and t.text not in ("OR", ","):
                values.extend((part, False, t.position) for part in t.text.split(",") if part)
            elif t.kind == "quoted":
                values.append((t.text, True, t.position))
            elif t.kind == "rparen":
                break
            elif t.kind == "eof":
                raise FilterError("expected ')' to close '('", open_tok.position)
            elif t.kind != "word":
                raise FilterError(f"unexpected '{t.text}' in a value list", t.position)
            self.advance()
        self.advance()
        if not values:
            raise FilterError("empty value list", open_tok.position)
        return values

    def compare(
        self, field: FieldRef, op: str, raw: list[tuple[str, bool, int]], position: int, prefix: str
    ) -> Node:
        values: list[Value] = []
        glob = False
        ftype = field.type
        for text, quoted, pos in raw:
            if not text:
                raise FilterError(f"empty value after '{prefix}'", pos)
            if op in (">", ">=", "<", "<="):
                if ftype not in ("num", "str"):  # attr.* values may be numbers
                    raise FilterError(f"'{op}' does not apply to field '{field}'", position)
                try:
                    values.append(float(text))
                except ValueError:
                    raise FilterError(f"expected a number after '{prefix}'", pos) from None
                continue
            if ftype == "num":
                try:
                    values.append(float(text))
                except ValueError:
                    raise FilterError(f"expected a number after '{prefix}'", pos) from None
            elif ftype == "bool":
                if text.lower() not in _BOOL_WORDS:
                    raise FilterError(f"expected true or false after '{prefix}', got '{text}'", pos)
                values.append(_BOOL_WORDS[text.lower()])
            else:
                is_glob = "*" in text and not quoted
                if ftype == "enum" and not is_glob and text.lower() not in ENUM_VALUES[field.name]:
                    allowed = ENUM_VALUES[field.name]
                    close = difflib.get_close_matches(text.lower(), allowed, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else f" (one of {', '.join(allowed)})"
                    raise FilterError(f"unknown {field.name} '{text}'{hint}", pos)
                glob = glob or is_glob
                values.append(text if is_glob or quoted else text)
        if op == "!=":
            return Not(Compare(field, ":", tuple(values), glob, position))
        return Compare(field, op, tuple(values), glob, position)


def parse(text: str | None) -> Node | None:
    """Parse a filter; ``None`` for an empty filter. Raises ``FilterError``."""
    if text is None or not text.strip():
        return None
    return _Parser(text).parse()
