"""The documentation: the site builds with warnings as errors, and no relative link is dead.

The site test needs the ``docs`` extra (``pip install -e '.[docs]'``, which ``make test``
installs); the link check needs nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# [text](target) and <img src="target"> / <a href="target">, outside code
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|\b(?:src|href)=\"([^\"]+)\"")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


@pytest.mark.docs
def test_the_site_builds_strict_with_the_reference(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    reference = (site / "reference" / "index.html").read_text()
    assert "Playground(latency=0, *, jitter=0, bandwidth=None, seed=0, pace=0" in reference
    api = (site / "api" / "index.html").read_text()
    assert "stream_window" in api and "cpu_limit" in api  # the signature, from the docstrings
    assert (site / "notebooks" / "00-start-here" / "index.html").is_file()


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).replace("`", "").lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        slug = _slug(heading)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _documents() -> list[tuple[Path, str]]:
    """README, docs/**/*.md, and the markdown of every notebook and notebook source."""
    docs = ROOT / "docs"
    files = [ROOT / "README.md", ROOT / "notebooks" / "README.md"]
    files += sorted(p for p in docs.rglob("*.md") if not p.relative_to(docs).parts[0] == "notebooks")
    found = [(path, path.read_text()) for path in files]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        found.append((path, "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")))
    for path in sorted((ROOT / "notebooks" / "src").glob("*.py")):
        blocks = re.findall(r"^# %% \[markdown\]\n((?:#.*\n?)*)", path.read_text(), re.M)
        found.append((path, "\n\n".join(re.sub(r"^# ?", "", b, flags=re.M) for b in blocks)))
    return found


def _links(markdown: str) -> list[str]:
    text = CODE.sub("", FENCE.sub("", markdown))
    return [a or b for a, b in LINK.findall(text)]


def _dead(source: Path, target: str) -> str | None:
    """Why ``target`` (a link in ``source``) is dead, or None."""
    path, _, anchor = target.partition("#")
    base = source.parent if source.suffix != ".py" else source.parent.parent  # a source is its notebook
    file = (base / path).resolve() if path else source
    if not file.is_relative_to(ROOT):
        return "leaves the repository"
    if not file.exists():
        return "no such file"
    if anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
        return f"no heading #{anchor} in {file.relative_to(ROOT)}"
    return None


def test_no_relative_link_is_dead_or_leaves_the_repository() -> None:
    dead, absolute = [], set()
    for source, markdown in _documents():
        for target in _links(markdown):
            if re.match(r"[a-z]+:", target):
                if not target.startswith(("http://", "https://", "mailto:", "data:")):
                    dead.append(f"{source.relative_to(ROOT)}: {target}: not http(s)")
                absolute.add(target)
                continue
            why = _dead(source, target)
            if why:
                dead.append(f"{source.relative_to(ROOT)}: {target}: {why}")
    assert dead == []
    # absolute links are allowed; these are the ones there are (a new one is a decision)
    assert sorted(t for t in absolute if not t.startswith("data:")) == ABSOLUTE


ABSOLUTE: list[str] = []


def test_the_link_check_sees_a_dead_link_and_a_missing_anchor(tmp_path: Path) -> None:
    assert _slug("`.map()`") == "map"
    assert _slug("Round trips, precisely") == "round-trips-precisely"
    assert _slug("On a Cap'n Web session") == "on-a-capn-web-session"
    assert _links("[a](x.md#y) `[b](z.md)` <img src=\"i.png\">") == ["x.md#y", "i.png"]
    assert _dead(ROOT / "README.md", "docs/design.md#virtual-time") is None
    assert _dead(ROOT / "README.md", "docs/design.md#no-such") == "no heading #no-such in docs/design.md"
    assert _dead(ROOT / "README.md", "docs/nothing.md") == "no such file"
    assert _dead(ROOT / "README.md", "../shared/API.md") == "leaves the repository"
