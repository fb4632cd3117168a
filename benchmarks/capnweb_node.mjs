// Cap'n Web (npm `capnweb`) call overhead on Node.js, in memory, for side-by-side comparison
// with benchmarks/call_overhead.py. Driven by benchmarks/capnweb.py, which installs capnweb in a
// temporary folder, copies this file there and runs: node --expose-gc capnweb_node.mjs [N]
//
// Prints ONE line of JSON: best and median microseconds per operation (best-of-7 runs of N) for
// the floor (a hop to another async "task" and back), an awaited call on the main stub, an
// awaited call on a stub returned earlier, and a pipelined chain of 10 calls with one await.
// Main figures use a pair of in-memory RpcTransports (JSON strings, no sockets); the same
// figures over a MessageChannel (structured clone) are reported under "message_channel".
import { readFileSync } from "node:fs";
import { MessageChannel } from "node:worker_threads";
import { RpcSession, RpcTarget, newMessagePortRpcSession } from "capnweb";

const N = Number(process.argv[2] ?? 3000);
const REPEATS = 7;

class Link extends RpcTarget {
  constructor(depth = 0) { super(); this._depth = depth; }
  inc(n) { return n + 1; }
  next() { return new Link(this._depth + 1); }
  get depth() { return this._depth; }
}

class Service extends RpcTarget {
  add(a, b) { return a + b; }
  chain() { return new Link(); }
}

// A FIFO whose pop() waits for the next push; push after close() is dropped, waiters reject.
class Queue {
  #items = []; #waiters = []; #error = null;
  push(item) {
    if (this.#error) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item); else this.#items.push(item);
  }
  pop() {
    if (this.#items.length) return Promise.resolve(this.#items.shift());
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
  close(error) {
    if (this.#error) return;
    this.#error = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}

// Two connected RpcTransport objects (string encoding): what one sends, the other receives.
function transportPair() {
  const [toA, toB] = [new Queue(), new Queue()];
  const end = (inbox, outbox) => ({
    send: (message) => outbox.push(message),
    receive: () => inbox.pop(),
    abort: (reason) => { outbox.close(new Error("peer aborted")); inbox.close(reason); },
  });
  return [end(toA, toB), end(toB, toA)];
}

function connectPair() {
  const [clientEnd, serverEnd] = transportPair();
  const server = new RpcSession(serverEnd, new Service());
  const client = new RpcSession(clientEnd);
  return { stub: client.getRemoteMain(), client, server };
}

function connectMessageChannel() {
  const { port1, port2 } = new MessageChannel();
  newMessagePortRpcSession(port1, new Service());
  return { stub: newMessagePortRpcSession(port2), close: () => { port1.close(); port2.close(); } };
}

// gc() only once, before the warm-up: a full GC deoptimizes capnweb's hot functions ("weak
// objects"), so a gc() before every run would time TurboFan recompiling them, not capnweb.
async function measure(run, n) {
  globalThis.gc?.();
  await run(n); // warm up
  const samples = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = process.hrtime.bigint();
    await run(n);
    samples.push(Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
  samples.sort((a, b) => a - b);
  return [samples[0], samples[REPEATS >> 1]].map((us) => Math.round(us * 100) / 100);
}

async function floor(n) {
  const queue = new Queue();
  (async () => { for (;;) { const [value, reply] = await queue.pop(); reply(value + 1); } })()
    .catch(() => {});
  for (let i = 0; i < n; i++) await new Promise((reply) => queue.push([i, reply]));
  queue.close(new Error("done"));
}

async function benchStub(stub) {
  const mainCall = async (n) => { for (let i = 0; i < n; i++) await stub.add(i, 1); };
  const stubCall = async (n) => {
    const link = await stub.chain();
    try { for (let i = 0; i < n; i++) await link.inc(i); } finally { link[Symbol.dispose](); }
  };
  const chains = async (count) => {
    for (let c = 0; c < count; c++) {
      const promises = [stub.chain()];
      for (let k = 0; k < 10; k++) promises.push(promises[k].next());
      await promises[10].depth; // a property of an RpcPromise has no disposer of its own
      for (const p of promises) p[Symbol.dispose]();
    }
  };
  return {
    main_stub_call_us: await measure(mainCall, N),
    stub_call_us: await measure(stubCall, N),
    chain_of_10_us: await measure(chains, Math.max(1, Math.floor(N / 10))),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const result = {
  capnweb: JSON.parse(readFileSync(new URL("node_modules/capnweb/package.json", import.meta.url))).version,
  node: process.version, n: N, transport: "in-memory pair", floor_us: await measure(floor, N),
};
const pair = connectPair();
const statsBefore = { client: pair.client.getStats(), server: pair.server.getStats() };
Object.assign(result, await benchStub(pair.stub));
await settle();
result.stats_before_after = [statsBefore, { client: pair.client.getStats(), server: pair.server.getStats() }];
pair.stub[Symbol.dispose]();
try {
  const channel = connectMessageChannel();
  result.message_channel = await benchStub(channel.stub);
  channel.stub[Symbol.dispose]();
  channel.close();
} catch (error) {
  result.message_channel = String(error);
}
console.log(JSON.stringify(result));
