"""Bad input gets an error that names the problem and the fix, and loses nothing."""

from __future__ import annotations

import pytest

from playground import Playground, WorkerEntrypoint
from playground.errors import ConfigurationError, UnknownBindingError, UnknownWorkerError

from .services import failure


class Svc(WorkerEntrypoint):
    def ping(self):
        return "pong"


class Client(WorkerEntrypoint):
    pass


def base() -> Playground:
    play = Playground(latency="1ms")
    play.worker("svc", Svc)
    return play


def still_usable(play: Playground) -> None:
    if "ok-client" not in play.workers:
        play.worker("ok-client", Client, services={"S": "svc"})
    assert play.run(play.env("ok-client").S.ping()) == "pong"


def test_unknown_worker_names_say_which_exist():
    play = base()
    for action in (lambda: play.env("nope"), lambda: play.fetch("nope", "http://x/"), lambda: play.link("svc", "nope")):
        with pytest.raises(UnknownWorkerError) as info:
            action()
        assert "No worker named 'nope'" in str(info.value)
        assert "workers: svc" in str(info.value)
        assert 'play.worker(\'nope\', ...)' in str(info.value)
        assert isinstance(info.value, KeyError)
    still_usable(play)


def test_binding_to_a_missing_service():
    play = base()
    play.worker("client", Client, services={"GONE": "missing"})
    with pytest.raises(ConfigurationError, match='binds GONE to service "missing", which is not in this playground'):
        play.env("client")
    still_usable(play)


def test_binding_to_a_missing_entrypoint():
    play = base()
    play.worker("client", Client, services={"S": ("svc", "Nope")})
    with pytest.raises(ConfigurationError, match='exports no entrypoint named "Nope"') as info:
        play.env("client")
    assert "exports=[...]" in str(info.value)
    still_usable(play)


def test_unknown_binding_on_env_lists_the_bindings():
    play = base()
    play.worker("client", Client, services={"S": "svc"})
    env = play.env("client")
    with pytest.raises(UnknownBindingError, match=r"no binding named \"OTHER\" \(its bindings: S\)"):
        env.OTHER  # noqa: B018
    assert not hasattr(env, "OTHER")  # also an AttributeError
    still_usable(play)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"latency": "25"}, "has no unit"),
        ({"latency": -1}, ">= 0"),
        ({"jitter": "fast"}, "is not a duration"),
        ({"bandwidth": "lots"}, "is not a bandwidth"),
        ({"pace": -1}, "pace must be a number >= 0"),
        ({"seed": 1.5}, "seed must be an int or a str"),
        ({"compatibility_date": "yesterday"}, "YYYY-MM-DD"),
        ({"compatibility_flags": ["warp_speed"]}, "Unknown compatibility flag"),
        ({"compatibility_flags": "rpc"}, "must be a list"),
    ],
)
def test_bad_playground_arguments(kwargs, fragment):
    with pytest.raises(ConfigurationError, match=fragment):
        Playground(**kwargs)


@pytest.mark.parametrize(
    "main, fragment",
    [
        (42, "must be a WorkerEntrypoint subclass"),
        ("Svc", "must be a WorkerEntrypoint subclass"),
        (lambda request: None, "must be a WorkerEntrypoint subclass"),
        (object, "must be a WorkerEntrypoint subclass"),
    ],
)
def test_main_must_be_an_entrypoint_or_a_handler(main, fragment):
    play = base()
    with pytest.raises(ConfigurationError, match=fragment):
        play.worker("bad", main)
    assert "bad" not in play.workers
    still_usable(play)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"services": ["svc"]}, "must be a dict"),
        ({"services": {"S": 3}}, 'must be "service" or'),
        ({"services": {"lower case": "svc"}}, "must be a Python identifier"),
        ({"exports": [42]}, "must be classes"),
        ({"exports": "Svc"}, "must be a list of classes"),
        ({"durable_objects": {"D": 5}}, 'must be "ClassName"'),
    ],
)
def test_bad_worker_definitions(kwargs, fragment):
    play = base()
    with pytest.raises(ConfigurationError, match=fragment):
        play.worker("bad", Client, **kwargs)
    still_usable(play)


def test_duplicate_and_reserved_worker_names():
    play = base()
    with pytest.raises(ConfigurationError, match="already exists"):
        play.worker("svc", Svc)
    with pytest.raises(ConfigurationError, match="pseudo-worker"):
        play.worker("internet", Svc)
    with pytest.raises(ConfigurationError, match="non-empty string"):
        play.worker("", Svc)
    still_usable(play)


def test_bad_link_properties():
    play = base()
    play.worker("client", Client, services={"S": "svc"})
    with pytest.raises(ConfigurationError, match="loss must be a probability"):
        play.link("svc", "client", loss=2)
    with pytest.raises(ConfigurationError, match="has no unit"):
        play.link("svc", "client", latency="10")
    link = play.link("svc", "client", latency="3ms", bandwidth="1MB/s")
    assert link.latency == 0.003 and link.bandwidth == 1e6
    still_usable(play)


def test_a_failing_call_leaves_the_worker_usable():
    play = base()
    play.worker("client", Client, services={"S": "svc"})
    env = play.env("client")
    assert "does not implement" in str(play.run(failure(env.S.missing())))
    still_usable(play)


def test_a_closed_playground_says_so():
    play = base()
    play.close()
    with pytest.raises(Exception, match="has been closed"):
        play.env("svc")
