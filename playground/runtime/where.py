"""Finding the user's line of code (for traces, leak reports and the pipelining advisor)."""

from __future__ import annotations

import os
import sys

__all__ = ["user_frame"]

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
