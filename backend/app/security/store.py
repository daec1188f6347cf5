"""API key rows: create (returning the only copy of the key), list, revoke, look up.

Plain functions over a `Session` so the CLI, the auth dependency and the tests share
one implementation and one definition of "an active key".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models.api_key import ApiKey
from app.models.common import utcnow
from app.security.keys import (
    MAX_PRESENTED_KEY_CHARS,
    Scope,
    generate_key,
    hash_key,
    key_prefix,
    parse_scope,
)

MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class IssuedKey:
    """A just-created key: the row plus the clear key, which exists only in this object."""

    record: ApiKey
    key: str

    def __repr__(self) -> str:
        return f"IssuedKey(record={self.record!r}, key='{self.record.prefix}…')"


def create_api_key(
    session: Session,
    name: str,
    scope: str | Scope,
    *,
    routes: Sequence[str] | None = None,
    rate_limit_per_minute: int | None = None,
    max_concurrent: int | None = None,
    daily_budget_usd: float | None = None,
) -> IssuedKey:
    """Store a new key for client `name`; the returned `.key` is never retrievable again.

    The keyword options are the key's own gateway limits (None: the service defaults):
    the routes it may name, calls per minute, calls in flight, USD per UTC day.
    """
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise ValueError(f"name must be 1-{MAX_NAME_CHARS} characters")
    scope = parse_scope(str(scope))
    limits = {"rate_limit_per_minute": rate_limit_per_minute, "max_concurrent": max_concurrent,
              "daily_budget_usd": daily_budget_usd}
    for option, value in limits.items():
        if value is not None and value < 0:
            raise ValueError(f"{option} must be 0 or more, or unset")
    allowed = ",".join(r.strip() for r in routes if r.strip()) if routes is not None else None
    if allowed is not None and (not allowed or len(allowed) > 1000):
        raise ValueError("routes must name 1 or more routes (1000 characters at most)")
    key = generate_key()
    record = ApiKey(name=name, scope=scope.value, prefix=key_prefix(key), key_hash=hash_key(key),
                    allowed_routes=allowed, rate_limit_per_minute=rate_limit_per_minute,
                    max_concurrent=max_concurrent, daily_budget_usd=daily_budget_usd)
    session.add(record)
    session.commit()
    session.refresh(record)
    return IssuedKey(record=record, key=key)


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, revoked ones included (their history matters to an audit)."""
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))))


def revoke_api_key(session: Session, key_id: int) -> ApiKey | None:
    """Mark key `key_id` revoked (idempotent); None when no such key exists."""
    record = session.get(ApiKey, key_id)
    if record is None:
        return None
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.commit()
        session.refresh(record)
    return record


def find_active_key(session: Session, presented: str) -> ApiKey | None:
    """The unrevoked key row matching the presented key, if any."""
    if not presented or len(presented) > MAX_PRESENTED_KEY_CHARS:
        return None
    statement = select(ApiKey).where(
        ApiKey.key_hash == hash_key(presented), col(ApiKey.revoked_at).is_(None)
    )
    return session.exec(statement).first()
