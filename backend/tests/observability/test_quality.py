"""A/B statistics: the intervals and the verdict a user acts on."""

from __future__ import annotations

import pytest

from app.observability.quality import (
    mean_interval,
    two_proportion_p_value,
    verdict,
    wilson_interval,
)


def test_wilson_interval_matches_the_textbook_values() -> None:
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_two_proportion_test_and_mean_interval() -> None:
    assert two_proportion_p_value(80, 100, 60, 100) == pytest.approx(0.00194, abs=1e-4)
    assert two_proportion_p_value(50, 100, 50, 100) == pytest.approx(1.0)
    assert mean_interval(5.0, 25.0, 1) is None
    low, high = mean_interval(30.0, 220.0, 5) or (0.0, 0.0)  # 2, 4, 6, 8, 10
    assert low < 6.0 < high and high - low == pytest.approx(2 * 1.96 * (10 / 5) ** 0.5, rel=1e-3)


def _arm(n: int, positive: int) -> dict[str, object]:
    return {"ratings": {"n": n, "positive": positive}}


def test_verdict_says_which_arm_is_better_only_when_significant() -> None:
    assert verdict({"openai": _arm(100, 80), "anthropic": _arm(100, 60)})["better_arm"] == "openai"
    close = verdict({"openai": _arm(100, 62), "anthropic": _arm(100, 60)})
    assert not close["significant"] and close["text"].startswith("no significant difference yet")
    few = verdict({"openai": _arm(5, 5), "anthropic": _arm(5, 0)})
    assert not few["significant"] and "need 10 ratings per arm" in few["text"]
    assert "fewer than two" in verdict({"openai": _arm(50, 40)})["text"]
