"""What a peer can send: forged exts are refused when encoding, every decoding failure is a
ProtocolError, and a remote error is never a BaseException that is not an Exception."""

from __future__ import annotations

import datetime as dt

import msgpack
import pytest

from playground.codec import Ext, Kwargs, decode_message, decode_value, describe, encode_value, marker, pack_small
from playground.codec.values import Marker, decode_error
from playground.errors import DataCloneError, ProtocolError, RemoteError
from playground.protocol import Push

# -- forged exts are refused when encoding ---------------------------------------------------

FORGED = {
    "capability ext": msgpack.ExtType(Ext.SERVICE, pack_small(["victim", None, None])),
    "ext in a list": [1, msgpack.ExtType(Ext.EXPORT, pack_small(-1))],
    "ext in a dict": {"stub": msgpack.ExtType(Ext.IMPORT, pack_small(0))},
    "ext in a tuple": (msgpack.ExtType(Ext.EXPORT, pack_small(-1)),),
    "ext in a set": {msgpack.ExtType(Ext.READABLE, pack_small(1))},
    "ext as a key": {msgpack.ExtType(Ext.EXPORT, pack_small(-1)): 1},
    "unknown ext code": msgpack.ExtType(99, b"x"),
    "codec marker": [marker(Ext.TUPLE), 1, 2],
    "codec marker as a value": {"m": marker(Ext.KWARGS)},
    "marker beside a real tuple": [(1, 2), marker(Ext.SET)],
    "ext after big bytes": [bytes(10_000), msgpack.ExtType(Ext.EXPORT, pack_small(-1))],
}


@pytest.mark.parametrize("value", FORGED.values(), ids=FORGED.keys())
def test_a_value_holding_a_msgpack_ext_is_refused(value):
    with pytest.raises(DataCloneError) as info:
        encode_value(value)
    assert str(info.value).startswith('Could not serialize object of type "ExtType". ')
    assert "msgpack.ExtType" in str(info.value) and "RpcTarget" in str(info.value)


@pytest.mark.parametrize(
    "value",
    [msgpack.Timestamp(1, 0), [msgpack.Timestamp(2**40, 5)], {msgpack.Timestamp(0, 1): 1}, [bytes(5000), msgpack.Timestamp(3, 0)]],
    ids=["alone", "in a list", "as a key", "after big bytes"],
)
def test_a_value_holding_a_msgpack_timestamp_is_refused(value):
    with pytest.raises(DataCloneError, match='object of type "Timestamp"'):
        encode_value(value)


def test_a_decoded_marker_is_refused():
    with pytest.raises(DataCloneError, match='object of type "Marker"'):
        encode_value([Marker(Ext.TUPLE), 1])


def test_a_forged_ext_in_an_exception_is_dropped_not_sent():
    back = decode_value(encode_value(ValueError("bad", msgpack.ExtType(Ext.EXPORT, pack_small(-1)))))
    assert type(back) is ValueError and back.args == ("bad",)


class _FakeExporter:
    """Replaces strings starting with "cap:" as the runtime's exporter replaces capabilities."""

    def encode_special(self, obj):
        if isinstance(obj, _Cap):
            return msgpack.ExtType(Ext.EXPORT, pack_small(-1))
        if isinstance(obj, _Headers):
            return [marker(Ext.HEADERS), [["a", "b"]]]
        return NotImplemented


class _Cap:
    pass


class _Headers:
    pass


class _Recorder:
    def __init__(self):
        self.seen = []

    def decode_capability(self, code, data):
        self.seen.append((code, msgpack.unpackb(data)))
        return "stub"

    def decode_marked(self, code, items):
        self.seen.append((code, items))
        return "headers"


def test_the_exporters_replacements_still_cross():
    data = encode_value([_Cap(), _Headers(), (1, dt.date(2024, 1, 2))], _FakeExporter())
    importer = _Recorder()
    assert decode_value(data, importer) == ["stub", "headers", (1, dt.date(2024, 1, 2))]
    assert importer.seen == [(Ext.EXPORT, -1), (Ext.HEADERS, [[["a", "b"]]])]


def test_a_forged_ext_beside_the_exporters_replacements_is_refused():
    with pytest.raises(DataCloneError, match='"ExtType"'):
        encode_value([_Cap(), msgpack.ExtType(Ext.EXPORT, pack_small(-2))], _FakeExporter())


@pytest.mark.parametrize(
    "value",
    [
        b"\xd6\xff\x00\x00\x00\x01" * 1000,  # the bytes of a timestamp, inside bytes
        (b"\xd6\xff\x00\x00\x00\x01", 0xD7, "\xc7"),  # the same, small, beside an ext the codec made
        [b"\xc7\x00\x20", -1, "\xd4"] * 2000,  # ext-looking bytes, over the size checked by regex
        {ValueError("as a key"): (1,)},  # a map key holding a map (the exception's attributes)
    ],
    ids=["timestamp bytes", "small with ext bytes", "big with ext bytes", "exception key"],
)
def test_plain_values_that_look_like_exts_still_cross(value):
    back = decode_value(encode_value(value))
    if isinstance(value, dict):
        (key, item), = back.items()
        assert type(key) is ValueError and item == (1,)
    else:
        assert back == value


# -- every decoding failure is a ProtocolError -----------------------------------------------


def ext(code: int, payload: bytes) -> bytes:
    return msgpack.packb(msgpack.ExtType(code, payload))


def marked(code: Ext, *items: object) -> bytes:
    return msgpack.packb([msgpack.ExtType(code, b""), *items], use_bin_type=True)


MARK = msgpack.ExtType(Ext.TUPLE, b"")

#: crafted payload -> the error the codec let escape before (or "value" if it returned one)
CRAFTED = {
    "BIGINT not digits": (ext(Ext.BIGINT, b"12z"), "ValueError"),
    "BIGINT not utf-8": (ext(Ext.BIGINT, b"\xff\xfe"), "UnicodeDecodeError"),
    "DATETIME not iso": (ext(Ext.DATETIME, b"yesterday"), "ValueError"),
    "DATE not utf-8": (ext(Ext.DATE, b"\xff"), "UnicodeDecodeError"),
    "TIME out of range": (ext(Ext.TIME, b"25:00"), "ValueError"),
    "TIMEDELTA two items": (ext(Ext.TIMEDELTA, msgpack.packb([1, 2])), "ValueError"),
    "TIMEDELTA overflow": (ext(Ext.TIMEDELTA, msgpack.packb([10**9, 0, 0])), "OverflowError"),
    "TIMEDELTA extra data": (ext(Ext.TIMEDELTA, b"\x01\x02"), "ExtraData"),
    "DECIMAL not a number": (ext(Ext.DECIMAL, b"one"), "InvalidOperation"),
    "UUID too short": (ext(Ext.UUID, b"short"), "ValueError"),
    "COMPLEX of strings": (ext(Ext.COMPLEX, msgpack.packb(["1", "2"])), "TypeError"),
    "PATTERN invalid": (ext(Ext.PATTERN, msgpack.packb(["(", 0])), "re.error"),
    "PATTERN bad flags": (ext(Ext.PATTERN, msgpack.packb([b"x", 32])), "ValueError"),
    "KWARGS not a dict": (marked(Ext.KWARGS, 5), "TypeError"),
    "KWARGS missing": (marked(Ext.KWARGS), "IndexError"),
    "KWARGS int keys": (marked(Ext.KWARGS, {1: 2}), "value"),
    "ERROR short": (marked(Ext.ERROR, "ValueError"), "ValueError"),
    "ERROR module not str": (marked(Ext.ERROR, "X", 1, None, "m", [], {}), "AttributeError"),
    "ERROR attrs not a dict": (marked(Ext.ERROR, "X", "m", None, "m", [], 5), "AttributeError"),
    "ERROR args not a list": (marked(Ext.ERROR, "ValueError", "builtins", None, "m", 5, {}), "value"),
    "unknown ext code": (ext(99, b"payload"), "value"),
    "timestamp ext": (b"\xd6\xff\x00\x00\x00\x01", "value"),
    "invalid timestamp": (b"\xd4\xff\x00", "ValueError"),
    "capability without importer": (ext(Ext.EXPORT, pack_small(-1)), "DataCloneError"),
    "request without importer": (marked(Ext.REQUEST, "https://x", "GET", [], None), "value"),
    "marker alone": (ext(Ext.TUPLE, b""), "value"),
    "marker not at the head": (msgpack.packb([1, MARK]), "value"),
    "list marked with a capability code": (marked(Ext.EXPORT, 1), "value"),
    "incomplete": (b"\x92\x01" + ext(Ext.DATE, b"2024-01-01")[:3], "ValueError"),
    "extra data": (b"\x01\x02" + ext(99, b""), "ExtraData"),
    "reserved byte": (b"\x91\xc1" + ext(99, b""), "FormatError"),
    "too deep": (b"\x91" * 5000 + ext(99, b""), "StackError"),
    "str not utf-8 (plain)": (b"\xa2\xff\xfe", "UnicodeDecodeError"),
    "unhashable key (plain)": (b"\x81\x90\x01", "TypeError"),
    "unhashable set item": (marked(Ext.SET, [1]), "TypeError"),
    "bin over the limit declared": (b"\xc6\xff\xff\xff\xff" + ext(99, b""), "ValueError"),
}


@pytest.mark.parametrize("data, old", CRAFTED.values(), ids=CRAFTED.keys())
def test_crafted_payloads_raise_protocol_errors(data, old):
    # `old` is what escaped before: each case exercises one raw error (or a returned value)
    with pytest.raises(ProtocolError) as info:
        decode_value(data)
    assert type(info.value) is ProtocolError and str(info.value)


def test_the_protocol_error_names_what_was_wrong():
    with pytest.raises(ProtocolError, match="malformed DECIMAL value b'one'"):
        decode_value(ext(Ext.DECIMAL, b"one"))
    with pytest.raises(ProtocolError, match="unknown ext code 99"):
        decode_value(ext(99, b"x"))
    with pytest.raises(ProtocolError, match=r"a capability \(EXPORT\) arrived where none may be"):
        decode_value(ext(Ext.EXPORT, pack_small(-1)))
    with pytest.raises(ProtocolError, match="malformed keyword arguments"):
        decode_value(marked(Ext.KWARGS, 5))
    with pytest.raises(ProtocolError, match="malformed error: 7 fields expected, got 1"):
        decode_value(marked(Ext.ERROR, "ValueError"))


def test_well_formed_kwargs_still_arrive():
    back = decode_value(encode_value([1, Kwargs(a=(2,))]))
    assert back == [1, Kwargs(a=(2,))] and type(back[1]) is Kwargs


class _Raising:
    """An importer whose every method fails (as the runtime's can, on a bad reference)."""

    def __init__(self, error: Exception):
        self.error = error

    def decode_capability(self, code, data):
        raise self.error

    def decode_marked(self, code, items):
        raise self.error


@pytest.mark.parametrize(
    "error", [KeyError(5), RecursionError("deep"), ValueError("x"), DataCloneError("no")], ids=type
)
@pytest.mark.parametrize(
    "data", [ext(Ext.IMPORT, pack_small(5)), marked(Ext.HEADERS, [])], ids=["capability", "runtime value"]
)
def test_errors_of_the_importer_arrive_as_protocol_errors(data, error):
    with pytest.raises(ProtocolError) as info:
        decode_value(data, _Raising(error))
    assert info.value.__cause__ is error


def test_a_protocol_error_of_the_importer_passes_as_it_is():
    error = ProtocolError("unknown import id 5")
    with pytest.raises(ProtocolError) as info:
        decode_value(ext(Ext.IMPORT, pack_small(5)), _Raising(error))
    assert info.value is error


def test_an_importer_factory_that_fails_gives_a_protocol_error():
    def factory():
        raise LookupError("no session")

    with pytest.raises(ProtocolError, match="LookupError: no session"):
        decode_value(ext(Ext.EXPORT, pack_small(-1)), factory)


def test_keyboard_interrupt_in_the_importer_is_not_swallowed():
    with pytest.raises(KeyboardInterrupt):
        decode_value(ext(Ext.EXPORT, pack_small(-1)), _Raising(KeyboardInterrupt()))  # type: ignore[arg-type]


def test_unpack_plain_raises_protocol_errors():
    from playground.codec import unpack_plain

    for data in (b"\xa2\xff\xfe", b"\x81\x90\x01", b"\x01\x02", b"\x92"):
        with pytest.raises(ProtocolError):
            unpack_plain(data)


def test_describe_never_raises_on_crafted_payloads():
    for data, _ in CRAFTED.values():
        describe(data)
    assert str(describe(ext(99, b""))).startswith("<undecodable payload:")


def test_frames_carrying_crafted_payloads_still_decode_as_frames():
    # the frame layer carries payloads as bytes; decoding them is decode_value's job
    data = ext(Ext.DECIMAL, b"one")
    message = decode_message(msgpack.packb(["push", 1, 0, ["f"], data], use_bin_type=True))
    assert message == Push(1, 0, ("f",), data)


# -- remote errors are rebuilt only for Exception subclasses ---------------------------------


@pytest.mark.parametrize(
    "error",
    [SystemExit("bye"), KeyboardInterrupt("stop"), GeneratorExit("done"), BaseExceptionGroup("g", [KeyboardInterrupt()])],
    ids=lambda e: type(e).__name__,
)
def test_a_base_exception_that_is_not_an_exception_arrives_as_a_remote_error(error):
    back = decode_value(encode_value(error))
    assert isinstance(back, RemoteError) and isinstance(back, Exception)
    assert back.name == type(error).__name__
    assert str(back) == str(error)


@pytest.mark.parametrize("name", ["SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseExceptionGroup", "BaseException"])
def test_a_crafted_base_exception_arrives_as_a_remote_error(name):
    back = decode_value(marked(Ext.ERROR, name, "builtins", name, "boom", [], {}))
    assert type(back) is RemoteError and back.name == name and str(back) == "boom"


def test_an_exception_group_still_arrives_as_itself():
    back = decode_value(encode_value(ExceptionGroup("several", [ValueError("a"), KeyError("b")])))
    assert type(back) is ExceptionGroup and str(back) == "several (2 sub-exceptions)"
    assert [type(e) for e in back.exceptions] == [ValueError, KeyError]


def test_an_exception_group_with_bad_arguments_arrives_as_a_remote_error():
    back = decode_value(marked(Ext.ERROR, "ExceptionGroup", "builtins", "ExceptionGroup", "m", [1], {}))
    assert type(back) is RemoteError and back.name == "ExceptionGroup" and str(back) == "m"


def test_a_custom_class_of_a_builtin_that_needs_arguments_arrives_as_a_remote_error():
    class BadBytes(UnicodeDecodeError):
        pass

    back = decode_value(encode_value(BadBytes("utf-8", b"\xff", 0, 1, "nope")))
    assert isinstance(back, RemoteError) and back.name == "BadBytes"
    assert "nope" in str(back)


def test_dunder_attributes_are_not_set_on_a_rebuilt_error():
    back = decode_error(["ValueError", "builtins", "ValueError", "m", ["m"], {"__dict__": {"x": 1}, "ok": 2}])
    assert type(back) is ValueError and back.ok == 2 and not hasattr(back, "x")  # type: ignore[attr-defined]


# -- frames ------------------------------------------------------------------------------------

BAD_FRAMES = {
    "id not an int": ["pull", "x"],
    "id a bool": ["pull", True],
    "path item a bool": ["push", 1, 0, ["a", True], None],
    "path item a list": ["stream", 1, 0, ["a", ["b"]], None],
    "args not bytes": ["push", 1, 0, ["f"], "args"],
    "value not bytes": ["resolve", 1, "text"],
    "error missing payload": ["reject", 1, None],
    "refcount a float": ["release", 1, 2.5],
    "reason not bytes": ["abort", 5],
}


@pytest.mark.parametrize("parts", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
def test_frames_with_fields_of_the_wrong_type_raise_protocol_errors(parts):
    # (before, these came back as messages, for the session to trip over)
    with pytest.raises(ProtocolError, match=f"malformed {parts[0]} frame"):
        decode_message(msgpack.packb(parts, use_bin_type=True))


def test_a_deeply_nested_kind_raises_a_protocol_error_not_a_recursion_error():
    with pytest.raises(ProtocolError, match="unknown message kind"):
        decode_message(b"\x91" * 1000 + b"\x01")
