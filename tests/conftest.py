"""Every test ends with a leak check: no stub left undisposed, every session table empty."""

from __future__ import annotations

import pytest

from playground import Playground
from playground.testing import leak_report


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "leaks_ok: the test leaves stubs undisposed on purpose")


@pytest.fixture(autouse=True)
def _leak_check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    created: list[Playground] = []
    original = Playground.__init__

    def tracking_init(self: Playground, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(Playground, "__init__", tracking_init)
    yield
    strict = request.node.get_closest_marker("leaks_ok") is None
    problems: list[str] = []
    for play in created:
        if play.closed:
            continue
        problems += leak_report(play, strict=strict)
        play.close()
    assert not problems, "leak check failed:\n" + "\n".join(problems)


@pytest.fixture
def play() -> Playground:
    """A playground with 25 ms links and seed 0."""
    return Playground(latency="25ms", seed=0)
