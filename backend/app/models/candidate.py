"""Candidates: the table and the request/response schemas of `/api/v1/candidates`.

Preferences are flat columns (desired_locations, remote_only, min_salary,
desired_seniority) so they can be filtered and patched one by one.
`resume_text` has no static length limit here: its limit is the runtime setting
MAX_RESUME_CHARS, enforced by the routes with a 413.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlmodel import Column, SQLModel
from sqlmodel import Field as SQLField

from app.models.common import (
    JSONType,
    LocationList,
    Seniority,
    SingleLine,
    SkillList,
    StrictModel,
    UTCDateTime,
    reject_null,
    utcnow,
)
from app.models.job import Currency, Salary, seniority_type

Name = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Headline = Annotated[str, StringConstraints(max_length=300), SingleLine]
Years = Annotated[int, Field(ge=0, le=60)]


class Candidate(SQLModel, table=True):
    """A person looking for a job, with what they want from it."""

    __tablename__ = "candidates"
    # Ids are never reused after a delete (SQLite; PostgreSQL sequences never reuse).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(sa_column=Column(sa.String(200), nullable=False))
    headline: str = SQLField(default="", sa_column=Column(sa.String(300), nullable=False))
    skills: list[str] = SQLField(default_factory=list, sa_column=Column(JSONType, nullable=False))
    years_experience: int = SQLField(default=0, sa_column=Column(sa.Integer, nullable=False))
    resume_text: str = SQLField(default="", sa_column=Column(sa.Text, nullable=False))
    desired_locations: list[str] = SQLField(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    remote_only: bool = SQLField(
        default=False, sa_column=Column(sa.Boolean, nullable=False, index=True)
    )
    min_salary: int | None = SQLField(default=None, sa_column=Column(sa.Integer))
    currency: str = SQLField(
        default="USD", sa_column=Column(sa.String(3), nullable=False, index=True)
    )
    desired_seniority: Seniority | None = SQLField(
        default=None, sa_column=Column(seniority_type(), nullable=True, index=True)
    )
    created_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class CandidateCreate(StrictModel):
    """Body of `POST /candidates` and of each item of `POST /candidates/import`."""

    name: Name
    headline: Headline = ""
    skills: SkillList = Field(default_factory=list)
    years_experience: Years = 0
    resume_text: str = ""
    desired_locations: LocationList = Field(default_factory=list)
    remote_only: bool = False
    min_salary: Salary | None = None
    currency: Currency = Field(default="USD", description="Currency of min_salary.")
    desired_seniority: Seniority | None = None


class CandidateUpdate(StrictModel):
    """Body of `PATCH /candidates/{id}`: only the fields present change."""

    name: Name | None = None
    headline: Headline | None = None
    skills: SkillList | None = None
    years_experience: Years | None = None
    resume_text: str | None = None
    desired_locations: LocationList | None = None
    remote_only: bool | None = None
    min_salary: Salary | None = None
    currency: Currency | None = None
    desired_seniority: Seniority | None = None

    _not_null = field_validator(
        "name",
        "headline",
        "skills",
        "years_experience",
        "resume_text",
        "desired_locations",
        "remote_only",
        "currency",
    )(reject_null)

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


class CandidateRead(BaseModel):
    """A candidate as the API returns it (also the shortlist index's snapshot)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    headline: str
    skills: list[str]
    years_experience: int
    resume_text: str
    desired_locations: list[str]
    remote_only: bool
    min_salary: int | None
    currency: str
    desired_seniority: Seniority | None
    created_at: datetime

    @property
    def effective_seniority(self) -> Seniority:
        """The level they ask for, or the one their experience suggests."""
        return self.desired_seniority or Seniority.from_years(self.years_experience)
