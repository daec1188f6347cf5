"""Validation of fault specs arriving as JSON (control API, ``--fault``, ``--chaos-mix``).

Why a separate check: ``Fault(**data)`` accepts anything its fields are given, so
``{"status": "abc"}`` used to be stored and then broke every request it was applied
to, ``times: -3`` silently meant "never", and ``status: 200`` produced a success status
with an error body -- a response no real provider sends. A fault spec is checked here,
field by field, and every problem is reported at once so the caller can answer with
one clear 422 (or the CLI with one clear message).

Fields without a rule below are only checked for being known fault fields (by
``Fault.from_dict``); adding a fault kind means adding its rule here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

#: The statuses a fault may answer with: errors only (a 2xx with an error body is not
#: something any provider does, and 1xx/3xx are not answers an SDK can be tested on).
ERROR_STATUSES = range(400, 600)


class FaultSpecError(ValueError):
    """A fault spec that cannot be applied; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _status(value: Any) -> str | None:
    if not _is_int(value) or value not in ERROR_STATUSES:
        return f"status must be an HTTP error status, an integer from 400 to 599 (got {value!r})"
    return None


def _times(value: Any) -> str | None:
    if value is not None and (not _is_int(value) or value < 1):
        return f"times must be an integer >= 1, or absent/null for 'until cleared' (got {value!r})"
    return None


def _non_negative_number(name: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None and name in _OPTIONAL:
            return None
        if not _is_number(value) or value < 0:
            return f"{name} must be a number >= 0 (got {value!r})"
        return None

    return check


def _non_negative_int(name: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is not None and (not _is_int(value) or value < 0):
            return f"{name} must be an integer >= 0 (got {value!r})"
        return None

    return check


def _boolean(name: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{name} must be true or false (got {value!r})"

    return check


def _error_type(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        return f"error_type must be a non-empty string (got {value!r})"
    return None


def _probability(value: Any) -> str | None:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        return f"probability must be a number from 0 to 1 (got {value!r})"
    return None


_OPTIONAL = {"retry_after", "retry_after_ms"}

#: One rule per field: returns a problem description, or None when the value is fine.
RULES: dict[str, Callable[[Any], str | None]] = {
    "status": lambda value: None if value is None else _status(value),
    "error_type": _error_type,
    "retry_after": _non_negative_number("retry_after"),
    "retry_after_ms": _non_negative_number("retry_after_ms"),
    "delay": _non_negative_number("delay"),
    "token_delay": _non_negative_number("token_delay"),
    "hang": _boolean("hang"),
    "reset": _boolean("reset"),
    "stream_error_after": _non_negative_int("stream_error_after"),
    "cut_after": _non_negative_int("cut_after"),
    "first_token_delay": _non_negative_number("first_token_delay"),
    "stall_after": _non_negative_int("stall_after"),
    "malformed_after": _non_negative_int("malformed_after"),
    "truncate_after": _non_negative_int("truncate_after"),
    "content_filter_after": _non_negative_int("content_filter_after"),
    "reject_prefill": _boolean("reject_prefill"),
    "times": _times,
    "probability": _probability,
}


def validate_fault_spec(data: Mapping[str, Any], known_fields: set[str]) -> None:
    """Raise `FaultSpecError` listing every unknown field and every invalid value."""
    if not isinstance(data, Mapping):
        raise FaultSpecError([f"a fault must be a JSON object (got {type(data).__name__})"])
    problems: list[str] = []
    unknown = sorted(set(data) - known_fields)
    if unknown:
        problems.append(f"unknown fault fields: {unknown}; known fields: {sorted(known_fields)}")
    for name, value in data.items():
        rule = RULES.get(name)
        problem = rule(value) if rule is not None else None
        if problem:
            problems.append(problem)
    if problems:
        raise FaultSpecError(problems)
