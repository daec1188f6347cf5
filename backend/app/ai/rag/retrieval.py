"""Full-text retrieval over document chunks, with no AI provider involved.

Same contract on both backends: the query's non-stopword terms are OR-ed, each chunk
matching at least one term is scored (higher is better), the best `k` come back ordered
by score then chunk id; nothing matching (or nothing but stopwords) gives `[]`.
SQLite uses FTS5 + bm25 (Porter stemming); PostgreSQL uses the `english` text-search
configuration + ts_rank. Scores rank results within one backend; their scales differ.

User text never reaches a query parser raw: terms are extracted as plain words, then
quoted for FTS5 or passed as bound parameters to `plainto_tsquery`, so no input can
raise a syntax error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.rag.text import query_terms

MAX_K = 100
MAX_QUERY_TERMS = 32


@dataclass(frozen=True)
class RetrievedChunk:
    """A passage found for a query; `text` is `body[start_char:end_char]` of the document."""

    chunk_id: int
    document_id: int
    document_title: str
    text: str
    score: float
    start_char: int = 0
    end_char: int = 0


def fts5_query(terms: Sequence[str]) -> str:
    """FTS5 MATCH expression OR-ing each term as a quoted string (operators neutralised)."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _document_filter(document_ids: Sequence[int] | None, params: dict[str, Any]) -> str:
    if document_ids is None:
        return ""
    params["document_ids"] = [int(i) for i in document_ids]
    return " AND c.document_id IN :document_ids"


def _sqlite(session: Session, terms: Sequence[str], k: int, ids: Sequence[int] | None) -> Any:
    params: dict[str, Any] = {"query": fts5_query(terms), "k": k}
    statement = sa.text(
        "SELECT c.id, c.document_id, d.title, c.text, -bm25(document_chunks_fts) AS score, "
        "c.start_char, c.end_char "
        "FROM document_chunks_fts "
        "JOIN document_chunks c ON c.id = document_chunks_fts.rowid "
        "JOIN documents d ON d.id = c.document_id "
        "WHERE document_chunks_fts MATCH :query" + _document_filter(ids, params) + " "
        "ORDER BY bm25(document_chunks_fts), c.id LIMIT :k"
    )
    if ids is not None:
        statement = statement.bindparams(sa.bindparam("document_ids", expanding=True))
    return session.execute(statement, params)


def _postgresql(session: Session, terms: Sequence[str], k: int, ids: Sequence[int] | None) -> Any:
    params: dict[str, Any] = {f"t{i}": term for i, term in enumerate(terms)}
    params["k"] = k
    tsquery = " || ".join(f"plainto_tsquery('english', :t{i})" for i in range(len(terms)))
    statement = sa.text(
        f"WITH q AS (SELECT {tsquery} AS query) "
        "SELECT c.id, c.document_id, d.title, c.text, "
        "ts_rank(c.search_vector, q.query) AS score, c.start_char, c.end_char "
        "FROM q, document_chunks c JOIN documents d ON d.id = c.document_id "
        "WHERE c.search_vector @@ q.query" + _document_filter(ids, params) + " "
        "ORDER BY score DESC, c.id LIMIT :k"
    )
    if ids is not None:
        statement = statement.bindparams(sa.bindparam("document_ids", expanding=True))
    return session.execute(statement, params)


def retrieve(
    session: Session, query: str, k: int = 5, *, document_ids: Sequence[int] | None = None
) -> list[RetrievedChunk]:
    """The `k` (at most 100) chunks most relevant to `query`, best first.

    `document_ids` restricts the search to those documents.
    """
    terms = query_terms(query, MAX_QUERY_TERMS)
    if not terms or k <= 0 or (document_ids is not None and not document_ids):
        return []
    k = min(k, MAX_K)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = _sqlite(session, terms, k, document_ids)
    elif dialect == "postgresql":
        rows = _postgresql(session, terms, k, document_ids)
    else:  # pragma: no cover - the project supports these two backends only
        raise NotImplementedError(f"full-text retrieval is not implemented for {dialect}")
    return [
        RetrievedChunk(
            chunk_id=int(row[0]),
            document_id=int(row[1]),
            document_title=str(row[2]),
            text=str(row[3]),
            score=float(row[4]),
            start_char=int(row[5]),
            end_char=int(row[6]),
        )
        for row in rows
    ]
