"""Cap'n Web (Cloudflare's npm ``capnweb``) call overhead on Node.js, as a reference for ours.

Measures, in one Node process with no sockets, what ``call_overhead.py`` measures in Python:
an awaited ``add(i, 1)`` on the main stub, an awaited ``inc(i)`` on a stub returned earlier, a
pipelined chain of 10 calls with one await, and a Node floor (a hop to another async task and
back). Best and median µs per operation over 7 runs (see ``capnweb_node.mjs``). The main figures
use a pair of in-memory ``RpcTransport`` objects passing JSON strings; the same calls over a
``MessageChannel`` (structured clone) are reported under ``message_channel``.

``run_capnweb()`` installs capnweb with npm in a temporary folder and runs the script there; it
returns a string instead of figures when node or npm is missing or anything fails.

Run: ``python3 benchmarks/capnweb.py [N]`` (needs node and npm reaching the npm registry).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("capnweb_node.mjs")
LABELS = {
    "floor_us": "floor: async hop to another task and back",
    "main_stub_call_us": "await stub.add(i, 1) on the main stub",
    "stub_call_us": "await link.inc(i) on a returned stub",
    "chain_of_10_us": "pipelined chain of 10, one await",
}


def _run(cmd: list[str], cwd: str, deadline: float) -> subprocess.CompletedProcess[str] | str:
    """Run ``cmd`` in ``cwd``; a string says why it failed (exit status and stderr tail)."""
    timeout = max(1.0, deadline - time.monotonic())
    try:
        done = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{' '.join(cmd[:2])} failed: {error}"
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip())[-600:] or "(no output)"
        return f"{' '.join(cmd[:2])} exited {done.returncode}: {tail}"
    return done


def install(folder: str, packages: list[str], deadline: float) -> str | None:
    """npm-install ``packages`` into ``folder`` (an ES-module package, so scripts copied there
    can ``import "capnweb"``); None, or a string saying why it failed."""
    npm = shutil.which("npm")
    if npm is None:
        return "skipped: npm is not on PATH"
    Path(folder, "package.json").write_text('{"private": true, "type": "module"}\n')
    done = _run([npm, "install", "--no-audit", "--no-fund", "--silent", *packages], folder, deadline)
    return done if isinstance(done, str) else None


def run_capnweb(n: int = 3000, *, version: str = "0.12.0", timeout: float = 300) -> dict[str, Any] | str:
    """Install ``capnweb@version`` in a temporary folder and measure it on ``n`` calls.

    Returns the figures parsed from the script's JSON line, or a string saying why it was skipped
    or what failed; never raises for a missing tool or a failed install.
    """
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return "skipped: node and npm must both be on PATH"
    if not SCRIPT.is_file():
        return f"skipped: {SCRIPT} is missing"
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="capnweb-bench-") as folder:
        installed = install(folder, [f"capnweb@{version}"], deadline)
        if installed is not None:
            return installed
        shutil.copy(SCRIPT, folder)
        done = _run([node, "--expose-gc", SCRIPT.name, str(n)], folder, deadline)
        if isinstance(done, str):
            return done
    try:
        figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as error:
        return f"unreadable output ({error}): {done.stdout[-300:]!r}"
    return figures


def _print_figures(figures: dict[str, Any]) -> None:
    """Print one line per measured operation: best and median µs."""
    for key, label in LABELS.items():
        if key in figures:
            print(f"  {label:<44} {figures[key][0]:9.2f} µs best {figures[key][1]:9.2f} µs median")


if __name__ == "__main__":
    result = run_capnweb(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
    if isinstance(result, str):
        print(f"Cap'n Web: {result}")
    else:
        print(f"Cap'n Web {result['capnweb']} on Node {result['node']}, {result['transport']}:")
        _print_figures(result)
        if isinstance(result.get("message_channel"), dict):
            print("Same calls over a MessageChannel:")
            _print_figures(result["message_channel"])
