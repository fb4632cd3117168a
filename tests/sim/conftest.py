"""Tests of the bare loop make ``VirtualLoop`` objects of their own: each is closed when its
test ends (an unclosed loop is a ResourceWarning, an error in this suite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from playground.sim.clock import VirtualLoop


@pytest.fixture(autouse=True)
def _close_loops(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    made: list[VirtualLoop] = []
    init = VirtualLoop.__init__

    def remembered(self: VirtualLoop, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(VirtualLoop, "__init__", remembered)
    yield
    for loop in made:
        if not loop.is_closed():
            loop.close()
