"""A call sent and never awaited is drawn as such, counted, and costs no round trip."""

from __future__ import annotations

from conftest import texts

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose
from playground.viz import render_svg
from playground.viz.model import build
from playground.viz.view import view_of

NEVER = "sent, never awaited: no pull, the result never came back"


class Node(RpcTarget):
    def node(self) -> Node:
        return Node()

    def add(self, a: int, b: int) -> int:
        return a + b


class Service(WorkerEntrypoint):
    def add(self, a: int, b: int) -> int:
        return a + b

    def node(self) -> Node:
        return Node()

    async def relay(self) -> int:
        return await self.env.S.add(1, 2)


def world() -> tuple[Playground, object]:
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("app", Service, services={"S": "svc"})
    return play, play.env("app")


def test_a_bare_call_is_drawn_never_awaited_counted_as_a_leak_and_costs_no_round_trip() -> None:
    play, env = world()

    async def main():
        with play.record() as rec:
            promise = env.S.add(1, 2)
            await play.sleep(0.05)
        return rec, promise

    rec, promise = play.run(main())
    summary = build(view_of(rec)).summary
    assert rec.round_trips == 0
    assert summary.line() == (
        "0 round trips · 50 ms · 1 call (0 pipelined) · 1 message · 18 bytes · 1 leak · 1 never awaited"
    )
    assert f"add(1, 2) · {NEVER}" in texts(render_svg(rec))
    dispose(promise)
    play.close()


def test_a_call_disposed_unawaited_is_never_awaited_but_not_a_leak() -> None:
    play, env = world()

    async def main():
        with play.record() as rec:
            dispose(env.S.add(1, 2))
            await play.idle()
        return rec

    summary = build(view_of(play.run(main()))).summary
    assert (summary.round_trips, summary.leaks, summary.never_awaited) == (0, 0, 1)
    play.close()


def test_the_intermediates_of_a_pipelined_chain_are_not_never_awaited() -> None:
    play, env = world()

    async def main():
        with play.record() as rec:
            total = await env.S.node().node().add(2, 3)
        return total, rec

    total, rec = play.run(main())
    summary = build(view_of(rec)).summary
    assert total == 5
    assert (summary.round_trips, summary.leaks, summary.never_awaited) == (1, 0, 0)
    assert not any(NEVER in t for t in texts(render_svg(rec)))
    play.close()


def test_what_a_call_never_awaited_makes_the_other_side_do_still_counts() -> None:
    play, env = world()
    play.worker("relay", Service, services={"S": "svc"})
    play.worker("client", Service, services={"R": "relay"})

    async def main():
        with play.record() as rec:
            promise = play.env("client").R.relay()
            await play.sleep(0.1)
        return rec, promise

    rec, promise = play.run(main())
    # the client waited for nothing; the relay's own call to svc was one round trip
    assert rec.round_trips == 1
    assert build(view_of(rec)).summary.never_awaited == 1
    dispose(promise)
    play.close()


def test_a_call_disposed_at_once_is_not_a_leak_even_before_its_release_leaves() -> None:
    """``dispose(p)`` sends the release at the end of the loop's next step; a notebook cell
    (code outside the playground's loop) that ends right after it has not sent it yet, and must
    not be told it leaked."""
    play, env = world()
    with play.record() as rec:  # as a cell's top-level code: outside the playground's loop
        promise = env.S.add(1, 2)
        dispose(promise)
    assert [m.kind for m in rec.messages] == ["push"]
    summary = build(view_of(rec)).summary
    assert (summary.round_trips, summary.leaks, summary.never_awaited) == (0, 0, 1)
    play.run(play.idle())
    assert [m.kind for m in play.trace.messages] == ["push", "release"]
    play.close()
