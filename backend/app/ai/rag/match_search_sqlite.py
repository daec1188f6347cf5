"""SQLite (FTS5) implementation of `MatchSearch`: every lane is answered by the index.

`jobs_fts` / `candidates_fts` (external content, Porter stemming, kept current by
triggers: migrations 0006_search and 0009_search_facets) index the text columns *and*
the filter values (level, remote / on-site, place). So a lane is one FTS5 query -- the
subject's skills AND its level AND (remote OR its place) -- that FTS5 answers by merging
doclists newest first, stopping at `SCAN_CAP` matches; base rows are read only for
those, to rank them.

Why not `bm25()` and a join for the filters (the first version): the join visited about
twenty wide rows per kept row when the filters were selective, and `bm25()` walks each
query phrase's whole doclist to count its documents -- both grew with the catalogue (at
100,000 jobs: ~40 ms of a ~50 ms request). Skills lanes now rank by rarity-weighted skill
hits instead (the weights come from `skill_stats`; the same signal stage two scores and
PostgreSQL ranks by), read from the ≤ `SCAN_CAP` rows already found -- and so does the
loose lane ("any word anywhere") of recommendations and matching: the words widen what
it finds, the skills order it (at 100,000 jobs `bm25()` over the loose words cost 10-28
ms, "engineer" alone -- in every description -- 19 ms; quality held, docs/BENCHMARKS.md).
A lane with `rank="words"` (the assistant's free-text search) keeps `bm25()` over the
text columns.

Words are quoted, so no user text reaches the FTS5 query parser raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.rag.match_search import (
    SCAN_CAP,
    Lane,
    SearchRequest,
    length_discount,
    merge_lanes,
    pool_statement,
    skill_words,
)
from app.ai.rag.text import tokenize

#: Table -> skills column, text columns (FTS5 column filter), bm25 weights of all columns.
_TABLES = {
    "jobs": ("required_skills", "{required_skills title description}", "3.0, 2.0, 1.0, 0, 0, 0"),
    "candidates": ("skills", "{skills headline resume_text}", "3.0, 2.0, 1.0, 0, 0, 0"),
}


#: Average number of skills a row lists, from the statistics the triggers keep.
_AVERAGE = (
    "(max(1.0, (SELECT total(df) FROM skill_stats WHERE kind = :kind AND skill <> '')) / "
    "max(1, (SELECT df FROM skill_stats WHERE kind = :kind AND skill = '')))"
)


def _quoted(words: list[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def skills_query(column: str, skills: list[str]) -> str | None:
    """`column : ("a" OR "b c")`: any of the skills, each as a phrase."""
    phrases = [_quoted(words) for words in map(skill_words, skills) if words]
    return f"{column} : ({' OR '.join(phrases)})" if phrases else None


def words_query(columns: str, words: list[str]) -> str | None:
    """Any of the words in the text columns (not in the filter columns)."""
    return f"{columns} : ({' OR '.join(_quoted([w]) for w in words)})" if words else None


def _place(key: str) -> str | None:
    """The indexed form of a location key: its words between the markers (migration 0009),
    so "york" matches York and not New York; None for a key without a word."""
    words = tokenize(key)
    return _quoted(["xb", *words, "xe"]) if words else None


def facet_query(table: str, lane: Lane) -> str | None:
    """The lane's filters as FTS5 conditions on the indexed filter columns, AND-ed:
    "" when it has none, None when nothing can pass (no level allowed, no usable place)."""
    parts: list[str] = []
    if lane.levels is not None:
        levels = [*lane.levels, *(["unset"] if lane.or_unset else [])]
        if not levels:
            return None
        parts.append(f"level : ({' OR '.join(_quoted([level]) for level in levels)})")
    if table == "jobs":
        if lane.places is not None:
            places = [p for p in map(_place, lane.places) if p]
            parts.append(f"(remote : yes OR place : ({' OR '.join(places)}))" if places else "remote : yes")
        if lane.remote is not None:
            parts.append(f"remote : {'yes' if lane.remote else 'no'}")
    else:
        if lane.on_site:
            parts.append("on_site : yes")
        if lane.wants_place:
            place = _place(lane.wants_place)
            if place is None:
                return None
            parts.append(f"places : {place}")
    return " AND ".join(parts)


def _and(*parts: str | None) -> str:
    return " AND ".join(f"({part})" for part in parts if part)


class SqliteMatchSearch:
    """Lanes as FTS5 queries over text and filter columns, ranked on the rows found."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def jobs(self, request: SearchRequest) -> dict[int, float]:
        return self._search("jobs", request)

    def candidates(self, request: SearchRequest) -> dict[int, float]:
        return self._search("candidates", request)

    def pool(
        self, table: Literal["jobs", "candidates"], request: SearchRequest, columns: Sequence[sa.Column[Any]]
    ) -> list[tuple[Any, ...]]:
        union = _union(table, request)
        if union is None:
            return []
        statement = sa.text(pool_statement(union[0], table, [column.name for column in columns]))
        typed = statement.columns(sa.column("rel", sa.Float()), *columns)  # JSON, booleans decoded
        return list(self.session.execute(typed, union[1]).tuples().all())

    def _search(self, table: str, request: SearchRequest) -> dict[int, float]:
        union = _union(table, request)
        if union is None:
            return {}
        return merge_lanes(self.session.execute(sa.text(union[0]), union[1]).tuples().all())


def _union(table: str, request: SearchRequest) -> tuple[str, dict[str, Any]] | None:
    """The lanes as one `(lane, id, score)` UNION ALL and its parameters (None: no lane
    has anything to look up)."""
    column, text_columns, bm25_weights = _TABLES[table]
    by_skills = skills_query(column, request.skills)
    loose = words_query(text_columns, request.words)
    params: dict[str, Any] = {"scan": SCAN_CAP}
    cases = []
    for i, skill in enumerate(request.skills):
        params[f"s{i}"], params[f"w{i}"] = skill, request.weights.get(skill, 1.0)
        cases.append(f"WHEN :s{i} THEN :w{i}")
    hits = (
        f"(SELECT total(CASE k.value {' '.join(cases)} ELSE 0 END) FROM json_each(t.{column}) AS k)"
        if cases else "0.0"
    )
    if cases:
        hits += length_discount(request, table, params, f"json_array_length(t.{column})", _AVERAGE)
    fts = f"{table}_fts"
    selects: list[str] = []
    for number, lane in enumerate(request.lanes):
        facets = facet_query(table, lane)
        if facets is None:
            continue
        params[f"k{number}"] = lane.keep
        if not lane.text:
            if facets:
                params[f"q{number}"] = facets
                source = f"SELECT rowid AS id FROM {fts} WHERE {fts} MATCH :q{number}"
            else:
                source = f"SELECT id FROM {table}"
            selects.append(
                f"SELECT {number} AS lane, id, 0.0 AS score FROM ({source} "
                f"ORDER BY id DESC LIMIT :k{number})"
            )
            continue
        text = by_skills if lane.skills_only else loose
        if text is None:
            continue
        params[f"q{number}"] = _and(text, facets)
        if lane.rank == "skills":
            selects.append(
                f"SELECT {number} AS lane, m.id AS id, {hits} AS score FROM "
                f"(SELECT rowid AS id FROM {fts} WHERE {fts} MATCH :q{number} "
                f"ORDER BY rowid DESC LIMIT :scan) AS m JOIN {table} AS t ON t.id = m.id "
                f"ORDER BY score DESC, id DESC LIMIT :k{number}"
            )
        else:
            selects.append(
                f"SELECT {number} AS lane, id, score FROM (SELECT rowid AS id, "
                f"-bm25({fts}, {bm25_weights}) AS score FROM {fts} WHERE {fts} MATCH :q{number} "
                f"ORDER BY rowid DESC LIMIT :scan) ORDER BY score DESC, id DESC LIMIT :k{number}"
            )
    if not selects:
        return None
    return " UNION ALL ".join(f"SELECT * FROM ({s})" for s in selects), params
