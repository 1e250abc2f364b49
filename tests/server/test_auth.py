from __future__ import annotations

import pytest

from spyglass.server.auth import AuthFailure, RateLimiter, key_from_headers

pytestmark = pytest.mark.unit


def test_key_sources_in_priority_order() -> None:
    assert key_from_headers({"authorization": "Bearer sg_a", "x-api-key": "sg_b"}) == "sg_a"
    assert key_from_headers({"authorization": "Basic xyz", "x-api-key": "sg_b"}) == "sg_b"
    assert key_from_headers({}, {"spyglass_key": "sg_c"}) == "sg_c"
    assert key_from_headers({"authorization": "Bearer "}) is None


def test_rate_limiter_refuses_beyond_the_burst_per_key() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=3)
    for _ in range(3):
        limiter.check("k")
    with pytest.raises(AuthFailure) as info:
        limiter.check("k")
    assert info.value.status == 429
    limiter.check("other")  # buckets are per key
    RateLimiter(0).check("k")  # 0 = off
