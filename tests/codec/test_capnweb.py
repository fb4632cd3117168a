"""The Cap'n Web codec: golden messages from the real capnweb 0.12.0, values, refusals, limits.

The goldens (capnweb_golden.json) are what two capnweb RpcSessions sent each other
(capnweb_golden.mjs). Each decodes into our message and encodes back to the *identical* text
(not only equal JSON), except the lossy and refused cases listed below.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from playground.codec import Ext, Kwargs, decode_value, encode_value, pack_small
from playground.codec.capnweb import CapnWebCodec, js_number
from playground.errors import DataCloneError, ProtocolError, RemoteError
from playground.protocol import Abort, Pipe, Pull, Push, Reject, Release, Resolve, Stream

HERE = Path(__file__).parent
GOLDEN = json.loads((HERE / "capnweb_golden.json").read_text())
FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])

#: Golden text -> what it encodes back to (the module docstring says why each is lossy).
LOSSY = {
    '["push",["pipeline",0,["echo"],[["url","https://example.com/a?b=1"]]]]': '["push",["pipeline",0,["echo"],["https://example.com/a?b=1"]]]',
    '["resolve",17,["url","https://example.com/a?b=1"]]': '["resolve",17,"https://example.com/a?b=1"]',
    '["push",["pipeline",0,["echo"],[["undefined"]]]]': '["push",["pipeline",0,["echo"],[null]]]',
    '["resolve",2,["undefined"]]': '["resolve",2,null]',
    '["push",["pipeline",0,["echo"],[["bigint","5"]]]]': '["push",["pipeline",0,["echo"],[5]]]',
    '["resolve",10,["bigint","5"]]': '["resolve",10,5]',
    '["push",["pipeline",0,["echo"],[["bytes","CQgH","ArrayBuffer"]]]]': '["push",["pipeline",0,["echo"],[["bytes","CQgH"]]]]',
    '["resolve",15,["bytes","CQgH","ArrayBuffer"]]': '["resolve",15,["bytes","CQgH"]]',
    '["resolve",35,["undefined"]]': '["resolve",35,null]',
    '["resolve",36,["undefined"]]': '["resolve",36,null]',
    '["resolve",3,["undefined"]]': '["resolve",3,null]',
}
#: Labels this side cannot take yet, and the start of the ProtocolError their first message gets.
REFUSED = {"value: blob": "Cap'n Web sent 'blob' inside a value (['blob', 'text/plain', ['readable', 40]]), which this side cannot take yet."}


class _Accepting:
    def decode_capability(self, code, data):
        return ("capability", Ext(code).name, decode_value(data))

    def decode_marked(self, code, items):
        return ("marked", Ext(code).name, items)


def _replay():
    """Every golden message through a pair of codecs: ``(entry, message, text back)``; for a
    refused label, ``(entry, error, None)`` for its first message and nothing after."""
    codecs = {"client": CapnWebCodec(), "server": CapnWebCodec()}
    other = {"client": "server", "server": "client"}
    refused = set()
    for entry in GOLDEN:
        if entry["label"] in refused:
            continue
        try:
            message = codecs[other[entry["from"]]].decode(entry["json"])
        except ProtocolError as exc:
            refused.add(entry["label"])
            yield entry, exc, None
            continue
        yield entry, message, codecs[entry["from"]].encode(message)


def test_goldens_cover_every_message_kind():
    kinds = {json.loads(entry["json"])[0] for entry in GOLDEN}
    assert kinds == {"push", "pull", "resolve", "reject", "release", "abort", "stream", "pipe"}


def test_every_golden_message_decodes_and_encodes_back_to_the_same_text():
    seen = 0
    for entry, message, back in _replay():
        if back is None:
            assert str(message).startswith(REFUSED[entry["label"]]), entry
            continue
        assert back == LOSSY.get(entry["json"], entry["json"]), entry["label"]
        for payload in message[1:]:
            if type(payload) is bytes:  # the runtime can decode every payload
                decode_value(payload, _Accepting())
        seen += 1
    blob = sum(1 for entry in GOLDEN if entry["label"] == "value: blob")
    assert seen == len(GOLDEN) - blob + 1  # (the blob's: its pipe replays, its push is refused,
    # and the rest of its scenario is not replayed)
    assert seen > 150


def _golden(label, text_start):
    codecs = {"client": CapnWebCodec(), "server": CapnWebCodec()}
    other = {"client": "server", "server": "client"}
    for entry in GOLDEN:
        try:
            message = codecs[other[entry["from"]]].decode(entry["json"])
        except ProtocolError:
            continue
        codecs[entry["from"]].encode(message)
        if entry["label"] == label and entry["json"].startswith(text_start):
            return message
    raise AssertionError(f"no golden {label!r} {text_start!r}")


def test_golden_messages_become_our_messages():
    assert _golden("call: add", '["push"') == Push(21, 0, ("add",), encode_value([1, 2]))
    assert _golden("property read", '["push"') == Push(22, 0, ("name",), None)
    assert _golden("stub returned, pipelined call, release", '["push",["pipeline",23') == Push(
        24, 23, ("increment",), encode_value([2])
    )
    assert _golden("stream: a ReadableStream sent", '["pipe"') == Pipe(33)
    assert _golden("stream: a ReadableStream sent", '["stream"')[:4] == Stream(35, 33, ("write",), None)[:4]
    assert _golden("callback: a function passed, called back", '["release",-1') == Release(-1, 1)
    assert _golden("call: add", '["pull"') == Pull(21)


def _value(label, text_start):
    message = _golden(label, text_start)
    return decode_value(message[-1], _Accepting())


def test_golden_values_as_python_sees_them():
    assert _value("value: numbers", '["resolve"') == [0, -1, 1.5, 2**53 - 1, -(2**53 - 1), 1e21, 1e-7, 1e-6, 1.23456e32]
    inf, minus, nan = _value("value: infinities and NaN", '["resolve"')
    assert (inf, minus, math.isnan(nan)) == (math.inf, -math.inf, True)
    assert _value("value: big bigint", '["resolve"') == [2**64 + 1, -(2**70)]
    assert _value("value: date", '["resolve"') == dt.datetime(2024, 2, 29, 12, 30, 45, 123000, tzinfo=dt.timezone.utc)
    assert _value("value: bytes", '["resolve"') == bytes([0, 1, 2, 250, 255])
    assert _value("value: object", '["resolve"') == {"a": 1, "b": {"c": [True]}, "": "empty key"}
    assert _value("stub passed back to its owner", '["resolve"') == ("capability", "EXPORT", -1)
    assert _value("value: headers", '["resolve"') == ("marked", "HEADERS", [[["content-type", "text/plain"], ["x-a", "1"]]])
    assert _value("value: request", '["resolve"') == (
        "marked", "REQUEST", ["https://example.com/api?q=1", "DELETE", [["x-a", "1"]], None]
    )
    assert _value("value: response", '["resolve"') == ("marked", "RESPONSE", [204, "No Content", [["x-b", "2"]], None])
    assert _value("value: url", '["resolve"') == "https://example.com/a?b=1"
    assert _value("stream: a WritableStream sent", '["push"') == [("capability", "WRITABLE", -2)]


def test_js_errors_arrive_as_python_errors_the_runtime_rebuilds():
    range_error = _value("error: RangeError", '["reject"')
    assert isinstance(range_error, RemoteError) and isinstance(range_error, ValueError)
    assert (range_error.name, str(range_error)) == ("RangeError", "out of range")
    type_error = _value("error: TypeError", '["reject"')
    assert type(type_error) is TypeError and str(type_error) == "not a function"
    with_props = _value("error: properties and cause", '["reject"')
    assert (type(with_props), with_props.name, str(with_props), with_props.code) == (RemoteError, "Error", "with props", "E42")
    assert type(with_props.__cause__) is TypeError and str(with_props.__cause__) == "the cause"


def test_python_errors_go_as_js_errors():
    codec = CapnWebCodec()
    assert codec.encode(Reject(1, encode_value(ValueError("bad")))) == '["reject",1,["error","RangeError","bad"]]'
    assert codec.encode(Reject(1, encode_value(TypeError("no")))) == '["reject",1,["error","TypeError","no"]]'
    assert codec.encode(Reject(1, encode_value(KeyError("k")))) == '["reject",1,["error","KeyError","\'k\'"]]'
    error = RemoteError("from js", "RangeError")  # a JS error thrown on again keeps its name
    assert codec.encode(Abort(encode_value(error))) == '["abort",["error","RangeError","from js"]]'
    caused = ValueError("outer")
    caused.__cause__ = TypeError("inner")
    assert codec.encode(Resolve(1, encode_value(caused))) == (
        '["resolve",1,["error","RangeError","outer",null,{"cause":["error","TypeError","inner"]}]]'
    )


def test_python_values_as_cap_n_web_writes_them():
    codec = CapnWebCodec()

    def out(value):
        return codec.encode(Resolve(1, encode_value(value)))[len('["resolve",1,'):-1]

    assert out(None) == "null"
    assert out([1, (2, 3), "é"]) == '[[1,[[2,3]],"é"]]'
    assert out(2**53) == '["bigint","9007199254740992"]'
    assert out(-(2**100)) == f'["bigint","{-(2**100)}"]'
    assert out(2.0) == "2"
    assert out([math.inf, -math.inf, math.nan]) == '[[["inf"],["-inf"],["nan"]]]'
    assert out(b"\x00\x01\xfa") == '["bytes","AAH6"]'
    assert out(dt.datetime(2024, 2, 29, 12, 30, 45, 123999, tzinfo=dt.timezone.utc)) == '["date",1709209845123]'
    assert out(dt.datetime(2024, 2, 29, 12, 30, 45, 123000)) == '["date",1709209845123]'  # naive: UTC
    assert out({"a": [1]}) == '{"a":[[1]]}'
    assert out("\ud800") == '"\\ud800"'  # a lone surrogate, escaped as JSON.stringify does
    shared = [1]
    assert out([shared, shared]) == "[[[[1]],[[1]]]]"  # shared parts are sent twice


def test_what_cannot_cross_is_refused_with_what_to_send_instead():
    codec = CapnWebCodec()
    cases = {
        "set": ({1}, "Cannot serialize value: a set. It cannot cross to a Cap'n Web peer (Cap'n Web's JSON has no such type): send a list (`sorted(s)` or `list(s)`)."),
        "decimal": (decimal.Decimal("1.5"), "Cannot serialize value: a Decimal. It cannot cross to a Cap'n Web peer (Cap'n Web's JSON has no such type): send `str(d)` (or a float, if rounding is fine)."),
        "key": ({1: "a"}, "Cannot serialize value: a dict with a key that is not a str (1). It cannot cross to a Cap'n Web peer (Cap'n Web's JSON has no such type): send a dict with str keys, or a list of [key, value] pairs."),
    }
    for name, (value, text) in cases.items():
        with pytest.raises(DataCloneError) as info:
            codec.encode(Resolve(1, encode_value(value)))
        assert str(info.value) == text, name
    with pytest.raises(DataCloneError) as info:
        codec.encode(Push(1, 0, ("f",), encode_value([1, Kwargs(x=2)])))
    assert str(info.value) == (
        "Cannot serialize value: keyword arguments. It cannot cross to a Cap'n Web peer (Cap'n Web's "
        "JSON has no such type): Cap'n Web calls take positional arguments only: pass them by "
        "position, or as one dict."
    )
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(DataCloneError, match="a value that contains itself"):
        codec.encode(Resolve(1, encode_value(cyclic)))
    assert codec.encode(Push(1, 0, ("f",), encode_value([1]))) == '["push",["pipeline",0,["f"],[1]]]'


def test_push_ids_are_implicit_and_checked():
    codec = CapnWebCodec()
    with pytest.raises(ProtocolError) as info:
        codec.encode(Push(2, 0, ("f",), None))
    assert str(info.value) == "push with id 2: Cap'n Web numbers them implicitly, the next is 1"
    assert codec.encode(Pipe(1)) == '["pipe"]'
    assert codec.encode(Stream(2, 1, ("write",), encode_value([b"x"]))) == '["stream",["pipeline",1,["write"],[["bytes","eA"]]]]'
    assert codec.decode('["push",["pipeline",0,["f"]]]') == Push(1, 0, ("f",), None)
    assert codec.decode('["pipe"]') == Pipe(2)


def test_limits_name_themselves_and_how_to_raise_them():
    with pytest.raises(ProtocolError) as info:
        CapnWebCodec(max_message_bytes=10).decode('["pull",123456789]')
    assert str(info.value) == (
        "Incoming message exceeds maximum size of 10 bytes (it has 18 bytes). If the peer may send "
        "more, raise the limit: CapnWebCodec(max_message_bytes=...)."
    )
    with pytest.raises(ProtocolError) as info:
        CapnWebCodec(max_depth=4).decode('["resolve",1,[[[[[1]]]]]]')
    assert str(info.value) == (
        "Deserialization exceeded maximum allowed message depth of 4. If the peer may send deeper "
        "values, raise the limit: CapnWebCodec(max_depth=...)."
    )
    with pytest.raises(ProtocolError, match="maximum allowed message depth of 64"):
        CapnWebCodec().decode("[" * 100_000 + "]" * 100_000)
    codec = CapnWebCodec(max_imports=2)
    codec.decode('["resolve",1,[[["export",-1],["export",-2],["export",-1]]]]')
    with pytest.raises(ProtocolError) as info:
        codec.decode('["resolve",2,["export",-3]]')
    assert str(info.value) == (
        "The peer introduced more than 2 stubs to this side (its exports, not yet released). If it "
        "may hold more at once, raise the limit: CapnWebCodec(max_imports=...)."
    )
    codec.encode(Release(-1, 2))  # released: room for one more
    codec.decode('["resolve",2,["export",-3]]')


def test_what_this_side_cannot_take_yet():
    codec = CapnWebCodec()
    with pytest.raises(ProtocolError, match="a pipelined call or property inside a value"):
        codec.decode('["resolve",1,["pipeline",0,["x"]]]')


@pytest.mark.parametrize(
    "text",
    [
        "", "{", "[]", "{}", "[1]", '["push"]', '["push",1]', '["push",["pipeline","0"]]',
        '["push",["pipeline",0,[1.5]]]', '["push",["pipeline",true,[]]]', '["pull","1"]', '["pull",1,2]',
        '["resolve",1]', '["release",1,"1"]', '["abort"]', '["resolve",1,["bigint","x"]]',
        '["resolve",1,["bytes","!!"]]', '["resolve",1,["date","x"]]', '["resolve",1,["error",1,"m"]]',
        '["resolve",1,["error","E","m",null,[]]]', '["resolve",1,["export",3]]', '["resolve",1,["nope"]]',
        '["resolve",1,NaN]', '["resolve",1,["date",1e300]]', b"\xff", '["resolve",1,["headers",[[1,2]]]]',
    ],
)
def test_malformed_messages_are_protocol_errors(text):
    with pytest.raises(ProtocolError):
        CapnWebCodec().decode(text)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
    | st.sampled_from(["push", "pipeline", "export", "import", "error", "bytes", "date", "bigint", "undefined", "pipe", "resolve", "headers", "request", "response"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


@FUZZ
@given(_json)
def test_fuzz_structures(value):
    """Whatever JSON the peer sends: a message (whose payloads the runtime decodes) or a
    ProtocolError, and a message encodes back."""
    for text in (json.dumps(value), json.dumps(["resolve", 1, value]), json.dumps(["push", ["pipeline", 0, [], value]])):
        try:
            message = CapnWebCodec().decode(text)
        except ProtocolError:
            continue
        for payload in message[1:]:
            if type(payload) is bytes:
                decode_value(payload, _Accepting())
        try:
            CapnWebCodec().encode(message) if message[0] != "push" else None
        except DataCloneError:
            pass


@FUZZ
@given(st.text(max_size=60) | st.binary(max_size=60))
def test_fuzz_text(text):
    try:
        CapnWebCodec().decode(text)
    except ProtocolError:
        pass


@FUZZ
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_js_number_reads_back_as_the_same_float(value):
    assert float(js_number(value)) == value


@pytest.mark.interop
def test_goldens_are_what_capnweb_sends_today(capnweb_dir):
    """Regenerate the goldens with Node and capnweb 0.12.0, and compare."""
    node, folder = capnweb_dir
    run = subprocess.run(
        [node, str(HERE / "capnweb_golden.mjs"), str(folder)], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(run.stdout) == GOLDEN


def test_a_promise_inside_a_value_is_a_promise_export():
    codec = CapnWebCodec()
    message = codec.decode('["resolve",1,[[["promise",-2],3]]]')
    assert decode_value(message[2], _Accepting()) == [("capability", "PROMISE", -2), 3]
    assert CapnWebCodec().encode(message) == '["resolve",1,[[["promise",-2],3]]]'


def test_a_golden_remap_is_our_map_expression_and_back():
    """Cap'n Web's ``.map()`` push (``ids.map(id => api.double(id))``) is our push with an empty
    path whose arguments are the REMAP expression itself, as the simulation's ``.map()`` sends it
    (and as the connection takes it: not a list holding it)."""
    from playground.codec.values import Expression

    text = '["push",["remap",34,[],[["import",0]],[["pipeline",-1,["double"],[["pipeline",0]]],["pipeline",1]]]]'
    codec = CapnWebCodec()
    codec._next_in = 34  # (the 34th push of its session)
    push = codec.decode(text)
    assert (push.id, push.target, push.path) == (34, 34, ())
    remap = decode_value(push.args, _Accepting())
    assert remap == Expression((
        "remap", (), [("capability", "IMPORT", 0)],
        [Expression(("pipeline", -1, ("double",), [Expression(("pipeline", 0))])), Expression(("pipeline", 1))],
    ))
    back = CapnWebCodec()
    back._next_out = 34
    assert back.encode(push) == text


def test_a_peer_pipelining_too_deep_is_refused_and_answers_make_room():
    codec = CapnWebCodec(max_pipeline_depth=3)
    for ident in (1, 2, 3):  # each on the result of the one before: 3 deep
        assert codec.decode(f'["push",["pipeline",{ident - 1},["next"],[]]]').id == ident
    with pytest.raises(ProtocolError) as info:
        codec.decode('["push",["pipeline",3,["next"],[]]]')
    assert str(info.value) == (
        "The peer pipelined more than 3 calls deep on results not answered yet. If it may chain "
        "more, raise the limit: CapnWebCodec(max_pipeline_depth=...)."
    )
    fresh = CapnWebCodec(max_pipeline_depth=3)
    for ident in (1, 2, 3):
        fresh.decode(f'["push",["pipeline",{ident - 1},["next"],[]]]')
    fresh.encode(Resolve(3, pack_small(None)))  # answered: what is pipelined on it starts a chain anew
    assert fresh.decode('["push",["pipeline",3,["next"],[]]]').id == 4
