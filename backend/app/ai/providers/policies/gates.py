"""Which provider gates a call passes through (see `routing.ProviderGate`).

Gates veto a provider for one call before any attempt: a spent budget, a prompt that
does not fit the model's context window. They are cheap and side-effect free (unlike a
circuit's half-open admission, which the engine asks only when it reaches a provider).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.ai.providers.policies.budget import BudgetTracker
from app.ai.providers.policies.context_window import ContextWindowGate
from app.ai.providers.policies.routing import ProviderGate


def build_gates(
    budgets: BudgetTracker | None,
    windows: Mapping[str, int | None],
    table: Mapping[str, int] | None = None,
) -> list[ProviderGate]:
    """The budget gate when any budget is set, then the context-window gate (always on:
    it skips a provider only on evidence). `windows` are the configured providers';
    `table` the adapters' windows by model prefix (`registry.default_context_windows`)."""
    gates: list[ProviderGate] = []
    if budgets is not None and budgets.limits:
        gates.append(budgets)
    gates.append(ContextWindowGate(windows, table=table))
    return gates
