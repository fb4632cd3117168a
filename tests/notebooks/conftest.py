"""Where the course notebooks are (the kernel they run in is ``tests/conftest.py``'s)."""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
