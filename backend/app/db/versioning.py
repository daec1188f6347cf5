"""Bump `data_versions` in the same transaction as any ORM write to a versioned table.

Doing it in a flush listener (rather than in each repository method) means no write
path can forget it, so a cache keyed on a counter can never silently go stale.
(Matching no longer caches anything: its indexes live in the database, migration 0006.
Nor does the response cache key on them any more: it keys on the model's input after
stage one, `app/ai/cache/model_answers.py`. Nothing in the app reads the counters now;
dropping them needs a migration and is left for its own change.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from app.models import Candidate, DataVersion, Document, DocumentChunk, Job

_TABLE_OF: dict[type, str] = {
    Job: "jobs",
    Candidate: "candidates",
    Document: "documents",
    DocumentChunk: "documents",
}
_installed = False


def bump_versions(session: OrmSession, names: set[str]) -> None:
    """Increment the counters of `names` inside `session`'s transaction.

    Call it yourself after Core-level bulk statements that bypass the ORM.
    """
    connection = session.connection()
    table: Any = DataVersion.__table__  # type: ignore[attr-defined]
    for name in sorted(names):  # fixed order: no deadlock between two writers
        updated = connection.execute(
            sa.update(table).where(table.c.name == name).values(version=table.c.version + 1)
        )
        if updated.rowcount == 0:
            connection.execute(sa.insert(table).values(name=name, version=1))


def read_version(session: OrmSession, name: str) -> int:
    """The current counter of table `name` (0 when never written)."""
    table: Any = DataVersion.__table__  # type: ignore[attr-defined]
    value = session.execute(sa.select(table.c.version).where(table.c.name == name)).scalar()
    return int(value or 0)


def _after_flush(session: OrmSession, _flush: UOWTransaction) -> None:
    touched = {
        _TABLE_OF[type(obj)]
        for obj in (*session.new, *session.dirty, *session.deleted)
        if type(obj) in _TABLE_OF
    }
    if touched:
        bump_versions(session, touched)


def install_version_listener() -> None:
    """Register the flush listener once for every session of the process."""
    global _installed
    if not _installed:
        event.listen(OrmSession, "after_flush", _after_flush)
        _installed = True
