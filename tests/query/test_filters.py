"""Parser: good filters give the expected AST, bad ones a FilterError with a position."""

from __future__ import annotations

import pytest

from spyglass.query.filters import And, Compare, FieldRef, FilterError, Not, Or, Present, Text, parse

pytestmark = pytest.mark.unit


def test_empty_filter_is_none() -> None:
    assert parse("") is None
    assert parse("   ") is None
    assert parse(None) is None


def test_implicit_and_of_terms_and_free_text() -> None:
    node = parse('model:gpt-4o* status:error latency_ms>5000 feature:support "refund policy"')
    assert isinstance(node, And)
    model, status, latency, feature, text = node.items
    assert model == Compare(FieldRef("model"), ":", ("gpt-4o*",), True, 0)
    assert status == Compare(FieldRef("status"), ":", ("error",), False, 14)
    assert latency == Compare(FieldRef("duration_ms"), ">", (5000.0,), False, 27)
    assert isinstance(feature, Compare) and feature.values == ("support",)
    assert text == Text("refund policy", 59)


@pytest.mark.parametrize(
    ("text", "field", "op", "values"),
    [
        ("cost>=0.5", "cost_usd", ">=", (0.5,)),
        ("tokens<10", "total_tokens", "<", (10.0,)),
        ("ttft_ms<=200", "ttft_ms", "<=", (200.0,)),
        ("refusal:true", "refusal", ":", (True,)),
        ("stream:no", "stream", ":", (False,)),
        ("snapshot:gpt-4o-2024-08-06", "response_model", ":", ("gpt-4o-2024-08-06",)),
        ('prompt:"support answer"', "prompt_name", ":", ("support answer",)),
        ("model:a,b", "model", ":", ("a", "b")),
        ('model:(a OR "b c")', "model", ":", ("a", "b c")),
        ("env:prod", "environment", ":", ("prod",)),
        ("session:s-1", "session_id", ":", ("s-1",)),
    ],
)
def test_fields_aliases_and_values(text: str, field: str, op: str, values: tuple[object, ...]) -> None:
    node = parse(text)
    assert isinstance(node, Compare)
    assert (node.field.name, node.op, node.values) == (field, op, values)


def test_attribute_and_metadata_keys_keep_their_case_and_dots() -> None:
    node = parse("attr.App.Tier:gold metadata.customer_id:42")
    assert isinstance(node, And)
    assert node.items[0] == Compare(FieldRef("attr", "attr", "App.Tier"), ":", ("gold",), False, 0)
    assert isinstance(node.items[1], Compare) and node.items[1].field.key == "customer_id"


def test_negation_or_and_parentheses() -> None:
    node = parse("-model:a OR (b NOT c)")
    assert isinstance(node, Or)
    neg, group = node.items
    assert isinstance(neg, Not) and isinstance(neg.item, Compare) and neg.item.position == 1
    assert group == And((Text("b", 13), Not(Text("c", 19))))


def test_not_equal_is_negated_match() -> None:
    node = parse("status!=ok")
    assert node == Not(Compare(FieldRef("status"), ":", ("ok",), False, 0))


def test_presence() -> None:
    assert parse("has:session") == Present(FieldRef("session_id"), 0)
    assert parse("tool:*") == Present(FieldRef("tool_name"), 0)
    assert parse("has:attr.x") == Present(FieldRef("attr", "attr", "x"), 0)


def test_explicit_and_keyword() -> None:
    assert parse("a AND b") == And((Text("a", 0), Text("b", 6)))


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("modle:gpt-4o", "unknown field 'modle'; did you mean 'model'?", 0),
        ("latency_ms>", "expected a number after 'latency_ms>'", 11),
        ("latency_ms>fast", "expected a number after 'latency_ms>'", 11),
        ("x cost:abc", "expected a number after 'cost:'", 7),
        ("status:errr", "unknown status 'errr'; did you mean 'error'?", 7),
        ("kind:banana", "unknown kind 'banana'", 5),
        ("refusal:maybe", "expected true or false after 'refusal:', got 'maybe'", 8),
        ("(model:a", "expected ')' to close '('", 0),
        ("model:a)", "unexpected ')'", 7),
        ("a OR", "expected a term but found 'end of filter'", 4),
        ('x "abc', "unterminated quoted string", 2),
        ("model:", "expected a value after 'model:'", 6),
        ("has:", "expected a field name after 'has:'", 4),
        ("attr.:x", "missing key after 'attr.'", 0),
        ("refusal>1", "'>' does not apply to field 'refusal'", 0),
        ("model:()", "empty value list", 6),
    ],
)
def test_errors_name_the_token_and_position(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert info.value.message.startswith(message)
    assert info.value.position == position
    assert str(info.value).endswith(f"at {position}")
