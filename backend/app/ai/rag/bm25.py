"""A small in-memory BM25 index, built once and queried many times.

Per-document term weights are precomputed at build time, so a query is only a walk
over the postings of its few most selective terms, accumulated into a dense list: that
is what keeps a query over 10,000 documents within a few milliseconds in pure Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence


class Bm25Index:
    """BM25 (k1, b) over pre-tokenised documents, addressed by position."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = [len(terms) for terms in documents]
        average = (sum(lengths) / self.size) if self.size else 1.0
        norms = [k1 * (1 - b + b * length / (average or 1.0)) for length in lengths]
        by_term: dict[str, tuple[list[int], list[int]]] = {}
        for position, terms in enumerate(documents):
            for term, tf in Counter(terms).items():
                entry = by_term.get(term)
                if entry is None:
                    entry = by_term[term] = ([], [])
                entry[0].append(position)
                entry[1].append(tf)
        self._postings: dict[str, tuple[list[int], list[float]]] = {}
        self._idf: dict[str, float] = {}
        for term, (positions, tfs) in by_term.items():
            idf = self._idf[term] = self.idf_for(len(positions))
            weights = [
                idf * tf * (k1 + 1) / (tf + norms[p]) for p, tf in zip(positions, tfs, strict=True)
            ]
            self._postings[term] = (positions, weights)

    def idf_for(self, document_frequency: int) -> float:
        """BM25+ style idf, always positive."""
        n = self.size
        return math.log(1 + (n - document_frequency + 0.5) / (document_frequency + 0.5))

    def idf(self, term: str) -> float:
        """The term's idf (0 for a term no document has)."""
        return self._idf.get(term, 0.0)

    def document_frequency(self, term: str) -> int:
        """Number of documents containing `term`."""
        entry = self._postings.get(term)
        return len(entry[0]) if entry else 0

    def select_terms(
        self, terms: Iterable[str], limit: int = 16, max_df_ratio: float = 0.5
    ) -> list[str]:
        """The `limit` terms of a query worth looking up: known, selective, frequent in it.

        Terms in more than `max_df_ratio` of the documents barely change a ranking but
        have the longest postings, so they are skipped.
        """
        counts = Counter(terms)
        # Small corpora keep every term: skipping only pays off on long postings.
        max_df = self.size if self.size < 200 else int(self.size * max_df_ratio)
        ranked = [
            (count * self._idf[term], term)
            for term, count in counts.items()
            if term in self._postings and len(self._postings[term][0]) <= max_df
        ]
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        return [term for _, term in ranked[:limit]]

    def distinctive(self, terms: Iterable[str], max_df_ratio: float = 0.2) -> list[str]:
        """Known terms rare enough to be telling, most distinctive first (for explanations)."""
        max_df = self.size if self.size < 20 else max(1, int(self.size * max_df_ratio))
        known = {t for t in terms if 0 < self.document_frequency(t) <= max_df}
        return sorted(known, key=lambda t: (-self._idf[t], t))

    def scores(self, terms: Iterable[str], limit: int = 16) -> tuple[list[float], float]:
        """Dense per-document scores for the query and their maximum (0.0: no match)."""
        totals = [0.0] * self.size
        for term in self.select_terms(terms, limit):
            positions, weights = self._postings[term]
            for position, weight in zip(positions, weights, strict=True):
                totals[position] += weight
        return totals, (max(totals) if totals else 0.0)
