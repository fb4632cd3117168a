"""The IPython extension: ``%load_ext playground`` draws each cell's RPC activity under it.

Display glue only. On ``pre_run_cell`` the extension arms itself; every playground (those that
exist and those created later, via ``watch_playgrounds``) has a recorder listener that feeds a
per-cell :class:`~playground.viz.LiveView`. The view creates its display handle lazily, on the
first RPC event of the cell, so cells without RPC get no output; frames follow, throttled;
at the end of the cell the final frame is published, which is what a saved notebook keeps.

The end of a cell is seen by whichever comes first: the shell's ``run_cell_async`` returning
(the extension wraps it on the shell, and unwraps it on unload), ``post_run_cell`` (IPython fires
it from its synchronous ``run_cell``, ipykernel after async cells; the Pyodide kernel of
JupyterLite never does), or, failing both, the next cell's ``pre_run_cell``. A view is finished
once, whichever sees it.
"""

from __future__ import annotations

import weakref
from typing import Any

from .runtime.world import Playground, playgrounds, watch_playgrounds
from .trace.events import Event
from .viz.live import LiveView

__all__ = ["PlaygroundExtension", "load_ipython_extension", "unload_ipython_extension"]

_extensions: dict[int, PlaygroundExtension] = {}


class _Handle:
    """Creates the cell's output on the first frame, then updates it in place."""

    def __init__(self) -> None:
        self.handle: Any = None

    def __call__(self, bundle: dict[str, str]) -> None:
        from IPython.display import display

        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self.handle.update(bundle, raw=True)


class PlaygroundExtension:
    """Live trace views for the cells of one IPython shell."""

    def __init__(self, ip: Any, *, interval: float = 0.08) -> None:
        self.ip = ip
        self.interval = interval
        self.armed = False
        self.views: dict[int, LiveView] = {}
        self._starts: dict[int, float] = {}
        self._unsubscribe: list[Any] = []
        for play in playgrounds():
            self._adopt(play)
        self._unwatch = watch_playgrounds(self._adopt)
        ip.events.register("pre_run_cell", self.pre_run_cell)
        ip.events.register("post_run_cell", self.post_run_cell)
        self._run_cell_async: Any = None
        original = getattr(ip, "run_cell_async", None)
        if original is not None:

            async def run_cell_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.post_run_cell()

            self._run_cell_async = run_cell_async
            ip.run_cell_async = run_cell_async

    def _adopt(self, play: Playground) -> None:
        ref = weakref.ref(play)
        self._unsubscribe.append(play.recorder.subscribe(lambda event: self._on_event(ref, event)))

    def pre_run_cell(self, info: Any = None) -> None:
        """A cell starts: finish the last cell's views (if nothing did), note each playground's
        time."""
        self.post_run_cell()
        self.views = {}
        self._starts = {id(p): p.now for p in playgrounds()}
        self.armed = True

    def _on_event(self, ref: weakref.ref[Playground], event: Event) -> None:
        if not self.armed:
            return
        play = ref()
        if play is None:
            return
        view = self.views.get(id(play))
        if view is None:
            view = LiveView(
                _Handle(),
                now=lambda: play.now,
                start=self._starts.get(id(play), 0.0),
                workers=lambda: play.trace.workers,
                interval=self.interval,
                pace=play.pace,
                limit=play.trace_limit,
            )
            self.views[id(play)] = view
        view.add(event)

    def post_run_cell(self, result: Any = None) -> None:
        """The cell ended: publish every view's final frame (once: a finished view is left)."""
        self.armed = False
        for view in self.views.values():
            if not view.finished:
                view.finish()

    def close(self) -> None:
        """Stop listening (``%unload_ext playground``)."""
        self.armed = False
        for view in self.views.values():
            view.stop()
        self._unwatch()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._run_cell_async is not None and self.ip.__dict__.get("run_cell_async") is self._run_cell_async:
            del self.ip.run_cell_async  # (the shell's own method again)
        for name, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                self.ip.events.unregister(name, callback)
            except ValueError:
                pass


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext playground``: show each cell's RPC activity under it (idempotent)."""
    if id(ip) not in _extensions:
        _extensions[id(ip)] = PlaygroundExtension(ip)


def unload_ipython_extension(ip: Any) -> None:
    """``%unload_ext playground``: stop drawing cells."""
    ext = _extensions.pop(id(ip), None)
    if ext is not None:
        ext.close()
