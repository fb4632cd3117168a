"""Call latency to a real Cap'n Web peer over a loopback WebSocket: the playground as the client
of a Node.js server running npm ``capnweb`` (``await api.add(i, 1)``, N calls awaited one after
the other), beside a Node client of the same server over the same transport (Node↔Node). Best
and median µs per call over 7 runs, and the ratio Python↔Node / Node↔Node.

It installs capnweb and ws with npm into a temporary folder (as ``capnweb.py`` does) and runs
``peers_node.mjs`` there; without node or npm it says so and measures nothing.

Run: ``python3 benchmarks/peers.py [N]`` (needs node and npm reaching the npm registry, and
``pip install 'workers-rpc-playground[peers]'``).
"""

from __future__ import annotations

import json
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capnweb import _run, install  # noqa: E402  (a sibling script)

SCRIPT = Path(__file__).with_name("peers_node.mjs")
RUNS = 7


def _python_client(url: str, n: int) -> list[float]:
    """µs per awaited ``api.add(i, 1)`` of each run, from a playground."""
    from playground import Playground, dispose

    async def main(play: Any) -> list[float]:
        api = await play.connect(url)
        await api.add(0, 0)  # (the socket is open)
        runs = []
        for _ in range(RUNS):
            start = time.perf_counter()
            for i in range(n):
                await api.add(i, 1)
            runs.append((time.perf_counter() - start) / n * 1e6)
        dispose(api)
        return runs

    with Playground() as play:
        return play.run(main(play))  # type: ignore[no-any-return]


def run_peers(n: int = 2000, *, version: str = "0.12.0", timeout: float = 600) -> dict[str, Any] | str:
    """Measure both clients against one Node server; the figures, or a string saying why not."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return "skipped: node and npm must both be on PATH"
    try:
        import aiohttp  # noqa: F401
        import websockets  # noqa: F401
    except ImportError:
        return "skipped: real peers need pip install 'workers-rpc-playground[peers]'"
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="capnweb-peers-") as folder:
        failed = install(folder, [f"capnweb@{version}", "ws@8.18.3"], deadline)
        if failed is not None:
            return failed
        shutil.copy(SCRIPT, folder)
        server = subprocess.Popen(
            [node, SCRIPT.name, "serve"], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            ready, _, _ = select.select([server.stdout], [], [], 60)
            line = server.stdout.readline() if ready else ""  # type: ignore[union-attr]
            if not line:
                return "the Node server did not start"
            url = f"ws://127.0.0.1:{json.loads(line)['port']}/api"
            python = _python_client(url, n)
            done = _run([node, SCRIPT.name, "bench", url, str(n), str(RUNS)], folder, deadline)
            if isinstance(done, str):
                return done
            node_runs: list[float] = json.loads(done.stdout.strip().splitlines()[-1])["runs_us"]
        finally:
            server.stdin.close()  # type: ignore[union-attr]  # (it stops when its stdin ends)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            server.stdout.close()  # type: ignore[union-attr]
    version_line = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "node": version_line, "capnweb": version, "calls": n,
        "python_node_us": (min(python), statistics.median(python)),
        "node_node_us": (min(node_runs), statistics.median(node_runs)),
    }


if __name__ == "__main__":
    result = run_peers(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    if isinstance(result, str):
        print(f"Real peers: {result}")
    else:
        py, js = result["python_node_us"], result["node_node_us"]
        print(f"await api.add(i, 1) over a loopback WebSocket, capnweb {result['capnweb']} on Node "
              f"{result['node']}, {result['calls']} calls x {RUNS} runs:")
        print(f"  Python (playground) -> Node   {py[0]:9.1f} µs best {py[1]:9.1f} µs median")
        print(f"  Node -> Node                  {js[0]:9.1f} µs best {js[1]:9.1f} µs median")
        print(f"  ratio Python/Node             {py[0] / js[0]:9.1f} x best {py[1] / js[1]:9.1f} x median")
