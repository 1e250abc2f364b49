"""Significance tests of the compare view: the statistics, then end to end on DuckDB."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from spyglass.query.compare import compare, distribution_test, holm, proportion_test
from spyglass.query.compile import Scope
from spyglass.store.base import Feedback
from spyglass.store.duckdb import DuckDBStore
from tests.query.ui_spans import MS, T0, request

SCOPE = Scope("p1", T0, T0 + 10 * 3600 * 1000 * MS)


@pytest.mark.unit
def test_proportion_test_picks_fisher_for_small_counts_and_z_otherwise() -> None:
    name, p = proportion_test(1, 10, 4, 10)
    assert name == "Fisher exact"
    assert p == pytest.approx(stats.fisher_exact([[1, 9], [4, 6]])[1])
    name, p = proportion_test(20, 1000, 60, 1000)
    assert name == "two-proportion z-test"
    assert p < 1e-5
    assert proportion_test(50, 1000, 50, 1000)[1] == pytest.approx(1.0)
    assert proportion_test(0, 0, 1, 10) is None


@pytest.mark.unit
def test_distribution_test_is_mann_whitney() -> None:
    a = [float(x) for x in range(50)]
    b = [x + 30 for x in a]
    name, p = distribution_test(a, b)
    assert name == "Mann–Whitney U"
    assert p == pytest.approx(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    assert distribution_test(a, list(a))[1] > 0.9
    assert distribution_test([1.0, 2.0], [3.0, 4.0, 5.0]) is None


@pytest.mark.unit
def test_holm_adjustment() -> None:
    # textbook example: p = 0.01, 0.04, 0.03 -> 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


@pytest.fixture
def store() -> DuckDBStore:
    rnd = random.Random(3)
    s = DuckDBStore(None)
    spans = []
    n = 0
    for _ in range(150):
        n += 1
        spans += request(
            n, prompt_version="v1", duration_ms=rnd.lognormvariate(6, 0.3), error=rnd.random() < 0.02
        )
        n += 1
        spans += request(
            n, prompt_version="v2", duration_ms=rnd.lognormvariate(6.6, 0.3), error=rnd.random() < 0.2
        )
    for i in range(150):
        # identical pair: same values for "same-a" and "same-b"
        ms, err = rnd.lognormvariate(6, 0.3), rnd.random() < 0.05
        spans += request(1000 + 2 * i, prompt_version="same-a", duration_ms=ms, error=err)
        spans += request(1001 + 2 * i, prompt_version="same-b", duration_ms=ms, error=err)
    s.write_batch(spans)
    s.write_feedback(Feedback(project_id="p1", trace_id=f"{1:032x}", thumbs="up"))
    s.write_feedback(Feedback(project_id="p1", trace_id=f"{2:032x}", thumbs="down"))
    return s


@pytest.mark.integration
def test_seeded_regression_is_significant(store: DuckDBStore) -> None:
    c = compare(store, SCOPE, dimension="prompt_version", a="v1", b="v2")
    assert (c.n_a, c.n_b) == (150, 150)
    by_key = {m.key: m for m in c.metrics}
    assert by_key["error_rate"].significant is True and by_key["error_rate"].diff > 0
    assert by_key["latency_p50"].significant is True and by_key["latency_p50"].test == "Mann–Whitney U"
    assert by_key["latency_p95"].significant is None  # tail rows share the distribution test
    assert by_key["feedback_positive_rate"].a == 1.0 and by_key["feedback_positive_rate"].b == 0.0
    assert {len(c.examples["a"]), len(c.examples["b"])} == {5}
    assert c.examples["b"][0]["status"] == "error"  # failures first


@pytest.mark.integration
def test_identical_versions_are_not_different(store: DuckDBStore) -> None:
    c = compare(store, SCOPE, dimension="prompt_version", a="same-a", b="same-b")
    tested = [m for m in c.metrics if m.p_value is not None]
    assert tested and not any(m.significant for m in tested)


@pytest.mark.integration
def test_unknown_dimension_and_empty_side(store: DuckDBStore) -> None:
    with pytest.raises(ValueError, match="dimension"):
        compare(store, SCOPE, dimension="colour", a="x", b="y")
    c = compare(store, SCOPE, dimension="prompt_version", a="v1", b="nope")
    assert c.n_b == 0
    assert {m.key: m for m in c.metrics}["error_rate"].significant is None
