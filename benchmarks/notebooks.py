"""How long each course notebook takes to run top to bottom in a fresh kernel (goal: under a
minute each), kernel start included. The tests check what the notebooks show; this times them.

Run: ``.venv/bin/python benchmarks/notebooks.py`` (or ``make bench``); needs the test and
notebook extras (``pip install -e '.[test,notebook]'``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.notebooks.run import errors, execute, kernel_spec  # noqa: E402

GOAL_SECONDS = 60.0


def main() -> None:
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        kernels = kernel_spec(Path(folder))
        print(f"{'notebook':<34} {'seconds':>8}  errors")
        for path in paths:
            done = execute(path, kernels, quiet=True)
            times.append(done.seconds)
            print(f"{path.stem:<34} {done.seconds:>8.1f}  {len(errors(done.nb))}")
    slowest = max(times, default=0.0)
    print(
        f"\n{len(paths)} notebooks in {sum(times):.1f} s; slowest {slowest:.1f} s "
        f"({slowest / GOAL_SECONDS:.0%} of the {GOAL_SECONDS:.0f} s goal)"
    )


if __name__ == "__main__":
    main()
