"""Instructions per call, counted by valgrind's callgrind: a measure that does not move.

Wall-clock timings on a small shared machine move by ±30 % from one second to the next, so
``call_overhead.py`` reports ratios within interleaved rounds. To tell whether a change to the
call path helped by 3 %, count instructions instead: the same Python, code and inputs give the
same count (within a fraction of a percent), whatever else the machine does.

For each operation the script runs it ``n1`` and ``n2`` times under ``valgrind
--tool=callgrind`` and prints ``(I(n2) - I(n1)) / (n2 - n1)``: instructions per operation, start-up
excluded, and the ratio to the same count for the asyncio floor (a call to another task and
back). It prints why it did nothing when valgrind is missing.

With ``--python`` it counts, the same way, the Python function calls (generator and coroutine
resumptions included) and the bytecodes each operation runs, with ``sys.settrace``: no valgrind
needed, and the numbers say where in the code the instructions go.

Run: ``.venv/bin/python benchmarks/instructions.py [--python] [binding stub chain floor]``
(about a minute per operation; valgrind from Debian's packages).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def python_counts(operation: str, n: int) -> tuple[int, int]:
    """Python calls and bytecodes ``sys.settrace`` sees in one run of ``operation`` ``n`` times."""
    done = subprocess.run(
        [sys.executable, __file__, "--run-traced", operation, str(n)], capture_output=True, text=True, check=True
    )
    calls, bytecodes = done.stdout.split()
    return int(calls), int(bytecodes)


def run_traced(operation: str, n: int) -> None:
    """:func:`run` under a tracer that counts calls and bytecodes; prints the two counts."""
    import playground  # noqa: F401  (its import is not counted)

    counts = [0, 0]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            counts[1] += 1
        elif event == "call":
            counts[0] += 1
            frame.f_trace_opcodes = True
        return tracer

    sys.settrace(tracer)
    try:
        run(operation, n)
    finally:
        sys.settrace(None)
    print(*counts)


def run(operation: str, n: int) -> None:
    """The operation itself (what callgrind runs)."""
    sys.path.insert(0, str(HERE))
    from call_overhead import floor_task_round_trip, make_world, operations

    if operation == "floor":
        floor_task_round_trip(n)
        return
    play, env = make_world()
    _KEPT.append(play)  # not released when this returns: see _exit_now
    ops = operations(play, env)
    ops[operation][0](n)


_KEPT: list[Any] = []


def _exit_now() -> None:
    """End without releasing the playground at exit: its release (which grows with the number
    of calls made) is not part of a call's cost, and would otherwise be counted with it."""
    sys.stdout.flush()
    os._exit(0)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--run"]:
        run(argv[1], int(argv[2]))
        _exit_now()
    if argv[:1] == ["--run-traced"]:
        run_traced(argv[1], int(argv[2]))
        _exit_now()
    if argv[:1] == ["--python"]:
        print(f"{'operation':<10} {'Python calls':>13} {'bytecodes':>10}")
        for operation in argv[1:] or ["floor", "binding", "stub", "chain"]:
            n1, n2 = SIZES[operation]
            (c1, b1), (c2, b2) = python_counts(operation, n1), python_counts(operation, n2)
            print(f"{operation:<10} {(c2 - c1) / (n2 - n1):13,.0f} {(b2 - b1) / (n2 - n1):10,.0f}")
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
