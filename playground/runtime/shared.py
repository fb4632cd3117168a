"""The state every part of one playground shares: :class:`Runtime`.

The parts of a playground (contexts, stubs, connections, the lifecycle, Durable Objects...) do
not hold the ``Playground``: each holds this small object, which sits below all of them. It
has the clock, the network, the trace and the ledger, the workers, the runtime modes, the
registries that hang detection reads, and one seam filled from above: :attr:`Runtime.host`,
which drives the loop for code running outside it (see :mod:`.host`).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import SimulationError, UnknownWorkerError
from ..sim.clock import NS, VirtualLoop
from ..sim.network import Network
from ..trace import NoteEvent, Recorder
from .compat import Compatibility
from .ledger import Ledger
from .where import user_frame
from .worker import Worker

__all__ = ["CLIENT", "Driver", "Runtime"]

#: The pseudo-worker that ``play.fetch`` sends HTTP requests from (a visitor on the Internet).
CLIENT = "internet"


class Driver(Protocol):
    """Drives the playground's loop for code that runs on another loop (see :mod:`.host`)."""

    async def wait(self, future: asyncio.Future[Any]) -> Any:
        """Await ``future`` (of the playground's loop) from another running loop."""


#: The warnings registry of each file warnings were issued for (what ``__warningregistry__`` is
#: to ``warnings.warn``: a line warns once under the "default" filter).
_REGISTRIES: dict[str, dict[Any, Any]] = {}

#: A request's CPU-time limit unless set otherwise (seconds): the runtime's own default.
DEFAULT_CPU_LIMIT = 30.0


class Runtime:
    """What the parts of one playground share (see the module docstring)."""

    def __init__(
        self,
        loop: VirtualLoop,
        network: Network,
        recorder: Recorder,
        compatibility: Compatibility,
        *,
        stream_window: int | None,
        seed: int | str,
    ) -> None:
        self.loop = loop
        self.network = network
        self.recorder = recorder
        self.ledger = Ledger(loop, recorder)
        self.compatibility = compatibility
        #: Stubs in call parameters move to the callee (the runtime's older mode).
        self.transfer_params = not compatibility.dup_params
        self.enhanced_errors = compatibility.enhanced_errors
        self.stream_window = stream_window
        self.random = random.Random(f"playground|{seed}")
        self.workers: dict[str, Worker] = {}
        #: Results being computed (``PromiseHook``), for hang detection.
        self.running: dict[Any, None] = {}
        #: Open callee and Durable Object contexts, by id.
        self.contexts: dict[int, Any] = {}
        self.closed = False
        #: Drives the loop from outside (set by the playground: the seam to :mod:`.host`).
        self.host: Driver | None = None
        self._ids = itertools.count(1)
        self._warnings: list[tuple[str, type[Warning], tuple[str, int] | None]] = []
        self._deferred: list[Callable[[], None]] = []
        #: Seconds of CPU time a request's user code may use (None: no limit), and per worker.
        self.cpu_limit: float | None = DEFAULT_CPU_LIMIT
        self.cpu_limits: dict[str, float | None] = {}

    def cpu_limit_of(self, worker: str) -> float | None:
        """The CPU-time limit of a request to ``worker``, in seconds (None: none)."""
        return self.cpu_limits.get(worker, self.cpu_limit)

    def next_id(self) -> int:
        """A new id, unique in this playground (sessions, contexts, streams)."""
        return next(self._ids)

    @property
    def now(self) -> float:
        """Virtual time, in seconds."""
        return self.loop._now_ns / NS

    def check_open(self) -> None:
        if self.closed:
            raise SimulationError("This playground has been closed; create a new Playground.")

    def known(self, name: Any, *, allow_client: bool = False) -> Worker | None:
        """The worker called ``name`` (None for the pseudo-worker ``internet`` if allowed)."""
        if allow_client and name == CLIENT:
            return None
        worker = self.workers.get(name) if isinstance(name, str) else None
        if worker is None:
            known = ", ".join(sorted(self.workers)) or "none yet"
            raise UnknownWorkerError(
                f"No worker named {name!r} in this playground (workers: {known}). Add it first "
                f"with play.worker({name!r}, ...)."
            )
        return worker

    async def wait(self, future: asyncio.Future[Any]) -> Any:
        """Await ``future`` of the playground's loop from code on another loop."""
        if self.host is None:  # pragma: no cover - the playground sets it
            raise SimulationError("this playground cannot be driven from outside")
        return await self.host.wait(future)

    # -- what the user is told -----------------------------------------------------------------

    def note(self, level: str, worker: str, text: str) -> None:
        """A remark in the trace (a leaked stub, a hung request)."""
        rec = self.recorder
        rec.add(NoteEvent(rec.next_seq, self.loop._now_ns / NS, level, worker, text))

    def warn(self, text: str, category: type[Warning], where: tuple[str, int] | None = None) -> None:
        """A warning for the user, issued when control returns to them (never from inside the
        simulation, where a warnings filter set to "error" would break it). ``where``: the
        user's line it is about (a leaked stub's), which the warning then names; by default
        the user's line that gave control back."""
        self._warnings.append((text, category, where))

    def flush_warnings(self) -> None:
        pending, self._warnings = self._warnings, []
        for text, category, where in pending:
            filename, lineno = where or user_frame() or ("<playground>", 0)
            registry = _REGISTRIES.setdefault(filename, {})  # ("default": once per line and text)
            warnings.warn_explicit(text, category, filename, lineno, registry=registry)

    def at_end_of_step(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the code running now has finished its step: on the loop's next
        turn, or when control returns to the user, whichever comes first (so that a run that
        ends meanwhile does not leave it for the next one)."""
        if self.loop.is_closed():
            action()
            return
        if not self._deferred:
            self.loop.call_soon(self.run_deferred)
        self._deferred.append(action)

    def run_deferred(self) -> None:
        pending, self._deferred = self._deferred, []
        for action in pending:
            action()

    def report(self, exc: BaseException | None, text: str) -> None:
        """An error in user code that nobody awaits (a ``__dispose__``): recorded and printed,
        as the runtime reports an uncaught exception."""
        self.note("error", "", f"{text}: {exc!r}")
        self.loop.default_exception_handler({"message": text, "exception": exc})

    def fail_running(self, error: BaseException, which: Callable[[Any], bool]) -> None:
        """Fail every result still being computed in a context that ``which`` picks (its task
        is cancelled)."""
        for hook in [h for h in self.running if not h.finished and which(h.context)]:
            hook.fail(error)
