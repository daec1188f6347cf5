"""Deterministic JSON-Schema value generator.

Why: tool-call arguments and ``response_format: json_schema`` answers must validate
against the caller's schema (usually a pydantic model), otherwise the SDK/LangChain
parsing layers fail and the tests would exercise nothing.  The generator fills every
property (required and optional), honours the common constraint keywords and derives
strings from the property name so answers are readable and stable.

Rules, in order of precedence for one (sub)schema:

* ``$ref`` (``#/$defs/...``, ``#/definitions/...``) is resolved against the root;
  ``allOf`` parts are merged.
* ``const`` wins, then a non-null ``default``, then ``enum`` (first value; arrays
  of enums take distinct values in order).
* ``anyOf``/``oneOf``/type lists take the first non-null option (the null option when
  the recursion is too deep, so recursive models terminate).
* object: every property is generated; with only ``additionalProperties`` one entry.
* array: ``max(minItems, 2)`` items capped by ``maxItems`` (and by the number of enum
  values when ``uniqueItems``); ``prefixItems`` are honoured.
* string: ``format`` date / date-time / time / email / uri / uuid; else a ``pattern``
  is satisfied when it is simple enough; else a name-derived text ("reason: ..."
  sentences for reason/summary/explanation-like names), padded/cut to
  ``minLength``/``maxLength``.
* integer 1 / number 1.5, moved inside ``minimum``/``maximum``/exclusive bounds and
  onto ``multipleOf``; boolean ``true``; null ``None``.
"""

from __future__ import annotations

import importlib
import math
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

MAX_DEPTH = 8
_SENTENCE_HINTS = (
    "reason",
    "summary",
    "explanation",
    "description",
    "rationale",
    "justification",
    "comment",
    "note",
    "message",
    "text",
    "content",
    "answer",
    "feedback",
    "analysis",
    "thought",
)


def generate_value(schema: Any, name: str = "value", root: Any = None) -> Any:
    """Generate a value valid against ``schema``; ``name`` seeds the string values."""
    return _Generator(root if root is not None else schema).generate(schema, name, 0, None, ())


def resolve_schema(schema: Any, root: Any) -> dict[str, Any]:
    """``schema`` with its ``$ref`` chain (against ``root``) followed and ``allOf`` merged."""
    return _Generator(root).resolve(schema)


class _Generator:
    def __init__(self, root: Any) -> None:
        self.root = root if isinstance(root, dict) else {}

    def resolve(self, schema: Any) -> dict[str, Any]:
        """Follow ``$ref`` chains and merge ``allOf`` into one dict schema."""
        if schema is True or not isinstance(schema, dict):
            return {}
        seen = 0
        while "$ref" in schema and seen < 32:
            target = self._lookup(str(schema["$ref"]))
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest}
            seen += 1
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part)
                props = {**part.get("properties", {}), **merged.get("properties", {})}
                required = [*part.get("required", []), *merged.get("required", [])]
                merged = {**part, **merged}
                if props:
                    merged["properties"] = props
                if required:
                    merged["required"] = required
            schema = merged
        return schema

    def _lookup(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return {}
            node = node[part]
        return node if isinstance(node, dict) else {}

    def generate(
        self, raw: Any, name: str, depth: int, index: int | None, refs: tuple[str, ...]
    ) -> Any:
        """Value for ``raw``; ``refs`` are the ``$ref`` targets being expanded (recursion)."""
        if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            if raw["$ref"] in refs:
                depth = max(depth, MAX_DEPTH + 1)  # recursive model: keep it minimal
            refs = (*refs, raw["$ref"])
        schema = self.resolve(raw)
        if "const" in schema:
            return schema["const"]
        if schema.get("default") is not None:
            return schema["default"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            values = schema["enum"]
            return values[(index or 0) % len(values)]
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                option = self._pick_option(schema[key], depth, refs)
                base = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                return self.generate({**option, **base}, name, depth, index, refs)
        kind = schema.get("type")
        if isinstance(kind, list):
            non_null = [t for t in kind if t != "null"]
            kind = "null" if not non_null or (depth > MAX_DEPTH and "null" in kind) else non_null[0]
        if kind is None:
            if "properties" in schema or "additionalProperties" in schema:
                kind = "object"
            elif "items" in schema or "prefixItems" in schema:
                kind = "array"
            else:
                kind = "string"
        if kind == "object":
            return self._object(schema, name, depth, refs)
        if kind == "array":
            return self._array(schema, name, depth, refs)
        if kind == "integer":
            return int(_number(schema, integer=True))
        if kind == "number":
            return _number(schema, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return _string(schema, name, index)

    def _pick_option(self, options: list[Any], depth: int, refs: tuple[str, ...]) -> Any:
        resolved = [self.resolve(o) for o in options]
        non_null = [o for o, r in zip(options, resolved, strict=True) if r.get("type") != "null"]
        has_null = len(non_null) < len(options)
        if not non_null or (has_null and (depth > MAX_DEPTH or _is_recursive(non_null[0], refs))):
            return {"type": "null"}
        return non_null[0]

    def _object(
        self, schema: dict[str, Any], name: str, depth: int, refs: tuple[str, ...]
    ) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required: list[str] = list(schema.get("required") or [])
        result: dict[str, Any] = {}
        for prop, sub in properties.items():
            if depth > MAX_DEPTH and prop not in required:
                continue
            result[prop] = self.generate(sub, prop, depth + 1, None, refs)
        for prop in required:
            if prop not in result:
                result[prop] = self.generate({}, prop, depth + 1, None, refs)
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and depth <= MAX_DEPTH:
            result[f"{name}_key"] = self.generate(extra, name, depth + 1, None, refs)
        return result

    def _array(
        self, schema: dict[str, Any], name: str, depth: int, refs: tuple[str, ...]
    ) -> list[Any]:
        prefix: list[Any] = list(schema.get("prefixItems") or [])
        items = schema.get("items")
        if isinstance(items, list):  # draft-4 tuple form
            prefix, items = items, schema.get("additionalItems", False)
        min_items = int(schema.get("minItems", 0))
        max_items = schema.get("maxItems")
        minimal = depth > MAX_DEPTH or _is_recursive(items, refs)
        count = min_items if minimal else max(min_items, 2)
        if prefix and (items is None or items is False):
            count = len(prefix)
        if max_items is not None:
            count = min(count, int(max_items))
        item_schema = self.resolve(items) if isinstance(items, dict) else {}
        enum = item_schema.get("enum")
        if schema.get("uniqueItems") and isinstance(enum, list) and enum:
            count = max(min(count, len(enum)), min(min_items, len(enum)))
        values: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else (items if isinstance(items, dict) else {})
            values.append(self.generate(sub, _singular(name), depth + 1, i, refs))
        return values


def _is_recursive(schema: Any, refs: tuple[str, ...]) -> bool:
    """True when ``schema`` is a ``$ref`` to a definition already being expanded."""
    return isinstance(schema, dict) and schema.get("$ref") in refs


def _singular(name: str) -> str:
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    return name


def _bound(schema: dict[str, Any], inclusive_key: str, exclusive_key: str) -> tuple[float | None, bool]:
    """Return (bound, exclusive) handling both draft-4 booleans and draft-6+ numbers."""
    inclusive = schema.get(inclusive_key)
    exclusive = schema.get(exclusive_key)
    if exclusive is True:
        return inclusive, True
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        if inclusive is None:
            return float(exclusive), True
        # Both given: the tighter one wins.
        tighter = max if inclusive_key == "minimum" else min
        chosen = tighter(float(inclusive), float(exclusive))
        return chosen, chosen == float(exclusive)
    return (None if inclusive is None else float(inclusive)), False


def _number(schema: dict[str, Any], integer: bool) -> float:
    low, low_ex = _bound(schema, "minimum", "exclusiveMinimum")
    high, high_ex = _bound(schema, "maximum", "exclusiveMaximum")
    multiple = schema.get("multipleOf")
    if integer:
        lo = None if low is None else (math.floor(low) + 1 if low_ex else math.ceil(low))
        hi = None if high is None else (math.ceil(high) - 1 if high_ex else math.floor(high))
        value = 1
        if lo is not None:
            value = max(value, lo)
        if hi is not None:
            value = min(value, hi)
        if multiple:
            step = int(multiple)
            value = math.ceil(value / step) * step
            if hi is not None and value > hi:
                value = math.floor(hi / step) * step
        return value
    preferred = 1.5
    ok_low = low is None or (preferred > low if low_ex else preferred >= low)
    ok_high = high is None or (preferred < high if high_ex else preferred <= high)
    if ok_low and ok_high:
        result = preferred
    elif low is not None and high is not None:
        result = (low + high) / 2
    elif low is not None:
        result = low + 1 if low_ex else low
    else:
        assert high is not None
        result = high - 1 if high_ex else high
    if multiple:
        candidate = math.ceil(result / multiple) * multiple
        if high is not None and candidate > high:
            candidate = math.floor(result / multiple) * multiple
        result = candidate
    return float(result)


_FORMATS = {
    "date": "2024-01-15",
    "date-time": "2024-01-15T12:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


def _string(schema: dict[str, Any], name: str, index: int | None) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    text = _text_for_name(name, index)
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, text):
        candidate = _from_pattern(pattern)
        if candidate is not None:
            return candidate
    min_len = int(schema.get("minLength", 0))
    max_len = schema.get("maxLength")
    if len(text) < min_len:
        text = (text + " ") * (min_len // (len(text) + 1) + 1)
        text = text[: max(min_len, 1)]
    if max_len is not None:
        text = text[: int(max_len)]
    return text


def _text_for_name(name: str, index: int | None) -> str:
    label = name.replace("_", " ").replace("-", " ").strip() or "value"
    lower = label.lower()
    suffix = "" if index is None else f" {index + 1}"
    if any(hint in lower for hint in _SENTENCE_HINTS):
        return f"{_singular(lower)}: this {_singular(lower)} was generated by the emulator{suffix}."
    if "email" in lower:
        return f"user{'' if index is None else index + 1}@example.com"
    if lower.endswith(("url", "uri", "link")):
        return f"https://example.com/{name}{'' if index is None else index + 1}"
    if lower == "id" or lower.endswith(" id") or name.endswith("Id"):
        return f"{name}_{(index or 0) + 1:03d}"
    return f"example {lower}{suffix}"


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def _from_pattern(pattern: str) -> str | None:
    """Shortest-ish string matching a simple regex (literals, classes, repeats, groups)."""
    try:
        parsed = _parser.parse(pattern)
        text = _emit(list(parsed))
    except Exception:
        return None
    return text if _matches(pattern, text) else None


def _emit(items: list[tuple[Any, Any]]) -> str:
    c = _constants
    out: list[str] = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_emit_class(arg))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            out.append(_emit(list(sub)) * max(int(low), 0))
        elif op is c.SUBPATTERN:
            out.append(_emit(list(arg[-1])))
        elif op is c.BRANCH:
            out.append(_emit(list(arg[1][0])))
        elif op is c.AT:
            continue
        else:
            raise ValueError(f"unsupported regex op {op}")
    return "".join(out)


def _emit_class(arg: list[tuple[Any, Any]]) -> str:
    c = _constants
    if arg and arg[0][0] is c.NEGATE:
        excluded = {chr(a) for op, a in arg[1:] if op is c.LITERAL}
        return next(ch for ch in "abcxyz0" if ch not in excluded)
    for op, value in arg:
        if op is c.LITERAL:
            return str(chr(value))
        if op is c.RANGE:
            return str(chr(value[0]))
        if op is c.CATEGORY:
            if value is c.CATEGORY_DIGIT:
                return "0"
            if value is c.CATEGORY_SPACE:
                return " "
            return "a"
    raise ValueError("empty class")
