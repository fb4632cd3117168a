"""The event log: what goes in comes out the same, bounds keep the newest, drops are counted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.protocol import Abort, Kind, Pipe, Pull, Push, Reject, Release, Resolve, Stream
from playground.trace import (
    AwaitEvent,
    CallEvent,
    ContextEvent,
    FaultEvent,
    MessageEvent,
    NoteEvent,
    Recorder,
    StreamEvent,
    StubEvent,
)
from playground.trace.store import CHUNK, PAYLOAD_LIMIT, EventLog

LANES = ("client", "svc")
NS = 1_000_000_000


def message_event(seq, at_ns, message, received_ns, size, session, cause, counted):
    """What the log must give back for a message recorded with ``append_message``."""
    kind = message[0]
    ident = target = payload = None
    path = ()
    if kind in (Kind.PUSH, Kind.STREAM):
        _, ident, target, path, payload = message
        if payload is not None and len(payload) > (256 if kind is Kind.STREAM else PAYLOAD_LIMIT):
            payload = None
    elif kind in (Kind.PULL, Kind.PIPE, Kind.RELEASE):
        ident = message[1]
    elif kind in (Kind.RESOLVE, Kind.REJECT):
        ident, payload = message[1], message[2]
        if len(payload) > PAYLOAD_LIMIT:
            payload = None
    else:
        payload = message[1]
    if kind in (Kind.RELEASE, Kind.ABORT, Kind.PIPE) or not counted:
        cause = None if kind is not Kind.PULL or not counted else cause
    at = at_ns / NS
    return MessageEvent(
        seq, at, kind, *LANES, at, None if received_ns is None else received_ns / NS, size, session, ident, target,
        path, cause, payload, counted,
    )


MESSAGES = [
    (Push(1, 0, ("add",), b"\x92\x01\x02"), True),
    (Push(2, -3, ("a", 0, "b"), None), True),
    (Stream(3, -1, ("write",), b"x" * 300), True),  # a chunk: its bytes are not kept
    (Pull(1), True),
    (Pipe(4), False),
    (Resolve(1, b"\x03"), True),
    (Resolve(5, b"\x03"), False),  # the acknowledgement of a stream write
    (Reject(2, b"e" * (PAYLOAD_LIMIT + 1)), True),  # too big to keep
    (Release(1, 2), False),
    (Abort(b"reason"), False),
]


@pytest.mark.parametrize("message, counted", MESSAGES, ids=lambda m: repr(m)[:30])
def test_a_message_reads_back_as_it_was_recorded(message, counted):
    log = EventLog()
    cause = 7 if counted and message[0] in (Kind.PUSH, Kind.STREAM, Kind.PULL, Kind.RESOLVE, Kind.REJECT) else None
    seq = log.append_message(25_000_000, message, LANES, 50_000_000, 19, 5, cause, counted)
    assert seq == 0
    assert log[0] == message_event(0, 25_000_000, message, 50_000_000, 19, 5, cause, counted)


def test_a_lost_message_has_no_arrival():
    log = EventLog()
    log.append_message(0, Pull(1), LANES, None, 7, 2, None, True)
    assert log[0].received_at is None and log[0].lost


def test_calls_awaits_and_contexts_read_back():
    log = EventLog()
    log.append_call(10, LANES, 3, 1, ("add",), False, True, 4, 9, ("cell.py", 2))
    log.append_call(11, LANES, 3, 2, ("x",), True, False, None, None, None)
    log.append_await(12, "client", 0, ("cell.py", 3))
    log.append_context(13, "opened", "svc", 8, "add")
    log.append_context(14, "closed", "svc", 8, "add")
    assert list(log) == [
        CallEvent(0, 10 / NS, "client", "svc", 3, 1, ("add",), False, True, 4, 9, ("cell.py", 2)),
        CallEvent(1, 11 / NS, "client", "svc", 3, 2, ("x",), True, False, None, None, None),
        AwaitEvent(2, 12 / NS, "client", 0, ("cell.py", 3)),
        ContextEvent(3, 13 / NS, "opened", "svc", 8, "add"),
        ContextEvent(4, 14 / NS, "closed", "svc", 8, "add"),
    ]


def test_other_events_are_kept_whole_and_renumbered():
    log = EventLog()
    events = [
        StubEvent(99, 0.5, "created", 3, "client", "stub 1 from svc", ("a.py", 1), 2, "", "stub", False),
        NoteEvent(99, 0.5, "warning", "svc", "leaked"),
        FaultEvent(99, 0.25, "crash", "svc", None),
        StreamEvent(99, 1.0, "stall", 4, "a", "b", 10, 20, 30, 0.5),
    ]
    for event in events:
        log.append(event)
    assert list(log) == [event._replace(seq=i) for i, event in enumerate(events)]


def test_reading_by_type_skips_the_others():
    log = EventLog()
    log.append_await(0, "client", None, None)
    log.append_message(0, Pull(1), LANES, 0, 7, 2, None, True)
    log.append(NoteEvent(0, 0.0, "warning", "svc", "x"))
    assert [e.seq for e in log.iter(kind=MessageEvent)] == [1]
    assert [e.seq for e in log.iter(kind=NoteEvent)] == [2]
    assert [e.seq for e in log.iter(1, 3)] == [1, 2]
    assert [e.seq for e in log[-2:]] == [1, 2] and log[-1].seq == 2


def test_a_limit_keeps_the_newest_and_counts_what_it_dropped():
    log = EventLog(limit=100)
    for i in range(1000):
        log.append_message(i, Push(i + 1, 0, ("add",), b"ab"), LANES, i, 10 + i % 3, 1, None, True)
        log.append_call(i, LANES, 1, i + 1, ("add",), False, i % 2 == 0, None, None, None)
    assert len(log) == 2000
    assert 100 <= log.kept < 100 + CHUNK
    assert log.first == 2000 - log.kept
    with pytest.raises(IndexError, match="not in the trace"):
        log[0]
    kept = list(log)
    assert [e.seq for e in kept] == list(range(log.first, 2000))
    dropped = log.dropped
    assert dropped.events == log.first
    sent = [10 + i % 3 for i in range(1000)]
    kept_messages = [e for e in kept if type(e) is MessageEvent]
    assert dropped.messages == 1000 - len(kept_messages)
    assert dropped.bytes == sum(sent) - sum(e.size for e in kept_messages)
    kept_calls = [e for e in kept if type(e) is CallEvent]
    assert dropped.calls == 1000 - len(kept_calls)
    assert dropped.pipelined == 500 - sum(e.pipelined for e in kept_calls)


def test_limit_zero_keeps_nothing_but_counts():
    log = EventLog(limit=0)
    log.append_message(0, Pull(1), LANES, 0, 7, 2, None, True)
    log.append_call(0, LANES, 1, 1, ("add",), False, True, None, None, None)
    log.append(NoteEvent(0, 0.0, "warning", "svc", "x"))
    assert len(log) == 3 and log.kept == 0 and list(log) == []
    assert (log.dropped.events, log.dropped.messages, log.dropped.bytes, log.dropped.calls) == (3, 1, 7, 1)


def test_lowering_the_limit_drops_at_once_and_numbering_goes_on():
    log = EventLog()
    for i in range(3 * CHUNK):
        log.append_await(i, "client", None, None)
    log.limit = 10
    assert log.kept < CHUNK + 10 and log.first > 0
    log.clear()
    assert log.kept == 0 and list(log) == []
    assert log.append_await(0, "client", None, None) == 3 * CHUNK


def test_keep_only_keeps_the_chunks_a_span_needs():
    log = EventLog()
    for i in range(3 * CHUNK):
        log.append_await(i, "client", None, None)
    log.keep_only(CHUNK + 5, CHUNK + 6)
    assert log.first == CHUNK and log.kept == CHUNK
    assert log[CHUNK + 5].seq == CHUNK + 5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(NoteEvent, st.just(0), st.floats(0, 1e6, allow_nan=False), st.sampled_from(["warning", "error"]),
                      st.text(max_size=5), st.text(max_size=20)),
            st.builds(FaultEvent, st.just(0), st.floats(0, 1e6, allow_nan=False), st.text(max_size=5),
                      st.text(max_size=5), st.one_of(st.none(), st.text(max_size=5))),
            st.builds(AwaitEvent, st.just(0), st.integers(0, 10**12).map(lambda ns: ns / NS), st.text(max_size=5),
                      st.one_of(st.none(), st.integers(0, 10**6)), st.none()),
        ),
        max_size=40,
    ),
    st.one_of(st.none(), st.integers(1, 50)),
)
def test_whatever_is_added_reads_back_equal(events, limit):
    recorder = Recorder(limit)
    seen = []
    recorder.subscribe(seen.append)
    for event in events:
        recorder.add(event._replace(seq=recorder.next_seq))
    expected = [event._replace(seq=i) for i, event in enumerate(events)]
    assert seen == expected  # listeners see every event, kept or not
    assert list(recorder.events) == expected[recorder.events.first :]


def test_listeners_get_the_events_of_the_typed_methods_even_when_nothing_is_kept():
    for limit in (None, 0):
        recorder = Recorder(limit)
        seen = []
        recorder.subscribe(seen.append)
        recorder.message(5, Pull(1), LANES, 9, 7, 2, 3, True)
        recorder.call(5, LANES, 2, 1, ("add",), False, False, None, None, None)
        recorder.await_(5, "client", 1, None)
        recorder.context(6, "opened", "svc", 4, "add")
        assert [type(e) for e in seen] == [MessageEvent, CallEvent, AwaitEvent, ContextEvent]
        assert [e.seq for e in seen] == [0, 1, 2, 3]
        assert seen[0] == message_event(0, 5, Pull(1), 9, 7, 2, 3, True)
        if limit is None:
            assert list(recorder.events) == seen


def test_lanes_are_shared_between_events():
    recorder = Recorder()
    assert recorder.lanes("a", "b") is recorder.lanes("a", "b")
