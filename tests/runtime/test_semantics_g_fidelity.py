"""Section G scenarios of the fidelity issue not covered elsewhere: G17, G43."""

from __future__ import annotations

import asyncio

from playground import Playground, RpcError, WorkerEntrypoint

from .services import failure


class Greeter(WorkerEntrypoint):
    def greet(self, name):
        return f"{self.ctx.props['greeting']}, {name}!"


class GreeterFactory(WorkerEntrypoint):
    def make_greeter(self, greeting):
        return self.ctx.exports.Greeter(props={"greeting": greeting})

    def make_greeter_wrapped(self, greeting):
        return {"greeter": self.make_greeter(greeting)}

    async def never_return(self):
        await asyncio.Event().wait()


class Client(WorkerEntrypoint):
    pass


def make():
    play = Playground(latency="5ms")
    play.worker("factory", GreeterFactory, exports=[Greeter])
    play.worker("client", Client, services={"F": "factory"})
    return play, play.env("client")


def test_g43_service_stubs_with_props_cross_rpc():
    play, env = make()

    async def scenario():
        greeter = await env.F.make_greeter("Yo")
        awaited = await greeter.greet("Alice")
        with env.F.make_greeter("Yo") as pipelined:
            second = await pipelined.greet("Alice")
        with env.F.make_greeter_wrapped("Yo") as wrapped:
            third = await wrapped.greeter.greet("Alice")
        return awaited, second, third

    assert play.run(scenario()) == ("Yo, Alice!",) * 3


def test_g17_hang_detection():
    play, env = make()
    error = play.run(failure(env.F.never_return()))
    assert type(error) is RpcError
    runtime_text, advice = str(error).split("\n")  # the runtime's words, then ours
    assert runtime_text == (
        "The Workers runtime canceled this request because it detected that your Worker's code had "
        "hung and would never generate a response. Refer to: "
        "https://developers.cloudflare.com/workers/observability/errors/"
    )
    assert advice.startswith("The call that hung: env.F.never_return() (call #0 from client to factory")
