"""Stage two of recommendations and matching: the model re-ranks and explains a shortlist.

Why a dynamic schema: the model may only pick from the shortlist, so the id field is a
`Literal` of exactly the shortlisted ids -- a provider with native structured output
cannot even express another id, and the parser rejects one from a provider without.
Whatever the model leaves out (or repeats) is filled in from the local order, so a
lazy or partial answer never loses a shortlisted item.

Speed: building the schema (`create_model`) and binding it to every provider
(`with_structured_output`: JSON schema per provider, runnable wiring) costs a few
milliseconds per call, so both are kept in small LRU caches keyed by the shortlist's
ids -- a repeated request for the same candidate or job reuses them. Stage one (DB
reads and the shortlist) is synchronous and CPU-bound; the chains run it in a worker
thread (`prepare_off_loop`) so it never blocks the event loop, and give the DB
connection back before the provider call (`reads_then_release`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Generic, Literal, TypeVar

from langchain_core.messages import BaseMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession

from app.ai.cache.model_answers import ModelAnswerCache
from app.ai.chains.served import DATA_RULE, ServedBy, run_config, stable_first
from app.ai.providers import AIRuntime, build_runtime
from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.engine.structured import StructuredOutputs
from app.ai.providers.errors import ProviderError
from app.core.config import Settings

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

#: Longest model-written reason kept; the rest is cut (the model is not trusted to be brief).
MAX_REASON_CHARS = 300
MAX_REASONS = 5
#: Schemas and structured-output runnables kept (per process): one per recent shortlist.
CACHE_SIZE = 256


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
    complete: bool = True
    """False when the model's answer did not parse (the local order filled it in)."""


@dataclass(frozen=True)
class RankingInput(Generic[ItemT]):
    """Stage one's result: what the model is asked to rank, and the schema it answers in."""

    subject: str
    shortlist: list[Shortlisted[ItemT]]
    schema: type[BaseModel]


@contextmanager
def reads_then_release(session: Session) -> Iterator[None]:
    """End the transaction these reads opened, so its connection goes back to the pool.

    Why: a request session would otherwise hold a pooled connection across the
    provider call (hundreds of ms); with more concurrent requests than pool slots the
    next checkout waits -- on SQLite/QueuePool for 30 s. Only a transaction this block
    began is ended (a rollback: nothing was written), never the caller's own.
    """
    began = not session.in_transaction()
    try:
        yield
    finally:
        if began and session.in_transaction():
            session.rollback()


async def prepare_off_loop(prepare: Callable[..., ResultT], *args: Any) -> ResultT:
    """Run stage one (blocking DB reads, CPU-bound shortlist) in a worker thread.

    Why: on the event loop it would stall every other request for its duration (and a
    pool wait or an index rebuild for far longer).
    """
    return await asyncio.to_thread(prepare, *args)


def ranking_schema(
    name: str, id_field: str, ids: Sequence[int], note_fields: Sequence[str]
) -> type[BaseModel]:
    """`{items: [{<id_field>: Literal[ids], fit_score: int, <note_fields>: [str]}]}`.

    No numeric bounds in the schema (not every provider's strict mode accepts them):
    scores are clamped after parsing instead. The same arguments give the same class
    (LRU cache), so the runnable bound to it can be reused too.
    """
    return _ranking_schema(name, id_field, tuple(ids), tuple(note_fields))


@lru_cache(maxsize=CACHE_SIZE)
def _ranking_schema(
    name: str, id_field: str, ids: tuple[int, ...], note_fields: tuple[str, ...]
) -> type[BaseModel]:
    # An empty shortlist has no id to copy (and `Literal[()]` is not a type); the model
    # is never asked then (`rank_with_model`), so any id type does.
    id_type: Any = Literal.__getitem__(ids) if ids else int
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
    """Every shortlisted item once, sorted by the score it shows (one scale, 0..1).

    Items the model scored show its score, the ones it left out their local score; the
    list is ordered by that shown score (ties: the model's order, then local order),
    so a list never shows a 0.01 above a 0.74.
    """
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
    ranked.sort(key=lambda item: -item.score)  # stable: ties keep model, then local order
    return ranked[:n]


def local_item(entry: Shortlisted[ItemT]) -> RankedItem[ItemT]:
    return RankedItem(entry.id, entry.item, entry.score, entry.score, entry.notes, "local")


def ranking_messages(
    instructions: str, subject: str, shortlist: Sequence[Shortlisted[ItemT]], n: int
) -> list[BaseMessage]:
    """What the model receives for a ranking: also what the response cache is keyed by."""
    return [
        SystemMessage(f"{instructions}\n{DATA_RULE}"),
        stable_first(
            subject, "Shortlist:\n" + "\n".join(e.summary for e in shortlist),
            variable=f"Rank these {len(shortlist)} shortlisted items; return at most {n}.",
        ),
    ]


async def rank_with_model(
    model: HybridChatModel,
    *,
    structured_outputs: StructuredOutputs,
    feature: str,
    instructions: str,
    subject: str,
    shortlist: Sequence[Shortlisted[ItemT]],
    schema: type[BaseModel],
    id_field: str,
    n: int,
    degraded_mode: bool,
    user_id: str | None = None,
    cache: ModelAnswerCache | None = None,
) -> Ranking[ItemT]:
    """Ask the model to rank `shortlist`; deterministic local order when every provider fails.

    With `cache`, the model's ranking for exactly these messages is reused when cached
    (and stored when whole); it is merged with this call's shortlist either way, so
    local scores and item fields are the current ones. Raises `ProviderError` only when
    `degraded_mode` is off.
    """
    if not shortlist:
        return Ranking([], ServedBy.local())
    messages = ranking_messages(instructions, subject, shortlist, n)
    key = cache.key(instructions, messages, schema) if cache is not None else ""
    hit = await cache.lookup(key, schema) if cache is not None else None
    if hit is not None:
        return Ranking(merge(shortlist, hit.parsed, id_field, n), hit.served)
    structured = structured_outputs.get(model, schema)
    try:
        answer: dict[str, Any] = await structured.ainvoke(messages, config=run_config(feature, user_id))
    except ProviderError as error:
        if not ServedBy.may_degrade(error, degraded_mode):
            raise
        return Ranking([local_item(e) for e in shortlist[:n]], ServedBy.degraded_by(error))
    parsed = answer.get("parsed")
    served = ServedBy.from_message(answer["raw"])
    if cache is not None:
        output = parsed.model_dump(mode="json") if isinstance(parsed, BaseModel) else {}
        await cache.store(key, output, served, parsed is not None)
    return Ranking(merge(shortlist, parsed, id_field, n), served, complete=parsed is not None)


class RankingChain(Generic[ItemT]):
    """Two-stage ranking shared by recommendations and candidate matching.

    Subclasses say what they rank (`feature`, `instructions`, `id_field`) and implement
    `prepare`, the blocking first stage (database reads, local shortlist, schema); the
    second stage -- the model ranking only the shortlist, or the local order when no
    provider answers -- is the same for both and lives here.
    """

    feature: ClassVar[str]
    instructions: ClassVar[str]
    id_field: ClassVar[str]

    def __init__(self, session: ModelSession, settings: Settings, runtime: AIRuntime | None = None) -> None:
        self.session = session
        self.settings = settings
        # The app's runtime (its circuits, budgets, metrics); a standalone chain builds its own.
        self.runtime = runtime or build_runtime(settings)

    def prepare(self, subject_id: int, n: int) -> RankingInput[ItemT]:
        raise NotImplementedError

    async def arun(
        self, subject_id: int, n: int = 5, *, user_id: str | None = None,
        cache: ModelAnswerCache | None = None,
    ) -> Ranking[ItemT]:
        """Top `n` items; NotFoundError for an unknown subject, ProviderError only when
        AI_DEGRADED_MODE is off and no provider answered. Stage one always runs; `cache`
        may spare only the model call."""
        prepared = await prepare_off_loop(self.prepare, subject_id, n)
        return await rank_with_model(
            self.runtime.model(),
            structured_outputs=self.runtime.structured_outputs,
            feature=self.feature,
            instructions=self.instructions,
            subject=prepared.subject,
            shortlist=prepared.shortlist,
            schema=prepared.schema,
            id_field=self.id_field,
            n=n,
            degraded_mode=self.settings.AI_DEGRADED_MODE,
            user_id=user_id,
            cache=cache,
        )
