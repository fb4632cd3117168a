"""The wire vocabulary, modelled on Cap'n Web: push, pull, resolve, reject, release, abort.

Ids follow Cap'n Web. Each side of a session has an import table and an export table.

* The *importer* picks positive ids, counting up from 1: the result of every ``Push`` it sends
  becomes its next import (a "question"), and the peer records the same id as an export (the
  "answer").
* The *exporter* picks negative ids, counting down from -1, for stubs and promises it sends
  inside a payload.
* Id 0 is each side's main object (the entrypoint the session was opened to). It is never
  released over the wire: it lives as long as the session.

Payloads (arguments, results, errors) travel as opaque encoded bytes: this layer never looks
inside them. A ``Push`` with ``args=None`` reads a property instead of calling it.

A message is an immutable tuple whose first item is its :class:`Kind` and whose other items
are its fields, in the order of the constructor: ``Push(1, 0, ("add",), b"...")`` is the tuple
``(Kind.PUSH, 1, 0, ("add",), b"...")``. So a message is cheap to make, compares by kind and
fields, and *is* its own frame layout (:mod:`playground.codec.frames` packs it as it is).
Fields are also readable by name (``message.id``, ``message.path``).
"""

from __future__ import annotations

from enum import StrEnum
from operator import itemgetter
from typing import Any

__all__ = [
    "COUNTED_KINDS",
    "MESSAGE_TYPES",
    "Abort",
    "Kind",
    "Message",
    "Path",
    "Pipe",
    "Pull",
    "Push",
    "Reject",
    "Release",
    "Resolve",
    "Stream",
    "is_path",
]

#: A property path: names, or integer indexes into lists.
Path = tuple[str | int, ...]


def is_path(path: object) -> bool:
    """Whether ``path`` (from a peer) is a :data:`Path`: a tuple of names and indexes."""
    if type(path) is not tuple:
        return False
    for step in path:
        kind = type(step)
        if kind is not str and kind is not int:
            return False
    return True


class Kind(StrEnum):
    """Message kinds, as they appear on the wire and in traces."""

    PUSH = "push"
    PULL = "pull"
    RESOLVE = "resolve"
    REJECT = "reject"
    RELEASE = "release"
    ABORT = "abort"
    STREAM = "stream"
    PIPE = "pipe"


#: Kinds that carry a call or a result, and so count towards round trips.
COUNTED_KINDS = frozenset({Kind.PUSH, Kind.PULL, Kind.RESOLVE, Kind.REJECT, Kind.STREAM})

_new = tuple.__new__


class _Message(tuple):  # type: ignore[type-arg]
    """Base of every message: ``(kind, *fields)``; see the module docstring."""

    __slots__ = ()
    KIND: Kind
    FIELDS: tuple[str, ...]

    @property
    def kind(self) -> Kind:
        return self[0]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self.FIELDS, self[1:]))
        return f"{type(self).__name__}({fields})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self[1:])


def _fields(cls: type[_Message]) -> type[_Message]:
    """Give a message class a property per field (``push.id`` is ``push[1]``)."""
    for index, name in enumerate(cls.FIELDS, start=1):
        setattr(cls, name, property(itemgetter(index), doc=f"The ``{name}`` field."))
    return cls


@_fields
class Push(_Message):
    """Evaluate ``target.path(*args)`` (or read ``target.path`` when ``args`` is None).

    ``id`` is the sender's new import id for the result; ``target`` is one of the receiver's
    exports, possibly an answer that has not resolved yet (that is promise pipelining).
    """

    __slots__ = ()
    KIND = Kind.PUSH
    FIELDS = ("id", "target", "path", "args")
    id: int
    target: int
    path: Path
    args: bytes | None

    def __new__(cls, id: int, target: int, path: Path, args: bytes | None) -> Push:
        return _new(cls, (Kind.PUSH, id, target, path, args))


@_fields
class Stream(_Message):
    """Like :class:`Push`, but already pulled and released by itself once answered, and not
    pipelinable: used for writes into a stream (each is acknowledged by a resolve)."""

    __slots__ = ()
    KIND = Kind.STREAM
    FIELDS = ("id", "target", "path", "args")
    id: int
    target: int
    path: Path
    args: bytes | None

    def __new__(cls, id: int, target: int, path: Path, args: bytes | None) -> Stream:
        return _new(cls, (Kind.STREAM, id, target, path, args))


@_fields
class Pipe(_Message):
    """Make a pipe on your side: your export ``id`` is its writable end, which I will write into
    with :class:`Stream` messages. Sent before the message that hands over the readable end, so
    the bytes can start flowing at once."""

    __slots__ = ()
    KIND = Kind.PIPE
    FIELDS = ("id",)
    id: int

    def __new__(cls, id: int) -> Pipe:
        return _new(cls, (Kind.PIPE, id))


@_fields
class Pull(_Message):
    """Send me the resolution of my import ``id`` (without it, results never cross the wire)."""

    __slots__ = ()
    KIND = Kind.PULL
    FIELDS = ("id",)
    id: int

    def __new__(cls, id: int) -> Pull:
        return _new(cls, (Kind.PULL, id))


@_fields
class Resolve(_Message):
    """Your import ``id`` resolved to ``value`` (encoded)."""

    __slots__ = ()
    KIND = Kind.RESOLVE
    FIELDS = ("id", "value")
    id: int
    value: bytes

    def __new__(cls, id: int, value: bytes) -> Resolve:
        return _new(cls, (Kind.RESOLVE, id, value))


@_fields
class Reject(_Message):
    """Your import ``id`` failed with ``error`` (an encoded exception)."""

    __slots__ = ()
    KIND = Kind.REJECT
    FIELDS = ("id", "error")
    id: int
    error: bytes

    def __new__(cls, id: int, error: bytes) -> Reject:
        return _new(cls, (Kind.REJECT, id, error))


@_fields
class Release(_Message):
    """I drop my import ``id``, which you introduced to me ``refcount`` times."""

    __slots__ = ()
    KIND = Kind.RELEASE
    FIELDS = ("id", "refcount")
    id: int
    refcount: int

    def __new__(cls, id: int, refcount: int) -> Release:
        return _new(cls, (Kind.RELEASE, id, refcount))


@_fields
class Abort(_Message):
    """The session is dead, for the (encoded) ``reason``."""

    __slots__ = ()
    KIND = Kind.ABORT
    FIELDS = ("reason",)
    reason: bytes

    def __new__(cls, reason: bytes) -> Abort:
        return _new(cls, (Kind.ABORT, reason))


Message = Push | Stream | Pipe | Pull | Resolve | Reject | Release | Abort

#: Each kind's message class.
MESSAGE_TYPES: dict[Kind, type[_Message]] = {
    cls.KIND: cls for cls in (Push, Stream, Pipe, Pull, Resolve, Reject, Release, Abort)
}
