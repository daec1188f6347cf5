"""Backoff policy: exponential with full jitter, and the providers' `retry-after` hints.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads the
retries of many clients hit by the same outage instead of synchronising them.
A provider's `retry-after-ms` / `retry-after` header is the best information there is,
so it wins over our own estimate.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import Any

#: Retry hints longer than this are ignored: we would rather fail over or give up.
MAX_HONOURED_RETRY_AFTER = 60.0


def parse_retry_after(headers: Mapping[str, str] | Any) -> float | None:
    """Seconds to wait according to `retry-after-ms` or `retry-after` (None if absent/invalid)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = -1.0
        if 0 <= value <= MAX_HONOURED_RETRY_AFTER:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(raw).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return value if 0 <= value <= MAX_HONOURED_RETRY_AFTER else None


def backoff_delay(
    retry_number: int,
    *,
    base: float = 0.5,
    cap: float = 8.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to sleep before retry number `retry_number` (1 for the first retry)."""
    if retry_after is not None:
        return retry_after
    ceiling = min(cap, base * (2 ** max(retry_number - 1, 0)))
    return (rng or random).uniform(0, ceiling)
