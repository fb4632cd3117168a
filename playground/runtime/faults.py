"""Faults: links that go down, workers that crash, messages that are lost.

What breaks follows Workers: calls in flight and later calls across a fault fail with
``ConnectionLost`` (``Network connection lost.``, ``retryable = True``); stubs across it break;
what the other side had exported to us is released there (its ``__dispose__`` runs); no await
ever hangs. A crashed Durable Object loses its memory and keeps its storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConnectionLost
from ..trace import FaultEvent

if TYPE_CHECKING:
    from .connection import Connection
    from .world import Playground

__all__ = ["Faults"]


class Faults:
    """Injects faults into one playground."""

    def __init__(self, world: Playground) -> None:
        self._world = world

    def _event(self, action: str, a: str, b: str | None, detail: str = "") -> None:
        world = self._world
        rec = world.recorder
        rec.add(FaultEvent(rec.next_seq, world.now, action, a, b, detail))

    def disconnect(self, a: str, b: str) -> None:
        world = self._world
        dropped = world.network.cut(a, b)
        self._event("disconnect", a, b, f"{len(dropped)} message(s) in flight lost")
        for args in dropped:  # the delivery arguments of a frame: (frame, seq, counted)
            self._event("lost", a, b, f"message {args[1]}")
        pair = {a, b}
        for connection in list(world._connections):
            if {connection.worker, connection.peer_worker} == pair:
                connection.fail(ConnectionLost())
        world.lifecycle.check_all()

    def reconnect(self, a: str, b: str) -> None:
        self._world.network.restore(a, b)
        self._event("reconnect", a, b)

    def crash(self, name: str) -> None:
        world = self._world
        self._event("crash", name, None)
        for instance in world.durable.live():
            if instance.key[0] == name:
                world.durable.discard(instance.key, ConnectionLost())
        for connection in list(world._connections):
            if name in (connection.worker, connection.peer_worker):
                connection.fail(ConnectionLost())
        world.fail_running(ConnectionLost(), lambda context: context is not None and context.worker == name)
        for context in list(world.lifecycle.contexts.values()):
            if context.worker == name:
                for task in list(context.tasks):
                    task.cancel()
                world.lifecycle.end(context, warn=False)

    def message_lost(self, connection: Connection, seq: int) -> None:
        """A message was dropped (loss, or a link that is down): the session cannot go on."""
        world = self._world
        self._event("lost", connection.worker, connection.peer_worker, f"message {seq}")
        world.loop.call_soon(connection.fail, ConnectionLost())
        if connection.peer is not None:
            world.loop.call_soon(connection.peer.fail, ConnectionLost())
