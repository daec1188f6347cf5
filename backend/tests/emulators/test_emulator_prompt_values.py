"""The emulators read the prompt as a model would: tool arguments, tool choice, JSON keys.

Driven through the official ``openai`` and ``anthropic`` SDKs over real HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai

from emulators import RunningEmulator
from emulators.prompt_values import PromptValues, schema_from_prompt

MODEL = "claude-sonnet-4-5"
RATE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "convert_currency",
        "description": "Convert an amount of money between currencies.",
        "parameters": {
            "type": "object",
            "properties": {
                "amount": {"type": "number", "exclusiveMinimum": 0},
                "days": {"type": "integer", "minimum": 1, "maximum": 30},
                "source": {"type": "string", "enum": ["EUR", "USD", "JPY"]},
                "target": {"type": "string", "enum": ["EUR", "USD", "JPY"]},
                "note": {"type": "string", "maxLength": 40},
            },
            "required": ["amount", "source", "target"],
        },
    },
}
WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the current weather at a location.",
    "input_schema": {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location"],
    },
}


def _openai(emulator: RunningEmulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0, timeout=5.0)


def _anthropic(emulator: RunningEmulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emulator.base_url, api_key="sk-ant-test", max_retries=0, timeout=5.0)


def test_tool_arguments_come_from_the_prompt_values_that_fit(openai_emulator: RunningEmulator) -> None:
    prompt = "Convert 125.5 USD to JPY over 90 days, then 7 days; note 'für Oma 你好'."
    resp = _openai(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": prompt}], tools=[RATE_TOOL]
    )
    call = resp.choices[0].message.tool_calls[0]  # type: ignore[index]
    raw = call.function.arguments  # type: ignore[union-attr]
    # 90 is outside `days`' bounds, so the next number that fits is taken.
    assert json.loads(raw) == {
        "amount": 125.5, "days": 7, "source": "USD", "target": "JPY", "note": "für Oma 你好"
    }
    assert "你好" in raw and "\\u" not in raw  # unicode kept, as the real API sends it


def test_properties_no_prompt_value_fits_keep_generated_values(openai_emulator: RunningEmulator) -> None:
    resp = _openai(openai_emulator).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "How much is 3 EUR? convert_currency please"}],
        tools=[RATE_TOOL],
    )
    args = json.loads(resp.choices[0].message.tool_calls[0].function.arguments)  # type: ignore[index,union-attr]
    # No number is left for `days` once 3 went to `amount`: it keeps the schema's value.
    assert args["amount"] == 3 and args["source"] == "EUR" and args["days"] == 1


def test_tool_called_when_the_prompt_asks_for_what_it_describes(anthropic_emulator: RunningEmulator) -> None:
    c = _anthropic(anthropic_emulator)
    asked = c.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "What is the weather in San Francisco, CA, in fahrenheit?"}],
    )
    assert asked.stop_reason == "tool_use"
    block = asked.content[0]
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.input == {"location": "San Francisco, CA", "unit": "fahrenheit"}
    unrelated = c.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "Write me a haiku about autumn."}],
    )
    assert unrelated.stop_reason == "end_turn" and unrelated.content[0].type == "text"


def test_streamed_unicode_arguments_accumulate(anthropic_emulator: RunningEmulator) -> None:
    with _anthropic(anthropic_emulator).messages.stream(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "Wetter in 「東京都」 bitte"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == {"location": "東京都", "unit": "celsius"}  # type: ignore[union-attr]


def test_json_mode_follows_the_keys_the_prompt_names(openai_emulator: RunningEmulator) -> None:
    prompt = "Tell me a joke. Return a JSON object with 'setup' and 'punchline' keys."
    resp = _openai(openai_emulator).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": prompt}],
        response_format={"type": "json_object"},
    )
    assert set(json.loads(resp.choices[0].message.content or "")) == {"setup", "punchline"}


def test_json_mode_follows_a_schema_in_the_system_prompt(openai_emulator: RunningEmulator) -> None:
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 40}}}
    resp = _openai(openai_emulator).chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": f"Answer as JSON matching this schema: {json.dumps(schema)}"},
            {"role": "user", "content": "Rate the candidate."},
        ],
        response_format={"type": "json_object"},
    )
    assert json.loads(resp.choices[0].message.content or "") == {"score": 40}


def test_json_mode_without_a_schema_still_answers_an_object(openai_emulator: RunningEmulator) -> None:
    resp = _openai(openai_emulator).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hello there"}],
        response_format={"type": "json_object"},
    )
    assert list(json.loads(resp.choices[0].message.content or "")) == ["result"]


def test_prompt_values_skip_sentence_starts_and_words_with_digits() -> None:
    values = PromptValues.read("Use gpt-4o for 2 jobs. Then ask Ada Lovelace about 'Q3 plans'.")
    assert values.numbers == [2.0]
    assert values.quoted == ["Q3 plans"]
    assert values.phrases == ["Ada Lovelace"]


def test_no_schema_from_a_prompt_that_does_not_ask_for_json() -> None:
    assert schema_from_prompt(["Say 'hi' and 'bye'."]) is None
