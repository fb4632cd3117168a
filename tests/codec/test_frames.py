"""Protocol messages to bytes and back."""

from __future__ import annotations

import msgpack
import pytest

from playground.codec import decode_message, encode_message
from playground.errors import ProtocolError
from playground.protocol import Abort, Pull, Push, Reject, Release, Resolve, Stream

MESSAGES = [
    Push(1, 0, ("add",), b"\x92\x01\x02"),
    Push(7, -3, ("a", 0, "b"), None),
    Stream(2, -1, ("write",), b"\xc4\x01x"),
    Pull(3),
    Resolve(3, b"\x03"),
    Reject(4, b"err"),
    Release(-2, 5),
    Abort(b"reason"),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips(message):
    assert decode_message(encode_message(message)) == message


def test_frames_start_with_a_readable_kind():
    assert msgpack.unpackb(encode_message(Pull(1)))[0] == "pull"


def test_a_small_call_is_small():
    assert len(encode_message(Push(1, 0, ("add",), b"\x92\x01\x02"))) < 20


@pytest.mark.parametrize(
    "frame", [b"\xc1", msgpack.packb(["teleport", 1]), msgpack.packb(["push", 1]), msgpack.packb(5)]
)
def test_malformed_frames_raise_protocol_errors(frame):
    with pytest.raises(ProtocolError):
        decode_message(frame)
