// Golden messages from the real Cap'n Web (npm capnweb 0.12.0), for tests/codec/test_capnweb.py.
//
// Two capnweb RpcSessions ("client" and "server") talk over an in-memory transport that logs
// every message; each scenario below runs in turn under a label. The log is printed as JSON:
// [{"label": ..., "from": "client" | "server", "json": <the message text>}, ...].
//
// Usage: node tests/codec/capnweb_golden.mjs <directory holding node_modules/capnweb>
// (npm install --prefix <dir> capnweb@0.12.0). Deterministic: no clocks, no stacks.

import { pathToFileURL } from "node:url";
import path from "node:path";

const root = process.argv[2];
if (!root) throw new Error("usage: node capnweb_golden.mjs <dir with node_modules/capnweb>");
const { RpcSession, RpcTarget } = await import(
  pathToFileURL(path.join(root, "node_modules", "capnweb", "dist", "index.js")).href
);

const log = [];
let label = "setup";

class Queue {
  constructor(from) { this.from = from; this.items = []; this.waiters = []; this.peer = null; }
  send(text) {
    log.push({ label, from: this.from, json: text });
    const peer = this.peer;
    if (peer.waiters.length) peer.waiters.shift().resolve(text);
    else peer.items.push(text);
  }
  receive() {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  abort(reason) {}
}

class Counter extends RpcTarget {
  constructor(n) { super(); this.n = n; }
  increment(by = 1) { this.n += by; return this.n; }
  get value() { return this.n; }
}

class CustomError extends Error {}

class Api extends RpcTarget {
  add(a, b) { return a + b; }
  echo(value) { return value; }
  get name() { return "api"; }
  makeCounter(n) { return new Counter(n); }
  async useCounter(counter) { return await counter.increment(10); }
  async callMe(callback) { return await callback(21); }
  list() { return [1, 2, 3]; }
  double(x) { return x * 2; }
  range() { throw new RangeError("out of range"); }
  typeError() { throw new TypeError("not a function"); }
  withProps() {
    const e = new Error("with props");
    e.code = "E42";
    e.cause = new TypeError("the cause");
    return Promise.reject(e);
  }
  async readAll(readable) {
    const chunks = [];
    for await (const chunk of readable) chunks.push(...chunk);
    return chunks.length;
  }
  async writeTo(writable) {
    const writer = writable.getWriter();
    await writer.write(new Uint8Array([1, 2]));
    await writer.close();
    return "written";
  }
}

const a = new Queue("client"), b = new Queue("server");
a.peer = b; b.peer = a;
const client = new RpcSession(a, undefined);
new RpcSession(b, new Api());
const api = client.getRemoteMain();

async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

async function scenario(name, body) {
  label = name;
  try { await body(); } catch (err) { /* an expected rejection */ }
  await settle();
}

const values = {
  "value: null": null,
  "value: undefined": undefined,
  "value: booleans": [true, false],
  "value: numbers": [0, -1, 1.5, 2 ** 53 - 1, -(2 ** 53 - 1), 1e21, 1e-7, 0.000001, 123.456e30],
  "value: infinities and NaN": [Infinity, -Infinity, NaN],
  "value: strings": ["", "héllo", "line\nbreak \"quoted\" \u2028", "\u{1F600}"],
  "value: nested arrays": [[1, [2, [3]]], []],
  "value: object": { a: 1, b: { c: [true] }, "": "empty key" },
  "value: big bigint": [2n ** 64n + 1n, -(2n ** 70n)],
  "value: small bigint": 5n,
  "value: date": new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 123)),
  "value: date before 1970": new Date(-86400000 * 365 - 1),
  "value: bytes": new Uint8Array([0, 1, 2, 250, 255]),
  "value: empty bytes": new Uint8Array([]),
  "value: ArrayBuffer": new Uint8Array([9, 8, 7]).buffer,
  "value: error as a value": new RangeError("a value, not thrown"),
  "value: url": new URL("https://example.com/a?b=1"),
  "value: headers": new Headers([["content-type", "text/plain"], ["x-a", "1"]]),
  "value: request": new Request("https://example.com/api?q=1", { method: "DELETE", headers: { "x-a": "1" } }),
  "value: response": new Response(null, { status: 204, statusText: "No Content", headers: { "x-b": "2" } }),
};

for (const [name, value] of Object.entries(values)) {
  await scenario(name, async () => { await api.echo(value); });
}

await scenario("call: add", async () => { await api.add(1, 2); });
await scenario("property read", async () => { await api.name; });
await scenario("stub returned, pipelined call, release", async () => {
  const counter = api.makeCounter(5);
  await counter.increment(2);
  counter[Symbol.dispose]();
});
await scenario("promise as an argument (pipelining)", async () => {
  await api.add(api.add(1, 2), 3);
});
await scenario("callback: a function passed, called back", async () => {
  await api.callMe((x) => x * 2);
});
await scenario("stub passed back to its owner", async () => {
  const counter = await api.makeCounter(1);
  await api.useCounter(counter);
  counter[Symbol.dispose]();
});
await scenario("error: RangeError", async () => { await api.range(); });
await scenario("error: TypeError", async () => { await api.typeError(); });
await scenario("error: properties and cause", async () => { await api.withProps(); });
await scenario("stream: a ReadableStream sent", async () => {
  const readable = new ReadableStream({
    start(controller) { controller.enqueue(new Uint8Array([1, 2, 3])); controller.close(); },
  });
  await api.readAll(readable);
});
await scenario("stream: a WritableStream sent", async () => {
  const chunks = [];
  const writable = new WritableStream({ write(chunk) { chunks.push(chunk); } });
  await api.writeTo(writable);
});
await scenario("map", async () => {
  await api.list().map((x) => api.double(x));
});
await scenario("value: blob", async () => { await api.echo(new Blob(["hi"], { type: "text/plain" })); });
await scenario("abort: the server got a malformed message", async () => {
  const text = '["bogus"]';  // (not logged: it is not Cap'n Web's)
  if (b.waiters.length) b.waiters.shift().resolve(text);
  else b.items.push(text);
});

process.stdout.write(JSON.stringify(log, null, 1) + "\n");
