"""Workers: entrypoints, env, ctx.wait_until, named entrypoints, plain handlers, fetch."""

from __future__ import annotations

import asyncio
import json

import pytest

from playground import Headers, Playground, Request, Response, WorkerEntrypoint

from .services import failure


class Counting(WorkerEntrypoint):
    instances = 0

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        Counting.instances += 1
        self.calls = 0

    def call(self):
        self.calls += 1
        return self.calls

    def env_names(self):
        return dir(self.env)

    def start_background(self, store_key):
        async def later():
            await asyncio.sleep(1)
            Background.store[store_key] = "done after the return"

        self.ctx.wait_until(later())
        return "returned"


class Background:
    store: dict = {}


class NoInit(WorkerEntrypoint):
    def where_are_my_bindings(self):
        return sorted(dir(self.env)), type(self.ctx).__name__


class Named(WorkerEntrypoint):
    def hello(self, who):
        return f"hello {who} from Named entrypoint"


class DefaultHandler:
    """A plain handler object: methods take (arg, env, ctx)."""

    def fetch(self, request, env, ctx):
        return Response(f"default handler got {request.method} {request.url}")

    def one_arg(self, i, env, ctx):
        return i * 12

    def one_arg_omit_ctx(self, i, env):
        return i * 12 + 1

    def one_arg_omit_env_ctx(self, i):
        return i + 3

    def two_args(self, a, b, env, ctx):
        return a + b


class Client(WorkerEntrypoint):
    pass


def make_world():
    play = Playground(latency="1ms")
    play.worker("counting", Counting, exports=[Named])
    play.worker("handler", DefaultHandler)
    play.worker("noinit", NoInit, services={"C": "counting"})
    play.worker(
        "client",
        Client,
        services={"C": "counting", "NAMED": ("counting", "Named"), "H": "handler", "N": "noinit"},
    )
    return play, play.env("client")


def test_a_new_entrypoint_instance_per_top_level_call():
    play, env = make_world()
    Counting.instances = 0
    assert [play.run(env.C.call()) for _ in range(3)] == [1, 1, 1]
    assert Counting.instances == 3


def test_env_holds_the_workers_bindings():
    play, env = make_world()
    assert dir(env) == ["C", "H", "N", "NAMED"]
    assert play.run(env.C.env_names()) == []
    assert play.run(env.N.where_are_my_bindings()) == (["C"], "EntrypointContext")


def test_wait_until_keeps_work_going_after_the_return():
    play, env = make_world()
    Background.store.clear()
    assert play.run(env.C.start_background("k")) == "returned"
    assert "k" not in Background.store
    play.run(play.sleep(2))
    assert Background.store["k"] == "done after the return"


def test_named_entrypoint_binding():
    play, env = make_world()
    assert play.run(env.NAMED.hello("x")) == "hello x from Named entrypoint"


def test_plain_handler_methods_get_env_and_ctx_after_the_one_argument():
    play, env = make_world()
    assert play.run(env.H.one_arg(3)) == 36
    assert play.run(env.H.one_arg_omit_ctx(3)) == 37
    assert play.run(env.H.one_arg_omit_env_ctx(3)) == 6


def test_plain_handler_with_more_parameters_cannot_be_called():
    play, env = make_world()
    error = play.run(failure(env.H.two_args(123, 2)))
    assert type(error) is TypeError
    assert str(error).startswith('Cannot call handler function "two_args" over RPC because it has the wrong number of arguments.')


@pytest.mark.parametrize("args", [(), (1, 2)])
def test_plain_handler_needs_exactly_one_argument(args):
    play, env = make_world()
    error = play.run(failure(env.H.one_arg(*args)))
    assert str(error).startswith('Attempted to call RPC function "one_arg" with the wrong number of arguments.')


def test_play_fetch_reaches_a_plain_handler_with_a_request():
    play, _ = make_world()
    response = play.run(play.fetch("handler", "http://h/path"))
    assert play.run(response.text()) == "default handler got GET http://h/path"
    response = play.run(play.fetch("handler", Request("http://h/", method="POST", body="x")))
    assert play.run(response.text()) == "default handler got POST http://h/"


def test_fetch_without_a_handler_is_a_clear_error():
    play, env = make_world()
    error = play.run(failure(env.C.fetch("http://c/")))
    assert type(error) is TypeError and "fetch" in str(error)


class Json(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.json()
        return Response(
            json.dumps({"got": body, "agent": request.headers.get("USER-AGENT")}),
            status=201,
            headers={"Content-Type": "application/json"},
        )

    def returns_request(self):
        return Request("http://my-url.com", method="PUT", headers={"X-A": "1"}, body="Hello every body!")

    def returns_response(self):
        return Response("Response body!", status=404, headers={"Content-Type": "abc"})

    def returns_headers(self):
        headers = Headers([("Set-Cookie", "abc"), ("b", "2"), ("Set-Cookie", "def"), ("A", "1")])
        return headers


def json_world():
    play = Playground(latency="1ms")
    play.worker("json", Json)
    play.worker("client", Client, services={"J": "json"})
    return play, play.env("client")


def test_request_and_response_cross_with_method_headers_status_and_body():
    play, env = json_world()

    async def scenario():
        response = await env.J.fetch(
            "http://json/", method="POST", headers={"user-agent": "tests"}, body=json.dumps([1, 2])
        )
        return response.status, response.status_text, response.headers.get("content-type"), await response.json()

    status, text, ctype, body = play.run(scenario())
    assert (status, text, ctype) == (201, "Created", "application/json")
    assert body == {"got": [1, 2], "agent": "tests"}


def test_requests_responses_and_headers_as_values():
    play, env = json_world()

    async def scenario():
        req = await env.J.returns_request()
        resp = await env.J.returns_response()
        headers = await env.J.returns_headers()
        return (req.url, req.method, req.headers.get("x-a"), await req.text(),
                resp.status, resp.status_text, resp.headers.get("content-type"), await resp.text(),
                headers.items(), headers.get_set_cookie())

    assert play.run(scenario()) == (
        "http://my-url.com", "PUT", "1", "Hello every body!",
        404, "Not Found", "abc", "Response body!",
        [("a", "1"), ("b", "2"), ("set-cookie", "abc"), ("set-cookie", "def")], ["abc", "def"],
    )


def test_http_objects_validate_their_input():
    with pytest.raises(TypeError, match="GET or HEAD method cannot have a body"):
        Request("http://x/", body="no")
    with pytest.raises(ValueError, match="200 to 599"):
        Response(status=42)
    with pytest.raises(TypeError, match="bytes, str or a ReadableStream"):
        Response({"not": "bytes"})
    assert Headers({"A": "1"}).get("a") == "1"


def test_a_body_can_be_read_once():
    async def scenario():
        response = Response("once")
        first = await response.text()
        try:
            await response.text()
        except TypeError as exc:
            return first, str(exc)

    assert asyncio.run(scenario()) == ("once", "Body has already been used. It can only be used once.")


class CountedHandler:
    """A named entrypoint that is a plain handler class: one object per call that reaches it."""

    made = 0

    def __init__(self):
        CountedHandler.made += 1

    def one_arg_omit_env_ctx(self, i):
        return i + 3


def test_making_and_checking_bindings_constructs_no_entrypoint():
    CountedHandler.made = 0
    play = Playground()
    play.worker("handlers", DefaultHandler, exports=[CountedHandler])
    play.worker("client", Client, services={"H": ("handlers", "CountedHandler")})
    env = play.env("client")
    binding = env.H
    assert CountedHandler.made == 0  # checking that the entrypoint exists makes nothing
    assert play.run(binding.one_arg_omit_env_ctx(1)) == 4
    assert CountedHandler.made == 1
