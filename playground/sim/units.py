"""Durations and bandwidths as people write them: ``"25ms"``, ``0.025``, ``"10MB/s"``.

Internally every duration is an integer number of nanoseconds of virtual time (so adding
50 ms two thousand times gives exactly 100 s), and every bandwidth is bytes per second.
"""

from __future__ import annotations

import math
import re

from ..errors import ConfigurationError

__all__ = ["Duration", "parse_bandwidth", "parse_duration_ns", "format_duration"]

#: What a user may pass where a duration is expected.
Duration = float | int | str

_DURATION_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "min": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zµ]+)\s*$")

_BANDWIDTH_UNITS = {
    "b/s": 1,
    "kb/s": 1_000,
    "mb/s": 1_000_000,
    "gb/s": 1_000_000_000,
    "kib/s": 1 << 10,
    "mib/s": 1 << 20,
    "gib/s": 1 << 30,
    "bit/s": 1 / 8,
    "kbit/s": 1_000 / 8,
    "mbit/s": 1_000_000 / 8,
    "gbit/s": 1_000_000_000 / 8,
    "bps": 1 / 8,
    "kbps": 1_000 / 8,
    "mbps": 1_000_000 / 8,
    "gbps": 1_000_000_000 / 8,
}
_BANDWIDTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z/]+)\s*$", re.I)


def parse_duration_ns(value: object, what: str = "duration") -> int:
    """``value`` (seconds as a number, or a string with a unit) as integer nanoseconds.

    Raises :class:`ConfigurationError` naming ``what`` for a string without a unit, a negative
    or non-finite value, or anything that is not a number or a string.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigurationError(
            f"{what} must be seconds (a number) or a string with a unit such as '25ms'; "
            f"got {value!r} ({type(value).__name__})."
        )
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            if re.match(r"^\s*[-+]?[0-9]*\.?[0-9]+\s*$", value):
                raise ConfigurationError(
                    f"{what} {value!r} has no unit: write it as '{value.strip()}ms' or "
                    f"'{value.strip()}s', or pass seconds as a number."
                )
            raise ConfigurationError(
                f"{what} {value!r} is not a duration: use a number of seconds or a number "
                f"with a unit ({', '.join(sorted(_DURATION_UNITS_NS))}), e.g. '25ms'."
            )
        number, unit = match.groups()
        if unit not in _DURATION_UNITS_NS:
            raise ConfigurationError(
                f"{what} {value!r} has an unknown unit {unit!r}: use one of "
                f"{', '.join(sorted(_DURATION_UNITS_NS))}."
            )
        return round(float(number) * _DURATION_UNITS_NS[unit])
    if not math.isfinite(value) or value < 0:
        raise ConfigurationError(f"{what} must be a finite number of seconds >= 0; got {value!r}.")
    return round(value * 1_000_000_000)


def parse_bandwidth(value: object, what: str = "bandwidth") -> float | None:
    """``value`` as bytes per second; ``None`` means unlimited.

    Accepts a number (bytes per second) or a string such as ``"10MB/s"``, ``"1Gbit/s"``.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigurationError(
            f"{what} must be bytes per second (a number) or a string such as '10MB/s'; "
            f"got {value!r} ({type(value).__name__})."
        )
    if isinstance(value, str):
        match = _BANDWIDTH.match(value)
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in _BANDWIDTH_UNITS:
            raise ConfigurationError(
                f"{what} {value!r} is not a bandwidth: use bytes per second as a number, or a "
                "string such as '500KB/s', '10MB/s', '1MiB/s' or '100Mbit/s'."
            )
        rate = float(match.group(1)) * _BANDWIDTH_UNITS[unit]
    else:
        rate = float(value)
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigurationError(f"{what} must be a positive number of bytes per second; got {value!r}.")
    return rate


def format_duration(seconds: float) -> str:
    """A short human form: ``0.1`` → ``"100 ms"``, ``2.5e-6`` → ``"2.5 µs"``."""
    if seconds == 0:
        return "0 ms"
    if seconds >= 1:
        return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.4g} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.4g} µs"
    return f"{seconds * 1e9:.4g} ns"
