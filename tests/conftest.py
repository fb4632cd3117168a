"""Every test ends with a leak check: no stub left undisposed, every session table empty.
Notebook tests share one kernelspec that runs this interpreter."""

from __future__ import annotations

import weakref

import pytest

from playground import Playground
from playground.runtime.world import watch_playgrounds
from playground.testing import leak_report


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "leaks_ok: the test leaves stubs undisposed on purpose")


@pytest.fixture(autouse=True)
def _leak_check(request: pytest.FixtureRequest):
    created: list[weakref.ref[Playground]] = []  # (weak: a playground the test drops is collected)
    unwatch = watch_playgrounds(lambda play: created.append(weakref.ref(play)))
    try:
        yield
    finally:
        unwatch()
    strict = request.node.get_closest_marker("leaks_ok") is None
    problems: list[str] = []
    for ref in created:
        play = ref()
        if play is None or play.closed:
            continue
        problems += leak_report(play, strict=strict)
        play.close()
    assert not problems, "leak check failed:\n" + "\n".join(problems)


@pytest.fixture
def play() -> Playground:
    """A playground with 25 ms links and seed 0."""
    return Playground(latency="25ms", seed=0)


@pytest.fixture(scope="session")
def kernel_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Kernel directories whose one kernel runs this interpreter (the project's venv)."""
    from tests.notebooks.run import kernel_spec

    return kernel_spec(tmp_path_factory.mktemp("kernels"))


CAPNWEB_VERSION = "0.12.0"


def needs_node(reason: str) -> None:
    """Skip a test that needs Node.js (or npm, or capnweb) for ``reason``; with
    ``PLAYGROUND_REQUIRE_NODE=1`` (set by CI) fail instead, so CI never passes without them."""
    import os

    if os.environ.get("PLAYGROUND_REQUIRE_NODE") == "1":
        pytest.fail(f"PLAYGROUND_REQUIRE_NODE=1 but {reason}")
    pytest.skip(reason)


def npm_install(folder, *packages: str, why: str) -> str:
    """``npm install`` ``packages`` (``name@version``) into ``folder`` and return the path of
    ``node``; without node or npm, or if the install fails, the test is skipped (a failure under
    ``PLAYGROUND_REQUIRE_NODE=1``), ``why`` saying what needed them."""
    import shutil
    import subprocess

    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        needs_node(f"{why} needs Node.js and npm (node and npm on PATH)")
    install = subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder), *packages],  # type: ignore[list-item]
        capture_output=True, text=True, timeout=300,
    )
    if install.returncode != 0:
        needs_node(f"npm could not install {' '.join(packages)}: {install.stderr.strip()[-500:]}")
    return node  # type: ignore[return-value]


@pytest.fixture(scope="session")
def capnweb_dir(tmp_path_factory: pytest.TempPathFactory):
    """A folder with npm ``capnweb`` installed (once per test run), for tests that run the real
    Cap'n Web under Node.js; ``(node, folder)``."""
    folder = tmp_path_factory.mktemp("capnweb")
    node = npm_install(folder, f"capnweb@{CAPNWEB_VERSION}", why="running npm capnweb")
    return node, folder
