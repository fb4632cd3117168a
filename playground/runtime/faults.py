"""Faults: links that go down, workers that crash, messages that are lost.

What breaks follows Workers: calls in flight and later calls across a fault fail with
``ConnectionLost`` (``Network connection lost.``, ``retryable = True``); stubs across it break;
what the other side had exported to us is released there (its ``__dispose__`` runs); no await
ever hangs. A crashed Durable Object loses its memory and keeps its storage.

The error's message is the runtime's text, then, on a line of its own, what happened and what
to do (:class:`~playground.errors.Text`): a broken stub is dead for good (get a new one by
calling again what gave it), while a call on a binding can be retried as it is.
"""

from __future__ import annotations

from ..errors import ConnectionLost, Text
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
                connection.fail(ConnectionLost(Text.lost_to_cut(a, b, connection.retry_via())))
        self._lifecycle.check_all()

    def reconnect(self, a: str, b: str) -> None:
        self._runtime.network.restore(a, b)
        self._event("reconnect", a, b)

    def crash(self, name: str) -> None:
        self._event("crash", name, None)
        durable = self._durable
        objects: dict[str, ConnectionLost] = {}  # the error of each of its Durable Objects, by id
        for instance in durable.live():
            if instance.key[0] == name:
                label = instance.context.label if instance.context is not None else instance.key[1]
                error = ConnectionLost(Text.lost_durable_object(label, name, self._namespaces(instance.key)))
                objects[instance.id.hex] = error
                durable.discard(instance.key, error)
        for connection in self._lifecycle.connections():
            if name in (connection.worker, connection.peer_worker):
                error = objects.get(connection.durable_id or "") or ConnectionLost(
                    Text.lost_to_crash(name, connection.retry_via())
                )
                connection.fail(error)
        crashed = ConnectionLost(Text.lost_to_crash(name, "a binding"))
        self._runtime.fail_running(crashed, lambda context: context is not None and context.worker == name)
        for context in list(self._lifecycle.contexts.values()):
            if context.worker == name:
                for task in list(context.tasks or ()):
                    task.cancel()
                self._lifecycle.end(context, warn=False)

    def _namespaces(self, key: tuple[str, str, str]) -> list[str]:
        """The bindings (of any worker) to the Durable Object class of ``key``."""
        owner, class_name = key[0], key[1]
        return sorted({
            binding
            for worker in self._runtime.workers.values()
            for binding, target in worker.durable_objects.items()
            if target == (owner, class_name)
        })
