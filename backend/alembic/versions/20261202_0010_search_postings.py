"""PostgreSQL skill postings: bounded, index-only stage-one lanes (issue 12, PostgreSQL).

Why (profiled at 100,000 jobs, docs/BENCHMARKS.md): a PostgreSQL skills lane combined
the btree filters (level, remote OR place) in a bitmap and then read every wide `jobs`
row passing them (~1,600 bytes a row: 5,243 rows on 4,728 heap pages) to test the GIN match and
rank it -- 1,300-5,000 heap pages per lane, 30-75 ms, growing with the catalogue; or,
with other estimates, walked the primary key backwards testing `@@` on 20,000 rows. The
GIN index cannot return rows newest first, so no LIMIT could bound it.

Here each (row, listed skill) is one narrow *posting* with the row's filter values,
in a btree ordered (skill, level, loc, id): "the newest rows listing skill S at level L
in place P" is an index-only range scan read backwards, and a lane is a Merge Append of
one such scan per (skill, level, place) stopped after `SCAN_CAP` postings -- a cost
bounded by the cap, not by the catalogue. Summing the skills' rarity weights over a
row's postings is the lane's rank (the rarity-weighted skill hits SQLite computes with
`json_each`), and `n` (the row's skill count) feeds the length normalisation.

- job_skill_postings(skill, level, loc, id, n): `level` = seniority; `loc` = 'remote'
  for a remote job, else '=' || location key (first comma part, lower-cased, trimmed).
- candidate_skill_postings: `level` = desired seniority or '' (unset); one row with
  `loc` = '*' (any), and unless remote-only one with '+' (accepts on-site work) and one
  '=' || key per desired location.
- skill '' (in both): one posting per row and loc, for the text-less "recent" lane.

Kept current by the database: statement-level triggers with transition tables (one
INSERT ... SELECT per statement, so a COPY batch of the bulk import costs one statement)
on insert, delete, update (old postings deleted by their full key, new ones inserted)
and truncate. SQLite: nothing (its filters are FTS5 columns since 0009_search_facets).

Revision ID: 0010_search_postings
Revises: 0009_search_facets
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_search_postings"
down_revision: str | None = "0009_search_facets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(value: str) -> str:
    return f"lower(btrim(split_part(coalesce({value}, ''), ',', 1)))"


def postings(table: str, rows: str) -> str:
    """SELECT (skill, level, loc, id, n) of the rows of relation `rows` of `table`."""
    if table == "jobs":
        return (
            f"SELECT s.skill, r.seniority, CASE WHEN r.remote THEN 'remote' "
            f"ELSE '=' || {_key('r.location')} END, r.id, jsonb_array_length(r.required_skills) "
            f"FROM {rows} AS r CROSS JOIN LATERAL (SELECT value FROM "
            f"jsonb_array_elements_text(r.required_skills) UNION SELECT '') AS s(skill)"
        )
    places = (
        f"SELECT '*' UNION ALL SELECT '+' WHERE NOT r.remote_only UNION SELECT '=' || "
        f"{_key('l.value')} FROM jsonb_array_elements_text(r.desired_locations) AS l(value) "
        "WHERE NOT r.remote_only"
    )
    return (
        f"SELECT s.skill, coalesce(r.desired_seniority, ''), p.loc, r.id, "
        f"jsonb_array_length(r.skills) FROM {rows} AS r "
        f"CROSS JOIN LATERAL (SELECT value FROM jsonb_array_elements_text(r.skills) "
        f"UNION SELECT '') AS s(skill) CROSS JOIN LATERAL ({places}) AS p(loc)"
    )


def _statements(table: str) -> list[str]:
    target = f"{'job' if table == 'jobs' else 'candidate'}_skill_postings"
    insert = f"INSERT INTO {target} (skill, level, loc, id, n) {postings(table, 'new_rows')};"
    delete = (
        f"DELETE FROM {target} AS p USING ({postings(table, 'old_rows')}) AS o(skill, level, loc, id, n) "
        "WHERE p.skill = o.skill AND p.level = o.level AND p.loc = o.loc AND p.id = o.id;"
    )
    function = f"{target}_apply"
    return [
        f"CREATE TABLE {target} (skill varchar(100) NOT NULL, level varchar(16) NOT NULL, "
        "loc text NOT NULL, id integer NOT NULL, n smallint NOT NULL)",
        f"INSERT INTO {target} (skill, level, loc, id, n) {postings(table, table)}",
        f"CREATE INDEX ix_{target} ON {target} (skill, level, loc, id) INCLUDE (n)",
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {delete} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {insert} END IF; "
        "RETURN NULL; END $$",
        f"CREATE FUNCTION {target}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN TRUNCATE {target}; RETURN NULL; END $$",
        f"CREATE TRIGGER {target}_ai AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {target}_ad AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {target}_au AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {target}_at AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {target}_truncate()",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("jobs", "candidates"):
        for statement in _statements(table):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, target in (("jobs", "job_skill_postings"), ("candidates", "candidate_skill_postings")):
        for trigger in ("ai", "ad", "au", "at"):
            op.execute(f"DROP TRIGGER IF EXISTS {target}_{trigger} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {target}_apply()")
        op.execute(f"DROP FUNCTION IF EXISTS {target}_truncate()")
        op.execute(f"DROP TABLE IF EXISTS {target}")
