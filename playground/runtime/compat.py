"""Compatibility dates and flags: where the runtime's behaviour changed over time."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ConfigurationError

__all__ = ["Compatibility", "KNOWN_FLAGS"]

#: flag -> (its opposite, the date from which it is on by default)
_SWITCHES = {
    "rpc_params_dup_stubs": ("rpc_params_transfer_stubs", _dt.date(2026, 1, 20)),
    "enhanced_error_serialization": ("legacy_error_serialization", _dt.date(2026, 4, 21)),
}
_OPPOSITES = {off: on for on, (off, _) in _SWITCHES.items()}
#: Flags accepted (and ignored where the playground has nothing to switch).
KNOWN_FLAGS = frozenset(
    set(_SWITCHES)
    | set(_OPPOSITES)
    | {"rpc", "nodejs_compat", "python_workers", "fetcher_no_get_put_delete", "experimental"}
)


@dataclass(frozen=True)
class Compatibility:
    """The runtime modes selected by a compatibility date and flags."""

    date: _dt.date | None
    flags: frozenset[str]
    dup_params: bool
    enhanced_errors: bool

    @classmethod
    def select(cls, date: object = None, flags: Iterable[str] = ()) -> Compatibility:
        """The newest behaviour by default; a date before a change, or a flag, selects the old."""
        parsed = _parse_date(date)
        if isinstance(flags, str) or not isinstance(flags, Iterable):
            raise ConfigurationError(
                f"compatibility_flags must be a list of flag names; got {flags!r}."
            )
        flag_list = list(flags)
        if not all(isinstance(f, str) for f in flag_list):
            raise ConfigurationError(
                f"compatibility_flags must be a list of flag names (strings); got {flags!r}."
            )
        flag_set = frozenset(flag_list)
        unknown = sorted(f for f in flag_set if f not in KNOWN_FLAGS)
        if unknown:
            raise ConfigurationError(
                f"Unknown compatibility flag(s) {', '.join(map(repr, unknown))}; the playground "
                f"knows: {', '.join(sorted(KNOWN_FLAGS))}."
            )
        modes = {}
        for on, (off, since) in _SWITCHES.items():
            if on in flag_set and off in flag_set:
                raise ConfigurationError(f"compatibility_flags has both {on!r} and {off!r}; keep one.")
            if on in flag_set:
                modes[on] = True
            elif off in flag_set:
                modes[on] = False
            else:
                modes[on] = parsed is None or parsed >= since
        return cls(parsed, flag_set, modes["rpc_params_dup_stubs"], modes["enhanced_error_serialization"])


def _parse_date(date: object) -> _dt.date | None:
    if date is None:
        return None
    if isinstance(date, _dt.date):
        return date
    if isinstance(date, str):
        try:
            return _dt.date.fromisoformat(date)
        except ValueError:
            pass
    raise ConfigurationError(
        f"compatibility_date must be a date written YYYY-MM-DD (for example '2026-04-21'); got {date!r}."
    )
