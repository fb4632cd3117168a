"""The exercises (notebooks/exercises/, playground.exercises): each check passes on its solution
and, on the starting code, fails with the hint the student must read. The cells run here in
plain Python, as a kernel would run them (top-level ``await`` allowed, cell line numbers in the
hints), without a kernel; one notebook also runs in a real kernel (marked ``notebook``)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import linecache
import sys
from pathlib import Path
from typing import Any

import pytest

from playground import Playground
from playground.exercises import TITLES, CheckResult, check, check_1

ROOT = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = ROOT / "src" / "exercises"
SOLUTIONS = ROOT / "exercises" / "solutions"
sys.path.insert(0, str(ROOT))
from build import parse_cells  # noqa: E402

NAMES = sorted(p.stem for p in SOURCES.glob("*.py"))


def cells_of(name: str) -> tuple[str, str, str]:
    """The exercise's code cells: setup, the cell to edit, the check."""
    setup, exercise, checking = [c for kind, c in parse_cells((SOURCES / f"{name}.py").read_text(encoding="utf-8")) if kind == "code"]
    return setup, exercise, checking


def run_cells(*sources: str) -> dict[str, Any]:
    """Run cells as IPython would (magics left out): cell ``i`` is ``<ipython-input-i>``."""
    namespace: dict[str, Any] = {}
    for i, source in enumerate(sources):
        source = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        filename = f"<ipython-input-{i}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

        async def cell() -> None:
            result = eval(code, namespace)
            if result is not None:
                await result

        with contextlib.redirect_stdout(io.StringIO()):
            asyncio.run(cell())
    return namespace


def checked(name: str, exercise_cell: str) -> CheckResult:
    setup, _, checking = cells_of(name)
    namespace = run_cells(setup, exercise_cell)
    play = namespace["play"]
    try:
        result = eval(checking, namespace)
        assert isinstance(result, CheckResult)
        return result
    finally:
        play.close()


STARTING_HINTS = {
    "01-one-round-trip": [
        "2 round trips: cell line 17 `with await env.COUNTER_SERVICE.get_counter() as counter:`: awaits "
        "get_counter() only to call increment() on the result. Call it on the promise instead (pipelining) "
        "to save 1 round trip. Aim: 1 round trip."
    ],
    "02-find-the-leak": [
        "3 stubs never disposed: stub from greeters, made at cell line 17 (3 times). Dispose each one when "
        "you are done with it: `with ... as name:` or `name.dispose()`."
    ],
    "03-pass-a-callback": [
        "The client called `read()` 3 times: it is polling, a round trip each, asking whether or not there "
        "is news. Stop calling `read()`.",
        "The sensor called the client back 0 times: pass a function to `watch()` "
        "(`await env.SENSOR.watch(on_reading)`); the sensor calls it with each of its 3 readings.",
    ],
    "04-survive-a-crash": [
        "No vote was counted after the crash: the old stub broke (ConnectionLost) and stays broken. When a "
        "call fails with ConnectionLost, get a new stub from the namespace (`env.TALLY.get(...)`) and call again."
    ],
    "05-back-pressure": [
        "The frames came back in one message of 1,048,786 bytes: the camera made every frame before the viewer "
        "showed one, and nothing could slow it down. Return a `ReadableStream` (`ReadableStream.from_iterable(...)` "
        "of a generator) and read it with `async for`: then the camera sends at most a window ahead of the viewer."
    ],
    "06-forward-a-stub": [
        "The auditor's 3 calls to `increment()` ran in introducer, not in counter-service: the counter you "
        "passed was made here, so the one in counter-service never changed. Pass the stub `get_counter()` "
        "gave you: the auditor's calls on it are forwarded through introducer to counter-service."
    ],
}

PRAISE = {
    "01-one-round-trip": "1 round trip: `increment()` left with `get_counter()`, addressed to its result.",
    "02-find-the-leak": "Three greetings, and every greeter disposed: `greeters` can free them.",
    "03-pass-a-callback": "The client made one call; the sensor called your function back with each reading.",
    "04-survive-a-crash": "5 votes counted across the crash: a new stub, and the count kept in storage.",
    "05-back-pressure": "The frames flowed as a stream: at most 64 KiB in flight, and the camera waited 60 times "
    "for the viewer (back-pressure).",
    "06-forward-a-stub": "The auditor's 3 calls went through introducer to the counter in counter-service.",
}


def test_there_are_six_exercises_each_with_a_solution():
    assert NAMES == sorted(STARTING_HINTS) and len(NAMES) == len(TITLES) == 6
    assert sorted(p.stem for p in SOLUTIONS.glob("*.py")) == NAMES
    for number, name in enumerate(NAMES, 1):
        assert cells_of(name)[2] == f"check_{number}(play)"


@pytest.mark.parametrize("name", NAMES)
def test_the_starting_code_fails_with_its_hint(name: str):
    result = checked(name, cells_of(name)[1])
    assert not result.passed and not result
    assert result.hints == STARTING_HINTS[name]


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_passes(name: str):
    result = checked(name, (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8"))
    assert result.hints == [] and result.passed
    assert str(result) == f"Exercise {NAMES.index(name) + 1} ({TITLES[NAMES.index(name) + 1]}): passed. {PRAISE[name]}"


def test_a_half_solved_crash_says_what_is_left():
    """Retrying on a new stub, with the count still in memory: the count restarts at 1."""
    solution = (SOLUTIONS / "04-survive-a-crash.py").read_text(encoding="utf-8")
    memory = solution.split("    async def add(self):")[0] + (
        "    async def add(self):\n        self.count += 1\n        return self.count\n\n" + solution.split("\n\nplay = ", 1)[1].join(["play = ", ""])
    )
    result = checked("04-survive-a-crash", memory)
    assert result.hints == [
        "The last count was 2, yet 5 votes were counted: the count lived in memory (`self.count`), which a "
        "crash wipes. Keep it in the object's storage: `await self.ctx.storage.get(...)` and "
        "`await self.ctx.storage.put(...)`."
    ]


def test_a_pipelined_chain_that_leaks_its_stub_is_not_done():
    setup, exercise, _ = cells_of("01-one-round-trip")
    leaky = exercise.replace(
        "with await env.COUNTER_SERVICE.get_counter() as counter:\n    print(await counter.increment())",
        "counter = env.COUNTER_SERVICE.get_counter()\nprint(await counter.increment())",
    )
    namespace = run_cells(setup, leaky)
    result = check_1(namespace["play"])
    namespace["play"].close()
    assert result.hints == [
        "1 promise never disposed: result 1 from counter-service, made at cell line 17. Dispose each one when "
        "you are done with it: `with ... as name:` or `name.dispose()`."
    ]


def test_a_result_shows_as_text_markdown_and_html():
    failed = CheckResult(2, ["Dispose <it>."])
    assert str(failed) == "Exercise 2 (find and fix the leak): not yet.\n- Dispose <it>."
    assert failed._repr_markdown_() == "❌ **Exercise 2 (find and fix the leak): not yet.**\n\n- Dispose <it>."
    assert "<li>Dispose &lt;it&gt;.</li>" in failed._repr_html_()
    passed = CheckResult(1, [], "1 round trip.")
    assert passed.passed and passed._repr_markdown_() == "✅ **Exercise 1 (make this chain one round trip): passed.** 1 round trip."


def test_a_check_before_the_exercise_ran_says_to_run_it():
    with Playground() as play:
        assert check(3, play).hints == [
            "This playground has no worker 'sensor': run the exercise cell (it makes the playground), then the check."
        ]


def test_bad_input_is_refused_clearly():
    with pytest.raises(TypeError) as error:
        check_1("play")  # type: ignore[arg-type]
    assert str(error.value) == "check_1() takes the Playground the exercise ran in (check_1(play)); got str."
    with Playground() as play, pytest.raises(ValueError) as error2:
        check(7, play)
    assert str(error2.value) == "There is no exercise 7; the exercises are 1, 2, 3, 4, 5, 6."


@pytest.mark.notebook
def test_an_exercise_notebook_runs_in_a_kernel_and_its_check_speaks(kernel_dirs: list[str]):
    pytest.importorskip("nbclient")
    from tests.notebooks.run import errors, execute, outputs, text

    done = execute(ROOT / "exercises" / "01-one-round-trip.ipynb", kernel_dirs)
    assert errors(done.nb) == []
    last = len(done.nb.cells) - 1
    [shown] = [o for i, o in outputs(done.nb) if i == last]
    assert text(shown, "text/markdown").startswith("❌ **Exercise 1 (make this chain one round trip): not yet.**\n\n- 2 round trips: cell line 17 ")
