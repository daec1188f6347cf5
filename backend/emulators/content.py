"""Deterministic answer generation shared by the OpenAI and Anthropic emulators.

Why deterministic: tests, benchmarks and the chaos suite assert on exact answers and
on which provider produced them, and reruns must be reproducible.

Content rules
-------------
* Tokens: a token is a word with its leading whitespace (the last one also keeps any
  trailing whitespace); joining the tokens gives back the text exactly.  Streams send
  one token per event.
* Usage: ``count_tokens`` = whitespace-separated words of every string value in the
  messages (so each role name adds one), the system prompt and the tool definitions
  (at least 1).  Completion tokens = answer tokens (tool call: words of the arguments
  JSON + 1).
* Plain answer: ``"[<provider>:<model>] You said: <first 20 words of the last user
  message>"`` (``"[<provider>:<model>] Hello from the emulator."`` when there is no
  user text).  If the last user message contains ``tokens=N``, the body after the
  prefix is exactly N deterministic words instead.
* Tool call: made when tools are given and either the tool choice forces one (OpenAI
  ``"required"`` / ``{"type": "function", "function": {"name"}}``; Anthropic
  ``{"type": "any"}`` / ``{"type": "tool", "name"}``), or the choice is auto/absent,
  the last message is a user message and its text asks for a tool: mentions its name
  (whole word, case-insensitive; ``_``/``-`` may also be written as spaces) or a
  keyword of its name or description (:func:`emulators.prompt_values.asks_for`).
  The tool is the forced one, else the earliest mentioned by name, else the earliest
  asked for by keyword, else the first.  Arguments are drawn from the values in the
  last user message that fit the schema, the rest generated from it
  (:func:`emulators.prompt_values.prompt_arguments`); serialised with unicode kept.
  Tool choice ``none`` never calls.
* After a tool result (OpenAI ``role: tool``; Anthropic ``tool_result`` blocks) and no
  forced tool: ``"[<provider>:<model>] Based on the tool result: <first 200 chars>"``.
* Structured output (OpenAI ``response_format`` json_schema / json_object, Anthropic
  ``output_config.format`` json_schema): the JSON value generated from the schema; for
  json_object (no schema) from the schema the prompt gives
  (:func:`emulators.prompt_values.schema_from_prompt`: a JSON schema in a message, or
  the quoted key names of a prompt that mentions JSON), else ``{"result": "..."}``;
  serialised with ``json.dumps`` default
  separators so it tokenises into several stream pieces.  It takes precedence over the
  tool-result and plain answers, not over a tool call.
* ``stop`` sequences cut the text before the first occurrence; ``max_tokens`` cuts the
  token list (finish ``length`` / ``max_tokens``).
* Prefill (a request ending with an assistant turn, on the providers and models that
  continue one): the model continues its own text.  The answer it *would* give is
  composed as above, in the voice of the prefill (its ``[provider:model]`` tag, when it
  has one); when that answer starts with the prefill, the reply is exactly the rest of
  it -- no word repeated, none missing -- else a fresh answer appended after a space.
  Usage counts only the continued tokens.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from emulators.prompt_values import asks_for, prompt_arguments, schema_from_prompt
from emulators.schema_values import generate_value

_TOKEN_RE = re.compile(r"\s*\S+\s*$|\s*\S+")
_TOKENS_CONTROL_RE = re.compile(r"(?<![\w])tokens=(\d+)\b")
MAX_CONTROLLED_TOKENS = 200_000
ECHO_WORDS = 20
TOOL_RESULT_CHARS = 200
_VOCABULARY = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
)


def tokenize(text: str) -> list[str]:
    """Split into tokens (word + leading whitespace); ``"".join`` restores the text."""
    return _TOKEN_RE.findall(text)


def count_words(text: str) -> int:
    """Whitespace-separated words of ``text``."""
    return len(text.split())


def count_tokens(*values: Any) -> int:
    """Deterministic token count: words of every string found in ``values`` (min 1)."""
    total = 0
    for value in values:
        for text in strings_of(value):
            total += count_words(text)
    return max(total, 1)


def strings_of(value: Any) -> Iterable[str]:
    """Every string inside `value` (dicts' values and list items, depth first)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_of(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_of(item)


def prefix(provider: str, model: str) -> str:
    """The ``[provider:model]`` tag that starts every text answer."""
    return f"[{provider}:{model}]"


def reply_text(provider: str, model: str, user_text: str | None) -> str:
    """Plain text answer for the last user message (see module rules)."""
    tag = prefix(provider, model)
    text = (user_text or "").strip()
    match = _TOKENS_CONTROL_RE.search(text)
    if match:
        count = min(int(match.group(1)), MAX_CONTROLLED_TOKENS)
        return f"{tag} {filler_words(count, seed=text)}".rstrip()
    if not text:
        return f"{tag} Hello from the emulator."
    words = text.split()[:ECHO_WORDS]
    return f"{tag} You said: {' '.join(words)}"


def filler_words(count: int, seed: str = "") -> str:
    """``count`` deterministic words (a rotation of the NATO alphabet keyed by ``seed``)."""
    start = zlib.crc32(seed.encode("utf-8")) % len(_VOCABULARY)
    return " ".join(_VOCABULARY[(start + i) % len(_VOCABULARY)] for i in range(count))


def tool_result_text(provider: str, model: str, result: str) -> str:
    """Text answer after a tool result."""
    return f"{prefix(provider, model)} Based on the tool result: {result[:TOOL_RESULT_CHARS]}"


def apply_stop(text: str, stops: Sequence[str]) -> tuple[str, str | None]:
    """Cut ``text`` before the earliest stop sequence; return (text, matched stop)."""
    best: tuple[int, str] | None = None
    for stop in stops:
        if not stop:
            continue
        pos = text.find(stop)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, stop)
    if best is None:
        return text, None
    return text[: best[0]], best[1]


def limit_tokens(tokens: list[str], max_tokens: int | None) -> tuple[list[str], bool]:
    """Truncate to ``max_tokens``; return (tokens, truncated?)."""
    if max_tokens is None or max_tokens < 0 or len(tokens) <= max_tokens:
        return tokens, False
    return tokens[:max_tokens], True


@dataclass(frozen=True)
class ToolSpec:
    """Provider-neutral tool definition."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ToolChoice:
    """Provider-neutral tool choice: ``mode`` is auto, none, any or tool."""

    mode: str = "auto"
    name: str | None = None


def mentioned_tools(tools: Sequence[ToolSpec], text: str) -> list[ToolSpec]:
    """Tools whose name appears in ``text`` (whole word), earliest mention first."""
    hits: list[tuple[int, int, ToolSpec]] = []
    for order, tool in enumerate(tools):
        variants = {tool.name, tool.name.replace("_", " ").replace("-", " ")}
        positions = [
            m.start()
            for variant in variants
            if variant
            for m in re.finditer(rf"(?<![\w]){re.escape(variant)}(?![\w])", text, re.IGNORECASE)
        ]
        if positions:
            hits.append((min(positions), order, tool))
    return [tool for _, _, tool in sorted(hits, key=lambda hit: (hit[0], hit[1]))]


def choose_tool(
    tools: Sequence[ToolSpec],
    choice: ToolChoice,
    last_user_text: str | None,
    last_is_user: bool,
) -> ToolSpec | None:
    """Apply the tool-call rule from the module docstring."""
    if not tools or choice.mode == "none":
        return None
    if choice.mode == "tool" and choice.name:
        for tool in tools:
            if tool.name == choice.name:
                return tool
        return None
    text = (last_user_text or "") if last_is_user else ""
    mentioned = mentioned_tools(tools, text) or asked_tools(tools, text)
    if choice.mode == "any":
        return mentioned[0] if mentioned else tools[0]
    return mentioned[0] if mentioned else None


def asked_tools(tools: Sequence[ToolSpec], text: str) -> list[ToolSpec]:
    """Tools a keyword of which (name or description) ``text`` uses, earliest first."""
    hits = [
        (position, order, tool)
        for order, tool in enumerate(tools)
        if (position := asks_for(tool.name, tool.description, text)) is not None
    ]
    return [tool for _, _, tool in sorted(hits, key=lambda hit: (hit[0], hit[1]))]


def tool_arguments(tool: ToolSpec, prompt: str | None = None) -> dict[str, Any]:
    """Arguments for a call to ``tool``: values of ``prompt`` that fit its schema, the rest generated."""
    return prompt_arguments(tool.schema, prompt, tool.name)


def structured_json(
    schema: dict[str, Any] | None, name: str = "response", prompt_texts: Sequence[str] = ()
) -> str:
    """JSON text valid against ``schema``; without one, against the schema the prompt gives."""
    if schema is None:
        schema = schema_from_prompt(prompt_texts)
    if schema is None:
        return json.dumps({"result": f"{name}: generated by the emulator."})
    return json.dumps(generate_value(schema, name=name), ensure_ascii=False)


def json_pieces(text: str) -> list[str]:
    """Split serialised JSON into several stream pieces (at least one)."""
    pieces = tokenize(text)
    return pieces if pieces else [text]



@dataclass
class Answer:
    """What the model "says", independent of the wire format."""

    text: str | None
    tokens: list[str]
    tool: ToolSpec | None
    arguments: dict[str, Any] | None
    finish: str  # "stop" | "length" | "tool" | "stop_sequence" | "content_filter"
    stop_sequence: str | None
    completion_tokens: int
    written_arguments: str | None = None
    """The tool arguments as far as the model wrote them, when the output limit cut
    them (``arguments`` then holds only the fields written whole)."""

    @property
    def arguments_json(self) -> str:
        """Serialised tool arguments (``{}`` when there is no tool call), unicode kept;
        the cut prefix when the output limit stopped them (invalid JSON, as OpenAI sends)."""
        if self.written_arguments is not None:
            return self.written_arguments
        return json.dumps(self.arguments or {}, ensure_ascii=False)


def cut_tool_call(answer: Answer, limit: int) -> Answer:
    """A tool call stopped by the output limit after `limit` tokens of its arguments.

    What the providers do: the answer ends with finish ``length`` / ``max_tokens`` /
    ``MAX_TOKENS`` and the call is incomplete -- OpenAI sends the cut argument string;
    Anthropic's and Gemini's non-streamed answers carry the fields written so far, their
    streams the cut ``partial_json``. Never a complete, valid call.
    """
    full = answer.arguments or {}
    written = "".join(json_pieces(json.dumps(full, ensure_ascii=False))[: max(limit, 0)])
    whole: dict[str, Any] = {}
    for key, value in full.items():
        candidate = {**whole, key: value}
        if not written.startswith(json.dumps(candidate, ensure_ascii=False)[:-1]):
            break
        whole = candidate
    return Answer(None, [], answer.tool, whole, "length", None, max(limit, 0), written)


@dataclass
class Conversation:
    """The request facts the answer depends on, extracted by each provider module."""

    provider: str
    model: str
    last_user_text: str | None
    last_is_user: bool
    tool_result: str | None
    tools: list[ToolSpec]
    choice: ToolChoice
    schema: dict[str, Any] | None = None
    structured: bool = False
    max_tokens: int | None = None
    stops: tuple[str, ...] = ()
    prompt_texts: tuple[str, ...] = ()
    """Text of the system prompt and every user message, for a schema the prompt gives."""
    prefill: str | None = None
    """Text of a trailing assistant turn the model continues (None: a new answer)."""


_TAG_RE = re.compile(r"^\[[^\]\s]+:[^\]\s]+\]")


def continuation(full: str, prefill: str, own_tag: str) -> str:
    """What a model continuing `prefill` adds, given the answer it would have given.

    The answer is re-voiced with the prefill's tag (the model carries on what "it" had
    started, whoever started it), then the part after the prefill is returned.
    """
    voice = _TAG_RE.match(prefill)
    if voice and full.startswith(own_tag):
        full = voice.group(0) + full[len(own_tag):]
    if full.startswith(prefill):
        return full[len(prefill):]
    return full if not prefill or prefill[-1].isspace() else " " + full


def compose_answer(conv: Conversation) -> Answer:
    """Apply the module's content rules to one conversation."""
    tool = choose_tool(conv.tools, conv.choice, conv.last_user_text, conv.last_is_user)
    if tool is not None:
        args = tool_arguments(tool, conv.last_user_text)
        call = Answer(
            text=None,
            tokens=[],
            tool=tool,
            arguments=args,
            finish="tool",
            stop_sequence=None,
            completion_tokens=count_words(json.dumps(args, ensure_ascii=False)) + 1,
        )
        if conv.max_tokens is not None and 0 <= conv.max_tokens < call.completion_tokens:
            return cut_tool_call(call, conv.max_tokens)
        return call
    if conv.structured:
        text = structured_json(conv.schema, prompt_texts=conv.prompt_texts)
    elif conv.tool_result is not None:
        text = tool_result_text(conv.provider, conv.model, conv.tool_result)
    else:
        text = reply_text(conv.provider, conv.model, conv.last_user_text)
    if conv.prefill is not None:
        text = continuation(text, conv.prefill, prefix(conv.provider, conv.model))
    text, stop = apply_stop(text, conv.stops)
    tokens, truncated = limit_tokens(tokenize(text), conv.max_tokens)
    finish = "length" if truncated else ("stop_sequence" if stop is not None else "stop")
    return Answer(
        text="".join(tokens),
        tokens=tokens,
        tool=None,
        arguments=None,
        finish=finish,
        stop_sequence=stop if not truncated else None,
        completion_tokens=len(tokens),
    )


def shape_answer(answer: Answer, truncate_after: int | None, filter_after: int | None) -> Answer:
    """Apply the answer-shaping faults: stop at the output limit (finish ``length``) after
    N tokens of a text answer or of a tool call's arguments, or at the content filter
    (finish ``content_filter``) after N tokens of a text answer."""
    if answer.tool is not None:
        if truncate_after is not None and truncate_after < answer.completion_tokens:
            return cut_tool_call(answer, truncate_after)
        return answer
    for limit, finish in ((filter_after, "content_filter"), (truncate_after, "length")):
        if limit is not None:
            tokens = answer.tokens[: max(limit, 0)]
            return Answer("".join(tokens), tokens, None, None, finish, None, len(tokens))
    return answer


class IdFactory:
    """Deterministic, unique ids: ``prefix`` + hash of (seed, kind, counter)."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._counter = 0
        self._lock = threading.Lock()

    def make(self, prefix_text: str, length: int = 24) -> str:
        """Next id such as ``chatcmpl-3f9a...``; stable for the same request sequence."""
        with self._lock:
            self._counter += 1
            counter = self._counter
        digest = hashlib.sha256(f"{self._seed}:{prefix_text}:{counter}".encode()).hexdigest()
        return f"{prefix_text}{digest[:length]}"
