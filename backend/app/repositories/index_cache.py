"""Shortlist indexes for the current database contents, rebuilt only after writes.

Building a JobIndex/CandidateIndex over 10,000 rows takes about a second; using one
takes milliseconds. The cache keys each index on (database URL, table) and remembers
the `data_versions` counter it was built at; every lookup costs one tiny query to
compare that counter, and a rebuild happens only when a write (from any process) has
bumped it.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.chains.shortlist import CandidateIndex, JobIndex
from app.db.versioning import read_version
from app.models import Candidate, CandidateRead, Job, JobRead


class IndexCache:
    """Process-wide cache of shortlist indexes; thread-safe."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self.builds = 0  # how many indexes were built (observability, tests)

    @staticmethod
    def _url(session: Session) -> str:
        return session.get_bind().engine.url.render_as_string(hide_password=False)

    def _get(self, session: Session, table: str, build: Any) -> Any:
        key = (self._url(session), table)
        # Version first, rows second: a write landing in between makes us label newer
        # rows with an older version, which only costs one extra rebuild later.
        version = read_version(session, table)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                return entry[1]
            index = build(session)
            self._entries[key] = (version, index)
            self.builds += 1
            return index

    def jobs(self, session: Session) -> JobIndex[JobRead]:
        """Index of every job in the session's database."""
        index: JobIndex[JobRead] = self._get(session, "jobs", _build_jobs)
        return index

    def candidates(self, session: Session) -> CandidateIndex[CandidateRead]:
        """Index of every candidate in the session's database."""
        index: CandidateIndex[CandidateRead] = self._get(session, "candidates", _build_candidates)
        return index

    def clear(self) -> None:
        """Forget every index (tests; after restoring a database behind our back)."""
        with self._lock:
            self._entries.clear()


def _build_jobs(session: Session) -> JobIndex[JobRead]:
    rows = session.execute(sa.select(Job).order_by(Job.id)).scalars()  # type: ignore[arg-type]
    return JobIndex.build([JobRead.model_validate(row) for row in rows])


def _build_candidates(session: Session) -> CandidateIndex[CandidateRead]:
    rows = session.execute(sa.select(Candidate).order_by(Candidate.id)).scalars()  # type: ignore[arg-type]
    return CandidateIndex.build([CandidateRead.model_validate(row) for row in rows])


#: The cache the API and the AI chains share.
index_cache = IndexCache()
