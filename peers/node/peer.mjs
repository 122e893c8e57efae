// The Node peer (docs/PEERS.md): each task is one promise on the one event
// loop, waits are node:timers/promises, fetch is node:http. simul meters this
// process from outside, so nothing between "ready" and "send" prints or
// grows a list.
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

let work, waitNs, moves, thinkNs, replyNs, host, port, bytes, path, limitMs;
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
for (const i of order) {
  if (due) await waitUntil(t0 + due[i]);  // a rate case: this loop is the dispatcher
  tasks[i] = run(i, t0);
}
await Promise.all(tasks);
process.stdout.write('done\n');

await expect('send');
for (let i = 0; i < n; i += 4096) {  // in blocks: one write per record would queue a million writes
  let block = '';
  for (let j = i; j < Math.min(n, i + 4096); j++)
    block += `${j} ${start[j]} ${end[j]} ${errors[j] === null ? `ok ${sums[j]}` : `fail ${errors[j]}`}\n`;
  process.stdout.write(block);
}
process.stdout.write('end\n');
process.stdin.destroy();  // let the loop empty: Node exits 0 once stdout's queue is written
