"""Fuzzing the decoders: whatever the bytes, a value or a ProtocolError, never anything else.

Seed-fixed (``derandomize=True``) so that every run tries the same 10,000 inputs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import re
import uuid

import msgpack
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from playground.codec import Ext, Kwargs, decode_message, decode_value, encode_message, encode_value, pack_small
from playground.errors import ProtocolError
from playground.protocol import Abort, Pull, Push, Reject, Release, Resolve, Stream

FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])


class _Raising:
    """An importer that fails on everything it is given."""

    def decode_capability(self, code, data):
        raise KeyError(data)

    def decode_marked(self, code, items):
        return items[7]  # an IndexError, mostly


class _Accepting:
    """An importer that accepts everything (so decoding goes on past the capabilities)."""

    def decode_capability(self, code, data):
        return ("stub", code)

    def decode_marked(self, code, items):
        return ("marked", code)


def _factory():
    raise RuntimeError("no session")


IMPORTERS = [None, _Raising(), _Accepting(), _factory]


def decodes_or_protocol_error(data: bytes) -> None:
    """``decode_value`` with every kind of importer returns, or raises a ProtocolError: any
    other exception fails the test."""
    for importer in IMPORTERS:
        try:
            decode_value(data, importer)
        except ProtocolError:
            pass


def frame_decodes_or_protocol_error(frame: bytes) -> None:
    try:
        decode_message(frame)
    except ProtocolError:
        pass


class _Boom(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


VALUES = [
    (1, "a", (2.5, None)),
    {1, 2, 3},
    frozenset({"x"}),
    [dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc), dt.date(2024, 1, 2), dt.time(3, 4, 5)],
    dt.timedelta(days=-3, seconds=5, microseconds=7),
    [decimal.Decimal("-1.50"), uuid.UUID(int=12345), 2 + 3j, 10**30],
    re.compile(b"a+b", re.IGNORECASE),
    ValueError("bad", 42),
    _Boom("custom", 7),
    ExceptionGroup("group", [KeyError("k"), TypeError("t")]),
    [1, Kwargs(a=1, b=(2, 3))],
    {"nested": [{"deep": [(1,), {2}]}], "bytes": b"\x00\xff"},
    [[[[["five levels"]]]]],
    {(1, 2): "tuple key", frozenset({3}): "frozenset key"},
    "text with unicode: é 😀",
    -(2**63),
    [1.5, float("inf"), True, None, b""],
]
PAYLOADS = [encode_value(value) for value in VALUES] + [
    msgpack.packb(msgpack.ExtType(code, pack_small(1))) for code in (Ext.EXPORT, Ext.IMPORT, Ext.HANDOFF)
] + [
    msgpack.packb([msgpack.ExtType(code, b""), "https://example.com", "GET", [["a", "b"]], b"body"])
    for code in (Ext.REQUEST, Ext.RESPONSE, Ext.HEADERS)
]

#: Up to four mutations, each three bytes: (operation, position, byte). One draw of bytes is
#: much cheaper for Hypothesis than a list of tuples (this file runs 10,000 examples).
MUTATIONS = st.binary(min_size=3, max_size=12)


def mutate(data: bytes, mutations: bytes) -> bytes:
    """``data`` with bytes flipped, set, inserted or deleted as ``mutations`` says."""
    buffer = bytearray(data)
    for i in range(0, len(mutations) - 2, 3):
        operation, where, byte = mutations[i : i + 3]
        at = where % (len(buffer) + 1)
        if operation % 4 == 0:
            buffer.insert(at, byte)
        elif at < len(buffer):
            if operation % 4 == 1:
                del buffer[at]
            elif operation % 4 == 2:
                buffer[at] ^= 1 << (byte % 8)
            else:
                buffer[at] = byte
    return bytes(buffer)


@settings(FUZZ, max_examples=4000)
@given(st.binary(max_size=200))
def test_random_bytes_decode_or_raise_protocol_errors(data):
    decodes_or_protocol_error(data)
    frame_decodes_or_protocol_error(data)


@settings(FUZZ, max_examples=3000)
@given(st.sampled_from(PAYLOADS), MUTATIONS)
def test_mutated_payloads_decode_or_raise_protocol_errors(payload, mutations):
    decodes_or_protocol_error(mutate(payload, mutations))


ANY_CODE = st.sampled_from(list(Ext)) | st.integers(-128, 127)
#: Items for lists, packed once (drawing them from a recursive strategy would be slow).
PACKED_ITEMS = [
    msgpack.packb(item, use_bin_type=True)
    for item in [None, True, 0, -1, 2**64 - 1, -(2**63), 1.5, "", "text", b"", b"\x00\xff", [], [1, "a"],
                 {}, {"k": [None]}, {1: 2}, [[[]]], "é", msgpack.ExtType(99, b"x")]
] + PAYLOADS
EXT_PAYLOAD = st.binary(max_size=24) | st.sampled_from(
    [*PACKED_ITEMS, b"", b"\x00" * 4, b"\x00" * 8, b"\x00" * 12, b"\x00" * 16,  # timestamp and UUID sizes
     b"2024-01-02", b"12:30:00", b"-1.5e3", b"123456789012345678901234567890"]
)
SHAPES = st.sampled_from(["alone", "in a list", "marker", "marker in a map"])
_FIXEXT = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}


def raw_ext(code: int, payload: bytes) -> bytes:
    """The msgpack bytes of an ext of any code, -1 (a timestamp) included, which ExtType refuses."""
    kind = (code & 0xFF).to_bytes(1, "big")
    size = len(payload)
    if size in _FIXEXT:
        return bytes([_FIXEXT[size]]) + kind + payload
    return b"\xc7" + bytes([size]) + kind + payload  # (payloads are under 256 bytes here)


def hand_built(code: int, payload: bytes, shape: str, items: list[bytes]) -> bytes:
    """An ext of any code with a random payload, alone or in a list, or as the marker at the
    head of a list of random items (alone or in a map)."""
    if shape == "alone":
        return raw_ext(code, payload)
    array = bytes([0x90 + len(items) + 1])  # a fixarray of the items and the ext
    if shape == "in a list":
        return array + b"".join(items) + raw_ext(code, payload)
    marked = array + raw_ext(code, b"") + b"".join(items)
    return marked if shape == "marker" else b"\x81\xa1k" + marked


def _items(seed: int) -> list[bytes]:
    """Up to 7 packed items picked by ``seed`` (one integer is much cheaper to draw than a list)."""
    return random.Random(seed).choices(PACKED_ITEMS, k=seed % 8)


HAND_BUILT = st.builds(hand_built, ANY_CODE, EXT_PAYLOAD, SHAPES, st.integers(0, 2**32 - 1).map(_items))


@settings(FUZZ, max_examples=1500)
@given(HAND_BUILT)
def test_hand_built_exts_of_every_code_decode_or_raise_protocol_errors(data):
    decodes_or_protocol_error(data)


MESSAGES = [
    Push(1, 0, ("add",), encode_value([1, 2])),
    Push(7, -3, ("a", 0, "b"), None),
    Stream(2, -1, ("write",), encode_value(b"x")),
    Pull(3),
    Resolve(3, encode_value({"a": (1, 2)})),
    Reject(4, encode_value(ValueError("no"))),
    Release(-2, 5),
    Abort(encode_value("reason")),
]
FRAMES = [encode_message(message) for message in MESSAGES]


@settings(FUZZ, max_examples=1500)
@given(st.sampled_from(FRAMES), MUTATIONS)
def test_mutated_frames_decode_or_raise_protocol_errors(frame, mutations):
    mutated = mutate(frame, mutations)
    frame_decodes_or_protocol_error(mutated)
    try:
        message = decode_message(mutated)
    except ProtocolError:
        return
    for field in message[1:]:  # and the payloads they carry
        if type(field) is bytes:
            decodes_or_protocol_error(field)
