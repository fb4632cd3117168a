"""Finding the user's line of code (for traces, leak reports, the pipelining advisor, the help
for common mistakes and errors that say where something waits; warnings shown at it), and
tracebacks that end in it.

Tracebacks: an error handed to the user's code — an awaited RPC promise that failed, an
exception out of ``play.run`` — carries the user's frames, not the playground's own. The frames
inside the package are left out of the traceback of every error *meant for the user*: one of
the playground's own errors (a ``PlaygroundError``, a ``StubLeakWarning``), an error from the
other side of a call (``remote``), one raised outside the package (by the user's code, or by
asyncio), or one made by the runtime and never raised. Any other exception (raised by the
playground's code itself: a bug) keeps every frame, and so does everything when the
environment variable ``PLAYGROUND_FULL_TRACEBACKS`` is set (to anything but ``0``). Causes
(``__cause__``, and the implicit ``__context__``) keep theirs. An error handed over again (a
broken stub fails each call with the same error) starts each time from where it was first
raised: the frames of earlier awaits do not pile up.
"""

from __future__ import annotations

import linecache
import os
import sys
import warnings
from types import FrameType, TracebackType
from typing import Any

from ..errors import PlaygroundError, SimulationError, StubLeakWarning

__all__ = [
    "awaiting",
    "code_line",
    "delivered",
    "in_user_code",
    "suspended_traceback",
    "user_frame",
    "user_traceback",
    "warn_at_user_line",
]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_SKIP = (_PACKAGE_DIR, os.path.dirname(os.__file__) + os.sep + "asyncio" + os.sep)


#: One tuple per place in the code (traces keep millions of references to a few places).
_PLACES: dict[tuple[str, int], tuple[str, int]] = {}


def user_frame(depth: int = 2) -> tuple[str, int] | None:
    """``(file, line)`` of the innermost frame outside the playground package and asyncio."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP):
            place = (filename, frame.f_lineno)
            return _PLACES.setdefault(place, place)
        frame = frame.f_back  # type: ignore[assignment]
    return None


#: ``warnings`` registries, one per file warned at (what a module's ``__warningregistry__`` is to
#: ``warnings.warn``): a warning shows once per line, as the default filter wants.
_REGISTRIES: dict[str, dict[Any, Any]] = {}


def warn_at_user_line(message: str, category: type[Warning], place: tuple[str, int] | None) -> None:
    """``warnings.warn`` at the user's line, ``place`` (from :func:`user_frame`: as ``stacklevel``
    would, counting every frame of the package and asyncio)."""
    if place is None:
        warnings.warn(message, category, stacklevel=2)
        return
    filename, line = place
    warnings.warn_explicit(message, category, filename, line, registry=_REGISTRIES.setdefault(filename, {}))


def in_user_code(filename: str) -> bool:
    """Whether a frame of ``filename`` is the user's (neither the playground's nor asyncio's)."""
    return not filename.startswith(_SKIP)


def awaiting(awaitable: Any) -> list[FrameType]:
    """The frames ``awaitable`` (a task, a coroutine, a generator) is suspended in, outermost
    first: each coroutine's frame, then that of what it awaits, and so on down to a future (or
    anything else without a frame). The playground's own drivers, which step a coroutine by
    hand instead of awaiting it (eager starts, the CPU limit), are followed through their local
    ``coro``. Costly: for errors only."""
    frames: list[FrameType] = []
    get_coro = getattr(awaitable, "get_coro", None)
    current = get_coro() if get_coro is not None else awaitable
    seen: set[int] = set()
    while current is not None and id(current) not in seen and len(frames) < 200:
        seen.add(id(current))
        frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        if hasattr(current, "cr_await"):
            inner = current.cr_await
        else:
            inner = getattr(current, "gi_yieldfrom", None)
        if inner is None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            inner = frame.f_locals.get("coro")  # (a driver of ours: eager start, CPU limit)
        current = inner
    return frames


def suspended_traceback(frames: list[FrameType]) -> TracebackType | None:
    """A traceback through ``frames`` (outermost first: suspended coroutines', from
    :func:`awaiting`), each at the line it waits at: for an error about what they wait for."""
    tb = None
    for frame in reversed(frames):
        tb = TracebackType(tb, frame, frame.f_lasti, frame.f_lineno)
    return tb


def code_line(filename: str, lineno: int) -> str:
    """The source line, stripped ("" if it cannot be read)."""
    return linecache.getline(filename, lineno).strip()


# -- tracebacks that end in the user's code -------------------------------------------------------

#: The attribute of an error handed to the user's code that keeps its :class:`_Origin` (a
#: dunder: it never travels with the error).
_ORIGIN = "__playground_origin__"


class _Origin:
    """Where an error handed to the user's code was first raised (its traceback then, without
    the playground's frames if ``meant`` for the user). Pickled or copied, it keeps no
    traceback (one cannot be pickled)."""

    __slots__ = ("tb", "meant")

    def __init__(self, tb: TracebackType | None, meant: bool) -> None:
        self.tb = tb
        self.meant = meant

    def __reduce__(self) -> tuple[Any, ...]:
        return _Origin, (None, self.meant)


def full_tracebacks() -> bool:
    """``PLAYGROUND_FULL_TRACEBACKS`` is set: tracebacks keep the playground's own frames."""
    return os.environ.get("PLAYGROUND_FULL_TRACEBACKS", "") not in ("", "0")


def delivered(error: BaseException) -> BaseException:
    """``error`` as an awaited RPC promise hands it to the user's code: with the traceback of
    where it was first raised (none, if the runtime made it), without the playground's frames
    if it is meant for the user."""
    origin = error.__dict__.get(_ORIGIN)
    if type(origin) is not _Origin:
        tb = error.__traceback__
        meant = _meant_for_user(error, tb)
        kept = _without_playground(tb) if meant and not full_tracebacks() else tb
        origin = error.__dict__[_ORIGIN] = _Origin(kept, meant)
    error.__traceback__ = origin.tb
    return error


def user_traceback(error: BaseException) -> bool:
    """``error`` is leaving ``play.run``: leave the playground's frames out of its traceback if
    it is meant for the user (see the module docstring). Whether it did."""
    origin = error.__dict__.get(_ORIGIN)
    meant = origin.meant if type(origin) is _Origin else _meant_for_user(error, error.__traceback__)
    if not meant or full_tracebacks():
        return False
    error.__traceback__ = _without_playground(error.__traceback__)
    return True


def _meant_for_user(error: BaseException, tb: TracebackType | None) -> bool:
    if isinstance(error, SimulationError) and error.__cause__ is not None:
        return False  # the playground's own failure, raised from the bug (see VirtualLoop)
    if isinstance(error, (PlaygroundError, StubLeakWarning)) or getattr(error, "remote", False) is True:
        return True
    if tb is None:
        return True  # made by the runtime as a value (a TypeError of the RPC rules), never raised
    while tb.tb_next is not None:
        tb = tb.tb_next
    return not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR)  # raised by the user's (or asyncio)


def _without_playground(tb: TracebackType | None) -> TracebackType | None:
    kept: list[TracebackType] = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt
