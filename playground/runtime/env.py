"""A worker's ``env``: its bindings, checked, made on first use, and decoded when they cross RPC.

:class:`BindingTable` answers what a worker's ``env`` holds (and checks that every binding
points at something that exists); :class:`Env` is what one execution context sees; a binding
sent over RPC arrives as a stub made here (:meth:`BindingTable.decode_binding`, the
:class:`~.marshal.BindingCodec` of every connection).
"""

from __future__ import annotations

from typing import Any

import msgpack

from ..codec import Ext
from ..errors import ConfigurationError, RpcError, UnknownBindingError
from .bindings import ServiceHook, ServiceStub
from .context import ExecutionContext
from .shared import Runtime
from .durable import DurableObjectId, DurableObjectNamespace, DurableObjects
from .lifecycle import Lifecycle
from .marshal import MarshalEndpoint
from .worker import settle_durable_bindings

__all__ = ["BindingTable", "Env", "unknown_binding"]


class BindingTable:
    """The bindings of each worker of one playground."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lifecycle: Lifecycle = None  # type: ignore[assignment]  # set once both exist
        self.durable: DurableObjects = None  # type: ignore[assignment]
        self._checked: set[str] = set()  # workers whose bindings all resolve (workers are never removed)

    def env(self, worker: str, context: ExecutionContext) -> Env:
        """The ``env`` that ``context`` (of ``worker``) sees."""
        return Env(self, worker, context)

    def binding_names(self, worker: str) -> list[str]:
        w = self.runtime.workers.get(worker)
        if w is None:
            return []
        return sorted(set(w.services) | set(w.durable_objects) | set(w.vars))

    def validate(self, name: str) -> None:
        """Check that every binding of worker ``name`` points at something that exists."""
        if name in self._checked:
            return
        workers = self.runtime.workers
        worker = workers[name]
        for binding, (service, entrypoint) in worker.services.items():
            target = workers.get(service)
            if target is None:
                known = ", ".join(sorted(workers)) or "none"
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
        if worker._unsettled:
            settle_durable_bindings(workers)
        for binding, (owner, class_name) in worker.durable_objects.items():
            target = workers.get(owner)
            if target is None:
                known = ", ".join(sorted(workers)) or "none"
                raise ConfigurationError(
                    f'Worker "{name}" binds {binding} to Durable Object class {class_name} of '
                    f'worker "{owner}", which is not in this playground (workers: {known}). '
                    f'Write durable_objects={{"{binding}": ("worker", "ClassName")}}: the worker '
                    "first, as in services=."
                )
            try:
                target.durable_object_class(class_name)
            except ConfigurationError as exc:
                raise ConfigurationError(f'Worker "{name}" binding {binding}: {exc}') from None
        self._checked.add(name)

    def make_binding(self, worker: str, name: str, context: ExecutionContext) -> Any:
        w = self.runtime.workers.get(worker)
        if w is None:
            raise unknown_binding(worker, name, [])
        if name in w.services:
            self.validate(worker)
            service, entrypoint = w.services[name]
            return ServiceStub(ServiceHook(self.lifecycle, worker, service, entrypoint, context))
        if name in w.durable_objects:
            self.validate(worker)
            owner, class_name = w.durable_objects[name]
            return DurableObjectNamespace(self.durable, owner, class_name, context)
        if name in w.vars:
            return w.vars[name]
        raise unknown_binding(worker, name, self.binding_names(worker))

    def decode_binding(self, connection: MarshalEndpoint, code: Ext, data: bytes) -> object:
        """A binding that arrived over RPC, as a stub held by the receiving context."""
        context = connection.context
        assert context is not None
        if code is Ext.SERVICE:
            service, entrypoint, props = msgpack.unpackb(data)
            return ServiceStub(ServiceHook(self.lifecycle, context.worker, service, entrypoint, context, props))
        if code is Ext.DURABLE_OBJECT:
            worker, class_name, hex_id, name = msgpack.unpackb(data)
            key = (worker, class_name, hex_id)
            return ServiceStub(self.durable.hook(context, key, DurableObjectId(hex_id, name)))
        raise RpcError(f"cannot decode a {code.name.lower()} reference")


class Env:
    """The bindings of one worker, as seen from one execution context.

    ``env.NAME`` (or ``env["NAME"]``) gives the binding; ``dir(env)`` lists them.
    """

    __slots__ = ("_table", "_worker", "_context", "_cache")

    def __init__(self, table: BindingTable, worker: str, context: ExecutionContext) -> None:
        self._table = table
        self._worker = worker
        self._context = context
        self._cache: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if name[:1] == "_":
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        else:
            cached = cache.get(name)
            if cached is not None:
                return cached
        binding = self._table.make_binding(self._worker, name, self._context)
        cache[name] = binding
        return binding

    def __dir__(self) -> list[str]:
        return self._table.binding_names(self._worker)

    def __contains__(self, name: object) -> bool:
        return name in self._table.binding_names(self._worker)

    def __repr__(self) -> str:
        names = ", ".join(self._table.binding_names(self._worker)) or "no bindings"
        return f"<Env of {self._worker}: {names}>"


def unknown_binding(worker: str, name: str, known: list[str]) -> UnknownBindingError:
    listed = ", ".join(known) if known else "none"
    return UnknownBindingError(
        f'Worker "{worker}" has no binding named "{name}" (its bindings: {listed}). Declare it '
        f'with play.worker("{worker}", ..., services={{"{name}": "<service>"}}) or '
        f'durable_objects={{"{name}": "<ClassName>"}} (or ("<worker>", "<ClassName>")).'
    )
