"""Engines and sessions, one engine per database URL for the whole process.

Apps built by `create_app(settings)` each carry their own DATABASE_URL (tests run
several side by side); caching engines per URL gives every app a connection pool
without `create_app` having to manage one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.db.versioning import install_version_listener

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores ON DELETE CASCADE unless asked per connection; busy_timeout makes
    # concurrent writers wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """A new engine configured for `url`'s backend (prefer the cached `get_engine`)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    kwargs["pool_pre_ping"] = True
    return create_engine(url, **kwargs)


def get_engine(url: str) -> Engine:
    """The process-wide engine for `url`, created on first use."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_db_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every cached engine's connections (tests, shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def new_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (no lazy reload round trip)."""
    return Session(engine, expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """`with session_scope(settings.DATABASE_URL) as session:` for code outside requests.

    Rolls back on error; repositories commit their own writes.
    """
    session = new_session(get_engine(url))
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


install_version_listener()
