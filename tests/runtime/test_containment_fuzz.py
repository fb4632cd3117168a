"""Fuzz: frames a peer could send, mutated from real ones, injected into a live session. Each is
either refused by the frame decoder or handled; every failure is a ProtocolError that aborts only
the session it arrived on, and the world stays usable (property-based, derandomized)."""

from __future__ import annotations

import asyncio

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import Playground, ProtocolError, RpcTarget, WorkerEntrypoint
from playground.codec import Ext, decode_message, encode_message, encode_value, pack_small
from playground.protocol import Pipe, Pull, Push, Reject, Release, Resolve, Stream


class Box(RpcTarget):
    def get(self):
        return 7


class Service(WorkerEntrypoint):
    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "slow done"

    def add(self, a=0, b=0):
        return a + b

    def use(self, *values, **named):
        return len(values) + len(named)

    def box(self):
        return Box()


class Client(WorkerEntrypoint):
    pass


def _ext(code, data):
    return msgpack.ExtType(code, pack_small(data))


#: Real messages of the session being attacked (question 1 is the pending call, so 2 is next).
SEEDS = [
    Push(2, 0, ("add",), encode_value([1, 2])),
    Push(2, 0, ("use",), encode_value([(1, 2), {3}, frozenset(), 2**70, 1j, ValueError("x")])),
    Push(2, 0, ("use",), msgpack.packb([_ext(Ext.EXPORT, -1), _ext(Ext.EXPORT, -2)])),
    Push(2, 0, ("use",), msgpack.packb([_ext(Ext.SERVICE, [1, "svc", None, None])])),
    Push(2, 0, ("use",), msgpack.packb([_ext(Ext.IMPORT, 0), _ext(Ext.HANDOFF, [1, 2, -1])])),
    Push(2, 0, ("box",), None),
    Stream(2, 0, ("add",), encode_value([1])),
    Pipe(2),
    Pull(1),
    Resolve(1, encode_value("x")),
    Reject(1, encode_value(RuntimeError("no"))),
    Release(-1, 1),
]

mutations = st.lists(
    st.tuples(st.sampled_from(["set", "insert", "delete"]), st.integers(0, 200), st.integers(0, 255)),
    max_size=3,
)


def mutate(frame: bytes, steps) -> bytes:
    data = bytearray(frame)
    for op, at, byte in steps:
        at = at % (len(data) + 1)
        if op == "set" and at < len(data):
            data[at] = byte
        elif op == "insert":
            data.insert(at, byte)
        elif op == "delete" and at < len(data):
            del data[at]
    return bytes(data)


PLAY = Playground(latency="1ms", seed=5)
PLAY.worker("svc", Service)
PLAY.worker("alice", Client, services={"S": "svc"})
PLAY.worker("mallory", Client, services={"S": "svc"})
SEEN: dict[str, int] = {"refused": 0, "aborted": 0, "accepted": 0}


async def attack(message) -> None:
    mallory = PLAY.env("mallory")
    pending = mallory.S.slow(0.01)  # question 1 of a new session
    await PLAY.sleep(0.002)
    (end,) = [c for c in PLAY.open_connections() if c.worker == "svc" and c.peer_worker == "mallory"]
    PLAY.loop.call_soon(end.receive, message, 0, True)
    try:
        outcome = await pending
    except ProtocolError as error:
        outcome = error
    await PLAY.idle()
    if isinstance(outcome, ProtocolError):
        SEEN["aborted"] += 1
    else:
        assert outcome == "slow done", outcome
        SEEN["accepted"] += 1
        end.fail(ProtocolError("the fuzz test ends the session"))  # (what was accepted may keep it open)


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.sampled_from(SEEDS), st.booleans(), mutations)
def test_mutated_frames_are_refused_or_abort_only_their_own_session(seed, whole_frame, steps):
    """Either the whole frame is mutated, or only the payload inside a well-formed message."""
    payload_at = len(seed) - 1
    if whole_frame or type(seed[payload_at]) is not bytes:
        frame = mutate(encode_message(seed), steps)
    else:
        frame = encode_message(tuple.__new__(type(seed), (*seed[:payload_at], mutate(seed[payload_at], steps))))
    try:
        message = decode_message(frame)
    except ProtocolError:
        SEEN["refused"] += 1
        return
    PLAY.run(attack(message))
    # the world goes on: another worker's call works, and nothing is left open
    assert PLAY.run(PLAY.env("alice").S.add(2, 3)) == 5
    PLAY.run(PLAY.idle())
    assert PLAY.open_connections() == []


def test_the_fuzz_reached_every_outcome():
    """(Runs after the fuzz test: the mutations did exercise refusal, aborts and acceptance.)"""
    assert min(SEEN.values()) > 0, SEEN
    PLAY.close()
