"""``Playground``: the simulated world — workers, links, the virtual clock, and the trace.

The playground itself is a façade; it builds the parts and hands each only what it uses:

========== ============================================================================
part       does
========== ============================================================================
runtime    what every part shares: clock, network, trace, ledger, workers (:mod:`.shared`)
loop       the virtual-time event loop (:mod:`playground.sim.clock`)
network    links with latency, jitter, bandwidth, loss (:mod:`playground.sim.network`)
bindings   every worker's ``env``, and bindings sent over RPC (:mod:`.env`)
lifecycle  sessions and execution contexts: opening, ending (:mod:`.lifecycle`)
durable    Durable Object instances and storage (:mod:`.durable`)
host       driving the loop from outside: run, await from another loop (:mod:`.host`)
faults     disconnects, crashes (:mod:`.faults`)
peers      real sessions and servers, and their I/O thread (:mod:`.peers`)
recorder   the trace; ledger: live stubs (:mod:`playground.trace`, :mod:`.ledger`)
========== ============================================================================
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from asyncio import events
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigurationError, SimulationError
from ..sim.clock import NS, VirtualLoop
from ..sim.network import Link, LinkProperties, Network
from ..sim.units import Duration, parse_bandwidth, parse_duration_ns
from ..trace import Recorder, Recording, Trace
from .bindings import ServiceHook, ServiceStub
from .compat import Compatibility
from .connection import Connection
from .shared import CLIENT, Runtime
from .durable import DurableObjects
from .env import BindingTable, Env
from .faults import Faults
from .host import Host
from .http import Request
from .ledger import Ledger, StubInfo
from .lifecycle import Lifecycle
from .peers import Codec, Peers, Server, check_host, check_path, check_port, is_loopback
from .stubs import RpcStub
from .stubs import RpcPromise
from .where import user_traceback
from .worker import Worker, define_worker, settle_durable_bindings
from .wrangler import load as load_wrangler

__all__ = ["CLIENT", "Playground", "latest", "playgrounds", "sleep", "watch_playgrounds"]

T = TypeVar("T")

_DEFAULT: Any = object()  # (an option not given)


class Playground:
    """A simulated Workers world: workers that call each other over links in virtual time.

    ``latency`` (one way, every link), ``jitter`` (added at random, seeded), ``bandwidth`` (bytes
    per second, or a string like ``"10MB/s"``) are link defaults, overridden per pair by
    :meth:`link`. Durations are seconds or strings with a unit (``"25ms"``). ``seed`` fixes every
    random choice. ``pace`` > 0 makes virtual time follow the wall clock, ``pace`` wall seconds per
    virtual second, for live demos. ``compatibility_date`` and ``compatibility_flags`` select the
    runtime's older behaviours (see the README); the default is the newest. ``stream_window`` is
    the flow-control window of streams over RPC: bytes, or ``"adaptive"`` (the default).
    ``trace_limit`` bounds the trace for long experiments: keep at least the newest
    ``trace_limit`` events (``None``, the default: keep all; ``0``: keep none, count only).
    ``cpu_limit`` is the CPU time one request's user code may use (a duration, default
    ``"30s"`` as in the runtime; ``None``: no limit; per worker: :meth:`worker`): past it the
    request fails with ``RpcError("Worker exceeded CPU time limit.")``, even a callee that
    spins in ``while True: pass``, and the world goes on. A bad value of any of these raises :class:`~playground.errors.ConfigurationError`.

    Lifetime: ``with Playground() as play:`` closes the playground at the end of the block
    (also when it raises); :meth:`close` releases everything at once (pending work is
    cancelled, the event loop closed; idempotent). A playground never closed is released the
    same way, silently, when it is garbage-collected or when the interpreter exits. Stubs
    belong to their playground: passing one into a call of another playground raises
    ``DataCloneError``.
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
        trace_limit: int | None = None,
        cpu_limit: Duration | None = "30s",
    ) -> None:
        latency_ns = parse_duration_ns(latency, "latency")
        cpu_seconds = _cpu_limit(cpu_limit)
        jitter_ns = parse_duration_ns(jitter, "jitter")
        rate = parse_bandwidth(bandwidth)
        if isinstance(seed, bool) or not isinstance(seed, (int, str)):
            raise ConfigurationError(f"seed must be an int or a str; got {seed!r} ({type(seed).__name__}).")
        if isinstance(seed, int) and not -(10**100) < seed < 10**100:
            raise ConfigurationError("seed is too large: give an int of at most 100 digits, or a str.")
        if isinstance(pace, bool) or not isinstance(pace, (int, float)) or not 0 <= pace <= _MAX_PACE:
            raise ConfigurationError(
                f"pace must be a number >= 0 and at most {_MAX_PACE:g} (wall seconds per virtual "
                f"second; 0 = instant); got {pace!r}."
            )
        self.compatibility = Compatibility.select(compatibility_date, compatibility_flags)
        if stream_window in (None, "adaptive"):
            self.stream_window: int | None = None
        elif (
            isinstance(stream_window, int)
            and not isinstance(stream_window, bool)
            and 0 < stream_window <= _MAX_WINDOW
        ):
            self.stream_window = stream_window
        else:
            raise ConfigurationError(
                f"stream_window must be a whole number of bytes from 1 to {_MAX_WINDOW} (a fixed "
                f"flow-control window) or 'adaptive' (the default); got {stream_window!r}."
            )
        self.seed = seed
        limit = _trace_limit(trace_limit)
        loop = VirtualLoop(pace)  # (everything checked first: a loop made is a loop to close)
        network = Network(loop, LinkProperties(latency_ns, jitter_ns, rate, 0.0), seed)
        recorder = Recorder(limit)
        self.runtime = runtime = Runtime(
            loop, network, recorder, self.compatibility, stream_window=self.stream_window, seed=seed
        )
        runtime.cpu_limit = cpu_seconds
        self.bindings = bindings = BindingTable(runtime)
        self.lifecycle = lifecycle = Lifecycle(runtime, bindings, bindings.env)
        self.durable = durable = DurableObjects(runtime, lifecycle)
        bindings.lifecycle, bindings.durable = lifecycle, durable
        self.host = runtime.host = Host(runtime)
        self.faults = Faults(runtime, lifecycle, durable)
        self.peers = peers = Peers(runtime, lifecycle)
        self._workers = runtime.workers
        self.config_files: list[Path] = []
        # Released when closed, collected, or at exit; the finalizer holds the parts, never self.
        self._finalizer = weakref.finalize(self, _release, runtime, self.lifecycle, durable, self.host, peers)
        _set_latest(self)

    def __repr__(self) -> str:
        return (
            f"<Playground {len(self._workers)} worker(s), t={self.now * 1000:g} ms, "
            f"{self.recorder.next_seq} event(s)>"
        )

    # -- the parts everyone shares ---------------------------------------------------------------

    @property
    def loop(self) -> VirtualLoop:
        """The virtual-time event loop every worker runs on."""
        return self.runtime.loop

    @property
    def network(self) -> Network:
        """The simulated links."""
        return self.runtime.network

    @property
    def recorder(self) -> Recorder:
        """Where the trace is recorded (``play.trace`` reads it)."""
        return self.runtime.recorder

    @property
    def ledger(self) -> Ledger:
        """The live stubs (``play.stubs()`` reads it)."""
        return self.runtime.ledger

    @property
    def random(self) -> Any:
        """The seeded random numbers of this playground (unique Durable Object ids)."""
        return self.runtime.random

    @property
    def trace_limit(self) -> int | None:
        """How many of the newest events the trace keeps (None: all). Settable: a lower limit
        drops older events at once."""
        return self.runtime.recorder.limit

    @trace_limit.setter
    def trace_limit(self, limit: int | None) -> None:
        self.runtime.recorder.limit = _trace_limit(limit)

    # -- building the world --------------------------------------------------------------------

    def worker(
        self,
        name: str,
        main: Any,
        *,
        exports: Any = (),
        services: Any = None,
        durable_objects: Any = None,
        cpu_limit: Any = _DEFAULT,
    ) -> Worker:
        """Add a worker. ``main`` is its default entrypoint: a ``WorkerEntrypoint`` subclass, or
        a class or object with a ``fetch`` handler. ``exports`` are named entrypoints and
        Durable Object classes; ``services`` maps binding names to ``"service"`` or
        ``("service", "Entrypoint")``; ``durable_objects`` maps binding names to ``"ClassName"``
        (a class this worker exports) or ``("worker", "ClassName")`` (a class another worker
        exports: the worker first, as in ``services``; also ``{"worker": ..., "class_name":
        ...}``). The old ``("ClassName", "worker")`` still works, with a
        ``DeprecationWarning``; a pair is read in the new order whenever that worker exports
        that class. ``cpu_limit``: the CPU time one request to it may use (a duration;
        ``None``: no limit; default: the playground's ``cpu_limit``)."""
        self._check_open()
        cpu_seconds = None if cpu_limit is _DEFAULT else _cpu_limit(cpu_limit)
        worker = define_worker(name, main, exports=exports, services=services, durable_objects=durable_objects)
        if name == CLIENT:
            raise ConfigurationError(
                f'"{CLIENT}" is the name of the pseudo-worker play.fetch() sends requests from; '
                "choose another name for your worker."
            )
        if name in self._workers:
            raise ConfigurationError(f'A worker named "{name}" already exists in this playground.')
        self._workers[name] = worker
        if cpu_limit is not _DEFAULT:
            self.runtime.cpu_limits[name] = cpu_seconds
        settle_durable_bindings(self._workers, stacklevel=2)
        return worker

    @classmethod
    def from_wrangler(cls, *paths: str | Path, **options: Any) -> Playground:
        """A playground with one worker per ``wrangler.toml`` / ``wrangler.jsonc`` file, whose
        ``main`` is a Python module (``Default`` is its default entrypoint). ``options`` are
        passed to ``Playground(...)`` (latency, seed...)."""
        return load_wrangler(cls, paths, options)

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
        return self.runtime.known(name, allow_client=allow_client)

    def _validate_bindings(self, name: str) -> None:
        self.bindings.validate(name)

    def binding_names(self, worker: str) -> list[str]:
        """The names of worker ``worker``'s bindings."""
        return self.bindings.binding_names(worker)

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
        return ServiceStub(ServiceHook(self.lifecycle, CLIENT, name, None, home)).fetch(request, **init)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` in the playground until it completes, and return its result.

        Works from a script or a test (no loop running), and from inside a running loop such as
        a Jupyter cell (the playground's loop is driven nested, without patching anything).

        An error meant for the user (not a bug of the playground) comes out with the
        playground's own frames left out of its traceback, which ends in the user's code; set
        the environment variable ``PLAYGROUND_FULL_TRACEBACKS=1`` to keep them.
        """
        self._check_open()
        try:
            return self.host.run(awaitable)
        except Exception as error:  # (see .where: the traceback ends in the user's code)
            if not user_traceback(error):
                raise
            raise error  # playground frames hidden; PLAYGROUND_FULL_TRACEBACKS=1 shows them

    # -- real peers ------------------------------------------------------------------------------

    async def connect(self, url: str, *, name: str | None = None, codec: Codec | None = None) -> RpcStub:
        """Open a session to a real Cap'n Web server; a stub to its main object.

        ``ws://`` / ``wss://``: a WebSocket session, which lasts until the stub (and every
        ``dup()`` of it) is disposed, or ``play.close()``. ``http://`` / ``https://``: an HTTP
        batch: the calls made in one go (before the code awaits) leave in one POST, the reply
        brings their results, and the session is over (later calls fail with
        ``ConnectionLost``). The stub behaves like any other: calls, properties, pipelining,
        callbacks both ways, ``dispose()``, errors marked ``remote``. The peer is a lane of the
        trace named ``host:port`` (or ``name``). Messages are Cap'n Web's JSON (``codec``:
        another codec with ``encode(message) -> str`` and ``decode(text) -> message``; the
        session uses its own copy of it, as a codec is one end of one session).

        Needs the optional libraries: ``pip install 'workers-rpc-playground[peers]'``. While the session
        is open the playground waits for the peer in real time, and virtual time follows the
        wall clock meanwhile (see "Real peers" in docs/design.md)."""
        self._check_open()
        self.peers.check_url(url, name)
        loop = self.runtime.loop
        if events._get_running_loop() is loop:
            return await self.peers.connect(url, name, codec)
        task = loop.create_task(self.peers.connect(url, name, codec))
        return await self.host.wait(task)  # type: ignore[no-any-return]

    def serve(
        self,
        worker: str,
        *,
        port: int = 8787,
        host: str = "127.0.0.1",
        path: str = "/api",
        name: str | None = None,
        codec: Codec | None = None,
        quiet: bool = False,
    ) -> Server:
        """Serve worker ``worker``'s main entrypoint to real clients (a browser page or a Node
        script using npm ``capnweb``, another playground's :meth:`connect`): WebSocket sessions
        at ``ws://host:port/path`` and HTTP batches at ``http://host:port/path``. Each session
        gets its own execution context, which lasts as long as the session.

        It listens on 127.0.0.1 (this machine only) unless ``host`` says otherwise, and prints
        where it listens (``quiet=True``: not). ``port=0`` picks a free port (see ``.url``).
        Returns the :class:`~.peers.Server` (``.url``, ``.close()``, a context manager);
        ``play.close()`` closes it too. Clients are answered while the playground runs: during
        ``play.run``/``await`` in this playground, ``play.run(server.serve_forever())`` in a
        script, and by itself when ``serve`` is called with an event loop running (a notebook).
        A client that sends a malformed message loses its session; the others go on. A
        ``codec`` given is a template: each session gets a copy of it (a codec is one end of one
        session)."""
        self._check_open()
        self._known(worker)
        check_port(port)
        check_host(host)
        check_path(path)
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigurationError(f"name must be a non-empty string (the clients' lane); got {name!r}.")
        server = self.peers.serve(worker, port, host, path, name, codec)
        if not quiet:
            where = "this machine only" if is_loopback(host) else "other machines too"
            print(f"Serving worker {worker!r} at {server.url} (HTTP batch: {server.batch_url}); "
                  f"listening on {host} ({where}).")
        return server

    @property
    def real_timeout(self) -> float:
        """Wall seconds ``play.run`` waits for real peers with nothing else happening before it
        declares a hang (default 30)."""
        return self.runtime.loop.real_timeout

    @real_timeout.setter
    def real_timeout(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= 86400:
            raise ConfigurationError(f"real_timeout must be a number of seconds from 0 to 86400; got {seconds!r}.")
        self.runtime.loop.real_timeout = float(seconds)

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
        return self.runtime.loop._now_ns / NS

    @property
    def pace(self) -> float:
        """Wall seconds per virtual second (0: virtual time jumps at once)."""
        return self.runtime.loop.pace

    @property
    def transfer_params(self) -> bool:
        """Stubs in call parameters move to the callee (the runtime's older mode)."""
        return self.runtime.transfer_params

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
        return names + self.peers.lanes

    def stubs(self) -> list[StubInfo]:
        """Every live stub (and promise still holding a remote result), in every worker."""
        return self.ledger.infos()

    def leaks(self) -> list[StubInfo]:
        """Live stubs not disposed — excluding parameters the runtime disposes by itself when
        their call settles."""
        return self.ledger.infos(leaks_only=True)

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Dispose every stub still held, let the releases happen, and stop the world: work
        still pending (stream pumps, ``wait_until`` work, tasks waiting forever) is cancelled,
        async generators are closed, and the event loop is closed. What the closed playground
        held is freed: its sessions, contexts and objects, and the events of its trace that no
        view you still hold (a ``play.record()``, ``play.trace``) shows. Closing twice does
        nothing. ``with Playground() as play:`` closes at the end of the block."""
        if self.runtime.closed:
            return
        if self.runtime.loop._driving:
            raise SimulationError("play.close() cannot be called from inside the playground.")
        self._finalizer()

    def __enter__(self) -> Playground:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self.runtime.closed

    @property
    def _closed(self) -> bool:
        return self.runtime.closed

    def connection_end(self, session_id: int, worker: str) -> Connection | None:
        """``worker``'s end of session ``session_id``, if that session is open."""
        return self.lifecycle.end_of(session_id, worker)

    def open_connections(self) -> list[Connection]:
        """Connection ends whose session has not ended (for leak checks)."""
        return self.lifecycle.connections()

    def _check_open(self) -> None:
        self.runtime.check_open()

    def flush_warnings(self) -> None:
        """Issue the warnings held back while the playground ran."""
        self.runtime.flush_warnings()


def _release(runtime: Runtime, lifecycle: Lifecycle, durable: DurableObjects, host: Host, peers: Peers) -> None:
    """Stop a playground's world (``play.close()``, or the playground's finalizer when it is
    collected or the interpreter exits): release the stubs, let what is pending happen, fail
    the sessions, cancel what is left, close async generators and the loop."""
    loop = runtime.loop
    if runtime.closed or loop.is_closed():
        return
    if loop._driving:  # collected from code running inside its own loop: nothing can be done now
        return
    try:
        peers.closing()
        runtime.ledger.release_all()
        loop.run_until(_turns(_DRAIN_TURNS))
        host.on_idle()
        loop.run_until(_turns(_DRAIN_TURNS))
        for connection in lifecycle.connections():
            connection.fail(SimulationError("The playground was closed."))
        runtime.closed = True
        _cancel_all(loop)
    finally:
        runtime.closed = True
        peers.stop()
        for task in asyncio.all_tasks(loop):  # work that would not stop: dropped without a word
            task._log_destroy_pending = False  # type: ignore[attr-defined]
        loop.close()
        runtime.ledger.clear()
        runtime.running.clear()
        runtime.contexts.clear()
        lifecycle.hosts.clear()
        durable.clear()
        runtime.recorder.release()


#: How many turns of the loop a closing playground lets pending work take (work that never
#: stops, such as a timer that always sets another, would otherwise keep it open forever), and
#: how many rounds of cancellation it tries before dropping what is left.
_DRAIN_TURNS = 10_000
_CANCEL_TURNS = 1_000
_CANCEL_ROUNDS = 3


def _turns(limit: int) -> Callable[[], bool]:
    """An ``is_done`` for ``run_until``: true after ``limit`` turns (the run also stops when
    the loop is idle)."""
    count = itertools.count()
    return lambda: next(count) >= limit


def _cancel_all(loop: VirtualLoop) -> None:
    """Cancel every task of ``loop`` and let the cancellations happen (as ``asyncio.run``
    does when it ends), then close the async generators that were started on it."""
    for _ in range(_CANCEL_ROUNDS):
        tasks = asyncio.all_tasks(loop)
        if not tasks:
            break
        for task in tasks:
            task.cancel()
        turns = _turns(_CANCEL_TURNS)
        loop.run_until(lambda: turns() or all(task.done() for task in tasks))
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler(
                    {
                        "message": "unhandled exception while the playground was closed",
                        "exception": task.exception(),
                        "task": task,
                    }
                )
    if loop._asyncgens:  # type: ignore[attr-defined]
        shutdown = loop.create_task(loop.shutdown_asyncgens())
        turns = _turns(_CANCEL_TURNS)
        loop.run_until(lambda: turns() or shutdown.done())


#: The slowest pace: a million wall seconds per virtual second (beyond, waits overflow).
_MAX_PACE = 1e6
#: The largest fixed flow-control window: 4 GiB.
_MAX_WINDOW = 1 << 32


def _cpu_limit(value: Any) -> float | None:
    """A ``cpu_limit`` option, in seconds (None: no limit)."""
    if value is None:
        return None
    ns = parse_duration_ns(value, "cpu_limit")
    if ns <= 0:
        raise ConfigurationError(f"cpu_limit must be a duration above zero, or None for no limit; got {value!r}.")
    return ns / NS


def _trace_limit(limit: Any) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigurationError(
            "trace_limit must be a number of events >= 0 (keep the newest ones; 0 keeps none and "
            f"only counts) or None (keep every event, the default); got {limit!r}."
        )
    return limit


_latest: list[weakref.ref[Playground]] = []
_live: weakref.WeakSet[Playground] = weakref.WeakSet()
_watchers: list[Callable[[Playground], None]] = []


def _set_latest(play: Playground) -> None:
    _latest[:] = [weakref.ref(play)]
    _live.add(play)
    for watcher in tuple(_watchers):
        watcher(play)


def latest() -> Playground | None:
    """The most recently created playground (for module-level helpers)."""
    return _latest[0]() if _latest else None


def playgrounds() -> list[Playground]:
    """Every playground that is still open (for the notebook extension)."""
    return [p for p in _live if not p.closed]


async def sleep(seconds: Duration) -> None:
    """Wait ``seconds`` of virtual time.

    Inside worker code this is ``asyncio.sleep`` on the playground's virtual clock. From a
    notebook cell or a script it drives the most recently created playground.
    """
    delay_ns = parse_duration_ns(seconds, "sleep duration")
    if isinstance(events._get_running_loop(), VirtualLoop):
        await asyncio.sleep(delay_ns / 1e9)
        return
    play = latest()
    if play is None:
        raise RuntimeError("playground.sleep() needs a Playground: create one first.")
    await play.sleep(delay_ns / 1e9)


def watch_playgrounds(callback: Callable[[Playground], None]) -> Callable[[], None]:
    """Call ``callback(play)`` for every playground created from now on; returns an unwatch."""
    _watchers.append(callback)

    def unwatch() -> None:
        if callback in _watchers:
            _watchers.remove(callback)

    return unwatch
