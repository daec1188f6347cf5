"""LangChain's standard *integration* suite, run against `get_llm_provider()` on the emulators.

`langchain_tests.integration_tests.ChatModelIntegrationTests` is LangChain's own judge of
a chat model: invoke, stream, batch, their async forms, usage metadata, stop sequences,
tool calling, agent loops, structured output (pydantic, TypedDict, JSON schema; tool
calling and JSON mode), callbacks. Nobody here wrote it, so it is a fair judge of both
the hybrid model and the emulators' wire formats and answers.

Three configurations, each a subclass:

* OpenAI primary, Anthropic secondary;
* Anthropic primary, OpenAI secondary;
* OpenAI primary answering every call with a 503, so every call fails over to Anthropic
  (circuit breaking off, so each call really tries the primary first; a per-test check
  says the primary was tried and the secondary served).

Skipped, and declared here: the input modalities the emulators do not speak (images,
PDF, audio; the `supports_*` properties keep LangChain's default `False`), and the
VCR-recorded `test_stream_time` benchmark (`enable_vcr_tests` is `False`: it replays
recorded real-provider traffic, and speed is measured in `benchmarks/`, not in timed
tests).

The `model=` override tests name another model of the provider expected to serve;
with the primary failing, that is the secondary's, so those four calls go to the
secondary first and do not try the primary (the per-test check exempts them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from app.ai.providers.factory import get_llm_provider
from app.ai.providers.hybrid import HybridChatModel
from app.core.config import Settings
from emulators import Fault, RunningEmulator

#: A second model of each provider, for the standard `model=` override tests.
OTHER_MODEL = {"openai": "gpt-4.1", "anthropic": "claude-haiku-4-5"}


class _HybridOnEmulators(ChatModelIntegrationTests):
    """The shared set-up: `get_llm_provider()` built from settings naming the emulators."""

    _factory_params: dict[str, Any]

    primary = "openai"
    secondary = "anthropic"
    primary_fails = False

    @property
    def chat_model_class(self) -> type[HybridChatModel]:
        return HybridChatModel

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str | None:
        """Another model of the provider expected to serve (a `model=` override goes
        first to the provider whose model it names, see `call.py`)."""
        return OTHER_MODEL[self.secondary if self.primary_fails else self.primary]

    @property
    def chat_model_params(self) -> dict[str, Any]:
        """What `get_llm_provider()` set on the model the `model` fixture built (tests such
        as `test_stop_sequence` build a second model from these plus their own params)."""
        return dict(self._factory_params)

    @pytest.fixture
    def emulators(
        self, openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator
    ) -> dict[str, RunningEmulator]:
        return {"openai": openai_emulator, "anthropic": anthropic_emulator}

    @pytest.fixture
    def model(
        self,
        request: pytest.FixtureRequest,
        emulator_settings: Callable[..., Settings],
        emulators: dict[str, RunningEmulator],
    ) -> Iterator[HybridChatModel]:
        settings = emulator_settings(
            AI_PROVIDER=self.primary,
            AI_FALLBACK_PROVIDER=self.secondary,
            AI_CIRCUIT_ENABLED=not self.primary_fails,
            # Production's per-attempt timeout and call deadline: the suite runs on loaded
            # CI machines, and a deadline hit there is not what these tests judge.
            AI_REQUEST_TIMEOUT=60.0,
            AI_REQUEST_DEADLINE=120.0,
            AI_BACKOFF_BASE=0.01,
            AI_BACKOFF_MAX=0.05,
        )
        extra = getattr(request, "param", None) or {}
        standard = self.standard_chat_model_params
        built = get_llm_provider(settings=settings)
        self._factory_params = {name: getattr(built, name) for name in built.model_fields_set}
        model = built.model_copy(update={**standard, **extra})
        if self.primary_fails:
            emulators[self.primary].faults.set_default(Fault(status=503))
        yield model
        # A `model=` override naming the secondary's model goes to the secondary first.
        if self.primary_fails and "model_override" not in request.node.name:
            served = emulators[self.secondary].request_count
            tried = emulators[self.primary].request_count
            assert tried >= served, f"{served} calls reached the secondary, only {tried} the primary"


class TestOpenAIThenAnthropic(_HybridOnEmulators):
    primary, secondary = "openai", "anthropic"


class TestAnthropicThenOpenAI(_HybridOnEmulators):
    primary, secondary = "anthropic", "openai"


class TestPrimaryFailingEveryCall(_HybridOnEmulators):
    primary, secondary = "openai", "anthropic"
    primary_fails = True
