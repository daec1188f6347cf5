"""Shared CRUD plumbing: get/require/delete, paging with a total, and portable filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel

from app.repositories.errors import NotFoundError

ModelT = TypeVar("ModelT", bound=SQLModel)


def escape_like(text: str) -> str:
    """`text` with LIKE wildcards escaped (use with `escape="\\\\"`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_text(columns: Sequence[Any], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of `columns`."""
    pattern = f"%{escape_like(text.strip())}%"
    return sa.or_(*(column.ilike(pattern, escape="\\") for column in columns))


def json_array_contains(session: Session, column: Any, value: str) -> ColumnElement[bool]:
    """`value` is an element of the JSON array in `column`, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.type_coerce(column, JSONB).contains([value])
    elements = sa.func.json_each(column).table_valued("value", joins_implicitly=True)
    return sa.exists(sa.select(1).select_from(elements).where(elements.c.value == value))


#: Largest id a SQL BIGINT (PostgreSQL, SQLite INTEGER) can hold: ids past it do not exist.
MAX_SQL_INT = 2**63 - 1


class Repository(Generic[ModelT]):
    """Data access for one table; subclasses add creation and filters.

    Writes commit before returning: a repository call is one unit of work, which is what
    both the API routes and the AI chains need.
    """

    model: ClassVar[type[Any]]
    entity: ClassVar[str]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, entity_id: Any) -> ModelT | None:
        """The row with this id, or None."""
        if isinstance(entity_id, int) and not -MAX_SQL_INT <= entity_id <= MAX_SQL_INT:
            return None  # no row can have it, and the driver would fail on it (a 500)
        row: ModelT | None = self.session.get(self.model, entity_id)
        return row

    def require(self, entity_id: Any) -> ModelT:
        """The row with this id; NotFoundError when there is none."""
        row = self.get(entity_id)
        if row is None:
            raise NotFoundError(self.entity, entity_id)
        return row

    def delete(self, entity_id: Any) -> None:
        """Delete the row; NotFoundError when there is none."""
        self.session.delete(self.require(entity_id))
        self.session.commit()

    def count(self) -> int:
        """Number of rows in the table."""
        return int(self.session.execute(sa.select(sa.func.count()).select_from(self.model)).scalar_one())

    def all(self) -> list[ModelT]:
        """Every row, in id order (index building, exports)."""
        return list(self.session.exec(sa.select(self.model).order_by(self.model.id)).scalars())  # type: ignore[call-overload]

    def _page(
        self, conditions: Sequence[ColumnElement[bool]], limit: int, offset: int
    ) -> tuple[list[ModelT], int]:
        """Newest-first page of rows matching every condition, plus the total match count."""
        total_query = sa.select(sa.func.count()).select_from(self.model).where(*conditions)
        total = int(self.session.execute(total_query).scalar_one())
        query = (
            sa.select(self.model)
            .where(*conditions)
            .order_by(self.model.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.execute(query).scalars()), total

    def _apply(self, row: ModelT, changes: dict[str, Any]) -> ModelT:
        for name, value in changes.items():
            setattr(row, name, value)
        self.session.add(row)
        self.session.commit()
        return row

    def _add_all(self, rows: Sequence[ModelT]) -> list[int]:
        """Insert `rows` in one transaction (all or nothing); their new ids in order."""
        self.session.add_all(rows)
        self.session.flush()
        ids = [int(row.id) for row in rows]  # type: ignore[attr-defined]
        self.session.commit()
        return ids
