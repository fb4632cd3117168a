"""Streams: local behaviour, over RPC (section F, G32), ownership, failures, Request/Response."""

from __future__ import annotations

import asyncio

import pytest

from playground import (
    ConnectionLost,
    IdentityTransformStream,
    Playground,
    ReadableStream,
    Request,
    Response,
    RpcError,
    WorkerEntrypoint,
    WritableStream,
)

from .services import failure

PREMATURE = "ReadableStream received over RPC disconnected prematurely."
WRITABLE_GONE = "WritableStream received over RPC was disconnected because the remote execution context has ended."


class Sink:
    def __init__(self, fail_on_write: bool = False):
        self.parts: list = []
        self.writes = 0
        self.fail_on_write = fail_on_write
        self.abort_reason = None

    async def write(self, chunk):
        self.writes += 1
        if self.fail_on_write:
            raise Exception("boom")
        self.parts.append(bytes(chunk))

    def close(self):
        self.parts.append("closed")

    def abort(self, reason):
        self.abort_reason = reason


class Service(WorkerEntrypoint):
    async def write_three(self, writable):
        writer = writable.get_writer()
        for part in (b"foo, ", b"bar, ", b"baz!"):
            await writer.write(part)
        await writer.close()
        return "written"

    async def write_forever(self, writable):
        writer = writable.get_writer()
        while True:
            await writer.write(b"x")

    async def abort_writable(self, writable):
        writer = writable.get_writer()
        await writer.write(b"some")
        await writer.abort(Exception("boom"))
        return "aborted"

    async def read_text(self, readable):
        return (await readable.read_all()).decode()

    async def read_chunks(self, readable):
        return [bytes(c) async for c in readable]

    async def read_slowly(self, readable, pause):
        total = 0
        async for chunk in readable:
            total += len(chunk)
            await asyncio.sleep(pause)
        return total

    def get_readable(self):
        return ReadableStream.from_iterable([b"foo, ", b"bar, ", b"baz!"])

    def get_two(self):
        return [self.get_readable(), self.get_readable()]

    def round_trip(self, value):
        return value

    def transform(self):
        t = IdentityTransformStream()
        return {"readable": t.readable, "writable": t.writable}

    def filled_later(self):
        t = IdentityTransformStream()

        async def fill():
            writer = t.writable.get_writer()
            await writer.write(b"written in ")
            await writer.write(b"wait_until")
            await writer.close()

        self.ctx.wait_until(fill())
        return t.readable

    def bad_chunks(self):
        return ReadableStream.from_iterable([b"ok", {"not": "bytes"}])

    def big_response(self, size):
        return Response(ReadableStream.from_iterable(bytes(1 << 20) for _ in range(size)))

    async def fetch(self, request):
        body = await request.bytes()
        return Response(
            f"{request.method} {len(body)} {request.headers.get('X-Test')}",
            status=201,
            headers={"X-Reply": "yes"},
        )


class Forwarder(WorkerEntrypoint):
    async def forward(self, readable):
        return await self.env.SVC.read_text(readable)


class Client(WorkerEntrypoint):
    pass


def make(latency: str = "10ms", **kwargs):
    play = Playground(latency=latency, **kwargs)
    play.worker("svc", Service)
    play.worker("fwd", Forwarder, services={"SVC": "svc"})
    play.worker("client", Client, services={"SVC": "svc", "FWD": "fwd"})
    return play, play.env("client")


# -- local ----------------------------------------------------------------------------------


def test_local_streams_from_sync_and_async_iterables():
    async def agen():
        yield b"a"
        yield b"b"

    async def scenario():
        first = [c async for c in ReadableStream.from_iterable([b"1", b"2"])]
        second = await ReadableStream.from_iterable(agen()).read_all()
        stream = ReadableStream.from_iterable([b"x"])
        reader = stream.get_reader()
        with pytest.raises(TypeError, match="locked to a reader"):
            stream.get_reader()
        chunks = [await reader.read(), await reader.read()]
        reader.release_lock()
        return first, second, chunks, stream.locked

    assert asyncio.run(scenario()) == ([b"1", b"2"], b"ab", [b"x", None], False)


def test_local_identity_transform_and_writable():
    async def scenario():
        t = IdentityTransformStream()
        writer = t.writable.get_writer()

        async def write():
            await writer.write(b"hello ")
            await writer.write(b"world")
            await writer.close()

        _, text = await asyncio.gather(write(), t.readable.read_all())
        sink = Sink()
        w = WritableStream(sink).get_writer()
        await w.write(b"abc")
        await w.close()
        return text, sink.parts

    assert asyncio.run(scenario()) == (b"hello world", [b"abc", "closed"])


def test_writable_stream_needs_a_sink_with_write():
    with pytest.raises(TypeError, match="needs a sink with a write"):
        WritableStream(object())
    with pytest.raises(TypeError, match="iterable of bytes chunks"):
        ReadableStream.from_iterable(b"not a list")


# -- over RPC (G32) --------------------------------------------------------------------------


def test_g32_1_send_a_transform_writable_and_read_the_other_half():
    play, env = make()
    t = IdentityTransformStream()

    async def scenario():
        return await asyncio.gather(env.SVC.write_three(t.writable), t.readable.read_all())

    assert play.run(scenario()) == ["written", b"foo, bar, baz!"]


def test_g32_2_send_a_writable_with_a_python_sink():
    play, env = make()
    sink = Sink()
    assert play.run(env.SVC.write_three(WritableStream(sink))) == "written"
    assert sink.parts == [b"foo, ", b"bar, ", b"baz!", "closed"]


def test_g32_3_a_sink_that_throws_fails_the_call_after_one_write():
    play, env = make(stream_window=64)  # the writer runs ahead of the sink by one window
    sink = Sink(fail_on_write=True)
    error = play.run(failure(env.SVC.write_forever(WritableStream(sink))))
    assert str(error) == "boom"
    assert sink.writes == 1


def test_g32_4_a_receiver_that_aborts_a_writable_tells_the_sink():
    play, env = make()
    sink = Sink()
    assert play.run(env.SVC.abort_writable(WritableStream(sink))) == "aborted"
    play.run(play.idle())
    assert sink.parts == [b"some"]
    assert isinstance(sink.abort_reason, RpcError) and str(sink.abort_reason) == WRITABLE_GONE


def test_g32_5_send_a_transform_readable_and_write_into_it_locally():
    play, env = make()
    t = IdentityTransformStream()

    async def write():
        writer = t.writable.get_writer()
        await writer.write(b"written ")
        await writer.write(b"locally")
        await writer.close()

    async def scenario():
        text, _ = await asyncio.gather(env.SVC.read_text(t.readable), write())
        return text

    assert play.run(scenario()) == "written locally"


def test_g32_6_send_a_readable_from_an_iterable_chunks_keep_their_sizes():
    play, env = make()
    chunks = play.run(env.SVC.read_chunks(ReadableStream.from_iterable([b"AAAA", b"BBBB", b"CCCC"])))
    assert chunks == [b"AAAA", b"BBBB", b"CCCC"]


def test_g32_7_locked_streams_cannot_be_sent_and_stay_usable():
    play, env = make()
    readable = ReadableStream.from_iterable([b"foo", b"bar"])
    reader = readable.get_reader()
    error = play.run(failure(env.SVC.read_text(readable)))
    assert type(error) is TypeError and str(error) == "The ReadableStream has been locked to a reader."
    writable = WritableStream(Sink())
    writer = writable.get_writer()
    error = play.run(failure(env.SVC.write_three(writable)))
    assert type(error) is TypeError and str(error) == "The WritableStream has been locked to a writer."

    async def still_usable():
        return [await reader.read(), await reader.read(), await reader.read()]

    assert play.run(still_usable()) == [b"foo", b"bar", None]
    play.run(writer.write(b"still works"))
    assert play.open_connections() == []


def test_g32_8_9_receive_one_or_two_readables():
    play, env = make()

    async def scenario():
        one = await env.SVC.get_readable()
        a, b = await env.SVC.get_two()
        return await one.read_all(), await a.read_all(), await b.read_all()

    assert play.run(scenario()) == (b"foo, bar, baz!",) * 3


def test_receive_a_readable_the_callee_fills_in_wait_until():
    play, env = make()

    async def scenario():
        readable = await env.SVC.filled_later()
        return await readable.read_all()

    assert play.run(scenario()) == b"written in wait_until"


def test_g32_10_aborting_the_writer_of_a_sent_readable():
    play, env = make()
    t = IdentityTransformStream()

    async def write_then_abort():
        writer = t.writable.get_writer()
        await writer.write(b"some data")
        await writer.abort("foo")

    async def scenario():
        error, _ = await asyncio.gather(failure(env.SVC.read_text(t.readable)), write_then_abort())
        return error

    error = play.run(scenario())
    assert type(error) is RpcError and str(error) == PREMATURE


def test_g32_13_round_trip_both_halves_of_a_transform():
    play, env = make()

    async def scenario():
        t = IdentityTransformStream()
        back = await env.SVC.round_trip({"readable": t.readable, "writable": t.writable})

        async def write():
            writer = back["writable"].get_writer()
            await writer.write(b"round ")
            await writer.write(b"trip")
            await writer.close()

        _, text = await asyncio.gather(write(), back["readable"].read_all())
        return text

    assert play.run(scenario()) == b"round trip"


def test_a_readable_passes_through_a_third_worker():
    play, env = make()
    text = play.run(env.FWD.forward(ReadableStream.from_iterable([b"via ", b"a ", b"third"])))
    assert text == "via a third"


def test_receive_a_transform_pair_and_use_it_as_an_echo_pipe():
    play, env = make()

    async def scenario():
        pair = await env.SVC.transform()

        async def write():
            writer = pair["writable"].get_writer()
            await writer.write(b"echo")
            await writer.close()

        _, text = await asyncio.gather(write(), pair["readable"].read_all())
        return text

    assert play.run(scenario()) == b"echo"


def test_a_sent_stream_belongs_to_the_receiver():
    play, env = make()
    readable = ReadableStream.from_iterable([b"x"])
    play.run(env.SVC.read_text(readable))
    with pytest.raises(TypeError, match="sent over RPC"):
        readable.get_reader()
    assert readable.locked


# -- Request and Response --------------------------------------------------------------------


def test_requests_and_responses_with_headers_status_and_streamed_bodies():
    play, env = make()

    async def scenario():
        response = await env.SVC.fetch(
            Request("http://svc/", method="POST", headers={"x-TEST": "on"}, body=bytes(200_000))
        )
        return response.status, response.status_text, response.headers.get("X-REPLY"), await response.text()

    assert play.run(scenario()) == (201, "Created", "yes", "POST 200000 on")


def test_a_body_larger_than_32_mib_passes():
    play, env = make(latency="1ms")

    async def scenario():
        response = await env.SVC.big_response(33)
        return len(await response.bytes())

    assert play.run(scenario()) == 33 * (1 << 20)


# -- failures --------------------------------------------------------------------------------


def test_a_non_bytes_chunk_errors_the_stream_and_the_receiver_sees_a_disconnect():
    play, env = make()

    async def scenario():
        readable = await env.SVC.bad_chunks()
        reader = readable.get_reader()
        first = await reader.read()
        return first, await failure(reader.read())

    first, error = play.run(scenario())
    assert first == b"ok"
    assert type(error) is ConnectionLost and str(error) == "Network connection lost."
    notes = [e.text for e in play.trace.events if type(e).__name__ == "NoteEvent"]
    assert any("This ReadableStream did not return bytes." in text for text in notes)


def test_a_cut_link_mid_stream_ends_both_sides_clearly():
    play, env = make(stream_window=4096)
    play.link("client", "svc", bandwidth="100KB/s")
    sent = {"n": 0}

    async def chunks():
        while True:
            sent["n"] += 1
            yield bytes(1024)

    async def scenario():
        call = asyncio.ensure_future(failure(env.SVC.read_text(ReadableStream.from_iterable(chunks()))))
        await play.sleep(0.2)
        play.disconnect("client", "svc")
        return await call

    error = play.run(scenario())
    assert type(error) is ConnectionLost
    play.run(play.idle())
    assert play.open_connections() == []
    assert 0 < sent["n"] < 100  # the source stopped being read


class Counter(WorkerEntrypoint):
    pass


def test_g44_calls_carrying_streams_keep_their_order_on_one_stub():
    from playground import RpcTarget

    class Ordered(RpcTarget):
        def __init__(self):
            self.n = 0

        async def increment(self, by, extra=None):
            self.n += by
            value = self.n
            if extra is not None:
                await extra.read_all()
            return value

    class Holder(WorkerEntrypoint):
        def make(self):
            return Ordered()

    play = Playground(latency="5ms")
    play.worker("holder", Holder)
    play.worker("client", Client, services={"H": "holder"})
    env = play.env("client")

    async def scenario():
        with await env.H.make() as stub:
            calls = [
                stub.increment(1),
                stub.increment(1, ReadableStream.from_iterable([b"a"])),
                stub.increment(1),
                stub.increment(1, ReadableStream.from_iterable([b"b", b"c"])),
                stub.increment(1),
                stub.increment(1, ReadableStream.from_iterable([b"d"])),
            ]
            return await asyncio.gather(*calls)

    assert play.run(scenario()) == [1, 2, 3, 4, 5, 6]


def test_the_seed_example_a_33_mib_stream_passes_the_limit():
    class MyService(WorkerEntrypoint):
        async def foo(self):
            size_in_bytes = 33 * 1024 * 1024  # 33 MiB
            arr = bytes(size_in_bytes)
            return ReadableStream.from_iterable([arr])

    play = Playground(latency="10ms")
    play.worker("svc", MyService)
    play.worker("client", Client, services={"MY_SERVICE": "svc"})
    env = play.env("client")

    async def scenario():
        stream = await env.MY_SERVICE.foo()
        return len(await stream.read_all())

    assert play.run(scenario()) == 33 * 1024 * 1024


def test_a_crash_mid_stream_ends_the_reader_with_a_clear_error():
    play, env = make(stream_window=8192)
    play.link("client", "svc", bandwidth="50KB/s")

    async def endless():
        while True:
            yield bytes(1024)

    async def scenario():
        readable = ReadableStream.from_iterable(endless())
        call = asyncio.ensure_future(failure(env.SVC.read_text(readable)))
        await play.sleep(0.1)
        play.crash("svc")
        return await call

    error = play.run(scenario())
    assert type(error) is ConnectionLost
    play.run(play.idle())
    assert play.open_connections() == []
