"""Emulator behaviours the rescue rules are tested against, checked with the official SDKs.

Prefill continuation (each provider's real rule), output-limit and content-filter
endings, first-token delay, stalls and undecodable events.
"""

from __future__ import annotations

import functools
import json
import time

import anthropic
import httpx
import httpx2
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from emulators import Fault, RunningEmulator
from emulators.content import filler_words
from tests.support.emulator_fixtures import emulator_fixtures

_gemini_session, gemini = emulator_fixtures("gemini", "gemini")

QUESTION = "cover letter tokens=12"
FULL_BODY = filler_words(12, seed=QUESTION)


@functools.cache
def _openai(base_url: str, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, timeout=timeout)


@functools.cache
def _anthropic(base_url: str, timeout: float = 5.0) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test", max_retries=0, timeout=timeout)


def _claude(emulator: RunningEmulator, messages: list[dict[str, str]], model: str = "claude-sonnet-4-5",
            **kwargs: object) -> anthropic.types.Message:
    client = _anthropic(emulator.base_url)
    return client.messages.create(model=model, max_tokens=1000, messages=messages, **kwargs)  # type: ignore[arg-type,call-overload,no-any-return]


# ------------------------------------------------------------------ prefill
def test_anthropic_continues_a_prefill_with_exactly_the_rest_in_the_prefills_voice(
    anthropic_emulator: RunningEmulator,
) -> None:
    words = FULL_BODY.split()
    sent = "[openai:gpt-4o] " + " ".join(words[:5])  # another provider's words, cut
    answer = _claude(anthropic_emulator, [{"role": "user", "content": QUESTION},
                                          {"role": "assistant", "content": sent}])
    rest = answer.content[0].text  # type: ignore[union-attr]

    assert sent + rest == "[openai:gpt-4o] " + FULL_BODY
    assert rest.startswith(" ") and answer.stop_reason == "end_turn"
    assert answer.usage.output_tokens == 7


def test_anthropic_continues_mid_word(anthropic_emulator: RunningEmulator) -> None:
    full = f"[anthropic:claude-sonnet-4-5] {FULL_BODY}"
    answer = _claude(anthropic_emulator, [{"role": "user", "content": QUESTION},
                                          {"role": "assistant", "content": full[:40]}])
    assert full[:40] + answer.content[0].text == full  # type: ignore[union-attr]


def test_anthropic_refuses_a_prefill_ending_in_whitespace(anthropic_emulator: RunningEmulator) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _claude(anthropic_emulator, [{"role": "user", "content": QUESTION},
                                     {"role": "assistant", "content": "[openai:gpt-4o] alpha "}])
    assert "trailing whitespace" in caught.value.message


@pytest.mark.parametrize("fault", [None, Fault(reject_prefill=True)])
def test_prefill_rejected_by_models_without_support(
    anthropic_emulator: RunningEmulator, fault: Fault | None
) -> None:
    model = "claude-opus-4-6" if fault is None else "claude-sonnet-4-5"
    if fault is not None:
        anthropic_emulator.faults.push(fault)
    with pytest.raises(anthropic.BadRequestError) as caught:
        _claude(anthropic_emulator, [{"role": "user", "content": QUESTION},
                                     {"role": "assistant", "content": "[openai:gpt-4o] alpha"}], model)
    assert caught.value.status_code == 400
    assert "does not support assistant message prefill" in caught.value.message
    # The same model answers a conversation that ends with the user.
    assert _claude(anthropic_emulator, [{"role": "user", "content": QUESTION}], model).content


def test_openai_answers_a_trailing_assistant_turn_afresh(openai_emulator: RunningEmulator) -> None:
    """OpenAI accepts the request but starts a new message: a prefill would duplicate text."""
    sent = "[openai:gpt-4o] " + " ".join(FULL_BODY.split()[:4])
    answer = _openai(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": QUESTION}, {"role": "assistant", "content": sent}],
    )
    assert answer.choices[0].message.content == f"[openai:gpt-4o] {FULL_BODY}"


def test_openai_compatible_server_continues_the_final_message(openai_emulator: RunningEmulator) -> None:
    sent = "[anthropic:claude-sonnet-4-5] " + " ".join(FULL_BODY.split()[:4])
    answer = _openai(openai_emulator.base_url).chat.completions.create(
        model="qwen2.5:7b",
        messages=[{"role": "user", "content": QUESTION}, {"role": "assistant", "content": sent}],
        extra_body={"continue_final_message": True, "add_generation_prompt": False},
    )
    assert sent + str(answer.choices[0].message.content) == f"[anthropic:claude-sonnet-4-5] {FULL_BODY}"


def test_gemini_continues_a_final_model_turn(gemini: RunningEmulator) -> None:
    client = genai.Client(api_key="AIza-test", http_options=types.HttpOptions(base_url=gemini.base_url))
    sent = "[openai:gpt-4o] " + " ".join(FULL_BODY.split()[:3])
    contents = [
        types.Content(role="user", parts=[types.Part(text=QUESTION)]),
        types.Content(role="model", parts=[types.Part(text=sent)]),
    ]
    answer = client.models.generate_content(model="gemini-2.5-flash", contents=contents)
    assert sent + str(answer.text) == f"[openai:gpt-4o] {FULL_BODY}"

    gemini.faults.push(Fault(reject_prefill=True))
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents=contents)
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"


# --------------------------------------------------- output limit and filters
def test_truncate_after_ends_at_the_output_limit_on_every_provider(
    openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator, gemini: RunningEmulator
) -> None:
    for emulator in (openai_emulator, anthropic_emulator, gemini):
        emulator.faults.push(Fault(truncate_after=3, times=2))
    messages = [{"role": "user", "content": QUESTION}]
    plain = _openai(openai_emulator.base_url).chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    streamed = list(_openai(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o", messages=messages, stream=True  # type: ignore[arg-type]
    ))
    claude = _claude(anthropic_emulator, messages)
    with _anthropic(anthropic_emulator.base_url).messages.stream(
        model="claude-sonnet-4-5", max_tokens=1000, messages=messages  # type: ignore[arg-type]
    ) as stream:
        claude_streamed = stream.get_final_message()
    client = genai.Client(api_key="AIza-test", http_options=types.HttpOptions(base_url=gemini.base_url))
    gem = client.models.generate_content(model="gemini-2.5-flash", contents=QUESTION)

    assert plain.choices[0].finish_reason == "length"
    assert len(str(plain.choices[0].message.content).split()) == 3
    assert [c.choices[0].finish_reason for c in streamed if c.choices][-1] == "length"
    assert claude.stop_reason == "max_tokens" and claude_streamed.stop_reason == "max_tokens"
    assert gem.candidates and gem.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


PROFILE_TOOL = {
    "name": "profile",
    "description": "A candidate profile",
    "input_schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "summary": {"type": "string"},
                       "years": {"type": "integer"}},
        "required": ["name", "summary", "years"],
    },
}


def test_a_tool_call_cut_by_the_output_limit_is_incomplete_on_every_wire(
    openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator
) -> None:
    """As the providers do: finish `length` / `max_tokens` and a call missing fields --
    OpenAI's arguments are a cut JSON string, Anthropic's input holds the fields written
    whole (non-streamed) and its stream a cut `partial_json`."""
    messages = [{"role": "user", "content": "write the profile"}]
    forced = {"type": "tool", "name": "profile"}
    claude = _anthropic(anthropic_emulator.base_url).messages.create(
        model="claude-sonnet-4-5", max_tokens=4, tools=[PROFILE_TOOL], tool_choice=forced,  # type: ignore[list-item,arg-type]
        messages=messages,  # type: ignore[arg-type]
    )
    block = claude.content[0]
    assert claude.stop_reason == "max_tokens" and block.type == "tool_use"
    assert set(block.input) < {"name", "summary", "years"}  # type: ignore[arg-type]
    with _anthropic(anthropic_emulator.base_url).messages.stream(
        model="claude-sonnet-4-5", max_tokens=4, tools=[PROFILE_TOOL], tool_choice=forced,  # type: ignore[list-item,arg-type]
        messages=messages,  # type: ignore[arg-type]
    ) as stream:
        partial = "".join(
            e.delta.partial_json for e in stream
            if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
        )
    assert partial and not partial.rstrip().endswith("}")

    function = {"type": "function", "function": {"name": "profile", "parameters": PROFILE_TOOL["input_schema"]}}
    plain = _openai(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o", messages=messages, tools=[function], max_completion_tokens=4,  # type: ignore[arg-type,list-item]
        tool_choice={"type": "function", "function": {"name": "profile"}},
    )
    choice = plain.choices[0]
    assert choice.finish_reason == "length" and choice.message.tool_calls
    arguments = choice.message.tool_calls[0].function.arguments  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        json.loads(arguments)


def test_content_filter_endings_have_each_providers_shape(
    openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator, gemini: RunningEmulator
) -> None:
    for emulator in (openai_emulator, anthropic_emulator, gemini):
        emulator.faults.push(Fault(content_filter_after=2))
    messages = [{"role": "user", "content": QUESTION}]
    chunks = list(_openai(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o", messages=messages, stream=True  # type: ignore[arg-type]
    ))
    claude = _claude(anthropic_emulator, messages)
    client = genai.Client(api_key="AIza-test", http_options=types.HttpOptions(base_url=gemini.base_url))
    gem = client.models.generate_content(model="gemini-2.5-flash", contents=QUESTION)

    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "content_filter"
    assert claude.stop_reason == "refusal"
    assert gem.candidates and gem.candidates[0].finish_reason == types.FinishReason.SAFETY


@pytest.mark.parametrize("error_type", ["content_policy_violation", "content_filter"])
def test_openai_and_azure_content_policy_errors(openai_emulator: RunningEmulator, error_type: str) -> None:
    openai_emulator.faults.push(Fault(error_type=error_type))
    with pytest.raises(openai.BadRequestError) as caught:
        _openai(openai_emulator.base_url).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.code == error_type
    if error_type == "content_filter":  # Azure: type null, verdict in innererror
        body = caught.value.body
        assert isinstance(body, dict) and body.get("type") is None
        assert body["innererror"]["code"] == "ResponsibleAIPolicyViolation"


# ------------------------------------------------------------ stream faults
def test_first_token_delay_sends_headers_then_waits(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(first_token_delay=0.4))
    started = time.monotonic()
    stream = _openai(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    headers_after = time.monotonic() - started
    chunks = iter(stream)
    role = next(chunks)  # the opening event comes at once
    first_text = next(c for c in chunks if c.choices and c.choices[0].delta.content)
    first_after = time.monotonic() - started
    rest = list(chunks)

    assert headers_after < 0.3 and role.choices[0].delta.role == "assistant"
    assert first_after >= 0.4 and first_text.choices[0].delta.content
    assert [c.choices[0].finish_reason for c in rest if c.choices][-1] == "stop"


def test_stall_after_holds_the_connection_silent(anthropic_emulator: RunningEmulator) -> None:
    anthropic_emulator.faults.push(Fault(stall_after=2))
    client = _anthropic(anthropic_emulator.base_url, timeout=0.5)
    texts: list[str] = []
    # The SDK raises its transport's read timeout as is once the stream has started.
    with (
        pytest.raises((anthropic.APITimeoutError, httpx2.TimeoutException)),
        client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": QUESTION}]
        ) as stream,
    ):
        texts.extend(stream.text_stream)
    assert len(texts) == 2


def test_malformed_event_makes_the_sdks_raise_mid_stream(
    openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator
) -> None:
    openai_emulator.faults.push(Fault(malformed_after=2))
    anthropic_emulator.faults.push(Fault(malformed_after=2))
    got: list[str] = []
    with pytest.raises(ValueError):  # json.JSONDecodeError
        for chunk in _openai(openai_emulator.base_url).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}], stream=True
        ):
            got.extend(c.delta.content or "" for c in chunk.choices)
    with (
        pytest.raises(ValueError),
        _anthropic(anthropic_emulator.base_url).messages.stream(
            model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": QUESTION}]
        ) as stream,
    ):
        list(stream.text_stream)
    assert len("".join(got).split()) == 2


def test_malformed_event_is_followed_by_the_complete_stream(openai_emulator: RunningEmulator) -> None:
    """On the wire the bad event is extra: skipping it leaves the whole answer."""
    openai_emulator.faults.push(Fault(malformed_after=2))
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    raw = httpx.post(
        f"{openai_emulator.base_url}/chat/completions", json=body,
        headers={"authorization": "Bearer sk-test"}, timeout=5,
    ).text
    events = [e for e in raw.split("\n\n") if e.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert sum(1 for e in events if not e.endswith("}") and e != "data: [DONE]") == 1
