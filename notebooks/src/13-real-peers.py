# %% [markdown]
# # 13. Real peers
#
# Everything so far ran in one process, on a simulated network. The playground also speaks
# **Cap'n Web**, the JSON protocol behind Workers' JavaScript-native RPC, over real sockets:
# `await play.connect(url)` gives a stub to the main object of a real Cap'n Web server, and
# `play.serve(worker)` lets real clients call one of your playground workers.
#
# In this notebook a real server runs on this machine, and the notebook calls it: the same
# stubs, promises, pipelining, callbacks and disposal as before, with real messages drawn under
# each cell as they come and go. The server is **Node.js with npm `capnweb`** when `node` and
# `npm` are installed; otherwise a second playground serves the same API.
#
# Real peers need two optional libraries: `pip install 'workers-rpc-playground[peers]'`.
#
# In the browser (JupyterLite), Python runs in Pyodide, which can open no socket and start no
# thread: there, the cells that need a real peer are skipped, and the simulated side of the
# comparison still runs.

# %%
%load_ext playground
import atexit, json, os, shutil, subprocess, sys, tempfile
from IPython.display import HTML
from playground import Playground, WorkerEntrypoint, RpcTarget, dispose

class Counter(RpcTarget):
    def __init__(self):
        self._n = 0
    def inc(self, by=1):
        self._n += by
        return self._n

class Api(WorkerEntrypoint):
    def add(self, a, b):
        return a + b
    def counter(self):
        return Counter()
    async def twice(self, callback):
        return [await callback(1), await callback(2)]

# %% [markdown]
# ## A real Cap'n Web server
#
# The same API in JavaScript, served the way Cap'n Web's README shows for Node: WebSocket
# sessions (with the `ws` package) and HTTP batches, both at `/api`. The cell installs
# `capnweb@0.12.0` into a temporary folder, starts `node` there, and reads the port it chose.
# The server stops when this notebook's last cell runs, when the kernel exits, and when its
# input pipe closes (if the kernel dies).

# %%
SERVER_JS = r"""
import http from "node:http";
import { WebSocket, WebSocketServer } from "ws";
import { RpcTarget, newWebSocketRpcSession, nodeHttpBatchRpcResponse } from "capnweb";
globalThis.WebSocket ??= WebSocket;  // (Node 22 has one built in; Node 20 does not)

class Counter extends RpcTarget {
  #n = 0;
  inc(by = 1) { this.#n += by; return this.#n; }
}

class Api extends RpcTarget {
  add(a, b) { return a + b; }
  counter() { return new Counter(); }
  async twice(callback) { return [await callback(1), await callback(2)]; }
}

const server = http.createServer(async (request, response) => {
  if (request.url === "/api" && request.method === "POST") {
    await nodeHttpBatchRpcResponse(request, response, new Api());
  } else if (request.headers.upgrade?.toLowerCase() !== "websocket") {
    response.writeHead(404).end("Not Found");
  }
});
new WebSocketServer({ server, path: "/api" }).on("connection", (ws) => newWebSocketRpcSession(ws, new Api()));
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
process.stdin.on("end", () => process.exit(0)).resume();  // our pipe closed: the kernel is gone
"""

def start_node_server():
    """Start the Node server; its ws:// URL and a function that stops it (None: no Node)."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None, "node and npm are not installed"
    folder = tempfile.mkdtemp(prefix="capnweb-")
    with open(os.path.join(folder, "package.json"), "w") as f:
        json.dump({"private": True, "type": "module"}, f)
    with open(os.path.join(folder, "server.mjs"), "w") as f:
        f.write(SERVER_JS)
    npm = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "capnweb@0.12.0", "ws@8"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )
    if npm.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return None, "npm install failed: " + (npm.stderr.strip().splitlines() or ["?"])[-1]
    node = subprocess.Popen(["node", "server.mjs"], cwd=folder, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def stop():
        if node.poll() is None:
            node.stdin.close()   # the server exits when its input ends
            try:
                node.wait(5)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    port = node.stdout.readline().strip()
    if not port.isdigit():
        stop()
        return None, "node did not start"
    return (f"ws://127.0.0.1:{port}/api", stop), None

started, why_not = (None, None) if sys.platform == "emscripten" else start_node_server()
if sys.platform == "emscripten":  # JupyterLite: no socket, no thread, no process in Pyodide
    url = None

    def stop_server():
        pass

    print("In the browser (Pyodide) there are no sockets and no threads: no real peer here. "
          "The cells that need one are skipped; run this notebook in Jupyter to meet it.")
elif started is not None:
    url, stop_server = started
    print(f"The real peer: Node.js {subprocess.check_output(['node', '--version'], text=True).strip()} "
          f"with npm capnweb 0.12.0, at {url}")
else:  # the fallback: another playground serves Api to real clients, over the same sockets
    server_play = Playground()
    server_play.worker("api", Api)
    server = server_play.serve("api", port=0, quiet=True)
    url = server.url

    def stop_server():
        server_play.close()   # (closes its server too)

    print(f"The real peer: a second playground serving Api, at {url} ({why_not})")

# %% [markdown]
# ## Call it
#
# `play.connect` opens a WebSocket session and gives a stub to the server's main object. The
# server is a lane of the diagram, named `server` here (by default, its `host:port`). Times in
# the diagram are **real**: while the playground waits for a real peer, its clock follows the
# wall clock. The `1 leak` is `api` itself: the session lasts while we hold it.

# %%
play = Playground()
if url:  # (None in the browser: no real peer)
    api = await play.connect(url, name="server")
await api.add(2, 3) if url else None

# %% [markdown]
# ## Pipelining, for real
#
# Awaiting the counter before calling it costs two real round trips:

# %%
if url:
    with await api.counter() as counter:
        print(await counter.inc(5))

# %% [markdown]
# Calling `inc` on the promise sends both calls at once, and the real server resolves the second
# against the first: one round trip.

# %%
if url:
    with api.counter() as counter:
        print(await counter.inc(5))

# %% [markdown]
# ## Simulated 50 ms link, real localhost
#
# The same calls against a simulated server with a one-way latency of 25 ms, running the same
# Python class, and against the real one. The round trips are the same; only the time differs:
# 50 ms each on the simulated link, a fraction of a millisecond each on this machine.

# %%
class Client(WorkerEntrypoint):
    pass

sim = Playground(latency="25ms")
sim.worker("server", Api)
sim.worker("client", Client, services={"API": "server"})
simulated_api = sim.env("client").API

async def same_calls(api):
    await api.add(2, 3)                   # 1 round trip
    with await api.counter() as counter:  # 1 round trip ...
        await counter.inc(5)              # ... and 1 more
    with api.counter() as counter:        # pipelined: 1 round trip
        await counter.inc(5)

runs = {}
for label, where, stub in [("simulated 50 ms link", sim, simulated_api)] + ([("real localhost", play, api)] if url else []):
    with where.record() as runs[label]:
        await same_calls(stub)
    print(f"{label:21} {runs[label].round_trips} round trips  {runs[label].elapsed * 1000:7.2f} ms")

# %% [markdown]
# Side by side (each diagram keeps its own time scale):

# %%
HTML("<table><tr>" + "".join(f"<th>{label}</th>" for label in runs) + "</tr><tr>"
     + "".join(f'<td style="vertical-align:top">{rec.to_html()}</td>' for rec in runs.values())
     + "</tr></table>")

# %% [markdown]
# ## A callback
#
# A function passed to the real server travels as a stub; the server calls it back over the same
# socket, and each call back is a real round trip in the other direction.

# %%
def times_ten(n):
    print("called back with", n)
    return n * 10

await api.twice(times_ten) if url else None

# %% [markdown]
# ## One HTTP batch
#
# An `http://` URL opens an **HTTP batch**: the calls made before the code awaits leave in one
# POST, and the reply brings the results. A pipelined chain fits in one request; after it, the
# session is over.

# %%
if url:
    batch = await play.connect("http" + url[2:], name="server (batch)")
    with batch.counter() as counter:
        print(await counter.inc(7))

# %% [markdown]
# ## Dispose
#
# Disposing the stub to the server's main object ends the WebSocket session. The batch's stub is over already; disposing it lets it go. Nothing is left
# held, and a disposed stub refuses further use.

# %%
if url:
    dispose(api)
    dispose(batch)
    print("leaks:", play.leaks())
    try:
        await api.add(1, 1)
    except Exception as error:
        print(f"{type(error).__name__}: {error}")

# %% [markdown]
# Stop everything: the playgrounds close their sockets, and the server process stops.

# %%
play.close()
sim.close()
stop_server()
print("stopped")

# %% [markdown]
# ## Your own Worker
#
# A deployed Worker exposes Cap'n Web with one line, `newWorkersRpcResponse` from npm `capnweb`:
#
# ```js
# import { RpcTarget, newWorkersRpcResponse } from "capnweb";
# class MyApi extends RpcTarget { add(a, b) { return a + b; } }
# export default { fetch: (request) => newWorkersRpcResponse(request, new MyApi()) };
# ```
#
# and the notebook needs two lines to call it:
#
# ```python
# stub = await play.connect("wss://<your-worker>.workers.dev/api")
# await stub.add(2, 3)
# ```
