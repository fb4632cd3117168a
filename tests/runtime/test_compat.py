"""Compatibility modes: stub ownership in parameters (P1, G24) and error serialization."""

from __future__ import annotations

import pytest

from playground import DataCloneError, Playground, RemoteError, RpcStub, RpcTarget, WorkerEntrypoint, dispose

from .services import disposed, failure

TRANSFER = {"compatibility_flags": ["rpc_params_transfer_stubs"]}
DUP = {}  # the default (dates from 2026-01-20)


class Counter(RpcTarget):
    def __init__(self, i=0):
        self.i = i
        self.disposed = 0

    def increment(self, j):
        self.i += j
        return self.i

    def __dispose__(self):
        self.disposed += 1


class DupCounts:
    created = 0
    disposed = 0


class DuplicatingTarget(RpcTarget):
    def __init__(self, original=True):
        self.original = original
        self.disposed = 0

    def dup(self):
        DupCounts.created += 1
        return DuplicatingTarget(original=False)

    def ping(self):
        return "original" if self.original else "duplicate"

    def __dispose__(self):
        self.disposed += 1
        if not self.original:
            DupCounts.disposed += 1


class BadDup(RpcTarget):
    def dup(self):
        return 42


class Service(WorkerEntrypoint):
    async def increment_counter(self, counter, i):
        return await counter.increment(i)

    async def ping(self, target):
        return await target.ping()

    async def call(self, fn):
        return await fn()

    def round_trip(self, stub):
        return {"stub": stub.dup()}

    def custom_error(self):
        class MyError(Exception):
            pass

        error = MyError("my custom error")
        error.code = 7
        raise error

    def builtin_error(self):
        error = ValueError("range boom")
        error.code = 42
        raise error


class Client(WorkerEntrypoint):
    pass


def make(**mode):
    DupCounts.created = DupCounts.disposed = 0
    play = Playground(latency="5ms", **mode)
    play.worker("svc", Service)
    play.worker("client", Client, services={"S": "svc"})
    return play, play.env("client")


def test_modes_follow_the_date_and_the_flags():
    assert make(compatibility_date="2026-01-19")[0].transfer_params is True
    assert make(compatibility_date="2026-01-20")[0].transfer_params is False
    assert make(compatibility_flags=["rpc_params_transfer_stubs"])[0].transfer_params is True
    assert make()[0].compatibility.enhanced_errors is True
    assert make(compatibility_date="2026-04-20")[0].compatibility.enhanced_errors is False


def test_g24_transfer_mode_disposes_a_stub_sent_as_a_parameter():
    play, env = make(**TRANSFER)

    async def scenario():
        stub = RpcStub(Counter(4))
        dup = stub.dup()
        first = await env.S.increment_counter(stub, 5)
        after = await failure(stub.increment(7))
        with dup:
            return first, str(after), await dup.increment(7)

    assert play.run(scenario()) == (9, disposed("transferred"), 16)


def test_dup_mode_keeps_the_callers_stub_usable():
    play, env = make(**DUP)
    target = Counter(0)

    async def scenario():
        with RpcStub(target) as stub:
            await env.S.increment_counter(stub, 1)
            await env.S.increment_counter(stub, 2)
            count = await stub.increment(3)
            await play.idle()
            before = target.disposed
        await play.idle()
        return count, before, target.disposed

    assert play.run(scenario()) == (6, 0, 1)


@pytest.mark.parametrize("mode", [TRANSFER, DUP], ids=["transfer", "dup"])
def test_a_plain_target_is_disposed_once_per_sending(mode):
    play, env = make(**mode)
    target = Counter(0)

    async def scenario():
        await env.S.increment_counter(target, 1)
        await env.S.increment_counter(target, 1)
        await play.idle()

    play.run(scenario())
    assert (target.i, target.disposed) == (2, 2)


def test_dup_mode_sends_what_a_targets_dup_returns():
    play, env = make(**DUP)
    original = DuplicatingTarget()

    async def scenario():
        results = [await env.S.ping(original), await env.S.ping(original)]
        await play.idle()
        return results

    assert play.run(scenario()) == ["duplicate", "duplicate"]
    assert (DupCounts.created, DupCounts.disposed, original.disposed) == (2, 2, 0)


def test_transfer_mode_ignores_dup_methods():
    play, env = make(**TRANSFER)
    original = DuplicatingTarget()
    assert play.run(env.S.ping(original)) == "original"
    play.run(play.idle())
    assert DupCounts.created == 0 and original.disposed == 1


def test_a_dup_that_returns_the_wrong_type_is_refused():
    play, env = make(**DUP)
    error = play.run(failure(env.S.ping(BadDup())))
    assert type(error) is DataCloneError
    assert str(error).startswith("Couldn't create a stub for the RcpTarget because it has a dup() method")


def test_dup_mode_for_functions_with_a_dup_attribute():
    play, env = make(**DUP)
    counts = {"dup": 0, "dispose": 0}

    def make_fn():
        def fn():
            return "called"

        fn.__dispose__ = lambda: counts.__setitem__("dispose", counts["dispose"] + 1)
        return fn

    original = make_fn()

    def dup():
        counts["dup"] += 1
        return make_fn()

    original.dup = dup

    async def scenario():
        results = [await env.S.call(original), await env.S.call(original)]
        await play.idle()
        return results

    assert play.run(scenario()) == ["called", "called"]
    assert counts == {"dup": 2, "dispose": 2}


@pytest.mark.parametrize("mode", [TRANSFER, DUP], ids=["transfer", "dup"])
def test_returned_stubs_transfer_ownership_in_every_mode(mode):
    play, env = make(**mode)
    target = Counter(0)

    async def scenario():
        stub = RpcStub(target)
        keep = stub.dup() if mode is TRANSFER else stub
        async with env.S.round_trip(keep) as result:
            returned = result["stub"]
            assert await returned.increment(1) == 1
            if mode is not TRANSFER:
                dispose(stub)
            await play.idle()
            alive = target.disposed
        await play.idle()
        if mode is TRANSFER:
            dispose(stub)
            await play.idle()
        return alive, target.disposed

    alive, final = play.run(scenario())
    assert alive == 0 and final == 1


def test_enhanced_errors_keep_custom_classes_and_attributes():
    play, env = make()
    error = play.run(failure(env.S.custom_error()))
    assert isinstance(error, RemoteError)
    assert (error.name, str(error), error.code) == ("MyError", "my custom error", 7)
    builtin = play.run(failure(env.S.builtin_error()))
    assert type(builtin) is ValueError and builtin.code == 42


@pytest.mark.parametrize("mode", [{"compatibility_date": "2024-04-03"}, {"compatibility_flags": ["legacy_error_serialization"]}])
def test_legacy_errors_fold_the_class_into_the_message_and_drop_attributes(mode):
    play, env = make(**mode)
    error = play.run(failure(env.S.custom_error()))
    assert type(error) is RemoteError
    assert error.name == "Error"
    assert str(error) == "MyError: my custom error"
    assert not hasattr(error, "code")
    assert error.remote is True
    builtin = play.run(failure(env.S.builtin_error()))
    assert type(builtin) is ValueError and str(builtin) == "range boom"
    assert not hasattr(builtin, "code")
