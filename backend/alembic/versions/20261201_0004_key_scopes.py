"""Three key scopes (user / editor / admin) and conversations owned by their key (issue 13).

Revision ID: 0004_key_scopes
Revises: 0003_api_keys
Create Date: 2026-12-01

Existing `user` keys become `editor`: before this revision a `user` key could write the
catalogue, and an upgrade must not break a running client. Operators narrow keys that
only read by issuing new `user` keys (docs/SECURITY.md). Existing conversations have no
owner (NULL): only admin keys see them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004_key_scopes"
down_revision: str | None = "0003_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE api_keys SET scope = 'editor' WHERE scope = 'user'")
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.create_index("ix_conversations_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_owner")
        batch.drop_column("owner")
    op.execute("UPDATE api_keys SET scope = 'user' WHERE scope = 'editor'")
