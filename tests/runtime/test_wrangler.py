"""Playground.from_wrangler: wrangler.toml and wrangler.jsonc files whose main is Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import Playground
from playground.errors import WranglerConfigError
from playground.runtime.wrangler import strip_jsonc

HERE = Path(__file__).parent / "wrangler"


def test_the_seed_example_from_its_wrangler_files():
    play = Playground.from_wrangler(HERE / "worker_b.toml", HERE / "worker_a.jsonc", latency="25ms")
    env = play.env("worker_a")
    assert play.run(env.WORKER_B.add(1, 2)) == 3
    response = play.run(play.fetch("worker_a", "http://worker-a/"))
    assert play.run(response.text()) == "Result: 3"
    assert env.GREETING == "hello // not a comment"
    counter = env.COUNTER.get(env.COUNTER.id_from_name("c"))
    assert [play.run(counter.increment(2)), play.run(counter.increment(3))] == [2, 5]
    assert play.compatibility.date.isoformat() == "2026-11-01"


def test_jsonc_comments_and_trailing_commas():
    assert strip_jsonc('{"a": "// kept", /* gone */ "b": [1, 2,], // gone\n}') == '{"a": "// kept",  "b": [1, 2] \n}'


@pytest.mark.parametrize(
    "files, fragments",
    [
        (["nope.toml"], ["nope.toml", "no such file"]),
        (["unknown_key.toml"], ["unknown_key.toml", "kv_namespaces", "is not supported", "Remove it"]),
        (["missing_service.toml"], ["missing_service.toml", 'binding "WORKER_B"', 'service "worker_b" is not loaded', "Pass its wrangler file"]),
        (["worker_b.toml", "broken.toml"], ["broken.toml", "main", "this module fails to import", "Fix the module"]),
    ],
)
def test_bad_configuration_names_the_file_the_key_and_the_fix(files, fragments):
    with pytest.raises(WranglerConfigError) as info:
        Playground.from_wrangler(*(HERE / f for f in files))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_no_files_is_an_error():
    with pytest.raises(Exception, match="at least one"):
        Playground.from_wrangler()
