"""OpenAI-compatible endpoints: Ollama, vLLM, LM Studio, Azure OpenAI, Groq and the like.

They all speak OpenAI's Chat Completions, so one adapter type serves every instance of
`AI_OPENAI_COMPATIBLE`, each under its own name (`groq`, `ollama`...), side by side with
the built-in providers. The OpenAI SDK does the talking, which is also why the OpenAI
error rules apply: these servers reuse its status codes and error body shape.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from app.ai.providers.adapters.base import ProviderConfig, ProviderSettings
from app.ai.providers.adapters.openai import OpenAIAdapter

#: Local servers (Ollama, LM Studio, vLLM without `--api-key`) ignore the key, but the
#: OpenAI SDK refuses to start without one.
PLACEHOLDER_KEY = SecretStr("not-needed")
PROVIDER_TYPE = "openai-compatible"
#: The one setting every instance lives in.
SETTING = "AI_OPENAI_COMPATIBLE"


class OpenAICompatibleAdapter(OpenAIAdapter):
    """One configured endpoint; its registry name is the instance's `name`."""

    settings = ProviderSettings(SETTING, SETTING, SETTING)
    required_settings = (SETTING,)
    type_name = PROVIDER_TYPE
    # Not OpenAI's list prices: a self-hosted model costs nothing per token and a
    # gateway's contract is its own (`AI_PRICES`). Its models are priced by name, so a
    # gateway serving `gpt-4o` still finds OpenAI's price in the merged table.
    prices = MappingProxyType({})
    #: Open models as Groq / Ollama / vLLM name them; an instance may declare its own
    #: window (`"context_window"` in `AI_OPENAI_COMPATIBLE`), which wins.
    context_windows = MappingProxyType({
        "llama-3.1": 131_072,
        "llama-3.3": 131_072,
        "llama3.1": 131_072,
        "llama3.2": 131_072,
        "llama3.3": 131_072,
        "llama3": 8_192,
        "mixtral-8x7b": 32_768,
        "mistral": 32_768,
        "qwen2.5": 32_768,
        "gemma2": 8_192,
    })

    def __init__(self, name: str, *, supports_prefill: bool = False) -> None:
        # Instances are data, not classes: each one carries its own name.
        self.name = name  # type: ignore[misc]
        self._prefill = supports_prefill

    def supports_prefill(self, model: str) -> bool:
        """As the instance declares (`"supports_prefill": true`): vLLM, llama.cpp, Ollama
        and LM Studio continue a final assistant turn; OpenAI-compatible gateways in
        front of OpenAI itself do not."""
        return self._prefill

    def prefill_kwargs(self) -> dict[str, Any]:
        """vLLM continues the final message only when asked (`continue_final_message`);
        llama.cpp, Ollama and LM Studio ignore these fields and continue anyway."""
        return {"extra_body": {"continue_final_message": True, "add_generation_prompt": False}}

    def is_configured(self, config: ProviderConfig) -> bool:
        return True  # an instance exists only when it is configured; the key is optional

    def serves_model(self, model: str) -> bool:
        # Its configured model only (`Member.serves_model` checks that): the catalogue
        # of a self-hosted server is unknown, so no prefix of OpenAI's names applies.
        return False

    def build(self, config: ProviderConfig) -> BaseChatModel:
        return ChatOpenAI(
            model=config.model,
            api_key=config.api_key or PLACEHOLDER_KEY,
            base_url=config.base_url,
            temperature=config.temperature,
            timeout=config.timeout,
            max_retries=0,  # one retry loop only: ours
            stream_usage=True,
        )
