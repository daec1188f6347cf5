"""OpenAI: Chat Completions through `langchain-openai`'s `ChatOpenAI` and the official SDK."""

from __future__ import annotations

from types import MappingProxyType

import openai
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from app.ai.providers.adapters.base import ProviderAdapter, ProviderConfig, ProviderSettings
from app.ai.providers.policies.classification import (
    OUTPUT_LIMIT,
    Classification,
    ErrorClass,
    classify_generic,
)
from app.ai.providers.policies.pricing import list_price


class OpenAIAdapter(ProviderAdapter):
    """OpenAI's SDK errors and stream markers (`finish_reason`)."""

    name = "openai"
    settings = ProviderSettings("OPENAI_API_KEY", "OPENAI_MODEL", "OPENAI_BASE_URL")
    required_settings = ("OPENAI_API_KEY",)
    model_prefixes = ("gpt-", "o1", "o3", "o4", "chatgpt-")
    terminal_metadata_keys = ("finish_reason",)
    #: Public list prices (USD / 1M tokens): input, output, cached input.
    prices = MappingProxyType({
        "gpt-4o": list_price("2.50", "10.00", "1.25"),
        "gpt-4o-mini": list_price("0.15", "0.60", "0.075"),
        "gpt-4.1": list_price("2.00", "8.00", "0.50"),
        "gpt-4.1-mini": list_price("0.40", "1.60", "0.10"),
        "gpt-4.1-nano": list_price("0.10", "0.40", "0.025"),
        "gpt-5": list_price("1.25", "10.00", "0.125"),
        "gpt-5-mini": list_price("0.25", "2.00", "0.025"),
        "gpt-5-nano": list_price("0.05", "0.40", "0.005"),
        "o4-mini": list_price("1.10", "4.40", "0.275"),
        "o3": list_price("2.00", "8.00", "0.50"),
        "gpt-4-turbo": list_price("10.00", "30.00"),
        "gpt-3.5-turbo": list_price("0.50", "1.50"),
    })
    #: From OpenAI's model pages (2025).
    context_windows = MappingProxyType({
        "gpt-5": 400_000,
        "gpt-4.1": 1_047_576,
        "gpt-4o": 128_000,
        "gpt-4o-mini": 128_000,
        "gpt-4-turbo": 128_000,
        "gpt-4-1106": 128_000,
        "gpt-4-0125": 128_000,
        "gpt-4-32k": 32_768,
        "gpt-4": 8_192,
        "gpt-3.5-turbo": 16_385,
        "o1": 200_000,
        "o1-mini": 128_000,
        "o3": 200_000,
        "o4-mini": 200_000,
    })

    def build(self, config: ProviderConfig) -> BaseChatModel:
        return ChatOpenAI(
            model=config.model,
            api_key=config.api_key,
            base_url=config.base_url,
            temperature=config.temperature,
            timeout=config.timeout,
            max_retries=0,  # one retry loop only: ours
            stream_usage=True,
        )

    def for_new_event_loop(self, model: BaseChatModel) -> BaseChatModel:
        assert isinstance(model, ChatOpenAI)
        copy = model.model_copy()
        root = model.root_async_client
        copy.root_async_client = root.copy(
            http_client=openai.DefaultAsyncHttpxClient(timeout=root.timeout)
        )
        copy.async_client = copy.root_async_client.chat.completions
        return copy

    def classify(self, exc: BaseException) -> Classification | None:
        if isinstance(exc, openai.LengthFinishReasonError):
            # The SDK's `parse` refuses a structured answer the output limit cut: the
            # request asked for too little, the provider is fine (no circuit trip).
            return Classification(ErrorClass.REQUEST_FATAL, OUTPUT_LIMIT)
        if isinstance(exc, openai.APITimeoutError):
            return Classification(ErrorClass.TRANSIENT, "timeout")
        if isinstance(exc, openai.APIConnectionError):
            return Classification(ErrorClass.TRANSIENT, "connection")
        if isinstance(exc, openai.APIResponseValidationError):
            return Classification(ErrorClass.TRANSIENT, "invalid_response", exc.status_code)
        if isinstance(exc, openai.APIError) and not isinstance(exc, openai.APIStatusError):
            # An error event inside a 200 stream: the body's type decides when it is
            # known, otherwise it is a server-side hiccup worth another provider.
            verdict = classify_generic(exc)
            if verdict.reason == "unexpected_error":
                return Classification(ErrorClass.TRANSIENT, "stream_error")
            return verdict
        return None


ADAPTER = OpenAIAdapter()
