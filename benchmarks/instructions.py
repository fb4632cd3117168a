"""Instructions per call, counted by valgrind's callgrind: a measure that does not move.

Wall-clock timings on a small shared machine move by ±30 % from one second to the next, so
``call_overhead.py`` reports ratios within interleaved rounds. To tell whether a change to the
call path helped by 3 %, count instructions instead: the same Python, code and inputs give the
same count (within a fraction of a percent), whatever else the machine does.

For each operation the script runs it ``n1`` and ``n2`` times under ``valgrind
--tool=callgrind`` and prints ``(I(n2) - I(n1)) / (n2 - n1)``: instructions per operation, start-up
excluded, and the ratio to the same count for the asyncio floor (a call to another task and
back). It prints why it did nothing when valgrind is missing.

Run: ``.venv/bin/python benchmarks/instructions.py [binding stub chain floor]`` (about a minute
per operation; valgrind from Debian's packages).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: operation -> (small n, large n)
SIZES = {"floor": (200, 1200), "binding": (100, 400), "stub": (100, 400), "chain": (20, 80)}


def instructions(operation: str, n: int) -> int:
    """Instructions callgrind counts for one run of ``operation`` ``n`` times."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--run", operation,
         str(n)],
        capture_output=True, text=True, check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {done.stderr[-500:]}")
    return int(found.group(1))


def run(operation: str, n: int) -> None:
    """The operation itself (what callgrind runs)."""
    sys.path.insert(0, str(HERE))
    from call_overhead import floor_task_round_trip, make_world, operations

    if operation == "floor":
        floor_task_round_trip(n)
        return
    play, env = make_world()
    ops = operations(play, env)
    ops[operation][0](n)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--run"]:
        run(argv[1], int(argv[2]))
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing counted.")
        return
    wanted = argv or ["floor", "binding", "stub", "chain"]
    counts = {}
    for operation in ["floor", *[w for w in wanted if w != "floor"]]:
        n1, n2 = SIZES[operation]
        counts[operation] = (instructions(operation, n2) - instructions(operation, n1)) / (n2 - n1)
    floor = counts["floor"]
    print(f"{'operation':<10} {'instructions':>13} {'× floor':>8}")
    for operation, count in counts.items():
        print(f"{operation:<10} {count:13,.0f} {count / floor:8.2f}")
    if "chain" in counts and "stub" in counts:
        print(f"chain of 10 ÷ one awaited stub call: {counts['chain'] / counts['stub']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
