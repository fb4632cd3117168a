"""A pipelined chain that was awaited (or disposed) takes its intermediate promises with it.

In Workers the request context ends and releases them; a notebook's client context never ends,
so without this every ``await s.root().next().next().depth()`` left its intermediates in
``play.leaks()``. A promise the user still holds stays theirs to dispose (and a leak if not).
"""

from __future__ import annotations

import inspect

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose


class Node(RpcTarget):
    def __init__(self, depth: int = 0) -> None:
        self._depth = depth

    def next(self) -> Node:
        return Node(self._depth + 1)

    def depth(self) -> int:
        return self._depth


class Tree(WorkerEntrypoint):
    def root(self) -> Node:
        return Node()


class Relay(WorkerEntrypoint):
    async def deep(self) -> int:
        return await self.env.T.root().next().next().depth()


def world() -> tuple[Playground, object]:
    play = Playground(latency="10ms")
    play.worker("tree", Tree)
    play.worker("app", Tree, services={"T": "tree"})
    return play, play.env("app").T


def _line(marker: str) -> int:
    """The line of this file that holds ``marker`` (for the places leaks name)."""
    source, _ = inspect.getsourcelines(inspect.getmodule(_line))
    return next(i for i, text in enumerate(source, 1) if marker in text and "_line(" not in text)


def releases(rec) -> list[int]:
    return [m.id for m in rec.messages if m.kind == "release" and m.sender == "app"]


def test_an_awaited_chain_leaves_no_leak_and_releases_each_intermediate() -> None:
    play, tree = world()

    async def main():
        with play.record() as rec:
            depth = await tree.root().next().next().depth()
        return depth, play.leaks(), rec

    depth, leaks, rec = play.run(main())
    assert depth == 2
    assert leaks == []  # at once, inside the request, not only when the world ends
    # the three intermediates (questions 1, 2, 3) released, after the awaited result (4)
    assert releases(rec) == [4, 3, 2, 1]
    assert rec.round_trips == 1
    play.close()


def test_an_intermediate_the_user_kept_is_still_a_leak_at_its_line() -> None:
    play, tree = world()

    async def main():
        kept = tree.root()  # KEPT-ROOT
        depth = await kept.next().depth()
        return depth, play.leaks(), kept

    depth, leaks, kept = play.run(main())
    assert depth == 1
    assert [(s.kind, s.where[1]) for s in leaks] == [("promise", _line("# KEPT-ROOT"))]
    dispose(kept)
    assert play.leaks() == []
    play.close()


def test_a_kept_stub_result_is_a_leak_but_its_chain_is_not() -> None:
    play, tree = world()

    async def main():
        node = await tree.root().next()  # KEPT-STUB
        return node, play.leaks()

    node, leaks = play.run(main())
    assert [(s.kind, s.where[1]) for s in leaks] == [("stub", _line("# KEPT-STUB"))]
    node._dispose()
    assert play.leaks() == []
    play.close()


def test_disposing_the_end_of_a_chain_releases_its_intermediates() -> None:
    play, tree = world()

    async def main():
        with play.record() as rec:
            with tree.root().next():
                pass
            await play.idle()
        return play.leaks(), rec

    leaks, rec = play.run(main())
    assert leaks == []
    assert sorted(releases(rec)) == [1, 2]
    play.close()


def test_calls_pipelined_on_a_kept_promise_still_work_after_its_base_is_released() -> None:
    play, tree = world()

    async def main():
        middle = tree.root().next()  # its base (root) is a temporary
        first = await middle.depth()  # releases root: middle is kept, so it stays
        again = await middle.next().depth()
        held = [s.kind for s in play.leaks()]
        dispose(middle)
        return first, again, held, play.leaks()

    first, again, held, leaks = play.run(main())
    assert (first, again) == (1, 2)
    assert held == ["promise"]  # only `middle`
    assert leaks == []
    play.close()


def test_a_chain_awaited_inside_a_worker_is_released_before_its_request_ends() -> None:
    play = Playground(latency="10ms")
    play.worker("tree", Tree)
    play.worker("relay", Relay, services={"T": "tree"})
    play.worker("app", Tree, services={"R": "relay"})

    async def main():
        with play.record() as rec:
            depth = await play.env("app").R.deep()
        return depth, rec

    depth, rec = play.run(main())
    assert depth == 2
    relay_releases = [m for m in rec.messages if m.kind == "release" and m.sender == "relay"]
    answer = next(m for m in rec.messages if m.kind == "resolve" and m.sender == "relay")
    # the relay's intermediates went when its chain settled, before it answered the app
    assert len(relay_releases) == 4
    assert all(m.seq < answer.seq for m in relay_releases)
    assert play.leaks() == []
    play.close()
