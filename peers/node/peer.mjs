// The Node peer (docs/PEERS.md): each task is one promise on the one event
// loop, waits are node:timers/promises, fetch is node:http's client and serve
// its server. simul meters this process from outside, so nothing between
// "ready" and "send" prints or grows a list.
import http from 'node:http';
import { readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

// A bad environment or an unexpected line from simul: one line, exit 2.
// writeSync, because process.exit drops what a pipe has not yet taken.
function fatal(message) {
  writeSync(2, `peer-node: ${message}\n`);
  process.exit(2);
}

function mix64(x) {
  x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
  x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n);
  x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d049bb133111ebn);
  return x ^ (x >> 31n);
}

// FNV-1a 64 masked to 52 bits, in two 32-bit halves (a BigInt per byte would
// make a 64 KiB body cost milliseconds). The prime is 2^40 + 0x1b3, so
// h * prime = h * 0x1b3 + (h << 40); every sum below stays under 2^53, exact.
function fnv52(bytes) {
  let lo = 0x84222325, hi = 0xcbf29ce4;
  for (let k = 0; k < bytes.length; k++) {
    lo = (lo ^ bytes[k]) >>> 0;
    const t = lo * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + (lo << 8) + Math.floor(t / 0x100000000)) >>> 0;
    lo = t >>> 0;
  }
  return (hi & 0xfffff) * 0x100000000 + lo;  // below 2^52: an exact Number
}

// Node's timers count whole milliseconds on libuv's loop clock, truncated, so
// a timer fires up to 1 ms before its delay has passed on the monotonic clock
// (100 ms waits were seen to end after 99.3). A wait here tops itself up with
// another timer until it is over, as sleep_for and Go's time.Sleep guarantee.
async function waitUntil(deadline) {
  for (let left; (left = deadline - process.hrtime.bigint()) > 0n; ) await sleep(Number(left) / 1e6);
}

const env = process.env;
if (env.SIMUL_PEER !== '1') fatal(`SIMUL_PEER is ${JSON.stringify(env.SIMUL_PEER)}; this peer speaks version 1`);
const n = Number(env.SIMUL_TASKS);
if (!/^\d+$/.test(env.SIMUL_TASKS ?? '')) fatal(`SIMUL_TASKS is ${JSON.stringify(env.SIMUL_TASKS)}, not a task count`);
const params = new Map((env.SIMUL_PARAMS ?? '').split(' ').filter(Boolean).map((kv) => kv.split('=')));
function param(name) {
  const v = params.get(name);
  if (!/^\d+$/.test(v ?? '')) fatal(`SIMUL_PARAMS: ${name} is ${JSON.stringify(v)}, not a count`);
  return Number(v);
}

// Byte k of the body of (bytes, seed) is 'a' + w(k) mod 26, w(k) the mix of
// (seed, k's word) shifted to k's byte (docs/PEERS.md). Each 8-byte word is
// mixed once, with BigInt, and split into two exact 32-bit halves; a byte's
// shifted word mod 26 is then Number arithmetic below 2^53:
// (hi * 2^(32 - s) + (lo >>> s)) mod 26 for a shift s below 32, with 2^(32 - s)
// taken mod 26 first, and (hi >>> (s - 32)) mod 26 from 32 on.
const high26 = [0, 8, 16, 24].map((s) => 2 ** (32 - s) % 26);
function body(bytes, seed) {
  const out = Buffer.allocUnsafe(bytes);
  const base = BigInt.asUintN(64, seed * 0x100000001b3n);
  for (let k = 0; k < bytes; k += 8) {
    const word = mix64(BigInt.asUintN(64, base + BigInt(k)));
    const lo = Number(word & 0xffffffffn), hi = Number(word >> 32n);
    for (let j = 0; j < 8 && k + j < bytes; j++)
      out[k + j] = 97 + (j < 4 ? (hi * high26[j] + (lo >>> (8 * j))) % 26 : (hi >>> (8 * j - 32)) % 26);
  }
  return out;
}

async function sleepTask(i) {
  const begun = process.hrtime.bigint();
  await waitUntil(begun + waitNs);
  if (process.hrtime.bigint() - begun < waitNs) throw new Error('woke before the wait was over');
  return mix64(BigInt(i));
}

async function chessTask(board) {
  let position = mix64(BigInt(board));
  for (let m = 0; m < moves; m++) {
    // The master thinks for think_us on the clock, not a number of steps:
    // every runtime spends the same time (docs/PEERS.md). It holds the loop.
    const began = process.hrtime.bigint();
    while (process.hrtime.bigint() - began < thinkNs);
    position = mix64(position);
    await waitUntil(process.hrtime.bigint() + replyNs);  // the opponent's reply
  }
  return position;
}

// node:http, as a Node programmer would GET a page: the runtime's own HTTP
// client is what this peer is here to measure, not a hand-rolled one on
// node:net. agent: false gives the request a connection of its own and sends
// "Connection: close". noDelay (TCP_NODELAY) is node:http's default since
// Node 18; it is spelled out because the protocol asks for it.
function fetchTask(i) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: `${path}${i}`, agent: false, noDelay: true }, (res) => {
      const chunks = [];
      let length = 0;
      res.on('data', (chunk) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
        else if (length !== bytes) reject(new Error(`a body of ${length} bytes, not ${bytes}`));
        else resolve(BigInt(fnv52(Buffer.concat(chunks, length))));
      });
    });
    req.on('error', reject);
    const timer = setTimeout(() => req.destroy(new Error(`no full response within ${limitMs} ms`)), limitMs);
    req.on('close', () => clearTimeout(timer));  // after the response's end, or an error
  });
}

// serve: node:http's server, as a Node programmer would write one, on the one
// loop. Task i is the i-th connection accepted (the server's 'connection'
// event, in accept order); it ends on the socket's 'close'. Its checksum is
// the sum of the FNV-1a-52 digests of the bodies it sent, mod 2^52.
const kTask = Symbol('task');  // a socket's task number
const sumMask = (1n << 52n) - 1n;
const maxDelayMs = 600000, maxBytes = 64 << 20;  // as simul's own servers (bench/net/http.hpp)

// GET /delay?ms=D&bytes=B[&seed=S]: { ms, bytes, seed }, or a string that
// says what is wrong with the request.
function delayAsked(req) {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  if (req.method !== 'GET' || path !== '/delay') return `only GET /delay is served, not ${req.method} ${path}`;
  const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  const [ms, bytes, seed] = ['ms', 'bytes', 'seed'].map((k) => query.get(k));
  if (!/^\d{1,20}$/.test(ms ?? '') || Number(ms) > maxDelayMs) return `bad ms ${JSON.stringify(ms)}`;
  if (!/^\d{1,20}$/.test(bytes ?? '') || Number(bytes) > maxBytes) return `bad bytes ${JSON.stringify(bytes)}`;
  if (seed !== null && (!/^\d{1,20}$/.test(seed) || BigInt(seed) >= 1n << 64n))
    return `bad seed ${JSON.stringify(seed)}`;
  return { ms: Number(ms), bytes: Number(bytes), seed: BigInt(seed ?? 0) };
}

async function handle(req, res) {
  const d = delayAsked(req);
  if (typeof d === 'string') {  // a 400, and a close (a request node:http cannot parse gets its own)
    res.writeHead(400, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end(`${d}\nexpected: GET /delay?ms=D&bytes=B[&seed=S]\n`);
    return;
  }
  if (d.ms > 0) await waitUntil(process.hrtime.bigint() + BigInt(d.ms) * 1000000n);  // the backend's work
  if (res.destroyed) return;  // the client is gone: nothing is sent, nothing is summed
  const b = body(d.bytes, d.seed);
  const i = req.socket[kTask];
  if (i < n) sums[i] = (sums[i] + BigInt(fnv52(b))) & sumMask;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': d.bytes });
  res.end(b);
}

function serve(t0) {
  let accepted = 0, closed = 0;
  return new Promise((resolve) => {
    if (n === 0) resolve();
    server.on('connection', (socket) => {
      const i = accepted++;
      socket[kTask] = i;
      if (i >= n) return;  // a reconnection past the N tasks: served, not recorded
      start[i] = process.hrtime.bigint() - t0;
      socket.on('close', () => {
        end[i] = process.hrtime.bigint() - t0;
        if (++closed === n) resolve();
      });
    });
  });
}

let work, waitNs, moves, thinkNs, replyNs, host, port, bytes, path, limitMs, server;
switch (env.SIMUL_WORKLOAD) {
  case 'sleep':
    waitNs = BigInt(param('wait_ms')) * 1000000n;
    work = sleepTask;
    break;
  case 'chess':
    [moves, thinkNs, replyNs] = [param('moves'), BigInt(param('think_us')) * 1000n, BigInt(param('reply_us')) * 1000n];
    work = chessTask;
    break;
  case 'fetch':
    [host, port, bytes] = [env.SIMUL_DELAY_HOST, env.SIMUL_DELAY_PORT, param('bytes')];
    if (!host || !port) fatal('fetch needs SIMUL_DELAY_HOST and SIMUL_DELAY_PORT');
    path = `/delay?ms=${param('delay_ms')}&bytes=${bytes}&seed=`;
    limitMs = param('delay_ms') + 10000;
    work = fetchTask;
    break;
  case 'serve':
    if (!/^\d+$/.test(env.SIMUL_LISTEN_FD ?? ''))
      fatal(`serve needs SIMUL_LISTEN_FD, not ${JSON.stringify(env.SIMUL_LISTEN_FD)}`);
    // The load generator keeps each connection open between its requests,
    // for conns / rate seconds (250 ms at 200 req/s over 50, 5 s at 200 over
    // 1,000): node:http's default keepAliveTimeout (5 s, plus a 1 s margin)
    // would close the idle ones at the larger sizes, and the client would
    // count errors and reconnect. 30 s is simul's own servers' idle timeout
    // (bench/net/http.hpp), longer than any case's pause. headersTimeout
    // (60 s) and requestTimeout (300 s) are left as they are: they bound the
    // receipt of a request that has begun (here a few hundred bytes, at once),
    // not an idle connection nor the wait before the answer. noDelay
    // (TCP_NODELAY on each accepted socket) is node:http's default since
    // Node 18; it is spelled out because the protocol asks for it.
    server = http.createServer({ keepAliveTimeout: 30000, noDelay: true }, handle);
    server.on('error', (e) => fatal(`serving: ${e.message}`));
    server.listen({ fd: Number(env.SIMUL_LISTEN_FD) });
    break;
  case 'file_read':
    // The checksum sees every bit through 64-bit multiplies (support/file_hash.hpp,
    // docs/PEERS.md). Measured once here: BigInt over a BigUint64Array, which V8
    // compiles to 64-bit arithmetic, hashes about 1.3 GB/s (twice what 32-bit
    // halves with Math.imul give); a read from the page cache gives about 5 GB/s.
    writeSync(1, 'skip file_read: the checksum of every byte runs at about 1.3 GB/s in Node (BigInt), a quarter '
      + 'of a read from the page cache (about 5 GB/s): the case would measure V8\'s arithmetic more than its IO\n');
    process.exit(0);
  default:
    writeSync(1, `skip the Node peer has no workload ${JSON.stringify(env.SIMUL_WORKLOAD)}\n`);  // as fatal's
    process.exit(0);
}

// Start-up: the due times, the dispatch order and the records, before ready.
let due = null;
if (env.SIMUL_DUE_FILE) {
  let lines;
  try {
    lines = readFileSync(env.SIMUL_DUE_FILE, 'utf8').split('\n').filter(Boolean);
  } catch (e) {
    fatal(`SIMUL_DUE_FILE: ${e.message}`);
  }
  if (lines.length !== n) fatal(`SIMUL_DUE_FILE has ${lines.length} lines, not SIMUL_TASKS=${n}`);
  due = new BigInt64Array(n);
  lines.forEach((l, i) => {
    if (!/^\d+$/.test(l)) fatal(`SIMUL_DUE_FILE line ${i + 1}: ${JSON.stringify(l)} is not a time in ns`);
    due[i] = BigInt(l);
  });
}
const order = Array.from({ length: n }, (_, i) => i);
if (due) order.sort((a, b) => (due[a] < due[b] ? -1 : due[a] > due[b] ? 1 : a - b));
const start = new BigInt64Array(n).fill(-1n), end = new BigInt64Array(n).fill(-1n);
const sums = new BigUint64Array(n), errors = new Array(n).fill(null), tasks = new Array(n).fill(null);

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function expect(want) {
  const { value } = await lines.next();
  if (value !== want) fatal(`expected ${JSON.stringify(want)} on stdin, got ${JSON.stringify(value)}`);
}

async function run(i, t0) {
  start[i] = process.hrtime.bigint() - t0;
  try {
    sums[i] = await work(i);
  } catch (e) {
    errors[i] = String(e?.message ?? e).replace(/\s+/g, ' ');  // one line
  }
  end[i] = process.hrtime.bigint() - t0;
}

process.stdout.write('ready\n');  // writes to a pipe are queued in order; simul reads them as they come
await expect('go');
const t0 = process.hrtime.bigint();
if (server) {
  await serve(t0);  // connections arrive when the load generator opens them: the accepts are the dispatcher
} else {
  for (const i of order) {
    if (due) await waitUntil(t0 + due[i]);  // a rate case: this loop is the dispatcher
    tasks[i] = run(i, t0);
  }
  await Promise.all(tasks);
}
process.stdout.write('done\n');

await expect('send');
for (let i = 0; i < n; i += 4096) {  // in blocks: one write per record would queue a million writes
  let block = '';
  for (let j = i; j < Math.min(n, i + 4096); j++)
    block += `${j} ${start[j]} ${end[j]} ${errors[j] === null ? `ok ${sums[j]}` : `fail ${errors[j]}`}\n`;
  process.stdout.write(block);
}
process.stdout.write('end\n');
server?.close();  // serve: the listening socket would hold the loop open
server?.closeAllConnections();  // and so would a reconnection past the N tasks
process.stdin.destroy();  // let the loop empty: Node exits 0 once stdout's queue is written
