"""Python values <-> bytes, with msgpack; capabilities go through an exporter and an importer.

A value is packed in one pass by msgpack's C packer. Types msgpack does not know reach
:meth:`Encoder._default`, which replaces them with something it does know:

* a tuple, set or frozenset becomes a list whose first element is a *marker* (an empty msgpack
  ext of a known code), so the decoder can rebuild the right type;
* dates, times, decimals, UUIDs, big integers... become ext values;
* exceptions become a marked list (type, message, arguments, attributes);
* anything else is offered to the :class:`Exporter` — the runtime turns RPC targets, functions,
  stubs, promises, HTTP objects and streams into references — and, if it declines, is refused
  with the runtime's ``DataCloneError`` text, followed by the playground's help
  (:func:`unserializable`: what to send instead — ``dataclasses.asdict(x)`` for a dataclass,
  ``list(x)`` for a generator... — and what can cross RPC).

One message keeps identity, as structured clone does: a value whose containers (lists, dicts,
tuples, sets, frozensets) hold one container twice, or contain themselves, or nest deeper than
msgpack's C code allows (1,024), is found by a quick walk of its containers first
(:func:`_needs_graph`) and packed as a *graph* instead: ``[GRAPH, root, node 0, node 1...]``,
every container once, its container items as ``REF`` exts (:meth:`Encoder._pack_graph`). The
decoder rebuilds it with identity and cycles. A value nested more than :data:`MAX_DEPTH`
(4,096) containers deep is refused with a :class:`~playground.errors.DataCloneError` ("Maximum
call stack size exceeded", as V8 says at about 5,000), never a hang or a ``RecursionError``.
A str with lone surrogates (which UTF-8 cannot hold) goes the same way, as a ``SURROGATES`` ext.

Decoding mirrors this with ``ext_hook`` and ``list_hook``; capability codes go to the
:class:`Importer`, which creates stubs.

What a peer can send (see docs/values.md):

* a user value never holds a msgpack ext verbatim: a ``msgpack.ExtType``, a
  ``msgpack.Timestamp`` or one of the codec's markers would arrive as a capability or a marker,
  so :class:`Encoder` refuses it with ``DataCloneError`` (it counts the exts it made, and when
  the packed bytes may hold one, counts those in them);
* whatever the bytes, :func:`decode_value` (like :func:`unpack_plain` and
  :func:`~playground.codec.frames.decode_message`) returns a value or raises
  :class:`~playground.errors.ProtocolError`, which says what was wrong; an error of the
  importer is wrapped in one too (``KeyboardInterrupt`` and other ``BaseException`` that are not
  ``Exception`` pass through);
* :func:`decode_error` rebuilds only ``Exception`` subclasses as themselves: ``SystemExit``,
  ``KeyboardInterrupt``, ``GeneratorExit``, ``BaseExceptionGroup`` arrive as a
  :class:`~playground.errors.RemoteError` named after them.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as _dt
import decimal
import enum
import inspect
import io
import re
import socket
import sys
import uuid
from collections.abc import Callable, Iterable
from gc import get_referents
from itertools import compress
from enum import IntEnum
from typing import Any, Protocol

import msgpack

from .. import errors as _errors
from ..errors import (
    DataCloneError,
    Help,
    PlaygroundError,
    ProtocolError,
    RemoteError,
    RpcError,
    Text,
    brief,
    remote_error_class,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "DisplayRef",
    "Encoder",
    "Exporter",
    "Expression",
    "Ext",
    "Importer",
    "Kwargs",
    "Marker",
    "decode_error",
    "decode_value",
    "describe",
    "encode_error",
    "encode_value",
    "marker",
    "unserializable",
]

#: The runtime's limit on one call's serialized arguments, or one result (32 MiB).
MAX_MESSAGE_BYTES = 1 << 25


class Ext(IntEnum):
    """msgpack ext codes used on the wire (readable names, never bare integers in code)."""

    # values
    TUPLE = 1
    SET = 2
    FROZENSET = 3
    BIGINT = 4
    DATETIME = 6
    DATE = 7
    TIME = 8
    TIMEDELTA = 9
    DECIMAL = 10
    UUID = 11
    COMPLEX = 12
    PATTERN = 13
    ERROR = 14
    KWARGS = 15
    GRAPH = 16  # [GRAPH, root, container 0, container 1...]: a value with shared, cyclic or deep parts
    REF = 17  # container n of the graph being decoded
    SURROGATES = 18  # a str with lone surrogates, as UTF-8 with surrogatepass
    # capabilities and runtime types (decoded by the Importer)
    EXPORT = 32  # a stub the sender exports (negative id)
    PROMISE = 33  # a promise the sender exports (negative id) and resolves by itself (Cap'n Web)
    PIPELINE = 38  # one of the receiver's pending answers, to be substituted by its value (Cap'n Web)
    IMPORT = 34  # one of the receiver's own exports, sent back
    # granted by the runtime to the receiving end only, as [token, *what] (the receiver redeems
    # the token in its grant table; what follows it is for display)
    HANDOFF = 37  # one of the receiver's own exports in another of its sessions: [token, session, id]
    SERVICE = 35  # a service binding: [token, worker, entrypoint, props]
    DURABLE_OBJECT = 36  # a Durable Object stub: [token, worker, class, id, name]
    REQUEST = 40
    RESPONSE = 41
    HEADERS = 42
    READABLE = 43
    WRITABLE = 44
    # ``promise.map(fn)``, recorded (see :class:`Expression`)
    REMAP = 45


_CAPABILITY_CODES = frozenset(
    {
        Ext.EXPORT, Ext.PROMISE, Ext.PIPELINE, Ext.IMPORT, Ext.HANDOFF, Ext.SERVICE,
        Ext.DURABLE_OBJECT, Ext.READABLE, Ext.WRITABLE,
    }
)
_RUNTIME_MARKS = frozenset({Ext.REQUEST, Ext.RESPONSE, Ext.HEADERS})


class Kwargs(dict[str, Any]):
    """Keyword arguments of a call, as they travel at the end of the argument list."""


class Expression(tuple):  # type: ignore[type-arg]
    """One of Cap'n Web's expressions inside a recorded ``map()``, as a ``REMAP``-marked list
    (``[<REMAP>, op, ...]``; the JSON codec writes ``[op, ...]``):

    * ``("remap", path, captures, instructions)``: the whole map, sent as the arguments of a push
      whose path is empty (its target is the value mapped over, ``path`` leads into it);
      ``captures`` are stubs, ``instructions`` a non-empty list whose last item is the result;
    * ``("pipeline", n, path)``, ``("pipeline", n, path, args)``: read or call ``path`` on
      variable ``n`` (0: the element, a positive ``n``: instruction ``n``'s result, a negative
      one: capture ``-n-1``); ``("pipeline", n)`` inside a value: that variable's value;
    * ``("import", n)``: capture ``n`` (negative) inside a value, as a stub.
    """

    __slots__ = ()

    @property
    def op(self) -> str:
        return self[0]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"{self[0]}{tuple.__repr__(tuple(self[1:]))}"


def _expression(items: list[Any]) -> Expression:
    """A ``REMAP``-marked list's items, checked for shape (not for meaning: see the runtime)."""
    op = items[0] if items else None
    n = len(items)
    ok: bool
    if op == "remap":
        ok = n == 4 and type(items[1]) is tuple and type(items[2]) is list and type(items[3]) is list and bool(items[3])
    elif op == "pipeline":
        ok = 2 <= n <= 4 and type(items[1]) is int and (n == 2 or type(items[2]) is tuple)
        ok = ok and (n < 4 or type(items[3]) is list)
    elif op == "import":
        ok = n == 2 and type(items[1]) is int and items[1] < 0
    else:
        ok = False
    if not ok:
        raise ProtocolError(f"malformed map() expression {brief(items)}")
    return Expression(items)


class Marker:
    """The decoded form of an empty marker ext: says what the list it starts stands for."""

    __slots__ = ("code",)

    def __init__(self, code: Ext) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"<{self.code.name}>"


_MARK_EXT = {code: msgpack.ExtType(code, b"") for code in Ext}
_MARKERS = {code: Marker(code) for code in Ext}


def marker(code: Ext) -> msgpack.ExtType:
    """The marker to put first in a list that stands for ``code``."""
    return _MARK_EXT[code]


class Exporter(Protocol):
    """What the codec needs from whoever sends a value (the runtime's side of a session)."""

    def encode_special(self, obj: object) -> object:
        """A replacement msgpack can pack for ``obj`` (an ext, a marked list), or
        ``NotImplemented`` if ``obj`` cannot cross RPC."""


class Importer(Protocol):
    """What the codec needs from whoever receives a value."""

    def decode_capability(self, code: Ext, data: bytes) -> object:
        """The local object (a stub, a promise...) for a capability reference."""

    def decode_marked(self, code: Ext, items: list[Any]) -> object:
        """A runtime value (Request, Response, Headers) from its marked list."""


_small = msgpack.Packer(use_bin_type=True)


def pack_small(obj: object) -> bytes:
    """Pack plain data (ids, short tuples) for an ext payload."""
    return _small.pack(obj)


# -- errors ----------------------------------------------------------------------------------

_OWN_MODULE = __name__.split(".")[0]


def _builtin_base(cls: type) -> str | None:
    for base in cls.__mro__:
        if base.__module__ == "builtins" and getattr(builtins, base.__name__, None) is base:
            return base.__name__
    return None


#: How many causes (``raise ... from ...``) an error takes along; a longer chain is cut there.
MAX_CAUSES = 32


class _Cause(BaseException):
    """A cause on its way out: the error, how deep in the chain it is and the errors above it
    (the packer hands it back to :func:`encode_error`, which so bounds the chain and cuts a
    cycle). Never raised."""

    def __init__(self, error: BaseException, depth: int, above: frozenset[int]) -> None:
        super().__init__()
        self.error, self.depth, self.above = error, depth, above


def encode_error(exc: BaseException) -> list[Any]:
    """An exception as a marked list: what is needed to rebuild it on the other side.

    * Arguments that cannot be serialized as plain values are dropped.
    * Instance attributes travel all or none: if one of them cannot be serialized, none is sent
      (the runtime does the same with an error's own properties); type and message stay.
    * The explicit cause (``raise ... from cause``, ``__cause__``) travels as an error of its
      own, by the same rules, up to :data:`MAX_CAUSES` deep; a cycle is cut where it closes.
      The implicit ``__context__`` (an error raised while handling another) does not travel:
      JavaScript errors have only ``cause``.
    """
    depth, above = 0, frozenset[int]()
    if isinstance(exc, _Cause):
        outgoing = exc
        exc, depth, above = outgoing.error, outgoing.depth, outgoing.above
    cls = type(exc)
    attrs: dict[str, Any] = {}
    for key, value in vars(exc).items() if hasattr(exc, "__dict__") else ():
        if not isinstance(key, str) or key.startswith("__"):
            continue
        if not _packs(value):
            attrs = {}
            break
        attrs[key] = value
    args = [a for a in exc.args if _packs(a)]
    cause: _Cause | None = None
    here = above | {id(exc)}
    if exc.__cause__ is not None and id(exc.__cause__) not in here and depth + 1 < MAX_CAUSES:
        cause = _Cause(exc.__cause__, depth + 1, here)
    return [
        marker(Ext.ERROR),
        cls.__name__,
        cls.__module__,
        _builtin_base(cls),
        str(exc),
        args,
        attrs,
        cause,
    ]


def _packs(value: object) -> bool:
    """Whether ``value`` packs as plain data (no capabilities: trying must not export), and
    without a graph (an error's attributes are packed in place, by the C packer)."""
    encoder = Encoder()
    try:
        encoder.pack(value)
    except Exception:
        return False
    return not encoder.graph


def _error_class(qualname: str, module: str) -> type[Exception] | None:
    """The class to rebuild a remote error as: a built-in or playground ``Exception`` subclass.
    Never a ``BaseException`` that is not an ``Exception`` (``SystemExit``, ``KeyboardInterrupt``,
    ``GeneratorExit``, ``BaseExceptionGroup``): a peer must not be able to make an ``await``
    raise one of those."""
    if module == "builtins":
        cls = getattr(builtins, qualname, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls
        return None
    if module == _OWN_MODULE or module.startswith(_OWN_MODULE + "."):
        cls = getattr(_errors, qualname, None)
        if isinstance(cls, type) and issubclass(cls, PlaygroundError):
            return cls
    return None


def _remote_error(base_name: str | None, message: str, name: str) -> RemoteError:
    try:
        return remote_error_class(base_name)(message, name)
    except Exception:  # a built-in base whose constructor wants other arguments
        return RemoteError(message, name)


def decode_error(items: list[Any]) -> Exception:
    """Rebuild an exception from :func:`encode_error`'s list (without the marker).

    Built-in and playground ``Exception`` types come back as themselves; any other class
    (including built-in ``BaseException`` types that are not ``Exception``, such as
    ``SystemExit``) comes back as a :class:`~playground.errors.RemoteError` (also an instance
    of its nearest built-in ``Exception`` base) with ``.name`` set to the original class name.
    A list of the wrong shape is a :class:`~playground.errors.ProtocolError`. A cause that
    came along (already rebuilt, the lists are decoded inside out) becomes ``__cause__``.
    """
    if len(items) == 6:  # (no cause field: accepted as "no cause")
        items = [*items, None]
    if len(items) != 7:
        raise ProtocolError(f"malformed error: 7 fields expected, got {len(items)}")
    qualname, module, base_name, message, args, attrs, cause = items
    if (
        type(qualname) is not str
        or type(module) is not str
        or not (base_name is None or type(base_name) is str)
        or type(message) is not str
        or type(args) is not list
        or type(attrs) is not dict
        or any(type(key) is not str for key in attrs)
        or not (cause is None or isinstance(cause, Exception))
    ):
        raise ProtocolError(
            "malformed error: expected [name: str, module: str, base: str | None, message: str, "
            f"args: list, attributes: dict with str keys, cause: error | None], got {brief(items)}"
        )
    cls = _error_class(qualname, module)
    exc: Exception
    if cls is None:
        exc = _remote_error(base_name, message, qualname)
    elif module == "builtins":
        try:
            exc = cls(*args)
        except Exception:
            try:
                exc = cls(message)
            except Exception:  # (ExceptionGroup, UnicodeDecodeError... want more arguments)
                exc = _remote_error(base_name, message, qualname)
    else:
        exc = cls.__new__(cls)
        exc.args = tuple(args) if args else (message,)
    for key, value in attrs.items():
        if key.startswith("__"):  # never sent (see encode_error): not an attribute to set
            continue
        try:
            setattr(exc, key, value)
        except Exception:
            pass
    if cause is not None:
        exc.__cause__ = cause
    return exc


# -- encoding ------------------------------------------------------------------------------


class Encoder:
    """Packs values; the exporter in :attr:`exporter` is asked about unknown objects.

    A msgpack ext on the wire is a marker, a special value or a capability, so a value must
    never hold one verbatim (the C packer would pack a ``msgpack.ExtType``, a
    ``msgpack.Timestamp`` or one of the codec's markers as it is, and the receiver would take it
    for a capability). :attr:`exts` counts the exts that :meth:`_default` and the exporter made;
    a packed value that may hold more is unpacked again (in C) to count them, and refused with a
    ``DataCloneError`` if it holds any other.
    """

    def __init__(self) -> None:
        self.exporter: Exporter | None = None
        self.busy = False
        self.exts = 0
        #: what the exporter replaced objects with in this pass (by id, in order), and what a
        #: second pass takes from instead of asking it again
        self._replacements: dict[int, list[object]] | None = None
        self._replayed: dict[int, list[object]] | None = None
        self.graph = False  # whether the last value packed went as a graph
        self._packer = msgpack.Packer(
            use_bin_type=True, strict_types=True, default=self._default, datetime=False
        )

    def pack(self, value: object) -> bytes:
        self.exts = 0
        self.graph = False
        self._replayed = None
        self._replacements = None
        if type(value) in _CONTAINERS and _needs_graph(value):  # (raises if too deep)
            return self._checked(self._pack_graph(value, strings=False))
        try:
            data = self._packer.pack(value)
        except UnicodeEncodeError:  # a str with lone surrogates: they travel as an ext
            self._packer.reset()
            # the exporter's replacements are made again from what the first pass recorded
            # (it must not export twice), so that pass's side effects are this one's
            self._replayed, self._replacements = self._replacements, None
            self.exts = 0
            try:
                data = self._pack_graph(value, strings=True)
            except UnicodeEncodeError as exc:  # (in an error's message: see encode_error)
                self._packer.reset()
                raise DataCloneError(f"Could not serialize this value: {exc}") from None
            except BaseException:
                self._packer.reset()
                raise
        except ValueError as exc:
            self._packer.reset()
            if "recursion limit" in str(exc) or "Deep" in str(exc):  # (deep data inside an error)
                raise DataCloneError(Text_TOO_DEEP) from None
            raise
        except BaseException:
            self._packer.reset()
            raise
        finally:
            self._replacements = self._replayed = None
        return self._checked(data)

    def _checked(self, data: bytes) -> bytes:
        made = self.exts
        if len(data) < PLAIN_CHECK_LIMIT:
            # every ext starts with one of _EXT_BYTES: as many of those bytes as exts made means
            # no other ext (the usual case, checked in one C call)
            suspect = len(data.translate(None, _NOT_EXT_BYTES)) != made
        else:  # (memchr: a regex or translate is slow on megabytes)
            suspect = made > 0 or any(byte in data for byte in _EXT_BYTES)
        if suspect:
            forged = _foreign_ext(data, made)
            if forged is not None:
                raise DataCloneError(Text.cannot_serialize_ext(forged))
        return data

    def _pack_graph(self, value: object, *, strings: bool) -> bytes:
        """Pack ``value`` as a graph: every container once, as a node whose container items are
        references to other nodes (so a shared container stays one object, a cyclic value keeps
        its cycle, and the msgpack nesting stays two levels deep whatever the depth of the value).
        With ``strings``, a str with lone surrogates becomes a ``SURROGATES`` ext."""
        index: dict[int, int] = {}
        order: list[Any] = []
        refs: list[msgpack.ExtType] = []
        made = 0

        def ref(item: Any) -> Any:
            nonlocal made
            kind = type(item)
            if kind in _CONTAINERS:
                at = index.get(id(item))
                if at is None:
                    at = index[id(item)] = len(order)
                    order.append(item)
                    refs.append(msgpack.ExtType(Ext.REF, pack_small(at)))
                made += 1
                return refs[at]
            if strings and kind is str:
                try:
                    item.encode()
                except UnicodeEncodeError:
                    made += 1
                    return msgpack.ExtType(Ext.SURROGATES, item.encode("utf-8", "surrogatepass"))
            return item

        root = ref(value)
        nodes: list[Any] = []
        at = 0
        while at < len(order):
            item = order[at]
            at += 1
            kind = type(item)
            if kind is list:
                nodes.append([ref(x) for x in item])
            elif kind is dict:
                nodes.append({ref(k): ref(v) for k, v in item.items()})
            elif kind is Kwargs:
                made += 1
                nodes.append([_MARK_EXT[Ext.KWARGS], {k: ref(v) for k, v in item.items()}])
            else:
                made += 1
                nodes.append([_MARK_EXT[_CONTAINER_MARKS[kind]], *map(ref, item)])
        self.exts = made + 1  # (and the GRAPH marker; _default counts what it makes from here)
        self.graph = True
        return self._packer.pack([_MARK_EXT[Ext.GRAPH], root, *nodes])

    def _default(self, obj: object) -> object:
        self.exts += 1  # every replacement of the codec's own holds one ext (or starts with one)
        t = type(obj)
        if t is tuple:
            return [marker(Ext.TUPLE), *obj]  # type: ignore[misc]
        if t is int:  # only ints msgpack could not fit in 64 bits reach here
            return msgpack.ExtType(Ext.BIGINT, str(obj).encode())
        if t is Kwargs:
            kwargs: Kwargs = obj  # type: ignore[assignment]
            return [marker(Ext.KWARGS), dict(kwargs)]
        if t is Expression:
            return [marker(Ext.REMAP), *obj]  # type: ignore[misc]
        if t is set:
            return [marker(Ext.SET), *obj]  # type: ignore[misc]
        if t is frozenset:
            return [marker(Ext.FROZENSET), *obj]  # type: ignore[misc]
        if t is _dt.datetime:
            return msgpack.ExtType(Ext.DATETIME, obj.isoformat().encode())  # type: ignore[attr-defined]
        if t is _dt.date:
            return msgpack.ExtType(Ext.DATE, obj.isoformat().encode())  # type: ignore[attr-defined]
        if t is _dt.time:
            return msgpack.ExtType(Ext.TIME, obj.isoformat().encode())  # type: ignore[attr-defined]
        if t is _dt.timedelta:
            td: _dt.timedelta = obj  # type: ignore[assignment]
            return msgpack.ExtType(Ext.TIMEDELTA, pack_small([td.days, td.seconds, td.microseconds]))
        if t is decimal.Decimal:
            return msgpack.ExtType(Ext.DECIMAL, str(obj).encode())
        if t is uuid.UUID:
            return msgpack.ExtType(Ext.UUID, obj.bytes)  # type: ignore[attr-defined]
        if t is complex:
            return msgpack.ExtType(Ext.COMPLEX, pack_small([obj.real, obj.imag]))  # type: ignore[attr-defined]
        if t is re.Pattern:
            pattern: re.Pattern[Any] = obj  # type: ignore[assignment]
            return msgpack.ExtType(Ext.PATTERN, pack_small([pattern.pattern, pattern.flags]))
        if isinstance(obj, BaseException):
            return encode_error(obj)
        self.exts -= 1
        if self.exporter is not None:
            replayed = self._replayed
            if replayed is not None and replayed.get(id(obj)):
                replacement = replayed[id(obj)].pop(0)
            else:
                replacement = self.exporter.encode_special(obj)
                recorded = self._replacements
                if recorded is None:
                    recorded = self._replacements = {}
                recorded.setdefault(id(obj), []).append(replacement)
            if replacement is not NotImplemented:
                # the exporter's replacements: an ext (a capability), or a list that starts
                # with a marker (a Request, Response or Headers)
                kind = type(replacement)
                if kind is msgpack.ExtType or (
                    kind is list and replacement and type(replacement[0]) is msgpack.ExtType  # type: ignore[index]
                ):
                    self.exts += 1
                return replacement
        raise unserializable(obj)


#: The bytes that start msgpack's ext formats (fixext 1-16, ext 8-32).
_EXT_BYTES = tuple(bytes([b]) for b in (*range(0xC7, 0xCA), *range(0xD4, 0xD9)))
_NOT_EXT_BYTES = bytes(b for b in range(256) if bytes([b]) not in _EXT_BYTES)
#: An ext of type -1 is a msgpack timestamp, which msgpack decodes itself (``ext_hook`` never
#: sees it): its type byte 0xff follows fixext 4 or 8 (0xd6, 0xd7) or a length of 4, 8 or 12.
_MAY_HOLD_TIMESTAMP = re.compile(b"[\\xd6\\xd7\\x04\\x08\\x0c]\\xff").search
_MAX_BIN = 1 << 31


def _may_hold_timestamp(data: bytes) -> bool:
    if len(data) < PLAIN_CHECK_LIMIT:
        return _MAY_HOLD_TIMESTAMP(data) is not None
    return b"\xff" in data


def _skeleton(data: bytes, exts: list[bytes] | None = None) -> object:
    """``data`` unpacked without rebuilding anything: the exts (but timestamps) are put in
    ``exts``, lists become tuples, and maps stay dicts (or become tuples of pairs if one has an
    unhashable key)."""
    # list.insert and slice: C callables that take two arguments (the code and the payload)
    hook = slice if exts is None else exts.insert
    try:
        return msgpack.unpackb(
            data, ext_hook=hook, use_list=False, raw=True, strict_map_key=False, max_bin_len=_MAX_BIN
        )
    except TypeError:  # a map key holding a map (an exception used as a key)
        if exts is not None:
            exts.clear()
        return msgpack.unpackb(
            data, ext_hook=hook, use_list=False, raw=True, strict_map_key=False, max_bin_len=_MAX_BIN,
            object_pairs_hook=tuple,
        )


def _holds_timestamp(skeleton: object) -> bool:
    """Whether a :func:`_skeleton` holds a ``msgpack.Timestamp`` (without recursion)."""
    stack = [skeleton]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is tuple:
            extend(item)  # type: ignore[arg-type]
        elif kind is dict:
            extend(item.keys())  # type: ignore[attr-defined]
            extend(item.values())  # type: ignore[attr-defined]
        elif kind is msgpack.Timestamp:
            return True
    return False


def _foreign_ext(data: bytes, made: int) -> str | None:
    """The type of an ext in packed ``data`` that the encoder did not make (``made`` is how
    many it did), or None if there is none."""
    found: list[bytes] = []
    try:
        skeleton = _skeleton(data, found)
    except ValueError:  # an ext of type -1 that is not a valid timestamp
        return "ExtType"
    if len(found) != made:
        return "ExtType"
    if _may_hold_timestamp(data) and _holds_timestamp(skeleton):
        return "Timestamp"
    return None


def _type_name(obj: object) -> str:
    if isinstance(obj, type):
        return "type"
    return type(obj).__name__


def unserializable(obj: object, kind: str | None = None) -> DataCloneError:
    """The ``DataCloneError`` for ``obj``: the runtime's text, then the playground's help — what
    to send instead, for the ``kind`` of value it is (worked out from ``obj`` unless given; see
    ``errors.CANNOT_SERIALIZE``), and what can cross RPC. Computed only when refusing."""
    name = _type_name(obj)
    base = ""
    if kind is None:
        kind, base = _refused_kind(obj)
    return DataCloneError(f"{Text.cannot_serialize(name)} {Help.cannot_serialize(name, kind, base)}")


#: Built-in types whose subclasses are refused (the codec sends exact types only).
_PLAIN_BASES = (dict, list, tuple, set, frozenset, str, bytes, int, float)


def _refused_kind(obj: object) -> tuple[str, str]:
    """What kind of value ``obj`` is, for the help after a refusal: (kind, built-in base)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return "dataclass", ""
    if isinstance(obj, enum.Enum):
        return "enum", ""
    for base in _PLAIN_BASES:
        if isinstance(obj, base):
            return "subclass", base.__name__
    if isinstance(obj, io.IOBase):
        return "file", ""
    if isinstance(obj, socket.socket):
        return "socket", ""
    if inspect.iscoroutine(obj):
        return "coroutine", ""
    if inspect.isawaitable(obj):
        return "awaitable", ""
    if _users_class(type(obj)):
        return "class", ""
    if isinstance(obj, Iterable):
        return "iterable", ""
    return "", ""


def _users_class(cls: type) -> bool:
    """A class of the user's own code (a notebook's, a worker module's): not built in, not the
    standard library's, a third-party package's or the playground's."""
    module = cls.__module__ or ""
    top = module.partition(".")[0]
    if module == "__main__":
        return True
    if module == "builtins" or top == _OWN_MODULE or top.startswith("_") or top in sys.stdlib_module_names:
        return False
    path = getattr(sys.modules.get(module), "__file__", None) or ""
    return "site-packages" not in path and "dist-packages" not in path


#: Containers the codec rebuilds (exact types: a subclass is not a plain value).
_CONTAINERS = frozenset({list, dict, tuple, set, frozenset, Kwargs})
_CONTAINER_MARKS: dict[type, Ext] = {tuple: Ext.TUPLE, set: Ext.SET, frozenset: Ext.FROZENSET}
_is_container = _CONTAINERS.__contains__
#: Deeper than this, a value is refused (workerd's V8 runs out of stack at about 5,000).
MAX_DEPTH = 4096
#: Up to this depth (in containers), msgpack's C packer and unpacker (limits: 1,024) take the
#: value as it is; deeper values go as a graph.
_C_DEPTH = 900
Text_TOO_DEEP = (
    f"Maximum call stack size exceeded: this value is nested more than {MAX_DEPTH:,} levels deep, "
    "which is more than can be serialized."
)


def _needs_graph(value: object) -> bool:
    """Whether a container ``value`` must go as a graph: it holds a container twice (shared, or
    itself), or it is nested deeper than msgpack's C code allows. Deeper than :data:`MAX_DEPTH`
    is refused with ``DataCloneError``.

    The walk goes a level at a time, and each level costs a few C calls whatever its size:
    ``gc.get_referents`` gives the items of all its containers (a list's items, a dict's values
    and its keys unless they are all str, a tuple's or a set's members: what msgpack packs), and
    the containers among them are kept with ``compress``."""
    level = [value]
    seen = {id(value)}
    depth = 1
    shared = False
    while True:
        items = get_referents(*level)
        if len(items) < 32:  # (a comprehension is cheaper than making three iterators)
            level = [item for item in items if type(item) in _CONTAINERS]
        else:
            level = list(compress(items, map(_is_container, map(type, items))))
        if not level:
            return shared or depth > _C_DEPTH
        depth += 1
        if depth > MAX_DEPTH:
            raise DataCloneError(Text_TOO_DEEP)
        if len(level) == 1 and not shared:
            key = id(level[0])
            if key not in seen:
                seen.add(key)
                continue
        ids = set(map(id, level))
        if len(ids) == len(level) and seen.isdisjoint(ids):
            seen |= ids
            continue
        shared = True  # (the next levels are walked for their depth only)
        fresh = {id(item): item for item in level}
        for key in seen.intersection(fresh):
            del fresh[key]
        seen.update(fresh)
        level = list(fresh.values())


_encoder = Encoder()
#: Values msgpack packs as they are: a list of these (the arguments of most calls) or one of
#: them (most results) skips the encoder's hooks.
_SCALARS = frozenset({int, float, str, bytes, bool, type(None)})
_pack_plain = msgpack.Packer(use_bin_type=True, strict_types=True, datetime=False).pack
#: Values msgpack packs as they are (see above): a result of one of these types has nothing
#: to await, no stub inside and nothing to release.
SCALARS = _SCALARS


def encode_value(value: object, exporter: Exporter | None = None, *, limit: bool = True) -> bytes:
    """Pack ``value``; with ``limit``, refuse more than 32 MiB with the runtime's text."""
    kind = type(value)
    if kind in _SCALARS or kind is list:
        if kind is list:
            for item in value:  # type: ignore[attr-defined]
                if type(item) not in _SCALARS:
                    break
            else:
                kind = int
        if kind is not list:
            try:
                data = _pack_plain(value)
            except (OverflowError, ValueError, TypeError):
                pass  # (a big int, a lone surrogate...): the encoder says what is wrong
            else:
                if limit and len(data) > MAX_MESSAGE_BYTES:
                    raise RpcError(Text.too_large(len(data)))
                return data
    encoder = _encoder if not _encoder.busy else Encoder()
    encoder.busy = True
    encoder.exporter = exporter
    try:
        data = encoder.pack(value)
    finally:
        encoder.exporter = None
        encoder.busy = False
    if limit and len(data) > MAX_MESSAGE_BYTES:
        raise RpcError(Text.too_large(len(data)))
    return data


# -- decoding ------------------------------------------------------------------------------


def _timedelta(data: bytes) -> _dt.timedelta:
    days, seconds, micros = msgpack.unpackb(data)
    return _dt.timedelta(days=days, seconds=seconds, microseconds=micros)


def _complex(data: bytes) -> complex:
    real, imag = msgpack.unpackb(data)
    return complex(real, imag)


def _pattern(data: bytes) -> re.Pattern[Any]:
    pattern, flags = msgpack.unpackb(data)
    return re.compile(pattern, flags)


_VALUE_EXTS: dict[int, Callable[[bytes], object]] = {
    Ext.BIGINT: lambda d: int(d.decode()),
    Ext.DATETIME: lambda d: _dt.datetime.fromisoformat(d.decode()),
    Ext.DATE: lambda d: _dt.date.fromisoformat(d.decode()),
    Ext.TIME: lambda d: _dt.time.fromisoformat(d.decode()),
    Ext.TIMEDELTA: _timedelta,
    Ext.DECIMAL: lambda d: decimal.Decimal(d.decode()),
    Ext.UUID: lambda d: uuid.UUID(bytes=d),
    Ext.COMPLEX: _complex,
    Ext.PATTERN: _pattern,
    Ext.SURROGATES: lambda d: d.decode("utf-8", "surrogatepass"),
}


class _Ref:
    """A ``REF`` ext, until its graph replaces it with the container it stands for."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


_MUTABLE = frozenset({list, dict, set, Kwargs})
_IMMUTABLE = frozenset({tuple, frozenset})


class _Decoder:
    __slots__ = ("_importer", "markers", "refs")

    def __init__(self, importer: Importer | Callable[[], Importer] | None) -> None:
        self._importer = importer
        self.markers = 0  # markers decoded and not yet used as the head of a list
        self.refs = 0  # references decoded and not yet resolved by their graph

    @property
    def importer(self) -> Importer | None:
        """The importer (made now if a factory was given: only payloads with capabilities or
        runtime values need one)."""
        importer = self._importer
        if importer is not None and not hasattr(importer, "decode_capability"):
            importer = self._importer = importer()  # type: ignore[operator]
        return importer  # type: ignore[return-value]

    def ext_hook(self, code: int, data: bytes) -> object:
        if not data:
            mark = _MARKERS.get(code)  # type: ignore[call-overload]
            if mark is not None:
                self.markers += 1
                return mark
        if code == Ext.REF:
            index = msgpack.unpackb(data)
            if type(index) is not int or index < 0:
                raise ProtocolError(f"malformed REF {_head(data)}")
            self.refs += 1
            return _Ref(index)
        convert = _VALUE_EXTS.get(code)
        if convert is not None:
            try:
                return convert(data)
            except Exception as exc:
                raise ProtocolError(f"malformed {Ext(code).name} value {_head(data)} ({_why(exc)})") from exc
        if code in _CAPABILITY_CODES:
            kind = Ext(code)
            return self._ask_importer(
                "decode_capability", kind, data, f"a capability ({kind.name})", f"bad {kind.name} reference {_head(data)}"
            )
        raise ProtocolError(f"unknown ext code {code} (payload {_head(data)})")

    def list_hook(self, items: list[Any]) -> object:
        if not items:
            return items
        head = items[0]
        if type(head) is not Marker:
            return items
        self.markers -= 1
        code = head.code
        if code is Ext.TUPLE:
            return tuple(items[1:])
        if code is Ext.SET:
            return set(items[1:])
        if code is Ext.FROZENSET:
            return frozenset(items[1:])
        if code is Ext.ERROR:
            return decode_error(items[1:])
        if code is Ext.GRAPH:
            return self.graph(items)
        if code is Ext.KWARGS:
            if len(items) != 2 or type(items[1]) is not dict or any(type(key) is not str for key in items[1]):
                raise ProtocolError(f"malformed keyword arguments: expected one dict with str keys, got {brief(items[1:])}")
            return Kwargs(items[1])
        if code is Ext.REMAP:
            return _expression(items[1:])
        if code in _RUNTIME_MARKS:
            name = code.name.lower()
            return self._ask_importer(
                "decode_marked", code, items[1:], f"a {name}", f"malformed {name} {brief(items[1:])}"
            )
        raise ProtocolError(f"a list marked {code.name} is not a value")

    def _ask_importer(self, method: str, code: Ext, what: Any, arrived: str, bad: str) -> object:
        """The importer's ``method(code, what)``; whatever goes wrong is a ProtocolError (one
        the importer raised passes as it is; ``arrived`` and ``bad`` word the others)."""
        importer = self.importer
        if importer is None:
            raise ProtocolError(f"{arrived} arrived where none may be")
        try:
            return getattr(importer, method)(code, what)  # type: ignore[no-any-return]
        except ProtocolError:
            raise
        except Exception as exc:
            raise ProtocolError(f"{bad} ({_why(exc)})") from exc

    def graph(self, items: list[Any]) -> object:
        """The value of a ``GRAPH`` list ``[marker, root, node 0, node 1...]`` (see
        :meth:`Encoder._pack_graph`): immutable nodes (tuples, frozensets) are built from their
        items first, then lists, dicts and sets are filled in place, so shared containers are
        one object and cycles are kept."""
        if len(items) < 2:
            raise ProtocolError("malformed graph: no root")
        nodes = items[2:]
        count = len(nodes)
        built: list[Any] = [None] * count
        resolved = 0
        for at, node in enumerate(nodes):
            kind = type(node)
            if kind in _MUTABLE:
                built[at] = node
            elif kind not in _IMMUTABLE:
                raise ProtocolError(f"malformed graph: node {at} is a {kind.__name__}")

        def target(ref: _Ref) -> Any:
            if ref.index >= count:
                raise ProtocolError(f"a reference to container {ref.index} of a graph of {count}")
            return built[ref.index]

        # immutables, children first (iteratively); a cycle of immutables cannot be built
        on_path = [False] * count
        for start in range(count):
            if built[start] is not None:
                continue
            stack = [start]
            on_path[start] = True
            while stack:
                at = stack[-1]
                node = nodes[at]
                for x in node:
                    if type(x) is _Ref and x.index < count and built[x.index] is None:
                        if on_path[x.index]:
                            raise ProtocolError("malformed graph: a tuple or frozenset that contains itself")
                        on_path[x.index] = True
                        stack.append(x.index)
                        break
                else:
                    stack.pop()
                    on_path[at] = False
                    resolved += sum(type(x) is _Ref for x in node)
                    built[at] = type(node)([target(x) if type(x) is _Ref else x for x in node])

        for node in nodes:
            kind = type(node)
            if kind is list:
                resolved += sum(type(x) is _Ref for x in node)
                node[:] = [target(x) if type(x) is _Ref else x for x in node]
            elif kind is dict or kind is Kwargs:
                pairs = [
                    (target(k) if type(k) is _Ref else k, target(v) if type(v) is _Ref else v)
                    for k, v in node.items()
                ]
                resolved += sum((type(k) is _Ref) + (type(v) is _Ref) for k, v in node.items())
                node.clear()
                node.update(pairs)
            elif kind is set:
                members = [target(x) if type(x) is _Ref else x for x in node]
                resolved += sum(type(x) is _Ref for x in node)
                node.clear()
                node.update(members)
        root = items[1]
        if type(root) is _Ref:
            resolved += 1
            root = target(root)
        self.refs -= resolved
        return root


def _head(data: object) -> str:
    """The start of a payload, for an error message (never raises)."""
    try:
        return repr(bytes(data[:40])) + ("..." if len(data) > 40 else "")  # type: ignore[index,arg-type]
    except Exception:
        return f"<{type(data).__name__}>"


def _why(exc: BaseException) -> str:
    """``TypeName: message`` for an error message (never raises, never long)."""
    try:
        text = str(exc)
    except Exception:
        text = "?"
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


#: msgpack's ext formats (fixext 1-16, ext 8-32): a payload without these bytes holds no ext.
_MAY_HOLD_EXT = re.compile(b"[\\xc7-\\xc9\\xd4-\\xd8]").search
#: Payloads up to this size are checked for ext bytes, and decoded without hooks if they have
#: none (plain data: what most calls carry).
PLAIN_CHECK_LIMIT = 4096


def is_plain(data: bytes) -> bool:
    """``data`` (made by :func:`encode_value`) holds plain data: :func:`unpack_plain` decodes it."""
    return len(data) < PLAIN_CHECK_LIMIT and _MAY_HOLD_EXT(data) is None


def unpack_plain(data: bytes) -> Any:
    """Decode a payload that :func:`is_plain` (no capability, no marker, nothing to rebuild);
    :class:`~playground.errors.ProtocolError` if it is not well formed."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as exc:
        raise ProtocolError(f"undecodable payload ({_why(exc)}): {_head(data)}") from exc


def decode_value(data: bytes, importer: Importer | Callable[[], Importer] | None = None) -> Any:
    """Unpack bytes made by :func:`encode_value`; capabilities go to ``importer`` (or to the
    one ``importer()`` makes, if it is a factory: made only when one arrives).

    Whatever the bytes, this returns a value or raises :class:`~playground.errors.ProtocolError`
    (which says what was wrong); an error raised by the importer is wrapped in one too.
    """
    try:
        if len(data) < PLAIN_CHECK_LIMIT and _MAY_HOLD_EXT(data) is None:  # plain data: no hooks needed
            return msgpack.unpackb(data, raw=False, strict_map_key=False)
        decoder = _Decoder(importer)
        value = msgpack.unpackb(
            data,
            ext_hook=decoder.ext_hook,
            list_hook=decoder.list_hook,
            raw=False,
            strict_map_key=False,
            max_bin_len=_MAX_BIN,
        )
        if decoder.markers:
            raise ProtocolError(f"a marker outside the head of a list: {_head(data)}")
        if decoder.refs:
            raise ProtocolError(f"a reference outside its graph: {_head(data)}")
        if _may_hold_timestamp(data) and _holds_timestamp(_skeleton(data)):
            raise ProtocolError(f"a msgpack timestamp (ext -1) is not a value: {_head(data)}")
    except ProtocolError:
        raise
    except Exception as exc:  # (not BaseException: Ctrl-C goes through)
        raise ProtocolError(f"undecodable payload ({_why(exc)}): {_head(data)}") from exc
    return value


class DisplayRef:
    """How a capability is shown when a payload is described (in traces and tooltips)."""

    __slots__ = ("code", "data")

    def __init__(self, code: Ext, data: object) -> None:
        self.code = code
        self.data = data

    @property
    def label(self) -> str:
        """What it is, in words: ``stub``, ``your stub`` (one of the receiver's own sent back),
        or the kind of capability (``readable``, ``service``...)."""
        return _DISPLAY_LABELS.get(self.code) or self.code.name.lower()

    def __repr__(self) -> str:
        return f"<{self.label} {self.data}>"


_DISPLAY_LABELS = {
    Ext.EXPORT: "stub",
    Ext.IMPORT: "your stub",
    Ext.HANDOFF: "your stub",
}


#: References the runtime grants the receiver: they travel as ``[token, *what]``.
_GRANTED = frozenset({Ext.SERVICE, Ext.DURABLE_OBJECT, Ext.HANDOFF})


class _DisplayImporter:
    def decode_capability(self, code: Ext, data: bytes) -> object:
        try:
            detail = msgpack.unpackb(data)
        except Exception:
            detail = data
        if code in _GRANTED and isinstance(detail, list):
            detail = detail[1:]  # [token, what it grants...]: the token means nothing to a reader
        if isinstance(detail, list) and len(detail) == 1:
            detail = detail[0]
        return DisplayRef(code, detail)

    def decode_marked(self, code: Ext, items: list[Any]) -> object:
        return DisplayRef(code, items[:2])


def describe(data: bytes | None) -> object:
    """Decode a payload for display only: capabilities become :class:`DisplayRef` objects and
    no table is touched."""
    if data is None:
        return None
    try:
        return decode_value(data, _DisplayImporter())
    except Exception as exc:  # a display helper must never break a trace
        return f"<undecodable payload: {exc}>"
