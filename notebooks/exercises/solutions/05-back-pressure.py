# Solution to exercise 05-back-pressure (notebooks/exercises/05-back-pressure.ipynb): its exercise cell, fixed.
# Return a ReadableStream of a generator, read it with `async for`: the window holds the camera back.

FRAME = 16 * 1024

class Camera(WorkerEntrypoint):
    def frames(self):
        return ReadableStream.from_iterable(bytes(FRAME) for _ in range(64))   # made as they are read

play = Playground(latency="10ms", stream_window=64 * 1024)
play.worker("camera", Camera)
play.worker("viewer", WorkerEntrypoint, services={"CAMERA": "camera"})
env = play.env("viewer")

async def watch():
    shown = 0
    frames = await env.CAMERA.frames()
    async for frame in frames:               # each frame read lets the camera send one more
        await sleep(0.01)                    # showing a frame takes 10 ms
        shown += len(frame)
    return shown

print("bytes shown:", play.run(watch()))
