"""A playground's lifetime: ``with Playground() as play``, ``play.close()``, and garbage
collection release its loop, its tasks and its stream pumps without a warning."""

from __future__ import annotations

import asyncio
import gc
import sys
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from playground import Playground, ReadableStream, WorkerEntrypoint
from playground.runtime import world


def endless() -> Any:
    async def chunks():
        try:
            while True:
                yield bytes(1 << 16)
        finally:
            await asyncio.sleep(0)  # cleanup that needs the loop

    return ReadableStream.from_iterable(chunks())


class Endless(WorkerEntrypoint):
    def get_readable(self):
        return endless()

    async def read_one(self, readable):
        return await readable.get_reader().read()


def streaming(**options: Any) -> Playground:
    """A playground whose stream pump is still pending (an endless source, read once)."""
    play = Playground(latency="10ms", **options)
    play.worker("SRC", Endless)
    play.worker("DST", Endless, services={"SRC": "SRC"})
    env = play.env("DST")

    async def read_one() -> bytes:
        readable = await env.SRC.get_readable()
        return await readable.get_reader().read()

    assert play.run(read_one()) == bytes(1 << 16)
    return play


def sending() -> Playground:
    """A playground whose pump runs in the notebook's (host) context: an endless stream sent
    to a worker that reads one chunk."""
    play = Playground(latency="10ms")
    play.worker("SRC", Endless)
    play.worker("DST", Endless, services={"SRC": "SRC"})
    assert play.run(play.env("DST").SRC.read_one(endless())) == bytes(1 << 16)
    return play


@pytest.fixture
def noticed() -> Iterator[list[str]]:
    """Everything that would be printed or logged about a resource left behind: warnings,
    unraisable exceptions (``__del__``, finalizers), asyncio's exception handler."""
    seen: list[str] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(f"unraisable: {u.exc_value!r} in {u.object!r}")
    old_handler = asyncio.base_events.BaseEventLoop.default_exception_handler

    def handler(self: Any, context: dict[str, Any]) -> None:
        seen.append(f"asyncio: {context.get('message')}")

    asyncio.base_events.BaseEventLoop.default_exception_handler = handler  # type: ignore[method-assign]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield seen
            gc.collect()
            seen += [f"warning: {w.message!r}" for w in caught]
    finally:
        sys.unraisablehook = old_hook
        asyncio.base_events.BaseEventLoop.default_exception_handler = old_handler  # type: ignore[method-assign]


@pytest.mark.parametrize("make", [streaming, sending])
def test_an_unclosed_playground_is_released_silently_when_collected(noticed: list[str], make: Any) -> None:
    play = make()
    loop = play.loop
    ref = weakref.ref(play)
    del play
    gc.collect()
    assert ref() is None, "something still holds the playground"
    assert loop.is_closed()
    assert not [t for t in asyncio.all_tasks(loop) if not t.done()]
    gc.collect()
    assert noticed == []


@pytest.mark.parametrize("make", [streaming, sending])
def test_close_cancels_the_pending_pump_and_closes_the_loop(noticed: list[str], make: Any) -> None:
    play = make()
    loop = play.loop
    play.close()
    assert play.closed and loop.is_closed()
    assert not [t for t in asyncio.all_tasks(loop) if not t.done()]
    assert not loop._asyncgens  # the endless source was closed, its cleanup ran on the loop
    del play
    gc.collect()
    assert noticed == []


def test_close_twice_does_nothing() -> None:
    play = streaming()
    play.close()
    play.close()
    assert play.closed


def test_with_closes_at_the_end_of_the_block(noticed: list[str]) -> None:
    with streaming() as play:
        assert isinstance(play, Playground) and not play.closed
    assert play.closed and play.loop.is_closed()
    del play
    gc.collect()
    assert noticed == []


def test_with_closes_when_the_block_raises(noticed: list[str]) -> None:
    with pytest.raises(ZeroDivisionError):
        with streaming() as play:
            1 / 0
    assert play.closed and play.loop.is_closed()
    del play
    gc.collect()
    assert noticed == []


def test_close_from_inside_the_playground_is_refused() -> None:
    from playground.errors import SimulationError

    with Playground() as play:

        async def main() -> None:
            play.close()

        with pytest.raises(SimulationError, match="inside the playground"):
            play.run(main())
        assert not play.closed
    assert play.closed


def test_work_that_never_stops_does_not_keep_close_waiting(noticed: list[str]) -> None:
    class Ticker(WorkerEntrypoint):
        async def start(self):
            async def tick():
                while True:
                    try:
                        await asyncio.sleep(1)
                    except asyncio.CancelledError:
                        pass  # refuses to be cancelled

            self.ctx.wait_until(tick())
            return "started"

    play = Playground()
    play.worker("T", Ticker)
    play.worker("C", Ticker, services={"T": "T"})
    assert play.run(play.env("C").T.start()) == "started"
    loop = play.loop
    play.close()
    assert loop.is_closed()
    del play
    gc.collect()
    assert noticed == []


def test_latest_and_playgrounds_do_not_keep_a_playground_alive() -> None:
    play = Playground()
    assert world.latest() is play and play in world.playgrounds()
    ref = weakref.ref(play)
    del play
    gc.collect()
    assert ref() is None
    assert world.latest() is None
    assert all(p is not None for p in world.playgrounds())
