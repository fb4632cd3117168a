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
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

__all__ = [
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
    "COUNTED_KINDS",
]

#: A property path: names, or integer indexes into lists.
Path = tuple[str | int, ...]


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


@dataclass(frozen=True, slots=True)
class Push:
    """Evaluate ``target.path(*args)`` (or read ``target.path`` when ``args`` is None).

    ``id`` is the sender's new import id for the result; ``target`` is one of the receiver's
    exports, possibly an answer that has not resolved yet (that is promise pipelining).
    """

    kind: ClassVar[Kind] = Kind.PUSH
    id: int
    target: int
    path: Path
    args: bytes | None


@dataclass(frozen=True, slots=True)
class Stream:
    """Like :class:`Push`, but already pulled and released by itself once answered, and not
    pipelinable: used for writes into a stream (each is acknowledged by a resolve)."""

    kind: ClassVar[Kind] = Kind.STREAM
    id: int
    target: int
    path: Path
    args: bytes | None


@dataclass(frozen=True, slots=True)
class Pipe:
    """Make a pipe on your side: your export ``id`` is its writable end, which I will write into
    with :class:`Stream` messages. Sent before the message that hands over the readable end, so
    the bytes can start flowing at once."""

    kind: ClassVar[Kind] = Kind.PIPE
    id: int


@dataclass(frozen=True, slots=True)
class Pull:
    """Send me the resolution of my import ``id`` (without it, results never cross the wire)."""

    kind: ClassVar[Kind] = Kind.PULL
    id: int


@dataclass(frozen=True, slots=True)
class Resolve:
    """Your import ``id`` resolved to ``value`` (encoded)."""

    kind: ClassVar[Kind] = Kind.RESOLVE
    id: int
    value: bytes


@dataclass(frozen=True, slots=True)
class Reject:
    """Your import ``id`` failed with ``error`` (an encoded exception)."""

    kind: ClassVar[Kind] = Kind.REJECT
    id: int
    error: bytes


@dataclass(frozen=True, slots=True)
class Release:
    """I drop my import ``id``, which you introduced to me ``refcount`` times."""

    kind: ClassVar[Kind] = Kind.RELEASE
    id: int
    refcount: int


@dataclass(frozen=True, slots=True)
class Abort:
    """The session is dead, for the (encoded) ``reason``."""

    kind: ClassVar[Kind] = Kind.ABORT
    reason: bytes


Message = Push | Stream | Pipe | Pull | Resolve | Reject | Release | Abort
