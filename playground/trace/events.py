"""Immutable trace events: everything the visualiser and the statistics are built from.

Every event has ``seq`` (its position in the playground's trace, from 0) and ``at`` (virtual
seconds). Times are computed from integer nanoseconds, so they repeat exactly from run to run.

* :class:`MessageEvent` — one message on the simulated network, sent at ``sent_at`` and
  received at ``received_at`` (``None`` if it was lost on the way).
* :class:`CallEvent` — a call or property read leaving a worker, with the user's line of code.
* :class:`AwaitEvent` — user code awaited the result of a call.
* :class:`StubEvent` — a stub was created, duplicated, disposed or released, or a target's
  ``__dispose__`` ran.
* :class:`ContextEvent` — an execution context opened or closed.
* :class:`FaultEvent` — a link went down or up, a message was lost, a worker crashed, a
  call failed before sending anything.
* :class:`StreamEvent` — a stream chunk, acknowledgement, window change or stall.
* :class:`NoteEvent` — a warning the runtime printed (a leaked stub, a hung request).

Events are named tuples: immutable, cheap to make (a trace can hold millions), with fields
by name (``event.kind``) and ``event._asdict()``; ``event._fields`` lists the fields.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from ..codec import describe

__all__ = [
    "AwaitEvent",
    "CallEvent",
    "ContextEvent",
    "Event",
    "FaultEvent",
    "MessageEvent",
    "NoteEvent",
    "StreamEvent",
    "StubEvent",
    "Where",
    "where_text",
]

#: Where in the user's code something happened: (file name, line number).
Where = tuple[str, int]


def where_text(where: Where | None) -> str:
    """``file.py:12``, or ``cell line 12`` for line 12 of a notebook cell (whose file is a
    kernel temp file, a name that would mean nothing to its reader)."""
    if where is None:
        return "?"
    name = os.path.basename(where[0])
    if name.startswith("<ipython-input") or "ipykernel_" in where[0]:
        return f"cell line {where[1]}"
    return f"{name}:{where[1]}"


class MessageEvent(NamedTuple):
    """A message between two workers.

    ``id`` is the import/export id the message is about (the question id of a push), in the
    numbering of ``session``; ``target`` is the export a push is addressed to; ``path`` the
    property path of a push; ``cause`` the ``seq`` of the counted message whose arrival this one
    follows (for round trips); ``payload`` the encoded value, kept when small (use
    :func:`playground.codec.describe` to read it).
    """

    seq: int
    at: float
    kind: str
    sender: str
    receiver: str
    sent_at: float
    received_at: float | None
    size: int
    session: int
    id: int | None
    target: int | None
    path: tuple[str | int, ...]
    cause: int | None
    payload: bytes | None
    counted: bool

    @property
    def lost(self) -> bool:
        """True when the message never arrived."""
        return self.received_at is None

    @property
    def latency(self) -> float | None:
        """Seconds in flight (``None`` if lost)."""
        return None if self.received_at is None else self.received_at - self.sent_at

    @property
    def value(self) -> Any:
        """The payload decoded for display (capabilities shown as placeholders)."""
        return describe(self.payload)


class CallEvent(NamedTuple):
    """A call (or a property read, ``is_get``) leaving ``caller`` for ``callee``.

    ``pipelined`` is True when the call was addressed to a result that had not come back yet;
    ``target_call`` is then the ``seq`` of the call that produces that result. ``target_stub`` is
    the stub the call was made on, if any. ``where`` is the user's line of code.
    """

    seq: int
    at: float
    caller: str
    callee: str
    session: int
    id: int
    path: tuple[str | int, ...]
    is_get: bool
    pipelined: bool
    target_call: int | None
    target_stub: int | None
    where: Where | None

    @property
    def method(self) -> str:
        """The dotted path, e.g. ``"counter.increment"``."""
        return ".".join(str(p) for p in self.path) or "(this)"


class AwaitEvent(NamedTuple):
    """User code awaited the result of call ``call`` (a :class:`CallEvent` seq)."""

    seq: int
    at: float
    worker: str
    call: int | None
    where: Where | None


class StubEvent(NamedTuple):
    """Something happened to a stub (or, for ``disposer``/``released``, to an exported target).

    ``action`` is one of ``created``, ``dup``, ``disposed``, ``released``, ``disposer``,
    ``leaked``. ``stub`` identifies the handle; ``origin_call`` is the call whose result
    delivered it. ``kind`` is ``"stub"`` or ``"promise"``; ``managed`` marks parameters the
    runtime disposes by itself.
    """

    seq: int
    at: float
    action: str
    stub: int
    owner: str
    target: str
    where: Where | None
    origin_call: int | None = None
    detail: str = ""
    kind: str = "stub"  # "stub", or "promise" (a result still held remotely)
    managed: bool = False  # a parameter the runtime disposes by itself when its call is over


class ContextEvent(NamedTuple):
    """An execution context ``opened`` or ``closed`` in ``worker``."""

    seq: int
    at: float
    action: str
    worker: str
    context: int
    label: str


class FaultEvent(NamedTuple):
    """``action``: ``disconnect``, ``reconnect``, ``crash``, ``lost`` (a message dropped), or
    ``failed``: a call in worker ``a`` failed at once, before anything was sent (a stub broken
    by a crash or a cut link, or disposed; arguments refused), ``detail`` its error."""

    seq: int
    at: float
    action: str
    a: str
    b: str | None
    detail: str = ""


class StreamEvent(NamedTuple):
    """Flow control of stream ``stream`` from ``sender`` to ``receiver``.

    ``action``: ``chunk`` (``size`` bytes sent), ``ack`` (``size`` bytes acknowledged),
    ``window`` (new window ``size``), ``stall`` (the writer waited from ``since`` to ``at``),
    ``close``, ``error``. ``in_flight`` is unacknowledged bytes after the event.
    """

    seq: int
    at: float
    action: str
    stream: int
    sender: str
    receiver: str
    size: int
    in_flight: int
    window: int
    since: float | None = None


class NoteEvent(NamedTuple):
    """A warning or remark from the runtime, e.g. a leaked stub; ``worker`` it concerns."""

    seq: int
    at: float
    level: str
    worker: str
    text: str


Event = (
    MessageEvent
    | CallEvent
    | AwaitEvent
    | StubEvent
    | ContextEvent
    | FaultEvent
    | StreamEvent
    | NoteEvent
)
