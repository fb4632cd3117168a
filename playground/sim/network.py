"""Links between workers: latency, seeded jitter, bandwidth, loss, and cuts.

A link joins two workers and is symmetric in its properties, but each direction keeps its own
queue: a message of ``n`` bytes occupies its direction for ``n / bandwidth`` seconds (so a big
message delays what queues behind it), then travels for ``latency + jitter``. Messages in one
direction always arrive in the order they were sent: jitter moves arrival times, never order.

Every random choice (jitter, loss) comes from a generator seeded by the playground's seed and
the two worker names, so the same seed and code give the same arrivals.
"""

from __future__ import annotations

import contextvars
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .clock import NS, Scheduled, VirtualLoop

__all__ = ["Channel", "Link", "LinkProperties", "Network"]


@dataclass
class LinkProperties:
    """What can be set per link (``None`` in an override means: keep the default)."""

    latency_ns: int = 0
    jitter_ns: int = 0
    bandwidth: float | None = None  # bytes per second; None = unlimited
    loss: float = 0.0




class _Batch(Scheduled):
    """Messages arriving together: one turn of the loop delivers them all, in order."""

    __slots__ = ("arrival_ns", "items", "direction")

    def __init__(
        self,
        loop: VirtualLoop,
        direction: _Direction,
        arrival_ns: int,
        items: list[tuple[int, Callable[..., object], tuple[Any, ...]]],
    ) -> None:
        super().__init__(loop)
        self.direction = direction
        self.arrival_ns = arrival_ns
        self.items = items

    def fire(self) -> None:
        direction = self.direction
        in_flight = direction.in_flight
        if direction.tail is self:
            direction.tail = None
        if in_flight[0] is self:
            in_flight.popleft()
        else:  # pragma: no cover - batches of one direction arrive in order
            in_flight.remove(self)
        items = self.items
        if len(items) == 1:
            _, deliver, args = items.pop()
            direction.spare = self  # (the batch is done with: it may carry the next arrival)
            deliver(*args)
            return
        for i, (_, deliver, args) in enumerate(items):
            try:
                deliver(*args)
            except BaseException:
                if i + 1 < len(items):  # (Ctrl-C in user code) the rest still arrive, next turn
                    rest = _Batch(self._loop, direction, self.arrival_ns, items[i + 1 :])
                    self._loop.schedule(rest, self._loop._now_ns)
                    in_flight.appendleft(rest)
                raise
        items.clear()
        direction.spare = self


class _Direction:
    """One direction of a link: its queue (bandwidth) and the batches still in flight."""

    __slots__ = ("busy_until_ns", "last_arrival_ns", "tail", "in_flight", "spare")

    def __init__(self) -> None:
        self.busy_until_ns = 0
        self.last_arrival_ns = 0
        self.tail: _Batch | None = None  # the latest batch not yet delivered, for messages to join
        #: batches not yet delivered, in the order they arrive (one direction never reorders)
        self.in_flight: deque[_Batch] = deque()
        #: the last batch delivered, kept to carry the next arrival (one object per direction
        #: instead of one per arrival)
        self.spare: _Batch | None = None

    def batch(self, loop: VirtualLoop, arrival_ns: int, item: tuple[int, Callable[..., object], tuple[Any, ...]]) -> _Batch:
        """A batch for an arrival at ``arrival_ns`` holding ``item``: the spare one if there is
        one, else a new one; made the tail, in flight, and scheduled."""
        batch = self.spare
        if batch is None:
            batch = _Batch(loop, self, arrival_ns, [item])
        else:
            self.spare = None
            batch._context = contextvars.copy_context()
            batch._cancelled = False
            batch.arrival_ns = arrival_ns
            batch.items.append(item)
        loop.schedule(batch, arrival_ns)
        self.tail = batch
        self.in_flight.append(batch)
        return batch


class Link:
    """The connection between workers ``a`` and ``b`` (``a <= b``)."""

    def __init__(self, a: str, b: str, props: LinkProperties, seed: object) -> None:
        self.a, self.b = a, b
        self.props = props
        self.up = True
        self._rng = random.Random(f"{seed}|{a}|{b}")
        self._directions: dict[str, _Direction] = {a: _Direction(), b: _Direction()}

    def __repr__(self) -> str:
        p = self.props
        return (
            f"<Link {self.a} <-> {self.b}: latency {p.latency_ns / 1e6:g} ms, jitter "
            f"{p.jitter_ns / 1e6:g} ms, bandwidth {p.bandwidth or 'unlimited'}, loss {p.loss:g}"
            f"{'' if self.up else ', DOWN'}>"
        )

    @property
    def latency(self) -> float:
        return self.props.latency_ns / NS

    @property
    def jitter(self) -> float:
        return self.props.jitter_ns / NS

    @property
    def bandwidth(self) -> float | None:
        return self.props.bandwidth

    @property
    def loss(self) -> float:
        return self.props.loss

    def schedule(self, sender: str, now_ns: int, size: int) -> tuple[int, int, bool]:
        """Plan a message of ``size`` bytes leaving ``sender`` now.

        Returns ``(departure_ns, arrival_ns, lost)``; the direction's queue is updated.
        """
        direction = self._directions[sender]
        props = self.props
        departure = now_ns if now_ns > direction.busy_until_ns else direction.busy_until_ns
        if props.bandwidth:
            done = departure + round(size * NS / props.bandwidth)
            direction.busy_until_ns = done
        else:
            done = departure
        latency = props.latency_ns
        arrival = done + latency if latency else done  # (the clock's own int: traces share it)
        if props.jitter_ns:
            arrival += round(self._rng.random() * props.jitter_ns)
        if arrival < direction.last_arrival_ns:
            arrival = direction.last_arrival_ns
        direction.last_arrival_ns = arrival
        lost = bool(props.loss) and self._rng.random() < props.loss
        return departure, arrival, lost

    def direction(self, sender: str) -> _Direction:
        return self._directions[sender]


class Channel:
    """One direction of a link, as a sender sends on it (see :meth:`Network.channel`).

    :meth:`carry` carries anything; :meth:`send` carries a message to ``deliver``, sized by
    ``encode`` (the shape of a transport: see :mod:`playground.transport`)."""

    __slots__ = ("network", "link", "sender", "direction", "props", "loop", "deliver", "encode")

    def __init__(
        self,
        network: Network,
        link: Link,
        sender: str,
        deliver: Callable[..., object] | None = None,
        encode: Callable[[Any], bytes] | None = None,
    ) -> None:
        self.network = network
        self.link = link
        self.sender = sender
        self.direction = link._directions[sender]
        self.props = link.props  # (configure() changes it in place)
        self.loop = network.loop
        self.deliver = deliver
        self.encode = encode

    def send(self, message: Any, seq: int, counted: bool) -> tuple[int, int | None]:
        """Carry ``message`` to ``deliver(message, seq, counted)``; its size is that of
        ``encode(message)``. Returns ``(size, arrival_ns or None if lost)``."""
        size = len(self.encode(message))  # type: ignore[misc]
        return size, self.carry(size, self.deliver, (message, seq, counted))  # type: ignore[arg-type]

    def carry(self, size: int, deliver: Callable[..., object], args: tuple[Any, ...]) -> int | None:
        """Carry a message of ``size`` bytes; ``deliver(*args)`` runs when it arrives. Returns
        the arrival time in ns, or None if the message is lost (link down, or ``loss``)."""
        network = self.network
        ticket = network._ticket = network._ticket + 1
        link = self.link
        if not link.up:
            return None
        _, arrival, lost = link.schedule(self.sender, self.loop._now_ns, size)
        if lost:
            return None
        direction = self.direction
        tail = direction.tail
        if tail is not None and tail.arrival_ns == arrival:
            tail.items.append((ticket, deliver, args))  # same moment: ride along, in order
            return tail.arrival_ns
        direction.batch(self.loop, arrival, (ticket, deliver, args))
        return arrival


class Network:
    """All links of one playground, created on first use with the playground's defaults."""

    def __init__(self, loop: VirtualLoop, defaults: LinkProperties, seed: object) -> None:
        self.loop = loop
        self.defaults = defaults
        self.seed = seed
        self._links: dict[tuple[str, str], Link] = {}
        self._overrides: dict[tuple[str, str], dict[str, Any]] = {}
        self._ticket = 0

    @staticmethod
    def _key(a: str, b: str) -> tuple[str, str]:
        return (a, b) if a <= b else (b, a)

    def link(self, a: str, b: str) -> Link:
        """The link between ``a`` and ``b``, created with the defaults if new."""
        key = self._key(a, b)
        link = self._links.get(key)
        if link is None:
            props = LinkProperties(**vars(self.defaults))
            for name, value in self._overrides.get(key, {}).items():
                setattr(props, name, value)
            link = self._links[key] = Link(key[0], key[1], props, self.seed)
        return link

    def configure(self, a: str, b: str, **changes: Any) -> Link:
        """Override some properties of one link (symmetric); returns the link."""
        key = self._key(a, b)
        self._overrides.setdefault(key, {}).update(changes)
        link = self.link(a, b)
        for name, value in changes.items():
            setattr(link.props, name, value)
        return link

    def send(
        self,
        sender: str,
        receiver: str,
        size: int,
        deliver: Callable[..., object],
        *args: Any,
    ) -> tuple[int, int | None, int]:
        """Carry a message of ``size`` bytes; ``deliver(*args)`` runs when it arrives.

        Returns ``(sent_ns, arrival_ns, ticket)``; ``arrival_ns`` is ``None`` when the message is
        lost (the link is down, or ``loss`` dropped it). The ticket identifies the message while
        it is in flight.
        """
        return self.send_on(self.link(sender, receiver), sender, size, deliver, args)

    def send_on(
        self, link: Link, sender: str, size: int, deliver: Callable[..., object], args: tuple[Any, ...]
    ) -> tuple[int, int | None, int]:
        """:meth:`send` on a link already looked up."""
        arrival = Channel(self, link, sender).carry(size, deliver, args)
        return self.loop._now_ns, arrival, self._ticket

    def channel(
        self,
        sender: str,
        receiver: str,
        deliver: Callable[..., object] | None = None,
        encode: Callable[[Any], bytes] | None = None,
    ) -> Channel:
        """The direction from ``sender`` to ``receiver`` of their link (:meth:`Channel.carry`
        is :meth:`send` without looking anything up; ``deliver`` and ``encode`` are for
        :meth:`Channel.send`)."""
        return Channel(self, self.link(sender, receiver), sender, deliver, encode)

    def cut(self, a: str, b: str) -> list[tuple[Any, ...]]:
        """Take the link down; messages in flight are lost. Returns their delivery arguments,
        in the order they were sent."""
        link = self.link(a, b)
        link.up = False
        dropped: list[tuple[int, tuple[Any, ...]]] = []
        for name in {link.a, link.b}:
            direction = link.direction(name)
            for batch in direction.in_flight:
                batch.cancel()
                dropped.extend((ticket, args) for ticket, _, args in batch.items)
            direction.in_flight.clear()
            direction.tail = None
        return [args for _, args in sorted(dropped, key=lambda item: item[0])]

    def restore(self, a: str, b: str) -> None:
        self.link(a, b).up = True
