"""The protocol core driven by two sessions back to back: no clock, no codec, no network.

Hooks are plain strings here: the session only stores them and hands them back.
"""

from __future__ import annotations

import pytest

from playground.errors import ProtocolError
from playground.protocol import (
    MAIN,
    Abort,
    CallArrived,
    ExportReleased,
    Pull,
    PullArrived,
    Push,
    Release,
    Resolve,
    ResultArrived,
    Session,
    SessionAborted,
)


class Pair:
    """A caller session and a callee session joined by a fake link that delivers on demand."""

    def __init__(self) -> None:
        self.caller = Session()
        self.callee = Session(main="main-object")

    def to_callee(self) -> list:
        return [self.callee.receive(m) for m in self.caller.take_outgoing()]

    def to_caller(self) -> list:
        return [self.caller.receive(m) for m in self.callee.take_outgoing()]


def test_call_pull_resolve_release_leaves_both_tables_empty():
    pair = Pair()
    q = pair.caller.push(MAIN, ("add",), b"args")
    assert q == 1
    pair.caller.pull(q)
    push, pull = pair.caller.take_outgoing()
    assert (push, pull) == (Push(1, MAIN, ("add",), b"args"), Pull(1))
    call = pair.callee.receive(push)
    assert call == CallArrived(1, MAIN, "main-object", ("add",), b"args", False)
    pair.callee.set_answer(1, "answer-hook")
    assert pair.callee.receive(pull) == PullArrived(1, "answer-hook")
    pair.callee.resolve(1, b"3")
    assert pair.to_caller() == [ResultArrived(1, True, b"3")]
    pair.caller.drop(1)
    assert pair.to_callee() == [ExportReleased(1, "answer-hook")]
    assert pair.caller.is_idle() and pair.callee.is_idle()
    assert pair.caller.imports == {} and pair.callee.exports == {}


def test_a_second_pull_of_the_same_question_is_not_sent():
    pair = Pair()
    q = pair.caller.push(MAIN, ("add",), b"")
    assert pair.caller.pull(q) is True
    assert pair.caller.pull(q) is False
    assert [type(m) for m in pair.caller.take_outgoing()] == [Push, Pull]


def test_pipelined_push_reaches_the_hook_of_the_answer_it_targets():
    pair = Pair()
    q1 = pair.caller.push(MAIN, ("get_counter",), b"")
    q2 = pair.caller.push(q1, ("increment",), b"")
    first, second = pair.caller.take_outgoing()
    call1 = pair.callee.receive(first)
    pair.callee.set_answer(call1.id, "pending-counter")
    call2 = pair.callee.receive(second)
    assert call2 == CallArrived(q2, q1, "pending-counter", ("increment",), b"", False)


def test_pull_is_handed_over_with_the_answer_hook():
    pair = Pair()
    q = pair.caller.push(MAIN, ("slow",), b"")
    pair.caller.pull(q)
    push, pull = pair.caller.take_outgoing()
    pair.callee.receive(push)
    pair.callee.set_answer(q, "promise")
    assert pair.callee.receive(pull) == PullArrived(q, "promise")


def test_release_carries_the_number_of_introductions():
    pair = Pair()
    export_id = pair.callee.export("counter-target")
    assert export_id == -1
    pair.caller.introduce(export_id)
    pair.caller.introduce(export_id)  # introduced a second time, by a second payload
    pair.caller.retain(export_id)  # a dup on our side
    pair.callee._exports[export_id].refcount = 2  # the callee introduced it twice
    pair.caller.drop(export_id)
    pair.caller.drop(export_id)
    assert pair.caller.take_outgoing() == []  # one local handle is left
    pair.caller.drop(export_id)
    assert pair.caller.take_outgoing() == [Release(export_id, 2)]


def test_partial_release_keeps_the_export():
    pair = Pair()
    export_id = pair.callee.export("target")
    pair.callee._exports[export_id].refcount = 3
    assert pair.callee.receive(Release(export_id, 1)) is None
    assert pair.callee.exports == {export_id: 2}
    assert pair.callee.receive(Release(export_id, 2)) == ExportReleased(export_id, "target")
    assert pair.callee.exports == {}


@pytest.mark.parametrize(
    "message, text",
    [
        (Push(1, -7, ("x",), None), "unknown export id -7"),
        (Push(2, MAIN, ("x",), None), "next question id must be 1"),
        (Pull(5), "unknown export id 5"),
        (Release(-3, 1), "unknown export id -3"),
        (Release(MAIN, 1), "main export"),
    ],
)
def test_inconsistent_messages_are_loud(message, text):
    callee = Session(main="main")
    with pytest.raises(ProtocolError, match=text):
        callee.receive(message)


def test_resolution_nobody_asked_for_is_a_protocol_error():
    caller = Session()
    q = caller.push(MAIN, ("x",), b"")
    with pytest.raises(ProtocolError, match="not a pulled, unsettled promise"):
        caller.receive(Resolve(q, b"1"))


def test_release_of_more_than_was_introduced_is_a_protocol_error():
    callee = Session(main="main")
    export_id = callee.export("t")
    with pytest.raises(ProtocolError, match="introduced 1 time"):
        callee.receive(Release(export_id, 2))


def test_abort_fails_pending_questions_and_hands_back_exports():
    pair = Pair()
    q = pair.caller.push(MAIN, ("slow",), b"")
    pair.caller.pull(q)
    stub_id = pair.caller.export("callback")
    event = pair.caller.abort(b"reason")
    assert event == SessionAborted(b"reason", ("callback",), (q,))
    assert pair.caller.take_outgoing()[-1] == Abort(b"reason")
    assert pair.caller.is_idle()
    with pytest.raises(ProtocolError, match="aborted"):
        pair.caller.push(MAIN, ("x",), b"")
    assert stub_id == -1


def test_stream_push_needs_no_pull_and_leaves_both_tables_once_answered():
    pair = Pair()
    q = pair.caller.push(MAIN, ("write",), b"chunk", stream=True)
    (call,) = pair.to_callee()
    assert call.stream is True
    pair.callee.set_answer(q, "ack")
    pair.callee.resolve(q, b"")
    assert pair.to_caller() == [ResultArrived(q, True, b"")]
    assert pair.caller.is_idle() and pair.callee.is_idle()


def test_main_object_can_be_served_lazily_once():
    session = Session()
    session.serve("late main")
    assert session.export_hook(MAIN) == "late main"
    with pytest.raises(ProtocolError):
        session.serve("again")


def test_unsent_export_can_be_taken_back():
    session = Session()
    export_id = session.export("x")
    assert session.unexport(export_id) == "x"
    assert session.is_idle()
