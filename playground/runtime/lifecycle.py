"""Execution contexts and sessions: when they begin, when they end, what ending releases.

Theory of operation
-------------------
Every top-level call on a binding opens a *session* to a fresh *callee context* (for a Durable
Object, to the object's one long-lived context). Calls made later through stubs that came back
from it run in that same context.

A callee context ends when nothing can reach into it any more: its own call has been answered
and released, the caller holds no stub into it, no ``wait_until`` work is pending, and no call
is being forwarded through it. Then, as in Workers:

* stubs it still holds (ones it ``dup()``ed and never disposed, results it never disposed) are
  released, with the runtime's warning naming each leak;
* stubs it handed on to third parties (it was their *introducer*) stop working: calls on them
  fail with ``The execution context which hosts this callback is no longer running.``

``ctx.abort(reason)`` ends a context at once: calls in flight fail with ``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import RpcError, StubLeakWarning, Text
from ..protocol import Path
from ..trace import ContextEvent
from .bindings import Env
from .connection import FETCH_PATH, Connection
from .context import ExecutionContext
from .durable import NOT_EXTENDING, DurableObjectId
from .hooks import ErrorHook, Hook, PromiseHook, TargetHook
from .targets import RESERVED_ON_ENTRYPOINTS, DurableObject

if TYPE_CHECKING:
    from .world import Playground

__all__ = ["DurableTarget", "EntrypointTarget", "Lifecycle"]


@dataclass(frozen=True)
class EntrypointTarget:
    """A session to a new instance of an entrypoint (``props`` become its ``ctx.props``)."""

    worker: str
    entrypoint: str | None
    props: Any = None


@dataclass(frozen=True)
class DurableTarget:
    """A session to the one instance of a Durable Object."""

    key: tuple[str, str, str]
    object_id: DurableObjectId
    generation: int  # of the instance the stub was made for

    @property
    def worker(self) -> str:
        return self.key[0]


class Lifecycle:
    """Opens sessions and contexts for one playground, and ends them."""

    def __init__(self, world: Playground) -> None:
        self._world = world
        self.hosts: dict[str, ExecutionContext] = {}
        self.contexts: dict[int, ExecutionContext] = {}  # open callee and Durable Object contexts

    # -- contexts ------------------------------------------------------------------------------

    def host(self, worker: str) -> ExecutionContext:
        """The long-lived context that outside code (a notebook, a script) acts in."""
        context = self.hosts.get(worker)
        if context is None:
            context = ExecutionContext(self._world, worker, "host", "host")
            context.env = Env(self._world, worker, context)
            self.hosts[worker] = context
        return context

    def new_context(self, worker: str, kind: str, label: str) -> ExecutionContext:
        world = self._world
        context = ExecutionContext(world, worker, kind, label)
        context.env = Env(world, worker, context)
        self.contexts[context.id] = context
        self._event("opened", context)
        return context

    def _event(self, action: str, context: ExecutionContext) -> None:
        world = self._world
        rec = world.recorder
        rec.add(ContextEvent(rec.next_seq, world.now, action, context.worker, context.id, context.label))

    # -- sessions ------------------------------------------------------------------------------

    def open_session(self, caller: ExecutionContext, target: EntrypointTarget | DurableTarget) -> Connection:
        """A new session from ``caller`` to ``target``; returns the caller's end."""
        world = self._world
        world._check_open()
        worker = world._known(target.worker)
        assert worker is not None
        if isinstance(target, EntrypointTarget):
            entrypoint = worker.entrypoint(target.entrypoint)  # raises if it does not exist
        session_id = world._next_id()
        ours = Connection(world, caller, caller.worker, target.worker, session_id)
        theirs = Connection(world, None, target.worker, caller.worker, session_id)
        ours.peer, theirs.peer = theirs, ours
        if isinstance(target, DurableTarget):
            ours.durable_id = target.object_id.hex
            theirs.opener = lambda connection, path: self._open_durable(connection, target)
        else:
            theirs.opener = lambda connection, path: self._open_entrypoint(connection, target, entrypoint, path)
        world._connections[ours] = None
        world._connections[theirs] = None
        return ours

    def _open_entrypoint(self, connection: Connection, target: EntrypointTarget, ep: Any, path: Path) -> None:
        method = "fetch" if path == FETCH_PATH else (".".join(map(str, path)) or "(this)")
        label = method if ep.name == "default" else f"{ep.name}.{method}"
        context = self.new_context(target.worker, "fetch" if path == FETCH_PATH else "call", label)
        from .world import EntrypointContext

        context.api = EntrypointContext(context, target.props)
        self._attach(connection, context)
        main: Hook
        if ep.is_handler:
            main = TargetHook(ep.handler, context, reserved=RESERVED_ON_ENTRYPOINTS, handler=True, disposer=False)
        else:
            try:
                instance = context.construct(ep.cls)
            except Exception as exc:
                main = ErrorHook(exc)
            else:
                main = TargetHook(instance, context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False)
        connection.session.serve(main)

    def _open_durable(self, connection: Connection, target: DurableTarget) -> None:
        world = self._world
        durable = world.durable
        generation = target.generation
        try:
            instance = durable.instance(target.key, target.object_id)
        except Exception as exc:  # the constructor raised
            context = self.new_context(target.worker, "call", f"{target.key[1]} (constructor failed)")
            self._attach(connection, context)
            connection.session.serve(ErrorHook(exc))
            return
        assert instance.context is not None
        connection.context = instance.context
        instance.context.connections.add(connection)
        if generation != instance.generation:
            connection.session.serve(ErrorHook(durable.failure(target.key, generation) or RpcError(Text.CONTEXT_GONE)))
            return
        cls = instance.cls
        if issubclass(cls, DurableObject):
            main: Hook = GatedHook(instance, TargetHook(instance.obj, instance.context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False))
        else:
            main = NoRpcHook(instance.obj, instance.context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False)
        connection.session.serve(main)

    def _attach(self, connection: Connection, context: ExecutionContext) -> None:
        connection.context = context
        context.connections.add(connection)
        context.served = connection

    # -- ending ----------------------------------------------------------------------------------

    def check(self, context: ExecutionContext | None) -> None:
        """End ``context`` if nothing can reach into it any more."""
        if context is None or context.closed or context.kind not in ("call", "fetch"):
            return
        if any(not task.done() for task in context.tasks):
            return
        served = context.served
        if served is not None and not served.closed and served.broken is None and served.session.has_exports():
            return
        for connection in context.connections:
            if connection is not served and not connection.closed and connection.session.has_answers():
                return  # a call is being forwarded through this context
        self.end(context)

    def check_all(self) -> None:
        for context in list(self.contexts.values()):
            self.check(context)

    def end(self, context: ExecutionContext, *, warn: bool = True) -> None:
        """End ``context``: release what it holds (warning about leaks), break what it lent."""
        if context.closed:
            return
        context.closed = True
        self.contexts.pop(context.id, None)
        world = self._world
        held = list(context.handles)
        if held and warn:
            world.note("warning", context.worker, Text.STUB_LEAK)
            for rid in held:
                record = world.ledger.get(rid)
                if record is not None:
                    world.note("warning", context.worker, f"leaked: {world.ledger.describe(record)}")
            world.warn(
                f"{Text.STUB_LEAK} ({len(held)} stub(s) in {context.worker}, {context.label}; see play.trace)",
                StubLeakWarning,
            )
        callees = [
            c.peer.context
            for c in context.connections
            if c is not context.served and c.peer is not None and c.peer.context is not None
            and c.peer.context.served is c.peer and c.peer.context.kind in ("call", "fetch")
        ]
        for rid in held:
            world.ledger.release(rid)
        for connection in list(context.connections):
            if connection is not context.served:
                connection.break_exports(RpcError(Text.CONTEXT_GONE))
            connection.end_streams()
        self._event("closed", context)
        if callees:  # a client that is gone has disconnected: calls it made are canceled
            world.fail_running(RpcError(CLIENT_GONE), lambda c: c in callees)  # (wait_until work goes on)

    def abort(self, context: ExecutionContext, reason: BaseException) -> None:
        """``ctx.abort(reason)``: fail every call in flight in ``context`` and end it now."""
        if context.closed:
            return
        world = self._world
        instance = world.durable.instance_of(context) if context.kind == "durable" else None
        if instance is not None:
            world.durable.discard(instance.key, reason)
        world.fail_running(reason, lambda c: c is context)
        for task in list(context.tasks):
            task.cancel()
        for connection in list(context.connections):
            connection.abort_answers(reason, Text.CONTEXT_GONE)
        self.end(context, warn=False)

    def connection_closed(self, connection: Connection) -> None:
        context = connection.context
        if context is not None:
            context.connections.discard(connection)
        self.check(context)


CLIENT_GONE = "The client's execution context ended, so this request was canceled."


class GatedHook(Hook):
    """A Durable Object's main object: new calls wait while ``block_concurrency_while`` runs."""

    __slots__ = ("instance", "inner")

    def __init__(self, instance: Any, inner: TargetHook) -> None:
        self.instance = instance
        self.inner = inner

    def _gated(self, make: Any) -> Hook:
        gate = self.instance.gate
        if gate is None:
            return make()

        async def wait_then_call() -> Any:
            await gate.wait()
            return make()

        return PromiseHook.running(wait_then_call(), self.inner.context)

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Any = None) -> Hook:
        return self._gated(lambda: self.inner.call(path, args, kwargs, origin))

    def get(self, path: Path, origin: Any = None) -> Hook:
        return self._gated(lambda: self.inner.get(path, origin))

    def settle(self, callback: Any) -> None:
        self.inner.settle(callback)

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

    def call(self, path: Path, args: list[Any], kwargs: dict[str, Any] | None, origin: Any = None) -> Hook:
        return ErrorHook(TypeError(NOT_EXTENDING))

    def get(self, path: Path, origin: Any = None) -> Hook:
        return ErrorHook(TypeError(NOT_EXTENDING))
