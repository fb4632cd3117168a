// Cap'n Web (npm capnweb) over a loopback WebSocket on Node.js, for benchmarks/peers.py.
//
//   node peers_node.mjs serve            a server (main object: add(a, b)) on 127.0.0.1, a free
//                                        port; prints {"port": N}; stops when stdin closes
//   node peers_node.mjs bench URL N RUNS a client: RUNS runs of N awaited api.add(i, 1) calls;
//                                        prints {"runs_us": [µs per call of each run]}
//
// Run from a folder whose node_modules holds capnweb and ws.

import http from "node:http";
import { WebSocket, WebSocketServer } from "ws";
import { RpcTarget, newWebSocketRpcSession } from "capnweb";

globalThis.WebSocket ??= WebSocket;  // (Node.js before 22 has none)

class Api extends RpcTarget {
  add(a, b) { return a + b; }
}

const [mode, url, n, runs] = process.argv.slice(2);
if (mode === "serve") {
  const server = http.createServer((request, response) => { response.writeHead(404); response.end(); });
  new WebSocketServer({ server }).on("connection", (ws) => newWebSocketRpcSession(ws, new Api()));
  server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n"));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
} else if (mode === "bench") {
  const api = newWebSocketRpcSession(url);
  const calls = Number(n), times = [];
  await api.add(0, 0);  // (the socket is open)
  for (let run = 0; run < Number(runs); run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await api.add(i, 1);
    times.push(Number(process.hrtime.bigint() - start) / 1000 / calls);
  }
  api[Symbol.dispose]();
  process.stdout.write(JSON.stringify({ runs_us: times }) + "\n");
  process.exit(0);
} else {
  throw new Error("usage: node peers_node.mjs serve | bench <ws url> <calls> <runs>");
}
