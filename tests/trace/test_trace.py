"""The trace: complete, immutable events; segments; statistics."""

from __future__ import annotations

import pytest

from playground import Playground, RpcTarget, WorkerEntrypoint, dispose
from playground.codec import DisplayRef
from playground.trace import CallEvent, ContextEvent, MessageEvent, StubEvent, where_text


class Counter(RpcTarget):
    def increment(self, n):
        return n

    def __dispose__(self):
        pass


class Svc(WorkerEntrypoint):
    def get_counter(self):
        return Counter()

    def add(self, a, b):
        return a + b


class Client(WorkerEntrypoint):
    pass


@pytest.fixture
def play():
    play = Playground(latency="25ms")
    play.worker("svc", Svc)
    play.worker("client", Client, services={"S": "svc"})
    return play


def test_a_call_records_its_messages_with_times_sizes_and_ids(play):
    env = play.env("client")
    with play.record() as rec:
        play.run(env.S.add(1, 2))
    kinds = [(m.kind, m.sender, m.receiver) for m in rec.messages]
    assert kinds == [
        ("push", "client", "svc"),
        ("pull", "client", "svc"),
        ("resolve", "svc", "client"),
        ("release", "client", "svc"),  # sent the moment the result arrives
    ]
    push, pull, resolve, release = rec.messages
    assert release.sent_at == resolve.received_at and not release.counted
    assert (push.sent_at, push.received_at) == (0.0, 0.025)
    assert (resolve.sent_at, resolve.received_at) == (0.025, 0.05)
    assert push.path == ("add",) and push.id == 1 and push.target == 0
    assert push.value == [1, 2] and resolve.value == 3
    assert push.size > 0 and rec.bytes == sum(m.size for m in rec.messages)
    assert resolve.cause == pull.seq  # the reply follows the pull's arrival
    assert push.session == pull.session == resolve.session
    (call,) = rec.calls
    assert (call.caller, call.callee, call.path, call.pipelined, call.is_get) == ("client", "svc", ("add",), False, False)
    assert call.where is not None and call.where[0].endswith("test_trace.py")


def test_the_release_after_a_result_is_recorded_but_does_not_count(play):
    env = play.env("client")
    play.run(env.S.add(1, 2))
    play.run(play.idle())
    release = [m for m in play.trace.messages if m.kind == "release"]
    assert len(release) == 1 and release[0].counted is False and release[0].cause is None


def test_stub_events_follow_a_stub_from_creation_to_its_targets_disposer(play):
    env = play.env("client")

    async def scenario():
        counter = await env.S.get_counter()
        copy = counter.dup()
        dispose(counter)
        dispose(copy)
        await play.idle()

    play.run(scenario())
    actions = [(e.action, e.owner) for e in play.trace.stub_events]
    assert ("created", "client") in actions
    assert ("dup", "client") in actions
    assert actions.count(("disposed", "client")) == 2
    assert ("disposer", "svc") in actions
    created = next(e for e in play.trace.stub_events if e.action == "created" and e.target.startswith("stub"))
    origin = play.trace.events[created.origin_call]
    assert isinstance(origin, CallEvent) and origin.path == ("get_counter",)


def test_pipelined_calls_point_at_the_call_they_depend_on(play):
    env = play.env("client")

    async def scenario():
        with env.S.get_counter() as counter:
            return await counter.increment(2)

    with play.record() as rec:
        play.run(scenario())
    first, second = rec.calls
    assert second.pipelined and second.target_call == first.seq
    pushes = [m for m in rec.messages if m.kind == "push"]
    assert pushes[1].target == pushes[0].id  # addressed to the unresolved answer
    assert isinstance(pushes[0].value, list)


def test_capabilities_in_payloads_are_shown_as_placeholders(play):
    env = play.env("client")

    async def scenario():
        counter = await env.S.get_counter()
        dispose(counter)

    with play.record() as rec:
        play.run(scenario())
    resolve = next(m for m in rec.messages if m.kind == "resolve")
    assert isinstance(resolve.value, DisplayRef) and repr(resolve.value) == "<stub -1>"


def test_events_are_immutable(play):
    env = play.env("client")
    play.run(env.S.add(1, 2))
    event = play.trace.messages[0]
    with pytest.raises(AttributeError):
        event.size = 0  # type: ignore[misc]


def test_contexts_open_and_close(play):
    env = play.env("client")
    play.run(env.S.add(1, 2))
    play.run(play.idle())
    events = [(e.action, e.worker, e.label) for e in play.trace.events if isinstance(e, ContextEvent)]
    assert events == [("opened", "svc", "add"), ("closed", "svc", "add")]


def test_segments_cover_only_their_block_and_their_time(play):
    env = play.env("client")
    play.run(env.S.add(1, 1))
    with play.record() as rec:
        play.run(env.S.add(2, 2))
        during = rec.elapsed
    play.run(env.S.add(3, 3))
    assert during == pytest.approx(0.05)
    assert rec.elapsed == pytest.approx(0.05)  # closed: later events are not in it
    assert [m.value for m in rec.messages if m.kind == "push"] == [[2, 2]]
    assert rec.start == pytest.approx(0.05)
    assert len(play.trace.calls) == 3
    assert play.trace.elapsed == play.now


def test_summary_and_repr(play):
    env = play.env("client")
    with play.record() as rec:
        play.run(env.S.add(1, 2))
    assert rec.summary() == {"round_trips": 1, "elapsed": 0.05, "calls": 1, "pipelined": 0, "messages": 4, "bytes": rec.bytes}
    assert "1 round trip" in repr(rec)
    assert rec.workers[:2] == ["svc", "client"]


def test_a_message_event_has_the_fields_the_api_promises(play):
    env = play.env("client")
    play.run(env.S.add(1, 2))
    fields = set(MessageEvent._fields)
    assert {"kind", "sender", "receiver", "sent_at", "received_at", "size"} <= fields
    assert isinstance(play.trace.messages[0], MessageEvent)
    assert all(isinstance(e, StubEvent) for e in play.trace.stub_events)


def test_where_text_names_notebook_cells_not_kernel_temp_files():
    assert where_text(("/tmp/ipykernel_4242/3859161.py", 7)) == "cell line 7"
    assert where_text(("<ipython-input-3-5a1c>", 2)) == "cell line 2"
    assert where_text(("/home/ada/project/bank.py", 12)) == "bank.py:12"
    assert where_text(None) == "?"


def test_leak_reports_name_the_cell_a_stub_was_made_in():
    from playground.runtime.ledger import StubInfo

    info = StubInfo(
        id=3, kind="stub", owner="teller", context="host", target="stub from bank: Account",
        where=("/tmp/ipykernel_4242/3859161.py", 7), since=0.05, reachable=True, managed=False,
    )
    assert "made at cell line 7 at 50 ms" in str(info)
