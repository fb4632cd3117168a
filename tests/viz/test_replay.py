"""The ipywidgets replay: synced state, not pixels; and life without ipywidgets."""

from __future__ import annotations

import re
import sys

import pytest
import scenes
from conftest import message_titles

from playground.viz import Replay


def _svg(replay: Replay) -> str:
    html = replay.html.value
    return html[html.index("<svg") : html.rindex("</svg>") + 6]


def test_replay_starts_at_the_end_and_steps_back_and_forth():
    play, rec = scenes.awaited_counter()
    r = rec.replay()
    assert r.frame == len(r.frames) - 1
    assert len(message_titles(_svg(r))) == len(rec.messages)
    r.frame = 0
    assert r.time == rec.start
    assert r.clock.value.startswith("t = 0 ms (1/")
    sent_at_start = [m for m in rec.messages if m.sent_at <= rec.start]
    assert len(message_titles(_svg(r))) == len(sent_at_start)
    r.forward.click()
    assert r.frame == 1 and r.time == r.frames[1]
    r.back.click()
    r.back.click()
    assert r.frame == 0  # clamped


def test_play_widget_and_slider_are_linked():
    play, rec = scenes.pipelined_counter()
    r = rec.replay()
    r.player.value = 2
    assert r.slider.value == 2 and r.frame == 2


def test_highlighting_a_call_fades_the_other_messages():
    play, rec = scenes.awaited_counter()
    r = Replay(rec)
    second = rec.calls[1]
    r.highlight = second.seq
    mine = r.highlighted_messages()
    assert mine and all(m.seq in mine for m in rec.messages if m.kind == "push" and m.path == second.path)
    svg = _svg(r)
    faded = re.compile(r'<g data-t-send="[^"]*"(?: data-t-arrive="[^"]*")? opacity="0.22">')
    assert len(faded.findall(svg)) == len(rec.messages) - len(mine)
    r.highlight = None
    assert not faded.findall(_svg(r))


def test_without_ipywidgets_replay_explains_and_the_rest_still_works(monkeypatch):
    play, rec = scenes.pipelined_counter()
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match="needs ipywidgets: pip install"):
        rec.replay()
    assert rec._repr_mimebundle_()["text/plain"].startswith("1 round trip")
    assert rec.to_svg().startswith("<svg")
