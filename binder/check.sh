#!/usr/bin/env bash
# Check the Binder setup without Docker: build a clean virtual environment from binder/ alone,
# as repo2docker would (Python from runtime.txt, pip install -r requirements.txt from a copy
# of the repository, then postBuild), and execute every notebook in it. With Chromium present,
# also run the real-browser JupyterLab test with that environment's JupyterLab.
#
#   bash binder/check.sh                      # python3.12 from PATH
#   PYTHON312=/path/to/python3.12 bash binder/check.sh
#
# Not part of `make test` (it downloads and installs a whole Jupyter stack: about a minute).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON312:-python3.12}"
want="$(sed -n 's/^python-//p' "$here/binder/runtime.txt")"
got="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" || {
  echo "binder/check.sh needs Python $want: put python$want on PATH or set PYTHON312=/path/to/python$want" >&2
  exit 2
}
[ "$got" = "$want" ] || { echo "runtime.txt asks for Python $want, $python is $got" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
step() { echo "binder/check.sh: $1 ($((SECONDS - t0)) s)"; }
# pip's warnings are shown only if it fails
pip_install() { python -m pip install -q "$@" 2> "$work/pip.log" || { cat "$work/pip.log" >&2; return 1; }; }

# The repository as repo2docker sees it: tracked and untracked files, nothing ignored.
mkdir "$work/repo"
(cd "$here" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$work/repo"
"$python" -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH"
export JUPYTER_CONFIG_DIR="$work/jupyter/config" JUPYTER_DATA_DIR="$work/jupyter/data" \
       JUPYTER_RUNTIME_DIR="$work/jupyter/runtime"
cd "$work/repo"
pip_install --upgrade pip
step "venv ready (Python $got)"
pip_install -r binder/requirements.txt
step "binder/requirements.txt installed"
bash binder/postBuild
step "postBuild done"

# -P: do not put the current folder on sys.path, so `import playground` finds the installed one
python -P - <<'PY'
"""Check the versions, then execute every notebook with nbclient in this environment's kernel."""
import sys, time
from importlib.metadata import version
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ipykernel = tuple(int(p) for p in version("ipykernel").split(".")[:2])
assert ipykernel >= (7, 4), f"ipykernel {version('ipykernel')} is older than 7.4"
import playground
assert Path(playground.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), playground.__file__
print("  versions:", ", ".join(f"{n} {version(n)}" for n in ("playground", "ipykernel", "ipywidgets", "jupyterlab")))
failed = []
for path in sorted(Path("notebooks").glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [f"{o['ename']}: {o['evalue']}" for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o["output_type"] == "error"]
    print(f"  {path.name:36s} {time.perf_counter() - started:5.1f} s  {'ERRORS: ' + '; '.join(errors) if errors else 'ok'}")
    failed += errors
sys.exit(1 if failed else 0)
PY
step "every notebook executed"

if [ -x /usr/bin/chromium ]; then
  pip_install pytest playwright
  python -m pytest -q -p no:cacheprovider tests/browser
  step "real-browser test passed with this environment's JupyterLab"
else
  step "no /usr/bin/chromium: browser test skipped"
fi
echo "binder/check.sh: OK in $((SECONDS - t0)) s"
