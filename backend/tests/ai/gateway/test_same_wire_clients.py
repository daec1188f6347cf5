"""Same-wire SDK clients live as long as the model they serve, and are closed with it.

A gateway that serves many `provider:model` routes builds a member per model and keeps a
bounded number; the aiohttp session of a member it dropped must not stay open (sockets
and file descriptors held forever), and the session of a member still in use must not be
closed under a running call. Real SDK clients, no network needed.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

from app.ai.gateway.same_wire import SameWire


def _openai() -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url="http://127.0.0.1:9/v1")


async def test_a_models_client_is_reused_and_its_base_url_is_absolute() -> None:
    same_wire, model = SameWire(), _openai()
    client, base = same_wire._client(model)
    again, _ = same_wire._client(model)
    assert again is client
    assert base == "http://127.0.0.1:9/v1/"
    anthropic_model = ChatAnthropic(model="claude-3-5-haiku-latest", api_key="sk-ant-test",
                                    base_url="http://127.0.0.1:9")
    assert same_wire._client(anthropic_model)[1] == "http://127.0.0.1:9/"
    await same_wire.aclose()
    assert client.is_closed()


async def test_a_dropped_models_client_is_closed_and_a_kept_ones_is_not() -> None:
    same_wire = SameWire()
    kept, dropped = _openai(), _openai()
    kept_client, _ = same_wire._client(kept)
    dropped_client, _ = same_wire._client(dropped)
    del dropped
    gc.collect()
    for _ in range(20):  # the close is scheduled on the loop
        await asyncio.sleep(0)
        if dropped_client.is_closed():
            break
    assert dropped_client.is_closed()
    assert not kept_client.is_closed()
    assert len(same_wire._clients) == 1
    await same_wire.aclose()
    assert kept_client.is_closed()


def test_a_client_never_crosses_event_loops() -> None:
    same_wire, model, rounds = SameWire(), _openai(), 3

    async def client_of_this_loop() -> object:
        return same_wire._client(model)[0]

    clients = [asyncio.run(client_of_this_loop()) for _ in range(rounds)]
    assert len({id(c) for c in clients}) == rounds


def test_a_finished_loop_is_not_kept_alive_by_its_clients() -> None:
    same_wire, model = SameWire(), _openai()

    async def use_a_client() -> weakref.ref[asyncio.AbstractEventLoop]:
        same_wire._client(model)
        return weakref.ref(asyncio.get_running_loop())

    loop = asyncio.run(use_a_client())
    gc.collect()
    assert loop() is None
