"""Where a playground's events are kept: flat, compact, rebuilt as named tuples on read.

Theory of operation
-------------------
A trace can hold millions of events (a pipelining experiment at scale), so the events of a call
are not kept as Python objects of their own. Each event is written as a few references, one
after the other, into the flat list of a *chunk*: a plain awaited call — eight events — is
about 60 references there, against eight named tuples of 13 to 16 fields. The references point
to objects the runtime already holds and shares (worker names, paths, the clock's integer time,
payloads), so an event costs about 10 bytes per field, and writing one is a single list extend.

The events of every call — messages, calls, awaits, contexts opening and closing — have a
compact layout (below); any other event is kept whole. The first reference of a record says
which layout it has: a message's :class:`~playground.protocol.Kind` (or its uncounted twin, for
acknowledgements of stream writes), or a layout code for the others.

Reading ``log[seq]`` (or a slice) rebuilds the :mod:`.events` named tuple, with exactly the
values it was recorded with: times are kept in integer nanoseconds and read back as
``ns / 1_000_000_000``, which is how the runtime computes every time it records.

Events are numbered by ``seq`` from 0, for ever. With a ``limit`` the log keeps at least the
last ``limit`` events and drops older chunks whole; ``limit=0`` keeps none (counts only). What
was dropped is counted in :class:`Dropped`, so a view can say what it no longer shows.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, overload

from ..protocol.messages import Kind
from .events import AwaitEvent, CallEvent, ContextEvent, Event, MessageEvent

__all__ = ["CHUNK", "PAYLOAD_LIMIT", "Dropped", "EventLog"]

NS = 1_000_000_000
#: Events per chunk (fewer with a small limit, so that dropping stays close to it).
CHUNK = 4096


@dataclass
class Dropped:
    """What a bounded log no longer holds: counts over every event dropped so far."""

    events: int = 0
    messages: int = 0
    bytes: int = 0
    calls: int = 0
    pipelined: int = 0


# -- layouts -------------------------------------------------------------------------------------
# A record is the references below, flat in the chunk's list:
#
#   message   kind, at_ns, lanes, received_ns, size, session, then by kind:
#               push, stream       id, target, path, cause, payload
#               pull, pipe         id, cause
#               resolve, reject    id, cause, payload
#               release            id
#               abort              payload
#             (lanes: the (sender, receiver) pair; kind: its uncounted twin if not counted;
#             payloads over PAYLOAD_LIMIT bytes, or over 256 for stream chunks, are not kept)
#   call      CALL|flags, at_ns, lanes, session, id, path, target_call, target_stub, where
#             (flags: GET 1, PIPELINED 2)
#   await     AWAIT, at_ns, worker, call, where
#   context   OPENED or CLOSED, at_ns, worker, context, label
#   other     OTHER, the event itself

CALL, AWAIT, OPENED, CLOSED, OTHER = 16, 20, 21, 22, 23
_GET, _PIPELINED = 1, 2


class _Uncounted:
    """A message kind's twin, marking a message that does not count as a round trip."""

    __slots__ = ("kind",)

    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<uncounted {self.kind}>"


_UNCOUNTED = {kind: _Uncounted(kind) for kind in Kind}
_MESSAGE_LENGTH: dict[object, int] = {
    Kind.PUSH: 11, Kind.STREAM: 11, Kind.PULL: 8, Kind.PIPE: 8, Kind.RESOLVE: 9, Kind.REJECT: 9,
    Kind.RELEASE: 7, Kind.ABORT: 7,
}
_LENGTH: dict[object, int] = {**_MESSAGE_LENGTH}
_LENGTH.update({twin: _MESSAGE_LENGTH[kind] for kind, twin in _UNCOUNTED.items()})
#: Payloads up to this size are kept in the trace (for tooltips and replay).
PAYLOAD_LIMIT = 16 * 1024
#: Stream chunks are kept only up to this size.
CHUNK_PAYLOAD_LIMIT = 256
_PUSH, _STREAM, _PULL, _PIPE = Kind.PUSH, Kind.STREAM, Kind.PULL, Kind.PIPE
_RESOLVE, _REJECT, _RELEASE = Kind.RESOLVE, Kind.REJECT, Kind.RELEASE
_LENGTH.update({CALL + flags: 9 for flags in range(4)})
_LENGTH.update({AWAIT: 5, OPENED: 5, CLOSED: 5, OTHER: 2})


def _read(seq: int, o: list[Any], i: int) -> Event:
    head = o[i]
    if type(head) is Kind or type(head) is _Uncounted:
        counted = type(head) is Kind
        kind: Kind = head if counted else head.kind  # type: ignore[assignment,union-attr]
        _, at_ns, lanes, received, size, session = o[i : i + 6]
        ident = target = cause = payload = None
        path: tuple[Any, ...] = ()
        if kind is _PUSH or kind is _STREAM:
            ident, target, path, cause, payload = o[i + 6 : i + 11]
        elif kind is _PULL or kind is _PIPE:
            ident, cause = o[i + 6 : i + 8]
        elif kind is _RESOLVE or kind is _REJECT:
            ident, cause, payload = o[i + 6 : i + 9]
        elif kind is _RELEASE:
            ident = o[i + 6]
        else:
            payload = o[i + 6]
        at = at_ns / NS
        return MessageEvent(
            seq, at, kind, lanes[0], lanes[1], at, None if received is None else received / NS, size,
            session, ident, target, path, cause, payload, counted,
        )
    if head < AWAIT:
        _, at_ns, lanes, session, ident, path, target_call, target_stub, where = o[i : i + 9]
        return CallEvent(
            seq, at_ns / NS, lanes[0], lanes[1], session, ident, path, bool(head & _GET),
            bool(head & _PIPELINED), target_call, target_stub, where,
        )
    if head == AWAIT:
        return AwaitEvent(seq, o[i + 1] / NS, o[i + 2], o[i + 3], o[i + 4])
    if head == OPENED or head == CLOSED:
        return ContextEvent(seq, o[i + 1] / NS, "opened" if head == OPENED else "closed", o[i + 2], o[i + 3], o[i + 4])
    event = o[i + 1]
    return type(event)(seq, *event[1:])  # type: ignore[no-any-return]


class _Chunk:
    """Consecutive events, flat in one list. Where each record starts is worked out when the
    chunk is first read (writing stays one extend per event)."""

    __slots__ = ("first", "count", "objs", "_starts")

    def __init__(self, first: int) -> None:
        self.first = first  # seq of its first event
        self.count = 0
        self.objs: list[Any] = []
        self._starts = array("I")

    def start(self, j: int) -> int:
        """Where event ``j``'s record starts in :attr:`objs`."""
        starts = self._starts
        known = len(starts)
        if j >= known:
            objs = self.objs
            at = starts[-1] + _LENGTH[objs[starts[-1]]] if known else 0
            for _ in range(known, self.count):
                starts.append(at)
                at += _LENGTH[objs[at]]
        return starts[j]

    def heads(self) -> Iterator[tuple[int, Any]]:
        """``(start, first reference)`` of each record."""
        objs = self.objs
        for j in range(self.count):
            at = self.start(j)
            yield at, objs[at]


def _lanes(event: Any, a: str, b: str) -> tuple[str, str]:
    return (getattr(event, a), getattr(event, b))


class EventLog:
    """The events of one playground by ``seq`` (see the module docstring).

    ``log[seq]`` is the event numbered ``seq`` (:class:`IndexError` if it was dropped or is not
    recorded yet); ``log[a:b]`` the kept ones among ``a..b-1``, as a list; ``len(log)`` the
    number of events ever recorded (the next ``seq``); iterating gives the kept events.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._chunks: list[_Chunk] = []
        self._chunk = _Chunk(0)  # the chunk being written (once it has room)
        self._room = 0  # events the chunk being written can still take
        self._made_for = 0  # how many it was made for: its count is _made_for - _room (see _sync)
        #: the ``seq`` of the next event
        self.next = 0
        self.dropped = Dropped()
        self.limit = limit

    # -- the bound ----------------------------------------------------------------------------

    @property
    def limit(self) -> int | None:
        """Keep at least the last ``limit`` events (None: all; 0: none, counts only)."""
        return self._limit

    @limit.setter
    def limit(self, limit: int | None) -> None:
        self._limit = limit
        self._capacity = CHUNK if limit is None else max(16, min(CHUNK, limit // 8 or 16))
        self._keep = limit != 0
        self._seal()  # the next event starts a chunk of the new size
        self._trim()

    @property
    def first(self) -> int:
        """The ``seq`` of the oldest event kept (``len(self)`` when none is)."""
        return self._chunks[0].first if self._chunks else self.next

    @property
    def kept(self) -> int:
        """How many events are kept."""
        self._sync()
        return sum(chunk.count for chunk in self._chunks)

    def _sync(self) -> None:
        """Bring the count of the chunk being written up to date (writing only moves _room)."""
        self._chunk.count = self._made_for - self._room

    def _seal(self) -> None:
        """Write no more into the current chunk: the next event starts a new one."""
        self._sync()
        self._made_for = self._chunk.count
        self._room = 0

    def _writable(self) -> _Chunk | None:
        """The chunk the next event goes into (a new one if the last is full), or None when
        nothing is kept; takes one place in it."""
        if self._room:
            self._room -= 1
            return self._chunk
        if self._keep:
            self._sync()
            chunk = self._chunk = _Chunk(self.next)
            self._chunks.append(chunk)
            self._made_for = self._capacity
            self._room = self._capacity - 1
            self._trim()
            return chunk
        return None

    def _trim(self) -> None:
        """Drop whole old chunks while the newer ones still hold ``limit`` events."""
        limit = self._limit
        if limit is None:
            return
        if limit == 0:
            self.clear()
            return
        chunks = self._chunks
        self._sync()
        while len(chunks) > 1 and self.next - (chunks[0].first + chunks[0].count) >= limit:
            self._drop(chunks.pop(0))

    def _drop(self, chunk: _Chunk) -> None:
        """Count what ``chunk`` held into :attr:`dropped`."""
        if chunk is self._chunk:
            self._seal()
        d = self.dropped
        d.events += chunk.count
        objs = chunk.objs
        for at, head in chunk.heads():
            if type(head) is Kind or type(head) is _Uncounted:
                d.messages += 1
                d.bytes += objs[at + 4]  # (size)
            elif type(head) is int and head < AWAIT:
                d.calls += 1
                d.pipelined += bool(head & _PIPELINED)
            elif head == OTHER:
                self._count(objs[at + 1])

    def _count(self, event: Any) -> None:
        d = self.dropped
        if type(event) is MessageEvent:
            d.messages += 1
            d.bytes += event.size
        elif type(event) is CallEvent:
            d.calls += 1
            d.pipelined += event.pipelined

    def clear(self) -> None:
        """Drop every event kept (numbering goes on)."""
        for chunk in self._chunks:
            self._drop(chunk)
        self._chunks = []
        self._chunk = _Chunk(self.next)
        self._made_for = self._room = 0

    def keep_only(self, start: int, stop: int) -> None:
        """Drop every chunk with no event in ``start..stop-1`` (a closed playground keeps only
        what views still held refer to)."""
        self._sync()
        kept = []
        for chunk in self._chunks:
            if chunk.first + chunk.count > start and chunk.first < stop:
                kept.append(chunk)
            else:
                self._drop(chunk)
        self._chunks = kept
        if self._chunk not in kept:
            self._chunk = _Chunk(self.next)
            self._made_for = self._room = 0
        else:
            self._seal()

    # -- writing (the hot path: one extend per event) -------------------------------------------

    def _skip(self) -> int:
        """An event not kept (the limit is 0): counted in :attr:`dropped`; its seq."""
        self.dropped.events += 1
        seq = self.next
        self.next = seq + 1
        return seq

    def append_message(
        self, at_ns: int, message: tuple[Any, ...], lanes: tuple[str, str], received_ns: int | None, size: int,
        session: int, cause: int | None, counted: bool,
    ) -> int:
        """The :class:`MessageEvent` of ``message`` (a protocol message: ``(kind, *fields)``),
        sent now from ``lanes[0]`` to ``lanes[1]`` in ``session``; its seq. (``cause`` is kept
        only for counted calls and results.)"""
        chunk = self._writable()
        if chunk is None:
            d = self.dropped
            d.messages += 1
            d.bytes += size
            return self._skip()
        kind = message[0]
        head = kind if counted else _UNCOUNTED[kind]
        if kind is _PUSH or kind is _STREAM:
            _, ident, target, path, payload = message
            if payload is not None and len(payload) > (CHUNK_PAYLOAD_LIMIT if kind is _STREAM else PAYLOAD_LIMIT):
                payload = None
            chunk.objs += (head, at_ns, lanes, received_ns, size, session, ident, target, path, cause, payload)
        elif kind is _PULL or kind is _PIPE:
            chunk.objs += (head, at_ns, lanes, received_ns, size, session, message[1], cause)
        elif kind is _RELEASE:
            chunk.objs += (head, at_ns, lanes, received_ns, size, session, message[1])
        elif kind is _RESOLVE or kind is _REJECT:
            payload = message[2]
            if len(payload) > PAYLOAD_LIMIT:
                payload = None
            chunk.objs += (head, at_ns, lanes, received_ns, size, session, message[1], cause, payload)
        else:  # abort
            payload = message[1]
            if payload is not None and len(payload) > PAYLOAD_LIMIT:
                payload = None
            chunk.objs += (head, at_ns, lanes, received_ns, size, session, payload)
        seq = self.next
        self.next = seq + 1
        return seq

    def append_call(
        self, at_ns: int, lanes: tuple[str, str], session: int, ident: int, path: tuple[Any, ...],
        is_get: bool, pipelined: bool, target_call: int | None, target_stub: int | None, where: Any,
    ) -> int:
        """A :class:`CallEvent` (``lanes``: caller and callee); its seq."""
        chunk = self._writable()
        if chunk is None:
            d = self.dropped
            d.calls += 1
            d.pipelined += pipelined
            return self._skip()
        chunk.objs += (
            CALL + (_GET if is_get else 0) + (_PIPELINED if pipelined else 0), at_ns, lanes, session, ident, path,
            target_call, target_stub, where,
        )
        seq = self.next
        self.next = seq + 1
        return seq

    def append_await(self, at_ns: int, worker: str, call: int | None, where: Any) -> int:
        """An :class:`AwaitEvent`; its seq."""
        chunk = self._writable()
        if chunk is not None:
            chunk.objs += (AWAIT, at_ns, worker, call, where)
        else:
            self.dropped.events += 1
        seq = self.next
        self.next = seq + 1
        return seq

    def append_context(self, at_ns: int, action: str, worker: str, context: int, label: str) -> int:
        """A :class:`ContextEvent` (``action``: "opened" or "closed"); its seq."""
        chunk = self._writable()
        if chunk is not None:
            chunk.objs += (OPENED if action == "opened" else CLOSED, at_ns, worker, context, label)
        else:
            self.dropped.events += 1
        seq = self.next
        self.next = seq + 1
        return seq

    def append(self, event: Event) -> int:
        """Keep ``event`` (any event type; its ``seq`` is replaced by the next one)."""
        chunk = self._writable()
        if chunk is not None:
            chunk.objs += (OTHER, event)
        else:
            self.dropped.events += 1
            self._count(event)
        seq = self.next
        self.next = seq + 1
        return seq

    # -- reading --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.next

    def _locate(self, seq: int) -> tuple[_Chunk, int]:
        self._sync()
        chunks = self._chunks
        if not chunks or seq < chunks[0].first or seq >= self.next:
            raise IndexError(f"event {seq} is not in the trace (kept: {self.first}..{self.next - 1})")
        chunk = chunks[bisect_right(chunks, seq, key=_first) - 1]
        if seq - chunk.first >= chunk.count:  # (a span dropped after the playground closed)
            raise IndexError(f"event {seq} is not in the trace any more")
        return chunk, seq - chunk.first

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.next)
            if step != 1:
                return [self[i] for i in range(start, stop, step) if i >= self.first]
            return list(self.iter(start, stop))
        if index < 0:
            index += self.next
        chunk, j = self._locate(index)
        return _read(chunk.first + j, chunk.objs, chunk.start(j))

    def iter(self, start: int = 0, stop: int | None = None, kind: type | None = None) -> Iterator[Event]:
        """The kept events with ``start <= seq < stop`` (only those of type ``kind``, if given)."""
        stop = self.next if stop is None else min(stop, self.next)
        self._sync()
        for chunk in list(self._chunks):
            end = chunk.first + chunk.count
            if end <= start or chunk.first >= stop:
                continue
            objs = chunk.objs
            for j in range(max(start - chunk.first, 0), min(stop, end) - chunk.first):
                at = chunk.start(j)
                if kind is not None and not _may_be(objs[at], objs, at, kind):
                    continue
                yield _read(chunk.first + j, objs, at)

    def __iter__(self) -> Iterator[Event]:
        return self.iter()

    def nbytes(self) -> int:
        """About how many bytes the kept events take: the references of their records (the
        objects referred to are mostly shared; payloads and new numbers come on top)."""
        return sum(8 * len(c.objs) + 4 * len(c._starts) for c in self._chunks)


def _may_be(head: Any, objs: list[Any], at: int, kind: type) -> bool:
    """Whether the record starting at ``at`` (first reference ``head``) is of type ``kind``."""
    if type(head) is Kind or type(head) is _Uncounted:
        return kind is MessageEvent
    if head < AWAIT:
        return kind is CallEvent
    if head == AWAIT:
        return kind is AwaitEvent
    if head == OTHER:
        return type(objs[at + 1]) is kind
    return kind is ContextEvent


def _first(chunk: _Chunk) -> int:
    return chunk.first
