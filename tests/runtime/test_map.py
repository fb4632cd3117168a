"""``promise.map(fn)``: Cap'n Web's record-replay ``remap`` (docs/design.md, "`.map()`")."""

from __future__ import annotations

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose
from playground.codec import Expression, decode_value, encode_value
from playground.errors import Help, Text


class Greeter(RpcTarget):
    def greet(self, name):
        return f"hello {name}"


class Api(WorkerEntrypoint):
    def list_ids(self):
        return [1, 2, 3]

    def nothing(self):
        return None

    def empty(self):
        return []

    def one(self):
        return 7

    def lookup(self, id):
        return {"id": id, "name": {"first": f"user{id}"}}

    def add(self, a, b):
        return a + b

    def check(self, id):
        if id == 2:
            raise ValueError(f"bad id {id}")
        return id


class Other(WorkerEntrypoint):
    def greeter(self):
        return Greeter()


class A(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    play = Playground(latency="25ms")
    play.worker("api", Api)
    play.worker("other", Other)
    play.worker("a", A, services={"API": "api", "OTHER": "other"})
    return play


def run(play, fn):
    env = play.env("a")
    with play.record() as rec:
        result = play.run(fn(env.API, env))
    return result, rec


def test_element_wise_calls_on_the_main_stub_are_one_message_and_one_round_trip(play):
    async def go(api, env):
        return await api.list_ids().map(lambda id: api.lookup(id))

    result, rec = run(play, go)
    assert result == [{"id": i, "name": {"first": f"user{i}"}} for i in (1, 2, 3)]
    assert rec.round_trips == 1
    pushes = [m for m in rec.messages if m.kind == "push"]
    assert len(pushes) == 2  # list_ids(), and the map: one push
    assert play.leaks() == []


def test_structures_plain_values_and_the_element_itself(play):
    async def go(api, env):
        return await api.list_ids().map(lambda id: (id, {"sum": api.add(id, 100)}, "x"))

    result, rec = run(play, go)
    assert result == [(1, {"sum": 101}, "x"), (2, {"sum": 102}, "x"), (3, {"sum": 103}, "x")]
    assert rec.round_trips == 1


def test_nested_property_reads(play):
    async def go(api, env):
        return await api.list_ids().map(lambda id: api.lookup(id).name.first)

    result, rec = run(play, go)
    assert result == ["user1", "user2", "user3"]
    assert rec.round_trips == 1


def test_a_captured_stub_of_another_worker(play):
    async def go(api, env):
        greeter = await env.OTHER.greeter()
        with greeter:
            return await api.list_ids().map(lambda id: greeter.greet(id))

    result, _ = run(play, go)
    assert result == ["hello 1", "hello 2", "hello 3"]
    assert play.leaks() == []


def test_null_stays_null_a_scalar_is_mapped_once_an_empty_array_stays_empty(play):
    async def go(api, env):
        return (
            await api.nothing().map(lambda x: api.add(x, 1)),
            await api.one().map(lambda x: api.add(x, 1)),
            await api.empty().map(lambda x: api.add(x, 1)),
        )

    result, _ = run(play, go)
    assert result == (None, 8, [])


def test_an_error_in_one_element_rejects_the_whole(play):
    async def go(api, env):
        return await api.list_ids().map(lambda id: api.check(id))

    with pytest.raises(ValueError, match="bad id 2"):
        run(play, go)
    assert play.leaks() == []


def test_map_on_a_property(play):
    async def go(api, env):
        return await api.lookup(5).name.map(lambda n: n.first)

    result, _ = run(play, go)
    assert result == "user5"


def test_the_map_is_one_remap_expression_on_the_wire():
    expr = Expression(("remap", ("items",), [], [Expression(("pipeline", 0, ("name",))), Expression(("pipeline", 1))]))
    back = decode_value(encode_value(expr))
    assert type(back) is Expression and back == expr
    assert repr(back) == "remap(('items',), [], [pipeline(0, ('name',)), pipeline(1,)])"


def test_an_async_callback_is_refused_with_what_a_callback_may_do(play):
    async def go(api, env):
        async def fetch_one(id):
            return await api.lookup(id)

        with api.list_ids() as ids:
            return ids.map(fetch_one)

    with pytest.raises(TypeError) as caught:
        run(play, go)
    assert str(caught.value) == f"{Text.MAP_ASYNC}\n{Help.MAP_RULES}"
    assert str(caught.value).startswith("RPC map() callbacks cannot be async.\nA map() callback runs once")


def test_using_the_placeholder_as_a_value_says_it_is_a_placeholder(play):
    async def go(api, env):
        with api.list_ids() as ids:
            return ids.map(lambda id: id + 1)

    with pytest.raises(TypeError) as caught:
        run(play, go)
    text = str(caught.value)
    assert text.startswith("unsupported operand type(s) for +: 'RpcPromise' and 'int', at ")
    assert text.endswith(f". This is a placeholder inside a map() callback, not a value. {Help.MAP_RULES}")


def test_a_target_made_in_the_callback_is_refused(play):
    async def go(api, env):
        with api.list_ids() as ids:
            return ids.map(lambda id: api.add(id, Greeter()))

    with pytest.raises(TypeError) as caught:
        run(play, go)
    assert str(caught.value) == f"{Text.MAP_TARGET}\n{Help.MAP_RULES}"


def test_a_placeholder_kept_past_its_callback_fails(play):
    kept = []

    async def go(api, env):
        await api.list_ids().map(lambda id: kept.append(id) or id)
        return await kept[0].foo()

    with pytest.raises(TypeError, match="Attempted to use an abstract placeholder from a mapper function"):
        run(play, go)


def test_captured_stubs_are_released_and_nothing_leaks(play):
    async def go(api, env):
        greeter = await env.OTHER.greeter()
        result = await api.list_ids().map(lambda id: [greeter.greet(id), api.add(id, 1)])
        dispose(greeter)
        return result

    result, _ = run(play, go)
    assert result == [["hello 1", 2], ["hello 2", 3], ["hello 3", 4]]
    assert play.leaks() == []


def test_the_diagram_labels_the_map_push(play):
    from playground.viz.labels import message_label
    from playground.viz.view import View

    async def go(api, env):
        return await api.list_ids().map(lambda id: api.lookup(id))

    _, rec = run(play, go)
    view = View(rec)
    labels = [message_label(view, m) for m in rec.messages if m.kind == "push"]
    assert labels == ["list_ids()", "→ map(…)"]
