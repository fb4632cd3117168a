"""Helpers for the visualiser's tests: the seed's scenes and an SVG reader."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

SVG = "{http://www.w3.org/2000/svg}"


def titles(svg: str) -> list[str]:
    """The text of every ``<title>`` in an SVG document (it must parse as XML)."""
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(SVG + "title")]


def message_titles(svg: str) -> list[str]:
    """Titles of message arrows: they start with ``<kind> #<seq>:``."""
    import re

    return [t for t in titles(svg) if re.match(r"^\w+ #\d+: ", t)]


def texts(svg: str) -> list[str]:
    """Every ``<text>``'s content, tspans joined."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]
