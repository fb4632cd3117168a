"""``Session.receive`` raises only ProtocolError, for anything a peer can send, and a refused
message changes nothing in the tables (property-based: hypothesis, derandomized)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from playground.errors import ProtocolError
from playground.protocol import Kind, Pull, Push, Release, Resolve, Session
from playground.protocol.messages import MESSAGE_TYPES
from playground.protocol.session import SessionAborted

_new = tuple.__new__

#: Field values a peer could put anywhere: ids near the live ones, odd numbers, odd types.
fields = st.one_of(
    st.integers(-4, 4),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.binary(max_size=8),
    st.text(max_size=4),
    st.lists(st.integers(-2, 2), max_size=2),
    st.tuples(st.sampled_from(["add", "x"]), st.integers(0, 2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
kinds = st.one_of(st.sampled_from(list(Kind)), st.text(max_size=5), st.integers(), st.none())
messages = st.builds(
    lambda cls, kind, values: _new(cls, (kind, *values)),
    st.sampled_from(list(MESSAGE_TYPES.values())),
    kinds,
    st.lists(fields, max_size=5),
)


def live_pair() -> Session:
    """A callee with a call answered, a pulled question and an export: every table in use."""
    callee = Session(main="main")
    callee.receive(Push(1, 0, ("add",), b"\x90"))
    callee.set_answer(1, "answer")
    callee.receive(Pull(1))
    callee.export("target")
    callee.push(0, ("back",), None)
    callee.pull(1)
    callee.take_outgoing()
    return callee


def tables(session: Session) -> tuple:
    return session.imports, session.exports, session.aborted


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(messages, min_size=1, max_size=4))
def test_anything_a_peer_sends_is_accepted_or_refused_with_a_protocol_error(batch):
    session = live_pair()
    for message in batch:
        before = tables(session)
        try:
            event = session.receive(message)
        except ProtocolError:
            assert tables(session) == before  # refused: nothing changed
            continue
        if isinstance(event, SessionAborted):
            assert session.aborted and session.imports == {} and session.exports == {}


def test_known_bad_messages_are_protocol_errors():
    for message in (
        Release(-1, float("nan")),
        Release([1], 1),
        _new(Push, ("bogus", 1)),
        _new(Push, (Kind.PUSH,)),
        Push(2, [0], ("add",), b""),
        Push(2, 0, "add", b""),
        Push(2, 0, ("add", 1.5), b""),
        Push(2, 0, ("add",), [1]),
        Resolve(1, "not bytes"),
        Pull([1]),
        ("push", 2, 0, ("add",), b""),  # a plain tuple, not a message
    ):
        session = live_pair()
        try:
            session.receive(message)
        except ProtocolError:
            pass
        else:
            raise AssertionError(f"{message!r} was accepted")
