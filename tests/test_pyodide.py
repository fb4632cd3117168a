"""The playground under Pyodide (CPython 3.14 compiled to WebAssembly, as JupyterLite runs it),
under Node.js: ``play.run`` nested inside the running loop (Pyodide's WebLoop), and a playground
call awaited at top level. CPython 3.14's asyncio keeps one current task per thread, so the
cell's task must be set aside while the playground's loop runs (docs/design.md, Virtual time)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import msgpack
import pytest

from tests.conftest import needs_node, npm_install

PYODIDE_VERSION = "314.0.8"  # CPython 3.14
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.pyodide

SCRIPT = """
import { loadPyodide } from %(module)s;
const py = await loadPyodide();
py.mountNodeFS("/src", %(src)s);
py.mountNodeFS("/site", %(site)s);
py.runPython("import sys; sys.path[:0] = ['/src', '/site']");
let out;
try {
out = await py.runPythonAsync(`
import asyncio, json, sys
from playground import Playground, WorkerEntrypoint

class Svc(WorkerEntrypoint):
    async def add(self, a, b):
        await asyncio.sleep(1)
        return a + b

play = Playground(latency="25ms")
play.worker("svc", Svc)
play.worker("app", Svc, services={"SVC": "svc"})
env = play.env("app")

async def main():
    return await env.SVC.add(1, 2)

nested = play.run(main())          # inside the running task of Pyodide's loop
nested_at = play.now
awaited = await env.SVC.add(3, 4)  # awaited at top level, on Pyodide's loop
json.dumps([sys.version_info[:2], nested, nested_at, awaited, play.now, asyncio.current_task() is not None])
`);
} catch (e) { console.log(String(e.message)); process.exit(1); }
console.log("RESULT " + out);
"""


@pytest.fixture(scope="session")
def pyodide_module(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """npm ``pyodide`` installed once per test run: ``(node, its pyodide.mjs)``."""
    folder = tmp_path_factory.mktemp("pyodide")
    node = npm_install(folder, f"pyodide@{PYODIDE_VERSION}", why="running npm pyodide")
    module = folder / "node_modules" / "pyodide" / "pyodide.mjs"
    if not module.exists():
        needs_node(f"npm installed pyodide@{PYODIDE_VERSION} without {module.name}")
    return node, module


def test_play_run_inside_pyodides_running_loop_on_python_3_14(pyodide_module, tmp_path):
    node, module = pyodide_module
    site = tmp_path / "site" / "msgpack"
    site.mkdir(parents=True)
    for source in Path(msgpack.__file__).parent.glob("*.py"):  # its pure-Python fallback
        shutil.copy(source, site / source.name)
    script = tmp_path / "run.mjs"
    script.write_text(SCRIPT % {
        "module": json.dumps(module.as_uri()), "src": json.dumps(str(ROOT)), "site": json.dumps(str(tmp_path / "site")),
    })
    run = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-3000:] + run.stderr[-3000:]
    version, nested, nested_at, awaited, now, in_task = json.loads(lines[0].removeprefix("RESULT "))
    assert version == [3, 14]
    assert (nested, nested_at) == (3, 1.05)  # a round trip of 50 ms and the method's second
    assert (awaited, now) == (7, 2.1)
    assert in_task  # the cell's task is current again afterwards
