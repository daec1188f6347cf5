"""Column types, enums and API envelopes shared by every table and schema.

Lists are JSON columns (JSONB on PostgreSQL) so one model works on SQLite and
PostgreSQL; timestamps are always timezone-aware UTC, whatever the backend returns.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: JSON on SQLite, JSONB on PostgreSQL (containment queries, compact storage).
JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

MAX_SKILLS = 50
MAX_SKILL_CHARS = 50
MAX_LOCATIONS = 20
MAX_LOCATION_CHARS = 200


def utcnow() -> datetime:
    """Current time, timezone-aware UTC (the only kind of datetime we store)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """DateTime that stores UTC and always returns aware UTC datetimes.

    SQLite has no time zone support and hands back naive values; normalising here keeps
    API output and comparisons identical on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Seniority(StrEnum):
    """Career levels, in increasing order (the order drives seniority distance)."""

    junior = "junior"
    mid = "mid"
    senior = "senior"
    lead = "lead"
    principal = "principal"

    @property
    def level(self) -> int:
        """0 for junior ... 4 for principal."""
        return SENIORITY_ORDER.index(self)

    @classmethod
    def from_years(cls, years: float) -> Seniority:
        """The level a number of years of experience usually corresponds to."""
        if years < 3:
            return cls.junior
        if years < 6:
            return cls.mid
        if years < 10:
            return cls.senior
        if years < 15:
            return cls.lead
        return cls.principal


SENIORITY_ORDER: tuple[Seniority, ...] = tuple(Seniority)


#: Forbidden in one-line fields: C0 and C1 controls (tab, CR and LF included), DEL, the
#: line/paragraph separators and the bidirectional embedding, override and isolate
#: controls. They are invisible or rearrange text (a right-to-left override makes
#: "txt.exe" read "exe.txt"), so in a title or a name they only ever mislead a reader.
SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _describe(text: str, index: int) -> str:
    return f"U+{ord(text[index]):04X} at position {index}"


def single_line(value: str) -> str:
    """`value` when it holds no control or bidi-override character, else ValueError naming it."""
    found = SINGLE_LINE_FORBIDDEN.search(value)
    if found:
        where = _describe(value, found.start())
        raise ValueError(f"must be a single line of text without control characters; found {where}")
    return value


def no_nul(value: Any) -> Any:
    """Any string (inside lists and dicts too) with a NUL character is refused.

    NUL is text no client means to send: PostgreSQL cannot store it in TEXT at all, and
    C-based tools downstream truncate at it.
    """
    if isinstance(value, str):
        index = value.find("\x00")
        if index >= 0:
            raise ValueError(f"must not contain NUL characters; found {_describe(value, index)}")
    elif isinstance(value, (list, tuple)):
        for item in value:
            no_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            no_nul(key)
            no_nul(item)
    return value


#: A one-line text field: no control characters, no bidi overrides (422 otherwise).
SingleLine = AfterValidator(single_line)


def normalise_skills(values: list[str]) -> list[str]:
    """Trim, lower-case, collapse inner spaces and de-duplicate (first occurrence wins).

    Matching compares skills as exact strings, so normalising at the door is what makes
    "Python ", "python" and "PYTHON" the same skill.
    """
    seen: dict[str, None] = {}
    for raw in values:
        skill = " ".join(raw.split()).lower()
        if not skill:
            continue
        if len(skill) > MAX_SKILL_CHARS:
            raise ValueError(f"skill {skill[:20]!r}... is longer than {MAX_SKILL_CHARS} characters")
        seen.setdefault(skill, None)
    if len(seen) > MAX_SKILLS:
        raise ValueError(f"at most {MAX_SKILLS} distinct skills are allowed, got {len(seen)}")
    return list(seen)


def normalise_locations(values: list[str]) -> list[str]:
    """Trim and de-duplicate locations case-insensitively, keeping the first spelling."""
    seen: dict[str, str] = {}
    for raw in values:
        location = " ".join(raw.split())
        if not location:
            continue
        if len(location) > MAX_LOCATION_CHARS:
            raise ValueError(f"locations are limited to {MAX_LOCATION_CHARS} characters")
        seen.setdefault(location.casefold(), location)
    if len(seen) > MAX_LOCATIONS:
        raise ValueError(f"at most {MAX_LOCATIONS} locations are allowed, got {len(seen)}")
    return list(seen.values())


#: A request's skill list: normalised, at most MAX_SKILLS entries after de-duplication.
SkillList = Annotated[
    list[Annotated[str, SingleLine]], Field(max_length=500), AfterValidator(normalise_skills)
]
LocationList = Annotated[
    list[Annotated[str, SingleLine]], Field(max_length=200), AfterValidator(normalise_locations)
]

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list endpoint: the items plus what is needed to fetch the next."""

    items: list[ItemT]
    total: int = Field(description="Number of rows matching the filters, over all pages.")
    limit: int
    offset: int


class ErrorResponse(BaseModel):
    """Body of 404 and other single-message errors."""

    detail: str


class LimitDetail(BaseModel):
    """Which configured limit a request exceeded."""

    message: str
    limit_name: str = Field(description="The setting holding the limit: MAX_DOCUMENT_CHARS...")
    limit: int
    actual: int


class LimitErrorResponse(BaseModel):
    """Body of 413 responses."""

    detail: LimitDetail


class ImportResult(BaseModel):
    """Outcome of a bulk import: everything is created, or nothing is."""

    created: int
    ids: list[int]


class StrictModel(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped; NUL
    characters are refused in every field (one-line fields refuse all controls: `SingleLine`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return no_nul(value)


def reject_null(value: Any) -> Any:
    """PATCH helper: a field may be omitted but not explicitly set to null."""
    if value is None:
        raise ValueError("may be omitted but not null")
    return value
