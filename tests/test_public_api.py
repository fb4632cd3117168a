"""The documented public names are importable from ``playground``, and ``__all__`` lists them."""

from __future__ import annotations

import playground

API_NAMES = {
    "Playground", "WorkerEntrypoint", "RpcTarget", "DurableObject", "RpcStub", "RpcPromise",
    "ReadableStream", "WritableStream", "IdentityTransformStream", "Request", "Response", "Headers",
    "dispose", "sleep", "PlaygroundError", "RpcError", "RemoteError", "DataCloneError", "ConnectionLost",
    "ProtocolError", "compare",
}


def test_every_api_name_is_exported():
    missing = sorted(n for n in API_NAMES if not hasattr(playground, n))
    assert missing == []
    assert API_NAMES <= set(playground.__all__)
    assert all(hasattr(playground, n) for n in playground.__all__)


def test_error_hierarchy():
    from playground import ConnectionLost, DataCloneError, PlaygroundError, RemoteError, RpcError

    assert issubclass(RpcError, PlaygroundError)
    assert issubclass(ConnectionLost, RpcError) and ConnectionLost.retryable is True
    assert issubclass(RemoteError, RpcError)
    assert issubclass(DataCloneError, TypeError) and issubclass(DataCloneError, PlaygroundError)
    assert str(ConnectionLost()) == "Network connection lost."


def test_the_core_does_not_import_the_visualiser_or_rich():
    import subprocess
    import sys

    code = (
        "import sys, playground\n"
        "from playground import Playground, WorkerEntrypoint\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('rich', 'ipywidgets', 'IPython') or m.startswith('playground.viz')]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_package_docstring_example_runs():
    import doctest

    import playground

    result = doctest.testmod(playground)
    assert result.attempted >= 5 and result.failed == 0
