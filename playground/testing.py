"""Helpers for tests of code that uses the playground (and for the playground's own tests)."""

from __future__ import annotations

from .runtime.world import Playground

__all__ = ["leak_report", "release_all"]


def release_all(play: Playground) -> None:
    """Dispose every stub still held anywhere and let the releases happen."""
    play.ledger.release_all()
    play.run(play.idle())


def leak_report(play: Playground, *, strict: bool = True) -> list[str]:
    """What is still held once everything has settled; empty when all is clean.

    With ``strict``, stubs the user never disposed are reported; then (in every case) they are
    released, the world runs until idle, and any session whose import or export table is not
    back to empty is reported — that would be a bug of the runtime, not of the user.
    """
    problems: list[str] = []
    play.run(play.idle())
    if strict:
        problems += [f"not disposed: {info}" for info in play.leaks()]
    release_all(play)
    for connection in play.open_connections():
        session = connection.session
        problems.append(
            f"session {connection.session_id} {connection.worker}->{connection.peer_worker} still "
            f"open: imports {session.imports}, exports {session.exports}"
        )
    return problems
