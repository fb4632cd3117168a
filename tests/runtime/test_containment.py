"""A failure stays where it happened: a peer that breaks the protocol aborts its own session and
nothing else, a capability cannot be forged, and what a call does to its own connection fails that
call only. (The messages are injected at the receiving end, as a peer that does not follow the
protocol would send them.)"""

from __future__ import annotations

import asyncio
import math

import msgpack
import pytest

from playground import (
    ConnectionLost,
    DataCloneError,
    Playground,
    ProtocolError,
    RpcTarget,
    WorkerEntrypoint,
    WritableStream,
)
from playground.codec import Ext, pack_small
from playground.protocol import Abort, Kind, Pipe, Pull, Push, Reject, Release, Resolve, Stream
from playground.trace import NoteEvent

from .services import failure

_new = tuple.__new__


class Secret(RpcTarget):
    def read(self):
        return "the secret"

    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "slow done"


class Service(WorkerEntrypoint):
    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "slow done"

    def add(self, a, b):
        return a + b

    def props(self):
        return dict(self.ctx.props or {})

    def secret(self):
        return Secret()

    def use(self, binding):
        return binding

    def deep(self, n):
        value: list = []
        for _ in range(n):
            value = [value]
        return value

    def cyclic(self):
        value: dict = {}
        value["self"] = value
        return value

    async def write(self, writable):
        writer = writable.get_writer()
        await writer.write(b"one")
        await writer.close()
        return "written"


class Client(WorkerEntrypoint):
    pass


def make(**options):
    play = Playground(latency="10ms", seed=11, **options)
    play.worker("svc", Service)
    play.worker("vault", Service)
    play.worker("alice", Client, services={"S": "svc"})
    play.worker("mallory", Client, services={"S": "svc"})
    return play


def svc_end(play, peer):
    """The service's end of the open session with ``peer``."""
    (end,) = [c for c in play.open_connections() if c.worker == "svc" and c.peer_worker == peer]
    return end


def payload(*args):
    return msgpack.packb(list(args), use_bin_type=True)


def forged(code, data):
    return msgpack.packb([msgpack.ExtType(code, pack_small(data))], use_bin_type=True)


#: What a misbehaving peer sends, and the words the error must name.
BAD_MESSAGES = {
    "a stale question id": (lambda: Push(1, 0, ("add",), payload(1, 2)), "next question id must be 2"),
    "a question id from the future": (lambda: Push(9, 0, ("add",), payload(1, 2)), "next question id must be 2"),
    "a push to an export never made": (lambda: Push(2, -7, ("add",), payload(1, 2)), "unknown export id -7"),
    "a push with an unhashable target": (lambda: Push(2, [0], ("add",), payload(1, 2)), "unknown export id [0]"),
    "a push whose path is not a path": (lambda: Push(2, 0, "add", payload(1, 2)), "path"),
    "a push whose arguments are not bytes": (lambda: Push(2, 0, ("add",), [1, 2]), "arguments"),
    "a push whose arguments are not a list": (lambda: Push(2, 0, ("add",), payload()[:0] + b"\x05"), "not a list"),
    "a pull of an export never made": (lambda: Pull(12), "unknown export id 12"),
    "a resolve nobody asked for": (lambda: Resolve(3, b"\xc0"), "unknown import id 3"),
    "a reject with a stale id": (lambda: Reject(-4, b"\xc0"), "unknown import id -4"),
    "a release with a NaN count": (lambda: Release(1, math.nan), "refcount nan"),
    "a release with an unhashable id": (lambda: Release([1], 1), "unknown export id [1]"),
    "a release of the main object": (lambda: Release(0, 1), "main export"),
    "an unknown message kind": (lambda: _new(Push, ("bogus", 1)), "unknown message kind"),
    "a message that is not a tuple of fields": (lambda: _new(Push, (Kind.PUSH, 2)), "ValueError"),
    "a stream write to nowhere": (lambda: Stream(2, -3, ("write",), payload(b"x")), "unknown export id -3"),
    "a pipe out of order": (lambda: Pipe(7), "next question id must be 2"),
    "arguments that do not decode": (lambda: Push(2, 0, ("add",), b"\x92\xc1\x01"), "push 2"),
    "a forged service binding": (
        lambda: Push(2, 0, ("use",), forged(Ext.SERVICE, [1, "vault", None, {"admin": True}])),
        "not granted",
    ),
    "a forged Durable Object stub": (
        lambda: Push(2, 0, ("use",), forged(Ext.DURABLE_OBJECT, [1, "vault", "Counter", "00" * 32, None])),
        "not granted",
    ),
    "a forged handoff (the old [session, id] form)": (
        lambda: Push(2, 0, ("use",), forged(Ext.HANDOFF, [1, -1])),
        "not granted",
    ),
    "a promise reference in arguments (only a result may hold one)": (
        lambda: Push(2, 0, ("use",), forged(Ext.PROMISE, -1)),
        "a promise (export -1) where this side takes none: only a call's result may hold one",
    ),
    "a readable stream for a pipe never asked for": (
        lambda: Push(2, 0, ("use",), forged(Ext.READABLE, 5)),
        "not asked for",
    ),
    "a stub for an export it does not hold": (
        lambda: Push(2, 0, ("use",), forged(Ext.IMPORT, -30)),
        "unknown export id -30",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
def test_a_peer_that_breaks_the_protocol_aborts_its_own_session_and_nothing_else(case):
    make_message, named = BAD_MESSAGES[case]
    play = make()
    alice, mallory = play.env("alice"), play.env("mallory")

    async def scenario():
        innocent = asyncio.ensure_future(alice.S.slow(1))  # in flight on another session
        guilty = mallory.S.slow(0.5)  # mallory's own call, pending on the session she breaks
        await play.sleep(0.05)
        end = svc_end(play, "mallory")
        play.loop.call_soon(end.receive, make_message(), 0, True)
        error = await failure(guilty)
        assert end.closed  # the session is over
        assert [c for c in play.open_connections() if "mallory" in (c.worker, c.peer_worker)] == []
        return error, await innocent, await alice.S.add(2, 3), await mallory.S.add(1, 1)

    error, innocent, after, mallory_again = play.run(scenario())
    assert isinstance(error, ProtocolError)
    assert "RPC session aborted: mallory sent svc a message that breaks the protocol" in str(error)
    assert named in str(error)
    # nothing else was touched: the other session's call finished, and both can call again
    assert (innocent, after, mallory_again) == ("slow done", 5, 2)
    notes = [e for e in play.trace.events if isinstance(e, NoteEvent) and e.level == "error"]
    assert any("breaks the protocol" in n.text for n in notes)


def test_the_abort_reaches_the_peer_and_both_ends_reject_their_pending_calls():
    play = make()
    mallory = play.env("mallory")

    async def scenario():
        with await mallory.S.secret() as secret:  # one session, two calls pending on it
            one, two = secret.slow(0.5), secret.slow(0.7)
            await play.sleep(0.05)
            end = svc_end(play, "mallory")
            play.loop.call_soon(end.receive, Release(2, math.nan), 0, True)
            return await failure(one), await failure(two)

    first, second = play.run(scenario())
    assert type(first) is ProtocolError and type(second) is ProtocolError
    assert str(first) == str(second) and "refcount nan" in str(first)
    aborts = [e for e in play.trace.events if getattr(e, "kind", None) == Kind.ABORT]
    assert len(aborts) == 1 and (aborts[0].sender, aborts[0].receiver) == ("svc", "mallory")


def test_an_abort_from_the_peer_fails_our_calls_with_its_reason():
    play = make()
    mallory = play.env("mallory")

    async def scenario():
        pending = mallory.S.slow(0.5)
        await play.sleep(0.05)
        (end,) = [c for c in play.open_connections() if c.worker == "mallory"]
        reason = msgpack.packb("not an error")  # a reason that is not an error: the cause is unknown
        play.loop.call_soon(end.receive, Abort(reason), 0, False)
        error = await failure(pending)
        svc_end(play, "mallory").fail(ConnectionLost())  # (the svc end that "sent" it is gone too)
        return error

    assert isinstance(play.run(scenario()), ConnectionLost)


def test_a_grant_made_for_one_session_cannot_be_redeemed_on_another():
    play = make()
    play.worker("carol", Client, services={"S": "svc", "V": "vault"})
    carol, mallory = play.env("carol"), play.env("mallory")

    async def scenario():
        assert await carol.S.use(carol.V) is not None  # a binding passed legitimately works
        pending = mallory.S.slow(0.5)
        await play.sleep(0.05)
        # token 1 was granted to svc's end of carol's session; mallory replays it on hers
        end = svc_end(play, "mallory")
        play.loop.call_soon(end.receive, Push(2, 0, ("use",), forged(Ext.SERVICE, [1, "vault", None, None])), 0, True)
        return await failure(pending)

    error = play.run(scenario())
    assert isinstance(error, ProtocolError) and "not granted" in str(error)


def test_bindings_and_handoffs_still_cross_as_grants():
    """Regression: the grant table carries what crossed as plain data before."""
    play = make()
    play.worker("carol", Client, services={"S": "svc", "V": "vault"})
    carol = play.env("carol")

    async def scenario():
        secret = await carol.V.secret()
        with secret:
            passed = await carol.S.use(carol.V)  # the binding goes to svc and comes back
            value = await passed.add(20, 22)
            back = await carol.S.use(secret)  # carol's own stub, through svc: handed back
            with back:
                return value, await back.read()

    assert play.run(scenario()) == (42, "the secret")


def test_a_call_that_cuts_its_own_link_fails_with_connection_lost_and_the_world_goes_on():
    class Cutter(WorkerEntrypoint):
        def cut(self):
            play.disconnect("alice", "cutter")  # a lab's "cut the link mid-request"
            return 1

        def add(self, a, b):
            return a + b

    for seed in range(40):  # (35 of these 40 seeds used to halt the world)
        play = Playground(latency="10ms", jitter="5ms", seed=seed)
        play.worker("cutter", Cutter)
        play.worker("alice", Client, services={"C": "cutter"})
        env = play.env("alice")
        error = play.run(failure(env.C.cut()))
        assert isinstance(error, ConnectionLost), seed
        play.reconnect("alice", "cutter")
        assert play.run(env.C.add(1, 2)) == 3
        play.run(play.idle())
        assert play.open_connections() == []


def test_results_that_cannot_be_sent_fail_like_arguments_and_the_world_goes_on():
    play = make()
    env = play.env("alice")

    async def scenario():
        results = [await env.S.deep(1000), await env.S.deep(1000)]  # twice: the second used to halt
        cyclic = await env.S.cyclic()  # (a cycle is kept, as in workerd)
        too_deep = await failure(env.S.deep(20000))
        too_deep_argument = await failure(env.S.use(deep))
        return results, cyclic, too_deep, too_deep_argument, await env.S.add(1, 2)

    deep: list = []
    for _ in range(20000):
        deep = [deep]
    results, cyclic, too_deep, as_argument, after = play.run(scenario())
    assert len(results) == 2
    assert cyclic["self"] is cyclic
    assert type(too_deep) is DataCloneError and type(as_argument) is DataCloneError
    assert after == 3


def test_a_sink_whose_write_returns_a_function_does_not_halt_the_world():
    class Sink:
        def __init__(self):
            self.parts = []

        def write(self, chunk):
            self.parts.append(chunk)
            return lambda: "a function where nothing is expected"

        def close(self):
            self.parts.append("closed")

    play = make()
    env = play.env("alice")
    sink = Sink()
    assert play.run(env.S.write(WritableStream(sink))) == "written"
    assert sink.parts == [b"one", "closed"]
    assert play.run(env.S.add(1, 2)) == 3


def test_a_returned_value_cannot_smuggle_an_ext_and_a_settled_promise_is_refused():
    from playground import RpcStub

    class Local(RpcTarget):
        def forged(self):
            return msgpack.ExtType(Ext.SERVICE, pack_small([1, "vault", None, {"admin": True}]))

        def marked(self):
            return [msgpack.ExtType(Ext.HEADERS, b""), [["x", "1"]]]

        def pair(self):
            return (1, 2)

    play = make()
    env = play.env("alice")

    async def scenario():
        with RpcStub(Local()) as local:
            promise = local.forged()
            forged, marked, pair = await promise, await local.marked(), await local.pair()
            return (
                await failure(env.S.use(promise)),  # even settled, a promise is not a value
                await failure(env.S.use(forged)),
                await failure(env.S.use(marked)),
                await env.S.use(pair),
            )

    settled, forged, marked, pair = play.run(scenario())
    assert type(settled) is DataCloneError and '"RpcPromise"' in str(settled)
    assert type(forged) is DataCloneError and "ExtType" in str(forged)
    assert type(marked) is DataCloneError and "ExtType" in str(marked)
    assert pair == (1, 2)


def test_a_granted_reference_is_described_by_what_it_grants_not_its_token():
    from playground.codec import describe

    play = make()
    play.worker("carol", Client, services={"S": "svc", "V": "vault"})
    carol = play.env("carol")
    assert play.run(carol.S.add(1, 2)) == 3
    with play.run(carol.S.use(carol.V)) as back:
        assert play.run(back.add(2, 2)) == 4
    pushes = [e for e in play.trace.events if getattr(e, "kind", None) == Kind.PUSH and e.path == ("use",)]
    (shown,) = describe(pushes[0].payload)
    assert shown.label == "service" and shown.data == ["vault", None, None]


@pytest.mark.parametrize(
    "forgery",
    [
        msgpack.ExtType(Ext.SERVICE, pack_small(["vault", None, {"admin": True}])),  # the old wire form
        msgpack.ExtType(Ext.DURABLE_OBJECT, pack_small(["vault", "Counter", "00" * 32, None])),
        msgpack.ExtType(Ext.HANDOFF, pack_small([1, -1])),
        msgpack.ExtType(Ext.EXPORT, pack_small(-1)),
        [msgpack.ExtType(Ext.TUPLE, b""), 1, 2],  # the codec's own marker
        {"nested": [msgpack.ExtType(Ext.SERVICE, pack_small([1, "vault", None, None]))]},
    ],
    ids=["service", "durable-object", "handoff", "export", "marker", "nested"],
)
def test_a_worker_cannot_forge_a_capability_from_a_plain_value(forgery):
    """With public API only: an ExtType (or a marker) in an argument or a result is refused."""

    class Forger(WorkerEntrypoint):
        def forge(self):
            return forgery

    play = make()
    play.worker("forger", Forger)
    play.worker("carol", Client, services={"S": "svc", "F": "forger"})
    carol = play.env("carol")
    as_argument = play.run(failure(carol.S.use(forgery)))
    as_result = play.run(failure(carol.F.forge()))
    for error in (as_argument, as_result):
        assert type(error) is DataCloneError and "ExtType" in str(error)
    assert play.run(carol.S.add(1, 2)) == 3
