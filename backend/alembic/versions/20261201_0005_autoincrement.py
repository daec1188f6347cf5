"""SQLite: integer ids are never reused after a delete (`AUTOINCREMENT`) (issue 13).

Revision ID: 0005_autoincrement
Revises: 0004_key_scopes
Create Date: 2026-12-01

Without AUTOINCREMENT, SQLite gives a new row `max(id) + 1`, so deleting the newest
job and importing another hands out the deleted job's id again: a client's stale
reference silently points at a different job. PostgreSQL sequences never reuse ids,
so there this revision does nothing.

SQLite can only declare AUTOINCREMENT at CREATE TABLE, so each table is rebuilt: a
new table from the old one's reflected columns, rows copied (which also seeds
`sqlite_sequence` with the current maximum), old table dropped, new one renamed, indexes
recreated. Alembic's batch mode does the same, but our engine runs SQLite with
`foreign_keys=ON` (which cannot be switched off inside the migration's transaction), so
dropping `documents` would cascade-delete its chunks: they are copied aside and deleted
first, and put back afterwards (the full-text triggers follow both steps). `document_chunks` itself
is left alone: its ids are the full-text index's rowids, and chunks are rebuilt
whenever their document changes anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005_autoincrement"
down_revision: str | None = "0004_key_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables whose integer ids clients or operators see (API ids, key ids, ledger rows).
TABLES = ("jobs", "candidates", "documents", "messages", "api_keys", "ai_usage")


def _rebuild_with_autoincrement(connection: sa.Connection, name: str) -> None:
    metadata = sa.MetaData()  # also holds the tables the foreign keys refer to
    old = sa.Table(name, metadata, autoload_with=connection)
    indexes = [(index.name, [c.name for c in index.columns], bool(index.unique)) for index in old.indexes]
    columns = ", ".join(f'"{column.name}"' for column in old.columns)
    building = f"_{name}_autoincrement"
    new = sa.Table(
        building, metadata,
        *(column._copy() for column in old.columns),
        *(sa.UniqueConstraint(*[c.name for c in constraint.columns], name=constraint.name)
          for constraint in old.constraints if isinstance(constraint, sa.UniqueConstraint)),
        *(sa.ForeignKeyConstraint(
            [c.name for c in fk.columns], [element.target_fullname for element in fk.elements],
            name=fk.name, ondelete=fk.ondelete, onupdate=fk.onupdate,
        ) for fk in old.foreign_key_constraints),
        sqlite_autoincrement=True,
    )
    new.create(connection)
    connection.exec_driver_sql(f'INSERT INTO "{building}" ({columns}) SELECT {columns} FROM "{name}"')
    connection.exec_driver_sql(f'DROP TABLE "{name}"')
    connection.exec_driver_sql(f'ALTER TABLE "{building}" RENAME TO "{name}"')
    for index_name, index_columns, unique in indexes:
        columns_sql = ", ".join(f'"{c}"' for c in index_columns)
        connection.exec_driver_sql(
            f'CREATE {"UNIQUE " if unique else ""}INDEX "{index_name}" ON "{name}" ({columns_sql})'
        )


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    # Dropping `documents` would cascade to its chunks (and SQLite refuses a DROP whose
    # cascade runs the full-text triggers: "table is locked"): keep them aside meanwhile.
    connection.exec_driver_sql("CREATE TEMP TABLE _chunks_aside AS SELECT * FROM document_chunks")
    connection.exec_driver_sql("DELETE FROM document_chunks")
    for name in TABLES:
        _rebuild_with_autoincrement(connection, name)
    connection.exec_driver_sql("INSERT INTO document_chunks SELECT * FROM _chunks_aside")
    connection.exec_driver_sql("DROP TABLE _chunks_aside")


def downgrade() -> None:
    # AUTOINCREMENT tables are valid for every earlier revision; nothing to undo.
    pass
