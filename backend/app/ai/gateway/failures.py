"""What went wrong with a gateway call, in provider-neutral terms, and its HTTP status.

Each wire renders a `Failure` in its own error shape (`openai_wire.error_body`,
`anthropic_wire.error_body`). The status follows what the providers themselves answer,
so SDK clients raise the exception class their users already handle:

| status | when                                                                   |
|--------|------------------------------------------------------------------------|
| 400    | invalid request (checked before any provider is called), or every      |
|        | provider refused the request as invalid / too long for its context     |
| 401    | missing, unknown or revoked key                                         |
| 403    | the key may not use the route it named                                   |
| 404    | unknown route or model                                                   |
| 413    | request body over `GATEWAY_MAX_REQUEST_BYTES`, or every provider said 413|
| 422    | every provider refused the content                                       |
| 429    | the key's rate limit, concurrency cap or budget; or every provider 429'd |
| 503    | every provider failed (attempts in the message), or none is configured   |
|        | (then `x-should-retry: false`: retrying cannot help)                     |
| 504    | the call deadline (`AI_REQUEST_DEADLINE`) ran out                        |
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.ai.providers.errors import (
    ProviderError,
    ProviderNotConfiguredError,
    StreamInterruptedError,
    describe,
)

INVALID = "invalid_request"
AUTHENTICATION = "authentication"
PERMISSION = "permission"
NOT_FOUND = "not_found"
TOO_LARGE = "too_large"
REFUSAL = "refusal"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"
TIMEOUT = "timeout"
INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class Failure:
    """One error answer: neutral `kind`, HTTP status, and a secret-free message."""

    kind: str
    status: int
    message: str
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None
    retryable: bool = True
    """False when retrying soon cannot help (nothing configured, a daily budget spent):
    the answer says `x-should-retry: false`, the header the official OpenAI and Anthropic
    SDKs read before their automatic retries, so a client fails at once instead of
    retrying a 503 or 429 that will not change."""

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        if not self.retryable:
            headers["x-should-retry"] = "false"
        return headers


def from_provider_error(error: BaseException) -> Failure:
    """The answer to a call the provider layer could not complete."""
    if isinstance(error, StreamInterruptedError):
        return Failure(INTERRUPTED, 502, str(error), "stream_interrupted")
    if not isinstance(error, ProviderError):
        return Failure(UNAVAILABLE, 503, describe(error), "ai_unavailable", retry_after=1)
    attempts = error.attempts
    if any(isinstance(e, ProviderNotConfiguredError) for e in error.exceptions):
        return Failure(UNAVAILABLE, 503, error.message, "not_configured", retryable=False)
    if not attempts:
        if "context_window" in error.message:
            return Failure(INVALID, 400, error.message, "context_length_exceeded", "messages")
        return Failure(
            UNAVAILABLE, 503, error.message, "no_provider_available", retry_after=error.retry_after or 1
        )
    if "deadline" in error.message:
        return Failure(TIMEOUT, 504, error.message, "deadline_exceeded")
    outcomes = {a.outcome for a in attempts}
    statuses = {a.status for a in attempts}
    if outcomes == {"request_fatal"}:
        reasons = " ".join(a.reason or "" for a in attempts)
        if statuses == {413}:
            return Failure(TOO_LARGE, 413, error.message, "request_too_large")
        if 422 in statuses or "content" in reasons or "refus" in reasons or "safety" in reasons:
            return Failure(REFUSAL, 422, error.message, "content_refused")
        code = "context_length_exceeded" if "context" in reasons else "invalid_request"
        return Failure(INVALID, 400, error.message, code)
    if statuses == {429}:
        return Failure(
            RATE_LIMITED, 429, error.message, "rate_limit_exceeded", retry_after=error.retry_after or 1
        )
    return Failure(
        UNAVAILABLE, 503, error.message, "all_providers_failed", retry_after=error.retry_after or 1
    )
