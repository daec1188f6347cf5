"""A call's `model=` override goes to the provider whose model it names, and only there."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

import pytest

from emulators import Fault
from tests.providers.conftest import Pair


def test_an_override_runs_on_the_provider_that_serves_it(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    answer = pair.model.invoke("hello", model="gpt-4.1")
    assert answer.response_metadata["model_name"] == "gpt-4.1"
    assert answer.response_metadata["hybrid"]["model"] == "gpt-4.1"
    assert pair.primary.requests[-1].json["model"] == "gpt-4.1"


def test_an_override_naming_the_secondary_goes_there_first(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    full = functools.reduce(operator.add, pair.model.stream("hello", model="claude-haiku-4-5"))
    meta = full.response_metadata["hybrid"]
    assert (meta["provider"], meta["model"]) == ("anthropic", "claude-haiku-4-5")
    assert pair.primary.request_count == 0
    assert pair.secondary.requests[-1].json["model"] == "claude-haiku-4-5"


def test_failover_keeps_the_other_providers_own_model(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    pair.primary.faults.set_default(Fault(status=503))
    answer = pair.model.invoke("hello", model="gpt-4.1")
    meta = answer.response_metadata["hybrid"]
    configured = pair.settings.ANTHROPIC_MODEL
    assert (meta["provider"], meta["model"], meta["failover"]) == ("anthropic", configured, True)
    assert [a["model"] for a in meta["attempts"]] == ["gpt-4.1", configured]
    assert pair.secondary.requests[-1].json["model"] == configured  # never "gpt-4.1"


def test_an_override_no_provider_serves_is_the_callers_error(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("anthropic->openai")
    with pytest.raises(ValueError, match="'llama-3' is not served by any provider"):
        pair.model.invoke("hello", model="llama-3")
    assert pair.primary.request_count == pair.secondary.request_count == 0
