"""What a provider module contributes, and a provider ready to serve calls.

`ProviderAdapter` is the abstract base the brief asks for: one subclass per provider
declares the settings it reads (`ProviderSettings`), knows how to build its LangChain
chat model from them (`ProviderConfig`, read from the settings by `assembly.py`, so no
adapter imports `app.core`), how to read its SDK's errors, and how to tell that its
stream really finished. It also declares its data: the list prices (`prices`) and
context windows (`context_windows`) of its models, so adding a provider, or a model of
one, touches that provider's module and no central table (`registry.default_prices()`
and `registry.default_context_windows()` merge the declarations). The engine only ever
talks to these small types, so adding a provider never touches it.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.runnables import Runnable, RunnableBinding, RunnableSequence
from pydantic import SecretStr

from app.ai.providers.policies.classification import Classification
from app.ai.providers.policies.pricing import ModelPrice


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """The names of the settings (environment variables) one provider reads."""

    api_key: str
    model: str
    base_url: str
    options: Mapping[str, str] = field(default_factory=dict)
    """Provider-specific options: option name -> the setting that holds it."""

    @property
    def names(self) -> tuple[str, str, str]:
        return (self.api_key, self.model, self.base_url)


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """The values a provider is built from (read from the settings by `assembly.py`)."""

    model: str
    api_key: SecretStr | None = None
    base_url: str | None = None
    temperature: float | None = None
    timeout: float = 60.0
    options: Mapping[str, Any] = field(default_factory=dict)
    """Values of the adapter's `ProviderSettings.options`, by option name."""
    context_window: int | None = None
    """Declared window (an `AI_OPENAI_COMPATIBLE` entry may give one); None: look it up."""


class ProviderAdapter(ABC):
    """Everything provider-specific that the hybrid model needs."""

    #: Registry name, as written in `AI_PROVIDER` / `AI_FALLBACK_PROVIDER`.
    name: ClassVar[str]
    #: The settings this provider reads.
    settings: ClassVar[ProviderSettings]
    #: Settings that must be set for the provider to be usable.
    required_settings: ClassVar[tuple[str, ...]]
    #: Keys in a stream chunk's metadata whose presence proves the answer is complete.
    terminal_metadata_keys: ClassVar[tuple[str, ...]] = ("finish_reason",)
    #: Name prefixes of this provider's models: a call's `model=` override goes to the
    #: provider serving that model (`serves_model`), never to one that does not.
    model_prefixes: ClassVar[tuple[str, ...]] = ()

    def serves_model(self, model: str) -> bool:
        """True when `model` is one of this provider's models (by name prefix)."""
        return bool(self.model_prefixes) and model.startswith(self.model_prefixes)

    #: The provider type reported by status endpoints (an instance name's type may differ).
    type_name: ClassVar[str | None] = None
    #: The call keyword of the integration that sets the output limit.
    output_limit_kwarg: ClassVar[str] = "max_tokens"
    #: List prices of this provider's models (USD / 1M tokens), by lower-case model-name
    #: prefix: the longest matching prefix wins, so dated snapshots resolve to their family.
    #: Operators override them with `AI_PRICES` / `AI_PRICES_FILE`.
    prices: ClassVar[Mapping[str, ModelPrice]] = MappingProxyType({})
    #: Context windows (input + output tokens) of this provider's models, by lower-case
    #: model-name prefix ending at a name boundary (see `policies/context_window.py`).
    context_windows: ClassVar[Mapping[str, int]] = MappingProxyType({})

    @property
    def kind(self) -> str:
        return self.type_name or self.name

    def is_configured(self, config: ProviderConfig) -> bool:
        """True when the provider can serve calls with `config` (it has a key)."""
        return config.api_key is not None and bool(config.api_key.get_secret_value())

    @abstractmethod
    def build(self, config: ProviderConfig) -> BaseChatModel:
        """The LangChain chat model for this provider, with SDK retries switched off."""

    @abstractmethod
    def classify(self, exc: BaseException) -> Classification | None:
        """SDK-specific classification; None defers to the generic rules."""

    def for_new_event_loop(self, model: BaseChatModel) -> BaseChatModel:
        """A copy of `model` whose async HTTP client is fresh, for another event loop.

        An async connection pool belongs to the loop that opened it; LangChain's
        integrations share one pool per base URL, so a second `asyncio.run` would fail
        with "Event loop is closed". Providers whose async client is not loop-bound
        can return `model` itself.
        """
        return model

    def supports_prefill(self, model: str) -> bool:
        """Whether `model` continues a final assistant turn (see `continuation.py`).

        False unless the provider's documentation says so: a provider that accepts the
        turn but answers afresh (OpenAI) would make a continuation repeat the answer.
        """
        return False

    def prefill_kwargs(self) -> dict[str, Any]:
        """Extra request arguments that make the server continue the final turn."""
        return {}

    def stream_finished(self, chunk: ChatGenerationChunk) -> bool:
        """True when `chunk` carries the provider's end-of-answer marker."""
        info = chunk.generation_info or {}
        meta = chunk.message.response_metadata or {}
        return any(info.get(k) or meta.get(k) for k in self.terminal_metadata_keys)


def _model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str):
            return value
    return type(model).__name__


class _LoopModels:
    """The inner model to use on each event loop (shared by a member and its bindings)."""

    def __init__(self, model: BaseChatModel, adapter: ProviderAdapter) -> None:
        self._model = model
        self._adapter = adapter
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BaseChatModel] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self.model_name = _model_name(model)

    def current(self) -> BaseChatModel:
        loop = asyncio.get_running_loop()
        model = self._by_loop.get(loop)
        if model is not None:
            return model
        with self._lock:
            model = self._by_loop.get(loop)
            if model is None:
                # Even on the first loop: the integration's default async pool is shared
                # process-wide and may already belong to another (closed) loop.
                model = self._by_loop[loop] = self._adapter.for_new_event_loop(self._model)
        return model


class Member:
    """One provider inside a hybrid model: its chat model plus per-call bound kwargs.

    `bind_tools` / `with_structured_output` on the hybrid produce new members whose
    `kwargs` hold what the provider's own native method bound (tools, tool_choice,
    response_format, output_config, ...). The hybrid then calls the inner model's
    private `_generate`/`_stream` with them, so callbacks fire once, on the outer run.

    `with_structured_output` binds lazily: the provider's own method runs when a call
    first reaches the member (`bind_pending`, called by `CallState.next_attempt`), so a
    secondary that never serves costs nothing and logs nothing (issue 14). Two threads
    racing to bind both compute the same binding; either result is kept.
    """

    __slots__ = ("_kwargs", "_loops", "_parser", "_pending", "adapter", "model", "name")

    def __init__(
        self,
        name: str,
        model: BaseChatModel,
        adapter: ProviderAdapter,
        kwargs: Mapping[str, Any] | None = None,
        parser: Runnable[Any, Any] | None = None,
        loops: _LoopModels | None = None,
        pending: Callable[[], tuple[dict[str, Any], Runnable[Any, Any] | None]] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.adapter = adapter
        self._kwargs: dict[str, Any] = dict(kwargs or {})
        self._parser = parser
        self._loops = loops or _LoopModels(model, adapter)
        self._pending = pending

    @property
    def kwargs(self) -> dict[str, Any]:
        """Everything bound for the provider's API (binds a pending structured output)."""
        self.bind_pending()
        return self._kwargs

    @property
    def parser(self) -> Runnable[Any, Any] | None:
        """The provider's structured-output parser (binds a pending structured output)."""
        self.bind_pending()
        return self._parser

    @property
    def known_kwargs(self) -> dict[str, Any]:
        """What is bound so far, without binding a pending structured output (for estimates)."""
        return self._kwargs

    def bind_pending(self) -> None:
        """Run a deferred `with_structured_output` binding now (no-op when there is none)."""
        pending = self._pending
        if pending is not None:
            self._kwargs, self._parser = pending()
            self._pending = None

    def async_model(self) -> BaseChatModel:
        """The inner model for async calls on the running event loop."""
        return self._loops.current()

    @property
    def model_name(self) -> str:
        return self._loops.model_name

    def serves_model(self, model: str) -> bool:
        """True when a `model=` override naming `model` may be sent to this provider."""
        return model == self.model_name or self.adapter.serves_model(model)

    def _binding_kwargs(self, bound: Runnable[Any, Any]) -> dict[str, Any]:
        if not isinstance(bound, RunnableBinding) or bound.bound is not self.model:
            raise TypeError(f"{self.name}: expected a binding of its own chat model, got {bound!r}")
        return {**self.kwargs, **bound.kwargs}

    def with_binding(self, bound: Runnable[Any, Any], parser: Runnable[Any, Any] | None = None) -> Member:
        """A copy carrying the kwargs that `bound` (a binding of our model) adds."""
        kwargs = self._binding_kwargs(bound)
        return Member(self.name, self.model, self.adapter, kwargs, parser, self._loops)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Member:
        return self.with_binding(self.model.bind_tools(tools, **kwargs), self.parser)

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Member:
        """A copy that applies the provider's own structured-output method when first
        called (see the class docstring), keeping that method's parser beside it."""

        def bind() -> tuple[dict[str, Any], Runnable[Any, Any] | None]:
            structured = self.model.with_structured_output(schema, include_raw=False, **kwargs)
            if not isinstance(structured, RunnableSequence):
                raise TypeError(f"{self.name}: unexpected structured-output runnable {structured!r}")
            steps = structured.steps
            parser: Runnable[Any, Any] = steps[1] if len(steps) == 2 else RunnableSequence(*steps[1:])
            return self._binding_kwargs(steps[0]), parser

        return Member(
            self.name, self.model, self.adapter, self._kwargs, self._parser, self._loops, pending=bind
        )

    def __repr__(self) -> str:
        return f"Member({self.name!r}, model={self.model_name!r})"
