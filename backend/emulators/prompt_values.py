"""Reading a prompt the way a model would, for the emulators' tool calls and JSON answers.

Why: a real model asked "What is the value of magic_function(3)?" calls the tool with
``{"input": 3}``, asked about "the weather in San Francisco, CA" calls ``get_weather``
with ``"San Francisco, CA"``, and asked for "a JSON with 'setup' and 'punchline' keys"
answers with those keys. LangChain's standard integration suite and every agent loop
built on the emulators depend on answers of that shape; arguments made from the
schema alone (``{"input": 1}``) are not what any provider would send.

Rules (all deterministic):

* **Values in a prompt**, in order of appearance: numbers (``3``, ``-2.5``; not the
  digits inside words such as ``gpt-4o``); quoted strings (``'...'``, ``"..."``,
  ``“...”``, ``「...」``; unicode kept as written); capitalised phrases (``San
  Francisco, CA``, ``Pirate``), where a sentence's first word and ``I`` do not count.
* **Arguments**: each top-level property of the tool's object schema takes the next
  unused prompt value that fits it -- integers and numbers a number inside the
  bounds; strings without ``format``/``pattern`` a quoted string, else a capitalised
  phrase, within the length bounds; string enums the next enum value the prompt names
  (in the prompt's order, each once). Properties no value fits keep the schema-generated value
  (:mod:`emulators.schema_values`).
* **Which tool is asked for**: its name is mentioned (see :func:`emulators.content.mentioned_tools`),
  or a keyword of it appears in the prompt -- the words of its name and description,
  less common English words and generic verbs (``get``, ``fetch``, ``tool``...),
  compared without a plural ``s``.
* **A schema the prompt gives** (for JSON mode, which carries none): a JSON object in
  the prompt that looks like a JSON schema (``properties`` or ``"type": "object"``),
  else -- when the prompt mentions JSON -- the quoted identifiers in it, as string keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulators.schema_values import generate_value, resolve_schema

_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w|\.\d)")
_QUOTED_RE = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)|\"([^\"\n]+)\"|“([^”\n]+)”|「([^」\n]+)」")
_CAPITALISED_WORD = r"[A-Z][\w'&-]*"
_CAPITALISED_RE = re.compile(
    rf"{_CAPITALISED_WORD}(?:\s+{_CAPITALISED_WORD})*(?:,\s+[A-Z]{{2,}}\b)?"
)
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;]\s+|\n\s*)$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][\w-]{0,63}$")
_WORD_RE = re.compile(r"[a-z][a-z]+")
_JSON_WORD_RE = re.compile(r"\bjson\b", re.IGNORECASE)

#: Words that say nothing about what a tool does (common English and generic verbs).
_STOPWORDS_TEXT = """a an and any are as at be by can do does for from get gets give has have how i if in
    into is it its let me my no not of on one or our out please put run set show so some tell
    than that the their them then there these this to tool tools up us use using value values
    was we what when where which who why will with you your call calls fetch find make makes
    return returns input inputs output function functions thing things data info
    information result results"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass
class PromptValues:
    """The values a prompt offers, each usable once, in order of appearance."""

    numbers: list[float] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    used_enum: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, text: str | None) -> PromptValues:
        text = text or ""
        quoted_spans: list[tuple[int, int]] = []
        quoted: list[str] = []
        for match in _QUOTED_RE.finditer(text):
            value = next(group for group in match.groups() if group is not None).strip()
            if value:
                quoted.append(value)
                quoted_spans.append(match.span())

        def outside_quotes(pos: int) -> bool:
            return not any(start <= pos < end for start, end in quoted_spans)

        numbers = [
            float(m.group())
            for m in _NUMBER_RE.finditer(text)
            if outside_quotes(m.start())
        ]
        phrases: list[str] = []
        for match in _CAPITALISED_RE.finditer(text):
            if not outside_quotes(match.start()):
                continue
            words = match.group().split(" ")
            if _SENTENCE_START_RE.search(text[: match.start()]) or words[0] == "I":
                words = words[1:]
            phrase = " ".join(words).strip(" ,.")
            if phrase and phrase != "I":
                phrases.append(phrase)
        return cls(numbers, quoted, phrases)


def prompt_arguments(schema: dict[str, Any], text: str | None, name: str) -> dict[str, Any]:
    """Arguments for a call of a tool with ``schema``, drawn from ``text`` where they fit."""
    generated = generate_value(schema or {"type": "object", "properties": {}}, name=name)
    arguments: dict[str, Any] = generated if isinstance(generated, dict) else {"value": generated}
    root = resolve_schema(schema or {}, schema or {})
    properties = root.get("properties")
    if not isinstance(properties, dict) or not text:
        return arguments
    values = PromptValues.read(text)
    lowered = text.lower()
    for prop, raw in properties.items():
        sub = _non_null(resolve_schema(raw, schema))
        picked = _pick(sub, values, lowered)
        if picked is not None:
            arguments[prop] = picked
    return arguments


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null option of an ``anyOf``/``oneOf`` or a nullable type list."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            real = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            if len(real) == 1:
                return {**{k: v for k, v in schema.items() if k != key}, **real[0]}
    kind = schema.get("type")
    if isinstance(kind, list):
        real_types = [t for t in kind if t != "null"]
        if len(real_types) == 1:
            return {**schema, "type": real_types[0]}
    return schema


def _pick(schema: dict[str, Any], values: PromptValues, lowered: str) -> Any:
    """Take (and use up) the first prompt value that fits ``schema``; None when none does."""
    if "const" in schema:
        return None
    enum = schema.get("enum")
    if isinstance(enum, list):
        named = sorted(
            (match.start(), value)
            for value in enum
            if isinstance(value, str) and value not in values.used_enum
            and (match := re.search(rf"(?<!\w){re.escape(value.lower())}(?!\w)", lowered))
        )
        if not named:
            return None
        values.used_enum.add(named[0][1])
        return named[0][1]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        for index, number in enumerate(values.numbers):
            if _fits_number(schema, number, integer=kind == "integer"):
                del values.numbers[index]
                return int(number) if number.is_integer() else number
        return None
    if kind == "string" and not schema.get("format") and not schema.get("pattern"):
        for pool in (values.quoted, values.phrases):
            for index, text in enumerate(pool):
                if _fits_string(schema, text):
                    del pool[index]
                    return text
    return None


def _fits_number(schema: dict[str, Any], number: float, *, integer: bool) -> bool:
    if integer and not float(number).is_integer():
        return False
    low, high = schema.get("minimum"), schema.get("maximum")
    low_ex, high_ex = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    checks = [
        low is None or number >= low,
        high is None or number <= high,
        not isinstance(low_ex, int | float) or isinstance(low_ex, bool) or number > low_ex,
        not isinstance(high_ex, int | float) or isinstance(high_ex, bool) or number < high_ex,
        low_ex is not True or low is None or number > low,
        high_ex is not True or high is None or number < high,
    ]
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple:
        checks.append(math.isclose(number / multiple, round(number / multiple)))
    return all(checks)


def _fits_string(schema: dict[str, Any], text: str) -> bool:
    min_len, max_len = schema.get("minLength", 0), schema.get("maxLength")
    return len(text) >= int(min_len) and (max_len is None or len(text) <= int(max_len))


def keywords(*texts: str) -> set[str]:
    """The words of ``texts`` that say what they are about (lower case, no plural ``s``)."""
    words: set[str] = set()
    for text in texts:
        spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").replace("-", " ")
        for word in _WORD_RE.findall(spaced.lower()):
            if word not in _STOPWORDS and len(word) >= 4:
                words.add(_stem(word))
    return words


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        return word[:-1]
    return word


def asks_for(name: str, description: str, text: str) -> int | None:
    """Position of the first word of ``text`` that asks for what the tool does, else None."""
    wanted = keywords(name, description)
    if not wanted:
        return None
    for match in _WORD_RE.finditer(text.lower()):
        if _stem(match.group()) in wanted:
            return match.start()
    return None


def schema_from_prompt(texts: Iterable[str]) -> dict[str, Any] | None:
    """The JSON schema a prompt asks the answer to follow, if it gives one."""
    texts = [t for t in texts if t]
    for text in texts:
        for candidate in _json_objects(text):
            if "properties" in candidate or candidate.get("type") == "object":
                return candidate
    for text in texts:
        if not _JSON_WORD_RE.search(text):
            continue
        keys = [
            value
            for value in PromptValues.read(text).quoted
            if _IDENTIFIER_RE.match(value) and value.lower() != "json"
        ]
        if keys:
            unique = list(dict.fromkeys(keys))
            return {
                "type": "object",
                "properties": {key: {"type": "string"} for key in unique},
                "required": unique,
            }
    return None


def _json_objects(text: str) -> Sequence[dict[str, Any]]:
    """Every JSON object literal in ``text`` (outermost first)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    pos = text.find("{")
    while pos >= 0:
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError:
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        pos = text.find("{", end)
    return found
