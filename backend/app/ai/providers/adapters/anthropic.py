"""Anthropic: the Messages API through `langchain-anthropic`'s `ChatAnthropic` and the SDK."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

import anthropic
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel, LanguageModelInput

from app.ai.providers.adapters.base import ProviderAdapter, ProviderConfig, ProviderSettings
from app.ai.providers.adapters.prompt_caching import add_breakpoints
from app.ai.providers.policies.classification import Classification, ErrorClass
from app.ai.providers.policies.pricing import list_price

#: `claude-<family>-<major>[-<minor>]`, e.g. claude-sonnet-4-5-20250929, claude-opus-4-6.
_VERSION = re.compile(r"claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?![\d])")
#: Anthropic: "This model does not support assistant message prefill" from Claude 4.6 on.
FIRST_WITHOUT_PREFILL = (4, 6)


def claude_supports_prefill(model: str) -> bool:
    """Claude models continue a final assistant turn, up to (not including) Claude 4.6.

    Names we cannot read (claude-3-5-sonnet-..., aliases) count as older models; a model
    that refuses after all is learnt from its 400 (`continuation.PrefillRefusals`).
    """
    match = _VERSION.search(model)
    if match is None:
        return model.startswith("claude")
    version = (int(match.group(1)), int(match.group(2) or 0))
    return version < FIRST_WITHOUT_PREFILL


class CachingChatAnthropic(ChatAnthropic):
    """`ChatAnthropic` that marks the stable prompt prefixes for Anthropic's cache.

    Why a subclass: breakpoints belong in the formatted payload (after LangChain has
    turned messages and tools into Anthropic blocks), and only for this provider --
    the other providers receive the same messages unmarked.
    """

    prompt_caching: bool = True

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        if self.prompt_caching:
            add_breakpoints(payload, self.model)
        return payload


class AnthropicAdapter(ProviderAdapter):
    """Anthropic's SDK errors and stream markers (`stop_reason` from `message_delta`)."""

    name = "anthropic"
    settings = ProviderSettings(
        "ANTHROPIC_API_KEY", "ANTHROPIC_MODEL", "ANTHROPIC_BASE_URL", {"prompt_caching": "AI_PROMPT_CACHING"}
    )
    required_settings = ("ANTHROPIC_API_KEY",)
    model_prefixes = ("claude-",)
    terminal_metadata_keys = ("stop_reason",)
    #: Public list prices (USD / 1M tokens): input, output, cache reads at 10% of input,
    #: 5-minute cache writes at 125%.
    prices = MappingProxyType({
        "claude-3-5-sonnet": list_price("3.00", "15.00", "0.30", "3.75"),
        "claude-3-7-sonnet": list_price("3.00", "15.00", "0.30", "3.75"),
        "claude-sonnet-4": list_price("3.00", "15.00", "0.30", "3.75"),
        "claude-3-5-haiku": list_price("0.80", "4.00", "0.08", "1.00"),
        "claude-haiku-4-5": list_price("1.00", "5.00", "0.10", "1.25"),
        "claude-3-haiku": list_price("0.25", "1.25", "0.03", "0.30"),
        "claude-3-opus": list_price("15.00", "75.00", "1.50", "18.75"),
        "claude-opus-4": list_price("15.00", "75.00", "1.50", "18.75"),
        "claude-opus-4-5": list_price("5.00", "25.00", "0.50", "6.25"),
    })
    #: Every Claude 3+ model (Anthropic's model pages, 2025).
    context_windows = MappingProxyType({"claude-": 200_000})

    def build(self, config: ProviderConfig) -> BaseChatModel:
        return CachingChatAnthropic(  # type: ignore[call-arg,arg-type]
            model=config.model,
            api_key=config.api_key,  # type: ignore[arg-type]
            base_url=config.base_url,
            temperature=config.temperature,
            timeout=config.timeout,
            max_retries=0,  # one retry loop only: ours
            stream_usage=True,
            prompt_caching=bool(config.options.get("prompt_caching", True)),
        )

    def supports_prefill(self, model: str) -> bool:
        return claude_supports_prefill(model)

    def for_new_event_loop(self, model: BaseChatModel) -> BaseChatModel:
        assert isinstance(model, ChatAnthropic)
        copy = model.model_copy()
        client = model._async_client
        # `_async_client` is a cached_property: setting it in the copy's __dict__ wins.
        copy.__dict__["_async_client"] = client.copy(
            http_client=anthropic.DefaultAsyncHttpxClient(timeout=client.timeout)
        )
        return copy

    def classify(self, exc: BaseException) -> Classification | None:
        if isinstance(exc, anthropic.APITimeoutError):
            return Classification(ErrorClass.TRANSIENT, "timeout")
        if isinstance(exc, anthropic.APIConnectionError):
            return Classification(ErrorClass.TRANSIENT, "connection")
        if isinstance(exc, anthropic.APIResponseValidationError):
            return Classification(ErrorClass.TRANSIENT, "invalid_response", exc.status_code)
        return None


ADAPTER = AnthropicAdapter()
