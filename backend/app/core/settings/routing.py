"""How a call orders its providers: strategy, weights, A/B split, latency and cost ranking."""

from __future__ import annotations

from pydantic import BaseModel, Field

#: Values of `AI_ROUTING_STRATEGY`: the names of `app.ai.providers.policies.strategies.STRATEGIES`
#: (core may not import `ai`; `app.ai.providers.assembly` checks the two agree at start-up).
ROUTING_STRATEGIES: tuple[str, ...] = ("priority", "cost", "latency", "weighted", "ab")


def parse_provider_numbers(text: str, setting: str) -> dict[str, float]:
    """'openai=3, anthropic=1' -> {'openai': 3.0, 'anthropic': 1.0}."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = part.partition("=")
        name = name.strip().lower()
        try:
            value = float(number) if sep else -1.0
        except ValueError:
            value = -1.0
        if not name or value < 0:
            raise ValueError(
                f"{setting}={text!r}: allowed values: comma-separated provider=number pairs "
                "(e.g. 'openai=3,anthropic=1') with numbers >= 0"
            )
        values[name] = value
    return values


class RoutingSettings(BaseModel):
    AI_ROUTING_STRATEGY: str = Field(
        default="priority", description="Order of providers per call: " + " | ".join(ROUTING_STRATEGIES)
    )
    AI_ROUTING_WEIGHTS: str = Field(
        default="", description="weighted: 'openai=3,anthropic=1'; unnamed providers weigh 1."
    )
    AI_AB_SPLIT: str = Field(
        default="", description="ab: percent per provider 'openai=90,anthropic=10' (sums to 100)."
    )
    AI_AB_EXPERIMENT: str = Field(default="default", description="ab: salt of the sticky user split.")
    AI_LATENCY_DECAY: float = Field(
        default=0.3, description="latency: weight of the newest time-to-first-token sample (0-1]."
    )
    AI_COST_OUTPUT_TOKENS: int = Field(
        default=400, description="cost: output tokens assumed when ranking providers by price."
    )

    @property
    def routing_weights(self) -> dict[str, float]:
        """`AI_ROUTING_WEIGHTS` parsed ('openai=3,anthropic=1')."""
        return parse_provider_numbers(self.AI_ROUTING_WEIGHTS, "AI_ROUTING_WEIGHTS")

    @property
    def ab_split(self) -> dict[str, float]:
        """`AI_AB_SPLIT` parsed ('openai=90,anthropic=10'); empty means an even split."""
        return parse_provider_numbers(self.AI_AB_SPLIT, "AI_AB_SPLIT")

    def problems(self) -> list[str]:
        problems: list[str] = []
        if self.AI_ROUTING_STRATEGY not in ROUTING_STRATEGIES:
            problems.append(
                f"AI_ROUTING_STRATEGY={self.AI_ROUTING_STRATEGY!r} is unknown; "
                f"allowed values: {', '.join(ROUTING_STRATEGIES)}"
            )
        try:
            self.routing_weights  # noqa: B018  (parsing is the check)
            split = self.ab_split
            if split and abs(sum(split.values()) - 100.0) > 1e-6:
                problems.append(f"AI_AB_SPLIT={self.AI_AB_SPLIT!r} must sum to 100 (percent per provider)")
        except ValueError as error:
            problems.append(str(error))
        if not 0 < self.AI_LATENCY_DECAY <= 1:
            problems.append(f"AI_LATENCY_DECAY={self.AI_LATENCY_DECAY}: allowed values are 0 < x <= 1")
        if self.AI_COST_OUTPUT_TOKENS < 0:
            problems.append(f"AI_COST_OUTPUT_TOKENS={self.AI_COST_OUTPUT_TOKENS} must be 0 or more")
        return problems
