"""``python -m playground tour`` — the guided tour in the terminal."""

from __future__ import annotations

import argparse
import sys

from .tour import main as tour


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m playground",
        description="Explore Cloudflare Workers RPC in Python, in virtual time.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("tour", help="walk through every example of the seed document")
    args = parser.parse_args(argv)
    if args.command == "tour":
        return tour()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
