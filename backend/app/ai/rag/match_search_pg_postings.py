"""PostgreSQL stage-one lanes over the skill postings of migration 0010_search_postings.

Why a separate path: a lane as `search_vector @@ ... AND <filters>` reads every wide row
passing the filters (the GIN index cannot give rows newest first, so a LIMIT cannot stop
it early): its cost grows with the catalogue. A posting is one narrow btree entry per
(row, listed skill) keyed (skill, level, loc, id), so "the newest rows listing S at level
L in place P" is an index-only scan read backwards; the lane merges one such scan per
(skill, level, place) newest first (Merge Append) and stops after `POSTING_CAP`
postings, whatever the catalogue's size. A row's rank is the sum of the rarity weights
of its postings: rarity-weighted hits of its *listed* skills, as on SQLite.

`posting_lane` says how a lane's filters map to posting keys, or None when they cannot
(no level filter, "anywhere", a remote flag, a place without on-site): such lanes keep
the `@@` query of `match_search_postgres`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.ai.rag.match_search import SCAN_CAP, Lane, SearchRequest, length_discount

#: Postings one lane reads (newest first): a row hitting k skills takes k of them, so
#: twice `SCAN_CAP` reaches about as many rows as a `SCAN_CAP`-row scan would.
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
    """The lane's `(lane, id, score)` SELECT over the postings, binding into `params`
    (skills as :s{i} / weights as :w{i}, bound by the caller); None if it has no skill
    to look up. A text-less lane reads the '' postings (one per row) and scores 0."""
    skills = [f":s{i}" for i in range(len(request.skills))] if lane.text else ["''"]
    if not skills or not keys.levels:
        return None
    postings = TABLES[table]
    scans = []
    for a, level in enumerate(keys.levels):
        params[f"lv{number}_{a}"] = level
        for b, loc in enumerate(keys.locs):
            params[f"lc{number}_{b}"] = loc
            scans += [
                f"(SELECT skill, id, n FROM {postings} WHERE skill = {skill} AND "
                f"level = :lv{number}_{a} AND loc = :lc{number}_{b} ORDER BY id DESC LIMIT :pcap)"
                for skill in skills
            ]
    params["pcap"], params[f"k{number}"] = POSTING_CAP, lane.keep
    union = " UNION ALL ".join(scans)
    if not lane.text:  # one '' posting per row and (level, loc): no duplicates to fold
        return f"(SELECT {number} AS lane, id, 0.0::float8 AS score FROM ({union}) AS u " \
               f"ORDER BY id DESC LIMIT :k{number})"
    merged = f"SELECT * FROM ({union}) AS u ORDER BY id DESC LIMIT :pcap"
    cases = " ".join(f"WHEN :s{i} THEN :w{i}" for i in range(len(request.skills)))
    hits = f"sum(CASE p.skill {cases} ELSE 0 END)::float8"
    hits += length_discount(request, table, params, "p.n", AVERAGE)
    ranked = f"SELECT p.id AS id, {hits} AS hits FROM ({merged}) AS p GROUP BY p.id, p.n"
    return (
        f"(SELECT {number} AS lane, m.id, {relevance} AS score FROM ({ranked} "
        f"ORDER BY hits DESC, id DESC LIMIT :k{number}) AS m JOIN {table} AS t ON t.id = m.id)"
    )
