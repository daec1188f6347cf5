"""Which routes need which scope, and which count as (costly) AI calls.

Kept as data in one place, matched on request paths below the API prefix, so the
rules are reviewable at a glance and apply to routes added later without the route
modules opting in.
"""

from __future__ import annotations

import re

from app.security.keys import Scope

#: Paths under API_V1_STR that only `admin` keys may call (operations data, spend, ledger).
ADMIN_ONLY_PREFIXES: tuple[str, ...] = ("/ai/status", "/ai/usage", "/usage", "/ledger", "/admin")

#: Catalogue writes (create, update, delete, bulk import): `editor` keys and above.
CATALOGUE_WRITE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/(jobs|candidates|documents)$",
        r"^/(jobs|candidates|documents)/import$",
        r"^/(jobs|candidates|documents)/[^/]+$",
    )
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Routes under API_V1_STR that call an AI provider, i.e. spend money: rate limited.
AI_ROUTE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/ai/complete$",
        r"^/candidates/[^/]+/recommendations",
        r"^/jobs/[^/]+/matches",
        r"^/qa(/|$)",
        # Reading or starting a conversation calls no model: only sending a message counts.
        r"^/assistant/conversations/[^/]+/messages$",
        r"^/cover-letters?(/|$)",
    )
)


def api_path(request_path: str, root_path: str, api_prefix: str) -> str:
    """The request's concrete path below the API prefix (`/api/v1/ai/status` -> `/ai/status`).

    The concrete (decoded) path is used rather than the matched route's template: with
    nested routers FastAPI's template omits the outer prefixes, so it would not say
    reliably where a route lives.
    """
    path = request_path.removeprefix(root_path) if root_path else request_path
    return path.removeprefix(api_prefix) or "/"


def required_scope(path: str, method: str = "GET") -> Scope:
    """The scope a key needs for `method` on the API route `path` (relative to the API prefix)."""
    for prefix in ADMIN_ONLY_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return Scope.admin
    if method.upper() in WRITE_METHODS and any(p.search(path) for p in CATALOGUE_WRITE_PATTERNS):
        return Scope.editor
    return Scope.user


def is_ai_route(path: str) -> bool:
    """Whether the API route `path` (relative to the API prefix) calls an AI provider."""
    return any(pattern.search(path) for pattern in AI_ROUTE_PATTERNS)
