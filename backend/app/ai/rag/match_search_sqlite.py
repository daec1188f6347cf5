"""SQLite (FTS5) implementation of `MatchSearch`: bm25 over `jobs_fts` / `candidates_fts`.

The FTS tables (external content, Porter stemming) are kept current by triggers on the
base tables (migration 0006_search). bm25 weighs the skills column over the name and
body columns; words are quoted, so no user text reaches the FTS5 query parser raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.rag.match_search import SCAN_CAP, Lane, SearchRequest, skill_words

#: Table -> (skills column, bm25 column weights: skills, name, body).
_TABLES = {"jobs": ("required_skills", "3.0, 2.0, 1.0"), "candidates": ("skills", "3.0, 2.0, 1.0")}
LOCATION_KEY = (
    "lower(trim(CASE WHEN instr(t.location, ',') > 0 "
    "THEN substr(t.location, 1, instr(t.location, ',') - 1) ELSE t.location END))"
)


def _quoted(words: list[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def skills_query(column: str, skills: list[str]) -> str | None:
    phrases = [_quoted(words) for words in map(skill_words, skills) if words]
    return f"{column} : ({' OR '.join(phrases)})" if phrases else None


def words_query(words: list[str]) -> str | None:
    return " OR ".join(_quoted([w]) for w in words) or None


def _filters(table: str, lane: Lane, params: dict[str, Any], suffix: str) -> list[str]:
    where: list[str] = []
    seniority = "t.seniority" if table == "jobs" else "t.desired_seniority"
    if lane.levels is not None:
        params["levels" + suffix] = list(lane.levels) or [""]
        clause = f"{seniority} IN :levels{suffix}"
        where.append(f"({clause} OR {seniority} IS NULL)" if lane.or_unset else clause)
    if lane.places is not None:
        if lane.places:
            params["places" + suffix] = list(lane.places)
            where.append(f"(t.remote = 1 OR {LOCATION_KEY} IN :places{suffix})")
        else:
            where.append("t.remote = 1")
    if lane.remote is not None:
        params["remote" + suffix] = lane.remote
        where.append(f"t.remote = :remote{suffix}")
    if lane.on_site:
        where.append("t.remote_only = 0")
    return where


class SqliteMatchSearch:
    """Lanes as FTS5 queries joined to the base table's indexed filters."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def jobs(self, request: SearchRequest) -> dict[int, float]:
        return self._search("jobs", request)

    def candidates(self, request: SearchRequest) -> dict[int, float]:
        return self._search("candidates", request)

    def _search(self, table: str, request: SearchRequest) -> dict[int, float]:
        column, weights = _TABLES[table]
        by_skills = skills_query(column, request.skills)
        loose = words_query(request.words)
        params: dict[str, Any] = {"scan": SCAN_CAP}
        selects: list[str] = []
        fts = f"{table}_fts"
        for number, lane in enumerate(request.lanes):
            if not lane.text:
                filters = _filters(table, lane, params, f"_{number}") or ["1 = 1"]
                params[f"k{number}"] = lane.keep
                selects.append(
                    f"SELECT {number} AS lane, t.id AS id, 0.0 AS score FROM {table} AS t "
                    f"WHERE {' AND '.join(filters)} ORDER BY t.id DESC LIMIT :k{number}"
                )
                continue
            query = by_skills if lane.skills_only else loose
            if query is None:
                continue
            params[f"q{number}"], params[f"k{number}"] = query, lane.keep
            where = " AND ".join(
                [f"{fts} MATCH :q{number}", *_filters(table, lane, params, f"_{number}")]
            )
            selects.append(
                f"SELECT {number} AS lane, id, score FROM (SELECT t.id AS id, "
                f"-bm25({fts}, {weights}) AS score FROM {fts} JOIN {table} AS t "
                f"ON t.id = {fts}.rowid WHERE {where} ORDER BY {fts}.rowid DESC LIMIT :scan) "
                f"ORDER BY score DESC, id DESC LIMIT :k{number}"
            )
        if not selects:
            return {}
        statement = sa.text(" UNION ALL ".join(f"SELECT * FROM ({s})" for s in selects))
        expanding = [name for name in params if name.startswith(("levels", "places"))]
        statement = statement.bindparams(*(sa.bindparam(n, expanding=True) for n in expanding))
        return merge_lanes(self.session.execute(statement, params).tuples().all())


def merge_lanes(rows: Sequence[Any]) -> dict[int, float]:
    """(lane, id, score) rows -> id: best over lanes of score / that lane's best score."""
    best: dict[int, float] = {}
    for lane, _, score in rows:
        best[lane] = max(best.get(lane, 0.0), float(score))
    found: dict[int, float] = {}
    for lane, row_id, score in rows:
        value = float(score) / best[lane] if best[lane] > 0 else 0.0
        if value >= found.get(int(row_id), -1.0):
            found[int(row_id)] = value
    return found
