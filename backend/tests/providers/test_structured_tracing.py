"""What callbacks and callers see of structured output and streams (issue 14, fixes 1-4).

Each test states what a LangChain user notices: the schema in the run's options, no
private keyword in a stream's invocation params, an `include_raw` stream that reports
a parse failure instead of raising, and a secondary whose structured-output binding
(with its warnings and cost) happens only when a call reaches it.
"""

from __future__ import annotations

import asyncio
import functools
import operator
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel

from emulators import Fault
from tests.providers.conftest import DIRECTIONS, Pair


class Joke(BaseModel):
    """A joke."""

    setup: str
    punchline: str


class _Starts(BaseCallbackHandler):
    """Records what `on_chat_model_start` receives."""

    def __init__(self) -> None:
        self.options: list[dict[str, Any]] = []
        self.params: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.options.append(kwargs.get("options") or {})
        self.params.append(kwargs.get("invocation_params") or {})


async def _drain(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


def _collect(runnable: Any, mode: str, prompt: str, config: Any = None) -> Any:
    if mode == "invoke":
        return runnable.invoke(prompt, config=config)
    if mode == "ainvoke":
        return asyncio.run(runnable.ainvoke(prompt, config=config))
    if mode == "stream":
        return list(runnable.stream(prompt, config=config))
    return asyncio.run(_drain(runnable.astream(prompt, config=config)))


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
def test_the_outer_run_carries_the_structured_output_schema(
    make_pair: Callable[..., Pair], direction: str, mode: str
) -> None:
    pair = make_pair(direction)
    pair.primary.faults.set_default(Fault(status=503))  # the schema is traced once, failover or not
    starts = _Starts()
    structured = pair.model.with_structured_output(Joke, method="json_schema")
    _collect(structured, mode, "Tell me a joke", {"callbacks": [starts]})
    [options] = starts.options
    traced = options["ls_structured_output_format"]
    assert traced == {"kwargs": {"method": "json_schema"}, "schema": convert_to_json_schema(Joke)}
    # Tracing-only: neither provider received it.
    for emulator in (pair.primary, pair.secondary):
        assert all("ls_structured_output_format" not in r.json for r in emulator.requests)


@pytest.mark.parametrize("mode", ["invoke", "stream", "astream"])
def test_callbacks_see_no_private_keyword(make_pair: Callable[..., Pair], mode: str) -> None:
    pair = make_pair("openai->anthropic")
    starts = _Starts()
    config: Any = {"callbacks": [starts], "metadata": {"feature": "assistant"}}
    _collect(pair.model, mode, "hello", config)
    [options], [params] = starts.options, starts.params
    assert not [key for key in (*options, *params) if key.startswith("_hybrid")]
    assert options == {"stop": None}


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
def test_include_raw_reports_a_parse_failure_on_every_path(make_pair: Callable[..., Pair], mode: str) -> None:
    pair = make_pair("openai->anthropic")
    # JSON mode with a prompt naming no keys: the answer is JSON, but not a Joke.
    structured = pair.model.with_structured_output(Joke, method="json_mode", include_raw=True)
    output = _collect(structured, mode, "hello there")
    if mode in ("stream", "astream"):
        # The raw chunks stream first (as ChatOpenAI's do), then the parse outcome.
        *raw, outcome = output
        assert raw and all(set(chunk) == {"raw"} for chunk in raw)
        output = {"raw": functools.reduce(operator.add, [c["raw"] for c in raw]), **outcome}
    assert output["parsed"] is None
    assert isinstance(output["parsing_error"], OutputParserException)
    assert output["raw"].response_metadata["hybrid"]["provider"] == "openai"


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_include_raw_stream_ends_with_the_parsed_value(make_pair: Callable[..., Pair], mode: str) -> None:
    pair = make_pair("anthropic->openai")
    structured = pair.model.with_structured_output(Joke, include_raw=True)
    chunks = _collect(structured, mode, "Tell me a joke")
    last = chunks[-1]
    assert isinstance(last["parsed"], Joke) and last["parsing_error"] is None
    assert all(set(chunk) == {"raw"} for chunk in chunks[:-1])


def _unrecognised_method(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "Unrecognized structured output method" in str(w.message)]


def test_a_member_binds_its_structured_output_when_a_call_reaches_it(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    prompt = "Return a JSON with 'setup' and 'punchline' keys."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        structured = pair.model.with_structured_output(Joke, method="json_mode")
        assert isinstance(structured.invoke(prompt), Joke)  # OpenAI serves: Anthropic untouched
        assert _unrecognised_method(caught) == []
        pair.primary.faults.set_default(Fault(status=503))
        assert isinstance(structured.invoke(prompt), Joke)  # Anthropic binds now, once
        assert isinstance(structured.invoke(prompt), Joke)
    # langchain-anthropic maps json_mode to its json_schema method, and says so once.
    assert len(_unrecognised_method(caught)) == 1
    assert "output_config" in pair.secondary.requests[-1].json


def test_a_binding_error_reaches_the_caller_and_is_not_failed_over(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    structured = pair.model.with_structured_output(Joke, method="no_such_method")
    with pytest.raises(ValueError):
        structured.invoke("Tell me a joke")
    assert pair.primary.request_count == pair.secondary.request_count == 0
