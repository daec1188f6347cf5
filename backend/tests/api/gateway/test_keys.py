"""Virtual keys under load: a burst of calls with one key costs one key-store lookup.

When the key cache has run out (or the key was never seen), every concurrent call with
that key used to take a worker thread and a database connection for the same query; a
burst larger than the pool queued behind it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.core.config import load_settings
from app.db import init_db, session_scope
from app.db.engine import get_engine
from app.main import create_app
from app.security.store import create_api_key


async def test_a_burst_with_one_key_makes_one_lookup(clean_env: None, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    init_db(url)
    with session_scope(url) as session:
        key = create_api_key(session, "burst", "user").key
    settings = load_settings(_env_file=None, AUTH_MODE="api-keys", DATABASE_URL=url, GATEWAY_KEY_CACHE_SECONDS=60)
    app = create_app(settings)
    lookups: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM api_keys" in statement:
            lookups.append(statement)

    engine = get_engine(url)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            headers = {"authorization": f"Bearer {key}"}
            burst = await asyncio.gather(*[client.get("/v1/models", headers=headers) for _ in range(24)])
            wrong = await client.get("/v1/models", headers={"authorization": "Bearer sk-not-a-key"})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert [r.status_code for r in burst] == [200] * 24
    assert all(r.json()["object"] == "list" for r in burst)
    assert wrong.status_code == 401
    assert len(lookups) == 2  # one for the burst's key, one for the unknown key
