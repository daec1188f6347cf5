"""Knowledge documents and the chunks full-text retrieval searches.

Each document is split into DocumentChunk rows whose `start_char`/`end_char` are
offsets into the document body (`body[start_char:end_char] == text`), so an answer
can cite the exact passage. The full-text index over chunks is not declared here:
the migration creates it per backend (SQLite FTS5 table + triggers, PostgreSQL
generated `tsvector` column + GIN index).
"""


from datetime import datetime
from typing import Annotated, Any, Optional

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from sqlmodel import Column, Relationship, SQLModel
from sqlmodel import Field as SQLField

from app.models.common import SingleLine, StrictModel, UTCDateTime, reject_null, utcnow

DocTitle = Annotated[str, StringConstraints(min_length=1, max_length=300), SingleLine]
Source = Annotated[str, StringConstraints(max_length=500), SingleLine]
Body = Annotated[str, StringConstraints(min_length=1)]


class Document(SQLModel, table=True):
    """A knowledge-base article (policy, guide, FAQ) the assistant can quote."""

    __tablename__ = "documents"
    # Ids are never reused after a delete (SQLite; PostgreSQL sequences never reuse).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = SQLField(default=None, primary_key=True)
    title: str = SQLField(sa_column=Column(sa.String(300), nullable=False))
    body: str = SQLField(sa_column=Column(sa.Text, nullable=False))
    source: str = SQLField(default="", sa_column=Column(sa.String(500), nullable=False))
    created_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )

    chunks: list["DocumentChunk"] = Relationship(
        back_populates="document",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "DocumentChunk.chunk_index",
            "passive_deletes": True,
        },
    )


class DocumentChunk(SQLModel, table=True):
    """A passage of a document, the unit of retrieval."""

    __tablename__ = "document_chunks"
    __table_args__ = (sa.UniqueConstraint("document_id", "chunk_index"),)

    id: int | None = SQLField(default=None, primary_key=True)
    document_id: int = SQLField(
        sa_column=Column(
            sa.Integer,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    chunk_index: int = SQLField(sa_column=Column(sa.Integer, nullable=False))
    text: str = SQLField(sa_column=Column(sa.Text, nullable=False))
    start_char: int = SQLField(sa_column=Column(sa.Integer, nullable=False))
    end_char: int = SQLField(sa_column=Column(sa.Integer, nullable=False))

    document: Optional["Document"] = Relationship(back_populates="chunks")


class DocumentCreate(StrictModel):
    """Body of `POST /documents` (body length is limited by MAX_DOCUMENT_CHARS: 413)."""

    title: DocTitle
    body: Body
    source: Source = ""


class DocumentUpdate(StrictModel):
    """Body of `PATCH /documents/{id}`; a new body is re-chunked."""

    title: DocTitle | None = None
    body: Body | None = None
    source: Source | None = None

    _not_null = field_validator("title", "body", "source")(reject_null)

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


class DocumentRead(BaseModel):
    """A document as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    source: str
    created_at: datetime
    chunk_count: int = 0


class ChunkRead(BaseModel):
    """One passage found by `GET /documents/search`."""

    chunk_id: int
    document_id: int
    document_title: str
    text: str
    score: float
