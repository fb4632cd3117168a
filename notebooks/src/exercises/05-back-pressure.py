# %% [markdown]
# # Exercise 5: add back-pressure to a stream
#
# The viewer shows 64 frames of 16 KiB from the camera, 10 ms each. As written, the camera makes
# all of them and sends them in **one message** of 1 MiB: nothing can slow it down, and all of it
# sits in the viewer's memory at once. Send the frames as a `ReadableStream` instead, and read it
# with `async for`: the stream's window then holds the camera back to the viewer's pace.

# %%
%load_ext playground
from playground import Playground, WorkerEntrypoint, ReadableStream, sleep
from playground.exercises import check_5

# %%
FRAME = 16 * 1024

class Camera(WorkerEntrypoint):
    def frames(self):
        return [bytes(FRAME) for _ in range(64)]

play = Playground(latency="10ms", stream_window=64 * 1024)
play.worker("camera", Camera)
play.worker("viewer", WorkerEntrypoint, services={"CAMERA": "camera"})
env = play.env("viewer")

async def watch():
    shown = 0
    frames = await env.CAMERA.frames()
    for frame in frames:
        await sleep(0.01)                    # showing a frame takes 10 ms
        shown += len(frame)
    return shown

print("bytes shown:", play.run(watch()))

# %%
check_5(play)
