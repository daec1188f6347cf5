"""SQLite match filters inside the full-text index (issue 12: per-request latency).

Why: a stage-one lane (`app.ai.rag.match_search_sqlite`) matched the subject's skills in
`jobs_fts` / `candidates_fts` and then checked level, place and remote on the base row.
With selective filters (one level of five, one city or remote) it visited ~20 rows per
row it kept -- at 100,000 jobs some 12,000 rowid look-ups into wide rows per lane, 80 %
of the lane's time. Here the filter values become indexed FTS columns, so FTS5 answers
"these skills AND this level AND (remote OR this place)" by merging doclists, and a lane
reads base rows only for the few hundred it ranks.

New FTS columns (database-maintained: computed by the triggers below from the row's own
columns; `content=` is a view computing the same values, so reading an FTS column works;
to re-index, `INSERT INTO candidates_fts(candidates_fts) VALUES ('delete-all')` then
`INSERT ... SELECT` from the view -- FTS5 3.40's `'rebuild'` / `'integrity-check'` fail
on the candidates view, whose `places` is a `json_each` subquery):

- jobs_fts: `level` (seniority), `remote` ('yes' / 'no'), `place` (the location key --
  first comma part, lower-cased, trimmed -- between the marker tokens `xb` / `xe`, so the
  phrase "xb york xe" matches York but not New York);
- candidates_fts: `level` (desired seniority, or 'unset'), `on_site` ('yes' unless
  remote-only), `places` (each desired location's key between the same markers).

The triggers also fire on updates of the filter columns now (a job moving from Lisbon to
remote is re-indexed). As 0006 notes, a later batch-mode migration that recreates `jobs`
or `candidates` drops these triggers and must recreate them (`_create`). PostgreSQL
is unchanged: its lanes filter on btree-indexed columns that the planner combines with
the GIN match itself.

Revision ID: 0009_search_facets
Revises: 0008_gateway
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_search_facets"
down_revision: str | None = "0008_gateway"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def _key(value: str) -> str:
    """The location key of `value` (SQL): first comma part, trimmed, ASCII lower-cased."""
    return (
        f"lower(trim(CASE WHEN instr({value}, ',') > 0 "
        f"THEN substr({value}, 1, instr({value}, ',') - 1) ELSE {value} END))"
    )


def _facets(table: str, row: str) -> list[tuple[str, str]]:
    """(FTS column, SQL value) of the filter columns, reading the row named `row`
    ('new', 'old', or '' for the content view)."""
    r = f"{row}." if row else ""
    if table == "jobs":
        return [
            ("level", f"{r}seniority"),
            ("remote", f"CASE WHEN {r}remote THEN 'yes' ELSE 'no' END"),
            ("place", f"'xb ' || coalesce({_key(f'{r}location')}, '') || ' xe'"),
        ]
    return [
        ("level", f"coalesce({r}desired_seniority, 'unset')"),
        ("on_site", f"CASE WHEN {r}remote_only THEN 'no' ELSE 'yes' END"),
        ("places", "coalesce((SELECT group_concat('xb ' || " + _key("l.value") + " || ' xe', ' ') "
                   f"FROM json_each({r}desired_locations) AS l), '')"),
    ]


#: table -> (text columns: skills, name, body; filter source columns)
SEARCHED = {
    "jobs": (("required_skills", "title", "description"), ("seniority", "remote", "location")),
    "candidates": (("skills", "headline", "resume_text"),
                   ("desired_seniority", "remote_only", "desired_locations")),
}


def _stats(table: str, skills: str, row: str, sign: str) -> str:
    """Keep `skill_stats` as migration 0006 did (the triggers replaced here held it)."""
    return (
        f"INSERT INTO skill_stats(kind, skill, df) SELECT '{table}', value, {sign}1 "
        f"FROM json_each({row}.{skills}) WHERE true "
        f"ON CONFLICT(kind, skill) DO UPDATE SET df = df {sign} 1; "
        f"INSERT INTO skill_stats(kind, skill, df) VALUES ('{table}', '', {sign}1) "
        f"ON CONFLICT(kind, skill) DO UPDATE SET df = df {sign} 1;"
    )


def _drop(table: str) -> list[str]:
    return [
        *(f"DROP TRIGGER IF EXISTS {table}_fts_{name}" for name in ("ai", "ad", "au")),
        f"DROP TABLE IF EXISTS {table}_fts",
        f"DROP VIEW IF EXISTS {table}_fts_content",
    ]


def _create(table: str, with_facets: bool) -> list[str]:
    """The FTS table of `table`, its triggers and a rebuild: with the filter columns
    (upgrade) or as migration 0006 made them (downgrade)."""
    text, sources = SEARCHED[table]
    skills = text[0]
    facets = {row: _facets(table, row) if with_facets else [] for row in ("new", "old", "")}
    columns = ", ".join([*text, *(name for name, _ in facets[""])])

    def values(row: str) -> str:
        return ", ".join([*(f"{row}.{c}" for c in text), *(v for _, v in facets[row])])

    watched = ", ".join([*text, *(sources if with_facets else ())])
    content = f"{table}_fts_content" if with_facets else table
    statements = []
    if with_facets:
        view_columns = ", ".join(["id", *text, *(f"{v} AS {name}" for name, v in facets[""])])
        statements.append(f"CREATE VIEW {content} AS SELECT {view_columns} FROM {table}")
    delete = (
        f"INSERT INTO {table}_fts({table}_fts, rowid, {columns}) "
        f"VALUES ('delete', old.id, {values('old')});"
    )
    insert = f"INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {values('new')});"
    return [
        *statements,
        f"CREATE VIRTUAL TABLE {table}_fts USING fts5({columns}, content='{content}', "
        f"content_rowid='id', {TOKENIZE})",
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN {insert} "
        f"{_stats(table, skills, 'new', '+')} END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN {delete} "
        f"{_stats(table, skills, 'old', '-')} END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {watched} ON {table} BEGIN {delete} {insert} "
        f"{_stats(table, skills, 'old', '-')} {_stats(table, skills, 'new', '+')} END",
        # Not 'rebuild': FTS5 3.40 fails it ("SQL logic error") on a content view whose
        # column is a json_each subquery (candidates' places); a plain INSERT works.
        f"INSERT INTO {table}_fts(rowid, {columns}) SELECT id, {columns} FROM {content}",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHED:
        for statement in [*_drop(table), *_create(table, with_facets=True)]:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHED:
        for statement in [*_drop(table), *_create(table, with_facets=False)]:
            op.execute(statement)
