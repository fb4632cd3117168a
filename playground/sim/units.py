"""Durations and bandwidths as people write them: ``"25ms"``, ``0.025``, ``"10MB/s"``.

Internally every duration is an integer number of nanoseconds of virtual time (so adding
50 ms two thousand times gives exactly 100 s), and every bandwidth is bytes per second.
"""

from __future__ import annotations

import math
import re

from ..errors import ConfigurationError

__all__ = [
    "MAX_DURATION_NS", "MIN_BANDWIDTH", "Duration", "format_duration", "parse_bandwidth", "parse_duration_ns"
]

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


#: The longest duration the virtual clock takes: 2**63 - 1 ns, about 292 years.
MAX_DURATION_NS = 2**63 - 1
#: The slowest bandwidth a link takes, in bytes per second: 1 bit/s.
MIN_BANDWIDTH = 1 / 8

_DURATION_HINT = "seconds (a number) or a string with a unit such as '25ms'"
_BANDWIDTH_HINT = "bytes per second (a number), a string such as '10MB/s', or None (unlimited)"


def parse_duration_ns(value: object, what: str = "duration") -> int:
    """``value`` (seconds as a number, or a string with a unit) as integer nanoseconds.

    Raises :class:`ConfigurationError` naming ``what`` and saying what to give for a string
    without a unit, a value that is negative, infinite, not a number or longer than the clock
    takes (:data:`MAX_DURATION_NS`), or anything that is not a number or a string.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigurationError(f"{what} must be {_DURATION_HINT}; got {value!r} ({type(value).__name__}).")
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
        ns: float | int = float(number) * _DURATION_UNITS_NS[unit]  # (inf if the number is)
    else:
        problem = None if isinstance(value, int) else _not_finite(value)  # (an int is exact)
        if problem is None and value < 0:
            problem = "negative"
        if problem is not None:
            raise ConfigurationError(
                f"{what} must be a finite number of seconds >= 0 (or a string with a unit such as "
                f"'25ms'); got {value!r}, which is {problem}."
            )
        ns = value * 1_000_000_000
    if not ns <= MAX_DURATION_NS:
        raise ConfigurationError(
            f"{what} {value!r} is too long for the virtual clock: at most {MAX_DURATION_NS // 10**9} "
            "seconds (about 292 years), as seconds or a string with a unit such as '25ms'."
        )
    return round(ns)


def _not_finite(number: int | float) -> str | None:
    """What is wrong with ``number`` if it is not a finite float (an int too large for one is
    infinite), else None."""
    if isinstance(number, int):
        return None if -1e308 < number < 1e308 else "infinite (too large)"
    if math.isnan(number):
        return "not a number"
    return None if math.isfinite(number) else "infinite"


def parse_bandwidth(value: object, what: str = "bandwidth") -> float | None:
    """``value`` as bytes per second; ``None`` means unlimited.

    Accepts a number (bytes per second) or a string such as ``"10MB/s"``, ``"1Gbit/s"``; at
    least :data:`MIN_BANDWIDTH` (1 bit/s), finite.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigurationError(f"{what} must be {_BANDWIDTH_HINT}; got {value!r} ({type(value).__name__}).")
    if isinstance(value, str):
        match = _BANDWIDTH.match(value)
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in _BANDWIDTH_UNITS:
            raise ConfigurationError(
                f"{what} {value!r} is not a bandwidth: use bytes per second as a number, or a "
                "string such as '500KB/s', '10MB/s', '1MiB/s' or '100Mbit/s' (None: unlimited)."
            )
        rate = float(match.group(1)) * _BANDWIDTH_UNITS[unit]
    else:
        problem = _not_finite(value)
        rate = math.inf if problem == "infinite (too large)" else float(value)
    problem = _not_finite(rate)
    if problem is None and rate <= 0:
        problem = "not positive"
    if problem is not None:
        raise ConfigurationError(
            f"{what} must be a positive, finite number of bytes per second (or a string such as "
            f"'10MB/s'; None for unlimited); got {value!r}, which is {problem}."
        )
    if rate < MIN_BANDWIDTH:
        raise ConfigurationError(
            f"{what} {value!r} is too slow to simulate: at least 1 bit/s (0.125 bytes per second); "
            "give bytes per second, a string such as '10MB/s', or None (unlimited)."
        )
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
