"""Chaos between messages: random calls (bindings, stubs, pipelining, callbacks, Durable Object
writes) under seeded faults (cut links, crashes, lossy links). Every call settles, with its
value or one of the errors a fault explains; no Durable Object write that was acknowledged is
lost; the world never halts; nothing is left open at the end."""

from __future__ import annotations

import asyncio
import random

import pytest

from playground import ConnectionLost, DurableObject, Playground, RpcError, RpcTarget, WorkerEntrypoint
from playground.errors import SimulationError


class Tally(DurableObject):
    async def add(self, key):
        count = (await self.ctx.storage.get(key) or 0) + 1
        await self.ctx.storage.put(key, count)
        return count

    async def read(self, key):
        return await self.ctx.storage.get(key) or 0


class Box(RpcTarget):
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def child(self):
        return Box(self.value + 1)


class Back(WorkerEntrypoint):
    def box(self, value):
        return Box(value)

    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return seconds

    async def call_back(self, callback, value):
        return await callback(value)

    async def tally(self, key):
        ns = self.env.TALLY
        return await ns.get(ns.id_from_name("t")).add(key)


class Front(WorkerEntrypoint):
    async def via(self, value):
        return await self.env.BACK.slow(value)

    async def tally(self, key):
        return await self.env.BACK.tally(key)


class Client(WorkerEntrypoint):
    pass


#: What a fault may explain: a cut link or a loss, a crash, a context the crash ended.
EXPLAINED = (ConnectionLost, RpcError)
LINKS = [("client", "front"), ("front", "back"), ("back", "store"), ("client", "back")]


def world(seed):
    play = Playground(latency="5ms", jitter="3ms", seed=seed)
    play.worker("store", Back, exports=[Tally])
    play.worker("back", Back, durable_objects={"TALLY": ("store", "Tally")})
    play.worker("front", Front, services={"BACK": "back"})
    play.worker("client", Client, services={"FRONT": "front", "BACK": "back"})
    return play


async def operation(play, env, rng, acked, attempted):
    kind = rng.randrange(6)
    if kind == 0:
        return await env.FRONT.via(rng.choice([0.001, 0.01, 0.05]))
    if kind == 1:
        with await env.BACK.box(rng.randrange(10)) as box, box.child() as one, one.child() as two:
            return await two.get()  # pipelined
    if kind == 2:
        return await env.BACK.call_back(lambda v: v * 2, rng.randrange(10))
    if kind == 3:
        key = f"k{rng.randrange(3)}"
        attempted[key] = attempted.get(key, 0) + 1
        count = await env.FRONT.tally(key)
        acked[key] = max(acked.get(key, 0), count)
        return count
    if kind == 4:
        return await env.BACK.slow(0.02)
    return await env.FRONT.via(0)


async def chaos(play, rng, operations):
    env = play.env("client")
    acked: dict[str, int] = {}
    attempted: dict[str, int] = {}
    outcomes = {"ok": 0, "explained": 0, "faults": 0}
    pending = []
    for _ in range(operations):
        roll = rng.random()
        if roll < 0.04:
            play.disconnect(*rng.choice(LINKS))
            outcomes["faults"] += 1
        elif roll < 0.10:
            play.reconnect(*rng.choice(LINKS))
        elif roll < 0.12:
            play.crash(rng.choice(["front", "back", "store"]))
            outcomes["faults"] += 1
        elif roll < 0.14:
            a, b = rng.choice(LINKS)
            play.link(a, b, loss=rng.choice([0.0, 0.0, 0.2]))
            outcomes["faults"] += 1
        pending.append(asyncio.ensure_future(operation(play, env, rng, acked, attempted)))
        if rng.random() < 0.3:
            await play.sleep(rng.choice([0.001, 0.01, 0.03]))
    for task in pending:
        try:
            await task
        except EXPLAINED:
            outcomes["explained"] += 1
        else:
            outcomes["ok"] += 1
    for a, b in LINKS:  # heal, and read what was written
        play.reconnect(a, b)
        play.link(a, b, loss=0.0)
    ns = play.env("back").TALLY
    stored = {}
    for key in attempted:
        with ns.get(ns.id_from_name("t")) as tally:
            stored[key] = await tally.read(key)
    await play.idle()
    return outcomes, acked, attempted, stored


@pytest.mark.parametrize("seed", range(12))
def test_chaos_between_messages_loses_no_acknowledged_write_and_hangs_nothing(seed):
    rng = random.Random(f"chaos|{seed}")
    play = world(seed)
    try:
        outcomes, acked, attempted, stored = play.run(chaos(play, rng, 120))
    except SimulationError as error:  # the world must never halt
        raise AssertionError(f"seed {seed}: the world halted: {error}") from error
    assert outcomes["ok"] + outcomes["explained"] == 120
    assert outcomes["ok"] > 0
    for key, count in stored.items():
        # every acknowledged write is there; no write appears that was never attempted
        assert acked.get(key, 0) <= count <= attempted[key], (seed, key, acked, stored, attempted)
    hung = [e for e in play.trace.events if getattr(e, "text", "").startswith("The Workers runtime canceled")]
    assert hung == []
    assert play.open_connections() == []
    play.close()
