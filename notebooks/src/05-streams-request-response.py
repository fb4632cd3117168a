# %% [markdown]
# # 5. Streams, `Request` and `Response`
#
# `ReadableStream`, `WritableStream`, `Request` and `Response` can be sent and returned over RPC.
# Their bytes are streamed with **flow control**: the sender may have at most a *window* of bytes
# sent and not yet read; each chunk is acknowledged once the receiver has read it. And
# **ownership moves** with the stream: the sender cannot use it any more.

# %%
%load_ext playground
import playground
from playground import (Playground, WorkerEntrypoint, ReadableStream, WritableStream,
                        IdentityTransformStream, Request, Response)

class Client(WorkerEntrypoint):
    pass

# %% [markdown]
# ## Sending a stream
#
# The uploader counts the bytes of the stream it receives. The client sends 1 MiB in 64 KiB
# chunks through a 256 KiB window. Under the arrows, the diagram draws the bytes in flight
# against the window: the writer fills the window, then waits for acknowledgements.

# %%
class Uploader(WorkerEntrypoint):
    async def upload(self, readable):
        size = 0
        async for chunk in readable:       # each chunk is acknowledged once read
            size += len(chunk)
        return size

play = Playground(latency="10ms", bandwidth="50MB/s", stream_window=256 * 1024)
play.worker("uploader", Uploader)
play.worker("client", Client, services={"UPLOADER": "uploader"})
uploader = play.env("client").UPLOADER

chunks = (bytes(64 * 1024) for _ in range(16))
await uploader.upload(ReadableStream.from_iterable(chunks))

# %% [markdown]
# ## The stream now belongs to the receiver
#
# After sending a stream, the sender cannot read it: it would race with the receiver. (To keep
# a copy, JavaScript has `tee()` and `clone()`, at the cost of buffering.)

# %%
stream = ReadableStream.from_iterable([b"hello, ", b"world"])
print(await uploader.upload(stream))
try:
    stream.get_reader()
except TypeError as error:
    print("TypeError:", error)

# %% [markdown]
# ## Returning a stream
#
# A method can return a `ReadableStream` too: the caller reads it as the bytes arrive.

# %%
class Library(WorkerEntrypoint):
    def book(self):
        return ReadableStream.from_iterable(f"Chapter {n}. ".encode() for n in range(1, 6))

play.worker("library", Library)
play.worker("reader", Client, services={"LIBRARY": "library"})

book = await play.env("reader").LIBRARY.book()
(await book.read_all()).decode()

# %% [markdown]
# ## Sending somewhere to write: `WritableStream`
#
# The other direction: the client makes a `WritableStream` around a *sink* (an object with
# `write`, `close` and optionally `abort`) and sends it. The service writes into it; the sink's
# methods run here, in the client.

# %%
class Collector:
    def __init__(self):
        self.parts = []
    def write(self, chunk):
        self.parts.append(bytes(chunk))
    def close(self):
        self.parts.append(b"<closed>")

class Logger(WorkerEntrypoint):
    async def write_log(self, writable):
        writer = writable.get_writer()
        for line in (b"started\n", b"working\n", b"done\n"):
            await writer.write(line)
        await writer.close()
        return "written"

play.worker("logger", Logger)
play.worker("ops", Client, services={"LOGGER": "logger"})

sink = Collector()
print(await play.env("ops").LOGGER.write_log(WritableStream(sink)))
sink.parts

# %% [markdown]
# ## A pipe: `IdentityTransformStream`
#
# An `IdentityTransformStream` has two ends: what is written to `.writable` comes out of
# `.readable`. Send the writable end to a worker, and read the other end here while it writes.
#
# (This cell runs its code with `play.run(...)`, which drives the simulation until the code is
# done. A top-level `await` on a local stream's read does not drive it yet; awaiting RPC calls
# does.)

# %%
async def read_the_log():
    pipe = IdentityTransformStream()
    written = play.env("ops").LOGGER.write_log(pipe.writable)   # sent; not awaited yet
    text = (await pipe.readable.read_all()).decode()             # read while it is written
    return await written, text

play.run(read_the_log())

# %% [markdown]
# ## `Request` and `Response`
#
# HTTP messages cross RPC as well, headers, status and body. Their bodies are streams, so they
# flow with the same flow control, and they may be larger than the 32 MiB limit of notebook 08.

# %%
class Api(WorkerEntrypoint):
    async def handle(self, request):
        body = await request.json()
        return Response(f"{request.method} {request.url}: hello {body['name']}",
                        status=201, headers={"X-Handled-By": "api"})

play.worker("api", Api)
play.worker("gateway", Client, services={"API": "api"})

request = Request("https://api.example/greet", method="POST", body='{"name": "Ada"}',
                  headers={"Content-Type": "application/json"})
response = await play.env("gateway").API.handle(request)
print(response.status, response.status_text, response.headers.get("x-handled-by"))
await response.text()

# %% [markdown]
# ## A slow reader holds the writer back
#
# Flow control means a fast writer never floods a slow reader: the window fills, and the writer
# waits for acknowledgements. Here the reader needs 20 ms per 32 KiB chunk; the trace records
# each stall. Notebook 10 explores window, bandwidth and latency with sliders.

# %%
class SlowUploader(WorkerEntrypoint):
    async def upload(self, readable):
        size = 0
        async for chunk in readable:
            size += len(chunk)
            await playground.sleep(0.02)      # a slow consumer
        return size

slow = Playground(latency="10ms", stream_window=96 * 1024)
slow.worker("uploader", SlowUploader)
slow.worker("client", Client, services={"UPLOADER": "uploader"})

with slow.record() as rec:
    size = await slow.env("client").UPLOADER.upload(
        ReadableStream.from_iterable(bytes(32 * 1024) for _ in range(12)))
stalls = [e for e in rec.stream_events if e.action == "stall"]
print(f"{size:,} bytes in {rec.elapsed * 1000:.0f} ms; the writer stalled {len(stalls)} times")

# %% [markdown]
# **In short:** streams cross RPC by moving ownership, and their bytes flow under a window, so
# memory stays bounded and slow readers slow writers down. Next: passing a stub on to a third
# worker.
