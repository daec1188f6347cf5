"""OpenAI-compatible endpoints: Ollama, vLLM, LM Studio, Azure OpenAI, Groq and the like.

They all speak OpenAI's Chat Completions, so one adapter type serves every instance of
`AI_OPENAI_COMPATIBLE`, each under its own name (`groq`, `ollama`...), side by side with
the built-in providers. The OpenAI SDK does the talking, which is also why the OpenAI
error rules apply: these servers reuse its status codes and error body shape.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from app.ai.providers.openai_provider import OpenAIAdapter
from app.core.config import OpenAICompatibleEndpoint, Settings

#: Local servers (Ollama, LM Studio, vLLM without `--api-key`) ignore the key, but the
#: OpenAI SDK refuses to start without one.
PLACEHOLDER_KEY = SecretStr("not-needed")
PROVIDER_TYPE = "openai-compatible"


class OpenAICompatibleAdapter(OpenAIAdapter):
    """One configured endpoint; its registry name is the instance's `name`."""

    required_settings = ("AI_OPENAI_COMPATIBLE",)

    def __init__(self, endpoint: OpenAICompatibleEndpoint) -> None:
        self.endpoint = endpoint
        # Instances are data, not classes: each one carries its own name.
        self.name = endpoint.name  # type: ignore[misc]

    def is_configured(self, settings: Settings) -> bool:
        return settings.openai_compatible(self.name) is not None

    def model_name(self, settings: Settings) -> str:
        return self.endpoint.model

    def serves_model(self, model: str) -> bool:
        # Its configured model only: the catalogue of a self-hosted server is unknown.
        return model == self.endpoint.model

    def build(self, settings: Settings) -> BaseChatModel:
        return ChatOpenAI(
            model=self.endpoint.model,
            api_key=self.endpoint.api_key or PLACEHOLDER_KEY,
            base_url=self.endpoint.base_url,
            temperature=settings.AI_TEMPERATURE,
            timeout=settings.AI_REQUEST_TIMEOUT,
            max_retries=0,  # one retry loop only: ours
            stream_usage=True,
        )


def instance_adapters(settings: Settings) -> dict[str, OpenAICompatibleAdapter]:
    """An adapter per `AI_OPENAI_COMPATIBLE` instance, by name."""
    return {e.name: OpenAICompatibleAdapter(e) for e in settings.AI_OPENAI_COMPATIBLE}
