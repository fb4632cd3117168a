# %% [markdown]
# # 8. The size limit
#
# One call's arguments, all together, or one result may be at most **32 MiB** once serialized.
# Past that, the call fails. Streams do not count: their bytes flow in chunks under flow control,
# so that is the way to move more.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, ReadableStream, Response, RpcError

MiB = 1024 * 1024

class MyService(WorkerEntrypoint):
    async def too_big(self):
        return bytes(33 * MiB)                                # 33 MiB, as one value

    async def foo(self):
        size_in_bytes = 33 * MiB                              # the documentation's example
        arr = bytes(size_in_bytes)
        return ReadableStream.from_iterable([arr])

    async def store(self, *blobs):
        return sum(len(b) for b in blobs)

class Client(WorkerEntrypoint):
    pass

play = Playground(latency="25ms", bandwidth="1GB/s")
play.worker("my-service", MyService)
play.worker("client", Client, services={"MY_SERVICE": "my-service"})
service = play.env("client").MY_SERVICE

# %% [markdown]
# ## A result over the limit
#
# The callee serializes its result, finds it too big, and sends back the error instead: it
# arrives here with `remote = True`.

# %%
try:
    await service.too_big()
except RpcError as error:
    print(f"RpcError: {error} (remote={getattr(error, 'remote', False)})")

# %% [markdown]
# ## Arguments over the limit
#
# The limit applies to all the arguments of one call together. Two 17 MiB blobs are fine one at
# a time, but not in the same call. This error is raised here, before anything is sent: the
# diagram shows only the first call.

# %%
blob = bytes(17 * MiB)
print("one blob:", await service.store(blob))
try:
    await service.store(blob, blob)
except RpcError as error:
    print("two blobs: RpcError:", error)

# %% [markdown]
# ## Streams are the way past it
#
# The documentation's own example: 33 MiB returned inside a `ReadableStream` passes. (It still
# builds the 33 MiB in memory first; streaming from the data's real source, chunk by chunk, is
# better.)

# %%
stream = await service.foo()
print(f"{len(await stream.read_all()):,} bytes")
await play.idle()             # let the stream's closing messages arrive before the next cell

# %% [markdown]
# Better still, produce the data in chunks: the writer never holds more than a window of bytes
# in flight, and the diagram shows the bytes in flight against the window under the arrows.

# %%
class Exporter(WorkerEntrypoint):
    def export(self, megabytes):
        return ReadableStream.from_iterable(bytes(4 * MiB) for _ in range(megabytes // 4))

play.worker("exporter", Exporter)
play.worker("analyst", Client, services={"EXPORTER": "exporter"})

total = 0
async for chunk in await play.env("analyst").EXPORTER.export(40):
    total += len(chunk)
print(f"{total:,} bytes in 4 MiB chunks")

# %% [markdown]
# ## HTTP bodies stream too
#
# A `Response` whose body is bigger than 32 MiB crosses RPC without trouble: its body is a
# stream.

# %%
class Files(WorkerEntrypoint):
    def download(self, megabytes):
        return Response(ReadableStream.from_iterable(bytes(MiB) for _ in range(megabytes)),
                        headers={"Content-Type": "application/octet-stream"})

play.worker("files", Files)
play.worker("browser", Client, services={"FILES": "files"})

response = await play.env("browser").FILES.download(36)
print(response.headers.get("content-type"), f"{len(await response.bytes()):,} bytes")

# %% [markdown]
# **In short:** 32 MiB per call's arguments or per result; streams, and `Request`/`Response`
# bodies, are not counted, because they flow in chunks under flow control.
