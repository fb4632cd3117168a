"""Build the course as a static site that runs in the browser: ``python lite/build.py`` (``make lite``).

JupyterLite with the Pyodide kernel: Python runs in the page (WebAssembly), so any static host
serves the course, and nothing is fetched from anywhere but the site itself. Everything comes
from the two package registries, PyPI and npm:

* ``jupyterlite-core`` and ``jupyterlite-pyodide-kernel`` (pinned below), installed from PyPI
  into their own venv, ``lite/_build/venv``;
* Pyodide's core (``pyodide.mjs``, the WebAssembly interpreter, the standard library and its
  lock file) from npm, at the version the kernel expects (its ``PYODIDE_VERSION``);
* the pure-Python wheels the kernel and the course need from that lock, re-fetched from PyPI
  (the lock's other packages are dropped, and the hashes of the ones kept are the downloaded
  wheels'); msgpack, which the lock has only as a WebAssembly build on a CDN, becomes its own
  pure-Python fallback built from the sdist (``MSGPACK_PUREPYTHON=1``);
* what the lock lacks (comm, ipywidgets and its lab extension, markdown-it-py, mdurl) and the
  project's own wheel, as piplite wheels;
* the course notebooks, each opening with the one cell that installs the package in the browser.

The site is written to ``lite/_output/`` (serve it with ``python -m http.server -d lite/_output``);
downloads are kept in ``lite/_build/`` so a second build is quick. The build fails if a CDN or
PyPI address is left in the site's configuration: the site never falls back to the network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "lite"
BUILD = LITE / "_build"
OUTPUT = LITE / "_output"
NOTEBOOKS = ROOT / "notebooks"

#: the JupyterLite build, from PyPI (jupyterlite-pyodide-kernel pins Pyodide's version)
JUPYTERLITE = ["jupyterlite-core==0.8.6", "jupyterlite-pyodide-kernel==0.8.6", "jupyterlab_widgets==3.0.17",
               "jupyter_server==2.21.1"]  # jupyter_server: indexes the notebooks
#: what the Pyodide lock lacks, installed from the site with piplite
PIPLITE = ["comm==0.2.3", "ipywidgets==8.1.9", "jupyterlab_widgets==3.0.17", "markdown-it-py==4.3.0", "mdurl==0.1.2"]
#: the lock's packages the kernel and the course load (with their dependencies in the lock)
LOCK_ROOTS = ["micropip", "packaging", "ipython", "jedi", "pygments", "msgpack", "rich"]
#: addresses the site must not contain in its configuration (no fallback to the network)
FORBIDDEN = ("cdn.jsdelivr", "pypi.org", "files.pythonhosted.org")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, env=env, cwd=cwd)


def distribution_name() -> str:
    """The project's distribution name, read from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["name"])


def build_venv() -> Path:
    """A venv with the pinned JupyterLite build (made once, remade when the pins change)."""
    venv = BUILD / "venv"
    stamp = venv / "lite-pins.txt"
    if not stamp.exists() or stamp.read_text() != "\n".join(JUPYTERLITE):
        shutil.rmtree(venv, ignore_errors=True)
        run(sys.executable, "-m", "venv", venv)
        run(venv / "bin" / "python", "-m", "pip", "install", "-q", *JUPYTERLITE)
        stamp.write_text("\n".join(JUPYTERLITE))
    return venv


def pyodide_version(venv: Path) -> str:
    """The Pyodide version the installed kernel expects."""
    code = "from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION as v; print(v)"
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True,
                          text=True).stdout.strip()


def npm_pyodide(version: str) -> Path:
    """Pyodide's core from npm (installed once per version)."""
    folder = BUILD / f"npm-pyodide-{version}"
    package = folder / "node_modules" / "pyodide"
    if not (package / "pyodide-lock.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("make lite needs npm (Node.js) to fetch Pyodide's core from the npm registry")
        run(npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", folder, f"pyodide@{version}")
    return package


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pip_download(spec: str, dest: Path) -> Path:
    """One pure-Python wheel from PyPI (kept in ``dest``; downloaded once)."""
    name, _, version = spec.partition("==")
    stem = re.sub(r"[-_.]+", "_", name).lower()
    found = [p for p in dest.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
            "--python-version", "3.14", "--implementation", "py", "--abi", "none", "--platform", "any",
            "-d", dest, spec)
        found = [p for p in dest.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if len(found) != 1 or not found[0].name.endswith("-none-any.whl"):
        sys.exit(f"expected one pure-Python wheel for {spec} in {dest}, found {[p.name for p in found]}")
    return found[0]


def msgpack_wheel(version: str, dest: Path) -> Path:
    """msgpack's pure-Python fallback, built from the sdist (its only wheels on PyPI are compiled)."""
    found = list(dest.glob(f"msgpack-{version}-py3-none-any.whl"))
    if not found:
        env = {**os.environ, "MSGPACK_PUREPYTHON": "1"}
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-binary", "msgpack", "-w", dest,
            f"msgpack=={version}", env=env)
        found = list(dest.glob(f"msgpack-{version}-py3-none-any.whl"))
    if not found:
        sys.exit(f"MSGPACK_PUREPYTHON=1 did not build a pure-Python wheel of msgpack {version}")
    return found[0]


def trimmed_lock(pyodide: Path, static: Path) -> None:
    """Pyodide's core into ``static`` with a lock listing only what is needed, every wheel beside it."""
    shutil.rmtree(static, ignore_errors=True)
    static.mkdir(parents=True)
    for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide.js"):
        if (pyodide / name).exists():
            shutil.copy(pyodide / name, static / name)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    keys = {_norm(key): key for key in packages}
    keep: list[str] = []
    todo = list(LOCK_ROOTS)
    while todo:
        key = keys[_norm(todo.pop())]
        if key not in keep:
            keep.append(key)
            todo += packages[key]["depends"]
    wheels = BUILD / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    for key in keep:
        entry = packages[key]
        if key == "msgpack":
            wheel = msgpack_wheel(entry["version"], wheels)
        elif entry["file_name"].endswith("-none-any.whl"):
            wheel = pip_download(f"{entry['name']}=={entry['version']}", wheels)
        else:
            sys.exit(f"the lock's {key} is not a pure-Python wheel ({entry['file_name']}); add it to the build")
        shutil.copy(wheel, static / wheel.name)
        entry.update(file_name=wheel.name, sha256=_sha256(wheel))
    lock["packages"] = {key: packages[key] for key in sorted(keep)}
    (static / "pyodide-lock.json").write_text(json.dumps(lock, indent=1), encoding="utf-8")


def piplite_wheels() -> list[Path]:
    """The project's wheel and what the lock lacks."""
    wheels = BUILD / "wheels"
    extra = [pip_download(spec, wheels) for spec in PIPLITE]
    project = BUILD / "project"
    shutil.rmtree(project, ignore_errors=True)
    run(sys.executable, "-m", "build", "--wheel", "--outdir", project, ROOT)
    return extra + sorted(project.glob("*.whl"))


def install_cell(name: str) -> dict[str, object]:
    source = (
        "# In the browser (JupyterLite), install the course's package from this site\n"
        "import sys\n"
        'if sys.platform == "emscripten":\n'
        f"    %pip install -q {name}"
    )
    return {"cell_type": "code", "execution_count": None, "id": "lite-install", "metadata": {},
            "outputs": [], "source": source}


def notebooks(files: Path, name: str) -> list[str]:
    """The course notebooks, each opening with its install cell, for the Pyodide kernel."""
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True)
    copied = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb["cells"].insert(0, install_cell(name))
        nb["metadata"]["kernelspec"] = KERNELSPEC
        (files / path.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
        copied.append(path.name)
    return copied


def check_offline(output: Path) -> None:
    """Fail if the site's configuration still points at a CDN or PyPI."""
    problems = []
    for path in [*output.rglob("jupyter-lite.json"), *output.rglob("*.jupyterlab-settings"),
                 *output.rglob("all.json"), *output.rglob("pyodide-lock.json")]:
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.relative_to(output)}: {url}" for url in FORBIDDEN if url in text]
    if problems:
        sys.exit("the site would fetch from the network:\n  " + "\n  ".join(problems))


def site_size(output: Path) -> int:
    """Bytes in the site, source maps excluded."""
    return sum(p.stat().st_size for p in output.rglob("*") if p.is_file() and not p.name.endswith(".map"))


def build(output: Path = OUTPUT) -> Path:
    venv = build_venv()
    version = pyodide_version(venv)
    lite_dir = BUILD / "lite-dir"
    shutil.rmtree(lite_dir, ignore_errors=True)
    lite_dir.mkdir(parents=True)
    trimmed_lock(npm_pyodide(version), lite_dir / "static" / "pyodide")
    name = distribution_name()
    copied = notebooks(lite_dir / "files", name)
    config = {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
        "appName": "Workers RPC playground",
        "exposeAppInBrowser": True,  # window.jupyterapp, for the browser test (tests/test_lite.py)
        "litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}},
    }}
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    shutil.rmtree(output, ignore_errors=True)
    wheels: list[str] = []
    for wheel in piplite_wheels():
        wheels += ["--piplite-wheels", str(wheel)]
    run(venv / "bin" / "jupyter", "lite", "build", "--lite-dir", lite_dir, "--output-dir", output,
        "--apps", "lab", "--apps", "notebook", "--apps", "tree", "--no-sourcemaps", *wheels, cwd=lite_dir)
    check_offline(output)
    print(f"site: {output} ({site_size(output) / 1e6:.1f} MB), Pyodide {version}, {len(copied)} notebooks")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the site (lite/_output)")
    build(parser.parse_args(argv).output.resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
