"""Every bad configuration value raises ConfigurationError saying what was wrong and what to
give: never a bare OverflowError, ValueError or TypeError from deep inside."""

from __future__ import annotations

import pytest

from playground import Playground
from playground.errors import ConfigurationError
from playground.sim.units import parse_bandwidth, parse_duration_ns

class Huge(int):
    """An int too large for a float (named briefly in test ids)."""

    def __repr__(self) -> str:
        return "10**400"


HUGE = Huge(10**400)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("1e400s", "too long"),
        ("1e400ms", "too long"),
        (1e300, "too long"),
        (HUGE, "too long"),
        ("1e10min", "too long"),
        (float("inf"), "infinite"),
        (float("-inf"), "infinite"),
        (float("nan"), "not a number"),
        (-1, "negative"),
        (-1e-12, "negative"),
        (1j, "must be seconds"),
        (None, "must be seconds"),
    ],
)
def test_bad_durations(value, fragment):
    with pytest.raises(ConfigurationError, match=fragment) as info:
        parse_duration_ns(value, "latency")
    message = str(info.value)
    assert "latency" in message and ("25ms" in message or "at most" in message or ">= 0" in message)


def test_the_longest_duration_is_accepted_and_one_more_is_not():
    assert parse_duration_ns(292 * 365 * 86400) == 292 * 365 * 86400 * 10**9
    assert parse_duration_ns("2562047h") == 2562047 * 3600 * 10**9
    with pytest.raises(ConfigurationError, match="too long"):
        parse_duration_ns("2562048h")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("1e400MB/s", "infinite"),
        (float("inf"), "infinite"),
        (HUGE, "infinite"),
        (float("nan"), "not a number"),
        (-1, "positive"),
        (1e-300, "at least"),
        ("0.5bit/s", "at least"),
    ],
)
def test_bad_bandwidths(value, fragment):
    with pytest.raises(ConfigurationError, match=fragment) as info:
        parse_bandwidth(value)
    assert "bandwidth" in str(info.value) and "None" in str(info.value)


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"latency": "1e400s"}, "latency"),
        ({"latency": HUGE}, "latency"),
        ({"jitter": float("nan")}, "jitter"),
        ({"bandwidth": HUGE}, "bandwidth"),
        ({"bandwidth": "1e400Gbit/s"}, "bandwidth"),
        ({"pace": HUGE}, "pace"),
        ({"pace": float("inf")}, "pace"),
        ({"pace": float("nan")}, "pace"),
        ({"pace": 1e300}, "pace"),
        ({"pace": "fast"}, "pace"),
        ({"seed": 1.5}, "seed"),
        ({"seed": 10**5000}, "seed"),
        ({"seed": None}, "seed"),
        ({"stream_window": 1e400}, "stream_window"),
        ({"stream_window": HUGE}, "stream_window"),
        ({"stream_window": -1}, "stream_window"),
        ({"trace_limit": float("inf")}, "trace_limit"),
        ({"trace_limit": -1}, "trace_limit"),
        ({"compatibility_date": "2026-13-45"}, "compatibility_date"),
        ({"compatibility_flags": [1, "rpc"]}, "compatibility_flags"),
        ({"compatibility_flags": [["rpc"]]}, "compatibility_flags"),
    ],
)
def test_bad_playground_options(options, fragment):
    with pytest.raises(ConfigurationError, match=fragment):
        Playground(**options)


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"latency": "1e400s"}, "latency"),
        ({"jitter": -1}, "jitter"),
        ({"bandwidth": float("inf")}, "bandwidth"),
        ({"loss": float("nan")}, "loss"),
        ({"loss": HUGE}, "loss"),
        ({"loss": "half"}, "loss"),
    ],
)
def test_bad_link_options(options, fragment):
    with Playground() as play:
        play.worker("a", type("A", (), {"fetch": lambda self, r: None}))
        play.worker("b", type("B", (), {"fetch": lambda self, r: None}))
        with pytest.raises(ConfigurationError, match=fragment):
            play.link("a", "b", **options)


def test_good_options_still_work():
    with Playground(latency="25ms", jitter=0.001, bandwidth="10MB/s", seed="x", pace=0,
                    stream_window=65536, trace_limit=10, compatibility_flags=["rpc"]) as play:
        defaults = play.network.defaults
        assert (defaults.latency_ns, defaults.jitter_ns, defaults.bandwidth) == (25_000_000, 1_000_000, 10e6)
        assert play.stream_window == 65536 and play.trace_limit == 10
