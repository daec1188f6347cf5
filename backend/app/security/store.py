"""API key rows: create (returning the only copy of the key), list, revoke, look up.

Plain functions over a `Session` so the CLI, the auth dependency and the tests share
one implementation and one definition of "an active key".
"""

from __future__ import annotations

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


def create_api_key(session: Session, name: str, scope: str | Scope) -> IssuedKey:
    """Store a new key for client `name`; the returned `.key` is never retrievable again."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise ValueError(f"name must be 1-{MAX_NAME_CHARS} characters")
    scope = parse_scope(str(scope))
    key = generate_key()
    record = ApiKey(name=name, scope=scope.value, prefix=key_prefix(key), key_hash=hash_key(key))
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
