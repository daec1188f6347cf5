"""OpenAI-compatible instances side by side, fallback chains of any length, and the
brief's single-value configuration unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel

from app.ai.providers.adapters.registry import registered
from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.factory import adapter_for, check_registry, describe_configuration, provider_order
from app.core.config import KNOWN_PROVIDERS, ConfigError, Settings, load_settings
from emulators import Fault, RunningEmulator
from tests.providers_more.conftest import GROQ_MODEL, OLLAMA_MODEL, hybrid, outcomes


class Shortlist(BaseModel):
    job_id: str
    candidate_ids: list[str]


@tool
def score_candidate(candidate_id: str) -> int:
    """Score a candidate for the current job."""
    return 1


def test_two_openai_compatible_instances_serve_side_by_side(
    make_model: Callable[..., HybridChatModel],
    openai_emulator: RunningEmulator,
    compat_emulator: RunningEmulator,
) -> None:
    groq_first = make_model("groq", "ollama")
    ollama_first = make_model("ollama", "groq")

    a = groq_first.invoke("hi")
    b = ollama_first.invoke("hi")

    assert str(a.content).startswith(f"[openai:{GROQ_MODEL}]") and hybrid(a)["provider"] == "groq"
    assert str(b.content).startswith(f"[openai:{OLLAMA_MODEL}]") and hybrid(b)["provider"] == "ollama"
    assert openai_emulator.requests[0].headers["authorization"] == "Bearer gsk_test"
    # Ollama needs no key: a placeholder satisfies the SDK, and goes to its own server.
    assert compat_emulator.requests[0].headers["authorization"] == "Bearer not-needed"


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "tools", "structured"])
def test_an_instance_fails_over_to_another_instance(
    make_model: Callable[..., HybridChatModel],
    openai_emulator: RunningEmulator,
    compat_emulator: RunningEmulator,
    mode: str,
) -> None:
    openai_emulator.faults.set_default(Fault(status=429))  # groq is rate limited
    model = make_model("groq", "ollama")

    if mode == "invoke":
        answer: Any = model.invoke("hello")
    elif mode == "ainvoke":
        answer = asyncio.run(model.ainvoke("hello"))
    elif mode == "stream":
        chunks = list(model.stream("hello tokens=3"))
        answer = chunks[0]
        for chunk in chunks[1:]:
            answer = answer + chunk
    elif mode == "tools":
        answer = model.bind_tools([score_candidate], tool_choice="score_candidate").invoke("go")
        assert answer.tool_calls[0]["name"] == "score_candidate"
    else:
        result: Any = model.with_structured_output(Shortlist, include_raw=True).invoke("pick")
        assert isinstance(result["parsed"], Shortlist)
        answer = result["raw"]
    assert outcomes(answer) == [("groq", "transient"), ("ollama", "ok")]
    assert hybrid(answer)["attempts"][0]["reason"] == "rate_limited"
    if mode in ("invoke", "ainvoke", "stream"):
        assert str(answer.content).startswith(f"[openai:{OLLAMA_MODEL}]")


def test_an_instance_as_fallback_of_a_built_in_provider(
    make_model: Callable[..., HybridChatModel], anthropic_emulator: RunningEmulator
) -> None:
    anthropic_emulator.faults.set_default(Fault(status=401))
    answer = make_model("anthropic", "ollama").invoke("hello")

    assert outcomes(answer) == [("anthropic", "provider_fatal"), ("ollama", "ok")]


def test_a_three_provider_chain_is_tried_in_order(
    make_model: Callable[..., HybridChatModel],
    gemini_emulator: RunningEmulator,
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    gemini_emulator.faults.set_default(Fault(status=503))
    openai_emulator.faults.set_default(Fault(status=500))
    model = make_model("gemini", "openai,anthropic")

    answer = model.invoke("hello")

    assert str(answer.content).startswith("[anthropic:")
    assert outcomes(answer) == [("gemini", "transient"), ("openai", "transient"), ("anthropic", "ok")]
    assert [m.name for m in model.members] == ["gemini", "openai", "anthropic"]
    assert (gemini_emulator.request_count, openai_emulator.request_count) == (1, 1)


def test_the_order_of_the_chain_is_the_configured_one(
    make_model: Callable[..., HybridChatModel], gemini_emulator: RunningEmulator
) -> None:
    gemini_emulator.faults.set_default(Fault(status=503))
    answer = make_model("gemini", "ollama, anthropic, openai").invoke("hello")

    assert outcomes(answer) == [("gemini", "transient"), ("ollama", "ok")]


def test_a_chain_with_an_unconfigured_member_skips_it(
    make_settings: Callable[..., Settings], gemini_emulator: RunningEmulator
) -> None:
    from app.ai.providers.factory import get_llm_provider

    settings = make_settings(AI_PROVIDER="gemini", AI_FALLBACK_PROVIDER="openai,anthropic", OPENAI_API_KEY="")
    gemini_emulator.faults.set_default(Fault(status=503))

    answer = get_llm_provider(settings=settings).invoke("hello")

    assert outcomes(answer) == [("gemini", "transient"), ("anthropic", "ok")]
    assert describe_configuration(settings)["missing_settings"] == ["OPENAI_API_KEY"]


def test_fallback_disabled_keeps_only_the_primary(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(AI_PROVIDER="gemini", AI_FALLBACK_PROVIDER="openai,anthropic")

    assert provider_order(settings, fallback=False) == ["gemini"]
    off = make_settings(AI_PROVIDER="gemini", AI_FALLBACK_PROVIDER="openai", AI_FALLBACK_ENABLED=False)
    assert provider_order(off) == ["gemini"] and off.fallback_provider is None


def test_the_briefs_single_value_configuration_is_unchanged(
    make_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    settings = make_settings(AI_PROVIDER="openai", AI_FALLBACK_PROVIDER="anthropic", AI_OPENAI_COMPATIBLE=[])
    defaults = load_settings(_env_file=None)

    assert (defaults.AI_PROVIDER, defaults.AI_FALLBACK_PROVIDER) == ("openai", "anthropic")
    assert settings.AI_FALLBACK_PROVIDER == "anthropic"
    assert settings.fallback_provider == "anthropic"
    assert settings.fallback_providers == ("anthropic",)
    assert provider_order(settings) == ["openai", "anthropic"]
    openai_emulator.faults.set_default(Fault(status=500))
    from app.ai.providers.factory import get_llm_provider

    answer = get_llm_provider(settings=settings).invoke("hello")
    assert outcomes(answer) == [("openai", "transient"), ("anthropic", "ok")]


def test_fallback_lists_are_normalised(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(AI_PROVIDER="Gemini", AI_FALLBACK_PROVIDER=" OpenAI , anthropic ,")

    assert settings.AI_FALLBACK_PROVIDER == "openai,anthropic"
    assert settings.fallback_providers == ("openai", "anthropic")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"AI_FALLBACK_PROVIDER": "openai"},
            "AI_FALLBACK_PROVIDER='openai' equals AI_PROVIDER; allowed values: a provider other than 'openai'",
        ),
        (
            {"AI_FALLBACK_PROVIDER": "cohere"},
            "AI_FALLBACK_PROVIDER='cohere' is not a known provider; allowed values: openai, anthropic, gemini",
        ),
        (
            {"AI_FALLBACK_PROVIDER": "anthropic,cohere"},
            "AI_FALLBACK_PROVIDER='anthropic,cohere': entry 'cohere' is not a known provider",
        ),
        (
            {"AI_FALLBACK_PROVIDER": "anthropic,gemini,anthropic"},
            "entry 'anthropic' is listed twice; allowed values: each provider once",
        ),
        ({"AI_PROVIDER": "groq"}, "AI_PROVIDER='groq' is not a known provider; allowed values: openai"),
        (
            {"AI_OPENAI_COMPATIBLE": '[{"name": "openai", "base_url": "http://x", "model": "m"}]'},
            "AI_OPENAI_COMPATIBLE: name 'openai' is used twice or by a built-in provider",
        ),
        (
            {"AI_OPENAI_COMPATIBLE": '[{"name": "a", "base_url": "ftp://x", "model": "m"}]'},
            "AI_OPENAI_COMPATIBLE.0.base_url: base_url='ftp://x': allowed values are http:// or https://",
        ),
        (
            {"AI_OPENAI_COMPATIBLE": '[{"name": "9x", "base_url": "http://x", "model": "m"}]'},
            "name='9x': allowed values are 1-32 characters",
        ),
        ({"AI_OPENAI_COMPATIBLE": "{not json"}, "AI_OPENAI_COMPATIBLE: not valid JSON"),
        (
            {"AI_OPENAI_COMPATIBLE": '[{"name": "a", "base_url": "http://x", "model": "m", "key": "k"}]'},
            "AI_OPENAI_COMPATIBLE.0.key",
        ),
    ],
)
def test_invalid_provider_settings_fail_at_start_up_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, overrides: dict[str, str], expected: str
) -> None:
    for name, value in overrides.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AI_PROVIDER", overrides.get("AI_PROVIDER", "openai"))
    if "AI_FALLBACK_PROVIDER" not in overrides:
        monkeypatch.setenv("AI_FALLBACK_PROVIDER", "anthropic")

    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)

    assert expected in str(caught.value)


def test_instances_are_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AI_OPENAI_COMPATIBLE",
        '[{"name": "Groq", "base_url": "https://api.groq.com/openai/v1/", "api_key": "gsk_secret",'
        ' "model": "llama-3.3-70b-versatile", "context_window": 131072}]',
    )
    monkeypatch.setenv("AI_PROVIDER", "groq")
    monkeypatch.setenv("AI_FALLBACK_PROVIDER", "openai")

    settings = load_settings(_env_file=None)

    endpoint = settings.openai_compatible("groq")
    assert endpoint is not None and endpoint.base_url == "https://api.groq.com/openai/v1"
    assert settings.api_key("groq") is not None and "gsk_secret" not in repr(settings)
    assert "gsk_secret" not in str(describe_configuration(settings))


def test_known_providers_come_from_the_settings_and_all_are_registered() -> None:
    check_registry()
    assert set(KNOWN_PROVIDERS) == {"openai", "anthropic", "gemini"}
    assert set(KNOWN_PROVIDERS) <= set(registered())


def test_an_unknown_name_reaching_the_factory_is_a_config_error(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="allowed values: openai, anthropic, gemini, groq, ollama"):
        adapter_for("cohere", make_settings())


def test_describe_configuration_lists_every_provider(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(AI_PROVIDER="groq", AI_FALLBACK_PROVIDER="gemini,anthropic", GEMINI_API_KEY="")

    summary = describe_configuration(settings)

    providers = summary["providers"]
    assert set(providers) == {"openai", "anthropic", "gemini", "groq", "ollama"}
    assert providers["groq"] | {} == {
        "configured": True,
        "model": GROQ_MODEL,
        "role": "primary",
        "position": 0,
        "type": "openai-compatible",
        "context_window": 131_072,
    }
    assert (providers["gemini"]["role"], providers["gemini"]["position"]) == ("fallback", 1)
    assert providers["gemini"]["configured"] is False
    assert providers["openai"]["role"] == "unused"
    assert summary["serving_order"] == ["groq", "anthropic"]
    assert summary["missing_settings"] == ["GEMINI_API_KEY"]
