"""Which provider gates a call passes through (see `routing.ProviderGate`).

Gates veto a provider for one call before any attempt: a spent budget, a prompt that
does not fit the model's context window. Each policy module contributes its gate here.
"""

from __future__ import annotations

from app.ai.providers.context_window import build_context_window_gate
from app.ai.providers.routing import ProviderGate
from app.core.config import Settings


def build_gates(settings: Settings) -> list[ProviderGate]:
    """The gates the settings ask for (a budget gate when any `AI_BUDGET_*` is set)."""
    gates: list[ProviderGate] = []
    from app.ai.providers.budget import budget_tracker, has_budgets

    if has_budgets(settings):
        gates.append(budget_tracker(settings))
    gates.append(build_context_window_gate(settings))  # always on: skips only on evidence
    return gates
