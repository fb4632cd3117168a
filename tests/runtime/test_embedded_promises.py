"""A result that holds promises the peer resolves by itself (Cap'n Web's ``["promise", id]``,
e.g. the array a ``.map()`` answers with): it is delivered once they have settled, each replaced
by its value, and they are released. Only a result may hold one. (The peer's messages are
injected at the receiving end, as a Cap'n Web peer would send them.)"""

from __future__ import annotations

import asyncio

import msgpack

from playground import Playground, WorkerEntrypoint
from playground.codec import Ext, pack_small
from playground.protocol import Reject, Resolve
from playground.runtime.marshal import encode_error

from .services import failure


class Service(WorkerEntrypoint):
    async def later(self):
        await asyncio.sleep(3600)


class Client(WorkerEntrypoint):
    pass


def make():
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("app", Client, services={"S": "svc"})
    return play


def promise(ident):
    return msgpack.ExtType(Ext.PROMISE, pack_small(ident))


def packed(value):
    return msgpack.packb(value, use_bin_type=True)


def app_end(play):
    (end,) = [c for c in play.open_connections() if c.worker == "app"]
    return end


def test_a_result_waits_for_its_promises_and_holds_their_values():
    play = make()

    async def main():
        pending = play.env("app").S.later()
        await play.sleep(0.001)  # (the push has left: question 1)
        end = app_end(play)
        play.loop.call_soon(end.receive, Resolve(1, packed([[promise(-2), promise(-3)], "x"])), 0, True)
        # (both before the first of our releases could reach svc, which never made these exports)
        play.loop.call_later(0.003, end.receive, Resolve(-3, packed(6)), 0, True)
        play.loop.call_later(0.006, end.receive, Resolve(-2, packed({"n": 4})), 0, True)
        value = await pending
        return value, play.now

    value, now = play.run(main())
    assert value == [[{"n": 4}, 6], "x"]
    assert round(now, 6) == 0.007  # delivered when the last promise settled (0.001 + 0.006)
    releases = [m.id for m in play.trace.messages if m.kind == "release" and m.sender == "app"]
    assert sorted(releases) == [-3, -2, 1]
    play.close()


def test_one_rejected_promise_rejects_the_result():
    play = make()

    async def main():
        pending = play.env("app").S.later()
        await play.sleep(0.001)
        end = app_end(play)
        play.loop.call_soon(end.receive, Resolve(1, packed([promise(-2), promise(-3)])), 0, True)
        error = encode_error(KeyError("no such id"), True)
        play.loop.call_later(0.003, end.receive, Reject(-2, error), 0, True)
        play.loop.call_later(0.004, end.receive, Resolve(-3, packed(1)), 0, True)
        return await failure(pending)

    error = play.run(main())
    assert isinstance(error, Exception) and "no such id" in str(error)
    play.close()
