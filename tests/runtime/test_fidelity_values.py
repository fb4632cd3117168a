"""Values as workerd's structured clone sends them (issue 12 rows 2, 6, 7 and 10): deep nesting,
one target twice in a message, shared and cyclic containers, strings with lone surrogates."""

from __future__ import annotations

import msgpack
import pytest

from playground import DataCloneError, Playground, ProtocolError, RpcTarget, WorkerEntrypoint, dispose
from playground.codec import Ext, decode_value, encode_value, marker

from .services import failure


class Counter(RpcTarget):
    def __init__(self) -> None:
        self.i = 0
        self.disposed = 0

    def increment(self, j: int) -> int:
        self.i += j
        return self.i

    def __dispose__(self) -> None:
        self.disposed += 1


class Echo(WorkerEntrypoint):
    counters: list[Counter] = []

    def echo(self, value):
        return value

    def deep(self, kind: str, depth: int):
        return nest(kind, depth)

    def same(self, value):
        return value[0] is value[1]

    def cycle_kept(self, value):
        return value["self"] is value

    def target_twice(self):
        counter = Counter()
        Echo.counters.append(counter)
        return [counter, counter]

    def shared(self):
        o = {"x": [1, 2]}
        return [o, o, (o, o)]

    def cyclic(self):
        a: dict = {"n": 1}
        a["self"] = a
        a["list"] = [a]
        return a

    async def call_both(self, pair):
        return pair[0] is pair[1], await pair[0].increment(1), await pair[1].increment(1)


def echo_world():
    play = Playground(latency="5ms")
    play.worker("b", Echo)
    play.worker("a", Echo, services={"B": "b"})
    return play, play.env("a")


WRAPS = {
    "list": lambda x: [x],
    "dict": lambda x: {"k": x},
    "tuple": lambda x: (x,),
    "frozenset": lambda x: frozenset([x]),
    "mixed": lambda x: [{"k": (x,)}],  # three containers a level
}


def nest(kind: str, depth: int):
    value: object = "leaf"
    wrap = WRAPS[kind]
    for _ in range(depth):
        value = wrap(value)
    return value


def unnest(value: object) -> tuple[int, object]:
    """How many containers deep the leaf is, and the leaf (without recursion)."""
    depth = 0
    while isinstance(value, (list, dict, tuple, frozenset)):
        depth += 1
        value = next(iter(value.values())) if isinstance(value, dict) else next(iter(value))
    return depth, value


# -- row 2: depth ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(WRAPS))
def test_a_value_nested_1000_levels_deep_crosses_as_argument_and_result_every_time(kind):
    play, env = echo_world()
    expected = (3000 if kind == "mixed" else 1000, "leaf")  # (a mixed level is three containers)
    for _ in range(2):
        assert unnest(play.run(env.B.echo(nest(kind, 1000)))) == expected
        assert unnest(play.run(env.B.deep(kind, 1000))) == expected


@pytest.mark.parametrize("depth", [1100, 4000, 4096])
def test_values_nested_up_to_4096_deep_cross(depth):
    play, env = echo_world()
    assert unnest(play.run(env.B.echo(nest("tuple", depth - 1)))) == (depth - 1, "leaf")
    assert unnest(play.run(env.B.deep("dict", depth))) == (depth, "leaf")


def test_the_limit_is_4096_containers_deep():
    play, env = echo_world()
    error = play.run(failure(env.B.echo(nest("list", 4096))))  # (the arguments' list is one more)
    assert type(error) is DataCloneError
    assert str(error) == (
        "Maximum call stack size exceeded: this value is nested more than 4,096 levels deep, which is "
        "more than can be serialized."
    )


def test_a_value_nested_5000_deep_fails_on_the_caller_and_sends_nothing():
    play, env = echo_world()
    with play.record() as rec:
        error = play.run(failure(env.B.echo(nest("list", 5000))))
    assert type(error) is DataCloneError
    assert "Maximum call stack size exceeded" in str(error)
    assert rec.messages == []


def test_a_result_nested_5000_deep_fails_on_the_callee():
    play, env = echo_world()
    error = play.run(failure(env.B.deep("dict", 5000)))
    assert type(error) is DataCloneError and error.remote
    assert "Maximum call stack size exceeded" in str(error)


# -- row 6: one target twice in one message ----------------------------------------------------


def test_one_target_returned_twice_is_one_stub_one_export_one_disposal():
    play, env = echo_world()
    Echo.counters.clear()

    async def scenario():
        pair = await env.B.target_twice()
        assert pair[0] is pair[1]
        values = await pair[0].increment(2), await pair[1].increment(3)
        dispose(pair)
        await play.idle()
        return values

    assert play.run(scenario()) == (2, 5)
    [counter] = Echo.counters
    assert counter.disposed == 1


def test_one_target_passed_twice_is_one_stub_for_the_callee():
    play, env = echo_world()
    counter = Counter()
    assert play.run(env.B.call_both([counter, counter])) == (True, 1, 2)
    play.run(play.idle())
    assert counter.disposed == 1


# -- row 7: identity and cycles within one message ---------------------------------------------


def test_a_container_twice_in_a_result_arrives_as_one_object():
    play, env = echo_world()
    r = play.run(env.B.shared())
    assert r[0] is r[1] and r[2][0] is r[0] and r[2][1] is r[0]
    assert r[0] == {"x": [1, 2]}


def test_a_container_twice_in_the_arguments_is_one_object_for_the_callee():
    play, env = echo_world()
    o = {"x": 1}
    assert play.run(env.B.same([o, o])) is True
    assert play.run(env.B.same([o, {"x": 1}])) is False


def test_cyclic_values_round_trip_with_their_cycles():
    play, env = echo_world()
    r = play.run(env.B.cyclic())
    assert r["self"] is r and r["list"][0] is r and r["n"] == 1
    a: dict = {"n": 2}
    a["self"] = a
    assert play.run(env.B.cycle_kept(a)) is True
    back = play.run(env.B.echo(a))
    assert back is not a and back["self"] is back and back["n"] == 2
    items: list = [1]
    pair = (items, "t")
    items.append(pair)  # a cycle through a tuple
    back = play.run(env.B.echo(items))
    assert back[1][0] is back and type(back[1]) is tuple


def test_a_reference_outside_its_graph_is_a_protocol_error():
    ref = msgpack.ExtType(Ext.REF, msgpack.packb(5))
    with pytest.raises(ProtocolError, match="reference"):
        decode_value(msgpack.packb([marker(Ext.GRAPH), ref, [1]]))
    with pytest.raises(ProtocolError, match="reference outside"):
        decode_value(msgpack.packb([ref]))
    with pytest.raises(ProtocolError):
        decode_value(msgpack.packb(["x", ref], use_bin_type=True))
    user = [msgpack.ExtType(Ext.REF, msgpack.packb(0))]
    with pytest.raises(DataCloneError):
        encode_value(user)


def test_a_tuple_that_contains_itself_is_a_protocol_error():
    ref = msgpack.ExtType(Ext.REF, msgpack.packb(0))
    with pytest.raises(ProtocolError):
        decode_value(msgpack.packb([marker(Ext.GRAPH), ref, [marker(Ext.TUPLE), ref]]))


# -- row 10: lone surrogates -------------------------------------------------------------------


def test_a_string_with_a_lone_surrogate_round_trips():
    play, env = echo_world()
    for value in ("a\ud800b", ["a\ud800b", 1], {"k\udfff": ("x", "\ud83d")}):
        assert play.run(env.B.echo(value)) == value


def test_a_lone_surrogate_next_to_a_target_exports_it_once():
    play, env = echo_world()
    counter = Counter()

    async def scenario():
        back = await env.B.echo(["\ud800", counter])
        result = back[0], await back[1].increment(4)
        dispose(back)
        await play.idle()
        return result

    assert play.run(scenario()) == ("\ud800", 4)
    assert counter.disposed == 1


def test_a_trace_of_cyclic_and_deep_values_renders():
    play, env = echo_world()
    a: dict = {"n": 1}
    a["self"] = a
    with play.record() as rec:
        play.run(env.B.echo(a))
        play.run(env.B.echo(nest("list", 4000)))
    assert "'self': {'n'" in rec.to_json()
    assert rec.to_svg() and rec.to_html() and rec.to_mermaid()
