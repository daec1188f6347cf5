"""Full-text retrieval: same behaviour on SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.ai.rag.retrieval import fts5_query, retrieve
from app.repositories import DocumentRepository
from tests.data import factories

HOSTILE_QUERIES = [
    '"', "'", "AND", "OR NOT", "NEAR(a b)", "title:remote", "remote*", "^start", "a - b",
    "(((", ")", "{x}", "col:", "🙂 emoji", "\\", "%_", "'; DROP TABLE jobs; --", "",
    "   ", "x" * 5000,
]


@pytest.fixture()
def corpus(session: Session) -> dict[str, int]:
    repository = DocumentRepository(session)
    ids = {}
    for title, body in [
        ("Remote work", "Employees may work remotely from anywhere.\n\nRemote staff get a laptop."),
        ("Benefits", "Health insurance from day one.\n\nParental leave is twenty weeks."),
        ("Salary bands", "Every job shows a salary range with a minimum and a maximum."),
        ("Relocation", "We pay for flights and temporary housing when you move to a new city."),
    ]:
        ids[title] = int(repository.create(factories.document(title=title, body=body)).id or 0)
    return ids


def test_best_passage_first(session: Session, corpus: dict[str, int]) -> None:
    results = retrieve(session, "How long is parental leave?", k=3)
    assert results[0].document_title == "Benefits"
    assert "Parental leave" in results[0].text
    assert results[0].document_id == corpus["Benefits"]
    assert results[0].score > 0
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_stemming_matches_word_forms(session: Session, corpus: dict[str, int]) -> None:
    titles = {r.document_title for r in retrieve(session, "working remotely", k=5)}
    assert "Remote work" in titles


def test_terms_are_or_ed(session: Session, corpus: dict[str, int]) -> None:
    titles = {r.document_title for r in retrieve(session, "laptop flights", k=5)}
    assert titles == {"Remote work", "Relocation"}


def test_k_limits_results(session: Session, corpus: dict[str, int]) -> None:
    assert len(retrieve(session, "salary remote health flights", k=2)) == 2
    assert retrieve(session, "salary", k=0) == []


@pytest.mark.parametrize("query", ["the and of", "zebra", "is it was"])
def test_nothing_matching_gives_empty_list(session: Session, corpus: dict[str, int],
                                           query: str) -> None:
    assert retrieve(session, query, k=5) == []


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_query_syntax_never_raises(session: Session, corpus: dict[str, int], query: str) -> None:
    results = retrieve(session, query, k=5)
    assert isinstance(results, list)


def test_operator_words_are_plain_terms(session: Session) -> None:
    DocumentRepository(session).create(factories.document(title="Ops", body="NEAR the OR gate"))
    assert [r.document_title for r in retrieve(session, "gate OR", k=5)] == ["Ops"]


def test_document_filter(session: Session, corpus: dict[str, int]) -> None:
    only = retrieve(session, "remote salary", k=5, document_ids=[corpus["Salary bands"]])
    assert {r.document_title for r in only} == {"Salary bands"}
    assert retrieve(session, "remote", k=5, document_ids=[]) == []


def test_index_follows_updates_and_deletes(session: Session, corpus: dict[str, int]) -> None:
    repository = DocumentRepository(session)
    repository.update(corpus["Relocation"], {"body": "Visa support for zebras."})
    assert [r.document_title for r in retrieve(session, "zebras", k=5)] == ["Relocation"]
    assert retrieve(session, "flights", k=5) == []
    repository.delete(corpus["Relocation"])
    assert retrieve(session, "zebras visa", k=5) == []


def test_offsets_point_into_the_body(session: Session) -> None:
    body = "\n\n".join(f"Section {i} about pensions and savings. " * 20 for i in range(5))
    document = DocumentRepository(session).create(factories.document(body=body))
    results = retrieve(session, "pensions", k=10)
    assert len(results) > 1
    for result in results:
        assert result.document_id == document.id
        assert body[result.start_char : result.end_char] == result.text


def test_fts5_query_quotes_every_term() -> None:
    assert fts5_query(["a", 'b"c']) == '"a" OR "b""c"'
