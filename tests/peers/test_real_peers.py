"""Real peers over real loopback sockets: a playground serves a worker, another connects to it,
both in this process (the test's asyncio loop runs the server's playground; the client's awaits
wait for real I/O on it). Nothing sleeps: every wait is for a real message."""

from __future__ import annotations

import asyncio
import contextvars
import json

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose
from playground.codec.capnweb import CapnWebCodec
from playground.errors import ConfigurationError
from playground.trace.stats import round_trips

pytest.importorskip("websockets", reason="real peers need pip install 'workers-rpc-playground[peers]'")
pytest.importorskip("aiohttp", reason="real peers need pip install 'workers-rpc-playground[peers]'")

pytestmark = pytest.mark.peers


CODEC = None  # (the default: Cap'n Web's JSON, playground.codec.capnweb)


class Counter(RpcTarget):
    def __init__(self) -> None:
        self.n = 0

    def inc(self, by: int = 1) -> int:
        self.n += by
        return self.n


class Api(WorkerEntrypoint):
    def add(self, a: int, b: int) -> int:
        return a + b

    def counter(self) -> Counter:
        return Counter()

    async def twice(self, callback):  # type: ignore[no-untyped-def]
        first = await callback(1)
        return [first, await callback(2)]

    def fail(self) -> None:
        raise ValueError("no such thing")

    def numbers(self) -> list[int]:
        return [1, 2, 3]

    greeting = "hello"


def pair():  # type: ignore[no-untyped-def]
    server_play = Playground()
    server_play.worker("api", Api)
    client_play = Playground()
    return server_play, client_play


def run(main):  # type: ignore[no-untyped-def]
    """Run ``main(server_play, client_play)`` on an asyncio loop (which runs the server's
    playground), closing both playgrounds at the end."""
    server_play, client_play = pair()

    async def body():  # type: ignore[no-untyped-def]
        try:
            return await main(server_play, client_play)
        finally:
            client_play.close()
            server_play.close()

    return asyncio.run(body())


def kinds(play: Playground, peer: str) -> list[tuple[str, str]]:
    """(direction, kind) of every message between the client and ``peer``, in order."""
    return [("out" if m.sender == "internet" else "in", str(m.kind)) for m in play.trace.messages]


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_a_call_and_a_property_over_a_real_socket(scheme: str) -> None:
    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        url = server.url if scheme == "ws" else server.batch_url
        stub = await client_play.connect(url, codec=CODEC)
        total = await stub.add(2, 3)
        assert total == 5
        if scheme == "ws":
            assert await stub.greeting == "hello"
        dispose(stub)
        lane = f"127.0.0.1:{server.port}"
        assert lane in client_play.trace.workers
        return [m.size > 0 for m in client_play.trace.messages]

    sizes = run(main)
    assert sizes and all(sizes)


def test_a_pipelined_chain_is_one_round_trip_over_a_websocket() -> None:
    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.url, codec=CODEC)
        value = await stub.counter().inc(5)
        end = client_play.peers.lifecycle.connections()[0]
        sent, received = end.transport.sent, end.received
        dispose(stub)
        return value, sent, received, kinds(client_play, "")

    value, sent, received, seen = run(main)
    assert value == 5
    # push counter, push inc (pipelined on its result), pull: three frames out, one answer back
    assert seen[:4] == [("out", "push"), ("out", "push"), ("out", "pull"), ("in", "resolve")]
    assert received == 1 or seen[4:5] == [("in", "resolve")]


def test_a_pipelined_chain_is_one_http_request() -> None:
    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.batch_url, codec=CODEC)
        value = await stub.counter().inc(7)
        return value, server.real.batches, server.sessions

    value, batches, sessions = run(main)
    assert (value, batches, sessions) == (7, 1, 1)


def test_map_capturing_the_main_stub_runs_on_the_server_in_one_round_trip() -> None:
    """The captured main stub goes back as the server's own (``["import", 0]``), so the mapped
    calls run there; the map's push is encoded with the remap expression as its arguments."""

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.url, codec=CODEC)
        doubled = await stub.numbers().map(lambda x: stub.add(x, x))
        dispose(stub)
        return doubled, kinds(client_play, "")

    doubled, seen = run(main)
    assert doubled == [2, 4, 6]
    assert seen[:4] == [("out", "push"), ("out", "push"), ("out", "pull"), ("in", "resolve")]


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_every_session_of_a_server_numbers_its_own_pushes(scheme: str) -> None:
    """A codec is one end of one session: the server gives each session its own (a copy of the
    one given to serve), so a second client's first push is its push 1 again."""

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CapnWebCodec(), quiet=True)
        url = server.url if scheme == "ws" else server.batch_url
        totals = []
        for n in range(3):
            stub = await client_play.connect(url, codec=CODEC)
            totals.append(await stub.add(n, n))
            dispose(stub)
        return totals, server.sessions

    assert run(main) == ([0, 2, 4], 3)


def test_a_callback_passed_from_client_to_server_is_called_back() -> None:
    seen: list[int] = []

    def callback(n: int) -> int:
        seen.append(n)
        return n * 10

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.url, codec=CODEC)
        result = await stub.twice(callback)
        dispose(stub)
        return result

    assert run(main) == [10, 20]
    assert seen == [1, 2]


def test_disposal_reaches_the_other_side() -> None:
    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.url, codec=CODEC)
        counter = await stub.counter()
        assert await counter.inc() == 1
        (end,) = server.open
        held = dict(end.session.exports)
        dispose(counter)
        assert await stub.add(0, 0) == 0  # (one socket keeps order: the release came first)
        after = dict(end.session.exports)
        dispose(stub)
        return held, after, [str(m.kind) for m in client_play.trace.messages if m.sender == "internet"]

    held, after, sent = run(main)
    assert -1 in held and -1 not in after  # the counter was exported as -1, and released
    assert "release" in sent


def test_an_error_crosses_with_its_type_and_message() -> None:
    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.url, codec=CODEC)
        with pytest.raises(ValueError) as caught:
            await stub.fail()
        dispose(stub)
        return caught.value

    error = run(main)
    assert str(error) == "no such thing"
    assert getattr(error, "remote", False) is True


def test_malformed_json_aborts_that_session_only() -> None:
    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        good = await client_play.connect(server.url, codec=CODEC, name="good")
        assert await good.add(1, 1) == 2
        import websockets.asyncio.client as wsc

        async with wsc.connect(server.url) as raw:
            await raw.send("{not json")
            reply = await raw.recv()
        assert await good.add(2, 2) == 4
        dispose(good)
        return reply

    reply = run(main)
    assert str(CapnWebCodec().decode(reply)[0]) == "abort"
    assert json.loads(reply)[0] == "abort"


def test_bad_arguments_say_what_to_give() -> None:
    with Playground() as play:
        play.worker("api", Api)
        with pytest.raises(ConfigurationError) as caught:
            play.run(play.connect("ftp://example.com/api"))
        assert str(caught.value) == (
            "play.connect() cannot use the URL scheme 'ftp' ('ftp://example.com/api'): use ws:// or "
            "wss:// for a WebSocket session, http:// or https:// for an HTTP batch."
        )
        with pytest.raises(ConfigurationError) as caught:
            play.serve("api", port=70000)
        assert str(caught.value) == "port must be a whole number from 0 to 65535 (0: any free port); got 70000."
        with pytest.raises(ConfigurationError):
            play.serve("nobody", port=0)


def test_a_refused_connection_says_where() -> None:
    with Playground() as play:
        with pytest.raises(ConnectionError) as caught:
            play.run(play.connect("ws://127.0.0.1:1/api", codec=CODEC))
        assert str(caught.value).startswith("Could not open a session to ws://127.0.0.1:1/api: ")


def test_a_server_says_where_it_listens(capsys: pytest.CaptureFixture[str]) -> None:
    with Playground() as play:
        play.worker("api", Api)
        with play.serve("api", port=0, codec=CODEC) as server:
            out = capsys.readouterr().out
            assert out == (
                f"Serving worker 'api' at ws://127.0.0.1:{server.port}/api (HTTP batch: "
                f"http://127.0.0.1:{server.port}/api); listening on 127.0.0.1 (this machine only).\n"
            )
        assert server.closed


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_a_promise_passed_as_an_argument_is_substituted_on_a_capnweb_session(scheme: str) -> None:
    """Cap'n Web's rule (workerd refuses it): a pending result of a call to the same peer goes
    as ``["pipeline", id]`` in the same flight, and the peer calls with its value."""

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        url = server.url if scheme == "ws" else server.batch_url
        stub = await client_play.connect(url, codec=CODEC)
        with client_play.record() as rec:
            first = stub.add(1, 2)
            total = await stub.add(first, 10)
        pushes = [m for m in rec.messages if m.kind == "push"]
        settled = await stub.add(first, 100) if scheme == "ws" else None  # (a settled one: its value)
        dispose(first)
        dispose(stub)
        return total, len(pushes), rec.round_trips, settled

    total, pushes, round_trips, settled = run(main)
    assert (total, pushes, round_trips) == (13, 2, 1)
    assert settled in (103, None)


def test_round_trips_over_a_real_session_count_as_simulated_ones() -> None:
    """A message from a real peer is caused by the last call or result sent to it: two awaited
    calls are two round trips on both sides, a pipelined chain one, a callback's calls one each."""

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)
        stub = await client_play.connect(server.url, codec=CODEC)
        counts = []
        for step in ("awaited", "pipelined", "callback"):
            client_start, server_start = len(client_play.trace.messages), len(server_play.trace.messages)
            if step == "awaited":
                with await stub.counter() as counter:
                    await counter.inc()
            elif step == "pipelined":
                with stub.counter() as counter:
                    await counter.inc()
            else:
                await stub.twice(lambda n: n)
            client_trips = round_trips(client_play.trace.messages[client_start:])
            counts.append((step, client_trips, round_trips(server_play.trace.messages[server_start:])))
        dispose(stub)
        return counts

    assert run(main) == [("awaited", 2, 2), ("pipelined", 1, 1), ("callback", 3, 3)]


def test_each_session_of_a_server_numbers_its_calls_from_one() -> None:
    """A codec is one end of one session: a server's second client (WebSocket or batch) is not
    refused because the first one made calls (the server's codec is a template, copied)."""
    template = CapnWebCodec(max_depth=32)

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=template, quiet=True)
        first = await client_play.connect(server.url, codec=template, name="first")
        assert await first.add(1, 2) == 3
        second = await client_play.connect(server.url, codec=template, name="second")
        assert await second.add(3, 4) == 7
        batch = await client_play.connect(server.batch_url, codec=template, name="batch")
        value = await batch.counter().inc(7)
        dispose(first)
        dispose(second)
        return value, server.sessions

    assert run(main) == (7, 3)
    assert template._next_out == 1 and template._next_in == 1  # (only copies were used)


MARKER: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")


def test_a_message_from_a_real_peer_runs_in_no_callers_context() -> None:
    """The I/O thread inherits the context of the code that opened the socket; what arrives
    must not run in it (Jupyter would file a callback's prints under the cell that connected)."""
    seen: list[str] = []

    def callback(n: int) -> int:
        seen.append(MARKER.get())
        return n

    async def main(server_play, client_play):  # type: ignore[no-untyped-def]
        server = server_play.serve("api", port=0, codec=CODEC, quiet=True)

        async def opening():  # type: ignore[no-untyped-def]
            MARKER.set("the code that connected")
            return await client_play.connect(server.url, codec=CODEC)

        stub = await asyncio.create_task(opening())  # (a context of its own)
        result = await stub.twice(callback)
        dispose(stub)
        return result

    assert run(main) == [1, 2]
    assert seen == ["unset", "unset"]
