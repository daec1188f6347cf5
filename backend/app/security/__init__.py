"""API security: client keys (hashed), scopes, authentication, per-client AI limits.

See docs/SECURITY.md. `app.api` wires `authenticate` and `limit_ai_calls` at router
level; `app.commands.api_keys` manages keys from the command line.
"""

from app.security.auth import (
    AUTH_RESPONSES,
    LOCAL_DEV_PRINCIPAL,
    Principal,
    PrincipalDep,
    authenticate,
    require_admin,
)
from app.security.keys import SCOPES, Scope, generate_key, hash_key, key_prefix
from app.security.rate_limit import ClientLimiter, limit_ai_calls
from app.security.store import IssuedKey, create_api_key, find_active_key, list_api_keys, revoke_api_key

__all__ = [
    "AUTH_RESPONSES",
    "LOCAL_DEV_PRINCIPAL",
    "SCOPES",
    "ClientLimiter",
    "IssuedKey",
    "Principal",
    "PrincipalDep",
    "Scope",
    "authenticate",
    "create_api_key",
    "find_active_key",
    "generate_key",
    "hash_key",
    "key_prefix",
    "limit_ai_calls",
    "list_api_keys",
    "require_admin",
    "revoke_api_key",
]
