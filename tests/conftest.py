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
