"""How many jobs / candidates list each skill: the rarity statistics matching weighs by.

Kept current by database triggers (migration 0006_search), never by the application:
any write path -- ORM, Core bulk insert, PostgreSQL COPY, a manual SQL session --
updates it in the same transaction. `skill = ''` holds the number of rows of `kind`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Column, SQLModel
from sqlmodel import Field as SQLField

#: The `skill` value whose `df` is the row count of the kind.
ROW_COUNT_KEY = ""


class SkillStat(SQLModel, table=True):
    """`df` = number of rows of table `kind` ("jobs", "candidates") listing `skill`."""

    __tablename__ = "skill_stats"

    kind: str = SQLField(sa_column=Column(sa.String(16), primary_key=True))
    skill: str = SQLField(sa_column=Column(sa.String(100), primary_key=True))
    df: int = SQLField(default=0, sa_column=Column(sa.BigInteger, nullable=False))
