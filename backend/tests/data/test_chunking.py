"""Chunking keeps exact offsets and bounded sizes."""

from __future__ import annotations

import itertools
import random

from app.ai.rag.chunking import MAX_CHARS, chunk_text


def _check(body: str) -> None:
    chunks = chunk_text(body)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert body[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= MAX_CHARS
        assert not chunk.text[0].isspace() and not chunk.text[-1].isspace()
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_blank_body_has_no_chunks() -> None:
    assert chunk_text("") == [] and chunk_text(" \n\n \t") == []


def test_short_paragraphs_are_packed_together() -> None:
    body = "One.\n\nTwo.\n\nThree."
    chunks = chunk_text(body)
    assert [c.text for c in chunks] == [body]


def test_long_paragraphs_are_cut_at_sentences_then_spaces() -> None:
    sentences = " ".join(f"Sentence {i} has several words in it." for i in range(200))
    no_punctuation = " ".join(f"word{i}" for i in range(2000))
    unbroken = "x" * 5000
    for body in (sentences, no_punctuation, unbroken, f"{sentences}\n\n{unbroken}"):
        _check(body)
    assert len(chunk_text(sentences)) > 5


def test_random_bodies_keep_every_character_of_content() -> None:
    rng = random.Random(3)
    for _ in range(30):
        words = [rng.choice(["alpha", "beta.", "gamma!", "\n\n", " ", "delta?", "é"])
                 for _ in range(rng.randint(1, 2000))]
        body = " ".join(words)
        _check(body)
        covered = "".join(c.text for c in chunk_text(body))
        assert "".join(body.split()) == "".join(covered.split())
