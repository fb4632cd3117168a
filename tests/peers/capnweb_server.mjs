// A real Cap'n Web server (npm capnweb 0.12.0 on Node.js, with npm ws) for
// tests/peers/test_capnweb_interop.py: the playground connects to it as a client.
//
// Usage: node capnweb_server.mjs   (run from a folder whose node_modules holds capnweb and ws)
// It listens on 127.0.0.1, a free port, and prints one line: {"port": N}. It stops when its
// standard input closes (the test closes it), so it never outlives the test.
//
// /api        WebSocket sessions and HTTP batches to Api (below).
// /garbage    misbehaves: answers a WebSocket session's first message, or a batch, with text
//             that is not a Cap'n Web message (?what=json: not JSON; ?what=deep: JSON nested
//             10,000 deep; ?what=kind: a message of an unknown kind).

import http from "node:http";
import { WebSocket, WebSocketServer } from "ws";
import { RpcTarget, newWebSocketRpcSession, nodeHttpBatchRpcResponse } from "capnweb";

globalThis.WebSocket ??= WebSocket;  // (Node.js before 22 has none; capnweb reads its constants)

const stats = { frames: 0, batches: 0, sockets: 0, disposed: [] };

function garbage(what) {
  if (what === "deep") return "[".repeat(10000) + "]".repeat(10000);
  if (what === "kind") return JSON.stringify(["explode", 1]);
  return "{not json";
}

// What a value is on the JavaScript side: its type, recursively through arrays and objects.
function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.map(describe);
  if (v instanceof Uint8Array) return `Uint8Array(${Array.from(v).join(",")})`;
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)]));
  if (typeof v === "bigint") return `bigint(${v})`;
  if (typeof v === "number") return `number(${Object.is(v, -0) ? "-0" : String(v)})`;
  return `${typeof v}(${String(v)})`;
}

class Counter extends RpcTarget {
  constructor(name) { super(); this.name = name; this.n = 0; }
  inc(by = 1) { this.n += by; return this.n; }
  [Symbol.dispose]() { stats.disposed.push(this.name); }
}

class Api extends RpcTarget {
  constructor(socket) { super(); this.socket = socket; this.received = []; }
  add(a, b) { return a + b; }
  echo(value) { return value; }
  describe(value) { return describe(value); }
  values() {
    return {
      null: null, yes: true, no: false, int: 42, negative: -7, maxSafe: 2 ** 53 - 1,
      big: 2n ** 64n + 1n, negativeBig: -(2n ** 60n), float: 1.5, inf: Infinity, ninf: -Infinity,
      nan: NaN, str: "héllo ☃ \u{1F600}", empty: "", bytes: new Uint8Array([0, 1, 2, 255]),
      date: new Date(1700000000123), list: [1, "two", [3, [null]]], dict: { a: { b: [true, {}] } },
    };
  }
  counter(name) { return new Counter(name); }
  frames() { return [...this.received]; }  // the kind of each frame this session received so far
  stats() { return { frames: stats.frames, batches: stats.batches, sockets: stats.sockets, disposed: [...stats.disposed] }; }
  async callMe(callback) { return [await callback(1), await callback(2)]; }
  list() { return [1, 2, 3]; }
  double(x) { return x * 2; }
  range() { throw new RangeError("out of range"); }
  typeError() { throw new TypeError("not a function"); }
  custom() { const e = new Error("custom failure"); e.name = "CustomError"; throw e; }
  hang() { return new Promise(() => {}); }
  drop() {  // ends this WebSocket session from the server's side; the call itself never answers
    if (!this.socket) throw new Error("drop() needs a WebSocket session");
    this.socket.close(1011, "dropped by the server");
    return new Promise(() => {});
  }
}

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url, "http://localhost");
  if (request.headers.upgrade?.toLowerCase() === "websocket") return;
  if (url.pathname === "/api") {
    stats.batches += 1;
    try {
      await nodeHttpBatchRpcResponse(request, response, new Api(null));
    } catch (err) {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(err?.stack || err));
    }
    return;
  }
  if (url.pathname === "/garbage" && request.method === "POST") {
    for await (const _ of request) {}
    response.writeHead(200, { "content-type": "text/plain" });
    response.end(garbage(url.searchParams.get("what")));
    return;
  }
  response.writeHead(404, { "content-type": "text/plain" });
  response.end("Not Found");
});

const sockets = new WebSocketServer({ server });
sockets.on("connection", (ws, request) => {
  const url = new URL(request.url, "http://localhost");
  if (url.pathname === "/garbage") {
    ws.once("message", () => ws.send(garbage(url.searchParams.get("what"))));
    return;
  }
  stats.sockets += 1;
  const api = new Api(ws);
  ws.on("message", (data) => {
    stats.frames += 1;
    try { api.received.push(String(JSON.parse(String(data))[0])); } catch { api.received.push("?"); }
  });
  newWebSocketRpcSession(ws, api);
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
