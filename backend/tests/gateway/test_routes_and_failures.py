"""Route resolution and error statuses, on their own (no server): what `model` names and
which status a failed call gets."""

from __future__ import annotations

import pytest

from app.ai.gateway.failures import from_provider_error
from app.ai.gateway.routes import RouteTable, Target, UnknownModelError
from app.ai.providers.errors import ProviderError
from app.ai.providers.records import Attempt
from app.core.config import ConfigError, load_settings


def table(**overrides: object) -> RouteTable:
    settings = load_settings(_env_file=None, **overrides)
    return RouteTable(settings, ["openai", "anthropic"])


def test_route_names_models_and_fallbacks_resolve_in_order() -> None:
    routes = table(AI_ROUTES='{"cheap": ["anthropic:claude-3-5-haiku-20241022", "openai/gpt-4o-mini"]}')
    assert routes.resolve("default").targets == (Target("openai"), Target("anthropic"))
    assert routes.resolve("cheap").targets == (
        Target("anthropic", "claude-3-5-haiku-20241022"), Target("openai", "gpt-4o-mini"))
    direct = routes.resolve("gpt-4o-mini")
    assert direct.targets == (Target("openai", "gpt-4o-mini"), Target("openai"), Target("anthropic"))
    # the configured model named directly is the same target as the provider: listed once
    assert routes.resolve("claude-3-5-sonnet-20241022").targets == (
        Target("anthropic", "claude-3-5-sonnet-20241022"), Target("openai"))
    assert routes.resolve("openai", fallbacks=["cheap"]).targets == (
        Target("openai"), Target("anthropic", "claude-3-5-haiku-20241022"), Target("openai", "gpt-4o-mini"))
    assert routes.resolve("anthropic", fallbacks=[]).targets == (Target("anthropic"),)
    with pytest.raises(UnknownModelError):
        routes.resolve("llama-3-70b")
    with pytest.raises(UnknownModelError):
        routes.resolve("openai", fallbacks=["nobody"])


@pytest.mark.parametrize("value, fragment", [
    ("{not json", "AI_ROUTES is not valid JSON"),
    ('{"default": ["openai"]}', "reserved"),
    ('{"x": []}', "non-empty list"),
    ('{"x": ["acme:model-1"]}', "'acme:model-1' names no provider"),
])
def test_bad_ai_routes_stop_start_up_naming_the_setting(value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, AI_ROUTES=value)
    assert "AI_ROUTES" in str(caught.value) and fragment in str(caught.value)


def attempt(outcome: str, status: int | None, reason: str, retry_after: float | None = None) -> Attempt:
    return Attempt("openai", "gpt-4o", outcome, 5.0, reason=reason, status=status, retry_after=retry_after)


@pytest.mark.parametrize("attempts, message, status, code", [
    ([attempt("transient", 500, "server_error"), attempt("transient", 529, "overloaded")], "All AI providers failed",
     503, "all_providers_failed"),
    ([attempt("transient", 429, "rate_limited", 7.0), attempt("transient", 429, "rate_limited", 3.0)],
     "All AI providers failed", 429, "rate_limit_exceeded"),
    ([attempt("transient", None, "timeout")], "All AI providers failed (deadline of 10s reached)", 504,
     "deadline_exceeded"),
    ([attempt("request_fatal", 400, "context_length_exceeded")], "All AI providers failed", 400,
     "context_length_exceeded"),
    ([attempt("request_fatal", 422, "unprocessable")], "All AI providers failed", 422, "content_refused"),
    ([attempt("request_fatal", 413, "request_too_large")], "All AI providers failed", 413, "request_too_large"),
    ([], "No AI provider could take the call (openai: context_window: ~9000 tokens needed > 8192)", 400,
     "context_length_exceeded"),
])
def test_every_failure_gets_the_status_a_provider_would_use(
    attempts: list[Attempt], message: str, status: int, code: str
) -> None:
    failure = from_provider_error(ProviderError(message, [RuntimeError("x")], attempts))
    assert (failure.status, failure.code) == (status, code)
    if status in (429, 503):
        assert int(failure.headers()["Retry-After"]) >= 1
    if status == 429:
        assert failure.headers()["Retry-After"] == "3"  # the smallest hint any provider gave
