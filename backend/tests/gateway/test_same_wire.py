"""Same-wire attempts (`app/ai/gateway/same_wire.py`, `same_wire_anthropic.py`) against
the real server: an OpenAI-wire request served by OpenAI, and an Anthropic-wire request
served by Anthropic, reach the provider as the caller wrote it (fields LangChain does not
know included, Tandem's own left out), and their failover, usage and limits work as on
the translated path."""

from __future__ import annotations

import anthropic
import openai
import pytest

from emulators import Fault, RunningEmulator
from tests.gateway.conftest import SERVER_TIMEOUT, Gateway

pytestmark = pytest.mark.timeout(SERVER_TIMEOUT)

HELLO = [{"role": "user", "content": "hello there"}]


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.key, max_retries=0, timeout=30)


def test_the_provider_gets_the_callers_body_with_the_served_model_and_without_tandems_fields(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    completion = client(gateway).chat.completions.create(
        model="default",
        messages=HELLO,
        seed=42,
        presence_penalty=0.5,
        logit_bias={"50256": -100},
        metadata={"team": "search"},
        extra_body={"fallbacks": ["anthropic"]},
    )
    assert completion.choices[0].message.content == "[openai:gpt-4o] You said: hello there"
    sent = openai_emulator.requests[-1].json
    # What the translated path would have dropped reaches OpenAI untouched ...
    assert sent["seed"] == 42 and sent["presence_penalty"] == 0.5
    assert sent["logit_bias"] == {"50256": -100} and sent["metadata"] == {"team": "search"}
    # ... Tandem's own field does not, and `model` is what the route serves.
    assert "fallbacks" not in sent and sent["model"] == "gpt-4o"
    assert sent["messages"] == HELLO


def test_a_stream_always_asks_for_usage_but_shows_it_only_to_a_caller_who_asked(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    chunks = list(client(gateway).chat.completions.create(model="default", messages=HELLO, stream=True))
    assert openai_emulator.requests[-1].json["stream_options"] == {"include_usage": True}  # for the ledger
    assert all(chunk.usage is None for chunk in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).endswith("hello there")

    with_usage = list(
        client(gateway).chat.completions.create(
            model="default", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    assert with_usage[-1].usage is not None and with_usage[-1].usage.completion_tokens > 0


def test_a_body_every_provider_refuses_is_the_callers_400_tried_once_each(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, anthropic_emulator = emulators
    for emulator in emulators:
        emulator.faults.set_default(Fault(status=400))
    with pytest.raises(openai.BadRequestError) as caught:
        client(gateway).chat.completions.create(model="default", messages=HELLO, seed=1)
    assert caught.value.status_code == 400
    # request-fatal: one try elsewhere, no retries (the classification table)
    assert len(openai_emulator.requests) == 1 and len(anthropic_emulator.requests) == 1


def test_a_same_wire_attempt_that_fails_moves_to_the_translated_fallback_in_the_same_call(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, anthropic_emulator = emulators
    openai_emulator.faults.push(Fault(status=503, times=1))
    raw = client(gateway).chat.completions.with_raw_response.create(model="default", messages=HELLO, max_tokens=64)
    assert raw.headers["x-tandem-provider"] == "anthropic" and raw.headers["x-tandem-attempts"] == "2"
    assert raw.parse().choices[0].message.content.endswith("You said: hello there")
    assert anthropic_emulator.requests[-1].json["max_tokens"] == 64


def messages_client(gateway: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0, timeout=30)


def test_anthropic_gets_the_callers_messages_body_with_the_served_model(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    _, anthropic_emulator = emulators
    message = messages_client(gateway).messages.create(
        model="claude-first",
        max_tokens=100,
        messages=HELLO,
        service_tier="standard_only",
        metadata={"user_id": "u-17"},
        extra_body={"fallbacks": ["anthropic", "openai"]},
    )
    assert message.content[0].text == "[anthropic:claude-3-5-sonnet-20241022] You said: hello there"
    assert message.model == "claude-3-5-sonnet-20241022" and message.usage.output_tokens > 0
    sent = anthropic_emulator.requests[-1].json
    # Neither field has a place in the translated request: only the caller's own body has them.
    assert sent["service_tier"] == "standard_only" and sent["metadata"] == {"user_id": "u-17"}
    assert "fallbacks" not in sent and sent["model"] == "claude-3-5-sonnet-20241022"
    assert sent["messages"] == HELLO and sent["max_tokens"] == 100


def test_an_anthropic_same_wire_stream_is_whole_and_fails_over_mid_call(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, anthropic_emulator = emulators
    with messages_client(gateway).messages.stream(
        model="claude-first", max_tokens=100, messages=HELLO, service_tier="auto"
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "[anthropic:claude-3-5-sonnet-20241022] You said: hello there"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    assert anthropic_emulator.requests[-1].json["service_tier"] == "auto"

    anthropic_emulator.faults.set_default(Fault(status=503))  # down: a blip retry fails too
    raw = messages_client(gateway).messages.with_raw_response.create(
        model="claude-first", max_tokens=100, messages=HELLO, service_tier="auto"
    )
    assert raw.headers["x-tandem-provider"] == "openai" and raw.headers["x-tandem-failover"] == "true"
    assert raw.parse().content[0].text == "[openai:gpt-4o] You said: hello there"
    assert "service_tier" not in openai_emulator.requests[-1].json  # the translated attempt


def test_a_caller_error_on_the_anthropic_wire_is_anthropics_400_with_its_message(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, anthropic_emulator = emulators
    for emulator in emulators:
        emulator.faults.set_default(Fault(status=400))
    with pytest.raises(anthropic.BadRequestError) as caught:
        messages_client(gateway).messages.create(model="claude-first", max_tokens=50, messages=HELLO, service_tier="auto")
    assert caught.value.status_code == 400
    assert caught.value.body["type"] == "error"  # type: ignore[index]
    assert len(anthropic_emulator.requests) == 1 and len(openai_emulator.requests) == 1


def test_an_anthropic_same_wire_body_gets_tandems_cache_breakpoint_and_the_callers_stays_whole(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    _, anthropic_emulator = emulators
    system = "You are a careful recruiter. " * 200  # past Claude's 1,024-token cache minimum
    messages = [{"role": "user", "content": "hello there"}]
    messages_client(gateway).messages.create(
        model="claude-first", max_tokens=50, system=system, messages=messages, service_tier="auto"
    )
    sent = anthropic_emulator.requests[-1].json
    assert sent["system"] == [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
    assert sent["service_tier"] == "auto" and sent["messages"] == messages
