"""``Playground``: the simulated world — workers, links, the virtual clock, and the trace."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import math
import weakref
from asyncio import events
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import msgpack

from ..codec import Ext, encode_value, marker, pack_small
from ..errors import (
    ConfigurationError,
    ConnectionLost,
    DeadlockError,
    RpcError,
    SimulationError,
    Text,
    UnknownWorkerError,
)
from ..sim.clock import NS, VirtualLoop
from ..sim.network import Link, LinkProperties, Network
from ..sim.units import Duration, parse_bandwidth, parse_duration_ns
from ..trace import AwaitEvent, CallEvent, ContextEvent, FaultEvent, NoteEvent, Recorder, Recording, Trace
from .bindings import BindingHook, Env, ServiceStub, unknown_binding
from .compat import Compatibility
from .connection import Connection
from .context import ExecutionContext, current
from .hooks import ErrorHook, Hook, PromiseHook, QuestionHook, TargetHook, hook_for
from .http import Headers, Request, Response
from .invoke import class_member
from .ledger import Ledger, StubInfo
from .stubs import RpcPromise
from .targets import RESERVED_ON_ENTRYPOINTS
from .worker import Worker, define_worker

__all__ = ["CLIENT", "EntrypointContext", "Playground", "latest", "playgrounds", "watch_playgrounds"]

T = TypeVar("T")

#: The pseudo-worker that ``play.fetch`` sends HTTP requests from (a visitor on the Internet).
CLIENT = "internet"


class _Ids:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        return next(self._counter)


class Playground:
    """A simulated Workers world: workers that call each other over links in virtual time.

    ``latency`` (one way, every link), ``jitter`` (added at random, seeded), ``bandwidth`` (bytes
    per second, or a string like ``"10MB/s"``) are link defaults, overridden per pair by
    :meth:`link`. Durations are seconds or strings with a unit (``"25ms"``). ``seed`` fixes every
    random choice. ``pace`` > 0 makes virtual time follow the wall clock, ``pace`` wall seconds per
    virtual second, for live demos. ``compatibility_date`` and ``compatibility_flags`` select the
    runtime's older behaviours (see the README); the default is the newest.
    """

    def __init__(
        self,
        latency: Duration = 0.0,
        *,
        jitter: Duration = 0.0,
        bandwidth: float | str | None = None,
        seed: int | str = 0,
        pace: float = 0.0,
        compatibility_date: Any = None,
        compatibility_flags: Iterable[str] = (),
    ) -> None:
        latency_ns = parse_duration_ns(latency, "latency")
        jitter_ns = parse_duration_ns(jitter, "jitter")
        rate = parse_bandwidth(bandwidth)
        if isinstance(seed, bool) or not isinstance(seed, (int, str)):
            raise ConfigurationError(f"seed must be an int or a str; got {seed!r}.")
        if isinstance(pace, bool) or not isinstance(pace, (int, float)) or not math.isfinite(pace) or pace < 0:
            raise ConfigurationError(
                f"pace must be a number >= 0 (wall seconds per virtual second; 0 = instant); got {pace!r}."
            )
        self.compatibility = Compatibility.select(compatibility_date, compatibility_flags)
        self.seed = seed
        self.loop = VirtualLoop(pace)
        self.network = Network(self.loop, LinkProperties(latency_ns, jitter_ns, rate, 0.0), seed)
        self.recorder = Recorder()
        self.ledger = Ledger(self)
        self._next_id = _Ids()
        self._workers: dict[str, Worker] = {}
        self._hosts: dict[str, ExecutionContext] = {}
        self._connections: dict[Connection, None] = {}
        self._running: dict[PromiseHook, None] = {}  # results being computed, for hang detection
        self._contexts: dict[int, ExecutionContext] = {}  # open callee contexts
        self._host_woken = False
        self._closed = False
        _set_latest(self)

    def __repr__(self) -> str:
        return (
            f"<Playground {len(self._workers)} worker(s), t={self.now * 1000:g} ms, "
            f"{len(self.recorder.events)} event(s)>"
        )

    # -- building the world --------------------------------------------------------------------

    def worker(
        self,
        name: str,
        main: Any,
        *,
        exports: Any = (),
        services: Any = None,
        durable_objects: Any = None,
    ) -> Worker:
        """Add a worker. ``main`` is its default entrypoint: a ``WorkerEntrypoint`` subclass, or
        a class or object with a ``fetch`` handler. ``exports`` are named entrypoints and
        Durable Object classes; ``services`` maps binding names to ``"service"`` or
        ``("service", "Entrypoint")``; ``durable_objects`` maps binding names to ``"ClassName"``
        or ``("ClassName", "worker")``."""
        self._check_open()
        worker = define_worker(name, main, exports=exports, services=services, durable_objects=durable_objects)
        if name == CLIENT:
            raise ConfigurationError(
                f'"{CLIENT}" is the name of the pseudo-worker play.fetch() sends requests from; '
                "choose another name for your worker."
            )
        if name in self._workers:
            raise ConfigurationError(f'A worker named "{name}" already exists in this playground.')
        self._workers[name] = worker
        return worker

    def link(
        self,
        a: str,
        b: str,
        *,
        latency: Duration | None = None,
        jitter: Duration | None = None,
        bandwidth: float | str | None = None,
        loss: float | None = None,
    ) -> Link:
        """Set the network properties between workers ``a`` and ``b`` (both directions)."""
        for name in (a, b):
            self._known(name, allow_client=True)
        changes: dict[str, Any] = {}
        if latency is not None:
            changes["latency_ns"] = parse_duration_ns(latency, "latency")
        if jitter is not None:
            changes["jitter_ns"] = parse_duration_ns(jitter, "jitter")
        if bandwidth is not None:
            changes["bandwidth"] = parse_bandwidth(bandwidth)
        if loss is not None:
            if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not 0 <= loss <= 1:
                raise ConfigurationError(f"loss must be a probability from 0 to 1; got {loss!r}.")
            changes["loss"] = float(loss)
        return self.network.configure(a, b, **changes)

    @property
    def workers(self) -> dict[str, Worker]:
        """The workers, by name (a copy)."""
        return dict(self._workers)

    def _known(self, name: Any, *, allow_client: bool = False) -> Worker | None:
        if allow_client and name == CLIENT:
            return None
        worker = self._workers.get(name) if isinstance(name, str) else None
        if worker is None:
            known = ", ".join(sorted(self._workers)) or "none yet"
            raise UnknownWorkerError(
                f"No worker named {name!r} in this playground (workers: {known}). Add it first "
                f"with play.worker({name!r}, ...)."
            )
        return worker

    # -- acting from outside -------------------------------------------------------------------

    def env(self, name: str) -> Env:
        """The bindings of worker ``name``; calls made through them leave from that worker."""
        self._check_open()
        self._known(name)
        self._validate_bindings(name)
        return self._host(name).env

    def fetch(self, name: str, request: str | Request, **init: Any) -> RpcPromise:
        """Send an HTTP request (a URL or a ``Request``) to worker ``name``'s ``fetch`` handler,
        from the pseudo-worker ``internet``. Await it for the ``Response``."""
        self._check_open()
        self._known(name)
        host = self._host(CLIENT)
        hook = BindingHook(self, CLIENT, name, None, host)
        return ServiceStub(hook).fetch(request, **init)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` in the playground until it completes, and return its result.

        Works from a script or a test (no loop running), and from inside a running loop such as
        a Jupyter cell (the playground's loop is driven nested, without patching anything).
        """
        self._check_open()
        if not inspect.isawaitable(awaitable):
            raise TypeError(
                f"play.run() takes something to await (a coroutine or an RPC promise); got "
                f"{type(awaitable).__name__}. Did you mean play.run(main()) rather than play.run(main)?"
            )
        if events._get_running_loop() is self.loop:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            elif isinstance(awaitable, RpcPromise):
                awaitable._dispose()
            raise SimulationError(
                "play.run() was called from code already running inside the playground; use "
                "`await` there instead."
            )
        task = self.loop.create_task(_as_coroutine(awaitable))
        try:
            self.loop.run_until(task.done, self._on_idle)
        except BaseException:
            task.cancel()
            raise
        return task.result()

    async def sleep(self, seconds: Duration) -> None:
        """Wait ``seconds`` of virtual time (from worker code or from outside)."""
        delay = parse_duration_ns(seconds, "sleep duration") / NS
        if events._get_running_loop() is self.loop:
            await asyncio.sleep(delay)
            return
        future = self.loop.create_future()
        self.loop.call_later(delay, _set_done, future)
        await self.wait_from_host(future)

    async def idle(self) -> None:
        """Let everything pending happen (deliveries, releases, disposers) until nothing is left."""
        loop = self.loop
        if events._get_running_loop() is not loop:
            await asyncio.sleep(0)
            loop.run_until(lambda: False)
            return
        while True:  # from inside: sleep past every scheduled timer until none is left
            await asyncio.sleep(0)
            loop._drop_cancelled_timers()
            timers = [t for t in loop._scheduled if not t._cancelled]
            if not timers:
                if not loop._ready:
                    return
                continue
            latest_ns = max(t._when_ns for t in timers)  # type: ignore[attr-defined]
            await asyncio.sleep(max(latest_ns - loop._now_ns, 0) / NS)

    @property
    def transfer_params(self) -> bool:
        """Stubs in call parameters move to the callee (the runtime's older mode)."""
        return not self.compatibility.dup_params

    @property
    def now(self) -> float:
        """Virtual time, in seconds."""
        return self.loop._now_ns / NS

    # -- seeing it -----------------------------------------------------------------------------

    @property
    def trace(self) -> Trace:
        """Every event so far (a live view)."""
        return Trace(self.recorder, lambda: self.loop._now_ns, workers=self._lanes)

    def record(self) -> Recording:
        """``with play.record() as rec:`` — the events of the block, as a trace segment."""
        return Recording(
            self.recorder,
            lambda: self.loop._now_ns,
            start=self.recorder.next_seq,
            start_ns=self.loop._now_ns,
            workers=self._lanes,
        )

    def _lanes(self) -> list[str]:
        names = list(self._workers)
        if CLIENT in self._hosts:
            names.insert(0, CLIENT)
        return names

    def stubs(self) -> list[StubInfo]:
        """Every live stub (and promise still holding a remote result), in every worker."""
        return self.ledger.infos()

    def leaks(self) -> list[StubInfo]:
        """Live stubs not disposed — excluding parameters the runtime disposes by itself when
        their call settles."""
        return self.ledger.infos(leaks_only=True)

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Dispose every stub still held, let the releases happen, and stop the world."""
        if self._closed:
            return
        if events._get_running_loop() is self.loop:
            raise SimulationError("play.close() cannot be called from inside the playground.")
        self.ledger.release_all()
        self.loop.run_until(lambda: False)
        self._on_idle()
        self.loop.run_until(lambda: False)
        for connection in list(self._connections):
            connection.fail(SimulationError("The playground was closed."))
        self._closed = True
        self.loop.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def open_connections(self) -> list[Connection]:
        """Connection ends whose session has not ended (for leak checks)."""
        return list(self._connections)

    def _check_open(self) -> None:
        if self._closed:
            raise SimulationError("This playground has been closed; create a new Playground.")

    # -- internals: contexts and sessions ------------------------------------------------------

    def _host(self, name: str) -> ExecutionContext:
        context = self._hosts.get(name)
        if context is None:
            context = ExecutionContext(self, name, "host", "host")
            context.env = Env(self, name, context)
            self._hosts[name] = context
        return context

    def open_session(self, caller: ExecutionContext, service: str, entrypoint: str | None) -> Connection:
        """A new session from ``caller`` to a fresh context of ``service``; returns our end."""
        self._check_open()
        worker = self._known(service)
        assert worker is not None
        ep = worker.entrypoint(entrypoint)
        session_id = self._next_id()
        ours = Connection(self, caller, caller.worker, service, session_id)
        theirs = Connection(self, None, service, caller.worker, session_id)
        ours.peer, theirs.peer = theirs, ours
        theirs.opener = lambda connection, path: self._open_callee(connection, worker, ep, path)
        self._connections[ours] = None
        self._connections[theirs] = None
        return ours

    def _open_callee(self, connection: Connection, worker: Worker, ep: Any, path: tuple[Any, ...]) -> None:
        method = ".".join(map(str, path)) if path else "(this)"
        if method == "#fetch":
            method = "fetch"
        label = f"{ep.name}.{method}" if ep.name != "default" else method
        context = ExecutionContext(self, worker.name, "call", label)
        self._contexts[context.id] = context
        context.env = Env(self, worker.name, context)
        context.api = EntrypointContext(context)
        connection.context = context
        context.connections.add(connection)
        self._context_event("opened", context)
        main: Hook
        if ep.is_handler:
            context.instance = ep.handler
            main = TargetHook(
                ep.handler, context, reserved=RESERVED_ON_ENTRYPOINTS, handler=True, disposer=False
            )
        else:
            try:
                instance = context.run_sync(ep.cls, context.api, context.env)
                if not hasattr(instance, "env"):
                    instance.env = context.env
                if not hasattr(instance, "ctx"):
                    instance.ctx = context.api
            except Exception as exc:
                main = ErrorHook(exc)
            else:
                context.instance = instance
                main = TargetHook(instance, context, reserved=RESERVED_ON_ENTRYPOINTS, disposer=False)
        connection.session.serve(main)

    def _context_event(self, action: str, context: ExecutionContext) -> None:
        rec = self.recorder
        rec.add(ContextEvent(rec.next_seq, self.now, action, context.worker, context.id, context.label))

    def connection_closed(self, connection: Connection) -> None:
        self._connections.pop(connection, None)
        context = connection.context
        if context is not None and context.kind != "host" and not context.connections and not context.closed:
            if not context.tasks:
                self._end_context(context)

    def _end_context(self, context: ExecutionContext) -> None:
        context.closed = True
        self._contexts.pop(context.id, None)
        self._context_event("closed", context)

    def message_lost(self, connection: Connection, seq: int) -> None:
        """A message of ``connection`` was dropped: the session cannot go on."""
        rec = self.recorder
        rec.add(FaultEvent(rec.next_seq, self.now, "lost", connection.worker, connection.peer_worker, f"message {seq}"))
        self.loop.call_soon(connection.fail, ConnectionLost())
        if connection.peer is not None:
            self.loop.call_soon(connection.peer.fail, ConnectionLost())

    # -- internals: bindings ------------------------------------------------------------------

    def binding_names(self, worker: str) -> list[str]:
        w = self._workers[worker] if worker in self._workers else None
        if w is None:
            return []
        return sorted(set(w.services) | set(w.durable_objects))

    def _validate_bindings(self, name: str) -> None:
        worker = self._workers[name]
        for binding, (service, entrypoint) in worker.services.items():
            target = self._workers.get(service)
            if target is None:
                known = ", ".join(sorted(self._workers)) or "none"
                raise ConfigurationError(
                    f'Worker "{name}" binds {binding} to service "{service}", which is not in this '
                    f"playground (workers: {known}). Add it with play.worker(\"{service}\", ...) or "
                    "fix the binding."
                )
            try:
                target.entrypoint(entrypoint)
            except ConfigurationError as exc:
                raise ConfigurationError(f'Worker "{name}" binding {binding}: {exc}') from None

    def make_binding(self, worker: str, name: str, context: ExecutionContext) -> Any:
        w = self._workers.get(worker)
        if w is None:
            raise unknown_binding(worker, name, [])
        if name in w.services:
            self._validate_bindings(worker)
            service, entrypoint = w.services[name]
            return ServiceStub(BindingHook(self, worker, service, entrypoint, context))
        raise unknown_binding(worker, name, self.binding_names(worker))

    # -- internals: the codec's view of runtime objects ----------------------------------------

    def encode_special(self, obj: object) -> object:
        if isinstance(obj, ServiceStub):
            hook = obj._binding
            return msgpack.ExtType(Ext.SERVICE, pack_small([hook.service, hook.entrypoint]))
        if isinstance(obj, Request):
            return [marker(Ext.REQUEST), obj.url, obj.method, obj.headers._pairs(), _body_for_wire(obj)]
        if isinstance(obj, Response):
            return [
                marker(Ext.RESPONSE),
                obj.status,
                obj.status_text,
                obj.headers._pairs(),
                _body_for_wire(obj),
            ]
        if isinstance(obj, Headers):
            return [marker(Ext.HEADERS), obj._pairs()]
        return NotImplemented

    def decode_capability(self, connection: Connection, code: Ext, data: bytes) -> object:
        if code is Ext.SERVICE:
            service, entrypoint = msgpack.unpackb(data)
            context = connection.context
            assert context is not None
            return ServiceStub(BindingHook(self, context.worker, service, entrypoint, context))
        raise RpcError(f"cannot decode a {code.name.lower()} reference")

    def decode_marked(self, connection: Connection, code: Ext, items: list[Any]) -> object:
        if code is Ext.REQUEST:
            url, method, headers, body = items
            return Request(url, method=method, headers=headers, body=body)
        if code is Ext.RESPONSE:
            status, status_text, headers, body = items
            return Response(body, status=status, headers=headers, status_text=status_text)
        if code is Ext.HEADERS:
            return Headers(items[0])
        raise RpcError(f"cannot decode a {code.name.lower()} value")

    def encode_error(self, error: BaseException, connection: Connection) -> bytes:
        """An exception thrown by a callee, as it is sent back."""
        try:
            return encode_value(error, None, limit=False)
        except Exception:
            return encode_value(RpcError(str(error)), None, limit=False)

    def decode_error(self, error: Any) -> BaseException:
        """An exception that arrived from the other side: marked ``remote``."""
        if not isinstance(error, BaseException):
            error = RpcError(str(error))
        try:
            error.remote = True  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            pass
        return error

    # -- internals: trace ------------------------------------------------------------------------

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

    def note(self, level: str, worker: str, text: str) -> None:
        rec = self.recorder
        rec.add(NoteEvent(rec.next_seq, self.now, level, worker, text))

    # -- internals: targets ----------------------------------------------------------------------

    def schedule_disposer(self, target: Any, disposer: Any, context: ExecutionContext) -> None:
        """Run ``disposer`` (a target's ``__dispose__``) soon, in ``context``; errors are reported,
        never raised into the code that released the target."""
        from .invoke import describe_target

        def run() -> None:
            self.ledger.exported("disposer", context.worker, describe_target(target))
            token = current.set(context)
            try:
                result = disposer()
            except Exception as exc:
                self._report(exc, f"__dispose__ of {describe_target(target)} raised")
                return
            finally:
                current.reset(token)
            if inspect.isawaitable(result):
                task = context.task(_as_coroutine(result))
                task.add_done_callback(self._report_task_error)

        self.loop.call_soon(run)

    def _report_task_error(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._report(task.exception(), "__dispose__ raised")

    def _report(self, exc: BaseException | None, text: str) -> None:
        self.note("error", "", f"{text}: {exc!r}")
        self.loop.call_exception_handler({"message": text, "exception": exc})

    def serve_fetch(self, connection: Connection, target: Hook, values: list[Any]) -> Hook:
        """An HTTP request arrived for the main object of ``connection``."""
        context = connection.context
        request = values[0] if values else None
        if not isinstance(request, Request):
            return ErrorHook(TypeError("fetch() needs a Request"))
        if not isinstance(target, TargetHook):
            return target
        if target.handler:
            fetch = getattr(target.target, "fetch", None)
            args: list[Any] = [request, context.env if context else None, context.api if context else None]
            try:
                arity = len(inspect.signature(fetch).parameters) if fetch is not None else 0
            except (TypeError, ValueError):
                arity = 3
            args = args[: max(arity, 1)]
        else:
            try:
                fetch = class_member(target.target, "fetch")
            except Exception:
                fetch = None
            args = [request]
        if fetch is None:
            return ErrorHook(TypeError("Handler does not export a fetch() function."))
        token = current.set(context)
        try:
            result = fetch(*args)
        except Exception as exc:
            return ErrorHook(exc)
        finally:
            current.reset(token)
        if inspect.isawaitable(result):
            result = _expect_response(result)
        elif not isinstance(result, Response):
            return ErrorHook(TypeError(_NOT_RESPONSE))
        return hook_for(result, context)

    # -- internals: driving the clock from another loop ------------------------------------------

    def _wake_host(self, _: Any = None) -> None:
        self._host_woken = True

    async def wait_from_host(self, future: asyncio.Future[Any]) -> Any:
        """Await a future of the playground's loop from another running loop (Jupyter, a script
        under ``asyncio.run``), driving the playground until it is done."""
        loop = self.loop
        future.add_done_callback(self._wake_host)
        await asyncio.sleep(0)  # let other host tasks send their calls first (gather)
        idle_once = False
        anchored = False
        while not future.done():
            self._check_open()
            self._host_woken = False
            state = loop.run_until(
                lambda: future.done() or self._host_woken, None, host_paced=True, keep_anchor=anchored
            )
            anchored = True
            if state == "pace":
                await asyncio.sleep(loop.pace_delay())
            elif state == "idle":
                if not idle_once:
                    idle_once = True
                    await asyncio.sleep(0)
                    continue
                if not self._on_idle():
                    raise DeadlockError(
                        "Everything in the playground is waiting and nothing is scheduled to "
                        "happen, so this await would never finish."
                    )
            elif not future.done():
                await asyncio.sleep(0)  # another host waiter is ready: let it go first
            idle_once = False
        return future.result()

    def _on_idle(self) -> bool:
        """Everything waits: end requests that can never finish, as the runtime does."""
        hung = [hook for hook in self._running if not hook.finished]
        for hook in hung:
            worker = hook.context.worker if hook.context is not None else ""
            self.note("error", worker, Text.HUNG)
            hook.fail(RpcError(Text.HUNG))
        stuck = [task for context in self._contexts.values() for task in context.tasks if not task.done()]
        for task in stuck:  # wait_until work that can never finish
            task.cancel()
        return bool(hung) or bool(stuck)


class EntrypointContext:
    """What an entrypoint sees as ``self.ctx``: ``wait_until(awaitable)``."""

    __slots__ = ("_context",)

    def __init__(self, context: ExecutionContext) -> None:
        self._context = context

    def wait_until(self, awaitable: Awaitable[Any]) -> None:
        """Keep the execution context alive until ``awaitable`` finishes (after the return)."""
        if not inspect.isawaitable(awaitable):
            raise TypeError(f"wait_until() takes an awaitable; got {type(awaitable).__name__}.")
        self._context.task(_as_coroutine(awaitable))

    def __repr__(self) -> str:
        return f"<ctx of {self._context.label}>"


_NOT_RESPONSE = "Incorrect type for Promise: the Promise did not resolve to 'Response'."


async def _expect_response(awaitable: Awaitable[Any]) -> Response:
    result = await awaitable
    if not isinstance(result, Response):
        raise TypeError(_NOT_RESPONSE)
    return result


def _body_for_wire(message: Request | Response) -> bytes | None:
    if message._stream is not None:
        raise TypeError("Streaming bodies over RPC are not supported yet.")
    return message._body


def _set_done(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


_latest: list[Playground] = []
_live: weakref.WeakSet[Playground] = weakref.WeakSet()
_watchers: list[Callable[[Playground], None]] = []


def _set_latest(play: Playground) -> None:
    _latest[:] = [play]
    _live.add(play)
    for watcher in tuple(_watchers):
        watcher(play)


def latest() -> Playground | None:
    """The most recently created playground (for module-level helpers)."""
    return _latest[0] if _latest else None


def playgrounds() -> list[Playground]:
    """Every playground that is still open (for the notebook extension)."""
    return [p for p in _live if not p.closed]


def watch_playgrounds(callback: Callable[[Playground], None]) -> Callable[[], None]:
    """Call ``callback(play)`` for every playground created from now on; returns an unwatch."""
    _watchers.append(callback)

    def unwatch() -> None:
        if callback in _watchers:
            _watchers.remove(callback)

    return unwatch

