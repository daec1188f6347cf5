"""Tokenising shared by SQL full-text retrieval and the in-memory shortlist index.

One stopword list for both backends: it is PostgreSQL's English (Snowball) list, so a
query made only of stopwords finds nothing on SQLite exactly as on PostgreSQL.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")

STOPWORDS: frozenset[str] = frozenset(
    [
        "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your",
        "yours", "yourself", "yourselves", "he", "him", "his", "himself", "she", "her",
        "hers", "herself", "it", "its", "itself", "they", "them", "their", "theirs",
        "themselves", "what", "which", "who", "whom", "this", "that", "these", "those",
        "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
        "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if",
        "or", "because", "as", "until", "while", "of", "at", "by", "for", "with",
        "about", "against", "between", "into", "through", "during", "before", "after",
        "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
        "under", "again", "further", "then", "once", "here", "there", "when", "where",
        "why", "how", "all", "any", "both", "each", "few", "more", "most", "other",
        "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too",
        "very", "s", "t", "can", "will", "just", "don", "should", "now",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits; punctuation and `_` separate words)."""
    return _WORD.findall(text.lower())


def content_terms(text: str) -> list[str]:
    """Tokens that are not stopwords, in order, duplicates kept (term frequencies)."""
    return [token for token in tokenize(text) if token not in STOPWORDS]


def query_terms(text: str, limit: int = 32) -> list[str]:
    """Distinct non-stopword terms of a search query, first `limit` of them, in order."""
    return list(dict.fromkeys(content_terms(text)))[:limit]
