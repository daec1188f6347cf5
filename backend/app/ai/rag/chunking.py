"""Split a document body into passages for retrieval, keeping exact character offsets.

Paragraphs are packed greedily up to a target size; a paragraph too long on its own is
cut at sentence ends, then at whitespace. Every chunk is a slice of the original body
(`body[start:end] == text`) so a citation can point back at the source precisely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TARGET_CHARS = 800
MAX_CHARS = 1200

_PARAGRAPH = re.compile(r"\S(?:.*?\S)??(?=\s*\n\s*\n|\s*$)", re.DOTALL)
_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=\s)|$)", re.DOTALL)


@dataclass(frozen=True)
class TextChunk:
    """A passage of a body: position in the document and its character span."""

    index: int
    text: str
    start: int
    end: int


def _split_long(body: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Spans of at most `max_chars` covering body[start:end], cut at sentences or spaces."""
    pieces: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(body, start, end):
        s, e = match.start(), match.end()
        while e - s > max_chars:
            cut = body.rfind(" ", s + 1, s + max_chars)
            cut = cut if cut > s else s + max_chars
            pieces.append((s, cut))
            s = cut
            while s < e and body[s].isspace():
                s += 1
        if e > s:
            pieces.append((s, e))
    return pieces


def _pieces(body: str, max_chars: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for match in _PARAGRAPH.finditer(body):
        start, end = match.start(), match.end()
        if end - start <= max_chars:
            pieces.append((start, end))
        else:
            pieces.extend(_split_long(body, start, end, max_chars))
    return pieces


def chunk_text(
    body: str, target_chars: int = TARGET_CHARS, max_chars: int = MAX_CHARS
) -> list[TextChunk]:
    """Chunks of `body` (none when it is blank), each at most `max_chars` long."""
    chunks: list[TextChunk] = []
    current: tuple[int, int] | None = None
    for start, end in _pieces(body, max_chars):
        if current is not None and (
            end - current[0] > max_chars or current[1] - current[0] >= target_chars
        ):
            chunks.append(TextChunk(len(chunks), body[current[0] : current[1]], *current))
            current = None
        current = (start, end) if current is None else (current[0], end)
    if current is not None:
        chunks.append(TextChunk(len(chunks), body[current[0] : current[1]], *current))
    return chunks
