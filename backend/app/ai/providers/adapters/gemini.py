"""Google Gemini: the Gemini API through `langchain-google-genai` and the `google-genai` SDK.

Gemini reports failures differently from OpenAI and Anthropic, so it brings its own
classification rules (the generic core in `classification.py` stays untouched):

* HTTP 429 `RESOURCE_EXHAUSTED` means two different things. A per-minute quota is a
  rate limit: transient, honour Google's `RetryInfo.retryDelay`. A per-day (free-tier)
  quota or a "check your plan and billing" answer will not clear for hours: provider-fatal.
  The `google.rpc.QuotaFailure` detail's `quotaId` tells them apart -- not the message.
* 503 `UNAVAILABLE` is Gemini's "model is overloaded": transient.
* A 400 carrying `ErrorInfo.reason = API_KEY_INVALID` is a bad key (provider-fatal),
  although the status says "invalid argument".
* A safety block is not an HTTP error at all: the answer comes back 200 with no text and
  `promptFeedback.blockReason` (or a candidate `finishReason` of SAFETY). The SDK and
  LangChain hand that over as an empty answer; we raise `GeminiContentBlockedError`
  instead so the call gets one try on another provider rather than an empty reply.

LangChain wraps the SDK's `ClientError` in its own exception types and keeps the
original as `__cause__`, so the rules below look through the cause chain.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from types import MappingProxyType, ModuleType
from typing import Any

import httpx
from google.genai import errors as genai_errors
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import ContextOverflowError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_google_genai import ChatGoogleGenerativeAI

from app.ai.providers.adapters.base import ProviderAdapter, ProviderConfig, ProviderSettings
from app.ai.providers.policies.classification import Classification, ErrorClass

#: Candidate finish reasons that mean "the answer was withheld", not "the answer ended".
BLOCKED_FINISH_REASONS = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"}
)
#: Google RPC status names -> what they mean for the call.
STATUS_RULES: Mapping[str, tuple[ErrorClass, str]] = {
    "UNAVAILABLE": (ErrorClass.TRANSIENT, "overloaded"),
    "INTERNAL": (ErrorClass.TRANSIENT, "server_error"),
    "DEADLINE_EXCEEDED": (ErrorClass.TRANSIENT, "timeout"),
    "ABORTED": (ErrorClass.TRANSIENT, "conflict"),
    "UNAUTHENTICATED": (ErrorClass.PROVIDER_FATAL, "authentication"),
    "PERMISSION_DENIED": (ErrorClass.PROVIDER_FATAL, "permission"),
    "NOT_FOUND": (ErrorClass.PROVIDER_FATAL, "model_not_found"),
    # Gemini answers FAILED_PRECONDITION when the account or region cannot use the API
    # (e.g. free tier unavailable in the caller's country): no retry will fix that.
    "FAILED_PRECONDITION": (ErrorClass.PROVIDER_FATAL, "failed_precondition"),
    "INVALID_ARGUMENT": (ErrorClass.REQUEST_FATAL, "invalid_request"),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
#: Google: from Gemini 3.6 Flash and 3.5 Flash-Lite on, a final model turn (prefill) is
#: refused; version numbers are not monotonic across variants, hence a list (the one
#: `langchain-google-genai` keeps, which refuses such requests before sending them).
NO_PREFILL_MODELS = frozenset({"gemini-3.5-flash-lite", "gemini-3.6-flash"})


def _http_modules() -> list[ModuleType]:
    """httpx, plus `httpx2` -- the fork google-genai uses when it is installed."""
    modules = [httpx]
    with contextlib.suppress(ImportError):
        modules.append(importlib.import_module("httpx2"))
    return modules


_TIMEOUTS: tuple[type[BaseException], ...] = tuple(m.TimeoutException for m in _http_modules())
_TRANSPORT: tuple[type[BaseException], ...] = tuple(m.TransportError for m in _http_modules())


class GeminiContentBlockedError(Exception):
    """Gemini's safety filters withheld the answer (prompt or candidate blocked)."""

    def __init__(self, reason: str, where: str) -> None:
        self.reason = reason
        self.where = where
        super().__init__(f"Gemini blocked the {where} ({reason})")


def _blocked_reason(
    message: BaseMessage, generation_info: Mapping[str, Any] | None
) -> tuple[str, str] | None:
    """(reason, where) when this message is a safety-blocked answer, else None."""
    meta = message.response_metadata or {}
    feedback = meta.get("prompt_feedback") or {}
    block = feedback.get("block_reason") if isinstance(feedback, Mapping) else None
    if block:
        return str(getattr(block, "value", block)), "prompt"
    finish = meta.get("finish_reason") or (generation_info or {}).get("finish_reason")
    if finish in BLOCKED_FINISH_REASONS:
        return str(finish), "answer"
    return None


def _check_result(result: ChatResult) -> ChatResult:
    prompt_feedback = (result.llm_output or {}).get("prompt_feedback") or {}
    if not result.generations and prompt_feedback.get("block_reason"):
        raise GeminiContentBlockedError(str(prompt_feedback["block_reason"]), "prompt")
    for generation in result.generations:
        blocked = _blocked_reason(generation.message, generation.generation_info)
        if blocked is not None:
            raise GeminiContentBlockedError(*blocked)
    return result


def _check_chunk(chunk: ChatGenerationChunk) -> ChatGenerationChunk:
    blocked = _blocked_reason(chunk.message, chunk.generation_info)
    if blocked is not None:
        raise GeminiContentBlockedError(*blocked)
    return chunk


class GeminiChatModel(ChatGoogleGenerativeAI):
    """`ChatGoogleGenerativeAI` that raises on a safety block instead of answering ''."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return _check_result(super()._generate(messages, stop, run_manager, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return _check_result(await super()._agenerate(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            yield _check_chunk(chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
            yield _check_chunk(chunk)


def _api_error(exc: BaseException) -> genai_errors.APIError | None:
    """The SDK's `APIError` behind `exc` (LangChain re-raises it as the cause)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, genai_errors.APIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _details(error: genai_errors.APIError) -> list[Mapping[str, Any]]:
    body = error.details if isinstance(error.details, Mapping) else {}
    inner = body.get("error", body)
    details = inner.get("details") if isinstance(inner, Mapping) else None
    return [d for d in details or [] if isinstance(d, Mapping)]


def _detail(details: list[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next((d for d in details if str(d.get("@type", "")).endswith(f".{kind}")), None)


def _retry_delay(details: list[Mapping[str, Any]]) -> float | None:
    """`RetryInfo.retryDelay` ("27s", "0.5s") in seconds."""
    info = _detail(details, "RetryInfo")
    match = _DURATION.match(str(info.get("retryDelay", ""))) if info else None
    return float(match.group(1)) if match else None


def _is_long_term_quota(details: list[Mapping[str, Any]]) -> bool:
    """True for per-day / free-tier quotas, which will not come back within the call."""
    failure = _detail(details, "QuotaFailure")
    violations = failure.get("violations") if failure else None
    for violation in violations or []:
        quota_id = str(violation.get("quotaId", "")) if isinstance(violation, Mapping) else ""
        if "PerDay" in quota_id or "FreeTier" in quota_id:
            return True
    return False


def classify_gemini(exc: BaseException) -> Classification | None:
    """Gemini's failures, by exception type, HTTP code, RPC status and `google.rpc` details."""
    if isinstance(exc, GeminiContentBlockedError):
        return Classification(ErrorClass.CONTENT_FILTER, "safety_blocked")
    if isinstance(exc, ContextOverflowError):
        return Classification(ErrorClass.REQUEST_FATAL, "context_length_exceeded", 400)
    error = _api_error(exc)
    if error is None:
        if isinstance(exc, _TIMEOUTS):
            return Classification(ErrorClass.TRANSIENT, "timeout")
        if isinstance(exc, _TRANSPORT):
            return Classification(ErrorClass.TRANSIENT, "connection")
        return None
    code = error.code if isinstance(error.code, int) else None
    status = str(error.status or "")
    details = _details(error)
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        if _is_long_term_quota(details):
            return Classification(ErrorClass.PROVIDER_FATAL, "quota_exhausted", code)
        return Classification(ErrorClass.TRANSIENT, "rate_limited", code, _retry_delay(details))
    info = _detail(details, "ErrorInfo")
    if info is not None and info.get("reason") in ("API_KEY_INVALID", "API_KEY_EXPIRED"):
        return Classification(ErrorClass.PROVIDER_FATAL, "authentication", code)
    if status in STATUS_RULES:
        error_class, reason = STATUS_RULES[status]
        return Classification(error_class, reason, code)
    return None  # the generic HTTP-status rules decide


class GeminiAdapter(ProviderAdapter):
    """Gemini's SDK errors and stream marker (`finish_reason` on the last chunk)."""

    name = "gemini"
    settings = ProviderSettings("GEMINI_API_KEY", "GEMINI_MODEL", "GEMINI_BASE_URL")
    required_settings = ("GEMINI_API_KEY",)
    model_prefixes = ("gemini-",)
    terminal_metadata_keys = ("finish_reason",)
    output_limit_kwarg = "max_output_tokens"
    # No `prices` yet (the former central table had none either): operators who route
    # by cost set Gemini's with `AI_PRICES`.
    #: From Google's model pages (2025).
    context_windows = MappingProxyType({
        "gemini-1.5-pro": 2_097_152,
        "gemini-1.5-flash": 1_048_576,
        "gemini-2.0-flash": 1_048_576,
        "gemini-2.5-pro": 1_048_576,
        "gemini-2.5-flash": 1_048_576,
    })

    def build(self, config: ProviderConfig) -> BaseChatModel:
        return GeminiChatModel(  # type: ignore[call-arg]
            model=config.model,
            api_key=config.api_key,
            base_url=config.base_url,
            temperature=config.temperature,
            timeout=config.timeout,
            max_retries=0,  # one retry loop only: ours (the SDK treats 0 as one attempt)
        )

    def classify(self, exc: BaseException) -> Classification | None:
        return classify_gemini(exc)

    def supports_prefill(self, model: str) -> bool:
        """Gemini continues a final `model` turn, except on the models Google lists."""
        name = re.sub(r"-\d{3}$", "", model.lower().rsplit("/", 1)[-1])
        return name not in NO_PREFILL_MODELS


ADAPTER = GeminiAdapter()
