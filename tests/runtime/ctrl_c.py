"""A Ctrl-C sweep: one ``play.run`` of a small scenario, interrupted at its N-th point.

The scenario has a service binding call chain (front -> mid -> back), a pipelined call, a stub
passed and disposed, a Durable Object call and a small stream. A *point* is a 'line' event
(``sys.settrace``) in the playground's code or in the workers' code below, so the sweep is
deterministic: the same N is the same bytecode of the same run.

Two ways to interrupt at a point:

* ``"signal"``: a Ctrl-C arrives there: the SIGINT handler installed at that moment is called
  with that frame, as CPython calls it between two bytecodes of the main thread (Python's
  default handler raises ``KeyboardInterrupt`` right there). Points are lines of the
  playground, of asyncio and of the workers.
* ``"raise"``: ``KeyboardInterrupt`` is raised at that line of the *workers'* code (user code
  that raises it, or a Ctrl-C arriving in user code), never inside the playground's own code.

:func:`check_point` then checks what must hold after a Ctrl-C and returns what went wrong.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import warnings
from typing import Any

import playground
from playground import DurableObject, Playground, ReadableStream, RpcStub, RpcTarget, WorkerEntrypoint
from playground.errors import PlaygroundError, StubLeakWarning
from playground.testing import leak_report

PACKAGE_DIR = os.path.dirname(playground.__file__) + os.sep
ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
THIS_FILE = __file__


class Counter(RpcTarget):
    def __init__(self) -> None:
        self.n = 0

    def increment(self, by: int) -> int:
        self.n += by
        return self.n


class Local(RpcTarget):
    def __init__(self) -> None:
        self.disposed = False

    def hello(self, name: str) -> str:
        return f"hello {name}"

    def __dispose__(self) -> None:
        self.disposed = True


class Room(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.visits = 0

    async def visit(self) -> int:
        await asyncio.sleep(0.001)
        self.visits += 1
        return self.visits


class Back(WorkerEntrypoint):
    def depth(self, n: int) -> int:
        return n + 1

    def counter(self) -> Counter:
        return Counter()

    async def greet(self, stub: Any) -> str:
        with stub:
            return await stub.hello("back")

    def chunks(self) -> ReadableStream:
        return ReadableStream.from_iterable([b"ab", b"cd", b"ef"])


class Mid(WorkerEntrypoint):
    async def chain(self, n: int) -> int:
        return await self.env.BACK.depth(n) + 1


class Front(WorkerEntrypoint):
    async def go(self) -> list[Any]:
        env = self.env
        chained = await env.MID.chain(1)
        with env.BACK.counter() as counter:  # a pipelined call
            incremented = await counter.increment(5)
        with RpcStub(Local()) as local:  # a stub passed, then disposed on both sides
            greeting = await env.BACK.greet(local)
        with env.ROOM.get(env.ROOM.id_from_name("r")) as room:
            visits = await room.visit()
        body = await (await env.BACK.chunks()).read_all()
        return [chained, incremented, greeting, visits >= 1, body]

    def ping(self) -> str:
        return "pong"


class Client(WorkerEntrypoint):
    pass


EXPECTED = [3, 5, "hello back", True, b"abcdef"]


def make() -> tuple[Playground, Any]:
    play = Playground(latency="5ms", seed=0)
    play.worker("back", Back)
    play.worker("mid", Mid, services={"BACK": "back"})
    play.worker("front", Front, exports=[Room], services={"MID": "mid", "BACK": "back"},
                durable_objects={"ROOM": "Room"})
    play.worker("client", Client, services={"FRONT": "front"})
    return play, play.env("client")


class Injector:
    """A trace function that interrupts at the ``at``-th point (1-based; 0: never) and counts
    the points it saw."""

    def __init__(self, at: int, mode: str) -> None:
        self.at = at
        self.mode = mode
        self.count = 0
        self.fired = False
        self.in_user_code = False

    def _counts(self, filename: str) -> bool:
        if self.mode == "raise":
            return filename == THIS_FILE
        return filename == THIS_FILE or filename.startswith((PACKAGE_DIR, ASYNCIO_DIR))

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        if self.fired or not self._counts(frame.f_code.co_filename):
            return None
        return self.local

    def local(self, frame: Any, event: str, arg: Any) -> Any:
        if self.fired:
            return None
        if event != "line":
            return self.local
        self.count += 1
        if self.count == self.at:
            self.fired = True
            self.in_user_code = frame.f_code.co_filename == THIS_FILE
            if self.mode == "signal":
                handler = signal.getsignal(signal.SIGINT)
                assert callable(handler)
                handler(signal.SIGINT, frame)
            else:
                raise KeyboardInterrupt
        return self.local


def points(mode: str) -> int:
    """How many points one uninterrupted run of the scenario has."""
    play, env = make()
    with env.FRONT.go() as warm_up:  # (the first run in a process fills caches: not counted)
        play.run(warm_up)
    play.close()
    play, env = make()
    promise = env.FRONT.go()
    injector = Injector(0, mode)
    sys.settrace(injector.trace)
    try:
        result = play.run(promise)
    finally:
        sys.settrace(None)
    assert result == EXPECTED, result
    promise.__exit__(None, None, None)
    play.close()
    return injector.count


def check_point(at: int, mode: str) -> list[str]:
    """Interrupt the scenario's run at point ``at``; what went wrong afterwards (empty: nothing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        injector = Injector(at, mode)
        problems = _interrupted_run(injector)
    for warning in caught:
        # Worker code interrupted between making a stub and disposing it leaks that stub, as
        # any exception there would: the runtime's warning is then right.
        if not (injector.in_user_code and issubclass(warning.category, StubLeakWarning)):
            problems.append(f"warning: {warning.message}")
    return problems


def _interrupted_run(injector: Injector) -> list[str]:
    problems: list[str] = []
    play, env = make()
    promise = env.FRONT.go()
    interrupts = 0
    sys.settrace(injector.trace)
    try:
        result: Any = play.run(promise)
    except KeyboardInterrupt:
        interrupts += 1
        result = None
    except BaseException as exc:  # noqa: BLE001 - reported
        problems.append(f"the interrupted run raised {exc!r}")
        result = None
    finally:
        sys.settrace(None)
    return problems + _after(play, env, promise, injector, interrupts, result)


def _after(play: Playground, env: Any, promise: Any, injector: Injector, interrupts: int, result: Any) -> list[str]:
    problems: list[str] = []
    if not injector.fired:
        problems.append("never interrupted")
    if interrupts != 1:
        problems.append(f"KeyboardInterrupt reached the caller {interrupts} times (result {result!r})")
    try:
        for _ in range(2):  # the next cells: a fresh call, then the whole scenario again
            pong = play.run(env.FRONT.ping())
            if pong != "pong":
                problems.append(f"next call gave {pong!r}")
        with env.FRONT.go() as again:
            second = play.run(again)
        if second[:3] != EXPECTED[:3] or second[4] != EXPECTED[4]:
            problems.append(f"the scenario run again gave {second!r}")
    except BaseException as exc:  # noqa: BLE001 - reported
        problems.append(f"the next call raised {exc!r}")
    try:
        value = play.run(promise)
        if value != EXPECTED:
            problems.append(f"awaiting the interrupted promise again gave {value!r}")
    except PlaygroundError as exc:
        if "interrupted" not in str(exc):
            problems.append(f"awaiting the interrupted promise again raised an unclear {exc!r}")
    except BaseException as exc:  # noqa: BLE001 - reported
        problems.append(f"awaiting the interrupted promise again raised {exc!r}")
    try:
        promise.__exit__(None, None, None)
        problems += leak_report(play)
    except BaseException as exc:  # noqa: BLE001 - reported
        problems.append(f"the leak check raised {exc!r}")
    try:
        play.close()
    except BaseException as exc:  # noqa: BLE001 - reported
        problems.append(f"closing raised {exc!r}")
    return problems


def classify(problem: str) -> str:
    for key in (
        "reached the caller 2",
        "reached the caller 0",
        "already running inside",
        "still open",
        "not disposed",
        "CancelledError",
        "KeyboardInterrupt()",
        "next call raised",
        "interrupted run raised",
        "promise again",
        "leak check raised",
        "closing raised",
    ):
        if key in problem:
            return key
    return problem[:60]


def sweep(mode: str, samples: int | None = None) -> tuple[int, int, dict[str, int], dict[int, list[str]]]:
    """Check ``samples`` points spread evenly over the run (all of them if None)."""
    total = points(mode)
    if samples is None or samples >= total:
        chosen = list(range(1, total + 1))
    else:
        chosen = sorted({1 + i * (total - 1) // (samples - 1) for i in range(samples)})
    failures: dict[int, list[str]] = {}
    classes: dict[str, int] = {}
    for at in chosen:
        problems = check_point(at, mode)
        if problems:
            failures[at] = problems
            for key in {classify(p) for p in problems}:
                classes[key] = classes.get(key, 0) + 1
    return total, len(chosen), classes, failures


if __name__ == "__main__":  # python -m tests.runtime.ctrl_c [signal|raise] [samples]

    mode = sys.argv[1] if len(sys.argv) > 1 else "signal"
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else None
    total, checked, classes, failures = sweep(mode, samples)
    print(f"mode {mode}: {total} points, {checked} checked, {len(failures)} failed")
    for key, count in sorted(classes.items(), key=lambda kv: -kv[1]):
        print(f"  {count:5d}  {key}")
    for at, problems in list(failures.items())[:15]:
        print(at, problems)
