"""Error classification: what a failed attempt means for the rest of the call.

Classified by exception type, HTTP status and the provider's error `type`/`code`
field -- never by matching message text, whose wording providers change freely.
Provider modules contribute their SDK-specific rules (`ProviderAdapter.classify`);
this module holds the provider-neutral core that every provider shares.

| class           | examples                                           | what the call does                 |
|-----------------|----------------------------------------------------|------------------------------------|
| transient       | 408 409 429 5xx 529, timeouts, resets, cut streams | fail over now; retry only if alone |
| provider_fatal  | 401 403 402, quota/billing, 404 unknown model      | fail over; never retry that one    |
| request_fatal   | 400 413 422 (context length included), and a       | one try elsewhere, no retries      |
|                 | structured answer cut by the output limit (OpenAI) |                                    |
| content_filter  | OpenAI content_policy_violation / finish_reason    | stop: no retry, no failover unless |
|                 | content_filter, Azure content_filter, Anthropic    | AI_FAILOVER_ON_CONTENT_FILTER; the |
|                 | stop_reason refusal, Gemini safety blocks          | API answers 422 with the reason    |
| cancelled       | the caller went away                               | stop at once, no failover          |

A content-policy refusal is the provider's judgement of the *request*: asking another
provider the same thing is a policy decision (off by default), not error recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from app.ai.providers.errors import (
    ContentFilteredError,
    DeadlineExceededError,
    FirstTokenTimeoutError,
    IncompleteStreamError,
    StreamIdleTimeoutError,
)
from app.ai.providers.policies.backoff import parse_retry_after

#: Reason of a request_fatal failure: the output limit cut a structured answer that the
#: SDK refuses to parse (OpenAI's `LengthFinishReasonError`).
OUTPUT_LIMIT = "output_limit"


class ErrorClass(enum.StrEnum):
    """What a failure says about retrying and failing over."""

    TRANSIENT = "transient"
    PROVIDER_FATAL = "provider_fatal"
    REQUEST_FATAL = "request_fatal"
    CONTENT_FILTER = "content_filter"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict on one failed attempt."""

    error_class: ErrorClass
    reason: str
    status: int | None = None
    retry_after: float | None = None


class Classifier(Protocol):
    """A provider-specific rule: returns None when it has no opinion."""

    def __call__(self, exc: BaseException) -> Classification | None: ...


#: Provider error `type`/`code` values whose meaning overrides the HTTP status.
ERROR_TYPES: Mapping[str, tuple[ErrorClass, str]] = {
    # OpenAI
    "insufficient_quota": (ErrorClass.PROVIDER_FATAL, "insufficient_quota"),
    "invalid_api_key": (ErrorClass.PROVIDER_FATAL, "authentication"),
    "model_not_found": (ErrorClass.PROVIDER_FATAL, "model_not_found"),
    "context_length_exceeded": (ErrorClass.REQUEST_FATAL, "context_length_exceeded"),
    "rate_limit_exceeded": (ErrorClass.TRANSIENT, "rate_limited"),
    "server_error": (ErrorClass.TRANSIENT, "server_error"),
    "content_policy_violation": (ErrorClass.CONTENT_FILTER, "content_policy_violation"),
    # Azure OpenAI (and OpenAI-compatible gateways that copy it)
    "content_filter": (ErrorClass.CONTENT_FILTER, "content_filter"),
    # Anthropic
    "billing_error": (ErrorClass.PROVIDER_FATAL, "billing"),
    "authentication_error": (ErrorClass.PROVIDER_FATAL, "authentication"),
    "permission_error": (ErrorClass.PROVIDER_FATAL, "permission"),
    "not_found_error": (ErrorClass.PROVIDER_FATAL, "not_found"),
    "overloaded_error": (ErrorClass.TRANSIENT, "overloaded"),
    "rate_limit_error": (ErrorClass.TRANSIENT, "rate_limited"),
    "api_error": (ErrorClass.TRANSIENT, "server_error"),
    "timeout_error": (ErrorClass.TRANSIENT, "timeout"),
    "request_too_large": (ErrorClass.REQUEST_FATAL, "request_too_large"),
    # "invalid_request_error" is deliberately absent: both providers also use it on
    # 401/404 answers, where the status (provider-fatal) is the better signal.
}


def classify_status(status: int) -> tuple[ErrorClass, str]:
    """The class an HTTP status implies when the body says nothing more specific."""
    if status in (408, 409, 425, 429) or status >= 500 or status == 499:
        reason = {408: "timeout", 409: "conflict", 429: "rate_limited", 529: "overloaded"}
        return ErrorClass.TRANSIENT, reason.get(status, "server_error" if status >= 500 else "retryable")
    if status in (401, 402, 403):
        return ErrorClass.PROVIDER_FATAL, {401: "authentication", 402: "billing"}.get(
            status, "permission"
        )
    if status == 404:
        return ErrorClass.PROVIDER_FATAL, "not_found"
    if 400 <= status < 500:
        return ErrorClass.REQUEST_FATAL, "invalid_request"
    return ErrorClass.TRANSIENT, "unexpected_status"


def _http_modules() -> list[ModuleType]:
    """httpx, plus `httpx2`, the fork the official SDKs use."""
    modules: list[ModuleType] = []
    for name in ("httpx", "httpx2"):
        with contextlib.suppress(ImportError):
            modules.append(importlib.import_module(name))
    return modules


#: Raised raw by the SDKs once a stream has started (a read timeout, a reset).
_TIMEOUTS: tuple[type[BaseException], ...] = tuple(m.TimeoutException for m in _http_modules())
_TRANSPORT: tuple[type[BaseException], ...] = tuple(m.TransportError for m in _http_modules())


def _from_sse(exc: BaseException) -> bool:
    """A JSON decode error raised while an SDK parsed a streamed event."""
    return isinstance(exc, json.JSONDecodeError)


def _error_type(exc: BaseException) -> str | None:
    """The provider's error `code` or `type` field, from attributes or the parsed body."""
    for attr in ("code", "type"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and value in ERROR_TYPES:
            return value
    body: Any = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            for key in ("code", "type"):
                value = error.get(key)
                if isinstance(value, str) and value in ERROR_TYPES:
                    return value
    return None


def _headers(exc: BaseException) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) or hasattr(headers, "get") else None


def classify_generic(exc: BaseException) -> Classification:
    """Provider-neutral rules: our own errors, cancellation, HTTP status, error type."""
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | GeneratorExit):
        return Classification(ErrorClass.CANCELLED, "cancelled")
    if isinstance(exc, IncompleteStreamError):
        return Classification(ErrorClass.TRANSIENT, "incomplete_stream")
    if isinstance(exc, ContentFilteredError):
        return Classification(ErrorClass.CONTENT_FILTER, exc.kind)
    if isinstance(exc, FirstTokenTimeoutError):
        return Classification(ErrorClass.TRANSIENT, "first_token_timeout")
    if isinstance(exc, StreamIdleTimeoutError):
        return Classification(ErrorClass.TRANSIENT, "stream_idle")
    if isinstance(exc, DeadlineExceededError):
        return Classification(ErrorClass.TRANSIENT, "deadline")
    headers = _headers(exc)
    retry_after = parse_retry_after(headers) if headers is not None else None
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    error_type = _error_type(exc)
    if error_type is not None:
        error_class, reason = ERROR_TYPES[error_type]
        return Classification(error_class, reason, status, retry_after)
    if status is not None and status >= 400:
        error_class, reason = classify_status(status)
        return Classification(error_class, reason, status, retry_after)
    if isinstance(exc, (TimeoutError, *_TIMEOUTS)):
        return Classification(ErrorClass.TRANSIENT, "timeout")
    if isinstance(exc, (ConnectionError, OSError, *_TRANSPORT)):
        return Classification(ErrorClass.TRANSIENT, "connection")
    if isinstance(exc, ValueError) and _from_sse(exc):
        return Classification(ErrorClass.TRANSIENT, "undecodable_event")
    # An error event inside a 200 stream, or anything unforeseen: another provider may
    # well succeed, but hammering this one again is not justified.
    if status is not None:
        return Classification(ErrorClass.TRANSIENT, "stream_error", status, retry_after)
    return Classification(ErrorClass.PROVIDER_FATAL, "unexpected_error")


def classify(exc: BaseException, rules: Iterable[Classifier] = ()) -> Classification:
    """Classify `exc`: the provider's own rules first, then the generic core."""
    generic = classify_generic(exc)
    if generic.error_class is ErrorClass.CANCELLED:
        return generic
    for rule in rules:
        verdict = rule(exc)
        if verdict is not None:
            if verdict.retry_after is None and generic.retry_after is not None:
                return Classification(
                    verdict.error_class, verdict.reason, verdict.status, generic.retry_after
                )
            return verdict
    return generic
