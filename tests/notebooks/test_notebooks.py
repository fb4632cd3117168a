"""Every course notebook runs top to bottom in a real kernel without error (how long each takes,
against the minute it may take, is ``benchmarks/notebooks.py``'s job);
a few outputs are checked for what a reader must see. The notebooks in git have no outputs and
match their sources in ``notebooks/src/``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nbclient", reason="the notebook tests need the test extra: pip install -e '.[test,notebook]'")
pytest.importorskip("ipykernel", reason="the notebook tests need the notebook extra: pip install -e '.[test,notebook]'")

from .conftest import NOTEBOOKS  # noqa: E402
from .run import errors, execute, outputs, text  # noqa: E402

NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
DIAGRAM = '<img src="data:image/svg+xml;base64,'


def diagrams(nb: Any) -> list[tuple[int, str]]:
    """``(cell, text/plain)`` of every output that shows a trace diagram or a chart as an image."""
    return [(i, text(o)) for i, o in outputs(nb) if DIAGRAM in text(o, "text/html")]


def check_start_here(nb: Any) -> None:
    found = diagrams(nb)
    assert any("1 round trip · 50 ms" in plain for _, plain in found), found
    assert any("2 round trips · 100 ms" in plain and "Tip:" in plain for _, plain in found), found
    # the paced cell, the one the browser test watches live, ends with its final frame
    assert any(plain.startswith("3 round trips · 150 ms") for _, plain in found), found
    assert all("round trip" in plain for _, plain in found)
    # a promise shows as one (str() of it raises: a forgotten await), saying what to do with it
    assert any(
        text(o).strip() == "<RpcPromise pending: result 1 from worker_b — await it for the value>"
        for _, o in outputs(nb)
    )


def check_pipelining(nb: Any) -> None:
    found = [plain for _, plain in diagrams(nb)]
    assert any(p.startswith("2 round trips") and "Tip:" in p for p in found), found
    assert any(p.startswith("1 round trip") and "without pipelining: 2 round trips" in p for p in found), found
    assert any("KeyError: 'nobody' (remote=True)" in text(o) for _, o in outputs(nb))
    [refused] = [i for i, c in enumerate(nb.cells) if "await bank.describe(promise)" in c.source]
    assert any(
        i == refused and text(o).strip() == 'DataCloneError Could not serialize object of type "RpcPromise". '
        "This type does not support serialization."
        for i, o in outputs(nb)
    )
    [cell] = [i for i, c in enumerate(nb.cells) if "await bank.describe(account)" in c.source]
    assert any(i == cell and text(o).strip() == "Ada has 100" for i, o in outputs(nb))
    assert [p.split(" · ")[0] for i, p in diagrams(nb) if i == cell] == ["2 round trips"]


def check_explorer(nb: Any) -> None:
    plain = "\n".join(text(o) for _, o in outputs(nb))
    assert "awaited:   5 round trips, 250 ms" in plain and "pipelined: 1 round trip,  50 ms" in plain
    assert any(p.startswith("Virtual time (chain 3, fan-out 2); Round trips") for _, p in diagrams(nb))
    assert any(o.get("data", {}).get("application/vnd.jupyter.widget-view+json") for _, o in outputs(nb))
    # the widget leaves its figures behind for a saved copy: the charts and both diagrams
    [static] = [text(o, "text/html") for _, o in outputs(nb) if _widget_with_picture(o)]
    assert static.count(DIAGRAM) == 4, static[:200]  # two charts, two diagrams


def _widget_with_picture(o: Any) -> bool:
    """A widget's output that also holds a picture (for viewers without a kernel)."""
    data = o.get("data", {})
    return bool(data.get("application/vnd.jupyter.widget-view+json")) and DIAGRAM in data.get("text/html", "")


def check_flow_control(nb: Any) -> None:
    plain = "\n".join(text(o) for _, o in outputs(nb))
    assert "the writer stalled" in plain and "slow reader" in plain
    assert any(p.startswith("Throughput: 20 MB/s link") for _, p in diagrams(nb))
    [static] = [text(o, "text/html") for _, o in outputs(nb) if _widget_with_picture(o)]
    assert static.count(DIAGRAM) == 1


def check_faults(nb: Any) -> None:
    plain = "\n".join(text(o) for _, o in outputs(nb))
    cut = 'ConnectionLost: Network connection lost.\nThe link between "client" and "service" is cut'
    assert plain.count(cut) == 3 and plain.count("Get a new one by calling again the method that gave it to you. (retryable=True)") == 3
    assert 'pending call: Network connection lost.\nThe worker "service" crashed (play.crash).' in plain
    assert "the old stub: Network connection lost.\nThe Durable Object Room(lobby) of worker \"rooms\" crashed" in plain
    assert "session one released" in plain
    assert "a new stub:   {'in memory': 1, 'in storage': 4}" in plain


def check_capabilities(nb: Any) -> None:
    plain = "\n".join(text(o) for _, o in outputs(nb))
    assert 'The RPC receiver does not implement the method "delete".' in plain
    assert "PermissionError: access to this document was revoked (remote=True)" in plain


def check_mistakes(nb: Any) -> None:
    plain = "\n".join(text(o) for _, o in outputs(nb))
    found = [p for _, p in diagrams(nb)]
    await_help = "Did you forget `await`? An RPC call returns an RpcPromise at once, not its result"
    assert f"TypeError: unsupported operand type(s) for +: 'RpcPromise' and 'int', at cell line 3. {await_help}" in plain
    assert "'==' between instances of 'RpcPromise' and 'int' compares the promise itself" in plain
    # the bare call: no round trip claimed, the promise counted
    assert "0 round trips · 0 ms · 1 call (0 pipelined) · 1 message · 18 bytes · 1 leak · 1 never awaited" in found
    assert 'does not implement the method "ad". Did you mean `add`?' in plain
    assert 'Could not serialize object of type "Point". This type does not support serialization. To pass a Point' in plain
    assert "RPC stub used after being disposed. It was disposed at cell line 1 (the end of its `with` block)." in plain
    assert "Network connection lost.\nThe worker \"service\" crashed (play.crash). A stub that came over" in plain
    # the README's pipelined chain leaves no leak; a promise kept is listed with its line
    assert any(p.startswith("1 round trip · 50 ms · 4 calls (3 pipelined)") and "· 0 leaks ·" in p for p in found)
    assert "promise #15 to result 1 from service, owned by app, made at cell line 1" in plain
    assert "The call that hung: env.S.wait_for_news()" in plain
    assert "disconnected prematurely.\nThe side that wrote the stream let it go before closing it" in plain


def check_real_peers(nb: Any) -> None:
    # what the cells printed, as printed (a kernel under load may split one print in two outputs)
    plain = "".join(text(o) for _, o in outputs(nb) if o.output_type == "stream")
    assert "The real peer: " in plain and " at ws://127.0.0.1:" in plain
    found = diagrams(nb)

    def drawn(source: str) -> list[str]:
        # (a cell that needs the real peer starts `if url:`, as in the browser there is none)
        [cell] = [i for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and c.source.removeprefix("if url:\n").lstrip().startswith(source)]
        return [p for i, p in found if i == cell]

    # real round trips, counted as simulated ones (the times are the wall clock's: not checked)
    assert any(p.startswith("2 round trips · ") and "Tip:" in p for p in drawn("with await api.counter()"))
    assert any(p.startswith("1 round trip · ") and "without pipelining: 2 round trips" in p for p in drawn("with api.counter()"))
    assert "simulated 50 ms link  4 round trips   200.00 ms" in plain
    assert "\nreal localhost        4 round trips  " in plain
    assert any(p.startswith("4 round trips · 200 ms · ") for p in drawn("class Client"))
    [side_by_side] = [text(o, "text/html") for i, o in outputs(nb) if nb.cells[i].source.startswith("HTML(")]
    assert side_by_side.count(DIAGRAM) == 2 and "<th>simulated 50 ms link</th><th>real localhost</th>" in side_by_side
    assert "called back with 1\ncalled back with 2\n" in plain
    assert [text(o) for i, o in outputs(nb) if o.output_type == "execute_result" and "def times_ten" in nb.cells[i].source] == ["[10, 20]"]
    assert any(p.startswith("3 round trips · ") for p in drawn("def times_ten"))
    assert "leaks: []\nRpcError: RPC stub used after being disposed. It was disposed at cell line 2 by `dispose()`." in plain
    assert plain.rstrip().endswith("stopped")


CHECKS: dict[str, Callable[[Any], None]] = {
    "00-start-here": check_start_here,
    "04-promise-pipelining": check_pipelining,
    "09-pipelining-explorer": check_explorer,
    "10-flow-control-lab": check_flow_control,
    "11-faults-lab": check_faults,
    "12-capability-patterns": check_capabilities,
    "13-real-peers": check_real_peers,
    "14-common-mistakes": check_mistakes,
}


def test_the_course_is_complete():
    assert NAMES[0] == "00-start-here"
    assert len(NAMES) == 15, NAMES


@pytest.mark.notebook
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, kernel_dirs: list[str]):
    done = execute(NOTEBOOKS / f"{name}.ipynb", kernel_dirs)  # benchmarks/notebooks.py times them
    assert errors(done.nb) == []
    assert diagrams(done.nb), f"{name} shows no diagram"
    CHECKS.get(name, lambda nb: None)(done.nb)


@pytest.mark.notebook
def test_the_real_peers_notebook_serves_itself_without_node(kernel_dirs: list[str], monkeypatch: pytest.MonkeyPatch):
    """With no ``node`` on the PATH, a second playground is the real peer: the same checks hold."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    done = execute(NOTEBOOKS / "13-real-peers.ipynb", kernel_dirs)
    assert errors(done.nb) == []
    plain = "".join(text(o) for _, o in outputs(done.nb) if o.output_type == "stream")
    assert "The real peer: a second playground serving Api, at ws://127.0.0.1:" in plain
    assert "/api (node and npm are not installed)" in plain
    check_real_peers(done.nb)


def test_notebooks_in_git_have_no_outputs():
    for path in sorted([*NOTEBOOKS.glob("*.ipynb"), *NOTEBOOKS.glob("exercises/*.ipynb")]):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
        assert "widgets" not in nb["metadata"], path.name


def test_notebooks_match_their_sources():
    result = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
