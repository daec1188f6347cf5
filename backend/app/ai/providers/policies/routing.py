"""Routing strategies: the order in which a call's providers are tried.

The default, `priority`, is the brief's behaviour (primary, then fallback). Other
strategies plug in through the same two-method protocol without touching the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.messages import BaseMessage

from app.ai.providers.adapters.base import Member


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a strategy may look at: the messages and the caller's run metadata."""

    messages: Sequence[BaseMessage]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    members: Sequence[Member] = ()
    """The providers this model could use for the call (before gates)."""
    memo: dict[str, Any] = field(default_factory=dict)
    """Per-call scratch space, so gates compute a figure (prompt size...) once per call."""


class RoutingStrategy(Protocol):
    """Orders the members for one call."""

    name: str

    def order(self, members: Sequence[Member], context: CallContext) -> list[Member]: ...


class ProviderGate(Protocol):
    """A per-call veto on one provider (budget spent, prompt too long for its model...)."""

    def skip_reason(self, member: Member, context: CallContext) -> str | None:
        """Why `member` must not take this call, or None to let it."""


class PriorityStrategy:
    """Configured order: the primary first, the fallback after it."""

    name = "priority"

    def order(self, members: Sequence[Member], context: CallContext) -> list[Member]:
        return list(members)
