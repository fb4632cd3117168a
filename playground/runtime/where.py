"""Finding the user's line of code (for traces, leak reports, the pipelining advisor and the
errors that say where something waits)."""

from __future__ import annotations

import linecache
import os
import sys
from types import FrameType
from typing import Any

__all__ = ["awaiting", "code_line", "in_user_code", "user_frame"]

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
        inner = getattr(current, "cr_await", None) if hasattr(current, "cr_await") else getattr(current, "gi_yieldfrom", None)
        if inner is None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            inner = frame.f_locals.get("coro")  # (a driver of ours: eager start, CPU limit)
        current = inner
    return frames


def code_line(filename: str, lineno: int) -> str:
    """The source line, stripped ("" if it cannot be read)."""
    return linecache.getline(filename, lineno).strip()
