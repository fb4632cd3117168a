"""Three-party forwarding: calls on a forwarded stub go through the introducer, two hops each way."""

from __future__ import annotations

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose


class Counter(RpcTarget):
    def __init__(self):
        self.n = 0

    def increment(self, by):
        self.n += by
        return self.n


class CounterService(WorkerEntrypoint):
    def get_counter(self):
        return Counter()


class Another(WorkerEntrypoint):
    async def use_counter(self, counter):
        return await counter.increment(5)


class Introducer(WorkerEntrypoint):
    pass


def make():
    play = Playground(latency="10ms")
    play.worker("counter", CounterService)
    play.worker("another", Another)
    play.worker("introducer", Introducer, services={"COUNTER": "counter", "ANOTHER": "another"})
    return play, play.env("introducer")


def test_a_forwarded_awaited_stub_costs_two_hops_each_way():
    play, env = make()

    async def scenario():
        counter = await env.COUNTER.get_counter()
        with play.record() as rec:
            value = await env.ANOTHER.use_counter(counter)
        dispose(counter)
        return value, rec

    value, rec = play.run(scenario())
    assert value == 5
    hops = [(m.sender, m.receiver) for m in rec.messages if m.kind in ("push", "resolve")]
    assert hops == [
        ("introducer", "another"),  # use_counter(counter)
        ("another", "introducer"),  # counter.increment(5) ... reaches the introducer
        ("introducer", "counter"),  # ... which forwards it
        ("counter", "introducer"),  # the result comes back the same way
        ("introducer", "another"),
        ("another", "introducer"),  # use_counter's result
    ]
    assert rec.round_trips == 3
    assert rec.elapsed == pytest.approx(0.06)


def test_the_callee_never_talks_to_the_counter_directly():
    play, env = make()

    async def scenario():
        with await env.COUNTER.get_counter() as counter:
            with play.record() as rec:
                value = await env.ANOTHER.use_counter(counter)
        return value, rec

    value, rec = play.run(scenario())
    assert value == 5
    pairs = {frozenset((m.sender, m.receiver)) for m in rec.messages}
    assert frozenset(("another", "counter")) not in pairs


def test_stubs_list_owner_target_where_and_since():
    play, env = make()

    async def scenario():
        await play.sleep(1)
        return await env.COUNTER.get_counter()

    counter = play.run(scenario())
    (info,) = play.stubs()
    assert info.owner == "introducer"
    assert info.target.startswith("stub from counter")
    assert info.where is not None and info.where[0].endswith("test_forwarding.py")
    assert info.since == pytest.approx(1.02)
    assert info.reachable and play.leaks() == [info]
    assert "introducer" in str(info) and "test_forwarding.py" in str(info)
    dispose(counter)
    assert play.stubs() == [] and play.leaks() == []


class Account(RpcTarget):
    def balance(self):
        return 100


class Bank(WorkerEntrypoint):
    def open_account(self):
        return Account()

    async def describe(self, account):
        return await account.balance()


def make_bank():
    play = Playground(latency="25ms")
    play.worker("bank", Bank)
    play.worker("teller", Introducer, services={"BANK": "bank"})
    return play, play.env("teller").BANK


def test_a_stub_sent_back_to_its_own_worker_is_called_there_directly():
    play, bank = make_bank()

    async def scenario():
        account = await bank.open_account()
        with play.record() as rec:
            value = await bank.describe(account)
        again = await account.balance()  # the teller's own stub still works
        dispose(account)
        return value, again, rec

    value, again, rec = play.run(scenario())
    assert (value, again) == (100, 100)
    assert rec.round_trips == 1 and rec.elapsed == pytest.approx(0.05)
    pushes = [(m.sender, m.receiver) for m in rec.messages if m.kind == "push"]
    assert pushes == [("teller", "bank")]  # balance() never crossed back to the teller
    assert play.stubs() == []
