"""The guided tour: every stop runs, and says what the seed says it should."""

from __future__ import annotations

import subprocess
import sys

import pytest

from playground.tour import STOPS, run_stop

EXPECTED = {
    "Worker A calls a method of Worker B": (3, 1),
    "An HTTP request into Worker A": ("Result: 3", 2),
    "Functions are passed by reference": ([2, 3, -2], 4),
    "Functions as parameters: the callee calls back": ("callback returned 42", 2),
    "Class instances: RpcTarget": (([2, 3, -2], -2), 5),
    "Promise pipelining: one round trip instead of two": (1, 1),
    "Pipelining into properties and functions": ("qux", 1),
    "A failed call fails its pipelined calls too": ("KeyError: 'nobody' (remote=True)", 1),
    "Forwarding a stub to a third worker": (5, 4),  # the counter is awaited, then forwarded
    "Disposal: who owns a stub, and dup()": (("pong", []), 2),  # and play.leaks() is empty
    "Streams, with flow control": (2 * 1024 * 1024, 1),
    "The 32 MiB limit": (None, 1),  # the text: checked below
    "Streams are the way past the limit": (33 * 1024 * 1024, 1),
}


@pytest.mark.parametrize("stop", STOPS, ids=[s.title for s in STOPS])
def test_every_stop_runs_and_releases_everything(stop):
    assert stop.title in EXPECTED, "a new or renamed stop: say what it must show"
    result, segment, play, baseline = run_stop(stop)
    expected_result, expected_round_trips = EXPECTED[stop.title]
    assert segment.round_trips == expected_round_trips
    if expected_result is not None:
        assert result == expected_result
    if baseline is not None:
        assert baseline.round_trips == 2 and baseline.elapsed == pytest.approx(0.1)
    play.run(play.idle())
    assert play.open_connections() == []
    assert play.leaks() == []


def test_the_limit_is_shown_with_the_runtimes_words():
    by_title = {s.title: s for s in STOPS}
    limit, _, _, _ = run_stop(by_title["The 32 MiB limit"])
    assert limit.startswith("Serialized RPC arguments or return values are limited to 32MiB")


def test_the_tour_command_finishes_in_the_terminal():
    out = subprocess.run(
        [sys.executable, "-m", "playground", "tour"], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Done:" in out.stdout and f"{len(STOPS)} examples" in out.stdout


def test_the_first_stop_says_that_the_release_after_its_end_is_not_counted():
    import io

    from rich.console import Console

    result, segment, play, _ = run_stop(STOPS[0])
    [release] = [m for m in segment.messages if m.kind == "release"]
    assert release.received_at > segment.end  # drawn after the 50 ms the summary reports
    console = Console(width=120, color_system=None, record=True, file=io.StringIO())
    console.print(segment)
    text = console.export_text()
    assert "release (not counted) ─▶" in text
    assert "Note: 1 release arrives after the end (50 ms): bookkeeping, not in the round trips or the time." in text
    play.close()
