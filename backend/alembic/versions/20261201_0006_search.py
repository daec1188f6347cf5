"""Matching retrieval in the database: full-text indexes, filter indexes, skill statistics.

Stage one of recommendations and matching runs as indexed queries (issue 12), so
everything it reads is kept current by the database itself -- no application-side
rebuild:

- PostgreSQL: a weighted, generated `search_vector tsvector` on jobs (skills A, title B,
  description C) and candidates (skills A, headline B, résumé C), each with a GIN index;
  statement-level triggers with transition tables keep `skill_stats` current (one
  aggregate per statement, so a COPY of a million rows costs one upsert per skill).
- SQLite: FTS5 tables `jobs_fts` / `candidates_fts` (external content) and row triggers
  for both the FTS tables and `skill_stats`.
  NOTE: a later batch-mode migration that recreates `jobs` or `candidates` drops these
  triggers; such a migration must recreate them (`_sqlite_statements`).
- Both: btree indexes for the filters (currency, remote_only, desired_seniority, the
  location's first comma part) and `skill_stats(kind, skill, df)`: how many rows of
  each kind list each skill (skill '' = the row count), for the rarity weights.

Revision ID: 0006_search
Revises: 0007_cost
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006_search"
down_revision: str | None = "0007_cost"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, skills column, FTS columns by weight: skills, name, body)
SEARCHED = {
    "jobs": ("required_skills", "title", "description"),
    "candidates": ("skills", "headline", "resume_text"),
}
PG_LOCATION_KEY = "lower(btrim(split_part(coalesce(location, ''), ',', 1)))"
SQLITE_LOCATION_KEY = (
    "lower(trim(CASE WHEN instr(location, ',') > 0 "
    "THEN substr(location, 1, instr(location, ',') - 1) ELSE location END))"
)


def _sqlite_statements(table: str) -> list[str]:
    skills, name, body = SEARCHED[table]
    columns = f"{skills}, {name}, {body}"
    new_values = f"new.{skills}, new.{name}, new.{body}"
    old_values = f"old.{skills}, old.{name}, old.{body}"

    def stats(row: str, sign: str) -> str:
        return (
            f"INSERT INTO skill_stats(kind, skill, df) SELECT '{table}', value, {sign}1 "
            f"FROM json_each({row}.{skills}) WHERE true "
            f"ON CONFLICT(kind, skill) DO UPDATE SET df = df {sign} 1; "
            f"INSERT INTO skill_stats(kind, skill, df) VALUES ('{table}', '', {sign}1) "
            f"ON CONFLICT(kind, skill) DO UPDATE SET df = df {sign} 1;"
        )

    return [
        f"CREATE VIRTUAL TABLE {table}_fts USING fts5({columns}, content='{table}', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new_values}); "
        f"{stats('new', '+')} END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {columns}) "
        f"VALUES ('delete', old.id, {old_values}); {stats('old', '-')} END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {columns} ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {columns}) "
        f"VALUES ('delete', old.id, {old_values}); "
        f"INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new_values}); "
        f"{stats('old', '-')} {stats('new', '+')} END",
        f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')",
    ]


def _pg_statements(table: str) -> list[str]:
    skills, name, body = SEARCHED[table]
    vector = (
        f"setweight(jsonb_to_tsvector('english', {skills}, '[\"string\"]'), 'A') || "
        f"setweight(to_tsvector('english', coalesce({name}, '')), 'B') || "
        f"setweight(to_tsvector('english', coalesce({body}, '')), 'C')"
    )

    def counted(rows: str, sign: str) -> str:
        return (
            f"INSERT INTO skill_stats(kind, skill, df) "
            f"SELECT '{table}', s.skill, {sign}count(*) FROM {rows}, "
            f"jsonb_array_elements_text({rows}.{skills}) AS s(skill) GROUP BY s.skill "
            f"UNION ALL SELECT '{table}', '', {sign}count(*) FROM {rows} "
            "ON CONFLICT (kind, skill) DO UPDATE SET df = skill_stats.df + EXCLUDED.df;"
        )

    function = f"{table}_skill_stats_apply"
    return [
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED",
        f"CREATE INDEX ix_{table}_search_vector ON {table} USING GIN (search_vector)",
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {counted('old_rows', '-')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {counted('new_rows', '')} END IF; "
        "RETURN NULL; END $$",
        f"CREATE FUNCTION {table}_skill_stats_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN DELETE FROM skill_stats WHERE kind = '{table}'; RETURN NULL; END $$",
        f"CREATE TRIGGER {table}_skill_stats_ai AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_skill_stats_ad AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_skill_stats_au AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_skill_stats_at AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_skill_stats_truncate()",
        # Rows that existed before this migration.
        counted_existing(table, skills),
    ]


def counted_existing(table: str, skills: str) -> str:
    return (
        f"INSERT INTO skill_stats(kind, skill, df) "
        f"SELECT '{table}', s.skill, count(*) FROM {table}, "
        f"jsonb_array_elements_text({table}.{skills}) AS s(skill) GROUP BY s.skill "
        f"UNION ALL SELECT '{table}', '', count(*) FROM {table}"
    )


def upgrade() -> None:
    op.create_table(
        "skill_stats",
        sa.Column("kind", sa.String(length=16), primary_key=True),
        sa.Column("skill", sa.String(length=100), primary_key=True),
        sa.Column("df", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_jobs_currency", "jobs", ["currency"])
    op.create_index("ix_candidates_currency", "candidates", ["currency"])
    op.create_index("ix_candidates_remote_only", "candidates", ["remote_only"])
    op.create_index("ix_candidates_desired_seniority", "candidates", ["desired_seniority"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"CREATE INDEX ix_jobs_location_key ON jobs ({SQLITE_LOCATION_KEY})")
        for table in SEARCHED:
            for statement in _sqlite_statements(table):
                op.execute(statement)
        for table, (skills, _, _) in SEARCHED.items():
            op.execute(
                f"INSERT INTO skill_stats(kind, skill, df) SELECT '{table}', value, count(*) "
                f"FROM {table}, json_each({table}.{skills}) GROUP BY value "
                f"UNION ALL SELECT '{table}', '', count(*) FROM {table}"
            )
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_jobs_location_key ON jobs ({PG_LOCATION_KEY})")
        for table in SEARCHED:
            for statement in _pg_statements(table):
                op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SEARCHED:
        if dialect == "sqlite":
            for trigger in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        elif dialect == "postgresql":
            for trigger in ("ai", "ad", "au", "at"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_skill_stats_{trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_skill_stats_apply()")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_skill_stats_truncate()")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP INDEX IF EXISTS ix_jobs_location_key")
    op.drop_index("ix_candidates_desired_seniority", "candidates")
    op.drop_index("ix_candidates_remote_only", "candidates")
    op.drop_index("ix_candidates_currency", "candidates")
    op.drop_index("ix_jobs_currency", "jobs")
    op.drop_table("skill_stats")
