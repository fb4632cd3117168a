"""Interop with the real Cap'n Web (npm ``capnweb`` 0.12.0 on Node.js), both directions and both
transports: the playground as a client of a Node server (``capnweb_server.mjs``), and a Node
client (``capnweb_client.mjs``) calling a worker the playground serves. Nothing sleeps: every
wait is for a process's output or a real message; every Node process runs under a timeout."""

from __future__ import annotations

import asyncio
import json
import math
import select
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose
from playground.errors import ConnectionLost, ProtocolError, RemoteError

pytest.importorskip("websockets", reason="real peers need pip install 'workers-rpc-playground[peers]'")
pytest.importorskip("aiohttp", reason="real peers need pip install 'workers-rpc-playground[peers]'")

pytestmark = [pytest.mark.interop, pytest.mark.peers]

HERE = Path(__file__).parent
NODE_TIMEOUT = 60  # seconds any one Node process may take
WS_VERSION = "8.18.3"  # npm ws, for the Node server's WebSockets


@pytest.fixture(scope="module")
def node_folder(capnweb_dir):  # type: ignore[no-untyped-def]
    """``(node, folder)``: capnweb and ws installed in ``folder``, and this folder's scripts copied
    there (so ``import "capnweb"`` resolves)."""
    from tests.conftest import npm_install

    node, folder = capnweb_dir
    if not (folder / "node_modules" / "ws").is_dir():
        npm_install(folder, f"ws@{WS_VERSION}", why="the Node server's WebSockets")
    (folder / "package.json").write_text(json.dumps({"private": True, "type": "module"}) + "\n")
    for script in ("capnweb_server.mjs", "capnweb_client.mjs"):
        shutil.copy(HERE / script, folder / script)
    return node, folder


@pytest.fixture(scope="module")
def node_server(node_folder):  # type: ignore[no-untyped-def]
    """The Node server's base URL (``127.0.0.1:port``); it stops when the module's tests are done."""
    node, folder = node_folder
    process = subprocess.Popen(
        [node, "capnweb_server.mjs"], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], NODE_TIMEOUT)
        line = process.stdout.readline() if ready else ""  # type: ignore[union-attr]
        if not line:
            process.kill()
            raise AssertionError(f"the Node server did not start: {process.communicate(timeout=10)[1][-2000:]}")
        yield f"127.0.0.1:{json.loads(line)['port']}"
    finally:
        process.stdin.close()  # type: ignore[union-attr]  # (it exits when its stdin ends)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        errors = process.stderr.read()  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == 0 and not errors, f"the Node server failed ({process.returncode}): {errors[-3000:]}"


def session(address: str, scheme: str, path: str = "/api") -> str:
    return f"{scheme}://{address}{path}"


def client(main):  # type: ignore[no-untyped-def]
    """Run ``main(play)`` in a fresh playground (closed at the end)."""
    with Playground() as play:
        return play.run(main(play))


def each(address: str, scheme: str, *calls):  # type: ignore[no-untyped-def]
    """The result, or the error, of each of ``calls`` (``lambda api: api.method(...)``): over a
    WebSocket all on one session; over HTTP one batch each (a batch is over once its reply came)."""

    async def main(play):  # type: ignore[no-untyped-def]
        shared = await play.connect(session(address, "ws")) if scheme == "ws" else None
        results = []
        for call in calls:
            api = shared if shared is not None else await play.connect(session(address, scheme))
            try:
                results.append(await call(api))
            except Exception as error:  # noqa: BLE001 (the test looks at it)
                results.append(error)
        if shared is not None:
            dispose(shared)
        return results

    return client(main)


# -- the playground as a client of a Node server ---------------------------------------------------

SENT = {
    "null": None, "yes": True, "no": False, "int": 42, "negative": -7, "maxSafe": 2**53 - 1,
    "big": 2**64 + 1, "negativeBig": -(2**60), "float": 1.5, "inf": math.inf, "ninf": -math.inf,
    "str": "héllo ☃ 😀", "empty": "", "bytes": b"\x00\x01\x02\xff",
    "date": datetime.fromtimestamp(1700000000.123, timezone.utc), "list": [1, "two", [3, [None]]],
    "dict": {"a": {"b": [True, {}]}},
}
DESCRIBED = {
    "null": "null", "yes": "boolean(true)", "no": "boolean(false)", "int": "number(42)",
    "negative": "number(-7)", "maxSafe": "number(9007199254740991)", "big": "bigint(18446744073709551617)",
    "negativeBig": "bigint(-1152921504606846976)", "float": "number(1.5)", "inf": "number(Infinity)",
    "ninf": "number(-Infinity)", "str": "string(héllo ☃ 😀)", "empty": "string()",
    "bytes": "Uint8Array(0,1,2,255)", "date": "Date(1700000000123)",
    "list": ["number(1)", "string(two)", ["number(3)", ["null"]]], "dict": {"a": {"b": ["boolean(true)", {}]}},
}


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_every_value_type_crosses_to_node_and_back(node_server: str, scheme: str) -> None:
    described, echoed, nan, values = each(
        node_server, scheme, lambda api: api.describe(SENT), lambda api: api.echo(SENT),
        lambda api: api.echo(math.nan), lambda api: api.values(),
    )
    assert described == DESCRIBED
    assert echoed == SENT
    assert math.isnan(nan)
    assert math.isnan(values.pop("nan"))
    assert values == SENT


def test_a_pipelined_chain_is_one_round_trip_over_a_websocket(node_server: str) -> None:
    async def main(play):  # type: ignore[no-untyped-def]
        api = await play.connect(session(node_server, "ws"))
        value = await api.counter("chain").inc(5)
        seen = [("out" if m.sender == "internet" else "in", str(m.kind)) for m in play.trace.messages]
        frames = await api.frames()
        dispose(api)
        return value, seen, frames

    value, seen, frames = client(main)
    assert value == 5
    # counter, inc pipelined on its answer, pull: three frames out before anything comes back
    assert seen == [("out", "push"), ("out", "push"), ("out", "pull"), ("in", "resolve"), ("out", "release"), ("out", "release")]
    # and each reached the Node server as one WebSocket frame, in order (then frames() itself)
    assert frames[:6] == ["push", "push", "pull", "release", "release", "push"]


def test_a_pipelined_chain_is_one_http_request(node_server: str) -> None:
    async def main(play):  # type: ignore[no-untyped-def]
        stats = await play.connect(session(node_server, "http"))
        before = (await stats.stats())["batches"]
        api = await play.connect(session(node_server, "http"))
        value = await api.counter("batch").inc(7)
        stats = await play.connect(session(node_server, "http"))
        after = (await stats.stats())["batches"]
        return value, after - before

    assert client(main) == (7, 2)  # the chain's one request, the second stats call's one


def test_a_python_function_is_called_back_by_node(node_server: str) -> None:
    """(Over a WebSocket: in an HTTP batch nobody can answer a callback, and the real Cap'n Web
    server waits for it forever, its reply never sent.)"""
    seen: list[int] = []

    def callback(n: int) -> int:
        seen.append(n)
        return n * 10

    async def main(play):  # type: ignore[no-untyped-def]
        api = await play.connect(session(node_server, "ws"))
        result = await api.callMe(callback)
        dispose(api)
        return result

    assert client(main) == [10, 20]
    assert seen == [1, 2]


def test_disposal_reaches_the_node_target(node_server: str) -> None:
    async def main(play):  # type: ignore[no-untyped-def]
        api = await play.connect(session(node_server, "ws"))
        counter = await api.counter("disposed")
        assert await counter.inc() == 1
        held = "disposed" in (await api.stats())["disposed"]
        dispose(counter)
        after = (await api.stats())["disposed"]  # (one socket keeps order: the release came first)
        dispose(api)
        return held, after.count("disposed")

    assert client(main) == (False, 1)


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_node_errors_arrive_with_their_types_and_messages(node_server: str, scheme: str) -> None:
    range_error, type_error, custom = each(
        node_server, scheme, lambda api: api.range(), lambda api: api.typeError(), lambda api: api.custom()
    )
    assert isinstance(range_error, ValueError) and isinstance(range_error, RemoteError)
    assert (range_error.name, str(range_error), range_error.remote) == ("RangeError", "out of range", True)
    assert type(type_error) is TypeError
    assert (str(type_error), getattr(type_error, "remote", None)) == ("not a function", True)
    assert isinstance(custom, RemoteError)
    assert (custom.name, str(custom), custom.remote) == ("CustomError", "custom failure", True)


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_map_on_a_node_result_is_one_round_trip(node_server: str, scheme: str) -> None:
    async def main(play):  # type: ignore[no-untyped-def]
        api = await play.connect(session(node_server, scheme))
        doubled = await api.list().map(lambda x: api.double(x))
        dispose(api)
        sent = [str(m.kind) for m in play.trace.messages if m.sender == "internet"]
        received = [str(m.kind) for m in play.trace.messages if m.sender != "internet"]
        return doubled, sent, received

    doubled, sent, received = client(main)
    assert doubled == [2, 4, 6]
    # list, the map on its result (capturing api, Node's own main object: it runs there), pull;
    # the answer: an array of promises, each resolved, each then released
    assert sent == ["push", "push", "pull", "release", "release", "release", "release", "release"]
    assert received == ["resolve"] * 4


def test_a_session_the_node_server_ends_fails_the_waiting_calls(node_server: str) -> None:
    async def main(play):  # type: ignore[no-untyped-def]
        api = await play.connect(session(node_server, "ws"))
        waiting = api.hang()
        with pytest.raises(ConnectionLost) as dropped:
            await api.drop()
        with pytest.raises(ConnectionLost) as hung:
            await waiting
        with pytest.raises(ConnectionLost) as later:
            await api.add(1, 2)
        dispose(api)
        return str(dropped.value), str(hung.value), str(later.value)

    dropped, hung, later = client(main)
    assert dropped == hung == later
    # (then the websockets library's account of the close, which carries Node's close reason)
    assert dropped.startswith(f"Network connection lost. The real session with {node_server} ended: ")
    assert "1011" in dropped and "dropped by the server" in dropped


@pytest.mark.parametrize("what", ["json", "deep", "kind"])
@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_garbage_from_node_aborts_that_session_only(node_server: str, scheme: str, what: str) -> None:
    async def main(play):  # type: ignore[no-untyped-def]
        good = await play.connect(session(node_server, "ws"), name="good")
        assert await good.add(1, 1) == 2
        bad = await play.connect(session(node_server, scheme, f"/garbage?what={what}"), name="bad")
        with pytest.raises(ProtocolError) as caught:
            await bad.add(1, 2)
        assert await good.add(2, 2) == 4
        dispose(bad)
        dispose(good)
        return str(caught.value)

    reasons = {
        "json": "a Cap'n Web message that is not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)): '{not json'",
        "deep": "Deserialization exceeded maximum allowed message depth of 64. If the peer may send deeper "
        "values, raise the limit: CapnWebCodec(max_depth=...).",
        "kind": "bad RPC message: ['explode', 1]",
    }
    assert client(main) == f"RPC session aborted: bad sent internet a message that breaks the protocol: {reasons[what]}"


# -- a Node client of a worker the playground serves -----------------------------------------------

DISPOSED: list[str] = []  # the names of the Tallies whose __dispose__ ran


class Tally(RpcTarget):
    def __init__(self, name: str) -> None:
        self.name = name
        self.n = 0

    def inc(self, by: int = 1) -> int:
        self.n += by
        return self.n

    def __dispose__(self) -> None:
        DISPOSED.append(self.name)


def py_describe(value):  # type: ignore[no-untyped-def]
    """What a value is on the Python side: its type and repr, recursively through lists and dicts."""
    if type(value) is list:
        return [py_describe(item) for item in value]
    if type(value) is dict:
        return {key: py_describe(item) for key, item in value.items()}
    return f"{type(value).__name__}({value!r})"


class Served(WorkerEntrypoint):
    def add(self, a: int, b: int) -> int:
        return a + b

    def echo(self, value):  # type: ignore[no-untyped-def]
        return value

    def describe(self, value):  # type: ignore[no-untyped-def]
        return py_describe(value)

    def values(self):  # type: ignore[no-untyped-def]
        return {**SENT, "nan": math.nan, "whole": 2.0, "tuple": (1, 2)}

    def counter(self, name: str) -> Tally:
        return Tally(name)

    def disposed(self) -> list[str]:
        return list(DISPOSED)

    async def call_me(self, callback):  # type: ignore[no-untyped-def]
        return [await callback(1), await callback(2)]

    def numbers(self) -> list[int]:
        return [1, 2, 3]

    def double(self, x: int) -> int:
        return x * 2

    def value_error(self) -> None:
        raise ValueError("out of range")

    def type_error(self) -> None:
        raise TypeError("not a function")

    def key_error(self) -> None:
        raise KeyError("missing")


JS_VALUES = {
    **DESCRIBED,
    "nan": "number(NaN)", "whole": "number(2)", "tuple": ["number(1)", "number(2)"],
}
JS_SAMPLE_SEEN_BY_PYTHON = {
    "null": "NoneType(None)", "yes": "bool(True)", "no": "bool(False)", "int": "int(42)", "negative": "int(-7)",
    "maxSafe": "int(9007199254740991)", "big": "int(18446744073709551617)", "smallBig": "int(5)",
    "float": "float(1.5)", "whole": "int(2)", "inf": "float(inf)", "ninf": "float(-inf)", "nan": "float(nan)",
    "str": "str('héllo ☃ 😀')", "bytes": "bytes(b'\\x00\\x01\\x02\\xff')",
    "date": "datetime(datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=datetime.timezone.utc))",
    "list": ["int(1)", "str('two')", ["int(3)", ["NoneType(None)"]]], "dict": {"a": {"b": ["bool(True)", {}]}},
}
JS_SAMPLE_ECHOED = {
    "null": "null", "yes": "boolean(true)", "no": "boolean(false)", "int": "number(42)", "negative": "number(-7)",
    "maxSafe": "number(9007199254740991)", "big": "bigint(18446744073709551617)", "smallBig": "number(5)",
    "float": "number(1.5)", "whole": "number(2)", "inf": "number(Infinity)", "ninf": "number(-Infinity)",
    "nan": "number(NaN)", "str": "string(héllo ☃ 😀)", "bytes": "Uint8Array(0,1,2,255)",
    "date": "Date(1700000000123)", "list": ["number(1)", "string(two)", ["number(3)", ["null"]]],
    "dict": {"a": {"b": ["boolean(true)", {}]}},
}
JS_ERRORS = [
    {"error": "RangeError", "message": "out of range", "range": True, "type": False},
    {"error": "TypeError", "message": "not a function", "range": False, "type": True},
    # (Cap'n Web rebuilds an error whose name it does not know as a plain Error: the name is lost)
    {"error": "Error", "message": "'missing'", "range": False, "type": False},
]


def test_a_node_client_calls_a_served_worker(node_folder) -> None:  # type: ignore[no-untyped-def]
    node, folder = node_folder
    DISPOSED.clear()

    async def main():  # type: ignore[no-untyped-def]
        play = Playground()
        play.worker("api", Served)
        try:
            server = play.serve("api", port=0, quiet=True)
            process = await asyncio.create_subprocess_exec(
                node, "capnweb_client.mjs", server.url, server.batch_url, cwd=folder,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            try:
                out, err = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise
            counts = server.real.sockets, server.real.batches, server.sessions  # type: ignore[union-attr]
            first = min(m.session for m in play.trace.messages)
            chain = [
                ("in" if m.receiver == "api" else "out", str(m.kind))
                for m in play.trace.messages if m.session == first
            ]
            server.close()
            return process.returncode, out.decode(), err.decode(), counts, chain
        finally:
            play.close()

    returncode, out, err, counts, chain = asyncio.run(main())
    assert (returncode, err) == (0, ""), err[-3000:]
    report = json.loads(out)
    assert report == {
        "chain": 5,
        "values": JS_VALUES,
        "echo": JS_SAMPLE_ECHOED,
        "seenByPython": JS_SAMPLE_SEEN_BY_PYTHON,
        "callback": [10, 20],
        "disposedBefore": ["chain"],
        "disposedAfter": ["chain", "gone"],
        "errors": JS_ERRORS,
        "map": [2, 4, 6],
        "batches": 4,
        "batchChain": 7,
        "batchValues": JS_VALUES,
        "batchEcho": JS_SAMPLE_ECHOED,
        "batchErrors": JS_ERRORS,
        "batchMap": [2, 4, 6],
    }
    assert counts == (2, 4, 6)
    # the chain's session: counter, inc pipelined on its answer, and the pull, all before the answer
    assert chain[:4] == [("in", "push"), ("in", "push"), ("in", "pull"), ("out", "resolve")]
