"""Durable Objects: ids, namespaces, stubs, state and storage; one live instance per id.

``env.COUNTER`` (a ``durable_objects`` binding) is a :class:`DurableObjectNamespace`:
``ns.get(ns.id_from_name("room"))`` gives a :class:`DurableObjectStub`. Every call on the stub
opens a session (to a :class:`DurableTarget`) to the one instance of that id, made on first use
with ``Class(ctx, env)``; its memory lasts until it crashes or aborts, its storage for ever.
Calls reach the instance through its main hook, which holds new calls back while
``block_concurrency_while`` runs (:class:`GatedHook`).

A stub belongs to the *generation* of the object it was made for: once that instance is gone
(``ctx.abort()``, ``play.crash()``), calls on the old stub fail with the reason, and a new
``ns.get(id)`` reaches a fresh instance.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgpack

from ..codec import Ext, decode_value, encode_value, pack_small
from ..errors import RpcError, Text
from ..protocol import Path
from .contract import ErrorHook, Hook, Origin, Settled
from .bindings import BindingHook, ServiceStub
from .connection import Connection
from .context import ExecutionContext
from .shared import Runtime
from .hooks import PromiseHook, TargetHook
from .lifecycle import Lifecycle
from .targets import RESERVED_ON_ENTRYPOINTS, DurableObject

__all__ = [
    "NOT_EXTENDING",
    "DurableHook",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectState",
    "DurableObjectStub",
    "DurableObjects",
    "DurableTarget",
    "Storage",
]

NOT_EXTENDING = (
    "The receiving Durable Object does not support RPC, because its class was not declared with "
    "`extends DurableObject`. In order to enable RPC, make sure your class extends the special "
    'class `DurableObject`, which can be imported from the module "cloudflare:workers".'
)


class DurableObjectId:
    """The id of one Durable Object: 64 hex digits; ``name`` when made by ``id_from_name``."""

    __slots__ = ("hex", "name")

    def __init__(self, hex_id: str, name: str | None = None) -> None:
        self.hex = hex_id
        self.name = name

    def __str__(self) -> str:
        return self.hex

    def __repr__(self) -> str:
        return f"DurableObjectId({self.name!r})" if self.name is not None else f"DurableObjectId({self.hex[:12]}…)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DurableObjectId) and other.hex == self.hex

    def __hash__(self) -> int:
        return hash(self.hex)

    def equals(self, other: DurableObjectId) -> bool:
        return self == other


class Storage:
    """``ctx.storage``: an async key-value store kept across calls and crashes.

    Values are copied in and out with the RPC codec (so they are structured-clone values:
    what cannot cross RPC cannot be stored either). Keys are strings, listed in order.
    """

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    @staticmethod
    def _key(key: object) -> str:
        if not isinstance(key, str):
            raise TypeError(f"Storage keys are strings; got {key!r} ({type(key).__name__}).")
        return key

    async def get(self, key: str | Iterable[str]) -> Any:
        """The value of ``key`` (None if absent), or a dict for a list of keys."""
        if isinstance(key, str):
            data = self._data.get(key)
            return None if data is None else decode_value(data)
        return {k: decode_value(self._data[k]) for k in map(self._key, key) if k in self._data}

    async def put(self, key: str | dict[str, Any], value: Any = None) -> None:
        """Store ``value`` under ``key``, or every item of a dict."""
        items = key.items() if isinstance(key, dict) else [(key, value)]
        encoded = {self._key(k): encode_value(v) for k, v in items}  # all or nothing
        self._data.update(encoded)

    async def delete(self, key: str | Iterable[str]) -> bool | int:
        """Delete ``key`` (True if it existed), or a list of keys (how many existed)."""
        if isinstance(key, str):
            return self._data.pop(key, None) is not None
        return sum(self._data.pop(k, None) is not None for k in map(self._key, key))

    async def delete_all(self) -> None:
        self._data.clear()

    async def list(
        self,
        *,
        prefix: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        """Items in key order (``reverse`` for descending), filtered like the Workers API."""
        keys = sorted(self._data, reverse=reverse)
        out: dict[str, Any] = {}
        for key in keys:
            if prefix is not None and not key.startswith(prefix):
                continue
            if start is not None and key < start:
                continue
            if end is not None and key >= end:
                continue
            out[key] = decode_value(self._data[key])
            if limit is not None and len(out) >= limit:
                break
        return out

    def __len__(self) -> int:
        return len(self._data)


class DurableObjectState:
    """What a Durable Object sees as ``self.ctx``: ``id``, ``storage`` and the lifecycle calls."""

    def __init__(self, lifecycle: Lifecycle, instance: _Instance, context: ExecutionContext) -> None:
        self._lifecycle = lifecycle
        self._instance = instance
        self._context = context
        self.id = instance.id
        self.storage = instance.storage

    def wait_until(self, awaitable: Awaitable[Any]) -> None:
        """Keep this object's context alive until ``awaitable`` finishes."""
        self._context.wait_until(awaitable)

    async def block_concurrency_while(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``fn()``; new calls to this object wait until it is done. If it raises, the
        object is reset, as in Workers."""
        instance = self._instance
        instance.gate = gate = asyncio.Event()
        try:
            return await fn()
        except BaseException as exc:
            self._lifecycle.abort(self._context, exc)
            raise
        finally:
            if instance.gate is gate:
                instance.gate = None
            gate.set()

    def abort(self, reason: object = None) -> None:
        """Reset this object: calls in flight and calls on old stubs fail with ``reason``."""
        self._context.abort(reason, RpcError)

    def __repr__(self) -> str:
        return f"<DurableObjectState {self.id!r}>"


class _Instance:
    """One live Durable Object (one generation of one id)."""

    __slots__ = ("key", "id", "cls", "obj", "context", "storage", "generation", "gate")

    def __init__(self, key: tuple[str, str, str], object_id: DurableObjectId, cls: type, storage: Storage, generation: int) -> None:
        self.key = key
        self.id = object_id
        self.cls = cls
        self.obj: Any = None
        self.context: ExecutionContext | None = None
        self.storage = storage
        self.generation = generation
        self.gate: asyncio.Event | None = None


class DurableObjects:
    """Every Durable Object of a playground: live instances, generations, storage."""

    def __init__(self, runtime: Runtime, lifecycle: Lifecycle) -> None:
        self._runtime = runtime
        self._lifecycle = lifecycle
        self._storage: dict[tuple[str, str, str], Storage] = {}
        self._live: dict[tuple[str, str, str], _Instance] = {}
        self._generation: dict[tuple[str, str, str], int] = {}
        self._failure: dict[tuple[tuple[str, str, str], int], BaseException] = {}

    def generation(self, key: tuple[str, str, str]) -> int:
        return self._generation.get(key, 0)

    def hook(self, context: ExecutionContext, key: tuple[str, str, str], object_id: DurableObjectId) -> DurableHook:
        """The hook of a new stub held by ``context`` to object ``key``'s instance alive now."""
        return DurableHook(self, context, key, object_id, self.generation(key))

    def failure(self, key: tuple[str, str, str], generation: int) -> BaseException | None:
        """Why the instance of that generation is gone (None if it is not)."""
        return self._failure.get((key, generation))

    def instance(self, key: tuple[str, str, str], object_id: DurableObjectId) -> _Instance:
        """The live instance for ``key``, made (with its constructor run) if there is none."""
        live = self._live.get(key)
        if live is not None:
            return live
        worker, class_name, _ = key
        cls = self._runtime.workers[worker].durable_object_class(class_name)
        storage = self._storage.setdefault(key, Storage())
        instance = _Instance(key, object_id, cls, storage, self.generation(key))
        label = f"{class_name}({object_id.name if object_id.name is not None else object_id.hex[:8]})"
        context = self._lifecycle.new_context(worker, "durable", label)
        instance.context = context
        context.api = DurableObjectState(self._lifecycle, instance, context)
        context.on_abort = lambda reason: self.discard(key, reason)
        self._live[key] = instance
        try:
            instance.obj = context.construct(cls)
        except BaseException:
            del self._live[key]  # no instance was made: the next request constructs one again
            raise
        return instance

    def discard(self, key: tuple[str, str, str], reason: BaseException) -> _Instance | None:
        """The instance is gone (aborted, crashed): old stubs fail with ``reason``."""
        instance = self._live.pop(key, None)
        generation = self.generation(key)
        self._failure[(key, generation)] = reason
        self._generation[key] = generation + 1
        return instance

    def live(self) -> list[_Instance]:
        return list(self._live.values())

    def clear(self) -> None:
        """Forget every instance (the playground was closed; storage goes too)."""
        self._live.clear()
        self._storage.clear()


class DurableObjectNamespace:
    """``env.BINDING`` for Durable Objects: make ids, get stubs."""

    def __init__(self, durable: DurableObjects, worker: str, class_name: str, home: ExecutionContext) -> None:
        self._durable = durable
        self._worker = worker
        self._class_name = class_name
        self._home = home

    def id_from_name(self, name: str) -> DurableObjectId:
        """The same id for the same name, always."""
        if not isinstance(name, str):
            raise TypeError(f"id_from_name() takes a string; got {name!r}.")
        digest = hashlib.sha256(f"{self._worker}\0{self._class_name}\0{name}".encode()).hexdigest()
        return DurableObjectId(digest, name)

    def new_unique_id(self) -> DurableObjectId:
        """A fresh id (from the playground's seeded random numbers)."""
        return DurableObjectId(f"{self._durable._runtime.random.getrandbits(256):064x}")

    def id_from_string(self, hex_id: str) -> DurableObjectId:
        if not isinstance(hex_id, str) or len(hex_id) != 64 or any(c not in "0123456789abcdef" for c in hex_id):
            raise TypeError(f"Invalid Durable Object ID: {hex_id!r} (64 lower-case hex digits expected).")
        return DurableObjectId(hex_id)

    def get(self, object_id: DurableObjectId) -> DurableObjectStub:
        """A stub for the object ``object_id`` (made on first call)."""
        if not isinstance(object_id, DurableObjectId):
            raise TypeError(
                f"get() takes a DurableObjectId (from id_from_name or new_unique_id); got {object_id!r}."
            )
        key = (self._worker, self._class_name, object_id.hex)
        return DurableObjectStub(self._durable.hook(self._home, key, object_id))

    def get_by_name(self, name: str) -> DurableObjectStub:
        return self.get(self.id_from_name(name))

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self._class_name} in {self._worker}>"


class DurableObjectStub(ServiceStub):
    """A stub to one Durable Object. ``id`` and ``name`` are its own (they shadow RPC methods
    of those names); every other attribute is a remote property; ``fetch`` sends HTTP."""

    __slots__ = ()

    _not_callable = "A Durable Object stub is not callable; call one of its methods: stub.method(...)"

    @property
    def id(self) -> DurableObjectId:
        return self._hook.object_id  # type: ignore[union-attr]

    @property
    def name(self) -> str | None:
        return self._hook.object_id.name  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._desc}>"


class DurableHook(BindingHook):
    """A Durable Object stub: calls reach the instance of the generation it was made for."""

    __slots__ = ("durable", "key", "object_id", "generation")

    def __init__(
        self,
        durable: DurableObjects,
        home: ExecutionContext,
        key: tuple[str, str, str],
        object_id: DurableObjectId,
        generation: int,
    ) -> None:
        super().__init__(durable._lifecycle, home.worker, home)
        self.durable = durable
        self.key = key
        self.object_id = object_id
        self.generation = generation

    def session_target(self) -> DurableTarget:
        return DurableTarget(self.durable, self.key, self.object_id, self.generation)

    def wire_form(self) -> Any:
        """It crosses as a plain stub to the object (it loses id and name, as in Workers)."""
        return msgpack.ExtType(Ext.DURABLE_OBJECT, pack_small([*self.key, self.object_id.name]))

    def _broken(self) -> Hook | None:
        failure = self.durable.failure(self.key, self.generation)
        return ErrorHook(failure) if failure is not None else None

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return self._broken() or super().call(path, args, kwargs, origin)

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return self._broken() or super().get(path, origin)

    def settle(self, callback: Settled) -> None:
        callback(True, DurableObjectStub(self))

    def describe(self) -> str:
        name = self.object_id.name
        return f"{self.key[1]}({name if name is not None else str(self.object_id)[:8]}) in {self.key[0]}"

    @property
    def worker(self) -> str | None:
        return self.key[0]


class DurableTarget:
    """A session to the one instance of a Durable Object (of the generation a stub was made for)."""

    __slots__ = ("durable", "key", "object_id", "generation")

    def __init__(
        self, durable: DurableObjects, key: tuple[str, str, str], object_id: DurableObjectId, generation: int
    ) -> None:
        self.durable = durable
        self.key = key
        self.object_id = object_id
        self.generation = generation

    @property
    def worker(self) -> str:
        return self.key[0]

    @property
    def durable_id(self) -> str:
        return self.object_id.hex

    def prepare(self, lifecycle: Lifecycle) -> Callable[[Connection, Path], None]:
        return self._open

    def _open(self, connection: Connection, path: Path) -> None:
        durable = self.durable
        lifecycle = durable._lifecycle
        key, generation = self.key, self.generation
        try:
            instance = durable.instance(key, self.object_id)
        except Exception as exc:  # the constructor raised
            context = lifecycle.new_context(key[0], "call", f"{key[1]} (constructor failed)")
            lifecycle.attach(connection, context)
            connection.session.serve(ErrorHook(exc))
            return
        assert instance.context is not None
        lifecycle.attach(connection, instance.context, served=False)
        if generation != instance.generation:
            connection.session.serve(ErrorHook(durable.failure(key, generation) or RpcError(Text.CONTEXT_GONE)))
            return
        if issubclass(instance.cls, DurableObject):
            inner = TargetHook(instance.obj, instance.context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False)
            main: Hook = GatedHook(instance, inner)
        else:
            main = NoRpcHook(instance.obj, instance.context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False)
        connection.session.serve(main)


class GatedHook(Hook):
    """A Durable Object's main object: new calls wait while ``block_concurrency_while`` runs."""

    __slots__ = ("instance", "inner")

    def __init__(self, instance: _Instance, inner: TargetHook) -> None:
        self.instance = instance
        self.inner = inner

    def _gated(self, make: Any) -> Hook:
        gate = self.instance.gate
        if gate is None:
            return make()  # type: ignore[no-any-return]

        async def wait_then_call() -> Any:
            await gate.wait()
            return make()

        return PromiseHook.running(wait_then_call(), self.inner.context)

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return self._gated(lambda: self.inner.call(path, args, kwargs, origin))

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return self._gated(lambda: self.inner.get(path, origin))

    def settle(self, callback: Settled) -> None:
        self.inner.settle(callback)

    def fetch(self, request: Any) -> Hook:
        return self.inner.fetch(request)

    def dup(self) -> Hook:
        return GatedHook(self.instance, self.inner.dup())  # type: ignore[arg-type]

    def dispose(self) -> None:
        self.inner.dispose()

    @property
    def target(self) -> Any:
        return self.inner.target

    @property
    def handler(self) -> bool:
        return False

    def describe(self) -> str:
        return self.inner.describe()


class NoRpcHook(TargetHook):
    """A Durable Object whose class does not extend ``DurableObject``: fetch only."""

    __slots__ = ()

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Origin = None) -> Hook:
        return ErrorHook(TypeError(NOT_EXTENDING))

    def get(self, path: Path, origin: Origin = None) -> Hook:
        return ErrorHook(TypeError(NOT_EXTENDING))

