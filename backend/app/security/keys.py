"""Client API keys: generation, hashing and scopes.

A key is `tdm_` + 43 URL-safe characters from `secrets` (256 bits). With that much
entropy a plain SHA-256 digest is a safe thing to store: there is nothing to
brute-force or look up in a dictionary, unlike a password, so no slow KDF (and no
per-request cost of one) is needed. The `tdm_` marker lets secret scanners and our
own redaction recognise a leaked key.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

KEY_MARKER = "tdm_"
#: Characters of a key kept in clear (in the database and `api-key list`) to identify it.
PREFIX_LENGTH = 12
#: Longest credential we even hash: anything longer is not one of our keys.
MAX_PRESENTED_KEY_CHARS = 256


class Scope(StrEnum):
    """What a key may do; each scope includes everything of the ones before it.

    * `user`: read the catalogue, use the AI features, own assistant conversations;
    * `editor`: also write the catalogue (create, update, delete, bulk import);
    * `admin`: also operations data (keys, metrics, status, usage ledger).
    """

    user = "user"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return SCOPES.index(self.value)

    def includes(self, needed: Scope) -> bool:
        """Whether a key of this scope may do what `needed` allows."""
        return self.rank >= needed.rank


SCOPES: tuple[str, ...] = tuple(Scope)


def generate_key() -> str:
    """A new random client key (shown to the operator once, never stored)."""
    return KEY_MARKER + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Hex SHA-256 of `key`: what the database stores and looks keys up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    """The identifying, non-secret beginning of `key` (`tdm_` + 8 characters)."""
    return key[:PREFIX_LENGTH]


def parse_scope(value: str) -> Scope:
    """`value` as a Scope; ValueError naming the allowed values otherwise."""
    try:
        return Scope(value.strip().lower())
    except ValueError:
        raise ValueError(f"scope={value!r}: allowed values: {' | '.join(SCOPES)}") from None
