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


def text_elements(element: ET.Element) -> list[ET.Element]:
    """The ``<text>`` elements in ``element``, less the white halo copies drawn under some."""
    return [t for t in element.iter(SVG + "text") if "data-halo" not in t.attrib]


def words(element: ET.Element) -> list[str]:
    """The content of every ``<text>`` in ``element`` (tspans joined), halo copies left out."""
    return ["".join(t.itertext()) for t in text_elements(element)]


def texts(svg: str) -> list[str]:
    """Every ``<text>``'s content, tspans joined (halo copies left out)."""
    return words(ET.fromstring(svg))
