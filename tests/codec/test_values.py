"""The value codec: round trips (Hypothesis), refusals, depth, size, errors."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.codec import MAX_MESSAGE_BYTES, decode_value, describe, encode_value
from playground.errors import DataCloneError, RemoteError, RpcError

hashable = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=8,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: big integers go through an ext type
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.dates()
    | st.times()
    | st.timedeltas()
    | st.decimals(allow_nan=False)
    | st.uuids()
    | st.complex_numbers(allow_nan=False)
)

values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.dictionaries(hashable, inner, max_size=4)
    | st.sets(hashable, max_size=4)
    | st.frozensets(hashable, max_size=4),
    max_leaves=20,
)


def same(a: object, b: object) -> bool:
    """Equality that also checks types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[attr-defined]
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, dt.datetime):
        # the wall time and the UTC offset survive; a zone's name does not (documented)
        same_wall = a.replace(tzinfo=None) == b.replace(tzinfo=None)  # type: ignore[attr-defined]
        return same_wall and a.utcoffset() == b.utcoffset()  # type: ignore[attr-defined]
    return a == b


@settings(max_examples=300, deadline=None)
@given(values)
def test_values_round_trip_with_their_types(value):
    assert same(decode_value(encode_value(value)), value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_keep_nan_infinities_and_negative_zero(x):
    back = decode_value(encode_value(x))
    if math.isnan(x):
        assert math.isnan(back)
    else:
        assert back == x and math.copysign(1, back) == math.copysign(1, x)


def test_patterns_keep_their_flags():
    back = decode_value(encode_value(re.compile("a+b", re.IGNORECASE | re.MULTILINE)))
    assert back.pattern == "a+b" and back.flags & re.IGNORECASE and back.flags & re.MULTILINE


def test_by_value_means_a_copy():
    original = {"list": [1, 2], "nested": {"x": 1}}
    copy = decode_value(encode_value(original))
    copy["list"].append(3)
    copy["nested"]["x"] = 2
    assert original == {"list": [1, 2], "nested": {"x": 1}}


def test_bytearray_and_memoryview_arrive_as_bytes():
    assert decode_value(encode_value([bytearray(b"ab"), memoryview(b"cd")])) == [b"ab", b"cd"]


class NonRpcClass:
    pass


#: The playground's help after the runtime's text: what can cross (always), after a hint.
CAN_CROSS = (
    "What can cross RPC: plain data (None, bool, int, float, str, bytes, list, tuple, dict, set, "
    "datetime, Decimal, UUID...), an instance of an RpcTarget subclass (passed by reference: the "
    "receiver gets a stub) and a function (passed by reference)."
)
OWN_CLASS = "To pass a NonRpcClass by reference, make NonRpcClass extend RpcTarget; to send its data, send a dict."


@pytest.mark.parametrize(
    "value, name, hint",
    [
        (NonRpcClass(), "NonRpcClass", OWN_CLASS),
        ({"obj": NonRpcClass()}, "NonRpcClass", OWN_CLASS),
        (object(), "object", ""),
        (iter([]), "list_iterator", "A list_iterator gives its items one by one: send `list(x)`."),
        (re.compile("x").match("x"), "Match", ""),
    ],
)
def test_other_class_instances_are_refused_with_the_runtime_text(value, name, hint):
    with pytest.raises(DataCloneError) as info:
        encode_value(value)
    runtime = f'Could not serialize object of type "{name}". This type does not support serialization.'
    assert str(info.value) == " ".join(part for part in (runtime, hint, CAN_CROSS) if part)
    assert isinstance(info.value, TypeError)
    assert info.value.name == "DataCloneError" and info.value.code == 25


def test_cyclic_data_round_trips_with_its_cycle():
    cyclic: list = []
    cyclic.append(cyclic)
    back = decode_value(encode_value(cyclic))
    assert back is not cyclic and back[0] is back


def test_very_deep_data_gives_a_clear_error_not_a_recursion_error():
    deep: object = 1
    for _ in range(100_000):
        deep = (deep,)
    with pytest.raises(DataCloneError, match="Maximum call stack size exceeded: this value is nested more than 4,096"):
        encode_value(deep)


def test_moderately_deep_data_round_trips():
    deep: object = "leaf"
    for _ in range(200):
        deep = [deep]
    assert decode_value(encode_value(deep)) == deep


def test_over_32_mib_is_refused_with_the_exact_size():
    value = bytes(MAX_MESSAGE_BYTES)  # 32 MiB of payload plus its 5-byte header
    with pytest.raises(RpcError) as info:
        encode_value(value)
    size = len(encode_value(value, limit=False))
    assert size == MAX_MESSAGE_BYTES + 5
    assert str(info.value) == (
        "Serialized RPC arguments or return values are limited to 32MiB, but the size of this "
        f"value was: {size} bytes."
    )
    assert len(encode_value(bytes(MAX_MESSAGE_BYTES - 5))) == MAX_MESSAGE_BYTES


def test_builtin_exceptions_keep_type_message_and_attributes():
    error = ValueError("bad", 42)
    error.code = 7  # type: ignore[attr-defined]
    back = decode_value(encode_value(error))
    assert type(back) is ValueError
    assert back.args == ("bad", 42)
    assert back.code == 7


def test_custom_exceptions_arrive_as_remote_error_that_is_also_the_builtin_base():
    class QuotaExceeded(LookupError):
        def __init__(self, message, limit):
            super().__init__(message)
            self.limit = limit

    back = decode_value(encode_value(QuotaExceeded("too many", limit=10)))
    assert isinstance(back, RemoteError) and isinstance(back, LookupError)
    assert back.name == "QuotaExceeded"
    assert str(back) == "too many"
    assert back.limit == 10


def test_one_unserializable_exception_attribute_drops_them_all():
    error = KeyError("k")
    error.handle = NonRpcClass()  # type: ignore[attr-defined]
    error.ok = [1]  # type: ignore[attr-defined]
    back = decode_value(encode_value(error))
    assert type(back) is KeyError and back.args == ("k",)
    assert not hasattr(back, "handle") and not hasattr(back, "ok")


def test_describe_decodes_for_display_without_importer():
    assert describe(encode_value({"a": (1, 2)})) == {"a": (1, 2)}
    assert describe(None) is None
    assert "undecodable" in str(describe(b"\xc1"))


@pytest.mark.parametrize("value", [uuid.UUID(int=5), decimal.Decimal("-0.00"), dt.timedelta(-1, 5, 7)])
def test_special_scalars_round_trip(value):
    assert same(decode_value(encode_value(value)), value)
