"""Ranking chains under concurrency: no DB connection held across the provider call,
stage one off the event loop, per-shortlist schema and runnable reused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.ai.chains.candidate_matching_chain import CandidateMatchingChain
from app.ai.chains.ranking import ranking_schema, reads_then_release
from app.ai.chains.recommendation_chain import RecommendationChain
from app.core.config import Settings
from app.db import new_session
from emulators import Fault, RunningEmulator
from tests.features.conftest import FAST

#: Long against stage one (database retrieval, ~0.1 s on a loaded machine), so four
#: serialised stage ones plus one delay stay far below four delays back to back.
PROVIDER_DELAY = 1.0


@pytest.fixture
def one_connection_engine(demo_sqlite_url: str) -> Iterator[Engine]:
    """A pool of ONE connection that gives up after 2 s: holding it across a provider
    call would make the second concurrent request fail (or block the loop)."""
    engine = sa.create_engine(
        demo_sqlite_url, pool_size=1, max_overflow=0, pool_timeout=2,
        connect_args={"check_same_thread": False},
    )
    yield engine
    engine.dispose()


@pytest.fixture
def settings(emulator_settings: Callable[..., Settings], demo_sqlite_url: str) -> Settings:
    return emulator_settings(DATABASE_URL=demo_sqlite_url, AI_LEDGER_ENABLED=False, **FAST)


async def test_concurrent_rankings_share_one_db_connection(
    one_connection_engine: Engine, settings: Settings, openai_emulator: RunningEmulator
) -> None:
    openai_emulator.faults.set_default(Fault(delay=PROVIDER_DELAY))
    sessions = [new_session(one_connection_engine) for _ in range(4)]
    chains = [RecommendationChain(s, settings) for s in sessions[:2]]
    chains += [CandidateMatchingChain(s, settings) for s in sessions[2:]]
    await chains[0].arun(1, 3)  # builds the index outside the timed part
    await chains[2].arun(1, 3)
    started = time.perf_counter()
    rankings = await asyncio.gather(*(chain.arun(2 + i, 3) for i, chain in enumerate(chains)))
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    assert [r.served.provider for r in rankings] == ["openai"] * 4
    assert all(not r.served.degraded and len(r.items) == 3 for r in rankings)
    # The provider calls overlapped: far less than four delays back to back.
    assert elapsed < 3 * PROVIDER_DELAY, elapsed


async def test_event_loop_keeps_ticking_during_stage_one(settings: Settings, demo_sqlite_url: str) -> None:
    """Stage one (DB, shortlist) runs in a worker thread: a ticker on the loop keeps running."""
    engine = sa.create_engine(demo_sqlite_url, connect_args={"check_same_thread": False})
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    with new_session(engine) as session:
        prepared = await asyncio.to_thread(RecommendationChain(session, settings).prepare, 3, 5)
        assert not session.in_transaction(), "connection given back after stage one"
    stop.set()
    await task
    engine.dispose()
    assert len(prepared.shortlist) >= 5 and ticks > 0


def test_reads_then_release_ends_only_its_own_transaction(demo_sqlite_url: str) -> None:
    engine = sa.create_engine(demo_sqlite_url)
    with new_session(engine) as session:
        with reads_then_release(session):
            session.execute(sa.text("SELECT 1"))
        assert not session.in_transaction()
        session.execute(sa.text("SELECT 1"))  # the caller's own transaction...
        with reads_then_release(session):
            session.execute(sa.text("SELECT 2"))
        assert session.in_transaction(), "...is left alone"
    engine.dispose()


async def test_same_shortlist_reuses_schema_and_runnable(settings: Settings, demo_sqlite_url: str) -> None:
    assert ranking_schema("R", "job_id", [3, 1, 2], ["reasons"]) is ranking_schema(
        "R", "job_id", (3, 1, 2), ("reasons",)
    )
    assert ranking_schema("R", "job_id", [1, 2, 3], ["reasons"]) is not ranking_schema(
        "R", "job_id", [3, 1, 2], ["reasons"]
    )
    engine = sa.create_engine(demo_sqlite_url, connect_args={"check_same_thread": False})
    with new_session(engine) as session:
        chain = RecommendationChain(session, settings)
        first = await chain.arun(7, 3)
        builds = chain.runtime.structured_outputs.builds
        second = await chain.arun(7, 3)
    engine.dispose()
    assert chain.runtime.structured_outputs.builds == builds, "the second call reused the binding"
    assert [i.id for i in first.items] == [i.id for i in second.items]
