"""The guided tour: every example of the seed document, run in the playground, in the terminal.

Each stop is a small program. The tour shows its code, runs exactly that code in a fresh
playground with 25 ms links, and shows what came back, the round trips and the virtual time —
and, for promise pipelining, what pipelining saved.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass
from typing import Any

import playground

__all__ = ["STOPS", "Stop", "main", "run_stop"]


@dataclass(frozen=True)
class Stop:
    """One example: a title, the seed's words for it, and the code to run.

    ``code`` must define ``play`` (a Playground) and ``async def main()``; ``main()``'s result is
    shown. Everything in ``playground`` is imported for it.
    """

    title: str
    words: str
    code: str
    baseline: str | None = None  # another coroutine function of the code, to compare with


STOPS: list[Stop] = [
    Stop(
        "Worker A calls a method of Worker B",
        "Worker B implements add(a, b); Worker A declares a service binding to it and calls it "
        "like a local function. All calls are asynchronous: you await them.",
        '''
        class WorkerB(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("Hello from Worker B")

            def add(self, a, b):
                return a + b

        class WorkerA(WorkerEntrypoint):
            async def fetch(self, request):
                result = await self.env.WORKER_B.add(1, 2)
                return Response(f"Result: {result}")

        play = Playground(latency="25ms")
        play.worker("worker_b", WorkerB)
        play.worker("worker_a", WorkerA, services={"WORKER_B": "worker_b"})

        async def main():
            env = play.env("worker_a")        # act as worker_a
            return await env.WORKER_B.add(1, 2)
        ''',
    ),
    Stop(
        "An HTTP request into Worker A",
        "fetch() is not RPC: it sends a Request to the worker's fetch handler. Here it comes from "
        "the Internet to Worker A, whose handler then calls Worker B over RPC.",
        '''
        class WorkerB(WorkerEntrypoint):
            def add(self, a, b):
                return a + b

        class WorkerA(WorkerEntrypoint):
            async def fetch(self, request):
                result = await self.env.WORKER_B.add(1, 2)
                return Response(f"Result: {result}")

        play = Playground(latency="25ms")
        play.worker("worker_b", WorkerB)
        play.worker("worker_a", WorkerA, services={"WORKER_B": "worker_b"})

        async def main():
            response = await play.fetch("worker_a", "http://worker-a/")
            return await response.text()
        ''',
    ),
    Stop(
        "Functions are passed by reference",
        "newCounter() returns a closure. The caller gets a stub: calling it makes an RPC back to "
        "counter-service, where the closure — and its state — lives.",
        '''
        class CounterService(WorkerEntrypoint):
            async def new_counter(self):
                value = 0
                def counter(increment=0):
                    nonlocal value
                    value += increment
                    return value
                return counter

        play = Playground(latency="25ms")
        play.worker("counter-service", CounterService)
        play.worker("client_worker", CounterService,
                    services={"COUNTER_SERVICE": "counter-service"})

        async def main():
            env = play.env("client_worker")
            with await env.COUNTER_SERVICE.new_counter() as f:
                return [await f(2), await f(1), await f(-5)]
        ''',
    ),
    Stop(
        "Functions as parameters: the callee calls back",
        "Send a function in the parameters and the callee can call it: the RPC flows the other "
        "way. Say caller and callee, not client and server.",
        '''
        class Service(WorkerEntrypoint):
            async def call_me(self, callback, value):
                return f"callback returned {await callback(value)}"

        play = Playground(latency="25ms")
        play.worker("service", Service)
        play.worker("client", Service, services={"SERVICE": "service"})

        async def main():
            env = play.env("client")
            return await env.SERVICE.call_me(lambda v: v * 2, 21)
        ''',
    ),
    Stop(
        "Class instances: RpcTarget",
        "A class extending RpcTarget crosses by reference. Its methods and properties are "
        "reachable; its private state is not. One stub, however many methods.",
        '''
        class Counter(RpcTarget):
            def __init__(self):
                self._value = 0          # private: not reachable over RPC
            def increment(self, amount):
                self._value += amount
                return self._value
            @property
            def value(self):
                return self._value

        class CounterService(WorkerEntrypoint):
            async def new_counter(self):
                return Counter()

        class Default:                   # export default { fetch() {...} }
            def fetch(self, request, env, ctx):
                return Response("ok")

        play = Playground(latency="25ms")
        play.worker("counter", Default, exports=[CounterService])
        play.worker("client-worker", Default,
                    services={"COUNTER_SERVICE": ("counter", "CounterService")})

        async def main():
            env = play.env("client-worker")
            with await env.COUNTER_SERVICE.new_counter() as counter:
                steps = [await counter.increment(2), await counter.increment(1),
                         await counter.increment(-5)]
                return steps, await counter.value
        ''',
    ),
    Stop(
        "Promise pipelining: one round trip instead of two",
        "getCounter() then increment(): with an await in between (awaited), the second call "
        "waits for the first to come back. Omit the first await (main): get_counter() returns a "
        "promise for a counter, and the call on it leaves at once, addressed to the result that "
        "has not come back yet.",
        '''
        class Counter(RpcTarget):
            def __init__(self):
                self._n = 0
            def increment(self):
                self._n += 1
                return self._n

        class CounterService(WorkerEntrypoint):
            def get_counter(self):
                return Counter()

        play = Playground(latency="25ms")
        play.worker("counter-service", CounterService)
        play.worker("client", CounterService, services={"COUNTER_SERVICE": "counter-service"})
        env = play.env("client")

        async def awaited():
            with await env.COUNTER_SERVICE.get_counter() as counter:   # round trip 1
                return await counter.increment()                       # round trip 2

        async def main():
            with env.COUNTER_SERVICE.get_counter() as promise_for_counter:  # no await
                return await promise_for_counter.increment()
        ''',
        baseline="awaited",
    ),
    Stop(
        "Pipelining into properties and functions",
        "Pipelining reaches into returned objects: foo().bar.baz() is one round trip.",
        '''
        class MyService(WorkerEntrypoint):
            async def foo(self):
                return {"bar": {"baz": lambda: "qux"}}

        play = Playground(latency="25ms")
        play.worker("my-service", MyService)
        play.worker("client", MyService, services={"MY_SERVICE": "my-service"})

        async def main():
            env = play.env("client")
            with env.MY_SERVICE.foo() as foo:
                return await foo.bar.baz()
        ''',
    ),
    Stop(
        "A failed call fails its pipelined calls too",
        "If the first call throws, every call pipelined on it fails with the same exception.",
        '''
        class MyService(WorkerEntrypoint):
            def get_account(self, name):
                raise KeyError(name)

        play = Playground(latency="25ms")
        play.worker("my-service", MyService)
        play.worker("client", MyService, services={"MY_SERVICE": "my-service"})

        async def main():
            env = play.env("client")
            with env.MY_SERVICE.get_account("nobody") as account:
                try:
                    await account.balance()
                except KeyError as error:
                    return f"{type(error).__name__}: {error} (remote={error.remote})"
        ''',
    ),
    Stop(
        "Forwarding a stub to a third worker",
        "The caller (the introducer) passes a counter from COUNTER_SERVICE to ANOTHER_SERVICE. "
        "ANOTHER_SERVICE's calls on it travel through the introducer: two hops each way.",
        '''
        class Counter(RpcTarget):
            def __init__(self):
                self._n = 0
            def increment(self, by):
                self._n += by
                return self._n

        class CounterService(WorkerEntrypoint):
            def get_counter(self):
                return Counter()

        class AnotherService(WorkerEntrypoint):
            async def use_counter(self, counter):
                return await counter.increment(5)

        play = Playground(latency="25ms")
        play.worker("counter-service", CounterService)
        play.worker("another-service", AnotherService)
        play.worker("introducer", CounterService, services={
            "COUNTER_SERVICE": "counter-service", "ANOTHER_SERVICE": "another-service"})

        async def main():
            env = play.env("introducer")
            with await env.COUNTER_SERVICE.get_counter() as counter:
                return await env.ANOTHER_SERVICE.use_counter(counter)
        ''',
    ),
    Stop(
        "Disposal: who owns a stub, and dup()",
        "Stubs hold remote objects alive. Dispose them (with, or playground.dispose); dup() "
        "gives an independent copy. The target's __dispose__ runs after the last copy goes.",
        '''
        class Session(RpcTarget):
            def __init__(self):
                self.closed = False
            def ping(self):
                return "pong"
            def __dispose__(self):
                print("    (Session.__dispose__ ran in auth-service)")

        class Auth(WorkerEntrypoint):
            def login(self):
                return Session()

        play = Playground(latency="25ms")
        play.worker("auth-service", Auth)
        play.worker("app", Auth, services={"AUTH": "auth-service"})

        async def main():
            env = play.env("app")
            session = await env.AUTH.login()
            keep = session.dup()
            dispose(session)                 # one copy gone: the target stays
            answer = await keep.ping()
            dispose(keep)                    # the last copy: the target is released
            await play.idle()
            return answer, play.leaks()
        ''',
    ),
    Stop(
        "Streams, with flow control",
        "ReadableStream, WritableStream, Request and Response cross RPC; their bytes flow with "
        "flow control, and ownership moves to the receiver.",
        '''
        class Uploader(WorkerEntrypoint):
            async def upload(self, readable):
                size = 0
                async for chunk in readable:      # each chunk acknowledged once read
                    size += len(chunk)
                return size

        play = Playground(latency="25ms", bandwidth="10MB/s", stream_window=256 * 1024)
        play.worker("uploader", Uploader)
        play.worker("client", Uploader, services={"UPLOADER": "uploader"})

        async def main():
            env = play.env("client")
            chunks = (bytes(64 * 1024) for _ in range(32))        # 2 MiB
            return await env.UPLOADER.upload(ReadableStream.from_iterable(chunks))
        ''',
    ),
    Stop(
        "The 32 MiB limit",
        "Arguments (together) or a result may be at most 32 MiB once serialized.",
        '''
        class MyService(WorkerEntrypoint):
            async def foo(self):
                return bytes(33 * 1024 * 1024)   # 33 MiB

        play = Playground(latency="25ms")
        play.worker("my-service", MyService)
        play.worker("client", MyService, services={"MY_SERVICE": "my-service"})

        async def main():
            env = play.env("client")
            try:
                await env.MY_SERVICE.foo()
            except RpcError as error:
                return str(error)
        ''',
    ),
    Stop(
        "Streams are the way past the limit",
        "The same 33 MiB, returned as a ReadableStream: stream bodies do not count.",
        '''
        class MyService(WorkerEntrypoint):
            async def foo(self):
                size_in_bytes = 33 * 1024 * 1024   # 33 MiB
                arr = bytes(size_in_bytes)
                return ReadableStream.from_iterable([arr])

        play = Playground(latency="25ms")
        play.worker("my-service", MyService)
        play.worker("client", MyService, services={"MY_SERVICE": "my-service"})

        async def main():
            env = play.env("client")
            stream = await env.MY_SERVICE.foo()
            return len(await stream.read_all())
        ''',
    ),
]


def run_stop(stop: Stop) -> tuple[Any, Any, Any, Any]:
    """Run a stop's code in a fresh namespace; returns ``(result, trace segment, playground,
    baseline segment or None)``."""
    namespace: dict[str, Any] = {name: getattr(playground, name) for name in playground.__all__}
    exec(compile(textwrap.dedent(stop.code), f"<tour: {stop.title}>", "exec"), namespace)
    play = namespace["play"]
    baseline = None
    if stop.baseline is not None:
        with play.record() as baseline:
            play.run(namespace[stop.baseline]())
    with play.record() as segment:
        result = play.run(namespace["main"]())
    return result, segment, play, baseline


def main(argv: list[str] | None = None) -> int:
    """Print the tour with rich."""
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.syntax import Syntax
    from rich.table import Table
    from rich.text import Text

    console = Console()
    started = time.perf_counter()
    console.print(
        Panel.fit(
            Text.from_markup(
                "[bold]The playground tour[/]: every example of Cloudflare's Workers RPC page, "
                "run in Python\non a simulated network with [bold]25 ms[/] between workers, in "
                "virtual time."
            ),
            border_style="cyan",
        )
    )
    for number, stop in enumerate(STOPS, 1):
        result, segment, play, baseline = run_stop(stop)
        console.print(Rule(f"[bold]{number}. {stop.title}"))
        console.print(Text(stop.words, style="italic"))
        console.print(Syntax(textwrap.dedent(stop.code).strip(), "python", theme="ansi_dark", line_numbers=False))
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold cyan")
        facts.add_column()
        facts.add_row("result", _short(result))
        facts.add_row("round trips", str(segment.round_trips))
        facts.add_row("virtual time", f"{segment.elapsed * 1000:g} ms")
        facts.add_row(
            "messages", f"{len(segment.messages)} ({segment.bytes:,} bytes), {len(segment.calls)} call(s), "
            f"{segment.pipelined} pipelined"
        )
        streams = segment.stream_events
        if streams:
            stalls = sum(1 for e in streams if e.action == "stall")
            chunks = sum(1 for e in streams if e.action == "chunk")
            facts.add_row("streams", f"{chunks} chunk(s), window {max(e.window for e in streams):,} bytes, {stalls} stall(s)")
        if baseline is not None:
            facts.add_row(
                "saving",
                f"{stop.baseline}(): {baseline.round_trips} round trips, {baseline.elapsed * 1000:g} ms; "
                f"main(): {segment.round_trips}, {segment.elapsed * 1000:g} ms — pipelining saved "
                f"{baseline.round_trips - segment.round_trips} round trip(s)",
            )
        console.print(Group(facts, segment))
        play.run(play.idle())
        play.close()
    console.print(Rule())
    console.print(
        f"[bold green]Done:[/] {len(STOPS)} examples in {time.perf_counter() - started:.1f} s of wall "
        "time. Next: `make test`, or open notebooks/00-start-here.ipynb."
    )
    return 0


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
