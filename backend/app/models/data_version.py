"""Per-table write counters that tell caches when the data under them changed.

A counter lives in the database, not in the process, so every worker process sees
a write made by any other one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Column, SQLModel
from sqlmodel import Field as SQLField

#: The names counters exist for; the initial migration inserts a row for each.
VERSIONED_TABLES: tuple[str, ...] = ("jobs", "candidates", "documents")


class DataVersion(SQLModel, table=True):
    """`version` grows by one in every transaction that writes to table `name`."""

    __tablename__ = "data_versions"

    name: str = SQLField(sa_column=Column(sa.String(50), primary_key=True))
    version: int = SQLField(default=0, sa_column=Column(sa.BigInteger, nullable=False))
