"""The OpenAPI schema states the limits the running app enforces, read from its settings.

Pydantic fields carry fixed bounds (e.g. `limit le=100`, the hard ceiling of
`AI_MAX_RESULTS`), while the app enforces the configured value (20 by default): the
schema promised `limit <= 100` and anything over 20 was a 422. `install_openapi_limits`
writes each configured limit into the generated schema, so the schema, the checks and
the settings share one source: the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.core.config import Settings

#: (component schema, property, JSON-schema keyword, setting).
SETTING_LIMITS: tuple[tuple[str, str, str, str], ...] = (
    ("RankingOptions", "limit", "maximum", "AI_MAX_RESULTS"),
    ("QuestionRequest", "question", "maxLength", "MAX_QUESTION_CHARS"),
    ("UserMessage", "content", "maxLength", "MAX_ASSISTANT_MESSAGE_CHARS"),
    ("CandidateCreate", "resume_text", "maxLength", "MAX_RESUME_CHARS"),
    ("CandidateUpdate", "resume_text", "maxLength", "MAX_RESUME_CHARS"),
    ("DocumentCreate", "body", "maxLength", "MAX_DOCUMENT_CHARS"),
    ("DocumentUpdate", "body", "maxLength", "MAX_DOCUMENT_CHARS"),
)
#: Bulk-import request bodies: arrays of at most MAX_IMPORT_ITEMS.
IMPORT_PATHS = ("/jobs/import", "/candidates/import", "/documents/import")


def _constrain(node: dict[str, Any], keyword: str, value: int) -> None:
    """Set `keyword` on the node, or on its non-null member when it is an `anyOf` (optional)."""
    targets = [m for m in node.get("anyOf", []) if m.get("type") != "null"] or [node]
    for target in targets:
        target[keyword] = value


def apply_setting_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """`schema` with every configured limit written in (in place; returned for chaining)."""
    components = schema.get("components", {}).get("schemas", {})
    for component, prop, keyword, setting in SETTING_LIMITS:
        node = components.get(component, {}).get("properties", {}).get(prop)
        if node is not None:
            _constrain(node, keyword, int(getattr(settings, setting)))
    for path in IMPORT_PATHS:
        operation = schema.get("paths", {}).get(settings.API_V1_STR + path, {}).get("post", {})
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        if "schema" in content:
            _constrain(content["schema"], "maxItems", settings.MAX_IMPORT_ITEMS)
    return schema


def install_openapi_limits(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` (served at /openapi.json) state the configured limits."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = apply_setting_limits(generate(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
