"""Cost and quality levers (issue 15): cached-token columns and the answer's key on the
usage ledger; ratings, the response cache's database store, eval results.

Revision ID: 0007_cost
Revises: 0003_api_keys
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007_cost"
down_revision: str | None = "0003_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ai_usage") as batch:  # batch: SQLite cannot drop columns in place
        batch.add_column(sa.Column("cache_read_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("cache_write_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("ai_usage") as batch:
        batch.alter_column("cache_read_tokens", server_default=None)
        batch.alter_column("cache_write_tokens", server_default=None)
    op.create_index("ix_ai_usage_request_id", "ai_usage", ["request_id"])
    op.create_table(
        "ai_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("feature", sa.String(length=64), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("arm", sa.String(length=32), nullable=True),
        sa.Column("strategy", sa.String(length=32), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("failover", sa.Boolean(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_ai_feedback_created_at", "ai_feedback", ["created_at"])
    op.create_table(
        "ai_response_cache",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("feature", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ai_response_cache_expires_at", "ai_response_cache", ["expires_at"])
    op.create_table(
        "ai_eval_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prompt_id", sa.String(length=128), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
    )
    op.create_index("ix_ai_eval_results_run_id", "ai_eval_results", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_ai_eval_results_run_id", table_name="ai_eval_results")
    op.drop_table("ai_eval_results")
    op.drop_index("ix_ai_response_cache_expires_at", table_name="ai_response_cache")
    op.drop_table("ai_response_cache")
    op.drop_index("ix_ai_feedback_created_at", table_name="ai_feedback")
    op.drop_table("ai_feedback")
    op.drop_index("ix_ai_usage_request_id", table_name="ai_usage")
    with op.batch_alter_table("ai_usage") as batch:
        batch.drop_column("client_id")
        batch.drop_column("cache_write_tokens")
        batch.drop_column("cache_read_tokens")
