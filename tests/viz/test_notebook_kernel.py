"""The extension in a real Jupyter kernel (nbclient): the saved notebook keeps the final frame."""

from __future__ import annotations

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

SETUP = """from playground import Playground, WorkerEntrypoint, RpcTarget
class Counter(RpcTarget):
    def __init__(self): self._v = 0
    def increment(self, n=1): self._v += n; return self._v
class S(WorkerEntrypoint):
    def get_counter(self): return Counter()
play = Playground(latency="25ms"); play.worker("s", S); play.worker("a", S, services={"S": "s"})
env = play.env("a")"""


@pytest.mark.notebook
def test_cells_with_rpc_get_one_final_diagram_and_others_nothing(kernel_dirs):
    from nbformat.v4 import new_code_cell, new_notebook

    from tests.notebooks.run import execute

    nb = new_notebook()
    nb.cells = [
        new_code_cell("%load_ext playground"),
        new_code_cell(SETUP),
        new_code_cell("with await env.S.get_counter() as c:\n    print(await c.increment(2))"),
        new_code_cell("1 + 1"),
    ]
    execute(nb, kernel_dirs, timeout=60)
    assert nb.cells[0].outputs == [] and nb.cells[1].outputs == []
    [diagram, printed] = nb.cells[2].outputs
    assert diagram["output_type"] == "display_data"
    assert diagram["data"]["text/plain"].startswith("2 round trips · 100 ms")
    assert diagram["data"]["text/html"].startswith('<img src="data:image/svg+xml;base64,')
    assert "Tip: cell line 1 `with await env.S.get_counter() as c:`" in diagram["data"]["text/plain"]
    assert printed["text"] == "2\n"
    assert [o["output_type"] for o in nb.cells[3].outputs] == ["execute_result"]


@pytest.mark.notebook
def test_a_bare_call_cell_says_never_awaited_and_a_chain_cell_leaves_no_leak(kernel_dirs):
    """The two commonest notebook mistakes, as a student meets them: a call without ``await``
    (no round trip happened: the diagram must not claim one) and the README's pipelined chain
    (which must not be drawn as leaking)."""
    from nbformat.v4 import new_code_cell, new_notebook

    from tests.notebooks.run import execute

    nb = new_notebook()
    nb.cells = [
        new_code_cell("%load_ext playground"),
        new_code_cell(SETUP),
        new_code_cell("p = env.S.get_counter().increment(2)"),
        new_code_cell("await env.S.get_counter().increment(2)"),
        new_code_cell("print(len(play.leaks()))"),
    ]
    execute(nb, kernel_dirs, timeout=60)
    [bare] = nb.cells[2].outputs
    assert bare["data"]["text/plain"].startswith("0 round trips · 0 ms")
    assert "2 leaks · 1 never awaited" in bare["data"]["text/plain"]
    diagram, result = nb.cells[3].outputs
    assert diagram["data"]["text/plain"].startswith("1 round trip · 50 ms")
    assert "0 leaks" in diagram["data"]["text/plain"]
    assert "never awaited" not in diagram["data"]["text/plain"]
    assert result["data"]["text/plain"] == "2"
    # the first cell's two promises (p and its unreachable base) are still held: p is kept
    assert nb.cells[4].outputs[0]["text"] == "2\n"
