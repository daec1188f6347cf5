"""Which providers serve calls, their keys, models and endpoints (the brief's names)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

_INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


#: The shape of the example keys in .env.example (`sk-your-openai-api-key-here`).
_PLACEHOLDER_KEY = re.compile(r"(^|[-_])your[-_].*[-_]here$", re.IGNORECASE)


def is_placeholder_key(value: str) -> bool:
    """True for an example value like those of .env.example, which is not a real key."""
    return bool(_PLACEHOLDER_KEY.search(value.strip()))


class OpenAICompatibleEndpoint(BaseModel):
    """One `AI_OPENAI_COMPATIBLE` instance: an endpoint speaking OpenAI's Chat Completions.

    Ollama, vLLM, LM Studio, Azure OpenAI (v1 API), Groq, Together... differ only in
    URL, key and model, so each is configured as data rather than as code. `name` is
    what `AI_PROVIDER` / `AI_FALLBACK_PROVIDER` refer to; `context_window` (tokens)
    tells the context-window gate about models its table does not know.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    base_url: str
    model: str
    api_key: SecretStr | None = None
    context_window: int | None = Field(default=None, ge=1)
    supports_prefill: bool = False
    """The server continues a final assistant turn (vLLM, llama.cpp, Ollama, LM Studio):
    a broken stream may then be continued on it (docs/AI_PROVIDER_GUIDE.md)."""

    @field_validator("name", mode="before")
    @classmethod
    def _normalise_name(cls, value: Any) -> Any:
        value = value.strip().lower() if isinstance(value, str) else value
        if not isinstance(value, str) or not _INSTANCE_NAME.match(value):
            raise ValueError(
                f"name={value!r}: allowed values are 1-32 characters of a-z, 0-9, '-', '_' "
                "starting with a letter"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url={value!r}: allowed values are http:// or https:// URLs")
        return value.rstrip("/")

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("model is empty; allowed values: the endpoint's model id")
        return value.strip()


class ProviderSettings(BaseModel):
    """The primary, its fallback chain, and each built-in provider's key, model and URL."""

    AI_PROVIDER: str = "openai"
    AI_FALLBACK_ENABLED: bool = True
    AI_FALLBACK_PROVIDER: str | None = "anthropic"

    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_MODEL: str = "gpt-4o"
    OPENAI_BASE_URL: str | None = None

    ANTHROPIC_API_KEY: SecretStr | None = None
    ANTHROPIC_MODEL: str = "claude-3-5-sonnet-20241022"
    ANTHROPIC_BASE_URL: str | None = None

    GEMINI_API_KEY: SecretStr | None = None
    GEMINI_MODEL: str = "gemini-2.5-flash"
    GEMINI_BASE_URL: str | None = None

    AI_OPENAI_COMPATIBLE: Annotated[list[OpenAICompatibleEndpoint], NoDecode] = Field(
        default_factory=list,
        description="JSON list of {name, base_url, model, api_key?, context_window?} endpoints.",
    )
    AI_TEMPERATURE: float = 0.3
    AI_MAX_OUTPUT_TOKENS: int = Field(
        default=4096,
        description="Output limit sent with every provider request unless the caller set one.",
    )

    @field_validator("AI_PROVIDER", mode="before")
    @classmethod
    def _normalise_primary(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("AI_FALLBACK_PROVIDER", mode="before")
    @classmethod
    def _normalise_fallback(cls, value: Any) -> Any:
        """'Anthropic, gemini' -> 'anthropic,gemini'; a single name stays as it was."""
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        if isinstance(value, str):
            names = [part.strip().lower() for part in value.split(",") if part.strip()]
            return ",".join(names) or None
        return value

    @field_validator("AI_OPENAI_COMPATIBLE", mode="before")
    @classmethod
    def _parse_endpoints(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return []
            try:
                return json.loads(value)
            except ValueError as error:
                raise ValueError(
                    f"not valid JSON ({error}); allowed values: a JSON list of "
                    '{"name", "base_url", "model", "api_key", "context_window"} objects'
                ) from None
        return value

    @field_validator("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: Any) -> Any:
        # A blank key, or the placeholder copied from .env.example, is no key: counting
        # it as configured would send it to the provider and report a working setup.
        if isinstance(value, str) and (not value.strip() or is_placeholder_key(value)):
            return None
        return value

    @model_validator(mode="after")
    def _default_fallback_differs(self) -> Any:
        if (
            "AI_FALLBACK_PROVIDER" not in self.model_fields_set
            and self.AI_FALLBACK_PROVIDER == self.AI_PROVIDER
        ):
            # Only the brief's default fallback ("anthropic") clashes with
            # AI_PROVIDER=anthropic: the sensible default is then the other provider.
            self.AI_FALLBACK_PROVIDER = "openai"
        return self

    def problems(self) -> list[str]:
        """Provider names: known, not repeated; instance names not shadowing built-ins."""
        problems: list[str] = []
        if not 0 <= self.AI_TEMPERATURE <= 2:
            problems.append(f"AI_TEMPERATURE={self.AI_TEMPERATURE} must be between 0 and 2")
        if self.AI_MAX_OUTPUT_TOKENS < 1:
            problems.append(
                f"AI_MAX_OUTPUT_TOKENS={self.AI_MAX_OUTPUT_TOKENS}: allowed values are integers >= 1"
            )
        instance_names = [e.name for e in self.AI_OPENAI_COMPATIBLE]
        clashes = {n for n in instance_names if instance_names.count(n) > 1 or n in KNOWN_PROVIDERS}
        for name in sorted(clashes):
            problems.append(
                f"AI_OPENAI_COMPATIBLE: name {name!r} is used twice or by a built-in provider; "
                f"allowed values: unique names other than {', '.join(KNOWN_PROVIDERS)}"
            )
        names = self.provider_names()
        allowed = ", ".join(names)
        if self.AI_PROVIDER not in names:
            problems.append(
                f"AI_PROVIDER={self.AI_PROVIDER!r} is not a known provider; allowed values: {allowed}"
            )
        chain = self.fallback_providers
        single = len(chain) == 1
        for index, name in enumerate(chain):
            where = f"AI_FALLBACK_PROVIDER={self.AI_FALLBACK_PROVIDER!r}" + (
                "" if single else f": entry {name!r}"
            )
            if name not in names:
                problems.append(
                    f"{where} is not a known provider; allowed values: {allowed} "
                    "(comma-separated, in order of preference), or empty to disable fallback"
                )
            elif name == self.AI_PROVIDER and self.AI_FALLBACK_ENABLED:
                problems.append(
                    f"{where} equals AI_PROVIDER; allowed values: a provider other than "
                    f"{self.AI_PROVIDER!r} ({allowed}), or empty to disable fallback"
                )
            elif name in chain[:index]:
                problems.append(f"{where} is listed twice; allowed values: each provider once")
        return problems

    def provider_names(self) -> tuple[str, ...]:
        """Every name `AI_PROVIDER` / `AI_FALLBACK_PROVIDER` may use."""
        return (*KNOWN_PROVIDERS, *(e.name for e in self.AI_OPENAI_COMPATIBLE))

    @property
    def fallback_providers(self) -> tuple[str, ...]:
        """`AI_FALLBACK_PROVIDER` as an ordered chain (as configured, even if disabled)."""
        return tuple(self.AI_FALLBACK_PROVIDER.split(",")) if self.AI_FALLBACK_PROVIDER else ()

    @property
    def fallback_provider(self) -> str | None:
        """The first fallback provider, or None when fallback is switched off."""
        chain = self.fallback_providers
        return chain[0] if chain and self.AI_FALLBACK_ENABLED else None

    def openai_compatible(self, name: str) -> OpenAICompatibleEndpoint | None:
        """The `AI_OPENAI_COMPATIBLE` instance called `name`, if any."""
        return next((e for e in self.AI_OPENAI_COMPATIBLE if e.name == name), None)

    def api_key(self, provider: str) -> SecretStr | None:
        """The key configured for `provider` (None when absent)."""
        endpoint = self.openai_compatible(provider)
        if endpoint is not None:
            return endpoint.api_key
        value = getattr(self, f"{provider.upper()}_API_KEY", None)
        return value if isinstance(value, SecretStr) else None


#: Built-in providers: the names `AI_PROVIDER` accepts besides `AI_OPENAI_COMPATIBLE`
#: instances. Each has an adapter in `app.ai.providers.adapters` that declares the
#: settings above it reads; `core` may not import `ai`, so `assembly.check_registry`
#: holds this list, the registry and the adapters' declared settings against each
#: other at start-up.
KNOWN_PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "gemini")
