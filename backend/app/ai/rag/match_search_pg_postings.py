"""PostgreSQL stage-one lanes over the skill postings of migration 0010_search_postings.

Why a separate path: a lane as `search_vector @@ ... AND <filters>` reads every wide row
passing the filters (the GIN index cannot give rows newest first, so a LIMIT cannot stop
it early): its cost grows with the catalogue. A posting is one narrow btree entry per
(row, listed skill) keyed (skill, level, loc, id), so "the newest rows listing S at level
L in place P" is an index-only scan read backwards; the lane runs one such scan per
(skill, level, place) and reads about `POSTING_CAP` postings in all, whatever the
catalogue's size. A row's rank is the sum of the rarity weights of its postings:
rarity-weighted hits of its *listed* skills, as on SQLite.

`posting_lane` says how a lane's filters map to posting keys, or None when they cannot
(no level filter, "anywhere", a remote flag, a place without on-site): such lanes keep
the `@@` query of `match_search_postgres`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.ai.rag.match_search import SCAN_CAP, Lane, SearchRequest, length_discount

#: Postings one lane reads (each key's newest): a row hitting k skills takes k of them,
#: so twice `SCAN_CAP` reaches about as many rows as a `SCAN_CAP`-row scan would.
POSTING_CAP = 2 * SCAN_CAP
TABLES = {"jobs": "job_skill_postings", "candidates": "candidate_skill_postings"}
#: Average number of skills a row lists, from the statistics the triggers keep.
AVERAGE = (
    "(greatest(1.0, (SELECT sum(df) FROM skill_stats WHERE kind = :kind AND skill <> ''))::float8 / "
    "greatest(1, (SELECT df FROM skill_stats WHERE kind = :kind AND skill = '')))"
)


@dataclass(frozen=True)
class PostingKeys:
    """The (level, loc) pairs whose postings a lane unions."""

    levels: tuple[str, ...]
    locs: tuple[str, ...]


def posting_lane(table: str, lane: Lane) -> PostingKeys | None:
    """The posting keys that select exactly the rows `lane`'s filters admit, or None."""
    if lane.levels is None or lane.remote is not None:
        return None
    if table == "jobs":
        if lane.places is None or lane.on_site or lane.wants_place:
            return None
        return PostingKeys(lane.levels, ("remote", *(f"={p}" for p in lane.places)))
    levels = (*lane.levels, "") if lane.or_unset else lane.levels
    if lane.places is not None:
        return None
    if lane.wants_place:
        return PostingKeys(levels, (f"={lane.wants_place}",)) if lane.on_site else None
    return PostingKeys(levels, ("+",) if lane.on_site else ("*",))


def posting_select(
    table: str, number: int, lane: Lane, keys: PostingKeys, request: SearchRequest,
    params: dict[str, Any], relevance: str,
) -> str | None:
    """The lane's `(lane, id, score)` SELECT over the postings, binding into `params`;
    None if it has no skill to look up. A text-less lane reads the '' postings (one per
    row and key) and scores 0.

    The keys are the cross product of three bound arrays (skills with their weights,
    levels, places), each read by one LATERAL index-only range scan: the statement has
    the same few lines for any number of skills and places, where one subquery per key
    cost more planning than executing (docs/BENCHMARKS.md). Each key reads its newest
    `POSTING_CAP / keys` postings (a text-less lane: its newest `keep`, which is exact),
    so a lane reads at most about `POSTING_CAP` whatever the catalogue's size, and a rare
    skill's postings are not crowded out by a common one's."""
    skills = list(request.skills) if lane.text else [""]
    if not skills or not keys.levels:
        return None
    weights = [request.weights.get(skill, 1.0) for skill in skills]
    count = len(skills) * len(keys.levels) * len(keys.locs)
    per_key = lane.keep if not lane.text else max(1, -(-POSTING_CAP // count))
    params |= {f"ps{number}": skills, f"pw{number}": weights, f"pl{number}": list(keys.levels),
               f"pc{number}": list(keys.locs), f"pk{number}": per_key, f"k{number}": lane.keep}
    postings = TABLES[table]
    scans = (
        f"unnest(CAST(:ps{number} AS text[]), CAST(:pw{number} AS float8[])) AS k(skill, w) "
        f"CROSS JOIN unnest(CAST(:pl{number} AS text[])) AS lv(level) "
        f"CROSS JOIN unnest(CAST(:pc{number} AS text[])) AS lc(loc) "
        f"CROSS JOIN LATERAL (SELECT p.id, p.n FROM {postings} AS p WHERE p.skill = k.skill "
        f"AND p.level = lv.level AND p.loc = lc.loc ORDER BY p.id DESC LIMIT :pk{number}) AS p"
    )
    if not lane.text:  # one '' posting per row and (level, loc): no duplicates to fold
        return f"(SELECT {number} AS lane, p.id, 0.0::float8 AS score FROM {scans} " \
               f"ORDER BY p.id DESC LIMIT :k{number})"
    hits = "sum(k.w)" + length_discount(request, table, params, "p.n", AVERAGE)
    ranked = f"SELECT p.id AS id, {hits} AS hits FROM {scans} GROUP BY p.id, p.n"
    return (
        f"(SELECT {number} AS lane, m.id, {relevance} AS score FROM ({ranked} "
        f"ORDER BY hits DESC, id DESC LIMIT :k{number}) AS m JOIN {table} AS t ON t.id = m.id)"
    )
