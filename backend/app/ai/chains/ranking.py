"""Stage two of recommendations and matching: the model re-ranks and explains a shortlist.

Why a dynamic schema: the model may only pick from the shortlist, so the id field is a
`Literal` of exactly the shortlisted ids -- a provider with native structured output
cannot even express another id, and the parser rejects one from a provider without.
Whatever the model leaves out (or repeats) is filled in from the local order, so a
lazy or partial answer never loses a shortlisted item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, create_model

from app.ai.chains.served import DATA_RULE, ServedBy, run_config
from app.ai.providers.errors import ProviderError
from app.ai.providers.hybrid import HybridChatModel

ItemT = TypeVar("ItemT")

#: Longest model-written reason kept; the rest is cut (the model is not trusted to be brief).
MAX_REASON_CHARS = 300
MAX_REASONS = 5


@dataclass(frozen=True)
class Shortlisted(Generic[ItemT]):
    """A locally ranked item: id, local score (0..1) and rule-based explanations by field."""

    id: int
    item: ItemT
    score: float
    notes: dict[str, list[str]]
    summary: str
    """The item as the model sees it (wrapped as data by the prompt)."""


@dataclass(frozen=True)
class RankedItem(Generic[ItemT]):
    """A final entry: the model's score and notes, or the local ones (`source="local"`)."""

    id: int
    item: ItemT
    score: float
    local_score: float
    notes: dict[str, list[str]]
    source: str


@dataclass(frozen=True)
class Ranking(Generic[ItemT]):
    items: list[RankedItem[ItemT]]
    served: ServedBy


def ranking_schema(
    name: str, id_field: str, ids: Sequence[int], note_fields: Sequence[str]
) -> type[BaseModel]:
    """`{items: [{<id_field>: Literal[ids], fit_score: int, <note_fields>: [str]}]}`.

    No numeric bounds in the schema (not every provider's strict mode accepts them):
    scores are clamped after parsing instead.
    """
    id_type: Any = Literal.__getitem__(tuple(ids))
    fields: dict[str, Any] = {
        id_field: (id_type, Field(description="Id of one shortlisted item, copied exactly.")),
        "fit_score": (int, Field(description="Fit from 0 (none) to 100 (perfect).")),
    }
    for note in note_fields:
        fields[note] = (list[str], Field(description=f"Short {note}, one sentence each."))
    item = create_model(f"{name}Item", __config__=ConfigDict(extra="forbid"), **fields)
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        items=(list[item], Field(description="Best first; each shortlisted id at most once.")),  # type: ignore[valid-type]
    )


def merge(
    shortlist: Sequence[Shortlisted[ItemT]], parsed: BaseModel | None, id_field: str, n: int
) -> list[RankedItem[ItemT]]:
    """Model order first (valid, unique ids), then the omitted items in local order."""
    by_id = {entry.id: entry for entry in shortlist}
    ranked: list[RankedItem[ItemT]] = []
    for answer in getattr(parsed, "items", None) or []:
        entry = by_id.pop(getattr(answer, id_field), None)
        if entry is None:
            continue
        notes = {
            key: [str(text)[:MAX_REASON_CHARS] for text in getattr(answer, key, [])[:MAX_REASONS]]
            or local
            for key, local in entry.notes.items()
        }
        score = min(max(int(answer.fit_score), 0), 100) / 100.0
        ranked.append(RankedItem(entry.id, entry.item, score, entry.score, notes, "model"))
    for entry in shortlist:
        if entry.id in by_id:
            ranked.append(local_item(entry))
    return ranked[:n]


def local_item(entry: Shortlisted[ItemT]) -> RankedItem[ItemT]:
    return RankedItem(entry.id, entry.item, entry.score, entry.score, entry.notes, "local")


async def rank_with_model(
    model: HybridChatModel,
    *,
    feature: str,
    instructions: str,
    subject: str,
    shortlist: Sequence[Shortlisted[ItemT]],
    schema: type[BaseModel],
    id_field: str,
    n: int,
    degraded_mode: bool,
    user_id: str | None = None,
) -> Ranking[ItemT]:
    """Ask the model to rank `shortlist`; deterministic local order when every provider fails.

    Raises `ProviderError` only when `degraded_mode` is off.
    """
    if not shortlist:
        return Ranking([], ServedBy.local())
    messages: list[BaseMessage] = [
        SystemMessage(f"{instructions}\n{DATA_RULE}"),
        HumanMessage(subject + "\n\nShortlist:\n" + "\n".join(e.summary for e in shortlist)),
    ]
    structured = model.with_structured_output(schema, include_raw=True)
    try:
        answer: dict[str, Any] = await structured.ainvoke(messages, config=run_config(feature, user_id))
    except ProviderError as error:
        if not degraded_mode:
            raise
        return Ranking([local_item(e) for e in shortlist[:n]], ServedBy.degraded_by(error))
    return Ranking(merge(shortlist, answer.get("parsed"), id_field, n), ServedBy.from_message(answer["raw"]))
