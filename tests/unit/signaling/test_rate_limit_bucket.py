"""TokenBucket: a burst passes, a flood is refused, time refills it up to the burst size."""

from __future__ import annotations

from madoguchi.signaling.ratelimit import TokenBucket


def test_burst_then_refusal_then_refill() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.4) is False  # 0.8 of a token
    assert bucket.take(100.5) is True  # 1.0 token
    assert bucket.take(100.5) is False


def test_refill_never_exceeds_the_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2, now=0.0)
    assert bucket.take(0.0) and bucket.take(0.0)
    taken = [bucket.take(3600.0) for _ in range(5)]
    assert taken == [True, True, False, False, False]


def test_refused_takes_do_not_push_the_refill_back() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=0.0)
    assert bucket.take(0.0)
    assert not any(bucket.take(t / 10) for t in range(1, 10))
    assert bucket.take(1.0)
