"""The terminal view, compared as fixed text from a fixed-width console."""

from __future__ import annotations

import io

import scenes
from rich.console import Console

from playground.viz import TraceRenderable


def _text(renderable, width: int = 90) -> str:
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def test_pipelined_counter_as_text():
    play, rec = scenes.pipelined_counter()
    assert rec.bytes == 89, "the codec changed: update the expected text below"
    assert _text(TraceRenderable(rec)) == (
        "ms  client                        counter\n"
        " 0  get_counter() ─▶ [flight 1]   ● 25 ms\n"
        " 0  → increment(2) ─▶ [flight 1]  ● 25 ms\n"
        " 0  pull ─▶ [flight 1]            ● 25 ms\n"
        "25  ● 50 ms                       ◀─ resolve 2\n"
        "50  release (not counted) ─▶      ● 75 ms\n"
        "50  release (not counted) ─▶      ● 75 ms\n"
        "\n"
        "round trips  virtual time  calls  pipelined  messages  bytes  leaks  without pipelining\n"
        "          1         50 ms      2          1         6     89      0       2 round trips\n"
        "Note: 2 releases arrive after the end (50 ms): bookkeeping, not in the round trips or the\n"
        "time."
    )


def test_a_trace_prints_itself_with_rich_and_lists_leaks_and_tips():
    play, rec = scenes.leaked_counter()
    play.leaked.__exit__(None, None, None)  # the recording still shows it alive at its end
    text = _text(rec, width=120)  # Trace.__rich_console__ delegates to the renderable
    assert text.lstrip().startswith("ms  client")
    assert "alive at the end: stub #" in text and "made at scenes.py:" in text
    assert "Tip: scenes.py:" in text


def test_long_traces_are_cut_with_a_count():
    play, rec = scenes.many_calls(30)
    text = _text(TraceRenderable(rec, max_rows=10))
    assert f"{len(rec.messages) - 10:,} more messages" in text
    assert len(text.splitlines()) == 1 + 10 + 1 + 1 + 2 + 2  # the last two: releases after the end
