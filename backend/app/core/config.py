"""Application settings, read once from the environment and `.env`.

The names and defaults of the AI settings are the product brief's contract
(`AI_PROVIDER`, `AI_FALLBACK_ENABLED`, ...): deployments already use them.
Invalid values stop start-up with a message that names the setting and the
values it accepts, so a typo in an environment variable never turns into a
confusing failure at the first AI call.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Built-in providers, derived from the settings: every `<NAME>_API_KEY` field of
#: `Settings` declares the provider `<name>`, so a new provider's own settings are all
#: `core` needs to know about it. Filled in right below `Settings`; the provider
#: factory checks at start-up that each name has a registered adapter (`core` must
#: not import `ai`). `AI_OPENAI_COMPATIBLE` instances add their own names on top.
KNOWN_PROVIDERS: tuple[str, ...] = ()
_INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


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


#: Values of `AI_ROUTING_STRATEGY` (implemented in `app.ai.providers.strategies`).
ROUTING_STRATEGIES: tuple[str, ...] = ("priority", "cost", "latency", "weighted", "ab")


def _parse_provider_numbers(text: str, setting: str) -> dict[str, float]:
    """'openai=3, anthropic=1' -> {'openai': 3.0, 'anthropic': 1.0} (issue 5 settings)."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = part.partition("=")
        name = name.strip().lower()
        try:
            value = float(number) if sep else -1.0
        except ValueError:
            value = -1.0
        if not name or value < 0:
            raise ValueError(
                f"{setting}={text!r}: allowed values: comma-separated provider=number pairs "
                "(e.g. 'openai=3,anthropic=1') with numbers >= 0"
            )
        values[name] = value
    return values


#: Values of `AUTH_MODE` (implemented in `app.security`): keys required, or none (local-dev).
AUTH_MODES: tuple[str, ...] = ("api-keys", "local-dev")

#: Values of `AI_HEDGE_MODE` (implemented in `app.ai.providers.hedging`).
HEDGE_MODES: tuple[str, ...] = ("off", "fixed", "adaptive")


class ConfigError(ValueError):
    """Raised at start-up when a setting has a value the service cannot run with."""


class Settings(BaseSettings):
    """Every setting of the service; see README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    # --- AI providers (the brief's names and defaults) -----------------------
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

    AI_REQUEST_TIMEOUT: float = Field(default=60.0, description="Seconds per provider attempt.")
    AI_REQUEST_DEADLINE: float = Field(
        default=120.0, description="Seconds for a whole call: retries and failover included."
    )
    AI_MAX_RETRIES: int = Field(default=2, description="Retries on one provider.")
    AI_TEMPERATURE: float = 0.3
    AI_BACKOFF_BASE: float = Field(
        default=0.5, description="Seconds: first retry waits up to this (full jitter), doubling."
    )
    AI_BACKOFF_MAX: float = Field(default=8.0, description="Seconds: cap of one backoff pause.")

    # --- Application ---------------------------------------------------------
    PROJECT_NAME: str = "Tandem"
    API_V1_STR: str = "/api/v1"
    DATABASE_URL: str = "sqlite:///./tandem.db"
    LOG_LEVEL: str = "INFO"

    # --- Resilience (issue 4) ---
    # AI_STATE_REDIS_URL (declared with the issue 5 settings) also shares circuit state.
    AI_STATE_KEY_PREFIX: str = Field(
        default="tandem:ai", description="Prefix of the Redis keys holding shared AI state."
    )
    AI_CIRCUIT_ENABLED: bool = Field(
        default=True, description="Per-provider circuit breakers (see docs/RESILIENCE.md)."
    )
    AI_CIRCUIT_WINDOW_SECONDS: float = Field(
        default=30.0, description="Sliding window over which failures are counted."
    )
    AI_CIRCUIT_MIN_FAILURES: int = Field(
        default=5, description="Failures within the window needed before the circuit may open."
    )
    AI_CIRCUIT_FAILURE_RATIO: float = Field(
        default=0.5, description="Share of failed calls within the window that opens the circuit."
    )
    AI_CIRCUIT_COOLDOWN_SECONDS: float = Field(
        default=10.0, description="Seconds open before half-open, unless the provider sent retry-after."
    )
    AI_CIRCUIT_MAX_COOLDOWN_SECONDS: float = Field(
        default=120.0, description="Cap on a retry-after-driven cooldown."
    )
    AI_CIRCUIT_FATAL_COOLDOWN_SECONDS: float = Field(
        default=300.0, description="Seconds open after a provider-fatal error (bad key, quota, billing)."
    )
    AI_CIRCUIT_HALF_OPEN_PROBES: int = Field(
        default=1, description="Calls let through at once while half-open."
    )
    AI_HEDGE_MODE: str | None = Field(
        default=None, description="off | fixed | adaptive; unset: fixed when AI_HEDGE_AFTER_MS is set."
    )
    AI_HEDGE_AFTER_MS: float | None = Field(
        default=None, description="Start the next provider when the first has no token after this."
    )
    AI_HEDGE_MIN_MS: float = Field(default=50.0, description="adaptive: never hedge sooner than this.")

    # --- Data limits (requests over them get a 413 naming the setting) -------
    MAX_DOCUMENT_CHARS: int = Field(default=200_000, ge=1, description="Longest document body.")
    MAX_RESUME_CHARS: int = Field(default=50_000, ge=1, description="Longest candidate resume_text.")
    MAX_IMPORT_ITEMS: int = Field(default=1_000, ge=1, description="Most items in one bulk import.")
    MAX_REQUEST_BYTES: int = Field(
        default=50_000_000, ge=1, description="Largest request body the data routes read."
    )

    # --- Cost, routing, observability (issue 5) ---
    AI_ROUTING_STRATEGY: str = Field(
        default="priority", description="Order of providers per call: " + " | ".join(ROUTING_STRATEGIES)
    )
    AI_ROUTING_WEIGHTS: str = Field(
        default="", description="weighted: 'openai=3,anthropic=1'; unnamed providers weigh 1."
    )
    AI_AB_SPLIT: str = Field(
        default="", description="ab: percent per provider 'openai=90,anthropic=10' (sums to 100)."
    )
    AI_AB_EXPERIMENT: str = Field(default="default", description="ab: salt of the sticky user split.")
    AI_LATENCY_DECAY: float = Field(
        default=0.3, description="latency: weight of the newest time-to-first-token sample (0-1]."
    )
    AI_COST_OUTPUT_TOKENS: int = Field(
        default=400, description="cost: output tokens assumed when ranking providers by price."
    )
    AI_PRICES: str | None = Field(default=None, description="JSON price overrides (USD / 1M tokens).")
    AI_PRICES_FILE: str | None = Field(default=None, description="Path of a JSON price override file.")
    AI_BUDGET_OPENAI_DAILY_USD: float | None = None
    AI_BUDGET_OPENAI_MONTHLY_USD: float | None = None
    AI_BUDGET_ANTHROPIC_DAILY_USD: float | None = None
    AI_BUDGET_ANTHROPIC_MONTHLY_USD: float | None = None
    AI_STATE_REDIS_URL: str | None = Field(
        default=None, description="Redis shared by workers (budgets); in-process state when unset."
    )
    AI_LEDGER_ENABLED: bool = Field(default=True, description="Write every AI call to the usage ledger.")
    AI_LEDGER_FLUSH_SECONDS: float = Field(default=1.0, description="Ledger background flush period.")
    METRICS_ENABLED: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")

    # --- API security (issue 7; see docs/SECURITY.md) ---
    AUTH_MODE: str = Field(
        default="api-keys",
        description="api-keys (every /api/v1 call needs a key) | local-dev (no auth: development only).",
    )
    RATE_LIMIT_REDIS_URL: str | None = Field(
        default=None, description="Redis for per-client AI limits (unset: AI_STATE_REDIS_URL or in-process)."
    )
    AI_RATE_LIMIT_PER_MINUTE: int = Field(
        default=60, ge=0, description="AI endpoint calls per client per minute (0: unlimited)."
    )
    AI_MAX_CONCURRENT_PER_CLIENT: int = Field(
        default=4, ge=0, description="AI endpoint calls one client may have in flight (0: unlimited)."
    )

    # --- AI features (issue 3) ---
    AI_DEGRADED_MODE: bool = Field(
        default=True,
        description="When every provider failed: answer deterministically (true) or 503 (false).",
    )
    AI_MAX_RESULTS: int = Field(default=20, ge=1, le=100, description="Most items a ranking may return.")
    AI_SHORTLIST_SIZE: int = Field(
        default=10, ge=1, le=50, description="Items the local shortlist hands the model to rank."
    )
    MAX_QUESTION_CHARS: int = Field(default=2_000, ge=1, description="Longest Q&A question.")
    MAX_ASSISTANT_MESSAGE_CHARS: int = Field(
        default=8_000, ge=1, description="Longest assistant user message."
    )
    ASSISTANT_MAX_TOOL_ROUNDS: int = Field(
        default=3, ge=0, le=10, description="Tool-call rounds per assistant turn before answering."
    )
    ASSISTANT_HISTORY_MESSAGES: int = Field(
        default=20, ge=1, le=200, description="Earlier messages sent to the model each turn."
    )

    @field_validator("AUTH_MODE", mode="before")
    @classmethod
    def _check_auth_mode(cls, value: Any) -> Any:
        mode = value.strip().lower() if isinstance(value, str) else value
        if mode not in AUTH_MODES:
            raise ValueError(f"AUTH_MODE={value!r}: allowed values: {' | '.join(AUTH_MODES)}")
        return mode

    @property
    def routing_weights(self) -> dict[str, float]:
        """`AI_ROUTING_WEIGHTS` parsed ('openai=3,anthropic=1')."""
        return _parse_provider_numbers(self.AI_ROUTING_WEIGHTS, "AI_ROUTING_WEIGHTS")

    @property
    def ab_split(self) -> dict[str, float]:
        """`AI_AB_SPLIT` parsed ('openai=90,anthropic=10'); empty means an even split."""
        return _parse_provider_numbers(self.AI_AB_SPLIT, "AI_AB_SPLIT")

    def budget_usd(self, provider: str, period: str) -> float | None:
        """`AI_BUDGET_<PROVIDER>_<DAILY|MONTHLY>_USD`, None when unlimited."""
        value = getattr(self, f"AI_BUDGET_{provider.upper()}_{period.upper()}_USD", None)
        return float(value) if value is not None else None

    @model_validator(mode="after")
    def _check_cost_routing_settings(self) -> Settings:
        problems: list[str] = []
        if self.AI_ROUTING_STRATEGY not in ROUTING_STRATEGIES:
            problems.append(
                f"AI_ROUTING_STRATEGY={self.AI_ROUTING_STRATEGY!r} is unknown; "
                f"allowed values: {', '.join(ROUTING_STRATEGIES)}"
            )
        try:
            self.routing_weights  # noqa: B018  (parsing is the check)
            split = self.ab_split
            if split and abs(sum(split.values()) - 100.0) > 1e-6:
                problems.append(f"AI_AB_SPLIT={self.AI_AB_SPLIT!r} must sum to 100 (percent per provider)")
        except ValueError as error:
            problems.append(str(error))
        if not 0 < self.AI_LATENCY_DECAY <= 1:
            problems.append(f"AI_LATENCY_DECAY={self.AI_LATENCY_DECAY}: allowed values are 0 < x <= 1")
        if self.AI_COST_OUTPUT_TOKENS < 0:
            problems.append(f"AI_COST_OUTPUT_TOKENS={self.AI_COST_OUTPUT_TOKENS} must be 0 or more")
        for name in type(self).model_fields:
            if name.startswith("AI_BUDGET_") and (value := getattr(self, name)) is not None and value < 0:
                problems.append(f"{name}={value} must be a non-negative amount of USD, or unset")
        if self.AI_LEDGER_FLUSH_SECONDS <= 0:
            problems.append(f"AI_LEDGER_FLUSH_SECONDS={self.AI_LEDGER_FLUSH_SECONDS} must be positive")
        if self.AI_PRICES:
            try:
                if not isinstance(json.loads(self.AI_PRICES), dict):
                    raise ValueError("not an object")
            except ValueError as error:
                problems.append(f"AI_PRICES must be a JSON object of model -> prices ({error})")
        if self.AI_PRICES_FILE and not Path(self.AI_PRICES_FILE).is_file():
            problems.append(f"AI_PRICES_FILE={self.AI_PRICES_FILE!r}: allowed values: a path to a JSON file")
        if problems:
            raise ConfigError("; ".join(problems))
        return self

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
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_ai_settings(self) -> Settings:
        if (
            "AI_FALLBACK_PROVIDER" not in self.model_fields_set
            and self.AI_FALLBACK_PROVIDER == self.AI_PROVIDER
        ):
            # Only the brief's default fallback ("anthropic") clashes with
            # AI_PROVIDER=anthropic: the sensible default is then the other provider.
            self.AI_FALLBACK_PROVIDER = "openai"
        problems: list[str] = []
        problems.extend(self._provider_problems())
        if self.AI_REQUEST_TIMEOUT <= 0:
            problems.append(
                f"AI_REQUEST_TIMEOUT={self.AI_REQUEST_TIMEOUT} must be a positive number of seconds"
            )
        if self.AI_REQUEST_DEADLINE < self.AI_REQUEST_TIMEOUT:
            problems.append(
                f"AI_REQUEST_DEADLINE={self.AI_REQUEST_DEADLINE} must be at least "
                f"AI_REQUEST_TIMEOUT ({self.AI_REQUEST_TIMEOUT}) seconds"
            )
        if self.AI_BACKOFF_BASE < 0 or self.AI_BACKOFF_MAX < self.AI_BACKOFF_BASE:
            problems.append(
                f"AI_BACKOFF_BASE={self.AI_BACKOFF_BASE} / AI_BACKOFF_MAX={self.AI_BACKOFF_MAX}: "
                "allowed values are 0 <= AI_BACKOFF_BASE <= AI_BACKOFF_MAX seconds"
            )
        if self.AI_MAX_RETRIES < 0:
            problems.append(f"AI_MAX_RETRIES={self.AI_MAX_RETRIES} must be 0 or more")
        if not 0 <= self.AI_TEMPERATURE <= 2:
            problems.append(f"AI_TEMPERATURE={self.AI_TEMPERATURE} must be between 0 and 2")
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_resilience_settings(self) -> Settings:
        problems: list[str] = []
        if self.AI_HEDGE_MODE is not None and self.AI_HEDGE_MODE not in HEDGE_MODES:
            problems.append(
                f"AI_HEDGE_MODE={self.AI_HEDGE_MODE!r} is unknown; allowed values: {', '.join(HEDGE_MODES)}"
            )
        if self.AI_HEDGE_AFTER_MS is not None and self.AI_HEDGE_AFTER_MS <= 0:
            problems.append(
                f"AI_HEDGE_AFTER_MS={self.AI_HEDGE_AFTER_MS}: allowed values are > 0 ms, or unset"
            )
        if self.AI_HEDGE_MODE == "fixed" and self.AI_HEDGE_AFTER_MS is None:
            problems.append("AI_HEDGE_MODE='fixed' needs AI_HEDGE_AFTER_MS (milliseconds > 0)")
        if self.AI_HEDGE_MIN_MS < 0:
            problems.append(f"AI_HEDGE_MIN_MS={self.AI_HEDGE_MIN_MS}: allowed values are >= 0 ms")
        positive = (
            "AI_CIRCUIT_WINDOW_SECONDS", "AI_CIRCUIT_COOLDOWN_SECONDS",
            "AI_CIRCUIT_MAX_COOLDOWN_SECONDS", "AI_CIRCUIT_FATAL_COOLDOWN_SECONDS",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                problems.append(f"{name}={getattr(self, name)}: allowed values are > 0 seconds")
        for name in ("AI_CIRCUIT_MIN_FAILURES", "AI_CIRCUIT_HALF_OPEN_PROBES"):
            if getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)}: allowed values are integers >= 1")
        if not 0 < self.AI_CIRCUIT_FAILURE_RATIO <= 1:
            problems.append(
                f"AI_CIRCUIT_FAILURE_RATIO={self.AI_CIRCUIT_FAILURE_RATIO}: allowed values are 0 < x <= 1"
            )
        if not self.AI_STATE_KEY_PREFIX.strip():
            problems.append("AI_STATE_KEY_PREFIX is empty; allowed values: a non-empty key prefix")
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    @property
    def hedge_mode(self) -> str:
        """`AI_HEDGE_MODE` resolved: unset means fixed when `AI_HEDGE_AFTER_MS` is set, else off."""
        if self.AI_HEDGE_MODE is not None:
            return self.AI_HEDGE_MODE
        return "fixed" if self.AI_HEDGE_AFTER_MS is not None else "off"

    def _provider_problems(self) -> list[str]:
        """Provider names: known, not repeated; instance names not shadowing built-ins."""
        problems: list[str] = []
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


KNOWN_PROVIDERS = tuple(
    name.removesuffix("_API_KEY").lower() for name in Settings.model_fields if name.endswith("_API_KEY")
)


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name != "settings" else message)
    return "Invalid configuration: " + "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's report into one readable start-up error."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own with `load_settings`)."""
    return load_settings()


class _LazySettings:
    """`settings` proxy so that importing this module never fails on a bad environment.

    The brief imports `app.core.config.settings`; resolving it lazily keeps that name
    while letting the CLI and tests report a configuration error cleanly.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(get_settings(), name)

    def __repr__(self) -> str:
        return repr(get_settings())


settings: Settings = _LazySettings()  # type: ignore[assignment]
