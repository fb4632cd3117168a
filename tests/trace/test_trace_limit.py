"""Bounding the trace for long experiments, and giving its memory back on close."""

from __future__ import annotations

import gc
import weakref

import pytest

from playground import Playground, WorkerEntrypoint
from playground.errors import ConfigurationError
from playground.trace.store import CHUNK


class Svc(WorkerEntrypoint):
    def add(self, a, b):
        return a + b


def world(**options):
    play = Playground(latency="5ms", **options)
    play.worker("svc", Svc)
    play.worker("client", Svc, services={"S": "svc"})
    return play


def calls(play, n):
    s = play.env("client").S

    async def main():
        for i in range(n):
            await s.add(i, 1)

    play.run(main())
    play.run(play.idle())


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True])
def test_a_bad_limit_says_what_it_takes(bad):
    with pytest.raises(ConfigurationError, match="trace_limit must be a number of events >= 0"):
        Playground(trace_limit=bad)
    play = Playground()
    with pytest.raises(ConfigurationError, match="trace_limit"):
        play.trace_limit = bad
    assert play.trace_limit is None  # nothing changed


def test_the_default_keeps_every_event():
    play = world()
    calls(play, 600)
    assert play.trace_limit is None
    assert play.trace.dropped == 0 and len(play.trace) == play.recorder.next_seq
    assert play.trace.summary()["calls"] == 600 and "dropped" not in play.trace.summary()


def test_a_limit_keeps_the_newest_events_and_the_trace_says_how_many_it_dropped():
    play = world(trace_limit=200)
    calls(play, 3000)  # 8 events a call
    events = play.recorder.next_seq
    trace = play.trace
    assert 200 <= len(trace) < 200 + CHUNK and trace.dropped == events - len(trace)
    summary = trace.summary()
    assert summary["dropped"] == trace.dropped
    assert summary["calls"] == len(trace.calls) < 3000  # the figures cover the kept events only
    # sequential calls chain one round trip each: counted over the kept ones (the first kept
    # messages may belong to a call whose call event was dropped)
    assert len(trace.calls) <= summary["round_trips"] <= len(trace.calls) + 1
    with play.record() as rec:
        calls(play, 3)
    assert rec.dropped == 0 and len(rec.calls) == 3  # a short segment is kept whole


def test_what_the_diagram_says_about_dropped_events():
    play = world(trace_limit=64)
    with play.record() as rec:
        calls(play, 200)
    assert rec.dropped > 0
    svg = rec.to_svg()
    assert f"{rec.dropped:,} earlier events not kept (trace_limit)" in svg
    small = world()
    with small.record() as kept:
        calls(small, 2)
    assert "not kept" not in kept.to_svg()


def test_a_limit_of_zero_counts_only_and_the_limit_can_change_on_the_way():
    play = world()
    calls(play, 10)
    play.trace_limit = 0
    assert len(play.trace) == 0 and play.trace.dropped == play.recorder.next_seq
    calls(play, 10)
    dropped = play.recorder.dropped
    assert (dropped.calls, dropped.messages) == (20, 80)
    play.trace_limit = None
    calls(play, 1)
    assert [c.path for c in play.trace.calls] == [("add",)]


def test_the_number_of_events_kept_stays_flat_under_a_limit():
    play = world(trace_limit=1000)
    kept = []
    for _ in range(5):
        calls(play, 500)
        kept.append(play.recorder.events.kept)
    assert max(kept) < 1000 + CHUNK // 8 + 1  # chunks of an eighth of the limit: at most one more
    assert play.recorder.next_seq == 5 * 500 * 8


def test_close_gives_the_trace_back_unless_a_view_still_shows_it():
    play = world()
    calls(play, 100)
    events = play.recorder.events
    assert events.kept > 0
    play.close()
    assert events.kept == 0

    play = world()
    calls(play, 2 * CHUNK // 8)  # 8 events a call: two chunks before, two after
    with play.record() as rec:
        calls(play, 2)
    calls(play, 2 * CHUNK // 8)
    play.close()
    assert [c.path for c in rec.calls] == [("add",), ("add",)]  # what you hold still reads
    assert play.recorder.events.kept <= 2 * CHUNK < play.recorder.next_seq  # the rest is given back


def test_a_closed_playground_holds_none_of_its_objects():
    play = world()
    calls(play, 20)
    context = play.lifecycle.hosts["client"]
    refs = [weakref.ref(context)]
    play.close()
    del context
    gc.collect()
    assert all(ref() is None for ref in refs)
    assert play.open_connections() == [] and play.stubs() == []
