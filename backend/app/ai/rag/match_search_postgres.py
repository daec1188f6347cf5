"""PostgreSQL implementation of `MatchSearch`: skill postings, weighted `tsvector` + GIN.

Skills lanes and the text-less lane whose filters map to posting keys (every lane of
recommendations and matching) read the narrow skill postings of migration
0010_search_postings (`match_search_pg_postings`): bounded backwards btree range scans,
one per (skill, level, place), ranked by rarity-weighted hits of listed skills (discounted by
the row's number of skills when the request says so: `SearchRequest.length_norm`); only
the rows a lane keeps are read, for their `ts_rank` -- the lane's score, as before.

The loose lane and lanes the postings cannot express (no level, "anywhere", a remote
flag) match `search_vector` (generated: skills weight A, name B, body C; GIN index,
migration 0006_search) with btree-indexed filters, read at most `SCAN_CAP` matches
newest first, and order them by skill hits plus `ts_rank` -- `ts_rank` alone has no idea
that "kafka" says more than "python". User text only ever travels as bound parameters
(to `phraseto_tsquery` / `plainto_tsquery`, which cannot fail on it, or compared as a
posting's skill).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.rag.match_search import (
    SCAN_CAP,
    Lane,
    SearchRequest,
    lane_filters,
    length_discount,
    merge_lanes,
    pool_statement,
)
from app.ai.rag.match_search_pg_postings import AVERAGE, posting_lane, posting_select

#: A `:name` bind parameter of the statements built here (not a `::type` cast).
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
#: List membership with the list bound as one array (no expanding parameters).
MEMBER = "{value} = ANY({param})"
#: ts_rank weights for D, C, B, A: body 0.2, name 0.4, skills 1.0.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
LOCATION_KEY = "lower(btrim(split_part(coalesce(t.location, ''), ',', 1)))"
SKILLS = {"jobs": "required_skills", "candidates": "skills"}
LISTED_PLACE = (
    "EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.desired_locations) AS l(place) "
    "WHERE lower(btrim(split_part(l.place, ',', 1))) = {param})"
)



def _lane_filters(table: str, lane: Lane, params: dict[str, Any], number: int) -> list[str]:
    return lane_filters(table, lane, params, f"_{number}", LOCATION_KEY, LISTED_PLACE, MEMBER)


class PostgresMatchSearch:
    """Lanes as GIN-indexed `@@` queries with btree filters."""

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
        statement = pool_statement(union[0], table, [column.name for column in columns])
        return self._run(statement, union[1])

    def _search(self, table: str, request: SearchRequest) -> dict[int, float]:
        union = _union(table, request)
        return merge_lanes(self._run(*union)) if union is not None else {}

    def _run(self, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        # Straight to the driver: a statement of ~40 parameters whose text changes with the
        # subject's words and lanes cost SQLAlchemy's `text()` compilation more than its
        # execution's share of the request (measured at 1M: docs/BENCHMARKS.md).
        connection = self.session.connection()
        return list(connection.exec_driver_sql(_BIND.sub(r"%(\1)s", statement), params).tuples().all())


def _union(table: str, request: SearchRequest) -> tuple[str, dict[str, Any]] | None:
    """The lanes as one `(lane, id, score)` UNION ALL and its parameters (None: no lane
    has anything to look up)."""
    params: dict[str, Any] = {"scan": SCAN_CAP}
    skill_queries, hits = [], []
    for i, skill in enumerate(request.skills):
        params[f"s{i}"], params[f"w{i}"] = skill, request.weights.get(skill, 1.0)
        skill_queries.append(f"phraseto_tsquery('english', :s{i})")
        hits.append(f"(t.search_vector @@ phraseto_tsquery('english', :s{i}))::int * :w{i}")
    word_queries = []
    for i, word in enumerate(request.words):
        params[f"t{i}"] = word
        word_queries.append(f"plainto_tsquery('english', :t{i})")
    loose = " || ".join(word_queries or skill_queries) or "''::tsquery"
    rank = f"({' + '.join(hits) or '0'})"
    if hits:
        rank += length_discount(request, table, params, f"jsonb_array_length(t.{SKILLS[table]})", AVERAGE)
    relevance = f"ts_rank('{RANK_WEIGHTS}', t.search_vector, {loose})"
    selects: list[str] = []
    for number, lane in enumerate(request.lanes):
        keys = posting_lane(table, lane) if lane.skills_only or not lane.text else None
        if keys is not None:
            select = posting_select(table, number, lane, keys, request, params, relevance)
            if select is not None:
                selects.append(select)
            continue
        if not lane.text:
            filters = _lane_filters(table, lane, params, number) or ["true"]
            params[f"k{number}"] = lane.keep
            selects.append(
                f"(SELECT {number} AS lane, t.id AS id, 0.0::real AS rel FROM {table} AS t "
                f"WHERE {' AND '.join(filters)} ORDER BY t.id DESC LIMIT :k{number})"
            )
            continue
        match = " || ".join(skill_queries) if lane.skills_only else loose
        if not (word_queries or skill_queries) or not match:
            continue
        params[f"k{number}"] = lane.keep
        filters = _lane_filters(table, lane, params, number)
        where = " AND ".join([f"t.search_vector @@ ({match})", *filters])
        selects.append(
            f"(SELECT {number} AS lane, id, rel FROM (SELECT t.id AS id, "
            f"ts_rank('{RANK_WEIGHTS}', t.search_vector, {loose}) AS rel, "
            f"{rank} AS hits FROM {table} AS t WHERE {where} "
            f"ORDER BY t.id DESC LIMIT :scan) AS m ORDER BY hits + rel DESC, id DESC "
            f"LIMIT :k{number})"
        )
    if not selects:
        return None
    return " UNION ALL ".join(selects), params
