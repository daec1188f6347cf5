"""Typed errors of the provider layer.

Modelled on httpx's exception hierarchy: callers catch the class that matches what
they can do about it. `ProviderError` is the brief's name for "every provider failed";
like pydantic-ai's `FallbackModel` it keeps *all* the underlying failures in one
exception group, so nothing is lost when the last error is not the interesting one.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from langchain_core.messages.ai import UsageMetadata

    from app.ai.providers.records import Attempt


class HybridProviderError(Exception):
    """Base of every error raised by the provider layer itself."""


class ProviderError(ExceptionGroup, HybridProviderError):  # type: ignore[misc]
    """Every provider that could take the call failed.

    The message names each provider tried and why; `attempts` has the full record
    (provider, model, error class, status, latency) and `exceptions` the original errors.
    """

    attempts: tuple[Attempt, ...]

    def __new__(
        cls, message: str, errors: Sequence[BaseException], attempts: Sequence[Attempt] = ()
    ) -> Self:
        if not errors:
            errors = [NoProviderAvailableError(message)]
        self = super().__new__(cls, message, list(errors))  # type: ignore[arg-type]
        self.attempts = tuple(attempts)
        return self

    def __init__(
        self, message: str, errors: Sequence[BaseException], attempts: Sequence[Attempt] = ()
    ) -> None:
        super().__init__(message, list(errors) or [NoProviderAvailableError(message)])  # type: ignore[arg-type]

    def derive(self, excs: Sequence[BaseException]) -> ProviderError:  # type: ignore[override]
        return ProviderError(self.message, excs, self.attempts)

    @property
    def content_filter(self) -> Attempt | None:
        """The attempt a provider's content policy refused, when that ended the call."""
        return next((a for a in self.attempts if a.outcome == "content_filter"), None)

    @property
    def retry_after(self) -> float | None:
        """The smallest `retry-after` any provider asked for, to pass on to clients."""
        hints = [a.retry_after for a in self.attempts if a.retry_after is not None]
        return min(hints) if hints else None


class NoProviderAvailableError(HybridProviderError):
    """No provider could even be tried (none configured, or all excluded)."""


class ProviderNotConfiguredError(NoProviderAvailableError):
    """No provider has an API key: the message names the settings to set."""

    def __init__(self, missing_settings: Sequence[str]) -> None:
        self.missing_settings = tuple(missing_settings)
        super().__init__(
            "No AI provider is configured: set "
            + " or ".join(self.missing_settings)
            + " (see .env.example)"
        )


class DeadlineExceededError(HybridProviderError, TimeoutError):
    """The whole call ran past `AI_REQUEST_DEADLINE`."""


class IncompleteStreamError(HybridProviderError):
    """A provider's stream ended without its terminal event or finish reason.

    The official SDKs end such a cut stream silently; treating it as a success would
    hand the user a truncated answer, so it is a transient failure.
    """

    def __init__(self, provider: str, chunks: int) -> None:
        self.provider = provider
        self.chunks = chunks
        super().__init__(
            f"{provider} stream ended after {chunks} chunks without its terminal event"
        )


class FirstTokenTimeoutError(HybridProviderError, TimeoutError):
    """A provider answered (headers, opening events) but sent no content in time."""

    def __init__(self, provider: str, seconds: float) -> None:
        self.provider = provider
        super().__init__(f"{provider} sent no content within {seconds:g}s (AI_FIRST_TOKEN_TIMEOUT)")


class StreamIdleTimeoutError(HybridProviderError, TimeoutError):
    """A stream fell silent after content: it counts as cut (and may be continued)."""

    def __init__(self, provider: str, seconds: float) -> None:
        self.provider = provider
        super().__init__(f"{provider} stream silent for {seconds:g}s after content (AI_STREAM_IDLE_TIMEOUT)")


class ContentFilteredError(HybridProviderError):
    """The provider's content policy stopped the answer (a 200 answer, not an HTTP error).

    OpenAI/Azure `finish_reason: content_filter`, Anthropic `stop_reason: refusal`,
    Gemini safety blocks. `reason` is the provider's own text when it sent one.
    """

    def __init__(self, provider: str, kind: str, reason: str | None = None) -> None:
        self.provider = provider
        self.kind = kind
        self.reason = reason or f"{provider} stopped the answer: {kind}"
        super().__init__(self.reason)


class OutputTruncatedError(HybridProviderError):
    """The output limit cut a structured answer, also after one retry with a larger limit.

    Half a JSON object or half a tool call is never parsed as a success: the caller gets
    this instead (with `include_raw=True`, as the `parsing_error` next to the raw answer).
    """

    def __init__(self, provider: str, limits: Sequence[int | None]) -> None:
        self.provider = provider
        self.limits = tuple(limits)
        tried = " and ".join(str(limit) for limit in self.limits if limit is not None) or "the default"
        super().__init__(
            f"the output limit cut {provider}'s structured answer (max tokens {tried}); "
            "raise AI_MAX_OUTPUT_TOKENS or ask for a shorter answer"
        )


class StreamInterruptedError(HybridProviderError):
    """A stream failed after content had already reached the caller.

    Failing over at that point would splice two different answers together, so the
    stream ends with this error instead of a silent partial answer.
    """

    def __init__(
        self,
        message: str,
        attempts: Sequence[Attempt],
        cause: BaseException,
        member: Any = None,
        usage: UsageMetadata | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = tuple(attempts)
        self.__cause__ = cause
        #: The provider (`Member`) whose stream broke, and what it had used (for continuation).
        self.member = member
        self.provider = member.name if member is not None else None
        self.usage = usage


_KEY_PATTERN = re.compile(r"(sk-(?:ant-)?|key-|AIza)[A-Za-z0-9_\-*]{4,}")


def redact(text: str) -> str:
    """Mask anything shaped like an API key (providers echo partial keys in 401 bodies)."""
    return _KEY_PATTERN.sub(lambda m: m.group(1) + "***", text)


#: Characters of an error's own text kept by `describe`.
DESCRIBE_CHARS = 200


def describe(exc: BaseException) -> str:
    """A short, secret-free description of an error for messages and logs.

    Keys are masked before the text is cut (a key cut in half would no longer look like
    one), and a long text is cut at a word and marked with "…", never mid-word.
    """
    status = getattr(exc, "status_code", None)
    text: Any = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    lines = str(text).splitlines() or [""]
    text = textwrap.shorten(redact(lines[0]), width=DESCRIBE_CHARS, placeholder=" …")
    prefix = f"{type(exc).__name__}" + (f" {status}" if status else "")
    return f"{prefix}: {text}" if text and text != type(exc).__name__ else prefix
