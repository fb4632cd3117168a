"""Durable Object bindings to another worker's class read like services: ``("worker", "Class")``.

The old order, ``("Class", "worker")``, still works with one ``DeprecationWarning`` naming the
new spelling; a pair is read in the new order whenever that worker exports that class.
"""

from __future__ import annotations

import warnings

import pytest

from playground import DurableObject, Playground, WorkerEntrypoint
from playground.errors import ConfigurationError


class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.visits = 0

    def visit(self):
        self.visits += 1
        return self.visits


class Lobby(WorkerEntrypoint):
    async def visit(self, name):
        ns = self.env.ROOM
        return await ns.get(ns.id_from_name(name)).visit()


def rooms_and_app(spec, *, app_first=False):
    """A world with worker "rooms" exporting Room, and worker "app" binding ROOM with ``spec``."""
    play = Playground(latency="10ms", seed=1)
    if app_first:
        play.worker("app", Lobby, durable_objects={"ROOM": spec})
    play.worker("rooms", Lobby, exports=[Room])
    if not app_first:
        play.worker("app", Lobby, durable_objects={"ROOM": spec})
    return play


def visit_from_app(play):
    """Two visits from worker "app" to the room "lobby"; the values and the messages sent."""
    ns = play.env("app").ROOM

    async def scenario():
        stub = ns.get(ns.id_from_name("lobby"))
        with play.record() as rec:
            values = [await stub.visit(), await stub.visit()]
        return values, [(m.sender, m.receiver) for m in rec.messages if m.kind in ("push", "resolve")]

    return play.run(scenario())


@pytest.mark.parametrize(
    "spec",
    [("rooms", "Room"), ("rooms", Room), {"worker": "rooms", "class_name": "Room"},
     {"script_name": "rooms", "class_name": "Room"}],
    ids=["pair", "pair-with-class", "dict", "dict-wrangler-keys"],
)
@pytest.mark.parametrize("app_first", [False, True], ids=["owner-first", "owner-later"])
def test_the_new_order_binds_another_workers_class_and_the_call_crosses_the_network(spec, app_first):
    play = rooms_and_app(spec, app_first=app_first)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for the new spelling
        values, hops = visit_from_app(play)
    assert values == [1, 2]
    assert hops == [("app", "rooms"), ("rooms", "app")] * 2
    assert play.workers["app"].durable_objects == {"ROOM": ("rooms", "Room")}
    play.close()


def test_the_new_order_works_from_inside_a_worker():
    play = rooms_and_app(("rooms", "Room"))
    play.worker("front", Lobby, services={"APP": "app"})

    async def scenario():
        with play.record() as rec:
            value = await play.env("front").APP.visit("hall")
        return value, {(m.sender, m.receiver) for m in rec.messages}

    value, pairs = play.run(scenario())
    assert value == 1
    assert {("front", "app"), ("app", "rooms"), ("rooms", "app"), ("app", "front")} <= pairs
    play.close()


@pytest.mark.parametrize("app_first", [False, True], ids=["owner-first", "owner-later"])
def test_the_old_order_still_works_with_one_deprecation_warning(app_first):
    with pytest.warns(DeprecationWarning) as caught:
        play = rooms_and_app(("Room", "rooms"), app_first=app_first)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert 'Write ("rooms", "Room")' in message and "the worker first" in message
    assert caught[0].filename == __file__  # it names the user's play.worker(...) line
    assert play.workers["app"].durable_objects == {"ROOM": ("rooms", "Room")}
    values, hops = visit_from_app(play)
    assert values == [1, 2] and hops == [("app", "rooms"), ("rooms", "app")] * 2
    play.close()


def test_the_old_order_with_a_class_object_warns_at_once():
    play = Playground()
    with pytest.warns(DeprecationWarning, match=r'Write \("rooms", "Room"\)') as caught:
        play.worker("app", Lobby, durable_objects={"ROOM": (Room, "rooms")})
    assert len(caught) == 1 and caught[0].filename == __file__
    play.worker("rooms", Lobby, exports=[Room])
    assert visit_from_app(play)[0] == [1, 2]
    play.close()


def test_when_both_readings_fit_the_new_order_wins():
    # worker "a" exports a class "b", and worker "b" exports a class "a"
    a_class = type("b", (Room,), {"visit": lambda self: "a's class b"})
    b_class = type("a", (Room,), {"visit": lambda self: "b's class a"})
    play = Playground()
    play.worker("a", Lobby, exports=[a_class])
    play.worker("b", Lobby, exports=[b_class])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        play.worker("app", Lobby, durable_objects={"ROOM": ("a", "b")})
        assert visit_from_app(play)[0] == ["a's class b"] * 2
    play.close()


def test_the_own_workers_class_by_name_is_unchanged():
    play = Playground()
    play.worker("rooms", Lobby, exports=[Room], durable_objects={"ROOM": "Room"})
    ns = play.env("rooms").ROOM
    assert play.run(ns.get(ns.id_from_name("x")).visit()) == 1
    assert play.workers["rooms"].durable_objects == {"ROOM": ("rooms", "Room")}
    play.close()


@pytest.mark.parametrize(
    "spec, fragment",
    [
        (("rooms",), r'must be "ClassName" \(a class this worker exports\), \("worker", "ClassName"\)'),
        (("rooms", "Room", "x"), r'\("worker", "ClassName"\)'),
        (("rooms", ""), r'\("worker", "ClassName"\)'),
        ((Room, Room), r'\("worker", "ClassName"\)'),
        ({"class_name": "Room", "worker": "rooms", "script_name": "rooms"}, "script_name"),
        ({"worker": "rooms"}, r'\{"worker": "worker", "class_name": "ClassName"\}'),
        ({"class_name": "Room", "service": "rooms"}, "class_name"),
        (5, r'must be "ClassName"'),
    ],
)
def test_bad_spellings_are_refused_at_once(spec, fragment):
    play = Playground()
    with pytest.raises(ConfigurationError, match=fragment):
        play.worker("app", Lobby, durable_objects={"ROOM": spec})
    assert "app" not in play.workers
    play.close()


@pytest.mark.parametrize(
    "spec, fragment",
    [
        (("nowhere", "Room"), r'worker "nowhere", which is not in this playground \(workers: app, rooms\)\. '
                              r'Write durable_objects=\{"ROOM": \("worker", "ClassName"\)\}'),
        (("rooms", "Hall"), r'Worker "app" binding ROOM: Worker "rooms" exports no Durable Object class named "Hall"'),
        (("Hall", "rooms"), r'exports no Durable Object class named "rooms"|worker "Hall", which is not'),
    ],
)
def test_a_pair_that_fits_neither_reading_is_reported_when_the_binding_is_checked(spec, fragment):
    play = rooms_and_app(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither reading fits: no deprecation warning either
        with pytest.raises(ConfigurationError, match=fragment):
            play.env("app")
    play.close()
