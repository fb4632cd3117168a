"""Durable Objects: one instance per id, state and storage, ordering, errors, stubs over RPC."""

from __future__ import annotations

import asyncio

import pytest

from playground import DurableObject, Playground, Response, RpcError, WorkerEntrypoint

from .services import failure


class MyActor(DurableObject):
    constructed = 0

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        MyActor.constructed += 1
        self.count = 0
        self.log: list[int] = []

    def increment(self, by):
        self.count += by
        return self.count

    async def slow_append(self, item, delay):
        self.log.append(item)
        await asyncio.sleep(delay)
        return list(self.log)

    async def remember(self, key, value):
        await self.ctx.storage.put(key, value)
        return await self.ctx.storage.get(key)

    async def recall(self, key):
        return await self.ctx.storage.get(key)

    async def storage_ops(self):
        storage = self.ctx.storage
        await storage.put({"b": 2, "a": 1, "c": 3})
        listed = await storage.list()
        some = await storage.list(prefix="a")
        removed = await storage.delete("a")
        many = await storage.get(["a", "b", "c"])
        return listed, some, removed, many

    def throwing_method(self):
        raise Exception("ACTOR METHOD THREW")

    def who(self):
        return str(self.ctx.id), self.ctx.id.name

    def ping(self):
        return "pong"

    def wait_for_nothing(self):
        try:
            self.ctx.wait_until(5)
        except TypeError as error:
            return str(error)
        return "accepted"

    async def hang(self):
        await asyncio.Event().wait()

    def abort(self):
        self.ctx.abort("test aborted by abort()")

    async def broken_critical_section(self):
        async def fail():
            raise RpcError("test broken critical section")

        await self.ctx.block_concurrency_while(fail)

    def get_callback_stub(self):
        return lambda: "callback in the actor"

    async def callback_blocking_concurrency(self):
        async def inside():
            return await self.env.SVC.call_me_back(lambda: 12345)

        return await self.ctx.block_concurrency_while(inside)

    async def fetch(self, request):
        return Response(f"actor fetch {request.url}")


class ActorNoExtends:
    def __init__(self, ctx, env):
        self.ctx = ctx

    async def fetch(self, request):
        return Response("from ActorNoExtends")

    def foo(self):
        return 123


class Service(WorkerEntrypoint):
    async def call_me_back(self, callback):
        return await callback()

    async def increment_counter(self, counter, by):
        return await counter.increment(by)

    def get_my_actor(self, name):
        ns = self.env.MY_ACTOR
        return ns.get(ns.id_from_name(name))

    def get_my_actor_in_object(self, name):
        return {"actor": self.get_my_actor(name)}

    def throwing(self):
        raise Exception("SERVICE THREW")


class Proxy(WorkerEntrypoint):
    def get_my_actor(self, name):
        return self.env.SVC.get_my_actor(name)

    def get_my_actor_in_object(self, name):
        return self.env.SVC.get_my_actor_in_object(name)


class Client(WorkerEntrypoint):
    pass


def make():
    MyActor.constructed = 0
    play = Playground(latency="10ms", seed=3)
    play.worker("actors", Service, exports=[MyActor, ActorNoExtends],
                services={"SVC": "svc"}, durable_objects={"MY_ACTOR": "MyActor"})
    play.worker("svc", Service, durable_objects={"MY_ACTOR": ("actors", "MyActor")})
    play.worker("proxy", Proxy, services={"SVC": "svc"})
    play.worker("client", Client, services={"SVC": "svc", "PROXY": "proxy"},
                durable_objects={"MY_ACTOR": ("actors", "MyActor"), "NO_EXTENDS": ("actors", "ActorNoExtends")})
    return play, play.env("client")


def test_one_instance_per_id_keeps_state_across_calls():
    play, env = make()
    ns = env.MY_ACTOR
    stub = ns.get(ns.id_from_name("room"))

    async def scenario():
        return [await stub.increment(5), await stub.increment(2), await stub.increment(8)]

    assert play.run(scenario()) == [5, 7, 15]
    other = ns.get(ns.id_from_name("other"))
    assert play.run(other.increment(1)) == 1
    assert MyActor.constructed == 2


def test_wait_until_refuses_what_cannot_be_awaited_at_the_call():
    play, env = make()
    stub = env.MY_ACTOR.get(env.MY_ACTOR.id_from_name("room"))
    assert play.run(stub.wait_for_nothing()) == "wait_until() takes an awaitable; got int."
    assert play.run(stub.ping()) == "pong"  # and the object carries on


def test_ids_from_names_are_stable_unique_ids_are_seeded():
    play, env = make()
    ns = env.MY_ACTOR
    assert ns.id_from_name("room") == ns.id_from_name("room")
    assert ns.id_from_name("room") != ns.id_from_name("hall")
    assert len(str(ns.id_from_name("room"))) == 64
    first = ns.new_unique_id()
    assert first != ns.new_unique_id() and first.name is None
    play_again, env_again = make()
    assert env_again.MY_ACTOR.new_unique_id() == first  # same seed, same ids
    stub = ns.get(ns.id_from_name("room"))
    assert stub.name == "room" and stub.id == ns.id_from_name("room")
    assert play.run(stub.who()) == (str(ns.id_from_name("room")), "room")
    assert ns.id_from_string(str(first)) == first
    with pytest.raises(TypeError, match="DurableObjectId"):
        ns.get("room")


def test_calls_to_one_object_start_in_the_order_they_were_sent():
    play, env = make()
    stub = env.MY_ACTOR.get(env.MY_ACTOR.id_from_name("ordered"))

    async def scenario():
        return await asyncio.gather(stub.slow_append(1, 0.3), stub.slow_append(2, 0.1), stub.slow_append(3, 0.2))

    first, second, third = play.run(scenario())
    assert first == second == third == [1, 2, 3]


def test_storage_get_put_delete_list():
    play, env = make()
    stub = env.MY_ACTOR.get(env.MY_ACTOR.id_from_name("store"))
    listed, some, removed, many = play.run(stub.storage_ops())
    assert list(listed.items()) == [("a", 1), ("b", 2), ("c", 3)]
    assert some == {"a": 1}
    assert removed is True
    assert many == {"b": 2, "c": 3}


def test_storage_survives_a_crash_memory_does_not():
    play, env = make()
    ns = env.MY_ACTOR
    stub = ns.get(ns.id_from_name("durable"))

    async def before():
        await stub.increment(10)
        return await stub.remember("k", {"v": [1, 2]})

    assert play.run(before()) == {"v": [1, 2]}
    play.crash("actors")
    fresh = ns.get(ns.id_from_name("durable"))
    assert play.run(fresh.increment(1)) == 1  # a new instance: memory lost
    assert play.run(fresh.recall("k")) == {"v": [1, 2]}  # storage kept
    assert MyActor.constructed == 2
    error = play.run(failure(stub.increment(1)))  # the old stub is broken
    assert str(error) == (
        "Network connection lost.\nThe Durable Object MyActor(durable) of worker \"actors\" crashed "
        "(play.crash): its memory is lost, its storage kept. A stub to it is dead for good: it will "
        "not reconnect, even when the object starts again. Get a new one with env.MY_ACTOR.get(id) "
        "and call that."
    )
    assert error.retryable


def test_errors_from_a_durable_object_carry_its_id():
    play, env = make()
    ns = env.MY_ACTOR
    object_id = ns.id_from_name("thrower")
    error = play.run(failure(ns.get(object_id).throwing_method()))
    assert str(error) == "ACTOR METHOD THREW" and error.remote is True
    assert error.durable_object_id == str(object_id)
    service_error = play.run(failure(env.SVC.throwing()))
    assert getattr(service_error, "durable_object_id", None) is None


def test_a_class_not_extending_durable_object_refuses_rpc_but_serves_fetch():
    play, env = make()
    ns = env.NO_EXTENDS
    stub = ns.get(ns.id_from_name("x"))
    response = play.run(stub.fetch("http://foo"))
    assert play.run(response.text()) == "from ActorNoExtends"
    error = play.run(failure(stub.foo()))
    assert type(error) is TypeError
    assert str(error).startswith("The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`.")


def test_durable_object_stubs_cross_rpc():
    play, env = make()
    ns = env.MY_ACTOR
    stub = ns.get(ns.id_from_name("passed"))

    async def scenario():
        first = await env.SVC.increment_counter(stub, 5)
        return first, await stub.increment(7)

    assert play.run(scenario()) == (5, 12)


def test_pipelining_on_returned_durable_object_stubs_also_through_a_proxy():
    play, env = make()

    async def scenario():
        with env.SVC.get_my_actor("p1") as a, env.SVC.get_my_actor_in_object("p2") as b:
            direct = [await a.increment(3), await b.actor.increment(4)]
        with env.PROXY.get_my_actor("p3") as c, env.PROXY.get_my_actor_in_object("p4") as d:
            proxied = [await c.increment(3), await c.increment(5), await d.actor.increment(2), await d.actor.increment(6)]
        return direct, proxied

    assert play.run(scenario()) == ([3, 4], [3, 8, 2, 8])


def test_a_callback_can_reenter_during_block_concurrency_while():
    play, env = make()
    stub = env.MY_ACTOR.get(env.MY_ACTOR.id_from_name("cb"))
    assert play.run(stub.callback_blocking_concurrency()) == 12345


@pytest.mark.parametrize("method, message", [("abort", "test aborted by abort()"), ("broken_critical_section", "test broken critical section")])
def test_aborting_a_durable_object(method, message):
    play, env = make()
    ns = env.MY_ACTOR
    actor = ns.get(ns.id_from_name(f"abort-{method}"))

    async def scenario():
        assert await actor.ping() == "pong"
        callback = await actor.get_callback_stub()
        hang = asyncio.ensure_future(failure(actor.hang()))
        await play.sleep(0.1)
        aborting = asyncio.ensure_future(failure(getattr(actor, method)()))
        queued = asyncio.ensure_future(failure(actor.ping()))
        errors = [await hang, await aborting, await queued]
        later = await failure(callback())
        again = await failure(actor.increment(2))
        callback.__exit__(None, None, None)
        fresh = await ns.get(ns.id_from_name(f"abort-{method}")).increment(2)
        return errors, later, again, fresh

    errors, later, again, fresh = play.run(scenario())
    assert [str(e) for e in errors] == [message] * 3
    assert str(later) == "The execution context which hosts this callback is no longer running."
    assert str(again) == message  # the old stub stays broken
    assert fresh == 2  # a new stub reaches a fresh instance


class OrderedActor(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.log: list[str] = []

    async def async_step(self, name):
        self.log.append(name)  # runs before the first await, in delivery order
        await asyncio.sleep(0.01)
        return list(self.log)

    def sync_step(self, name):
        self.log.append(name)
        return list(self.log)


def test_async_and_sync_calls_sent_together_start_in_the_order_sent():
    play = Playground(latency="10ms")
    play.worker("w", Service, exports=[OrderedActor], durable_objects={"O": "OrderedActor"})
    env = play.env("w")
    stub = env.O.get(env.O.id_from_name("o"))

    async def scenario():
        return await asyncio.gather(stub.async_step("a"), stub.sync_step("b"), stub.async_step("c"))

    first, second, third = play.run(scenario())
    assert second == ["a", "b"]
    assert first == third == ["a", "b", "c"]
