"""Ctrl-C (issue 11, point 5): an interrupt reaches the user once, leaves every table consistent
and the playground usable; the interrupted call completes or fails with a clear error.

The sweep (:mod:`.ctrl_c`) interrupts one run of a scenario at hundreds of points; the tests
after it each pin one way an interrupt used to break the playground.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import threading
from asyncio import events

import pytest

from playground import Playground, RpcError, WorkerEntrypoint
from playground.testing import leak_report

from . import ctrl_c

INTERRUPTED = re.escape("The call was interrupted (KeyboardInterrupt).")


# -- the sweep ------------------------------------------------------------------------------------


def test_a_ctrl_c_anywhere_in_a_run_reaches_the_caller_once_and_leaves_the_playground_usable():
    total, checked, classes, failures = ctrl_c.sweep("signal", samples=400)
    assert total > 5000 and checked == 400
    assert failures == {}, classes


def test_a_keyboard_interrupt_at_any_line_of_worker_code_fails_only_that_call():
    total, checked, classes, failures = ctrl_c.sweep("raise")
    assert total == checked > 20
    assert failures == {}, classes


# -- one failure class each -----------------------------------------------------------------------


class Service(WorkerEntrypoint):
    def add(self, a, b):
        return a + b

    async def slow(self, x):
        await asyncio.sleep(1)
        return x

    def stop(self):
        raise KeyboardInterrupt

    async def stop_later(self):
        await asyncio.sleep(0.5)
        raise KeyboardInterrupt

    def ctrl_c_here(self):
        """A Ctrl-C arriving in this method's code (the handler called with its frame)."""
        signal.getsignal(signal.SIGINT)(signal.SIGINT, sys._getframe())
        return "not reached"

    def ctrl_c_in_the_runtime(self):
        """A Ctrl-C arriving in the playground's code that called this method."""
        signal.getsignal(signal.SIGINT)(signal.SIGINT, sys._getframe().f_back)
        return "finished"

    def handler_now(self):
        return signal.getsignal(signal.SIGINT) is not signal.default_int_handler


class Client(WorkerEntrypoint):
    pass


def make() -> tuple[Playground, object]:
    play = Playground(latency="10ms", seed=0)
    play.worker("s", Service)
    play.worker("c", Client, services={"S": "s"})
    return play, play.env("c")


def assert_usable(play: Playground, env) -> None:
    assert events._get_running_loop() is None
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with env.S.add(2, 3) as promise:
        assert play.run(promise) == 5


def test_the_loop_handles_sigint_only_while_it_runs_and_puts_python_s_handler_back():
    play, env = make()
    with env.S.handler_now() as promise:
        assert play.run(promise) is True
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_run_in_another_thread_leaves_sigint_alone():
    play, env = make()
    seen = []

    def run():
        with env.S.handler_now() as promise:
            seen.append(play.run(promise))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [False]


def test_a_ctrl_c_in_the_runtime_s_code_waits_for_a_safe_point_and_the_call_completes():
    play, env = make()
    promise = env.S.ctrl_c_in_the_runtime()
    with pytest.raises(KeyboardInterrupt):
        play.run(promise)
    assert play.run(promise) == "finished"  # the call was not interrupted: it completes
    promise.__exit__(None, None, None)
    assert_usable(play, env)
    assert leak_report(play) == []


def test_a_ctrl_c_in_worker_code_fails_that_call_with_a_clear_error():
    play, env = make()
    promise = env.S.ctrl_c_here()
    with pytest.raises(KeyboardInterrupt):
        play.run(promise)
    with pytest.raises(RpcError, match=r"^The call was interrupted \(KeyboardInterrupt\)\.$"):
        play.run(promise)
    promise.__exit__(None, None, None)
    assert_usable(play, env)
    assert leak_report(play) == []


def test_a_keyboard_interrupt_raised_after_an_await_is_raised_once_not_again_on_the_next_await():
    # (it used to be the task's exception: sent back as the call's error, raised a second time)
    play, env = make()
    promise = env.S.stop_later()
    with pytest.raises(KeyboardInterrupt):
        play.run(promise)
    with pytest.raises(RpcError, match=r"interrupted \(KeyboardInterrupt\)"):
        play.run(promise)
    promise.__exit__(None, None, None)
    assert_usable(play, env)
    assert leak_report(play) == []


def test_other_calls_in_flight_go_on_after_an_interrupt():
    play, env = make()
    slow = env.S.slow("still here")
    stop = env.S.stop()

    async def both():
        return await asyncio.gather(slow, stop)

    with pytest.raises(KeyboardInterrupt):
        play.run(both())
    assert play.run(slow) == "still here"
    with pytest.raises(RpcError, match=INTERRUPTED):
        play.run(stop)
    slow.__exit__(None, None, None)
    stop.__exit__(None, None, None)
    assert_usable(play, env)
    assert leak_report(play) == []


def test_an_interrupted_promise_is_not_poisoned_with_a_bare_cancelled_error():
    play, env = make()
    promise = env.S.slow(7)
    play.loop.call_later(0.5, _raise_keyboard_interrupt)  # a Ctrl-C between two callbacks
    with pytest.raises(KeyboardInterrupt):
        play.run(promise)
    assert play.run(promise) == 7  # it used to raise CancelledError
    promise.__exit__(None, None, None)
    assert_usable(play, env)


def _raise_keyboard_interrupt() -> None:
    raise KeyboardInterrupt


def test_an_interrupt_while_setting_up_the_run_does_not_leave_the_loop_marked_running(monkeypatch):
    # (it used to: "play.run() was called from code already running inside the playground"
    # for ever after)
    play, env = make()
    real = sys.set_asyncgen_hooks
    calls = []

    def interrupted_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sys, "set_asyncgen_hooks", interrupted_once)
    with env.S.add(1, 1) as promise:
        with pytest.raises(KeyboardInterrupt):
            play.run(promise)
        monkeypatch.undo()
        assert play.run(promise) == 2
    assert_usable(play, env)


def test_a_ctrl_c_pending_when_the_run_finishes_is_still_raised_once():
    play, env = make()
    with env.S.add(1, 2) as promise:
        play.loop.call_soon(play.loop.interrupt)  # kept; the run is done at the end of that turn
        with pytest.raises(KeyboardInterrupt):
            play.run(promise)
        assert play.run(promise) == 3
    assert_usable(play, env)


def test_a_ctrl_c_while_the_loop_waits_for_the_wall_clock_is_raised_at_once():
    play, env = make()
    play.loop.pace = 1.0
    waits = []

    def wall_wait(seconds: float) -> bool:  # a Ctrl-C arriving while the paced loop waits
        waits.append(seconds)
        signal.getsignal(signal.SIGINT)(signal.SIGINT, sys._getframe())
        return False

    play.loop.wall_wait = wall_wait
    promise = env.S.slow(1)
    with pytest.raises(KeyboardInterrupt):
        play.run(promise)
    assert len(waits) == 1
    play.loop.pace = 0.0
    assert play.run(promise) == 1
    promise.__exit__(None, None, None)
    assert_usable(play, env)


def test_an_interrupt_awaited_from_another_loop_behaves_the_same():
    play, env = make()
    promise = env.S.stop_later()

    async def cell():
        return await promise

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(cell())
    assert events._get_running_loop() is None

    async def next_cell():
        with pytest.raises(RpcError, match=INTERRUPTED):
            await promise
        promise.__exit__(None, None, None)
        with env.S.add(4, 5) as again:
            return await again

    assert asyncio.run(next_cell()) == 9
    assert leak_report(play) == []


def test_a_keyboard_interrupt_outside_any_run_is_raised_as_usual():
    from playground import RpcStub, RpcTarget

    class Local(RpcTarget):
        def stop(self):
            raise KeyboardInterrupt

    stub = RpcStub(Local())
    with pytest.raises(KeyboardInterrupt):  # host code calling a local object: nothing to defer
        stub.stop()
    stub.__exit__(None, None, None)
