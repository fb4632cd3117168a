"""Python values <-> bytes, with msgpack; capabilities go through an exporter and an importer.

A value is packed in one pass by msgpack's C packer. Types msgpack does not know reach
:meth:`Encoder._default`, which replaces them with something it does know:

* a tuple, set or frozenset becomes a list whose first element is a *marker* (an empty msgpack
  ext of a known code), so the decoder can rebuild the right type;
* dates, times, decimals, UUIDs, big integers... become ext values;
* exceptions become a marked list (type, message, arguments, attributes);
* anything else is offered to the :class:`Exporter` — the runtime turns RPC targets, functions,
  stubs, promises, HTTP objects and streams into references — and, if it declines, is refused
  with the runtime's ``DataCloneError`` text.

Because every replacement is packed by the same C packer, nesting depth is counted in one
place: cyclic or absurdly deep data stops at msgpack's recursion limit and is reported as a
clear :class:`~playground.errors.DataCloneError`, never a hang or a ``RecursionError``.

Decoding mirrors this with ``ext_hook`` and ``list_hook``; capability codes go to the
:class:`Importer`, which creates stubs.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import decimal
import re
import uuid
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Protocol

import msgpack

from .. import errors as _errors
from ..errors import DataCloneError, PlaygroundError, RpcError, Text, remote_error_class

__all__ = [
    "MAX_MESSAGE_BYTES",
    "DisplayRef",
    "Encoder",
    "Exporter",
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
    # capabilities and runtime types (decoded by the Importer)
    EXPORT = 32  # a stub the sender exports (negative id)
    PROMISE = 33  # a promise the sender exports (negative id)
    IMPORT = 34  # one of the receiver's own exports, sent back
    HANDOFF = 37  # one of the receiver's own exports in another of its sessions: [session, id]
    HANDOFF_PROMISE = 38  # the same, for a result still being computed there
    SERVICE = 35  # a service binding (worker, entrypoint)
    DURABLE_OBJECT = 36  # a Durable Object stub
    REQUEST = 40
    RESPONSE = 41
    HEADERS = 42
    READABLE = 43
    WRITABLE = 44


_CAPABILITY_CODES = frozenset(
    {
        Ext.EXPORT, Ext.PROMISE, Ext.IMPORT, Ext.HANDOFF, Ext.HANDOFF_PROMISE, Ext.SERVICE,
        Ext.DURABLE_OBJECT, Ext.READABLE, Ext.WRITABLE,
    }
)
_RUNTIME_MARKS = frozenset({Ext.REQUEST, Ext.RESPONSE, Ext.HEADERS})


class Kwargs(dict[str, Any]):
    """Keyword arguments of a call, as they travel at the end of the argument list."""


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


def encode_error(exc: BaseException) -> list[Any]:
    """An exception as a marked list: what is needed to rebuild it on the other side.

    Arguments and instance attributes that cannot be serialized as plain values are dropped,
    as the runtime drops non-serializable own properties.
    """
    cls = type(exc)
    attrs: dict[str, Any] = {}
    for key, value in vars(exc).items() if hasattr(exc, "__dict__") else ():
        if not isinstance(key, str) or key.startswith("__"):
            continue
        if _packs(value):
            attrs[key] = value
    args = [a for a in exc.args if _packs(a)]
    return [
        marker(Ext.ERROR),
        cls.__name__,
        cls.__module__,
        _builtin_base(cls),
        str(exc),
        args,
        attrs,
    ]


def _packs(value: object) -> bool:
    """Whether ``value`` packs as plain data (no capabilities: trying must not export)."""
    try:
        Encoder().pack(value)
    except Exception:
        return False
    return True


def _error_class(qualname: str, module: str) -> type[BaseException] | None:
    if module == "builtins":
        cls = getattr(builtins, qualname, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls
        return None
    if module == _OWN_MODULE or module.startswith(_OWN_MODULE + "."):
        cls = getattr(_errors, qualname, None)
        if isinstance(cls, type) and issubclass(cls, PlaygroundError):
            return cls
    return None


def decode_error(items: list[Any]) -> BaseException:
    """Rebuild an exception from :func:`encode_error`'s list (without the marker).

    Built-in and playground exception types come back as themselves; any other class comes
    back as a :class:`~playground.errors.RemoteError` (also an instance of its nearest built-in
    base) with ``.name`` set to the original class name.
    """
    qualname, module, base_name, message, args, attrs = items
    cls = _error_class(qualname, module)
    exc: BaseException
    if cls is None:
        exc = remote_error_class(base_name)(message, qualname)
    elif module == "builtins":
        try:
            exc = cls(*args)
        except Exception:
            exc = cls(message)
    else:
        exc = cls.__new__(cls)
        exc.args = tuple(args) if args else (message,)
    for key, value in attrs.items():
        try:
            setattr(exc, key, value)
        except (AttributeError, TypeError):
            pass
    return exc


# -- encoding ------------------------------------------------------------------------------


class Encoder:
    """Packs values; the exporter in :attr:`exporter` is asked about unknown objects."""

    def __init__(self) -> None:
        self.exporter: Exporter | None = None
        self.busy = False
        self._packer = msgpack.Packer(
            use_bin_type=True, strict_types=True, default=self._default, datetime=False
        )

    def pack(self, value: object) -> bytes:
        try:
            return self._packer.pack(value)
        except ValueError as exc:
            self._packer.reset()
            if "recursion limit" in str(exc) or "Deep" in str(exc):
                raise DataCloneError(
                    "Could not serialize this value: it is nested more than 500 levels deep, or "
                    "it contains itself. Cyclic data cannot cross RPC in the playground; send a "
                    "flatter copy (for example, replace back-references with ids)."
                ) from None
            raise
        except BaseException:
            self._packer.reset()
            raise

    def _default(self, obj: object) -> object:
        t = type(obj)
        if t is tuple:
            return [marker(Ext.TUPLE), *obj]  # type: ignore[misc]
        if t is int:  # only ints msgpack could not fit in 64 bits reach here
            return msgpack.ExtType(Ext.BIGINT, str(obj).encode())
        if t is Kwargs:
            kwargs: Kwargs = obj  # type: ignore[assignment]
            return [marker(Ext.KWARGS), dict(kwargs)]
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
        if self.exporter is not None:
            replacement = self.exporter.encode_special(obj)
            if replacement is not NotImplemented:
                return replacement
        raise DataCloneError(Text.cannot_serialize(_type_name(obj)))


def _type_name(obj: object) -> str:
    if isinstance(obj, type):
        return "type"
    return type(obj).__name__


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
}


class _Decoder:
    __slots__ = ("_importer",)

    def __init__(self, importer: Importer | Callable[[], Importer] | None) -> None:
        self._importer = importer

    @property
    def importer(self) -> Importer | None:
        """The importer (made now if a factory was given: only payloads with capabilities or
        runtime values need one)."""
        importer = self._importer
        if importer is not None and not hasattr(importer, "decode_capability"):
            importer = self._importer = importer()  # type: ignore[operator]
        return importer  # type: ignore[return-value]

    def ext_hook(self, code: int, data: bytes) -> object:
        if not data and code in _MARKERS:
            return _MARKERS[code]  # type: ignore[index]
        convert = _VALUE_EXTS.get(code)
        if convert is not None:
            return convert(data)
        if code in _CAPABILITY_CODES:
            importer = self.importer
            if importer is None:
                raise DataCloneError("a capability arrived where none may be")
            return importer.decode_capability(Ext(code), data)
        return msgpack.ExtType(code, data)

    def list_hook(self, items: list[Any]) -> object:
        if not items:
            return items
        head = items[0]
        if type(head) is not Marker:
            return items
        code = head.code
        if code is Ext.TUPLE:
            return tuple(items[1:])
        if code is Ext.SET:
            return set(items[1:])
        if code is Ext.FROZENSET:
            return frozenset(items[1:])
        if code is Ext.ERROR:
            return decode_error(items[1:])
        if code is Ext.KWARGS:
            return Kwargs(items[1])
        if code in _RUNTIME_MARKS:
            importer = self.importer
            if importer is not None:
                return importer.decode_marked(code, items[1:])
        return items


#: msgpack's ext formats (fixext 1-16, ext 8-32): a payload without these bytes holds no ext.
_MAY_HOLD_EXT = re.compile(b"[\\xc7-\\xc9\\xd4-\\xd8]").search
#: Payloads up to this size are checked for ext bytes, and decoded without hooks if they have
#: none (plain data: what most calls carry).
PLAIN_CHECK_LIMIT = 4096


def is_plain(data: bytes) -> bool:
    """``data`` (made by :func:`encode_value`) holds plain data: :func:`unpack_plain` decodes it."""
    return len(data) < PLAIN_CHECK_LIMIT and _MAY_HOLD_EXT(data) is None


def unpack_plain(data: bytes) -> Any:
    """Decode a payload that :func:`is_plain` (no capability, no marker, nothing to rebuild)."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def decode_value(data: bytes, importer: Importer | Callable[[], Importer] | None = None) -> Any:
    """Unpack bytes made by :func:`encode_value`; capabilities go to ``importer`` (or to the
    one ``importer()`` makes, if it is a factory: made only when one arrives)."""
    if len(data) < PLAIN_CHECK_LIMIT and _MAY_HOLD_EXT(data) is None:  # plain data: no hooks needed
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    decoder = _Decoder(importer)
    return msgpack.unpackb(
        data,
        ext_hook=decoder.ext_hook,
        list_hook=decoder.list_hook,
        raw=False,
        strict_map_key=False,
        max_bin_len=1 << 31,
    )


class DisplayRef:
    """How a capability is shown when a payload is described (in traces and tooltips)."""

    __slots__ = ("code", "data")

    def __init__(self, code: Ext, data: object) -> None:
        self.code = code
        self.data = data

    @property
    def label(self) -> str:
        """What it is, in words: ``stub``, ``promise``, ``your stub`` (one of the receiver's own
        sent back), ``your promise``, or the kind of capability (``readable``, ``service``...)."""
        return _DISPLAY_LABELS.get(self.code) or self.code.name.lower()

    def __repr__(self) -> str:
        return f"<{self.label} {self.data}>"


_DISPLAY_LABELS = {
    Ext.EXPORT: "stub",
    Ext.PROMISE: "promise",
    Ext.IMPORT: "your stub",
    Ext.HANDOFF: "your stub",
    Ext.HANDOFF_PROMISE: "your promise",
}


class _DisplayImporter:
    def decode_capability(self, code: Ext, data: bytes) -> object:
        try:
            detail = msgpack.unpackb(data)
        except Exception:
            detail = data
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
