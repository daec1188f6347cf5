"""Gateway (issue 16): per-key routes and limits, and the key's name on ledger rows.

Revision ID: 0008_gateway
Revises: 0006_search
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008_gateway"
down_revision: str | None = "0006_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("allowed_routes", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_concurrent", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("daily_budget_usd", sa.Float(), nullable=True))
    with op.batch_alter_table("ai_usage") as batch:
        batch.add_column(sa.Column("client", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ai_usage") as batch:
        batch.drop_column("client")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("daily_budget_usd")
        batch.drop_column("max_concurrent")
        batch.drop_column("rate_limit_per_minute")
        batch.drop_column("allowed_routes")
