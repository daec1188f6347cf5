"""Keys are random, stored hashed, shown once; the `api-key` command manages them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.cli import main
from app.core.config import get_settings
from app.db import session_scope
from app.models.api_key import ApiKey
from app.security import create_api_key, find_active_key, hash_key, list_api_keys, revoke_api_key


def test_keys_are_random_prefixed_and_stored_only_as_a_digest(db_url: str) -> None:
    with session_scope(db_url) as session:
        first = create_api_key(session, "  partner   portal ", "user")
        second = create_api_key(session, "ops", "ADMIN")
        stored = list(session.exec(select(ApiKey)))
    assert first.key.startswith("tdm_") and len(first.key) == 47 and first.key != second.key
    assert first.record.name == "partner portal" and second.record.scope == "admin"
    for issued, row in zip((first, second), stored, strict=True):
        assert row.key_hash == hash_key(issued.key) and issued.key not in row.key_hash
        assert row.prefix == issued.key[:12]
        assert issued.key not in repr(row) and issued.key not in repr(issued)


def test_invalid_names_and_scopes_are_refused(db_url: str) -> None:
    with session_scope(db_url) as session:
        with pytest.raises(ValueError, match=r"allowed values: user \| editor \| admin"):
            create_api_key(session, "x", "root")
        with pytest.raises(ValueError, match="name must be"):
            create_api_key(session, "   ", "user")


def test_lookup_and_revocation(db_url: str) -> None:
    with session_scope(db_url) as session:
        issued = create_api_key(session, "client", "user")
        assert find_active_key(session, issued.key) is not None
        assert find_active_key(session, issued.key + "x") is None
        assert find_active_key(session, "") is None
        revoked = revoke_api_key(session, issued.record.id or 0)
        assert revoked is not None and revoked.revoked_at is not None
        assert revoke_api_key(session, issued.record.id or 0) is not None  # idempotent
        assert revoke_api_key(session, 999) is None
        assert find_active_key(session, issued.key) is None


def test_cli_creates_lists_and_revokes(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        assert main(["api-key", "create", "--name", "ops team", "--scope", "admin"]) == 0
        created = capsys.readouterr()
        key = created.out.strip()
        assert key.startswith("tdm_") and "shown only now" in created.err
        assert main(["api-key", "list"]) == 0
        listing = capsys.readouterr().out
        assert "ops team" in listing and key[:12] in listing and key not in listing
        assert main(["api-key", "revoke", "1"]) == 0
        assert "revoked" in capsys.readouterr().out
        assert main(["api-key", "revoke", "42"]) == 1
        assert main(["api-key", "create", "--name", " "]) == 2
    finally:
        get_settings.cache_clear()
    with session_scope(db_url) as session:
        rows = list_api_keys(session)
        assert len(rows) == 1 and rows[0].revoked_at is not None
