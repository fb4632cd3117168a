"""Finding the user's line of code (for traces, leak reports, the pipelining advisor and the
help for common mistakes)."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

__all__ = ["user_frame", "warn_at_user_line"]

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
