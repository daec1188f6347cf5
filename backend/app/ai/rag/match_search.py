"""Stage one of matching in the database: a bounded candidate set from indexed queries.

Why in the database: an in-memory index of the whole catalogue costs memory per worker
proportional to the catalogue and a full rebuild after every write. The database
already keeps full-text indexes (PostgreSQL weighted `tsvector` + GIN, SQLite FTS5)
and filter indexes current inside each write's transaction (migration 0006_search;
on SQLite the filter values are FTS5 columns since 0009_search_facets; on PostgreSQL
skill postings keyed by skill and filter values since 0010_search_postings), so the next
request sees every write, and what a request costs depends on how many rows match,
not on how many exist.

What is asked: a few *lanes*, each a text match plus indexed filters, each returning
its best `keep` rows by rarity-weighted skill hits (`Lane.rank`), scanned newest first
and capped at
`SCAN_CAP` matching rows (so a very common query cannot make a request scan the
catalogue). Lanes go from strict (the subject's skills, the exact level, a compatible
place) to loose (any shared word): the union is a few hundred ids, which stage two
(`app.ai.chains.stage_one`) re-scores with the full local features.

Text relevance comes back per lane normalised to 0..1 (each lane's best row = 1) and
the best over the lanes is kept: a skills-only match and a match on any word are
ranked by different queries, so only their relative order within a lane is comparable.

`MatchSearch` is the interface: a dedicated search engine (OpenSearch) would be one more
implementation of it, chosen in `match_search_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.rag.match_index import CandidateLike, JobLike, candidate_level, level_of, location_key
from app.ai.rag.text import content_terms, tokenize
from app.models.common import SENIORITY_ORDER
from app.models.skill_stat import ROW_COUNT_KEY

#: Most matching rows one lane reads (newest first) before ranking them.
SCAN_CAP = 600
#: Most words of the subject's text sent as the loose query.
MAX_TEXT_TERMS = 24
MAX_SKILLS = 16
#: Rows of the text-less lane (newest rows passing the strict filters).
RECENT = 20
#: `SearchRequest.length_norm` of candidate matching (BM25's usual b).
CANDIDATE_LENGTH_NORM = 0.75
#: BM25's term-frequency saturation; with one "occurrence" per listed skill it only
#: shapes the length normalisation: hits * (K1 + 1) / (K1 * (1 - b + b * n / avg) + 1).
K1 = 1.2



@dataclass(frozen=True)
class Lane:
    """One indexed query: text match, filters, and how many of its best rows to keep.

    `skills_only`: match the subject's skills in the skills field (else any word
    anywhere); `text=False`: no text condition at all (the newest rows passing the
    filters: what a subject sharing no word with anyone still gets). `levels`: allowed
    seniority values (None: any; `or_unset` also admits
    rows without one). `places`: jobs must be remote or in one of these location keys
    (`()`: remote only; None: anywhere). `remote`: jobs' remote flag must equal it.
    `on_site`: candidates must accept on-site work; `wants_place`: candidates must list
    this location key among their desired locations. `rank`: order the matches by
    rarity-weighted skill hits ("skills") or by the engine's word relevance ("words":
    a free-text query with no skills to weigh). PostgreSQL's posting lanes rank by hits
    and score by `ts_rank`; its `@@` lanes order both by hits plus `ts_rank` (no
    document-frequency walk there: `ts_rank` has no IDF).
    """

    name: str
    keep: int
    skills_only: bool = True
    text: bool = True
    levels: tuple[str, ...] | None = None
    or_unset: bool = False
    places: tuple[str, ...] | None = None
    remote: bool | None = None
    on_site: bool = False
    wants_place: str | None = None
    rank: Literal["skills", "words"] = "skills"


@dataclass(frozen=True)
class SearchRequest:
    """The subject's searchable side: skills (phrases), loose words, rarity weights, lanes.

    `length_norm` (BM25's b, 0..1): how much the skills lanes' rank (rarity-weighted
    skill hits) discounts a row for listing more skills than the average row. Candidates
    for a job use it: of two people matching the same required skills, the one whose
    profile is about them (not a list of everything) is the likelier fit -- measured
    on the generator's ground truth (docs/BENCHMARKS.md); jobs for a candidate do not
    (a job's short requirement list is what stage two's coverage already scores).
    """

    skills: list[str]
    words: list[str]
    weights: dict[str, float]
    lanes: list[Lane] = field(default_factory=list)
    length_norm: float = 0.0


def length_discount(
    request: SearchRequest, table: str, params: dict[str, Any], length_sql: str, average_sql: str
) -> str:
    """The SQL factor that discounts a row's skill hits for listing more skills than the
    average row (BM25's length normalisation, `request.length_norm` as b), binding `:b`
    and `:kind` into `params`; "" when the request asks for none. Both backends use it,
    each with its own spelling of the row's skill count and of the average."""
    if request.length_norm <= 0:
        return ""
    params["kind"], params["b"] = table, request.length_norm
    return f" * {K1 + 1} / ({K1} * (1 - :b + :b * {length_sql} / {average_sql}) + 1)"


class MatchSearch(Protocol):
    """A retrieval backend: ids with a text-relevance score, and skill statistics."""

    def jobs(self, request: SearchRequest) -> dict[int, float]:
        """Job id -> text relevance (higher is better) for the union of the lanes."""
        ...

    def candidates(self, request: SearchRequest) -> dict[int, float]:
        """Candidate id -> text relevance for the union of the lanes."""
        ...

    def pool(
        self, table: Literal["jobs", "candidates"], request: SearchRequest, columns: Sequence[sa.Column[Any]]
    ) -> list[tuple[Any, ...]]:
        """The union of the lanes read in one go: `(relevance, *columns)` per row of
        `table`, newest first -- what stage two re-scores (`app.ai.chains.stage_one`)."""
        ...


@dataclass(frozen=True)
class SkillFrequencies:
    """How many rows of a kind exist, and how many list each (asked-for) skill."""

    rows: int
    df: dict[str, int]


_FREQUENCIES_IN = sa.text(
    "SELECT skill, df FROM skill_stats WHERE kind = :kind AND skill IN :skills"
).bindparams(sa.bindparam("skills", expanding=True))
#: Per dialect: PostgreSQL takes the list as one array parameter, so the statement's text
#: is the same for every request (an expanding IN renders ~100 parameters anew each time:
#: ~0.5 ms of SQLAlchemy for the pool's skills).
_FREQUENCIES = {
    "postgresql": sa.text("SELECT skill, df FROM skill_stats WHERE kind = :kind AND skill = ANY(:skills)"),
}


def skill_frequencies(session: Session, kind: str, skills: Sequence[str]) -> SkillFrequencies:
    """Row count and document frequencies of `skills` among `kind` rows: a primary-key
    look-up per skill in `skill_stats`, which triggers keep current."""
    wanted = sorted({*skills, ROW_COUNT_KEY})
    statement = _FREQUENCIES.get(session.get_bind().dialect.name, _FREQUENCIES_IN)
    rows: dict[str, int] = dict(session.execute(statement, {"kind": kind, "skills": wanted}).tuples().all())
    total = int(rows.pop(ROW_COUNT_KEY, 0) or 0)
    return SkillFrequencies(total, {skill: int(df) for skill, df in rows.items() if df and df > 0})


def known_skills(session: Session, kind: str, words: Sequence[str]) -> list[str]:
    """Those of `words` that some row of `kind` lists as a skill, in order."""
    listed = skill_frequencies(session, kind, words).df
    return [word for word in words if word in listed]


def _levels_near(level: int, distance: int) -> tuple[str, ...]:
    return tuple(
        SENIORITY_ORDER[i].value
        for i in range(len(SENIORITY_ORDER))
        if 0 < abs(i - level) <= distance
    )


def job_request(candidate: CandidateLike, weights: dict[str, float]) -> SearchRequest:
    """What to ask the jobs index for `candidate`: strict, near and loose lanes."""
    level = candidate_level(candidate)
    if candidate.remote_only:
        places: tuple[str, ...] | None = ()
    else:
        keys = tuple(sorted({location_key(p) for p in candidate.desired_locations} - {""}))
        places = keys or None
    exact = (SENIORITY_ORDER[level].value,)
    words = content_terms(f"{candidate.headline} {' '.join(candidate.skills)}")
    return SearchRequest(
        skills=list(dict.fromkeys(candidate.skills))[:MAX_SKILLS],
        words=list(dict.fromkeys(words))[:MAX_TEXT_TERMS],
        weights=weights,
        lanes=[
            Lane("fit", 150, levels=exact, places=places),
            Lane("near", 100, levels=_levels_near(level, 1), places=places),
            Lane("text", 100, skills_only=False),
            Lane("recent", RECENT, text=False, levels=exact, places=places),
        ],
    )


def candidate_request(job: JobLike, weights: dict[str, float]) -> SearchRequest:
    """What to ask the candidates index for `job`: strict, near and loose lanes."""
    level = level_of(job.seniority)
    exact = (SENIORITY_ORDER[level].value,)
    on_site = not job.remote
    place = location_key(job.location) if on_site else ""
    words = content_terms(f"{job.title} {' '.join(job.required_skills)} {place}")
    return SearchRequest(
        skills=list(dict.fromkeys(job.required_skills))[:MAX_SKILLS],
        words=list(dict.fromkeys(words))[:MAX_TEXT_TERMS],
        weights=weights,
        lanes=[
            Lane("fit", 150, levels=exact, or_unset=True, on_site=on_site, wants_place=place or None),
            Lane("near", 100, levels=_levels_near(level, 1), on_site=on_site, wants_place=place or None),
            Lane("text", 100, skills_only=False),
            Lane("recent", RECENT, text=False, levels=exact, or_unset=True, on_site=on_site,
                 wants_place=place or None),
        ],
        length_norm=CANDIDATE_LENGTH_NORM,
    )


def lane_filters(
    table: str, lane: Lane, params: dict[str, Any], suffix: str, location_key: str,
    listed_place: str = "", member: str = "{value} IN {param}",
) -> list[str]:
    """SQL conditions on `t` (the base table) for `lane`, binding their values into
    `params` under names ending in `suffix`; `location_key` is the backend's spelling of
    the indexed location-key expression, `listed_place` of "the candidate lists the place
    named by bind parameter {param}", `member` of "value is in the list bound as {param}"
    (default: an expanding `IN`). Portable SQL otherwise (TRUE/FALSE: SQLite 3.23+).
    PostgreSQL's `@@` lanes use it (its posting lanes key the postings by the same values:
    `match_search_pg_postings.posting_lane`); SQLite's put the same filters in the FTS5
    query instead (`match_search_sqlite.facet_query`), so a lane never reads a row to
    check them."""
    where: list[str] = []
    seniority = "t.seniority" if table == "jobs" else "t.desired_seniority"
    if lane.levels is not None:
        params["levels" + suffix] = list(lane.levels) or [""]
        clause = member.format(value=seniority, param=f":levels{suffix}")
        where.append(f"({clause} OR {seniority} IS NULL)" if lane.or_unset else clause)
    if lane.places is not None:
        if lane.places:
            params["places" + suffix] = list(lane.places)
            listed = member.format(value=location_key, param=f":places{suffix}")
            where.append(f"(t.remote = true OR {listed})")
        else:
            where.append("t.remote = true")
    if lane.remote is not None:
        params["remote" + suffix] = lane.remote
        where.append(f"t.remote = :remote{suffix}")
    if lane.on_site:
        where.append("t.remote_only = false")
    if lane.wants_place:
        params["wants" + suffix] = lane.wants_place
        where.append(listed_place.format(param=":wants" + suffix))
    return where


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


def pool_statement(union: str, table: str, columns: Sequence[str]) -> str:
    """One statement for the lanes' `(lane, id, score)` `union` and the rows it found:
    `(relevance, *columns)` of each found row of `table`, newest first, the relevance
    merged as `merge_lanes` merges it (score / the lane's best, best over the lanes).

    Why one statement: reading the pool by id after retrieval was a second round trip
    binding ~370 ids, most of its cost in SQLAlchemy and the driver rather than in the
    database (docs/BENCHMARKS.md). Portable SQL (window functions: SQLite 3.25+)."""
    wanted = ", ".join(f"t.{name}" for name in columns)
    return (
        f"WITH lanes(lane, id, score) AS ({union}), "
        "scored AS (SELECT id, score, max(score) OVER (PARTITION BY lane) AS top FROM lanes), "
        "found AS (SELECT id, max(CASE WHEN top > 0 THEN score / top ELSE 0.0 END) AS rel "
        "FROM scored GROUP BY id) "
        f"SELECT found.rel, {wanted} FROM found JOIN {table} AS t ON t.id = found.id ORDER BY t.id DESC"
    )


def skill_words(skill: str) -> list[str]:
    """A skill as plain words ("ci/cd" -> ["ci", "cd"]): safe to put in any query syntax."""
    return tokenize(skill)


def match_search_for(session: Session) -> MatchSearch:
    """The retrieval backend for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from app.ai.rag.match_search_postgres import PostgresMatchSearch

        return PostgresMatchSearch(session)
    if dialect == "sqlite":
        from app.ai.rag.match_search_sqlite import SqliteMatchSearch

        return SqliteMatchSearch(session)
    raise NotImplementedError(f"match retrieval is not implemented for {dialect}")  # pragma: no cover
