"""Running notebooks in a real Jupyter kernel: this interpreter's, whatever kernels are installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL_NAME = "playground-test"


@pytest.fixture(scope="session")
def kernel_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A kernelspec directory whose one kernel runs ``sys.executable`` (the project's venv)."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "playground (tests)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    return [str(root)]


@pytest.fixture(scope="session")
def notebook_paths() -> Iterator[list[Path]]:
    """Every course notebook, in order."""
    yield sorted(NOTEBOOKS.glob("*.ipynb"))
