"""Our messages <-> Cap'n Web's JSON messages: one end of one session with a real Cap'n Web peer.

Cap'n Web (npm ``capnweb``) is the JSON sibling of Workers RPC, and :mod:`playground.protocol`
is modelled on it: the same messages and the same ids (the importer counts up from 1, the
exporter down from -1, 0 is the main object). Only the payloads differ: ours are msgpack bytes
with ext types (:mod:`.values`), Cap'n Web's are JSON *expressions*. A :class:`CapnWebCodec`
translates one way in :meth:`~CapnWebCodec.encode` (a message we send, to JSON text) and the
other in :meth:`~CapnWebCodec.decode` (text from the peer, to a message for our session). It is
sans-I/O and stateful: it numbers the pushes of each direction (Cap'n Web's ``push``,
``stream`` and ``pipe`` carry no id: each takes the sender's next import id) and counts the
stubs the peer introduced.

Messages (ours → Cap'n Web's)::

    Push(id, t, path, args)   ["push", ["pipeline", t, path, args]]   (a read: no args element)
    Stream(id, t, path, args) ["stream", ["pipeline", t, path, args]]
    Pipe(id)                  ["pipe"]
    Pull(id)                  ["pull", id]
    Resolve(id, value)        ["resolve", id, expr]
    Reject(id, error)         ["reject", id, expr]
    Release(id, n)            ["release", id, n]
    Abort(reason)             ["abort", expr]

Values (expressions; docs/values.md, "On a Cap'n Web session", has the full table): an array
is escaped as ``[[...]]``; ``None`` ↔ ``null`` (``["undefined"]`` arrives as ``None``); an int
within ±(2**53 - 1) ↔ a number, beyond ↔ ``["bigint", "digits"]``; a float ↔ a number, or
``["inf"]``, ``["-inf"]``, ``["nan"]``; bytes ↔ ``["bytes", base64]``; an aware datetime ↔
``["date", ms]`` (a naive one is taken as UTC); a tuple goes as an array; a dict with str keys
↔ an object; an exception ↔ ``["error", name, message, stack?, props?]`` (JS ``RangeError`` ↔
``ValueError``, keeping its name; ``TypeError`` ↔ ``TypeError``); stubs ↔ ``["export", id]``
(the sender's) and ``["import", id]`` (the receiver's own, sent back); streams ↔
``["readable", pipe id]`` and ``["writable", id]``; ``Headers``, ``Request``, ``Response`` ↔
``["headers", ...]``, ``["request", ...]``, ``["response", ...]``.

Refused:

* at :meth:`~CapnWebCodec.encode`, with a ``DataCloneError`` that says what to send instead:
  what Cap'n Web's JSON cannot carry (sets, keyword arguments, dates without a time, times,
  timedeltas, Decimal, UUID, complex, regular expressions, dicts with keys that are not str,
  values that contain themselves, service bindings, Durable Object stubs, stubs from another
  session);
* at :meth:`~CapnWebCodec.decode`, with a :class:`~playground.errors.ProtocolError`: anything
  malformed (never a ``KeyError``, ``ValueError``, ``JSONDecodeError``...), a message over
  ``max_message_bytes`` (UTF-8), JSON nested deeper than ``max_depth``, calls pipelined more
  than ``max_pipeline_depth`` deep on unanswered results, more than ``max_imports`` stubs
  introduced by the peer and not released; and what our runtime cannot take yet: a pipelined
  call or property inside a value (``["pipeline", id, path]``) and ``["blob", ...]``. A
  promise the peer exports (``["promise", id]``) becomes ``Ext.PROMISE``, which the runtime
  takes inside a call's result only (it waits for it and substitutes its value). ``.map()`` (``["remap", import id, path, captures, instructions]``)
  translates 1:1 to and from our ``REMAP`` expression (a push with an empty path whose one
  argument is the expression; see :func:`remap_to_push`).

Lossy on purpose (a decoded message encodes back to different JSON): ``["undefined"]`` →
``null``; a small ``["bigint", "5"]`` → ``5``; ``["bytes", b64, "ArrayBuffer"]`` (a typed array) → plain bytes;
``["date", null]`` (an invalid Date) → ``null``; ``["url", href]`` → the str; an error's stack
is dropped.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import re
from typing import Any

import msgpack

from ..errors import CapnWebText, DataCloneError, ProtocolError, brief
from ..protocol.messages import (
    Abort,
    Kind,
    Message,
    Pipe,
    Pull,
    Push,
    Reject,
    Release,
    Resolve,
    Stream,
)
from .values import Ext, marker, pack_small

__all__ = ["CapnWebCodec", "remap_to_push"]

#: Integers a JavaScript number holds exactly.
MAX_SAFE_INTEGER = (1 << 53) - 1
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MS = _dt.timedelta(milliseconds=1)
#: Python's msgpack packs ints in this range; beyond, a BIGINT ext.
_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1

#: JS error name -> (our class name, module, nearest built-in base), as :func:`values.encode_error`
#: lays out an ERROR ext; a name not listed arrives as a RemoteError of that name.
_JS_ERRORS = {
    "TypeError": ("TypeError", "builtins", "TypeError"),
    "RangeError": ("RangeError", "capnweb", "ValueError"),
}
#: Our built-in error class -> its JS name (any other keeps its own name; JS makes it an Error).
_PY_ERRORS = {"ValueError": "RangeError", "TypeError": "TypeError"}
_ERROR_SKIPPED = frozenset({"name", "message", "stack"})

#: What to send instead, for each ext Cap'n Web cannot carry: (what it is, advice).
_REFUSED = {
    Ext.SET: ("a set", "send a list (`sorted(s)` or `list(s)`)."),
    Ext.FROZENSET: ("a frozenset", "send a list (`sorted(s)` or `list(s)`)."),
    Ext.KWARGS: ("keyword arguments", "Cap'n Web calls take positional arguments only: pass them by position, or as one dict."),
    Ext.DATE: ("a datetime.date", "send a datetime (it arrives as a Date), or `d.isoformat()`."),
    Ext.TIME: ("a datetime.time", "send `t.isoformat()`."),
    Ext.TIMEDELTA: ("a timedelta", "send `td.total_seconds()`."),
    Ext.DECIMAL: ("a Decimal", "send `str(d)` (or a float, if rounding is fine)."),
    Ext.UUID: ("a UUID", "send `str(u)`."),
    Ext.COMPLEX: ("a complex", "send `[z.real, z.imag]`."),
    Ext.PATTERN: ("a regular expression", "send `p.pattern`."),
    Ext.SERVICE: ("a service binding", "Cap'n Web has no bindings: send an RpcTarget whose methods call it."),
    Ext.DURABLE_OBJECT: ("a Durable Object stub", "Cap'n Web has no bindings: send an RpcTarget whose methods call it."),
    Ext.HANDOFF: ("a stub of another session", "send an RpcTarget whose methods call it."),
}
#: Capability exts and the expression tag each becomes.
_CAPABILITY_TAGS = {
    Ext.EXPORT: "export", Ext.PROMISE: "promise", Ext.PIPELINE: "pipeline", Ext.IMPORT: "import",
    Ext.READABLE: "readable", Ext.WRITABLE: "writable",
}
_ALL_EXTS = frozenset(int(code) for code in Ext)
_SURROGATE = re.compile("[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]")
_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


class _Mark:
    """An empty marker ext, while a payload is walked."""

    __slots__ = ("code",)

    def __init__(self, code: Ext) -> None:
        self.code = code


class _Raw:
    """An ext with data, while a payload is walked."""

    __slots__ = ("code", "data")

    def __init__(self, code: int, data: bytes) -> None:
        self.code = code
        self.data = data


def _ext_hook(code: int, data: bytes) -> object:
    if not data and code in _ALL_EXTS:
        return _Mark(Ext(code))
    return _Raw(code, data)


def remap_to_push(codec: CapnWebCodec, ident: int, expr: list[Any]) -> Push:
    """The Push for Cap'n Web's ``["push", ["remap", import id, path, captures, instructions]]``
    (``.map()``): a push with an empty path whose arguments are our ``REMAP`` expression
    itself, as the runtime sends and takes it (see :class:`~playground.codec.values.Expression`)."""
    if len(expr) != 5 or not _is_int(expr[1]) or not _is_path(expr[2]) or type(expr[3]) is not list:
        raise ProtocolError(f"malformed remap {brief(expr)}")
    instructions = expr[4]
    if type(instructions) is not list or not instructions:
        raise ProtocolError(f"a remap without instructions: {brief(expr)}")
    captures = []
    for capture in expr[3]:
        if type(capture) is not list or len(capture) != 2 or capture[0] not in ("import", "export"):
            raise ProtocolError(f"a remap capture that is not a stub: {brief(capture)}")
        captures.append(codec._in(capture, 1))
    steps = []
    for step in instructions:
        if type(step) is not list or not step or step[0] not in ("pipeline", "import"):
            raise ProtocolError(f"a remap instruction that is not a call or a reference: {brief(step)}")
        steps.append(_map_in(codec, step, 1))
    remap = [marker(Ext.REMAP), "remap", [marker(Ext.TUPLE), *expr[2]], captures, steps]
    return Push(ident, expr[1], (), codec._pack(remap))


def _is_path(path: Any) -> bool:
    return type(path) is list and all(type(p) is str or _is_int(p) for p in path)


def _map_in(codec: CapnWebCodec, value: Any, depth: int) -> Any:
    """A value inside a remap instruction: variables (``["pipeline", n, path?, args?]``,
    ``["import", n]``) become ``REMAP`` expressions, anything else as :meth:`CapnWebCodec._in`."""
    if depth > codec.max_depth:
        raise ProtocolError(CapnWebText.too_deep(codec.max_depth))
    kind = type(value)
    if kind is dict:
        return {key: _map_in(codec, item, depth + 1) for key, item in value.items()}
    if kind is not list or not value:
        return codec._in(value, depth)
    if len(value) == 1 and type(value[0]) is list:
        return [_map_in(codec, item, depth + 1) for item in value[0]]
    tag, size = value[0], len(value)
    if tag == "pipeline" and 2 <= size <= 4 and _is_int(value[1]):
        out: list[Any] = [marker(Ext.REMAP), "pipeline", value[1]]
        if size >= 3:
            if not _is_path(value[2]):
                raise ProtocolError(f"a remap path that is not names and indexes: {brief(value[2])}")
            out.append([marker(Ext.TUPLE), *value[2]])
        if size == 4:
            if type(value[3]) is not list:
                raise ProtocolError(f"remap arguments that are not a list: {brief(value[3])}")
            out.append([_map_in(codec, item, depth + 1) for item in value[3]])
        return out
    if tag == "import" and size == 2 and _is_int(value[1]) and value[1] < 0:
        return [marker(Ext.REMAP), "import", value[1]]
    return codec._in(value, depth)


class CapnWebCodec:
    """One end of one Cap'n Web session.

    ``max_message_bytes`` (UTF-8 bytes of one message), ``max_depth`` (JSON nesting of one
    message) and ``max_imports`` (stubs the peer introduced and we have not released) bound
    what an untrusted peer can make us hold; each is a ProtocolError that names the limit.
    """

    __slots__ = (
        "max_message_bytes", "max_depth", "max_imports", "max_pipeline_depth", "_next_out", "_next_in", "_imports",
        "_depth", "_chains",
    )

    def __init__(
        self, *, max_message_bytes: int = 32 * 1024 * 1024, max_depth: int = 64, max_imports: int = 10_000,
        max_pipeline_depth: int = 256,
    ) -> None:
        self.max_message_bytes = max_message_bytes
        self.max_depth = max_depth
        self.max_imports = max_imports
        self.max_pipeline_depth = max_pipeline_depth
        #: the peer's calls not answered yet -> how many calls deep they are pipelined
        self._chains: dict[int, int] = {}
        self._next_out = 1  # our next question id (push, stream, pipe)
        self._next_in = 1  # the peer's
        self._imports: set[int] = set()  # the peer's exports introduced to us, not released
        self._depth = 0

    # -- encode ---------------------------------------------------------------------------------

    def encode(self, message: Message) -> str:
        """One Cap'n Web message, as JSON text (no newline), for ``message`` (one of ours).

        A value Cap'n Web cannot carry is refused with ``DataCloneError``; a message that is not
        one, or a push whose id is not the next question id, with ProtocolError."""
        kind = message[0] if type(message) in _TYPES and message else None
        if kind is Kind.PUSH or kind is Kind.STREAM or kind is Kind.PIPE:
            ident = message[1]
            if ident != self._next_out:
                raise ProtocolError(
                    f"{kind} with id {brief(ident)}: Cap'n Web numbers them implicitly, the next is {self._next_out}"
                )
            if kind is Kind.PIPE:
                self._next_out += 1
                return '["pipe"]'
            _, _, target, path, args = message
            call: list[Any] = ["pipeline", target, list(path)]
            if args is not None:
                arguments = self._args(args)
                if (
                    not path and kind is Kind.PUSH and len(arguments) == 1 and type(arguments[0]) is list
                    and arguments[0][:1] == ["remap"]
                ):  # (.map(): an array argument would be escaped, so only a REMAP gives this)
                    call = ["remap", target, *arguments[0][1:]]
                else:
                    call.append(arguments)
            text = _dumps([str(kind), call])
            self._next_out += 1
            return text
        if kind is Kind.PULL:
            return _dumps(["pull", message[1]])
        if kind is Kind.RESOLVE or kind is Kind.REJECT:
            self._chains.pop(message[1], None)
            return _dumps([str(kind), message[1], self._value(message[2])])
        if kind is Kind.RELEASE:
            self._imports.discard(message[1])
            return _dumps(["release", message[1], message[2]])
        if kind is Kind.ABORT:
            return _dumps(["abort", self._value(message[1])])
        raise ProtocolError(f"cannot encode {brief(message)}: not a message")

    def _unpack(self, data: bytes) -> Any:
        try:
            return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)
        except Exception as exc:
            raise ProtocolError(f"undecodable payload ({type(exc).__name__}: {exc})") from None

    def _args(self, data: bytes) -> list[Any]:
        """A call's arguments: an unescaped array of expressions."""
        items = self._unpack(data)
        graph = None
        if type(items) is list and items and type(items[0]) is _Mark and items[0].code is Ext.GRAPH:
            graph = _Graph(items)
            items = graph.root()
        if type(items) is list and items and type(items[0]) is _Mark and items[0].code is Ext.REMAP:
            return [self._remap_out(items[1:], 1, graph)]  # (.map(): the expression is the arguments)
        if type(items) is not list or (items and type(items[0]) is _Mark):
            raise ProtocolError(f"the arguments of a call are not a list: {brief(items)}")
        if items and type(items[-1]) is list and items[-1] and type(items[-1][0]) is _Mark and items[-1][0].code is Ext.KWARGS:
            raise DataCloneError(CapnWebText.cannot_carry(*_REFUSED[Ext.KWARGS]))
        return [self._out(item, 1, graph) for item in items]

    def _remap_out(self, items: list[Any], depth: int, graph: _Graph | None) -> list[Any]:
        """Our ``REMAP`` expression (``.map()``) as Cap'n Web writes it: ``["remap", path,
        captures, instructions]`` (the push's target goes in front of ``path`` when the push is
        encoded), ``["pipeline", n, path?, args?]``, ``["import", n]``."""
        op = items[0] if items else None

        def path(marked: Any) -> list[Any]:
            if type(marked) is list and marked and type(marked[0]) is _Mark and marked[0].code is Ext.TUPLE:
                return list(marked[1:])
            raise ProtocolError(f"a map() path that is not a tuple: {brief(marked)}")

        if op == "remap" and len(items) == 4:
            captures = [self._out(item, depth + 1, graph) for item in items[2]]
            steps = [self._out(item, depth + 1, graph) for item in items[3]]
            return ["remap", path(items[1]), captures, steps]
        if op == "pipeline" and 2 <= len(items) <= 4:
            out: list[Any] = ["pipeline", items[1]]
            if len(items) >= 3:
                out.append(path(items[2]))
            if len(items) == 4:
                out.append([self._out(item, depth + 1, graph) for item in items[3]])
            return out
        if op == "import" and len(items) == 2:
            return ["import", items[1]]
        raise ProtocolError(f"a malformed map() expression {brief(items)}")

    def _value(self, data: bytes) -> Any:
        value = self._unpack(data)
        graph = None
        if type(value) is list and value and type(value[0]) is _Mark and value[0].code is Ext.GRAPH:
            graph = _Graph(value)
            value = graph.root()
        return self._out(value, 0, graph)

    def _out(self, value: Any, depth: int, graph: _Graph | None) -> Any:
        """The expression for a value unpacked from our msgpack payload."""
        if depth > self.max_depth:
            raise DataCloneError(CapnWebText.cannot_carry(
                f"a value nested more than {self.max_depth} levels deep",
                "send it flatter, or raise the limit: CapnWebCodec(max_depth=...).",
            ))
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return value
            return ["bigint", str(value)]
        if kind is float:
            if value != value:
                return ["nan"]
            if value in (_INF, -_INF):
                return ["inf"] if value > 0 else ["-inf"]
            return value
        if kind is bytes:
            return ["bytes", base64.b64encode(value).decode().rstrip("=")]
        if kind is dict:
            out = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise DataCloneError(CapnWebText.cannot_carry(
                        f"a dict with a key that is not a str ({brief(_shown(key))})",
                        "send a dict with str keys, or a list of [key, value] pairs.",
                    ))
                out[key] = self._out(item, depth + 1, graph)
            return out
        if kind is list:
            head = value[0] if value else None
            if type(head) is _Mark:
                return self._marked(head.code, value[1:], depth, graph)
            return [[self._out(item, depth + 1, graph) for item in value]]
        if kind is _Raw:
            return self._ext(value, depth, graph)
        raise ProtocolError(f"a payload holds {brief(value)}")

    def _marked(self, code: Ext, items: list[Any], depth: int, graph: _Graph | None) -> Any:
        if code is Ext.REMAP:
            return self._remap_out(items, depth, graph)
        if code is Ext.TUPLE:
            return [[self._out(item, depth + 1, graph) for item in items]]
        if code is Ext.ERROR:
            return self._error(items, depth, graph)
        if code is Ext.HEADERS and len(items) == 1:
            return ["headers", self._pairs(items[0])]
        if code is Ext.REQUEST and len(items) == 4:
            url, method, pairs, body = items
            init: dict[str, Any] = {}
            if method != "GET":
                init["method"] = method
            if pairs:
                init["headers"] = self._pairs(pairs)
            if body is not None:
                init["body"] = self._out(body, depth + 1, graph)
                init["duplex"] = "half"
            return ["request", url, init]
        if code is Ext.RESPONSE and len(items) == 4:
            status, status_text, pairs, body = items
            init = {}
            if status != 200:
                init["status"] = status
            if status_text:
                init["statusText"] = status_text
            if pairs:
                init["headers"] = self._pairs(pairs)
            return ["response", self._out(body, depth + 1, graph), init]
        if code in _REFUSED:
            raise DataCloneError(CapnWebText.cannot_carry(*_REFUSED[code]))
        raise ProtocolError(f"a list marked {code.name} is not a value")

    @staticmethod
    def _pairs(pairs: Any) -> list[list[str]]:
        if type(pairs) is not list or any(type(p) is not list or len(p) != 2 for p in pairs):
            raise ProtocolError(f"malformed headers {brief(pairs)}")
        return [list(p) for p in pairs]

    def _error(self, items: list[Any], depth: int, graph: _Graph | None) -> list[Any]:
        """Our ERROR list (see :func:`values.encode_error`) as ``["error", name, message, ...]``."""
        if len(items) == 6:
            items = [*items, None]
        if len(items) != 7:
            raise ProtocolError(f"malformed error: {brief(items)}")
        qualname, module, _base, message, _args, attrs, cause = items
        if type(attrs) is not dict:
            raise ProtocolError(f"malformed error: {brief(items)}")
        name = attrs.get("name")
        if type(name) is not str:
            name = _PY_ERRORS.get(qualname, qualname) if module == "builtins" else qualname
        props: dict[str, Any] = {}
        for key, item in attrs.items():
            if type(key) is not str or key in _ERROR_SKIPPED:
                continue
            try:  # a property that cannot cross is left out (as Cap'n Web does)
                props[key] = self._out(item, depth + 1, graph)
            except DataCloneError:
                pass
        if cause is not None:
            props["cause"] = self._out(cause, depth + 1, graph)
        out: list[Any] = ["error", str(name), str(message)]
        if props:
            out += [None, props]
        return out

    def _ext(self, raw: _Raw, depth: int, graph: _Graph | None) -> Any:
        code, data = raw.code, raw.data
        try:
            if code == Ext.BIGINT:
                return self._out(int(data.decode()), depth, graph)
            if code == Ext.DATETIME:
                moment = _dt.datetime.fromisoformat(data.decode())
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=_dt.timezone.utc)
                return ["date", (moment - _EPOCH) // _MS]
            if code == Ext.SURROGATES:
                return data.decode("utf-8", "surrogatepass")
            tag = _CAPABILITY_TAGS.get(code)  # type: ignore[call-overload]
            if tag is not None:
                ident = msgpack.unpackb(data)
                if type(ident) is int:
                    return [tag, ident]
            if code == Ext.REF and graph is not None:
                return graph.expand(raw, lambda node: self._out(node, depth, graph))
        except DataCloneError:
            raise
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise ProtocolError(f"malformed ext {code} ({type(exc).__name__}: {exc})") from None
        if code in _REFUSED:
            raise DataCloneError(CapnWebText.cannot_carry(*_REFUSED[code]))  # type: ignore[index]
        raise ProtocolError(f"ext {code} is not a value that can cross to Cap'n Web")

    # -- decode ---------------------------------------------------------------------------------

    def decode(self, text: str | bytes) -> Message:
        """The message for one Cap'n Web message (JSON text or its UTF-8 bytes).

        Raises :class:`~playground.errors.ProtocolError` for anything malformed or over a limit,
        and for what this side cannot take yet (see the module docstring)."""
        if type(text) is bytes:
            size = len(text)
            if size > self.max_message_bytes:
                raise ProtocolError(CapnWebText.too_large(size, self.max_message_bytes))
            try:
                text = text.decode()
            except UnicodeDecodeError as exc:
                raise ProtocolError(f"a Cap'n Web message that is not UTF-8 ({exc})") from None
        elif type(text) is str:
            if len(text) * 3 > self.max_message_bytes:
                size = len(text.encode("utf-8", "surrogatepass"))
                if size > self.max_message_bytes:
                    raise ProtocolError(CapnWebText.too_large(size, self.max_message_bytes))
        else:
            raise ProtocolError(f"a Cap'n Web message is text, not {brief(text)}")
        try:
            msg = json.loads(text, parse_constant=_no_constant)
        except RecursionError:
            raise ProtocolError(CapnWebText.too_deep(self.max_depth)) from None
        except ValueError as exc:
            raise ProtocolError(f"a Cap'n Web message that is not JSON ({exc}): {brief(text[:80])}") from None
        _check_depth(msg, self.max_depth)
        if type(msg) is not list or not msg or type(msg[0]) is not str:
            raise ProtocolError(f"bad RPC message: {brief(msg)}")
        try:
            return self._message(msg)
        except RecursionError:
            raise ProtocolError(CapnWebText.too_deep(self.max_depth)) from None

    def _pipelined(self, ident: int, target: Any) -> None:
        """The peer's call ``ident`` is addressed to ``target``: one deeper than it, if that is
        one of its calls we have not answered (``max_pipeline_depth`` bounds the chain)."""
        chains = self._chains
        depth = chains.get(target, 0) + 1
        if depth > self.max_pipeline_depth:
            raise ProtocolError(CapnWebText.too_deep_pipeline(self.max_pipeline_depth))
        chains[ident] = depth

    def _message(self, msg: list[Any]) -> Message:
        tag, size = msg[0], len(msg)
        if (tag == "push" or tag == "stream") and size == 2:
            call = msg[1]
            ident = self._next_in
            if type(call) is list and call and call[0] == "remap" and tag == "push":
                push = remap_to_push(self, ident, call)
                self._next_in += 1
                self._pipelined(ident, push.target)
                return push
            if type(call) is not list or not 2 <= len(call) <= 4 or call[0] != "pipeline" or not _is_int(call[1]):
                raise ProtocolError(f"bad RPC message: a {tag} of something not a call: {brief(call)}")
            path = call[2] if len(call) > 2 else []
            if type(path) is not list or not all(type(p) is str or _is_int(p) for p in path):
                raise ProtocolError(f"bad RPC message: a {tag} whose path is not names and indexes: {brief(path)}")
            args: bytes | None = None
            if len(call) == 4:
                if type(call[3]) is not list:
                    raise ProtocolError(f"bad RPC message: a {tag} whose arguments are not a list: {brief(call[3])}")
                args = self._pack([self._in(item, 1) for item in call[3]])
            self._next_in += 1
            self._pipelined(ident, call[1])
            cls = Push if tag == "push" else Stream
            return cls(ident, call[1], tuple(path), args)
        if tag == "pipe" and size == 1:
            ident = self._next_in
            self._next_in += 1
            return Pipe(ident)
        if tag == "pull" and size == 2 and _is_int(msg[1]):
            return Pull(msg[1])
        if (tag == "resolve" or tag == "reject") and size == 3 and _is_int(msg[1]):
            payload = self._pack(self._in(msg[2], 0))
            return Resolve(msg[1], payload) if tag == "resolve" else Reject(msg[1], payload)
        if tag == "release" and size == 3 and _is_int(msg[1]) and _is_int(msg[2]):
            self._chains.pop(msg[1], None)
            return Release(msg[1], msg[2])
        if tag == "abort" and size == 2:
            return Abort(self._pack(self._in(msg[1], 0)))
        raise ProtocolError(f"bad RPC message: {brief(msg)}")

    @staticmethod
    def _pack(value: Any) -> bytes:
        try:
            return pack_small(value)
        except UnicodeEncodeError:  # a str with lone surrogates: they travel as an ext
            return pack_small(_surrogates(value))
        except Exception as exc:
            raise ProtocolError(f"cannot pack what the peer sent ({type(exc).__name__}: {exc})") from None

    def _in(self, value: Any, depth: int) -> Any:
        """What an expression from the peer packs as in our msgpack payload."""
        kind = type(value)
        if kind is str or kind is bool or value is None or kind is float:
            return value
        if kind is int:
            if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return value
            return float(value)  # (a JSON number: a double, as JavaScript reads it)
        if kind is dict:
            return {key: self._in(item, depth + 1) for key, item in value.items()}
        if kind is not list:
            raise ProtocolError(f"unknown special value: {brief(value)}")
        size = len(value)
        if size == 1 and type(value[0]) is list:
            return [self._in(item, depth + 1) for item in value[0]]
        tag = value[0] if size else None
        if tag == "undefined" and size == 1:
            return None
        if tag == "inf" and size == 1:
            return _INF
        if tag == "-inf" and size == 1:
            return -_INF
        if tag == "nan" and size == 1:
            return _NAN
        if tag == "bigint" and size == 2 and type(value[1]) is str:
            try:
                number = int(value[1])
            except ValueError:
                raise ProtocolError(f"malformed bigint {brief(value[1])}") from None
            if _INT64_MIN <= number <= _UINT64_MAX:
                return number
            return msgpack.ExtType(Ext.BIGINT, str(number).encode())
        if tag == "date" and size == 2:
            if value[1] is None:
                return None
            if _is_int(value[1]) or type(value[1]) is float:
                try:
                    moment = _EPOCH + _dt.timedelta(milliseconds=value[1])
                except (OverflowError, ValueError) as exc:
                    raise ProtocolError(f"a date Python cannot hold ({value[1]} ms: {exc})") from None
                return msgpack.ExtType(Ext.DATETIME, moment.isoformat().encode())
        if tag == "bytes" and size in (2, 3) and type(value[1]) is str and (size == 2 or type(value[2]) is str):
            encoded = value[1]
            try:
                return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise ProtocolError(f"malformed base64 in {brief(value)}") from None
        if tag == "error" and size >= 3 and type(value[1]) is str and type(value[2]) is str:
            return self._error_in(value, depth)
        if tag in ("export", "promise", "writable") and size == 2 and _is_int(value[1]):
            ident = value[1]
            if ident >= 0:
                raise ProtocolError(f"the peer introduced export {ident}; exports are negative")
            imports = self._imports
            if ident not in imports:
                if len(imports) >= self.max_imports:
                    raise ProtocolError(CapnWebText.too_many_imports(self.max_imports))
                imports.add(ident)
            code = Ext.EXPORT if tag == "export" else Ext.PROMISE if tag == "promise" else Ext.WRITABLE
            return msgpack.ExtType(code, pack_small(ident))
        if tag in ("import", "pipeline") and size == 2 and _is_int(value[1]):
            code = Ext.IMPORT if tag == "import" else Ext.PIPELINE
            return msgpack.ExtType(code, pack_small(value[1]))
        if tag == "readable" and size == 2 and _is_int(value[1]):
            return msgpack.ExtType(Ext.READABLE, pack_small(value[1]))
        if tag == "headers" and size == 2 and type(value[1]) is list:
            return [marker(Ext.HEADERS), _pairs_in(value[1])]
        if tag == "request" and size == 3 and type(value[1]) is str and type(value[2]) is dict:
            init = value[2]
            method = init.get("method", "GET")
            if type(method) is not str:
                raise ProtocolError(f"malformed request {brief(value)}")
            body = self._in(init["body"], depth + 1) if init.get("body") is not None else None
            return [marker(Ext.REQUEST), value[1], method, _pairs_in(init.get("headers", [])), body]
        if tag == "response" and size == 3 and type(value[2]) is dict:
            init = value[2]
            status, status_text = init.get("status", 200), init.get("statusText")
            if not _is_int(status) or not (status_text is None or type(status_text) is str):
                raise ProtocolError(f"malformed response {brief(value)}")
            body = self._in(value[1], depth + 1)
            return [marker(Ext.RESPONSE), status, status_text, _pairs_in(init.get("headers", [])), body]
        if tag == "url" and size == 2 and type(value[1]) is str:
            return value[1]
        if tag in ("pipeline", "import") and 3 <= size <= 4:
            raise ProtocolError(
                f"Cap'n Web sent a pipelined call or property inside a value ({brief(value)}), "
                "which this side cannot take yet: await it on the Cap'n Web side first."
            )
        if tag == "remap" or tag == "blob":
            raise ProtocolError(f"Cap'n Web sent {tag!r} inside a value ({brief(value)}), which this side cannot take yet.")
        raise ProtocolError(f"unknown special value: {brief(value)}")

    def _error_in(self, value: list[Any], depth: int) -> list[Any]:
        """``["error", name, message, stack?, props?]`` as our ERROR list (as
        :func:`values.encode_error` lays it out, so the runtime rebuilds it)."""
        name, message = value[1], value[2]
        if len(value) > 5 or (len(value) > 3 and not (value[3] is None or type(value[3]) is str)):
            raise ProtocolError(f"malformed error {brief(value)}")
        props = value[4] if len(value) == 5 else {}
        if type(props) is not dict:
            raise ProtocolError(f"malformed error properties {brief(props)}")
        qualname, module, base = _JS_ERRORS.get(name, (name, "capnweb", None))
        attrs: dict[str, Any] = {}
        cause = None
        for key, item in props.items():
            if key in _ERROR_SKIPPED:
                continue
            decoded = self._in(item, depth + 1)
            if key == "cause" and type(item) is list and item and item[0] == "error":
                cause = decoded
            else:
                attrs[key] = decoded
        return [marker(Ext.ERROR), qualname, module, base, message, [message], attrs, cause]


_TYPES = frozenset({Push, Stream, Pipe, Pull, Resolve, Reject, Release, Abort})
_INF = float("inf")
_NAN = float("nan")


def _is_int(value: object) -> bool:
    return type(value) is int


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_depth(value: Any, limit: int) -> None:
    """ProtocolError if ``value`` (parsed JSON) nests containers deeper than ``limit``."""
    level = [value]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            raise ProtocolError(CapnWebText.too_deep(limit))
        below: list[Any] = []
        for item in level:
            if type(item) is list:
                below.extend(x for x in item if type(x) is list or type(x) is dict)
            elif type(item) is dict:
                below.extend(x for x in item.values() if type(x) is list or type(x) is dict)
        level = below


def _pairs_in(pairs: Any) -> list[list[str]]:
    if type(pairs) is not list or any(
        type(p) is not list or len(p) != 2 or type(p[0]) is not str or type(p[1]) is not str for p in pairs
    ):
        raise ProtocolError(f"malformed headers {brief(pairs)}")
    return pairs


def _surrogates(value: Any) -> Any:
    """``value`` with every str that UTF-8 cannot hold as a SURROGATES ext."""
    kind = type(value)
    if kind is str:
        try:
            value.encode()
        except UnicodeEncodeError:
            return msgpack.ExtType(Ext.SURROGATES, value.encode("utf-8", "surrogatepass"))
        return value
    if kind is list:
        return [_surrogates(item) for item in value]
    if kind is dict:
        return {_surrogates(key): _surrogates(item) for key, item in value.items()}
    return value


def _shown(key: Any) -> Any:
    if type(key) is _Raw:
        return f"<ext {key.code}>"
    if type(key) is _Mark:
        return f"<{key.code.name}>"
    return key


class _Graph:
    """A GRAPH payload (shared, cyclic or deep containers, see :mod:`.values`), expanded as a
    tree: a container shared twice is sent twice (Cap'n Web's JSON has no references), a cycle
    is refused."""

    def __init__(self, items: list[Any]) -> None:
        if len(items) < 2:
            raise ProtocolError("malformed graph: no root")
        self.nodes = items[2:]
        self.root_item = items[1]
        self.open: set[int] = set()

    def root(self) -> Any:
        item = self.root_item
        if type(item) is _Raw and item.code == Ext.REF:
            return self.node(item)
        return item

    def node(self, ref: _Raw) -> Any:
        try:
            index = msgpack.unpackb(ref.data)
            return self.nodes[index]
        except Exception:
            raise ProtocolError(f"malformed graph reference {ref.data!r}") from None

    def expand(self, ref: _Raw, out: Any) -> Any:
        index = msgpack.unpackb(ref.data)
        if index in self.open:
            raise DataCloneError(CapnWebText.cannot_carry(
                "a value that contains itself", "JSON has no references: send it without the cycle."
            ))
        self.open.add(index)
        try:
            return out(self.node(ref))
        finally:
            self.open.discard(index)


# -- JSON text, as JavaScript's JSON.stringify writes it -------------------------------------


def _dumps(value: Any) -> str:
    parts: list[str] = []
    _write(value, parts.append)
    text = "".join(parts)
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(_fix_surrogate, text)
    return text


def _fix_surrogate(match: re.Match[str]) -> str:
    found = match.group()
    if len(found) == 2:  # a pair: one character, as JavaScript sees it
        return found.encode("utf-16", "surrogatepass").decode("utf-16")
    return f"\\u{ord(found):04x}"


def _write(value: Any, put: Any) -> None:
    kind = type(value)
    if kind is str:
        put(_string(value))
    elif kind is list:
        put("[")
        for at, item in enumerate(value):
            if at:
                put(",")
            _write(item, put)
        put("]")
    elif kind is dict:
        put("{")
        for at, (key, item) in enumerate(value.items()):
            if at:
                put(",")
            put(_string(key))
            put(":")
            _write(item, put)
        put("}")
    elif value is None:
        put("null")
    elif value is True:
        put("true")
    elif value is False:
        put("false")
    elif kind is int:
        put(str(value))
    elif kind is float:
        put(js_number(value))
    else:
        raise ProtocolError(f"cannot write {brief(value)} as JSON")


def js_number(value: float) -> str:
    """A finite float as JavaScript writes a number (ECMAScript Number::toString): ``1.5``,
    ``2`` (for 2.0), ``1e+21``, ``1e-7``, ``0.000001``."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # value = 0.digits × 10**point
    point = len(whole) + int(exponent or 0) if whole != "0" else int(exponent or 0) - (len(fraction) - len(fraction.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    count = len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exp = point - 1
    tail = f"e{'+' if exp >= 0 else '-'}{abs(exp)}"
    return sign + (digits if count == 1 else digits[0] + "." + digits[1:]) + tail
