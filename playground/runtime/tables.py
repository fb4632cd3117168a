"""Two parts of ``Playground`` kept apart for size: its bindings table and its trace helpers.

``BindingTable`` answers what a worker's ``env`` holds (and checks that every binding points at
something that exists); ``Tracing`` records calls, awaits and notes, and holds back warnings
until control returns to the user.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..sim.clock import NS
from ..trace import AwaitEvent, CallEvent, NoteEvent
from .bindings import ServiceHook, ServiceStub, unknown_binding
from .context import ExecutionContext
from .durable import DurableObjectNamespace
from .hooks import Hook
from .remote import QuestionHook

if TYPE_CHECKING:
    from ..sim.clock import VirtualLoop
    from ..trace import Recorder
    from .connection import Connection
    from .worker import Worker

__all__ = ["BindingTable", "Tracing"]


class BindingTable:
    """The bindings of each worker (a part of :class:`~playground.Playground`)."""

    _workers: dict[str, Worker]
    _bindings_checked: set[str]  # workers whose bindings all resolve (workers are never removed)

    def binding_names(self, worker: str) -> list[str]:
        w = self._workers.get(worker)
        if w is None:
            return []
        return sorted(set(w.services) | set(w.durable_objects) | set(w.vars))

    def _validate_bindings(self, name: str) -> None:
        if name in self._bindings_checked:
            return
        worker = self._workers[name]
        for binding, (service, entrypoint) in worker.services.items():
            target = self._workers.get(service)
            if target is None:
                known = ", ".join(sorted(self._workers)) or "none"
                raise ConfigurationError(
                    f'Worker "{name}" binds {binding} to service "{service}", which is not in this '
                    f'playground (workers: {known}). Add it with play.worker("{service}", ...) or '
                    "fix the binding."
                )
            try:
                if entrypoint is not None:
                    target.entrypoint_class(entrypoint)
            except ConfigurationError as exc:
                raise ConfigurationError(f'Worker "{name}" binding {binding}: {exc}') from None
        for binding, (class_name, owner) in worker.durable_objects.items():
            target = self._workers.get(owner)
            if target is None:
                raise ConfigurationError(
                    f'Worker "{name}" binds {binding} to Durable Object class {class_name} of '
                    f'worker "{owner}", which is not in this playground.'
                )
            try:
                target.durable_object_class(class_name)
            except ConfigurationError as exc:
                raise ConfigurationError(f'Worker "{name}" binding {binding}: {exc}') from None
        self._bindings_checked.add(name)

    def make_binding(self, worker: str, name: str, context: ExecutionContext) -> Any:
        w = self._workers.get(worker)
        if w is None:
            raise unknown_binding(worker, name, [])
        if name in w.services:
            self._validate_bindings(worker)
            service, entrypoint = w.services[name]
            return ServiceStub(ServiceHook(self, worker, service, entrypoint, context))  # type: ignore[arg-type]
        if name in w.durable_objects:
            self._validate_bindings(worker)
            class_name, owner = w.durable_objects[name]
            return DurableObjectNamespace(self, owner, class_name, context)  # type: ignore[arg-type]
        if name in w.vars:
            return w.vars[name]
        raise unknown_binding(worker, name, self.binding_names(worker))


class Tracing:
    """Recording calls, awaits and notes (a part of :class:`~playground.Playground`)."""

    _warnings: list[tuple[str, type[Warning]]]
    recorder: Recorder
    loop: VirtualLoop

    @property
    def now(self) -> float:  # pragma: no cover - defined by Playground
        raise NotImplementedError

    def record_call(
        self,
        connection: Connection,
        question: int,
        path: tuple[Any, ...],
        is_get: bool,
        pipelined: bool,
        target_call: int | None,
        target_stub: int | None,
        where: tuple[str, int] | None,
        promise_args: tuple[int, ...] = (),
    ) -> int:
        rec = self.recorder
        seq = rec.next_seq
        rec.add(
            CallEvent(
                seq,
                self.loop._now_ns / NS,
                connection.worker,
                connection.peer_worker,
                connection.session_id,
                question,
                path,
                is_get,
                pipelined,
                target_call,
                target_stub,
                where,
                promise_args,
            )
        )
        return seq

    def call_where(self, call_seq: int | None) -> tuple[str, int] | None:
        if call_seq is None:
            return None
        event = self.recorder.events[call_seq]
        return event.where if isinstance(event, CallEvent) else None

    def note_await(self, hook: Hook, context: ExecutionContext | None, where: tuple[str, int] | None) -> None:
        call = hook.call_seq if isinstance(hook, QuestionHook) else None
        rec = self.recorder
        worker = context.worker if context is not None else "(local)"
        rec.add(AwaitEvent(rec.next_seq, self.now, worker, call, where))

    def warn(self, text: str, category: type[Warning]) -> None:
        """A warning for the user, issued when control returns to them (never from inside the
        simulation, where a warnings filter set to "error" would break it)."""
        self._warnings.append((text, category))

    def flush_warnings(self) -> None:
        pending, self._warnings = self._warnings, []
        for text, category in pending:
            warnings.warn(text, category, stacklevel=3)

    def note(self, level: str, worker: str, text: str) -> None:
        rec = self.recorder
        rec.add(NoteEvent(rec.next_seq, self.now, level, worker, text))
