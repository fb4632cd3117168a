// A real Cap'n Web client (npm capnweb 0.12.0 on Node.js) for tests/peers/test_capnweb_interop.py:
// it calls the worker the playground serves (play.serve) over a WebSocket and in HTTP batches,
// and prints one line, a JSON report of what it saw, which the test compares exactly.
//
// Usage: node capnweb_client.mjs <ws://...> <http://...>
// (run from a folder whose node_modules holds capnweb and ws)

import { WebSocket } from "ws";
import { newWebSocketRpcSession, newHttpBatchRpcSession } from "capnweb";

globalThis.WebSocket ??= WebSocket;  // (Node.js before 22 has none)

const [wsUrl, httpUrl] = process.argv.slice(2);
if (!wsUrl || !httpUrl) throw new Error("usage: node capnweb_client.mjs <ws url> <http url>");

// What a value is on the JavaScript side (as in capnweb_server.mjs).
function describe(v) {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return v.map(describe);
  if (v instanceof Uint8Array) return `Uint8Array(${Array.from(v).join(",")})`;
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)]));
  if (typeof v === "bigint") return `bigint(${v})`;
  if (typeof v === "number") return `number(${Object.is(v, -0) ? "-0" : String(v)})`;
  return `${typeof v}(${String(v)})`;
}

const SAMPLE = {
  null: null, yes: true, no: false, int: 42, negative: -7, maxSafe: 2 ** 53 - 1, big: 2n ** 64n + 1n,
  smallBig: 5n, float: 1.5, whole: 2.0, inf: Infinity, ninf: -Infinity, nan: NaN, str: "héllo ☃ \u{1F600}",
  bytes: new Uint8Array([0, 1, 2, 255]), date: new Date(1700000000123), list: [1, "two", [3, [undefined]]],
  dict: { a: { b: [true, {}] } },
};

async function settle(promise) {
  try {
    return { value: describe(await promise) };
  } catch (e) {
    return { error: e.name, message: e.message, range: e instanceof RangeError, type: e instanceof TypeError };
  }
}

const report = {};

// A pipelined chain on a WebSocket session of its own (the test reads that session's messages).
{
  const api = newWebSocketRpcSession(wsUrl);
  report.chain = await api.counter("chain").inc(5);
  api[Symbol.dispose]();
}

{
  const api = newWebSocketRpcSession(wsUrl);
  report.values = describe(await api.values());
  report.echo = describe(await api.echo(SAMPLE));
  report.seenByPython = await api.describe(SAMPLE);
  report.callback = await api.call_me((n) => n * 10);
  const counter = await api.counter("gone");
  await counter.inc();
  report.disposedBefore = await api.disposed();
  counter[Symbol.dispose]();
  // The release arrives before the next call, but the target's __dispose__ runs after it, in
  // the next step of the server's loop (as in workerd, asynchronously): a call that may share a
  // step with the release comes back first; the one after it cannot.
  await api.disposed();
  report.disposedAfter = await api.disposed();
  report.errors = [];
  for (const name of ["value_error", "type_error", "key_error"]) report.errors.push(await settle(api[name]()));
  report.map = await api.numbers().map((x) => api.double(x));
  api[Symbol.dispose]();
}

report.batches = 0;
function batch() {
  report.batches += 1;
  return newHttpBatchRpcSession(httpUrl);
}

{
  const api = batch();
  report.batchChain = await api.counter("batch").inc(7);
}
{
  const api = batch();
  const [values, echo] = await Promise.all([api.values(), api.echo(SAMPLE)]);
  report.batchValues = describe(values);
  report.batchEcho = describe(echo);
}
{
  const api = batch();
  report.batchErrors = await Promise.all(["value_error", "type_error", "key_error"].map((name) => settle(api[name]())));
}
{
  const api = batch();
  report.batchMap = await api.numbers().map((x) => api.double(x));
}

process.stdout.write(JSON.stringify(report) + "\n");
