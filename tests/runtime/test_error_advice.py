"""Errors that say what to do: the runtime's own words first, then, on a line of their own, what
happened and what to do about it; warnings that point at the user's line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import traceback
import warnings

import pytest

import playground
from playground import (
    ConnectionLost,
    DurableObject,
    IdentityTransformStream,
    Playground,
    RpcTarget,
    WorkerEntrypoint,
    dispose,
)
from playground.errors import DeadlockError, RpcError, StubLeakWarning
from playground.trace import CallEvent

from .services import failure

LOST = "Network connection lost."  # the runtime's text, always first
HERE = os.path.basename(__file__)


def line_of(marker: str) -> int:
    """The line of this file that holds ``marker`` (in a comment), for texts naming lines."""
    with open(__file__, encoding="utf-8") as source:
        lines = [n for n, text in enumerate(source, 1) if text.rstrip().endswith(f"# {marker}")]
    assert len(lines) == 1, marker
    return lines[0]


class Counter(RpcTarget):
    def __init__(self) -> None:
        self.n = 0

    def inc(self) -> int:
        self.n += 1
        return self.n

    async def wait(self):
        await asyncio.Event().wait()  # counter waits


class Service(WorkerEntrypoint):
    def counter(self):
        return Counter()

    def add(self, a, b):
        return a + b

    async def slow(self, seconds):
        await asyncio.sleep(seconds)
        return "done"

    async def hang(self):
        await asyncio.get_running_loop().create_future()  # service hangs

    async def consume(self, stream):
        return await stream.read_all()  # service reads


class Room(DurableObject):
    def visit(self):
        return "visited"

    async def stuck(self):
        await asyncio.Event().wait()  # room waits


def make(service=Service, **kwargs):
    """Worker ``client`` calls ``svc`` (``env.S``) and its Durable Object ``Room`` (``env.ROOM``)."""
    play = Playground(latency="10ms", **kwargs)
    play.worker("svc", service, exports=[Room], durable_objects={"ROOM": "Room"})
    play.worker("client", service, services={"S": "svc"}, durable_objects={"ROOM": ("svc", "Room")})
    return play, play.env("client")


# -- ConnectionLost: what broke, and what to do ------------------------------------------------

CRASH = (
    'Network connection lost.\nThe worker "svc" crashed (play.crash). A stub that came over the '
    "lost connection is dead for good: it will not reconnect, even after the worker restarts. Get "
    "a new one by calling again the method that gave it to you. A call on env.S can be retried as "
    "it is: each one opens a new connection."
)
CUT = (
    'Network connection lost.\nThe link between "client" and "svc" is cut (play.disconnect). Once '
    "it is back (play.reconnect), a call on env.S can be retried as it is: each one opens a new "
    "connection. A stub that came over the lost connection is dead for good: it will not "
    "reconnect, even once the link is back. Get a new one by calling again the method that gave "
    "it to you."
)


def test_a_stub_broken_by_a_crash_says_it_is_dead_for_good_and_how_to_get_a_new_one():
    play, env = make()

    async def scenario():
        counter = await env.S.counter()
        in_flight = asyncio.ensure_future(failure(env.S.slow(1)))
        await play.sleep(0.1)
        play.crash("svc")
        errors = [await in_flight, await failure(counter.inc())]
        dispose(counter)
        again = await env.S.counter()  # the advice works: a new stub from the binding
        with again:
            return errors, await again.inc()

    errors, fresh = play.run(scenario())
    for error in errors:
        assert type(error) is ConnectionLost and error.retryable
        assert str(error) == CRASH
        assert str(error).splitlines()[0] == LOST  # code matching the runtime's words still does
    assert fresh == 1


def test_a_durable_object_stub_broken_by_a_crash_says_to_get_a_new_one_from_the_namespace():
    play, env = make()
    ns = env.ROOM
    room = ns.get(ns.id_from_name("lobby"))
    assert play.run(room.visit()) == "visited"
    play.crash("svc")
    error = play.run(failure(room.visit()))
    assert type(error) is ConnectionLost
    assert str(error) == (
        'Network connection lost.\nThe Durable Object Room(lobby) of worker "svc" crashed '
        "(play.crash): its memory is lost, its storage kept. A stub to it is dead for good: it "
        "will not reconnect, even when the object starts again. Get a new one with "
        "env.ROOM.get(id) and call that."
    )
    assert play.run(ns.get(ns.id_from_name("lobby")).visit()) == "visited"


def test_a_cut_link_says_the_call_can_be_retried_once_it_is_back():
    play, env = make()

    async def scenario():
        counter = await env.S.counter()
        play.disconnect("client", "svc")
        errors = [await failure(counter.inc()), await failure(env.S.add(1, 2))]  # (the second: a new call, lost)
        play.reconnect("client", "svc")
        dispose(counter)
        return errors, await env.S.add(1, 2)

    errors, retried = play.run(scenario())
    assert [str(e) for e in errors] == [CUT, CUT]
    assert retried == 3


def test_a_lost_message_says_so_and_names_the_loss():
    play, env = make(seed=4)
    play.link("client", "svc", loss=0.5)

    async def first_lost():
        for i in range(20):
            try:
                await env.S.add(i, 0)
            except ConnectionLost as error:
                return error
        raise AssertionError("no message was lost")

    error = play.run(first_lost())
    assert str(error) == (
        f'{LOST}\nA message from "client" to "svc" was lost (their link drops messages: loss=0.5), '
        "and the connection with it; a call on env.S can be retried as it is: each one opens a new "
        "connection. A stub that came over the lost connection is dead for good: it will not "
        "reconnect, even though the link works. Get a new one by calling again the method that "
        "gave it to you."
    )


# -- leak warnings name the user's line --------------------------------------------------------


class Keeper(WorkerEntrypoint):
    def keep(self, target):
        self.kept = target.dup()  # leaked here
        return "kept"


def test_a_leak_warning_names_the_line_that_made_the_leaked_stub():
    play, env = make(Keeper)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert play.run(env.S.keep(Counter())) == "kept"
        play.run(play.idle())
    [warning] = [w for w in caught if w.category is StubLeakWarning]
    assert (warning.filename, warning.lineno) == (__file__, line_of("leaked here"))
    assert str(warning.message).endswith(
        f"(1 stub(s) in svc, keep; the first made at {HERE}:{line_of('leaked here')}; see play.trace)"
    )


def test_with_warnings_as_errors_the_leak_names_the_line_in_its_message():
    play, env = make(Keeper)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # python -W error
        with pytest.raises(StubLeakWarning, match=f"the first made at {HERE}:{line_of('leaked here')}"):
            play.run(env.S.keep(Counter()))
            play.run(play.idle())


# -- the hang error names the call that hung, and where its code waits -------------------------

HUNG = (
    "The Workers runtime canceled this request because it detected that your Worker's code had "
    "hung and would never generate a response. Refer to: "
    "https://developers.cloudflare.com/workers/observability/errors/"
)


def call_number(play, method):
    [seq] = [e.seq for e in play.trace.events if isinstance(e, CallEvent) and e.method == method]
    return seq


def at(marker, code):
    return f"{HERE}:{line_of(marker)} (`{code}`)"


def test_the_hang_error_names_the_call_that_hung_and_where_its_code_waits():
    play, env = make()
    error = play.run(failure(env.S.hang()))  # the hung call
    assert type(error) is RpcError
    assert str(error) == (
        f"{HUNG}\nThe call that hung: env.S.hang() (call #{call_number(play, 'hang')} from client to "
        f"svc, made at {HERE}:{line_of('the hung call')}). Its code waits in hang() at "
        f"{at('service hangs', 'await asyncio.get_running_loop().create_future()  # service hangs')}, "
        "for something nothing will ever do."
    )
    assert play.run(env.S.add(1, 2)) == 3


def test_the_hang_error_names_a_pipelined_call_and_a_call_on_a_stub_from_their_binding():
    play, env = make()

    async def scenario():
        pipelined = await failure(env.S.counter().wait())  # pipelined
        with await env.S.counter() as counter:
            on_stub = await failure(counter.wait())  # on a stub
        return pipelined, on_stub

    pipelined, on_stub = play.run(scenario())
    calls = [e.seq for e in play.trace.events if isinstance(e, CallEvent) and e.method == "wait"]
    waits = f"Its code waits in wait() at {at('counter waits', 'await asyncio.Event().wait()  # counter waits')}"
    assert str(pipelined) == (
        f"{HUNG}\nThe call that hung: env.S.counter().wait() (call #{calls[0]} from client to svc, "
        f"made at {HERE}:{line_of('pipelined')}). {waits}, for something nothing will ever do."
    )
    assert str(on_stub) == (
        f"{HUNG}\nThe call that hung: wait() on the stub from env.S.counter() (call #{calls[1]} from "
        f"client to svc, made at {HERE}:{line_of('on a stub')}). {waits}, for something nothing will "
        "ever do."
    )


def test_the_hang_error_of_a_durable_object_names_the_namespace():
    play, env = make()
    error = play.run(failure(env.ROOM.get_by_name("lobby").stuck()))  # a stuck room
    assert str(error) == (
        f"{HUNG}\nThe call that hung: stuck() on a Durable Object stub from env.ROOM (call "
        f"#{call_number(play, 'stuck')} from client to svc, made at {HERE}:{line_of('a stuck room')}). "
        f"Its code waits in stuck() at {at('room waits', 'await asyncio.Event().wait()  # room waits')}, "
        "for something nothing will ever do."
    )


def test_the_hang_error_of_a_reader_says_the_writer_was_never_closed():
    play, env = make()

    async def scenario():
        stream = IdentityTransformStream()
        writer = stream.writable.get_writer()
        consumed = env.S.consume(stream.readable)  # sends the stream
        await writer.write(b"some")  # ...and never closes the writer
        return await failure(consumed)

    error = play.run(scenario())
    assert str(error) == (
        f"{HUNG}\nThe call that hung: env.S.consume() (call #{call_number(play, 'consume')} from client "
        f"to svc, made at {HERE}:{line_of('sends the stream')}). Its code waits in consume() at "
        f"{at('service reads', 'return await stream.read_all()  # service reads')}, reading a stream "
        "for more data, but its writer, in client, was never closed: that code must call "
        "`await writer.close()` when it is done writing."
    )


# -- a DeadlockError says what waits ---------------------------------------------------------

DEADLOCK = (
    "Everything in the playground is waiting and nothing is scheduled to happen, so this would "
    "wait forever. Something is waiting for an event, future or reply that nothing will ever "
    "provide.\nWhat waits:\n"
)


def test_a_deadlock_names_the_users_line_that_waits():
    play, _ = make()

    async def stuck():
        await asyncio.Event().wait()  # main waits

    with pytest.raises(DeadlockError) as caught:
        play.run(stuck())
    assert str(caught.value) == (
        f"{DEADLOCK}- play.run() waits in stuck() at {at('main waits', 'await asyncio.Event().wait()  # main waits')}"
    )


def test_a_deadlock_on_a_stream_names_the_stream_and_the_writer_never_closed():
    play, _ = make()

    async def reads():
        stream = IdentityTransformStream()  # the stream
        writer = stream.writable.get_writer()  # the writer
        helper = asyncio.ensure_future(writer.write(b"only chunk"))
        data = await stream.readable.read_all()  # reads it all
        await helper
        return data

    with pytest.raises(DeadlockError) as caught:
        play.run(reads())
    assert str(caught.value) == (
        f"{DEADLOCK}- play.run() waits in reads() at "
        f"{at('reads it all', 'data = await stream.readable.read_all()  # reads it all')}, reading a "
        f"stream (made at {HERE}:{line_of('the stream')}) for more data, but its writer (taken at "
        f"{HERE}:{line_of('the writer')}) was never closed: call `await writer.close()` when done "
        "writing"
    )


def test_a_deadlock_lists_the_other_tasks_that_wait_too():
    play, _ = make()

    async def main():
        event = asyncio.Event()
        other = asyncio.ensure_future(event.wait())  # noqa: F841  (never set)

        async def helper():
            await event.wait()  # the helper waits

        helping = asyncio.ensure_future(helper())
        await asyncio.sleep(0)
        await helping  # main awaits the helper

    with pytest.raises(DeadlockError) as caught:
        play.run(main())
    lines = str(caught.value).split("\n")[2:]
    assert lines[0] == f"- play.run() waits in main() at {at('main awaits the helper', 'await helping  # main awaits the helper')}"
    assert f"- a task waits in helper() at {at('the helper waits', 'await event.wait()  # the helper waits')}" in lines
    assert len(lines) == 2  # (the bare event.wait() task waits in no user code: not listed)


stash: list = []


class Stasher(WorkerEntrypoint):
    def make(self):
        stream = IdentityTransformStream()  # made in a worker
        stash.append((stream.readable, stream.writable.get_writer()))  # its writer
        return "made"


def test_a_deadlock_of_an_await_from_another_loop_names_the_await():
    stash.clear()
    _, env = make(Stasher)

    async def cell():
        assert await env.S.make() == "made"
        readable, _ = stash[0]
        return await readable.read_all()  # the cell awaits

    with pytest.raises(DeadlockError) as caught:
        asyncio.run(cell())
    assert str(caught.value) == (
        "Everything in the playground is waiting and nothing is scheduled to happen, so this await "
        "would never finish. Something is waiting for an event, future or reply that nothing will "
        "ever provide.\nWhat waits:\n"
        f"- the await waits at {at('the cell awaits', 'return await readable.read_all()  # the cell awaits')}, "
        f"reading a stream (made at {HERE}:{line_of('made in a worker')}) for more data, but its writer "
        f"(taken at {HERE}:{line_of('its writer')}) was never closed: call `await writer.close()` when "
        "done writing"
    )


# -- tracebacks end in the user's code --------------------------------------------------------

PACKAGE = os.path.dirname(os.path.abspath(playground.__file__)) + os.sep


def frames(error):
    """``(file, function, line)`` of each frame of ``error``'s traceback; the playground's files
    all as "playground" (and no line)."""
    return [
        ("playground", f.name, 0) if f.filename.startswith(PACKAGE) else (os.path.basename(f.filename), f.name, f.lineno)
        for f in traceback.extract_tb(error.__traceback__)
    ]


def raised_by(run):
    """The exception ``run()`` raises, caught here (the traceback starts in this function)."""
    try:
        run()  # the traceback starts here
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("expected an exception")


RUN = ("playground", "run", 0)  # the one frame of ours: play.run raising the error it caught
CALLER = (HERE, "raised_by", line_of("the traceback starts here"))


class Local(RpcTarget):
    def boom(self):
        return helper()  # the local target calls a helper


def helper():
    raise ValueError("boom") from KeyError("the cause")  # raised in the user's code


def test_an_rpc_error_out_of_play_run_ends_in_the_users_await_with_one_frame_of_ours():
    play, env = make()

    async def main():
        return await env.S.add(1, None)  # fails on the other side

    error = raised_by(lambda: play.run(main()))  # play.run
    assert type(error) is TypeError and error.remote is True
    assert frames(error) == [CALLER, (HERE, "<lambda>", line_of("play.run")), RUN,
                             (HERE, "main", line_of("fails on the other side"))]
    text = "".join(traceback.format_exception(error))  # (what a script prints)
    assert text.endswith(
        "    return await env.S.add(1, None)  # fails on the other side\n"
        "           ^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'\n"
    )


def test_a_local_targets_error_keeps_the_users_frames_down_to_the_raise_and_its_cause():
    play, _ = make()

    async def main():
        return await playground.RpcStub(Local()).boom()  # a local stub

    error = raised_by(lambda: play.run(main()))
    assert frames(error)[2:] == [
        RUN,
        (HERE, "main", line_of("a local stub")),
        (HERE, "boom", line_of("the local target calls a helper")),
        (HERE, "helper", line_of("raised in the user's code")),
    ]
    assert type(error.__cause__) is KeyError  # the chained cause is kept


def test_an_error_awaited_again_does_not_pile_up_the_frames_of_every_await():
    play, env = make()

    async def main():
        counter = await env.S.counter()
        play.crash("svc")
        for _ in range(5):
            with pytest.raises(ConnectionLost) as earlier:
                await counter.inc()  # an earlier await
            assert frames(earlier.value) == [(HERE, "main", line_of("an earlier await"))]
        dispose(counter)
        await counter.inc()  # the last await

    error = raised_by(lambda: play.run(main()))
    assert frames(error)[2:] == [RUN, (HERE, "main", line_of("the last await"))]


def test_a_deadlock_ends_in_the_users_line_that_waits():
    play, _ = make()

    async def main():
        await asyncio.Event().wait()  # waits for ever

    error = raised_by(lambda: play.run(main()))
    assert type(error) is DeadlockError
    assert frames(error)[2:] == [RUN, (HERE, "main", line_of("waits for ever"))]


def test_an_await_from_another_loop_has_one_frame_of_ours():
    play, env = make()

    async def cell():
        return await env.S.add(1, None)  # awaited from asyncio.run

    error = raised_by(lambda: asyncio.run(cell()))
    ours = [f for f in frames(error) if f[0] == "playground"]
    assert len(ours) == 1 and frames(error)[-2:] == [(HERE, "cell", line_of("awaited from asyncio.run")), ours[0]]


def test_a_bug_of_the_playground_keeps_every_frame():
    play, _ = make()
    inside = {}  # a function whose code is in the package, as the playground's own would be
    exec(compile("def bug():\n    raise TypeError('a bug')\n", os.path.join(PACKAGE, "runtime", "bug.py"), "exec"), inside)

    async def main():
        inside["bug"]()  # calls the bug

    error = raised_by(lambda: play.run(main()))
    assert [f[1] for f in frames(error)] == ["raised_by", "<lambda>", "run", "run", "as_coroutine", "main", "bug"]
    assert frames(error)[-2:] == [(HERE, "main", line_of("calls the bug")), ("playground", "bug", 0)]


def test_full_tracebacks_keep_every_frame(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_FULL_TRACEBACKS", "1")
    play, env = make()

    async def main():
        return await env.S.add(1, None)

    error = raised_by(lambda: play.run(main()))
    assert [f[1] for f in frames(error) if f[0] == "playground"] == ["run", "run", "as_coroutine"]


def test_a_script_prints_a_traceback_that_ends_in_its_own_code(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "from playground import Playground, WorkerEntrypoint\n"
        "class Svc(WorkerEntrypoint):\n"
        "    def div(self, a, b):\n"
        "        return a / b\n"
        "play = Playground()\n"
        "play.worker('svc', Svc)\n"
        "play.worker('client', Svc, services={'S': 'svc'})\n"
        "async def main():\n"
        "    return await play.env('client').S.div(1, 0)\n"
        "play.run(main())\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.path.dirname(PACKAGE.rstrip(os.sep))}
    env.pop("PLAYGROUND_FULL_TRACEBACKS", None)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    files = [line.split('"')[1] for line in lines if line.startswith('  File "')]
    assert files == [str(script), os.path.join(PACKAGE, "runtime", "world.py"), str(script)]  # (were 5)
    assert lines[-3:] == [
        "    return await play.env('client').S.div(1, 0)",
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "ZeroDivisionError: division by zero",
    ]


class Numbers(WorkerEntrypoint):
    def numbers(self):
        stream = IdentityTransformStream()
        writer = stream.writable.get_writer()

        async def produce():
            await writer.write(b"1, 2, 3")  # and never `await writer.close()`

        self.ctx.wait_until(produce())
        return stream.readable


def test_a_stream_whose_writer_was_never_closed_says_so_after_the_runtimes_words():
    play = Playground(latency="10ms")
    play.worker("numbers", Numbers)
    play.worker("app", Numbers, services={"N": "numbers"})

    async def main():
        readable = await play.env("app").N.numbers()
        return await failure(readable.read_all())

    error = play.run(main())
    assert type(error) is RpcError
    assert str(error) == (
        "ReadableStream received over RPC disconnected prematurely.\n"
        "The side that wrote the stream let it go before closing it: its request ended, or its "
        "writer was dropped, without `await writer.close()`. Close the writer when done writing, "
        "and keep the request alive until then (return the stream and write in code passed to "
        "`ctx.wait_until(...)`, which then must close it)."
    )
    play.close()
