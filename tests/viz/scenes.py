"""The seed's examples as recorded traces, shared by the visualiser's tests and docs/images."""

from __future__ import annotations

from playground import DurableObject, Playground, Response, RpcTarget, WorkerEntrypoint
from playground.trace import Recording


class Counter(RpcTarget):
    def __init__(self) -> None:
        self._value = 0

    def increment(self, amount: int = 1) -> int:
        self._value += amount
        return self._value


class CounterService(WorkerEntrypoint):
    def get_counter(self) -> Counter:
        return Counter()


class OkHandler:
    def fetch(self, request, env, ctx):
        return Response("ok")


class Client(WorkerEntrypoint):
    pass


class AnotherService(WorkerEntrypoint):
    async def use_counter(self, counter):
        return await counter.increment(5)


class Caller(WorkerEntrypoint):
    async def call_me(self, callback, value):
        return f"callback returned {await callback(value)}"


def counter_world() -> Playground:
    play = Playground(latency="25ms")
    play.worker("counter", OkHandler, exports=[CounterService])
    play.worker("client", Client, services={"COUNTER_SERVICE": ("counter", "CounterService")})
    return play


def pipelined_counter() -> tuple[Playground, Recording]:
    """``get_counter().increment(2)`` without awaiting the counter: one round trip."""
    play = counter_world()
    env = play.env("client")

    async def main():
        with env.COUNTER_SERVICE.get_counter() as counter:
            return await counter.increment(2)

    with play.record() as rec:
        play.run(main())
    return play, rec


def awaited_counter() -> tuple[Playground, Recording]:
    """The counter awaited first, then incremented: two round trips."""
    play = counter_world()
    env = play.env("client")

    async def main():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            return await counter.increment(2)

    with play.record() as rec:
        play.run(main())
    return play, rec


def leaked_counter() -> tuple[Playground, Recording]:
    """A counter awaited and never disposed: its stub is alive at the end."""
    play = counter_world()
    env = play.env("client")

    async def main():
        counter = await env.COUNTER_SERVICE.get_counter()
        return counter, await counter.increment()

    with play.record() as rec:
        play.leaked = play.run(main())[0]  # type: ignore[attr-defined]
    return play, rec


def forwarding() -> tuple[Playground, Recording]:
    """Three workers: the introducer passes a counter stub to another service."""
    play = Playground(latency="25ms")
    play.worker("counter", OkHandler, exports=[CounterService])
    play.worker("another", AnotherService)
    play.worker(
        "introducer",
        Client,
        services={"COUNTER_SERVICE": ("counter", "CounterService"), "ANOTHER_SERVICE": "another"},
    )
    env = play.env("introducer")

    async def main():
        with await env.COUNTER_SERVICE.get_counter() as counter:
            return await env.ANOTHER_SERVICE.use_counter(counter)

    with play.record() as rec:
        play.run(main())
    return play, rec


def callback() -> tuple[Playground, Recording]:
    """Worker a passes a function to b, which calls it back: two round trips."""
    play = Playground(latency="25ms")
    play.worker("b", Caller)
    play.worker("a", Client, services={"B": "b"})
    env = play.env("a")

    def double(v: int) -> int:
        return v * 2

    with play.record() as rec:
        play.run(env.B.call_me(double, 21))
    return play, rec


def many_calls(n: int, *, latency: str = "1ms") -> tuple[Playground, Recording]:
    """``n`` sequential awaited calls (each four messages: push, pull, resolve, release)."""
    play = counter_world()
    play.link("client", "counter", latency=latency)
    env = play.env("client")

    async def main():
        with env.COUNTER_SERVICE.get_counter() as counter:
            for _ in range(n):
                await counter.increment()

    with play.record() as rec:
        play.run(main())
    return play, rec


class Uploader(WorkerEntrypoint):
    async def upload(self, readable):
        from playground import sleep

        size = 0
        async for chunk in readable:
            size += len(chunk)
            await sleep(0.01)  # a slow reader: the writer waits for its window
        return size


def slow_reader_stream() -> tuple[Playground, Recording]:
    """A 512 KiB stream in 32 KiB chunks through a 96 KiB window to a reader that pauses."""
    from playground import ReadableStream

    play = Playground(latency="10ms", stream_window=96 * 1024)
    play.worker("uploader", Uploader)
    play.worker("client", Client, services={"UPLOADER": "uploader"})
    env = play.env("client")
    chunks = (bytes(32 * 1024) for _ in range(16))
    with play.record() as rec:
        play.run(env.UPLOADER.upload(ReadableStream.from_iterable(chunks)))
    return play, rec


class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.visits = 0

    def visit(self) -> int:
        self.visits += 1
        return self.visits


def crashed_room() -> tuple[Playground, Recording]:
    """A Durable Object's worker crashes: a call on the old stub fails at once, sending nothing;
    a new stub from the namespace works."""
    from playground import ConnectionLost, dispose

    play = Playground(latency="10ms")
    play.worker("rooms", Client, exports=[Room], durable_objects={"ROOM": "Room"})
    play.worker("app", Client, durable_objects={"ROOM": ("rooms", "Room")})
    ns = play.env("app").ROOM
    room = ns.get(ns.id_from_name("lobby"))
    play.run(room.visit())

    async def main():
        play.crash("rooms")
        try:
            await room.visit()
        except ConnectionLost:
            pass
        dispose(room)
        with ns.get(ns.id_from_name("lobby")) as fresh:
            return await fresh.visit()

    with play.record() as rec:
        play.run(main())
    return play, rec
