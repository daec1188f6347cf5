"""Knowledge documents: stored with their chunks, which the full-text index follows.

The SQLite FTS5 table is maintained by triggers on `document_chunks` and PostgreSQL's
`tsvector` is a generated column, so inserting/deleting chunk rows here is all it takes
to keep retrieval in sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.ai.rag.chunking import chunk_text
from app.models import Document, DocumentChunk, DocumentCreate, DocumentRead, DocumentUpdate
from app.repositories.base import Repository, contains_text


def build_chunks(body: str) -> list[DocumentChunk]:
    """Chunk rows (not yet attached to a document) for `body`."""
    return [
        DocumentChunk(chunk_index=c.index, text=c.text, start_char=c.start, end_char=c.end)  # type: ignore[call-arg]
        for c in chunk_text(body)
    ]


class DocumentRepository(Repository[Document]):
    """CRUD and bulk import of documents, chunking bodies on every write."""

    model = Document
    entity = "Document"

    def _new(self, data: DocumentCreate) -> Document:
        document = Document(**data.model_dump())
        document.chunks = build_chunks(data.body)
        return document

    def create(self, data: DocumentCreate) -> Document:
        """Insert a document and its chunks."""
        document = self._new(data)
        self.session.add(document)
        self.session.commit()
        return document

    def create_many(self, items: Sequence[DocumentCreate]) -> list[int]:
        """Insert every document (with chunks) or none; the new ids in input order."""
        return self._add_all([self._new(item) for item in items])

    def update(self, document_id: int, data: DocumentUpdate | dict[str, Any]) -> Document:
        """Apply the sent fields; a new body replaces every chunk."""
        document = self.require(document_id)
        changes = data.changes() if isinstance(data, DocumentUpdate) else dict(data)
        if "body" in changes and changes["body"] != document.body:
            # Delete first and flush: the new chunks reuse (document_id, chunk_index) keys.
            self.session.execute(
                sa.delete(DocumentChunk).where(DocumentChunk.document_id == document_id)  # type: ignore[arg-type]
            )
            self.session.expire(document, ["chunks"])
            document.chunks = build_chunks(changes["body"])
        return self._apply(document, changes)

    def page(
        self, q: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[Document], int]:
        """A newest-first page of documents (optionally whose title contains `q`)."""
        conditions = [contains_text([Document.title], q)] if q and q.strip() else []
        return self._page(conditions, limit, offset)

    def chunks(self, document_id: int) -> list[DocumentChunk]:
        """The document's chunks in order."""
        query = (
            sa.select(DocumentChunk)
            .where(DocumentChunk.document_id == document_id)  # type: ignore[arg-type]
            .order_by(DocumentChunk.chunk_index)  # type: ignore[arg-type]
        )
        return list(self.session.execute(query).scalars())

    def chunk_counts(self, document_ids: Sequence[int]) -> dict[int, int]:
        """Number of chunks of each document, in one query."""
        if not document_ids:
            return {}
        query = (
            sa.select(DocumentChunk.document_id, sa.func.count())  # type: ignore[call-overload]
            .where(DocumentChunk.document_id.in_(document_ids))  # type: ignore[attr-defined]
            .group_by(DocumentChunk.document_id)
        )
        return {int(doc_id): int(count) for doc_id, count in self.session.execute(query)}

    def to_read(self, documents: Sequence[Document]) -> list[DocumentRead]:
        """API views of `documents` with their chunk counts."""
        counts = self.chunk_counts([int(d.id) for d in documents if d.id is not None])
        return [
            DocumentRead.model_validate(d).model_copy(update={"chunk_count": counts.get(int(d.id or 0), 0)})
            for d in documents
        ]
