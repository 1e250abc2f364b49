"""Time slices used to fill time-sorted pages cover the range exactly, in order."""

from __future__ import annotations

import pytest

from spyglass.query.common import time_slices

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0, 48), (5, 1000), (10**18, 10**18 + 86_400 * 10**9)])
@pytest.mark.parametrize("descending", [True, False])
def test_slices_are_disjoint_ordered_and_cover_the_range(start: int, end: int, descending: bool) -> None:
    slices = list(time_slices(start, end, descending))
    assert all(lo < hi for lo, hi in slices)
    ordered = sorted(slices)
    assert ordered[0][0] == start and ordered[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(ordered, ordered[1:], strict=False))
    assert slices == (ordered[::-1] if descending else ordered)
    assert len(slices) <= 8
