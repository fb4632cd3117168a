"""Durations and bandwidths as people write them."""

from __future__ import annotations

import pytest

from playground.errors import ConfigurationError
from playground.sim.units import format_duration, parse_bandwidth, parse_duration_ns


@pytest.mark.parametrize(
    "value, ns",
    [
        (0, 0),
        (0.025, 25_000_000),
        ("25ms", 25_000_000),
        ("1.5s", 1_500_000_000),
        ("200us", 200_000),
        ("200µs", 200_000),
        ("3 ns", 3),
        ("2m", 120_000_000_000),
    ],
)
def test_durations(value, ns):
    assert parse_duration_ns(value) == ns


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("25", "has no unit: write it as '25ms'"),
        ("-5ms", "is not a duration"),
        (-0.1, ">= 0"),
        (float("nan"), ">= 0"),
        ("25 parsecs", "unknown unit .parsecs."),
        ("25xs", "unknown unit"),
        (True, "must be seconds"),
        ([1], "must be seconds"),
    ],
)
def test_bad_durations_say_what_to_write(value, fragment):
    with pytest.raises(ConfigurationError, match=fragment) as info:
        parse_duration_ns(value, "latency")
    assert "latency" in str(info.value)


@pytest.mark.parametrize(
    "value, rate",
    [(None, None), (1000, 1000.0), ("10MB/s", 10e6), ("1MiB/s", 1048576.0), ("8Mbit/s", 1e6), ("1gbps", 1.25e8)],
)
def test_bandwidths(value, rate):
    assert parse_bandwidth(value) == rate


@pytest.mark.parametrize("value", ["fast", "10MB", 0, -5, "0MB/s"])
def test_bad_bandwidths(value):
    with pytest.raises(ConfigurationError, match="bandwidth"):
        parse_bandwidth(value)


def test_format_duration():
    assert format_duration(0.1) == "100 ms"
    assert format_duration(2.5e-6) == "2.5 µs"
    assert format_duration(1.5) == "1.5 s"
