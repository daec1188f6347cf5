"""Jobs: the table and the request/response schemas of `/api/v1/jobs`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from sqlmodel import Column, SQLModel
from sqlmodel import Field as SQLField

from app.models.common import (
    JSONType,
    Seniority,
    SingleLine,
    SkillList,
    StrictModel,
    UTCDateTime,
    reject_null,
    utcnow,
)

MAX_SALARY = 100_000_000
MAX_JOB_DESCRIPTION_CHARS = 50_000

Title = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Company = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Location = Annotated[str, StringConstraints(max_length=200), SingleLine]
Currency = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]
Salary = Annotated[int, Field(ge=0, le=MAX_SALARY)]
Description = Annotated[str, StringConstraints(max_length=MAX_JOB_DESCRIPTION_CHARS)]


def seniority_type() -> sa.Enum:
    """Seniority stored as a plain VARCHAR (no native enum: migrations stay portable)."""
    return sa.Enum(
        Seniority,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda enum: [member.value for member in enum],
    )


class Job(SQLModel, table=True):
    """An open position."""

    __tablename__ = "jobs"
    # Ids are never reused after a delete (SQLite; PostgreSQL sequences never reuse).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = SQLField(default=None, primary_key=True)
    title: str = SQLField(sa_column=Column(sa.String(200), nullable=False))
    company: str = SQLField(sa_column=Column(sa.String(200), nullable=False))
    location: str | None = SQLField(default=None, sa_column=Column(sa.String(200)))
    remote: bool = SQLField(default=False, sa_column=Column(sa.Boolean, nullable=False, index=True))
    salary_min: int | None = SQLField(default=None, sa_column=Column(sa.Integer))
    salary_max: int | None = SQLField(default=None, sa_column=Column(sa.Integer))
    currency: str = SQLField(
        default="USD", sa_column=Column(sa.String(3), nullable=False, index=True)
    )
    description: str = SQLField(default="", sa_column=Column(sa.Text, nullable=False))
    required_skills: list[str] = SQLField(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    seniority: Seniority = SQLField(
        default=Seniority.mid, sa_column=Column(seniority_type(), nullable=False, index=True)
    )
    created_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


def _check_salary_range(value: int | None, info: ValidationInfo) -> int | None:
    low = info.data.get("salary_min")
    if value is not None and low is not None and low > value:
        raise ValueError(f"salary_max ({value}) must be at least salary_min ({low})")
    return value


class JobCreate(StrictModel):
    """Body of `POST /jobs` and of each item of `POST /jobs/import`."""

    title: Title
    company: Company
    location: Location | None = None
    remote: bool = False
    salary_min: Salary | None = None
    salary_max: Salary | None = None
    currency: Currency = "USD"
    description: Description = ""
    required_skills: SkillList = Field(default_factory=list)
    seniority: Seniority = Seniority.mid

    _salary_range = field_validator("salary_max")(_check_salary_range)


class JobUpdate(StrictModel):
    """Body of `PATCH /jobs/{id}`: only the fields present change; null clears nullable ones."""

    title: Title | None = None
    company: Company | None = None
    location: Location | None = None
    remote: bool | None = None
    salary_min: Salary | None = None
    salary_max: Salary | None = None
    currency: Currency | None = None
    description: Description | None = None
    required_skills: SkillList | None = None
    seniority: Seniority | None = None

    _not_null = field_validator(
        "title", "company", "remote", "currency", "description", "required_skills", "seniority"
    )(reject_null)
    _salary_range = field_validator("salary_max")(_check_salary_range)

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


class JobRead(BaseModel):
    """A job as the API returns it (also the detached snapshot the shortlist index holds)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    company: str
    location: str | None
    remote: bool
    salary_min: int | None
    salary_max: int | None
    currency: str
    description: str
    required_skills: list[str]
    seniority: Seniority
    created_at: datetime
