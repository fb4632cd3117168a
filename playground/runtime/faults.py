"""Faults: links that go down, workers that crash, messages that are lost.

What breaks follows Workers: calls in flight and later calls across a fault fail with
``ConnectionLost`` (``Network connection lost.``, ``retryable = True``); stubs across it break;
what the other side had exported to us is released there (its ``__dispose__`` runs); no await
ever hangs. A crashed Durable Object loses its memory and keeps its storage.
"""

from __future__ import annotations

from ..errors import ConnectionLost
from ..trace import FaultEvent
from .shared import Runtime
from .durable import DurableObjects
from .lifecycle import Lifecycle

__all__ = ["Faults"]


class Faults:
    """Injects faults into one playground. (A message lost on the way is its connection's
    business: see ``Connection._lost``.)"""

    def __init__(self, runtime: Runtime, lifecycle: Lifecycle, durable: DurableObjects) -> None:
        self._runtime = runtime
        self._lifecycle = lifecycle
        self._durable = durable

    def _event(self, action: str, a: str, b: str | None, detail: str = "") -> None:
        runtime = self._runtime
        rec = runtime.recorder
        rec.add(FaultEvent(rec.next_seq, runtime.now, action, a, b, detail))

    def disconnect(self, a: str, b: str) -> None:
        dropped = self._runtime.network.cut(a, b)
        self._event("disconnect", a, b, f"{len(dropped)} message(s) in flight lost")
        for args in dropped:  # the delivery arguments of a message: (message, seq, counted)
            self._event("lost", a, b, f"message {args[1]}")
        pair = {a, b}
        for connection in self._lifecycle.connections():
            if {connection.worker, connection.peer_worker} == pair:
                connection.fail(ConnectionLost())
        self._lifecycle.check_all()

    def reconnect(self, a: str, b: str) -> None:
        self._runtime.network.restore(a, b)
        self._event("reconnect", a, b)

    def crash(self, name: str) -> None:
        self._event("crash", name, None)
        durable = self._durable
        for instance in durable.live():
            if instance.key[0] == name:
                durable.discard(instance.key, ConnectionLost())
        for connection in self._lifecycle.connections():
            if name in (connection.worker, connection.peer_worker):
                connection.fail(ConnectionLost())
        self._runtime.fail_running(ConnectionLost(), lambda context: context is not None and context.worker == name)
        for context in list(self._lifecycle.contexts.values()):
            if context.worker == name:
                for task in list(context.tasks or ()):
                    task.cancel()
                self._lifecycle.end(context, warn=False)
