"""Links between workers: latency, seeded jitter, bandwidth, loss, and cuts.

A link joins two workers and is symmetric in its properties, but each direction keeps its own
queue: a message of ``n`` bytes occupies its direction for ``n / bandwidth`` seconds (so a big
message delays what queues behind it), then travels for ``latency + jitter``. Messages in one
direction always arrive in the order they were sent: jitter moves arrival times, never order.

Every random choice (jitter, loss) comes from a generator seeded by the playground's seed and
the two worker names, so the same seed and code give the same arrivals.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from collections import deque
from dataclasses import dataclass
from typing import Any

from .clock import NS, VirtualLoop

__all__ = ["Link", "LinkProperties", "Network"]


@dataclass
class LinkProperties:
    """What can be set per link (``None`` in an override means: keep the default)."""

    latency_ns: int = 0
    jitter_ns: int = 0
    bandwidth: float | None = None  # bytes per second; None = unlimited
    loss: float = 0.0


class _Batch:
    """Messages arriving together: one loop callback delivers them all, in order."""

    __slots__ = ("arrival_ns", "items", "handle")

    def __init__(self, arrival_ns: int, items: list[tuple[int, Callable[..., object], tuple[Any, ...]]]) -> None:
        self.arrival_ns = arrival_ns
        self.items = items
        self.handle: Any = None


class _Direction:
    """One direction of a link: its queue (bandwidth) and the batches still in flight."""

    __slots__ = ("busy_until_ns", "last_arrival_ns", "tail", "in_flight")

    def __init__(self) -> None:
        self.busy_until_ns = 0
        self.last_arrival_ns = 0
        self.tail: _Batch | None = None  # the latest batch not yet delivered, for messages to join
        #: batches not yet delivered, in the order they arrive (one direction never reorders)
        self.in_flight: deque[_Batch] = deque()


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
        arrival = done + props.latency_ns
        if props.jitter_ns:
            arrival += round(self._rng.random() * props.jitter_ns)
        if arrival < direction.last_arrival_ns:
            arrival = direction.last_arrival_ns
        direction.last_arrival_ns = arrival
        lost = bool(props.loss) and self._rng.random() < props.loss
        return departure, arrival, lost

    def direction(self, sender: str) -> _Direction:
        return self._directions[sender]


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
        arrival = self.carry(link, sender, size, deliver, args)
        return self.loop._now_ns, arrival, self._ticket

    def carry(
        self, link: Link, sender: str, size: int, deliver: Callable[..., object], args: tuple[Any, ...]
    ) -> int | None:
        """:meth:`send` on a link already looked up, returning only the arrival time (the hot
        path of every message)."""
        loop = self.loop
        now = loop._now_ns
        ticket = self._ticket = self._ticket + 1
        if not link.up:
            return None
        props = link.props
        direction = link._directions[sender]
        if props.bandwidth or props.jitter_ns or props.loss or direction.last_arrival_ns > now:
            _, arrival, lost = link.schedule(sender, now, size)
            if lost:
                return None
        else:  # the common case: no queue, no randomness
            arrival = now + props.latency_ns
            direction.last_arrival_ns = arrival
        tail = direction.tail
        if tail is not None and tail.arrival_ns == arrival:
            tail.items.append((ticket, deliver, args))  # same moment: ride along, in order
            return arrival
        batch = _Batch(arrival, [(ticket, deliver, args)])
        if arrival == now:  # zero latency: next turn of the loop
            batch.handle = loop.call_soon(self._arrive, direction, batch)
        else:
            batch.handle = loop.call_at_ns(arrival, self._arrive, direction, batch)
        direction.tail = batch
        direction.in_flight.append(batch)
        return arrival

    def _arrive(self, direction: _Direction, batch: _Batch) -> None:
        in_flight = direction.in_flight
        if in_flight[0] is batch:
            in_flight.popleft()
        else:  # pragma: no cover - batches of one direction arrive in order
            in_flight.remove(batch)
        if direction.tail is batch:
            direction.tail = None
        items = batch.items
        if len(items) == 1:
            _, deliver, args = items[0]
            deliver(*args)
            return
        for i, (_, deliver, args) in enumerate(items):
            try:
                deliver(*args)
            except BaseException:
                if i + 1 < len(items):  # (Ctrl-C in user code) the rest still arrive, next turn
                    rest = _Batch(batch.arrival_ns, items[i + 1 :])
                    rest.handle = self.loop.call_soon(self._arrive, direction, rest)
                    direction.in_flight.appendleft(rest)
                raise

    def cut(self, a: str, b: str) -> list[tuple[Any, ...]]:
        """Take the link down; messages in flight are lost. Returns their delivery arguments,
        in the order they were sent."""
        link = self.link(a, b)
        link.up = False
        dropped: list[tuple[int, tuple[Any, ...]]] = []
        for name in {link.a, link.b}:
            direction = link.direction(name)
            for batch in direction.in_flight:
                batch.handle.cancel()
                dropped.extend((ticket, args) for ticket, _, args in batch.items)
            direction.in_flight.clear()
            direction.tail = None
        return [args for _, args in sorted(dropped, key=lambda item: item[0])]

    def restore(self, a: str, b: str) -> None:
        self.link(a, b).up = True
