"""``Playground``: the simulated world — workers, links, the virtual clock, and the trace.

The playground itself is a façade; the work is done by its parts:

========== ============================================================================
part       does
========== ============================================================================
loop       the virtual-time event loop (:mod:`playground.sim.clock`)
network    links with latency, jitter, bandwidth, loss (:mod:`playground.sim.network`)
lifecycle  sessions and execution contexts: opening, ending (:mod:`.lifecycle`)
durable    Durable Object instances and storage (:mod:`.durable`)
wire       the runtime's types and errors on the wire, HTTP into fetch (:mod:`.wire`)
host       driving the loop from outside: run, await from another loop (:mod:`.host`)
faults     disconnects, crashes, lost messages (:mod:`.faults`)
recorder   the trace; ledger: live stubs (:mod:`playground.trace`, :mod:`.ledger`)
========== ============================================================================
"""

from __future__ import annotations

import inspect
import itertools
import math
import random
import weakref
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigurationError, SimulationError, UnknownWorkerError
from ..sim.clock import NS, VirtualLoop
from ..sim.network import Link, LinkProperties, Network
from ..sim.units import Duration, parse_bandwidth, parse_duration_ns
from ..trace import Recorder, Recording, Trace
from .bindings import Env, ServiceHook, ServiceStub
from .compat import Compatibility
from .connection import Connection
from .context import ExecutionContext
from .durable import DurableObjects
from .faults import Faults
from .hooks import PromiseHook
from .host import Host
from .http import Request
from .ledger import Ledger, StubInfo
from .lifecycle import Lifecycle
from .stubs import RpcPromise
from .tables import BindingTable, Tracing
from .wire import Wire
from .worker import Worker, define_worker

__all__ = ["CLIENT", "EntrypointContext", "Playground", "latest", "playgrounds", "watch_playgrounds"]

T = TypeVar("T")

#: The pseudo-worker that ``play.fetch`` sends HTTP requests from (a visitor on the Internet).
CLIENT = "internet"


class Playground(Tracing, BindingTable):
    """A simulated Workers world: workers that call each other over links in virtual time.

    ``latency`` (one way, every link), ``jitter`` (added at random, seeded), ``bandwidth`` (bytes
    per second, or a string like ``"10MB/s"``) are link defaults, overridden per pair by
    :meth:`link`. Durations are seconds or strings with a unit (``"25ms"``). ``seed`` fixes every
    random choice. ``pace`` > 0 makes virtual time follow the wall clock, ``pace`` wall seconds per
    virtual second, for live demos. ``compatibility_date`` and ``compatibility_flags`` select the
    runtime's older behaviours (see the README); the default is the newest. ``stream_window`` is
    the flow-control window of streams over RPC: bytes, or ``"adaptive"`` (the default).
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
        stream_window: int | str | None = None,
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
        if stream_window in (None, "adaptive"):
            self.stream_window: int | None = None
        elif isinstance(stream_window, int) and not isinstance(stream_window, bool) and stream_window > 0:
            self.stream_window = stream_window
        else:
            raise ConfigurationError(
                "stream_window must be a number of bytes > 0 (a fixed flow-control window) or "
                f"'adaptive' (the default); got {stream_window!r}."
            )
        self.seed = seed
        self.random = random.Random(f"playground|{seed}")
        self.loop = VirtualLoop(pace)
        self.network = Network(self.loop, LinkProperties(latency_ns, jitter_ns, rate, 0.0), seed)
        self.recorder = Recorder()
        self.ledger = Ledger(self)
        self.lifecycle = Lifecycle(self)
        self.durable = DurableObjects(self)
        self.wire = Wire(self)
        self.host = Host(self)
        self.faults = Faults(self)
        self._ids = itertools.count(1)
        self._workers: dict[str, Worker] = {}
        self._bindings_checked: set[str] = set()
        self._connections: dict[Connection, None] = {}
        self._running: dict[PromiseHook, None] = {}  # results being computed, for hang detection
        self._closed = False
        self._warnings: list[tuple[str, type[Warning]]] = []
        self.config_files: list[Path] = []
        _set_latest(self)

    def __repr__(self) -> str:
        return (
            f"<Playground {len(self._workers)} worker(s), t={self.now * 1000:g} ms, "
            f"{len(self.recorder.events)} event(s)>"
        )

    def _next_id(self) -> int:
        return next(self._ids)

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

    @classmethod
    def from_wrangler(cls, *paths: str | Path, **options: Any) -> Playground:
        """A playground with one worker per ``wrangler.toml`` / ``wrangler.jsonc`` file, whose
        ``main`` is a Python module (``Default`` is its default entrypoint). ``options`` are
        passed to ``Playground(...)`` (latency, seed...)."""
        from .wrangler import load

        return load(cls, paths, options)

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
        return self.lifecycle.host(name).env

    def fetch(self, name: str, request: str | Request, **init: Any) -> RpcPromise:
        """Send an HTTP request (a URL or a ``Request``) to worker ``name``'s ``fetch`` handler,
        from the pseudo-worker ``internet``. Await it for the ``Response``."""
        self._check_open()
        self._known(name)
        home = self.lifecycle.host(CLIENT)
        return ServiceStub(ServiceHook(self, CLIENT, name, None, home)).fetch(request, **init)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` in the playground until it completes, and return its result.

        Works from a script or a test (no loop running), and from inside a running loop such as
        a Jupyter cell (the playground's loop is driven nested, without patching anything).
        """
        self._check_open()
        return self.host.run(awaitable)

    async def sleep(self, seconds: Duration) -> None:
        """Wait ``seconds`` of virtual time (from worker code or from outside)."""
        await self.host.sleep(seconds)

    async def idle(self) -> None:
        """Let everything pending happen (deliveries, releases, disposers) until nothing is left."""
        await self.host.idle()

    async def wait_from_host(self, future: Any) -> Any:
        """Await a future of the playground's loop from another running loop."""
        return await self.host.wait(future)

    @property
    def now(self) -> float:
        """Virtual time, in seconds."""
        return self.loop._now_ns / NS

    @property
    def pace(self) -> float:
        """Wall seconds per virtual second (0: virtual time jumps at once)."""
        return self.loop.pace

    @property
    def transfer_params(self) -> bool:
        """Stubs in call parameters move to the callee (the runtime's older mode)."""
        return not self.compatibility.dup_params

    # -- faults ----------------------------------------------------------------------------------

    def disconnect(self, a: str, b: str) -> None:
        """Cut the link between ``a`` and ``b``: calls in flight and later ones across it fail
        with ``ConnectionLost`` (``retryable``), stubs across it break."""
        for name in (a, b):
            self._known(name, allow_client=True)
        self.faults.disconnect(a, b)

    def reconnect(self, a: str, b: str) -> None:
        """Restore the link between ``a`` and ``b`` (broken stubs stay broken)."""
        for name in (a, b):
            self._known(name, allow_client=True)
        self.faults.reconnect(a, b)

    def crash(self, name: str) -> None:
        """Crash worker ``name``: its contexts end, calls into it fail, its stubs break, its
        Durable Objects lose their memory (not their storage). It restarts on the next call."""
        self._known(name)
        self.faults.crash(name)

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
        if CLIENT in self.lifecycle.hosts:
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
        if self.loop._driving:
            raise SimulationError("play.close() cannot be called from inside the playground.")
        self.ledger.release_all()
        self.loop.run_until(lambda: False)
        self.host.on_idle()
        self.loop.run_until(lambda: False)
        for connection in list(self._connections):
            connection.fail(SimulationError("The playground was closed."))
        self._closed = True
        self.loop.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def connection_end(self, session_id: int, worker: str) -> Connection | None:
        """``worker``'s end of session ``session_id``, if that session is open."""
        for connection in self._connections:
            if connection.session_id == session_id and connection.worker == worker:
                return connection
        return None

    def open_connections(self) -> list[Connection]:
        """Connection ends whose session has not ended (for leak checks)."""
        return list(self._connections)

    def _check_open(self) -> None:
        if self._closed:
            raise SimulationError("This playground has been closed; create a new Playground.")

    def fail_running(self, error: BaseException, which: Callable[[ExecutionContext | None], bool]) -> None:
        """Fail every result still being computed in a context that ``which`` picks (its task
        is cancelled)."""
        for hook in [h for h in self._running if not h.finished and which(h.context)]:
            hook.fail(error)

    def connection_closed(self, connection: Connection) -> None:
        self._connections.pop(connection, None)
        self.lifecycle.connection_closed(connection)

    def message_lost(self, connection: Connection, seq: int) -> None:
        self.faults.message_lost(connection, seq)

    # -- targets -------------------------------------------------------------------------------

    def schedule_disposer(self, target: Any, disposer: Any, context: ExecutionContext) -> None:
        """Run ``disposer`` (a target's ``__dispose__``) soon, as work of ``context`` (which does
        not end before it has run); errors are reported, never raised into the releaser."""
        from .invoke import describe_target

        async def run() -> None:
            self.ledger.exported("disposer", context.worker, describe_target(target))
            try:
                result = disposer()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                self._report(exc, f"__dispose__ of {describe_target(target)} raised")

        context.task(run(), eager=False)  # never inside the dispose() that released it

    def _report(self, exc: BaseException | None, text: str) -> None:
        """An error in user code that nobody awaits (a ``__dispose__``): recorded and printed,
        as the runtime reports an uncaught exception."""
        self.note("error", "", f"{text}: {exc!r}")
        self.loop.default_exception_handler({"message": text, "exception": exc})


class EntrypointContext:
    """What an entrypoint sees as ``self.ctx``: ``wait_until``, ``props``, ``exports``, ``abort``."""

    __slots__ = ("_context", "props")

    def __init__(self, context: ExecutionContext, props: Any = None) -> None:
        self._context = context
        #: What the binding that called this entrypoint attached (``ctx.exports.X(props=...)``).
        self.props = props

    def wait_until(self, awaitable: Awaitable[Any]) -> None:
        """Keep the execution context alive until ``awaitable`` finishes (after the return)."""
        self._context.wait_until(awaitable)

    @property
    def exports(self) -> _Exports:
        """This worker's own entrypoints, as bindings: ``ctx.exports.Greeter(props={...})``."""
        return _Exports(self._context)

    def abort(self, reason: object = None) -> None:
        """End this execution context now: calls in flight fail with ``reason``."""
        self._context.abort(reason, RuntimeError)

    def __repr__(self) -> str:
        return f"<ctx of {self._context.label}>"


class _Exports:
    """``ctx.exports``: each entrypoint of the worker, callable with ``props``."""

    __slots__ = ("_context",)

    def __init__(self, context: ExecutionContext) -> None:
        self._context = context

    def __getattr__(self, name: str) -> Callable[..., ServiceStub]:
        if name.startswith("_"):
            raise AttributeError(name)
        context = self._context
        world = context.world
        if name != "default":
            world.workers[context.worker].entrypoint_class(name)

        def binding(*, props: Any = None) -> ServiceStub:
            entrypoint = None if name == "default" else name
            return ServiceStub(ServiceHook(world, context.worker, context.worker, entrypoint, context, props))

        return binding


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
