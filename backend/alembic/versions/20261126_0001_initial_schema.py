"""Initial schema: jobs, candidates, documents + chunks with full-text search, conversations.

Full-text search over `document_chunks.text` is backend specific:
- SQLite: FTS5 table `document_chunks_fts` (external content = document_chunks) kept in
  sync by triggers. NOTE: a later batch-mode migration that recreates document_chunks
  drops these triggers; such a migration must recreate them (see `_sqlite_fts_sql`).
- PostgreSQL: generated `search_vector tsvector` column with a GIN index.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENIORITY = sa.String(length=16)


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _sqlite_fts_sql() -> list[str]:
    return [
        "CREATE VIRTUAL TABLE document_chunks_fts USING fts5("
        "text, content='document_chunks', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER document_chunks_fts_ai AFTER INSERT ON document_chunks BEGIN "
        "INSERT INTO document_chunks_fts(rowid, text) VALUES (new.id, new.text); END",
        "CREATE TRIGGER document_chunks_fts_ad AFTER DELETE ON document_chunks BEGIN "
        "INSERT INTO document_chunks_fts(document_chunks_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); END",
        "CREATE TRIGGER document_chunks_fts_au AFTER UPDATE ON document_chunks BEGIN "
        "INSERT INTO document_chunks_fts(document_chunks_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); "
        "INSERT INTO document_chunks_fts(rowid, text) VALUES (new.id, new.text); END",
    ]


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("salary_min", sa.Integer(), nullable=True),
        sa.Column("salary_max", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("required_skills", _json(), nullable=False),
        sa.Column("seniority", SENIORITY, nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_jobs_created_at", "jobs", ["created_at"])
    op.create_index("ix_jobs_remote", "jobs", ["remote"])
    op.create_index("ix_jobs_seniority", "jobs", ["seniority"])

    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("headline", sa.String(length=300), nullable=False),
        sa.Column("skills", _json(), nullable=False),
        sa.Column("years_experience", sa.Integer(), nullable=False),
        sa.Column("resume_text", sa.Text(), nullable=False),
        sa.Column("desired_locations", _json(), nullable=False),
        sa.Column("remote_only", sa.Boolean(), nullable=False),
        sa.Column("min_salary", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("desired_seniority", SENIORITY, nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_candidates_created_at", "candidates", ["created_at"])

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_documents_created_at", "documents", ["created_at"])

    op.create_table(
        "document_chunks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_char", sa.Integer(), nullable=False),
        sa.Column("end_char", sa.Integer(), nullable=False),
        sa.UniqueConstraint("document_id", "chunk_index"),
    )
    op.create_index("ix_document_chunks_document_id", "document_chunks", ["document_id"])

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(length=36),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tool_calls", _json(), nullable=True),
        sa.Column("tool_call_id", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=50), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])

    versions = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=50), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(
        versions,
        [{"name": name, "version": 0} for name in ("jobs", "candidates", "documents")],
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _sqlite_fts_sql():
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE document_chunks ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_document_chunks_search_vector "
            "ON document_chunks USING GIN (search_vector)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS document_chunks_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS document_chunks_fts")
    for table in ("data_versions", "messages", "conversations", "document_chunks", "documents"):
        op.drop_table(table)
    op.drop_table("candidates")
    op.drop_table("jobs")
