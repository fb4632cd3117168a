"""The CPU-time limit of a request (issue 12): a spinning callee is stopped, the world goes on."""

from __future__ import annotations

import time

import pytest

from playground import Playground, RpcError, WorkerEntrypoint, sleep
from playground.errors import ConfigurationError

from .services import failure

TEXT = "Worker exceeded CPU time limit."


class Spinner(WorkerEntrypoint):
    def spin(self):
        while True:
            pass

    def swallow(self):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 (user code that swallows every error)
                pass

    async def spin_later(self):
        await self.env.SELF.ok()
        while True:
            pass

    def ok(self):
        return "ok"

    def busy(self, seconds):
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass
        return "done"


def spin_world(**options):
    play = Playground(latency="1ms", cpu_limit=options.pop("cpu_limit", "50ms"), **options)
    play.worker("spin", Spinner, services={"SELF": "spin"})
    play.worker("caller", Spinner, services={"S": "spin"})
    return play, play.env("caller")


@pytest.mark.parametrize("method", ["spin", "spin_later", "swallow"])
def test_a_spinning_callee_fails_with_the_runtimes_words_and_the_world_goes_on(method):
    play, env = spin_world()
    started = time.monotonic()
    error = play.run(failure(getattr(env.S, method)()))
    assert time.monotonic() - started < 1.0
    assert type(error) is RpcError and str(error) == TEXT
    assert play.run(env.S.ok()) == "ok"  # the next call works
    play.run(sleep("1s"))
    assert not play.runtime.contexts  # no request is left open
    notes = [e for e in play.trace.events if type(e).__name__ == "NoteEvent" and e.level == "error"]
    assert any("CPU time limit" in e.text for e in notes)


def test_within_the_limit_nothing_happens():
    play, env = spin_world(cpu_limit="1s")
    assert play.run(env.S.busy(0.02)) == "done"


def test_the_limit_is_per_worker_and_can_be_lifted():
    play = Playground(cpu_limit="10ms")
    play.worker("free", Spinner, cpu_limit=None)
    play.worker("strict", Spinner, cpu_limit="5ms")
    play.worker("caller", Spinner, services={"F": "free", "S": "strict"})
    env = play.env("caller")
    assert play.run(env.F.busy(0.03)) == "done"
    assert str(play.run(failure(env.S.busy(0.03)))) == TEXT


@pytest.mark.parametrize("bad", [0, -1, "fast", "0s", True])
def test_a_bad_limit_is_a_configuration_error(bad):
    with pytest.raises(ConfigurationError, match="cpu_limit"):
        Playground(cpu_limit=bad)
    play = Playground()
    with pytest.raises(ConfigurationError, match="cpu_limit"):
        play.worker("w", Spinner, cpu_limit=bad)


def test_the_default_is_generous_and_none_means_no_limit():
    assert Playground().runtime.cpu_limit == 30.0
    assert Playground(cpu_limit=None).runtime.cpu_limit is None
