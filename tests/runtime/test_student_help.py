"""Help for common mistakes: the runtime's words first, then what went wrong and where.

Each test asserts the exact text, the user's line included (``file.py:12``; ``cell line 2`` for code
run in a notebook cell, whose file is ``<ipython-input-...>`` or a kernel temp file).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import enum
import inspect
import io
import math
import pickle
import socket
import threading
import types
import warnings
from unittest import mock

import pytest

from playground import (
    DataCloneError,
    DurableObject,
    ForgottenAwaitWarning,
    Playground,
    RpcError,
    RpcStub,
    Response,
    RpcTarget,
    WorkerEntrypoint,
    dispose,
)
from playground.errors import StubLeakWarning

from .services import PROMISE_DISPOSED, disposed, failure, line_of, refused

HERE = "test_student_help.py"


class Counter(RpcTarget):
    def __init__(self, i: int = 0) -> None:
        self.i = i

    def increment(self, j: int = 1) -> int:
        self.i += j
        return self.i


#: Stubs a worker keeps past the request that made them (a mistake the tests make on purpose).
KEPT: list[RpcStub] = []


class Service(WorkerEntrypoint):
    def make_counter(self, i: int = 0) -> Counter:
        return Counter(i)

    async def add(self, a: int, b: int) -> int:
        return a + b

    async def remember(self, counter: RpcStub) -> int:
        KEPT.append(counter)  # a parameter: disposed when this call returns
        return await counter.increment()

    async def use_remembered(self) -> int:
        return await KEPT.pop().increment()

    def settings(self) -> dict:
        return {"colour": "red", "size": 3}

    def echo(self, value):
        return value

    def give_point(self) -> Point:
        return Point(1, 2)

    async def keep_own(self) -> int:
        KEPT.append(RpcStub(Counter(1)))  # never disposed: released when this request ends
        return 1


class Client(WorkerEntrypoint):
    pass


@pytest.fixture
def play() -> Playground:
    KEPT.clear()
    play = Playground(latency="10ms")
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    return play


@pytest.fixture
def env(play):
    return play.env("client")


# -- a stub or promise used after disposal says where it was disposed --------------------------


def test_a_stub_used_after_its_with_block_says_where_the_block_was(play, env):
    async def scenario():
        with await env.S.make_counter(1) as counter:
            await counter.increment()
        return await failure(counter.increment())

    error = play.run(scenario())
    at = line_of(test_a_stub_used_after_its_with_block_says_where_the_block_was, "with await")
    assert type(error) is RpcError and str(error) == (
        f"RPC stub used after being disposed. It was disposed at {at} (the end of its `with` block)."
    )
    assert at.startswith(HERE + ":")


def test_a_stub_used_after_dispose_says_where_dispose_was_called(play, env):
    async def scenario():
        counter = await env.S.make_counter(1)
        dispose(counter)
        return await failure(counter.increment()), counter

    error, counter = play.run(scenario())
    at = line_of(test_a_stub_used_after_dispose_says_where_dispose_was_called, "dispose(counter)")
    expected = f"RPC stub used after being disposed. It was disposed at {at} by `dispose()`."
    assert str(error) == expected
    with pytest.raises(RpcError) as info:
        counter.dup()
    assert str(info.value) == expected


def test_a_promise_used_after_disposal_says_where(play, env):
    async def scenario():
        promise = env.S.make_counter(1)
        with promise:
            pass
        return await failure(promise.increment())

    error = play.run(scenario())
    at = line_of(test_a_promise_used_after_disposal_says_where, "with promise")
    assert str(error) == (
        f"RPC promise used after being disposed. It was disposed at {at} (the end of its `with` block)."
    )
    assert str(error) == disposed("with", at, PROMISE_DISPOSED)


def test_a_stub_in_a_disposed_result_says_where_the_result_was_disposed(play, env):
    async def scenario():
        async with env.S.make_counter(1) as counter:
            await counter.increment()
        return await failure(counter.increment())

    error = play.run(scenario())
    at = line_of(test_a_stub_in_a_disposed_result_says_where_the_result_was_disposed, "async with env")
    assert str(error) == (
        f"RPC stub used after being disposed. It was disposed at {at} (the end of its `async with` block)."
    )


def test_a_parameter_kept_past_its_call_says_the_call_returned(play, env):
    async def scenario():
        with RpcStub(Counter(1)) as counter:
            first = await env.S.remember(counter)
            return first, await failure(env.S.use_remembered())

    first, error = play.run(scenario())
    assert first == 2
    assert type(error) is RpcError and error.remote is True
    assert str(error) == (
        "RPC stub used after being disposed. It was an argument of a call, and the runtime "
        "disposed of it when that call returned; keep a `stub.dup()` to use it longer (and "
        "dispose the copy when done)."
    )


@pytest.mark.leaks_ok
def test_a_stub_kept_past_its_request_says_the_request_ended(play, env):
    with pytest.warns(StubLeakWarning):
        assert play.run(env.S.keep_own()) == 1
        error = play.run(failure(env.S.use_remembered()))
    assert str(error) == (
        "RPC stub used after being disposed. The runtime released it when the execution context "
        "that held it ended (the request or call it belonged to finished without disposing it)."
    )


def test_a_stub_used_after_its_playground_closed_says_so(play, env):
    counter = play.run(env.S.make_counter(1))
    play.close()
    with pytest.raises(RpcError) as info:
        counter.dup()
    assert str(info.value) == (
        "RPC stub used after being disposed. The runtime released it when the playground was closed."
    )


def test_in_a_notebook_cell_the_place_is_the_cell_line(play, env):
    namespace = {"env": env, "dispose": dispose, "failure": failure}
    cell = "async def scenario():\n    counter = await env.S.make_counter(1)\n    dispose(counter)\n" \
           "    return await failure(counter.increment())\n"
    exec(compile(cell, "<ipython-input-3-0123456789ab>", "exec"), namespace)
    error = play.run(namespace["scenario"]())
    assert str(error) == "RPC stub used after being disposed. It was disposed at cell line 3 by `dispose()`."


# -- a promise used where its value was meant: "did you forget `await`?" ------------------------

PROMISE_TAIL = "Did you forget `await`? An RPC call returns an RpcPromise at once, not its result: `await` it for the value."

#: (the mistake, made on its own line, and what Python's kind of words say was done)
MISTAKES = [
    (lambda p: p + 1, "unsupported operand type(s) for +: 'RpcPromise' and 'int'"),
    (lambda p: 1 + p, "unsupported operand type(s) for +: 'int' and 'RpcPromise'"),
    (lambda p: sum([p, 1]), "unsupported operand type(s) for +: 'int' and 'RpcPromise'"),
    (lambda p: p - 1.5, "unsupported operand type(s) for -: 'RpcPromise' and 'float'"),
    (lambda p: 2 * p, "unsupported operand type(s) for *: 'int' and 'RpcPromise'"),
    (lambda p: p @ p, "unsupported operand type(s) for @: 'RpcPromise' and 'RpcPromise'"),
    (lambda p: p / 2, "unsupported operand type(s) for /: 'RpcPromise' and 'int'"),
    (lambda p: p // 2, "unsupported operand type(s) for //: 'RpcPromise' and 'int'"),
    (lambda p: p % 2, "unsupported operand type(s) for %: 'RpcPromise' and 'int'"),
    (lambda p: divmod(p, 2), "unsupported operand type(s) for divmod(): 'RpcPromise' and 'int'"),
    (lambda p: p**2, "unsupported operand type(s) for ** or pow(): 'RpcPromise' and 'int'"),
    (lambda p: pow(2, p), "unsupported operand type(s) for ** or pow(): 'int' and 'RpcPromise'"),
    (lambda p: p << 1, "unsupported operand type(s) for <<: 'RpcPromise' and 'int'"),
    (lambda p: 1 >> p, "unsupported operand type(s) for >>: 'int' and 'RpcPromise'"),
    (lambda p: p & 1, "unsupported operand type(s) for &: 'RpcPromise' and 'int'"),
    (lambda p: p ^ 1, "unsupported operand type(s) for ^: 'RpcPromise' and 'int'"),
    (lambda p: {1} | p, "unsupported operand type(s) for |: 'set' and 'RpcPromise'"),
    (lambda p: -p, "bad operand type for unary -: 'RpcPromise'"),
    (lambda p: +p, "bad operand type for unary +: 'RpcPromise'"),
    (lambda p: ~p, "bad operand type for unary ~: 'RpcPromise'"),
    (lambda p: abs(p), "bad operand type for abs(): 'RpcPromise'"),
    (lambda p: p < 3, "'<' not supported between instances of 'RpcPromise' and 'int'"),
    (lambda p: p <= 3, "'<=' not supported between instances of 'RpcPromise' and 'int'"),
    (lambda p: p > "a", "'>' not supported between instances of 'RpcPromise' and 'str'"),
    (lambda p: 3 < p, "'>' not supported between instances of 'RpcPromise' and 'int'"),  # (Python asks p > 3)
    (lambda p: p >= 3, "'>=' not supported between instances of 'RpcPromise' and 'int'"),
    (lambda p: "yes" if p else "no", "an RpcPromise has no truth value (if, while, bool(), and, or, not)"),
    (lambda p: bool(p), "an RpcPromise has no truth value (if, while, bool(), and, or, not)"),
    (lambda p: not p, "an RpcPromise has no truth value (if, while, bool(), and, or, not)"),
    (lambda p: [x for x in p], "'RpcPromise' object is not iterable (for, list(), unpacking)"),
    (lambda p: list(p), "'RpcPromise' object is not iterable (for, list(), unpacking)"),
    (lambda p: [a for a, b in [p]], "'RpcPromise' object is not iterable (for, list(), unpacking)"),
    (lambda p: len(p), "object of type 'RpcPromise' has no len()"),
    (lambda p: 3 in p, "argument of type 'RpcPromise' is not iterable (in)"),
    (lambda p: str(p), "an RpcPromise was turned into text (str(), print(), an f-string, format() or %s)"),
    (lambda p: print(p), "an RpcPromise was turned into text (str(), print(), an f-string, format() or %s)"),
    (lambda p: f"total: {p}", "an RpcPromise was turned into text (str(), print(), an f-string, format() or %s)"),
    (lambda p: f"{p:>5}", "an RpcPromise was turned into text (str(), print(), an f-string, format() or %s)"),
    (lambda p: "%s" % p, "an RpcPromise was turned into text (str(), print(), an f-string, format() or %s)"),
    (lambda p: int(p), "int() argument must be a string, a bytes-like object or a real number, not 'RpcPromise'"),
    (lambda p: float(p), "float() argument must be a string or a real number, not 'RpcPromise'"),
    (lambda p: complex(p), "complex() first argument must be a string or a number, not 'RpcPromise'"),
    (lambda p: [0, 1][p], "'RpcPromise' object cannot be interpreted as an integer"),
    (lambda p: range(p), "'RpcPromise' object cannot be interpreted as an integer"),
    (lambda p: bytes(p), "cannot convert 'RpcPromise' object to bytes"),
    (lambda p: round(p), "type RpcPromise doesn't define __round__ method"),
    (lambda p: math.trunc(p), "type RpcPromise doesn't define __trunc__ method"),
    (lambda p: math.floor(p), "must be real number, not RpcPromise"),
    (lambda p: math.ceil(p), "must be real number, not RpcPromise"),
]


@pytest.mark.parametrize("mistake, what", MISTAKES, ids=[what for _, what in MISTAKES])
def test_a_promise_used_as_its_value_asks_whether_await_was_forgotten(play, env, mistake, what):
    async def scenario():
        promise = env.S.add(1, 2)
        with pytest.raises(TypeError) as info:
            mistake(promise)
        return info.value, await promise

    error, value = play.run(scenario())
    assert value == 3  # (nothing was broken: the promise still gives its value)
    at = f"{HERE}:{mistake.__code__.co_firstlineno}"
    assert str(error) == f"{what}, at {at}. {PROMISE_TAIL}"


def test_a_property_used_as_its_value_says_to_await_it(play, env):
    async def scenario():
        with pytest.raises(TypeError) as info:
            env.S.add + 1  # noqa: B018
        return info.value

    error = play.run(scenario())
    at = line_of(test_a_property_used_as_its_value_says_to_await_it, "env.S.add + 1")
    assert str(error) == (
        f"unsupported operand type(s) for +: 'RpcProperty' and 'int', at {at}. Did you forget "
        "`await`? `stub.name` is an RpcProperty, a remote property not read yet: `await` it for its "
        "value (for a method, call it and `await` the call)."
    )


def test_in_a_notebook_cell_the_forgotten_await_names_the_cell_line(play, env):
    namespace = {"env": env}
    cell = "async def scenario():\n    total = env.S.add(1, 2)\n    try:\n        total + 1\n" \
           "    except TypeError as error:\n        return error, await total\n"
    exec(compile(cell, "/tmp/ipykernel_4242/2131311706.py", "exec"), namespace)
    error, value = play.run(namespace["scenario"]())
    assert value == 3
    assert str(error) == f"unsupported operand type(s) for +: 'RpcPromise' and 'int', at cell line 4. {PROMISE_TAIL}"


def test_comparing_a_promise_with_a_value_warns_at_the_line(play, env):
    async def scenario():
        promise = env.S.add(1, 2)
        with pytest.warns(ForgottenAwaitWarning) as caught:
            equal = promise == 3
            unequal = promise != 3
            reflected = 3 == promise
        return caught.list, (equal, unequal, reflected), await promise

    caught, results, value = play.run(scenario())
    assert results == (False, True, False) and value == 3
    line = int(line_of(test_comparing_a_promise_with_a_value_warns_at_the_line, "equal = promise ==").split(":")[1])
    assert [(w.category, w.filename, w.lineno) for w in caught] == [
        (ForgottenAwaitWarning, __file__, line),
        (ForgottenAwaitWarning, __file__, line + 1),
        (ForgottenAwaitWarning, __file__, line + 2),
    ]
    assert [str(w.message) for w in caught] == [
        f"'==' between instances of 'RpcPromise' and 'int' compares the promise itself, not its value, "
        f"at {HERE}:{line}. {PROMISE_TAIL}",
        f"'!=' between instances of 'RpcPromise' and 'int' compares the promise itself, not its value, "
        f"at {HERE}:{line + 1}. {PROMISE_TAIL}",
        f"'==' between instances of 'RpcPromise' and 'int' compares the promise itself, not its value, "
        f"at {HERE}:{line + 2}. {PROMISE_TAIL}",
    ]
    assert issubclass(ForgottenAwaitWarning, RuntimeWarning)


def test_promises_compared_with_each_other_hash_and_gather_without_a_warning(play, env):
    async def scenario():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            first, second = env.S.add(1, 2), env.S.add(3, 4)
            handles = [first, second]
            found = (first in handles, handles.index(second), first == first, first != second)
            handles.remove(second)
            keyed = {first: "first", second: "second"}
            values = await asyncio.gather(first, second)
            return found, handles == [first], keyed[second], len({first, second}), values

    assert play.run(scenario()) == ((True, 1, True, True), True, "second", 2, [3, 7])


def test_another_objects_equality_still_answers(play, env):
    async def scenario():
        promise = env.S.add(1, 2)
        with pytest.warns(ForgottenAwaitWarning):
            matched = promise == mock.ANY  # the promise has no answer; ANY's is True
        return matched, await promise

    assert play.run(scenario()) == (True, 3)


def test_repr_says_a_promise_is_not_awaited_yet(play, env):
    async def scenario():
        promise = env.S.add(1, 2)
        pending = repr(promise)
        await promise
        resolved = repr(promise)
        failed = env.S.missing()
        await failure(failed)
        rejected = repr(failed)
        dispose(promise)
        return pending, resolved, rejected, repr(promise), repr(env.S.add)

    pending, resolved, rejected, disposed_, prop = play.run(scenario())
    assert pending == "<RpcPromise pending: result 1 from svc — await it for the value>"
    assert resolved == "<RpcPromise resolved: result 1 from svc — await it for the value>"
    assert rejected == "<RpcPromise rejected: result 1 from svc — await it to raise the error>"
    assert disposed_ == "<RpcPromise disposed: result 1 from svc>"
    assert prop == "<RpcProperty add of <ServiceStub service svc> — call it, or await it to read it>"


def test_pipelining_and_the_rest_of_a_promise_still_work(play, env):
    async def scenario():
        promise = env.S.make_counter(5)
        called = await promise.increment(2)  # attribute, call: pipelined
        indexed = await promise["increment"](3)  # [...]: pipelined
        with pytest.raises(AttributeError):
            promise._secret  # noqa: B018
        assert not hasattr(promise, "_repr_html_") and not hasattr(promise, "_ipython_display_")
        assert inspect.isawaitable(promise) and not asyncio.iscoroutine(promise)
        refused = await failure(env.S.add(promise, 1))  # still refused as an argument, as in workerd
        with pytest.raises(TypeError):
            pickle.dumps(promise)
        with promise as counter_promise:
            counter = await counter_promise
        return called, indexed, refused, counter

    called, indexed, refused, counter = play.run(scenario())
    assert (called, indexed) == (7, 10)
    assert type(refused) is DataCloneError and str(refused) == (
        'Could not serialize object of type "RpcPromise". This type does not support serialization.'
    )
    assert isinstance(counter, RpcStub)


def test_a_stub_is_not_iterable(play, env):
    async def scenario():
        counter = await env.S.make_counter(1)
        with counter, pytest.raises(TypeError) as info:
            list(counter)
        return info.value

    assert str(play.run(scenario())) == (
        "'RpcStub' object is not iterable: a stub is a reference to an object in another worker. "
        "Call a method that returns a list, and `await` it."
    )


def test_ipython_shows_a_promise_by_its_repr(play, env):
    formatters = pytest.importorskip("IPython.core.formatters")
    pretty = pytest.importorskip("IPython.lib.pretty")

    async def scenario():
        promise = env.S.add(1, 2)
        shown = formatters.DisplayFormatter().format(promise), pretty.pretty([promise])
        return shown, await promise

    (bundle, listed), value = play.run(scenario())
    assert bundle == ({"text/plain": "<RpcPromise pending: result 1 from svc — await it for the value>"}, {})
    assert listed == "[<RpcPromise pending: result 1 from svc — await it for the value>]"
    assert value == 3


# -- a misspelled method: "did you mean `add`?", worked out in the callee ------------------------


class Room(DurableObject):
    def join(self, who: str) -> str:
        return f"{who} joined"

    def leave(self, who: str) -> str:
        return f"{who} left"


class Greeter:
    """A plain handler object as a worker's main (not a WorkerEntrypoint)."""

    def fetch(self, request, env, ctx):
        return Response("hi")

    def greet(self, name, env, ctx):
        return f"hello, {name}"


CALC_SOURCE = (
    "def fetch(request, env, ctx):\n    return None\n\n"
    "def add(a, env, ctx):\n    return a + 1\n\n"
    "def _hidden(a):\n    return a\n"
)


def helpful_world() -> tuple[Playground, object]:
    calc = types.ModuleType("calc")
    exec(compile(CALC_SOURCE, "calc.py", "exec"), calc.__dict__)
    play = Playground(latency="10ms")
    play.worker("svc", Service, exports=[Room])
    play.worker("greeter", Greeter)
    play.worker("calc", calc)
    play.worker(
        "client", Client, services={"S": "svc", "G": "greeter", "CALC": "calc"},
        durable_objects={"ROOM": ("svc", "Room")},
    )
    return play, play.env("client")


RUNTIME = 'The RPC receiver does not implement the method "{}".'


def test_a_misspelled_entrypoint_method_gets_the_closest_name():
    play, env = helpful_world()
    error = play.run(failure(env.S.ad(1, 2)))
    assert type(error) is TypeError and error.remote is True  # (the callee worked the help out)
    assert str(error) == (
        f"{RUNTIME.format('ad')} Did you mean `add`? Service (entrypoint) has the methods: "
        "make_counter, add, remember, use_remembered, settings, echo, give_point, keep_own."
    )


def test_a_misspelled_rpc_target_method_or_property(play, env):
    async def scenario():
        with await env.S.make_counter(1) as counter:
            return await failure(counter.incremnt()), await failure(counter.nothing_like_it)

    close, far = play.run(scenario())
    assert str(close) == f"{RUNTIME.format('incremnt')} Did you mean `increment`? Counter (RpcTarget) has the methods: increment."
    assert str(far) == f"{RUNTIME.format('nothing_like_it')} Counter (RpcTarget) has the methods: increment."


def test_an_instance_attribute_is_named_as_such(play, env):
    async def scenario():
        with await env.S.make_counter(1) as counter:
            return await failure(counter.i)

    assert str(play.run(scenario())) == (
        f"{RUNTIME.format('i')} `i` is an instance attribute (set on self), and only class members "
        "(methods, properties) are reachable over RPC. Counter (RpcTarget) has the methods: increment."
    )


def test_a_misspelled_durable_object_method():
    play, env = helpful_world()
    room = env.ROOM.get(env.ROOM.id_from_name("lobby"))
    error = play.run(failure(room.joinn("ada")))
    assert str(error) == (
        f"{RUNTIME.format('joinn')} Did you mean `join`? Room (Durable Object) has the methods: join, leave."
    )


def test_a_misspelled_handler_method_on_a_plain_object_and_a_module():
    play, env = helpful_world()
    greeter = play.run(failure(env.G.gret("ada")))
    calc = play.run(failure(env.CALC.ad(1)))
    assert str(greeter) == f"{RUNTIME.format('gret')} Did you mean `greet`? Greeter has the methods: greet."
    assert str(calc) == f"{RUNTIME.format('ad')} Did you mean `add`? <module 'calc'> has the methods: add."
    assert play.run(env.CALC.add(1)) == 2


def test_a_misspelled_key_of_a_returned_dict(play, env):
    async def scenario():
        with env.S.settings() as settings:  # a dict: pipelining reaches its keys
            return await failure(settings.color)

    assert str(play.run(scenario())) == (
        f"{RUNTIME.format('color')} Did you mean `colour`? The dict has the keys: colour, size."
    )


# -- a value that cannot cross: what to send instead ---------------------------------------------


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Plain:
    pass


class Colour(enum.Enum):
    RED = 1


async def fetch_total() -> int:
    return 3


REFUSED = [
    (lambda: Plain(), "Plain", "To pass a Plain by reference, make Plain extend RpcTarget; to send its data, send a dict."),
    (
        lambda: Point(1, 2),
        "Point",
        "Point is a dataclass: send `dataclasses.asdict(x)` (a dict), or make Point extend RpcTarget to pass it by reference.",
    ),
    (lambda: Colour.RED, "Colour", "Colour is an Enum: send its `.value`."),
    (lambda: collections.OrderedDict(a=1), "OrderedDict", "OrderedDict is a subclass of dict: send `dict(x)`."),
    (lambda: io.StringIO("text"), "StringIO", "A file stays where it was opened: send its contents (`f.read()`)."),
    (lambda: (x for x in [1]), "generator", "A generator gives its items one by one: send `list(x)`."),
    (lambda: {"a": 1}.keys(), "dict_keys", "A dict_keys gives its items one by one: send `list(x)`."),
    (lambda: pytest.MonkeyPatch(), "MonkeyPatch", ""),  # (a third-party class: no advice to change it)
    (lambda: threading.Lock(), "lock", ""),
]


@pytest.mark.parametrize("make, name, hint", REFUSED, ids=[name for _, name, _ in REFUSED])
def test_a_value_that_cannot_cross_says_what_can(play, env, make, name, hint):
    error = play.run(failure(env.S.echo({"value": make()})))
    assert type(error) is DataCloneError and isinstance(error, TypeError)
    assert str(error) == refused(name, hint)


def test_a_file_a_socket_and_a_coroutine_cannot_cross(play, env, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("notes")

    async def scenario():
        with open(path) as file, socket.socket() as sock:
            refused = [await failure(env.S.echo(file)), await failure(env.S.echo(sock))]
        pending = fetch_total()
        refused.append(await failure(env.S.echo(pending)))  # a forgotten await, one step removed
        refused.append(await pending)
        return refused

    opened, sock, coroutine, total = play.run(scenario())
    assert str(opened) == refused("TextIOWrapper", "A file stays where it was opened: send its contents (`f.read()`).")
    assert str(sock) == refused("socket", "A socket stays where it was opened: send the data read from it.")
    assert str(coroutine) == refused(
        "coroutine", "A coroutine is the call of an `async def` function, not its result: did you forget `await`?"
    )
    assert total == 3


def test_a_class_defined_in_a_notebook_is_the_users_own(play, env):
    Cell = type("Cell", (), {"__module__": "__main__"})
    error = play.run(failure(env.S.echo(Cell())))
    assert str(error) == refused(
        "Cell", "To pass a Cell by reference, make Cell extend RpcTarget; to send its data, send a dict."
    )


def test_a_returned_value_that_cannot_cross_is_refused_with_the_same_help(play, env):
    error = play.run(failure(env.S.give_point()))
    assert type(error) is DataCloneError and error.remote is True
    assert str(error) == refused(
        "Point",
        "Point is a dataclass: send `dataclasses.asdict(x)` (a dict), or make Point extend RpcTarget to pass it by reference.",
    )


def test_a_promise_argument_keeps_the_runtimes_text_alone(play, env):
    async def scenario():
        promise = env.S.add(1, 2)
        refused = await failure(env.S.echo(promise))
        return refused, await promise

    refused, value = play.run(scenario())
    assert str(refused) == 'Could not serialize object of type "RpcPromise". This type does not support serialization.'
    assert value == 3
