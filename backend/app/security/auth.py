"""Authentication: who is calling, and may they call this route?

`authenticate` is a router-level dependency (see `app/api/v1/router.py`), so every
current and future `/api/v1` route requires a key without opting in. A key comes as
`Authorization: Bearer <key>`, `X-API-Key: <key>`, or the password of HTTP Basic (so
a browser can open the admin-only `/status` page: it prompts once, then sends the
credentials with the page's own API polling).

`AUTH_MODE=local-dev` switches all of this off for a developer's machine; `create_app`
says so loudly at start-up. Error bodies never echo the presented key.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.db.engine import get_engine, new_session
from app.security.keys import Scope
from app.security.policy import api_path, required_scope
from app.security.store import find_active_key

logger = logging.getLogger(__name__)

LOCAL_DEV = "local-dev"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: rate limits are per `client_id`."""

    client_id: str
    name: str
    scope: Scope

    def allows(self, needed: Scope) -> bool:
        return self.scope.includes(needed)


LOCAL_DEV_PRINCIPAL = Principal(client_id=LOCAL_DEV, name="local development (no auth)", scope=Scope.admin)

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <API key>`")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail={"error": code, "message": message}, headers=headers)


def _basic_password(headers: Mapping[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def presented_key(
    request: Request, bearer: HTTPAuthorizationCredentials | None, header_key: str | None
) -> str | None:
    """The key the request carries, from whichever supported header has one."""
    if bearer is not None and bearer.credentials:
        return bearer.credentials.strip()
    if header_key:
        return header_key.strip()
    return _basic_password(request.headers)


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """`presented_key` from raw headers (for `EarlyAuthMiddleware`, before FastAPI runs)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if headers.get("x-api-key", "").strip():
        return headers["x-api-key"].strip()
    return _basic_password(headers)


def _lookup(settings: Settings, key: str) -> Principal | None:
    try:
        with new_session(get_engine(settings.DATABASE_URL)) as session:
            record = find_active_key(session, key)
    except SQLAlchemyError as error:
        # Log the class only: driver messages can quote parameters (the key's digest).
        logger.error("API key store unavailable: %s", type(error).__name__)
        raise _error(503, "auth_unavailable", "The API key store is unavailable; retry later.",
                     {"Retry-After": "5"}) from None
    if record is None:
        return None
    return Principal(client_id=f"key-{record.id}", name=record.name, scope=Scope(record.scope))


def resolve_principal(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None,
    header_key: str | None,
    *,
    browser: bool = False,
) -> Principal:
    """The caller, or a 401 (no/unknown key) / 503 (key store down)."""
    settings: Settings = request.app.state.settings
    early: Principal | None = getattr(request.state, "principal", None)
    if early is not None:  # already authenticated by EarlyAuthMiddleware
        return early
    return principal_for_key(settings, presented_key(request, bearer, header_key), browser=browser)


def principal_for_key(settings: Settings, key: str | None, *, browser: bool = False) -> Principal:
    """The caller presenting `key`, or a 401 (no/unknown key) / 503 (key store down)."""
    if settings.AUTH_MODE == LOCAL_DEV:
        return LOCAL_DEV_PRINCIPAL
    challenge = {"WWW-Authenticate": 'Basic realm="Tandem admin"' if browser else "Bearer"}
    if not key:
        raise _error(401, "missing_api_key",
                     "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
                     challenge)
    principal = _lookup(settings, key)
    if principal is None:
        raise _error(401, "invalid_api_key", "The API key is unknown or revoked.", challenge)
    return principal


def forbid_unless(principal: Principal, needed: Scope) -> None:
    """403 naming the scope when `principal` lacks `needed`."""
    if not principal.allows(needed):
        raise HTTPException(
            status_code=403,
            detail={"error": "insufficient_scope", "message": f"This route requires the {needed} scope.",
                    "required_scope": needed.value},
        )


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ApiKeyHeaderDep = Annotated[str | None, Depends(_api_key_header)]


def authenticate(request: Request, bearer: BearerDep, header_key: ApiKeyHeaderDep) -> Principal:
    """Router-level dependency of `/api/v1`: a valid key, with the scope the route needs."""
    principal = resolve_principal(request, bearer, header_key)
    settings: Settings = request.app.state.settings
    path = api_path(request.url.path, request.scope.get("root_path", ""), settings.API_V1_STR)
    forbid_unless(principal, required_scope(path, request.method))
    request.state.principal = principal
    return principal


def require_admin(request: Request, bearer: BearerDep, header_key: ApiKeyHeaderDep) -> Principal:
    """Dependency of the admin-only pages outside `/api/v1` (`/metrics`, `/status`)."""
    principal = resolve_principal(request, bearer, header_key, browser=True)
    forbid_unless(principal, Scope.admin)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]

_ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "object", "properties": {"error": {"type": "string"},
                                                               "message": {"type": "string"}}}},
}



def _documented(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: OpenAPI `responses=` for routers behind `authenticate`.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented("Missing, unknown or revoked API key", _ERROR_BODY),
    403: _documented("The key lacks the scope this route needs", _ERROR_BODY),
    503: _documented("A dependency (the key store; on AI routes the providers) is unavailable",
                     {"type": "object"}),
}
