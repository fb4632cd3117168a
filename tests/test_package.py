"""The package as a student installs it: the sdist and the wheel built from this repository
(`python -m build`: the sdist, then the wheel from the sdist), checked by `twine check`, and the
wheel installed in a fresh virtual environment, where `python -m playground tour` runs to its end
from a folder outside the repository.

Needs PyPI (or the configured index): the build installs setuptools, the venv msgpack and rich."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import playground
from playground.tour import STOPS


ROOT = Path(__file__).resolve().parent.parent
DIST = "workers_rpc_playground"  # the distribution's file-name form (workers-rpc-playground)


def _run(args: list[str], cwd: Path, timeout: float = 120, env: dict[str, str] | None = None):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


def test_every_install_command_names_this_distribution_and_one_of_its_extras(monkeypatch):
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = _run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.split()
    commands = [(name, m.group(1), m.group(2)) for name in listed if (ROOT / name).is_file()
                for m in re.finditer(r"pip install '([\w.-]+)\[([\w,]+)\]'", (ROOT / name).read_text(errors="replace"))]
    assert len(commands) >= 10
    wrong = [c for c in commands if c[1] != project["name"] or not set(c[2].split(",")) <= set(project["optional-dependencies"])]
    assert wrong == []
    from playground.transport.io import require

    monkeypatch.setitem(sys.modules, "websockets", None)
    with pytest.raises(ImportError) as missing:
        require("websockets")
    assert str(missing.value) == ("Real peers need optional libraries (websockets). "
                                  "Install them with: pip install 'workers-rpc-playground[peers]'")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the sdist and the wheel, built from a copy of the repository's files
    (tracked and untracked, nothing git ignores), so nothing is written into the repository."""
    for tool in ("build", "twine"):
        pytest.importorskip(tool, reason=f"the package test needs {tool}: pip install -e '.[test]'")
    work = tmp_path_factory.mktemp("package")
    listed = _run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # (a tracked file deleted in the work tree is listed too)
            (work / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, work / "src" / name)
    _run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(work / "src")], cwd=work, timeout=300)
    return work / "dist"


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, f"{pattern}: {found}"
    return found[0]


@pytest.mark.package
def test_twine_check_passes(dist: Path):
    files = [_one(dist, f"{DIST}-*.whl"), _one(dist, f"{DIST}-*.tar.gz")]
    out = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], cwd=dist).stdout
    assert out.count("PASSED") == 2, out


@pytest.mark.package
def test_the_wheel_holds_the_package_and_nothing_else(dist: Path):
    wheel = _one(dist, f"{DIST}-{playground.__version__}-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    info = f"{DIST}-{playground.__version__}.dist-info/"
    assert "playground/py.typed" in names and "playground/__main__.py" in names
    assert [n for n in names if not n.startswith(("playground/", info))] == []
    for unwanted in ("tests/", "notebooks/", ".venv/", "benchmarks/", "binder/", "docs/", "__pycache__/"):
        assert not any(unwanted in n for n in names), unwanted
    metadata = zipfile.ZipFile(wheel).read(info + "METADATA").decode()
    assert "Name: workers-rpc-playground\n" in metadata
    assert "Requires-Python: >=3.11\n" in metadata
    assert "Classifier: Programming Language :: Python :: 3.14\n" in metadata
    assert "Requires-Dist: msgpack>=1.0.5\n" in metadata and "Requires-Dist: rich>=13.7\n" in metadata


@pytest.mark.package
def test_the_sdist_holds_what_builds_the_wheel(dist: Path):
    sdist = _one(dist, f"{DIST}-{playground.__version__}.tar.gz")
    top = f"{DIST}-{playground.__version__}/"
    names = [n.removeprefix(top) for n in tarfile.open(sdist).getnames()]
    assert {"pyproject.toml", "README.md", "playground/py.typed", "playground/__init__.py"} <= set(names)
    assert not [n for n in names if n.split("/")[0] in {"tests", "notebooks", ".venv", ".git", "benchmarks"}]


@pytest.mark.package
def test_the_wheel_installed_in_a_fresh_venv_runs_the_tour(dist: Path, tmp_path: Path):
    wheel = _one(dist, f"{DIST}-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)  # no --system-site-packages
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # nothing of this repository on the path: not PYTHONPATH, not the current folder
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path, timeout=300, env=env)
    where = _run([str(python), "-c", "import playground, importlib.metadata as m; "
                  "print(playground.__file__); print(m.version('workers-rpc-playground'))"],
                 cwd=tmp_path, env=env).stdout.split("\n")
    assert Path(where[0]).resolve().is_relative_to(venv.resolve()), where[0]
    assert where[1] == playground.__version__
    tour = _run([str(python), "-m", "playground", "tour"], cwd=tmp_path, env=env).stdout
    done = [line for line in tour.splitlines() if line.startswith("Done:")]
    assert len(done) == 1 and re.match(rf"Done: {len(STOPS)} examples in \d+\.\d s of wall time\.", done[0]), done
