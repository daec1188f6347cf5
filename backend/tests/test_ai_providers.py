"""The brief's unit tests (phase 4.1) and its five manual scenarios (4.3), automated.

Everything runs through the official SDKs over real HTTP against the emulators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.errors import ProviderNotConfiguredError
from app.ai.providers.factory import ProviderError, get_llm_provider
from app.core.config import ConfigError, Settings, load_settings
from app.main import create_app
from emulators import Fault, RunningEmulator


def test_openai_provider(emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator) -> None:
    """OpenAI provider initialization and basic call."""
    settings = emulator_settings(ANTHROPIC_API_KEY=None, AI_FALLBACK_ENABLED=False)
    answer = get_llm_provider(settings=settings).invoke("Hello from the test")
    assert answer.content == "[openai:gpt-4o] You said: Hello from the test"
    assert openai_emulator.requests[0].headers["authorization"] == "Bearer sk-test-openai"


def test_anthropic_provider(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator
) -> None:
    """Anthropic provider initialization and basic call."""
    settings = emulator_settings(AI_PROVIDER="anthropic", AI_FALLBACK_PROVIDER="", OPENAI_API_KEY=None)
    answer = get_llm_provider(settings=settings).invoke("Hello from the test")
    assert answer.content == "[anthropic:claude-3-5-sonnet-20241022] You said: Hello from the test"
    headers = anthropic_emulator.requests[0].headers
    # SDK 2.x sends the key as a bearer token; 1.x sent `x-api-key`.
    assert "sk-ant-test-anthropic" in (headers.get("x-api-key") or headers["authorization"])


def test_provider_factory(emulator_settings: Callable[..., Settings]) -> None:
    """The factory returns one hybrid chat model in the configured order."""
    model = get_llm_provider(settings=emulator_settings(AI_PROVIDER="anthropic", AI_FALLBACK_PROVIDER="openai"))
    assert isinstance(model, HybridChatModel)
    assert [m.name for m in model.members] == ["anthropic", "openai"]
    assert [m.name for m in get_llm_provider(fallback=False, settings=emulator_settings()).members] == ["openai"]


def test_fallback_mechanism(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    """Automatic fallback when the primary fails."""
    openai_emulator.faults.set_default(Fault(status=503))
    answer = get_llm_provider(settings=emulator_settings()).invoke("Hi")
    assert str(answer.content).startswith("[anthropic:")
    assert answer.response_metadata["hybrid"]["failover"] is True


def test_no_fallback_when_disabled(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    """An error, and no contact with the secondary, when fallback is disabled."""
    openai_emulator.faults.set_default(Fault(status=401))
    with pytest.raises(ProviderError, match=r"openai \(gpt-4o\): provider_fatal authentication 401"):
        get_llm_provider(fallback=False, settings=emulator_settings()).invoke("Hi")
    assert anthropic_emulator.request_count == 0


# --- The brief's manual scenarios -------------------------------------------------


def test_scenario_1_openai_primary_only_openai_key(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(ANTHROPIC_API_KEY=None, AI_FALLBACK_ENABLED=False)
    assert str(get_llm_provider(settings=settings).invoke("one").content).startswith("[openai:")
    assert anthropic_emulator.request_count == 0


def test_scenario_2_anthropic_primary_only_anthropic_key(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(
        AI_PROVIDER="anthropic", AI_FALLBACK_ENABLED=False, OPENAI_API_KEY=None
    )
    assert str(get_llm_provider(settings=settings).invoke("two").content).startswith("[anthropic:")
    assert openai_emulator.request_count == 0


@pytest.mark.parametrize(("primary", "secondary"), [("openai", "anthropic"), ("anthropic", "openai")])
def test_scenarios_3_and_4_both_keys_each_order(
    emulator_settings: Callable[..., Settings], primary: str, secondary: str
) -> None:
    model = get_llm_provider(
        settings=emulator_settings(AI_PROVIDER=primary, AI_FALLBACK_PROVIDER=secondary)
    )
    answer = model.invoke("three and four")
    assert str(answer.content).startswith(f"[{primary}:")
    assert answer.response_metadata["hybrid"]["failover"] is False


def test_scenario_5_simulated_failure_primary_unavailable(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    model = get_llm_provider(settings=emulator_settings())
    openai_emulator.faults.set_default(Fault(reset=True))
    down = model.invoke("primary is down")
    assert down.response_metadata["hybrid"]["provider"] == "anthropic"
    openai_emulator.faults.clear()
    back = model.invoke("primary is back")  # no restart needed
    assert back.response_metadata["hybrid"]["provider"] == "openai"


# --- Missing keys -------------------------------------------------------------------


def test_primary_without_key_is_served_by_the_keyed_fallback_with_one_warning(
    emulator_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.ai.providers"):
        model = get_llm_provider(settings=emulator_settings(OPENAI_API_KEY=None))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "OPENAI_API_KEY" in warnings[0].getMessage()
    assert str(model.invoke("hi").content).startswith("[anthropic:")


def test_no_key_at_all_starts_and_each_call_names_the_missing_settings(
    emulator_settings: Callable[..., Settings],
) -> None:
    settings = emulator_settings(OPENAI_API_KEY=None, ANTHROPIC_API_KEY="")
    model = get_llm_provider(settings=settings)
    with pytest.raises(ProviderError) as caught:
        model.invoke("hi")
    assert isinstance(caught.value.exceptions[0], ProviderNotConfiguredError)
    assert "OPENAI_API_KEY" in str(caught.value) and "ANTHROPIC_API_KEY" in str(caught.value)
    health = TestClient(create_app(settings)).get("/health").json()
    assert health["status"] == "ok"
    assert health["ai"]["configured"] is False
    assert health["ai"]["missing_settings"] == ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]


def test_health_reports_serving_order_without_secrets(emulator_settings: Callable[..., Settings]) -> None:
    response = TestClient(create_app(emulator_settings())).get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ai"]["serving_order"] == ["openai", "anthropic"]
    assert "sk-test-openai" not in response.text and "sk-ant-test" not in response.text


# --- Invalid configuration ------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"AI_PROVIDER": "gemeni"}, "AI_PROVIDER='gemeni' is not a known provider; allowed values: openai, anthropic"),
        ({"AI_FALLBACK_PROVIDER": "cohere"}, "AI_FALLBACK_PROVIDER='cohere' is not a known provider"),
        ({"AI_FALLBACK_PROVIDER": "openai"}, "AI_FALLBACK_PROVIDER='openai' equals AI_PROVIDER"),
        ({"AI_REQUEST_TIMEOUT": 0}, "AI_REQUEST_TIMEOUT=0.0 must be a positive number of seconds"),
        ({"AI_REQUEST_TIMEOUT": 30, "AI_REQUEST_DEADLINE": 10}, "AI_REQUEST_DEADLINE=10.0 must be at least"),
        ({"AI_MAX_RETRIES": -1}, "AI_MAX_RETRIES=-1 must be 0 or more"),
        ({"AI_FALLBACK_ENABLED": "maybe"}, "AI_FALLBACK_ENABLED"),
    ],
)
def test_invalid_settings_stop_start_up_naming_the_setting(
    clean_env: None, overrides: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **overrides)
    assert expected in str(caught.value)


def test_settings_come_from_the_environment_and_keys_stay_secret(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_PROVIDER", "Anthropic")
    monkeypatch.setenv("AI_FALLBACK_PROVIDER", "openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-very-secret")
    settings = load_settings(_env_file=None)
    assert settings.AI_PROVIDER == "anthropic"
    assert "sk-ant-very-secret" not in repr(settings) and "sk-ant-very-secret" not in str(settings)
    assert settings.api_key("anthropic") is not None
    assert settings.api_key("anthropic").get_secret_value() == "sk-ant-very-secret"  # type: ignore[union-attr]
