#!/usr/bin/python3
"""simul's Python peer (docs/PEERS.md): runs a case's tasks in one of four
ways, the flavour given as the one argument:

  asyncio     one asyncio task per simul task, on asyncio's own event loop
  uvloop      the same code on uvloop's loop
  threads     one threading.Thread per task, blocking calls
  sequential  one task after another on the main thread, blocking calls
"""

import asyncio
import os
import socket
import sys
import threading
import time
from array import array
from pathlib import Path

FLAVOURS = ("asyncio", "uvloop", "threads", "sequential")
MASK64 = (1 << 64) - 1


def die(message):
    print(f"peer.py: {message}", file=sys.stderr)
    sys.exit(2)


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def fnv1a52(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & MASK64
    return h & ((1 << 52) - 1)


# Every wait loops on the runtime's own sleep until the monotonic clock says
# the time has come. uvloop counts a timer from libuv's loop time, taken when
# the loop's iteration began and cut to whole milliseconds, so one sleep there
# can end a millisecond or more early (seen: 651 of 10,000 tasks at once);
# the C++ models' timers never do. time.sleep and asyncio's loop never wake
# early, so for them the loop runs once.
def sleep_until(deadline_ns):
    while (left := deadline_ns - time.monotonic_ns()) > 0:
        time.sleep(left / 1e9)


async def asleep_until(deadline_ns):
    while (left := deadline_ns - time.monotonic_ns()) > 0:
        await asyncio.sleep(left / 1e9)


# ---- the workloads: each gives a task's body twice, blocking and async -----

def sleep_work(p):
    wait_ns = int(p["wait_ms"]) * 1_000_000

    def woke(i, began):
        if time.monotonic_ns() - began < wait_ns:
            raise RuntimeError("sleep: woke before the wait was over")
        return mix64(i)

    def blocking(i):
        began = time.monotonic_ns()
        sleep_until(began + wait_ns)
        return woke(i, began)

    async def coroutine(i):
        began = time.monotonic_ns()
        await asleep_until(began + wait_ns)
        return woke(i, began)

    return blocking, coroutine


def chess_work(p):
    moves, think_ns, reply_ns = int(p["moves"]), int(p["think_us"]) * 1000, int(p["reply_us"]) * 1000

    # Thinking is time on the CPU, not a count of steps: see "Identical time" in docs/PEERS.md.
    def think():
        until = time.monotonic_ns() + think_ns
        while time.monotonic_ns() < until:
            pass

    def blocking(board):
        position = mix64(board)
        for _ in range(moves):
            think()
            position = mix64(position)
            sleep_until(time.monotonic_ns() + reply_ns)
        return position

    async def coroutine(board):
        position = mix64(board)
        for _ in range(moves):
            think()
            position = mix64(position)
            await asleep_until(time.monotonic_ns() + reply_ns)
        return position

    return blocking, coroutine


def fetch_work(p):
    try:
        address = (os.environ["SIMUL_DELAY_HOST"], int(os.environ["SIMUL_DELAY_PORT"]))
    except (KeyError, ValueError):
        die("fetch needs SIMUL_DELAY_HOST and SIMUL_DELAY_PORT")
    delay_ms, size = int(p["delay_ms"]), int(p["bytes"])
    limit_s = (delay_ms + 10_000) / 1e3
    late = f"fetch: no full response within {delay_ms + 10_000} ms"

    def request(i):
        return (f"GET /delay?ms={delay_ms}&bytes={size}&seed={i} HTTP/1.1\r\n"
                f"Host: {address[0]}:{address[1]}\r\nConnection: close\r\n\r\n").encode()

    # Both flavours send the same bytes and parse them here, the same way, so
    # that they differ in how they wait, not in which HTTP library they use.
    def checksum(response):
        head, _, body = response.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if status.split(" ")[1:2] != ["200"]:
            raise RuntimeError(f"fetch: {status or 'no response'}")
        if len(body) != size:  # Connection: close, so the body is everything to the end
            raise RuntimeError(f"fetch: a body of {len(body)} bytes, not {size}")
        return fnv1a52(body)

    def blocking(i):
        deadline = time.monotonic() + limit_s
        try:
            with socket.create_connection(address, timeout=limit_s) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(request(i))
                chunks = []
                while True:
                    # The limit is on the whole response, not on each recv.
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError
                    s.settimeout(left)
                    if not (chunk := s.recv(65536)):
                        break
                    chunks.append(chunk)
        except TimeoutError:
            raise TimeoutError(late) from None
        return checksum(b"".join(chunks))

    async def coroutine(i):
        try:
            async with asyncio.timeout(limit_s):
                reader, writer = await asyncio.open_connection(*address)
                try:
                    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    writer.write(request(i))
                    await writer.drain()
                    response = await reader.read()  # to EOF
                finally:
                    writer.close()
                    await writer.wait_closed()
        except TimeoutError:
            raise TimeoutError(late) from None
        return checksum(response)

    return blocking, coroutine


# serve: the peer is the HTTP/1.1 server of GET /delay?ms=D&bytes=B&seed=S,
# with the limits of simul's own servers (bench/net/http.hpp); the handlers
# are a connection's body, and serve_async / serve_threads accept them.
MAX_DELAY_MS, MAX_BODY_BYTES = 600_000, 64 << 20
MASK52 = (1 << 52) - 1


def serve_body(size, seed):
    """The body of (B, S): byte k is 'a' + (w >> 8 * (k % 8)) % 26, where
    w = mix64(S * 0x100000001b3 + k - k % 8) (mix64 wraps its argument)."""
    body = bytearray(size)
    for k in range(0, size, 8):
        word = mix64(seed * 0x100000001B3 + k)
        for j in range(k, min(k + 8, size)):
            body[j] = 97 + word % 26
            word >>= 8
    return body


def parse_request(head):
    """(ms, bytes, seed, close) of a request's head; ValueError says why it is
    not one this server answers (then it gets a 400)."""
    line, *fields = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    if len(words := line.split(" ")) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
        raise ValueError(f"bad request line '{line}'")
    method, target, version = words
    tokens = set()  # the Connection header's
    for field in fields:
        name, colon, value = field.partition(":")
        name = name.lower()
        if not colon:
            raise ValueError(f"bad header line '{field}'")
        if name == "connection":
            tokens.update(token.strip().lower() for token in value.split(","))
        elif name == "transfer-encoding" or (name == "content-length" and value.strip() != "0"):
            raise ValueError("a GET with a body")
    if method != "GET":
        raise ValueError("only GET is served")
    path, _, query = target.partition("?")
    args = dict(pair.partition("=")[::2] for pair in query.split("&"))
    if (path != "/delay" or not {"ms", "bytes"} <= args.keys() <= {"ms", "bytes", "seed"}
            or not all(v.isascii() and v.isdigit() for v in args.values())):
        raise ValueError(f"bad target '{target}'")
    ms, size, seed = int(args["ms"]), int(args["bytes"]), int(args.get("seed", 0))
    if ms > MAX_DELAY_MS or size > MAX_BODY_BYTES or seed > MASK64:
        raise ValueError(f"bad target '{target}'")
    # HTTP/1.1 keeps the connection unless asked to close; 1.0 closes it unless asked to keep it.
    close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
    return ms, size, seed, close


def ok_response(size, seed, close):
    """The 200 to (B, S), head and body in one buffer (one write), and the body's digest."""
    body = serve_body(size, seed)
    connection = "Connection: close\r\n" if close else ""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {size}\r\n{connection}\r\n"
    return head.encode() + body, fnv1a52(body)


def bad_response(why):
    text = f"{why}\nexpected: GET /delay?ms=D&bytes=B[&seed=S]\n".encode()
    return (f"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\n"
            "Connection: close\r\n\r\n").encode() + text


def serve_work(p):
    # Both flavours parse and answer with the same code, so that they differ
    # in how they wait, as in fetch. Each serves the connection's requests
    # one after another until the client closes it, asks to close, or sends
    # one that cannot be parsed; each returns the sum of the digests it sent.

    def read_head(reader):
        """A request's head, up to its empty line; b"" once the client has closed."""
        head = b""
        while (line := reader.readline()) != b"\r\n":
            if not line:
                return b""  # the client closed, before or inside a head
            head += line
        return head + line

    def blocking(conn):
        total = 0
        with conn, conn.makefile("rb") as reader:
            while head := read_head(reader):
                try:
                    ms, size, seed, close = parse_request(head)
                except ValueError as e:
                    conn.sendall(bad_response(e))
                    break
                sleep_until(time.monotonic_ns() + ms * 1_000_000)  # the backend's work
                response, digest = ok_response(size, seed, close)
                conn.sendall(response)
                total = (total + digest) & MASK52
                if close:
                    break
        return total

    async def coroutine(reader, writer):
        total = 0
        try:
            while True:
                try:
                    ms, size, seed, close = parse_request(await reader.readuntil(b"\r\n\r\n"))
                except asyncio.IncompleteReadError:
                    break  # the client closed, before or inside a head
                except (ValueError, asyncio.LimitOverrunError) as e:  # the latter: a head over 64 KiB
                    writer.write(bad_response(e))
                    await writer.drain()
                    break
                await asleep_until(time.monotonic_ns() + ms * 1_000_000)  # the backend's work
                response, digest = ok_response(size, seed, close)
                writer.write(response)
                await writer.drain()
                total = (total + digest) & MASK52
                if close:
                    break
        finally:
            writer.close()
            await writer.wait_closed()
        return total

    return blocking, coroutine


WORKLOADS = {"sleep": sleep_work, "chess": chess_work, "fetch": fetch_work, "serve": serve_work}


# ---- the records, and running one task -----------------------------------

class Records:
    """Every task's record, allocated before `ready` so that the measured part
    only fills them in. Times are raw monotonic_ns, made relative to t0 when
    sent; -1 for a task that never started or never ended. Typed arrays, not
    lists: a list would keep each time and checksum as an int object of its
    own (about 100 B a task), made on the measured part."""

    def __init__(self, n):
        self.start, self.end = array("q", [-1]) * n, array("q", [-1]) * n
        self.checksum, self.error = array("Q", [0]) * n, [None] * n

    def failed(self, i, e):
        self.error[i] = " ".join(str(e).split()) or type(e).__name__  # one line, never empty

    def lines(self, t0):
        for i, (start, end, checksum, error) in enumerate(zip(self.start, self.end, self.checksum, self.error)):
            outcome = f"ok {checksum}" if error is None else f"fail {error}"
            yield f"{i} {start - t0 if start >= 0 else -1} {end - t0 if end >= 0 else -1} {outcome}\n"


def run_blocking(records, body, i, started=None):
    records.start[i] = time.monotonic_ns() if started is None else started
    try:
        records.checksum[i] = body(i)
    except Exception as e:
        records.failed(i, e)
    records.end[i] = time.monotonic_ns()


async def run_async(records, body, i):
    records.start[i] = time.monotonic_ns()
    try:
        records.checksum[i] = await body(i)
    except Exception as e:
        records.failed(i, e)
    records.end[i] = time.monotonic_ns()


# ---- the flavours: each starts every task at its due time, then returns
# when all have ended -------------------------------------------------------

def sequential(records, body, t0, dues):
    for i, due in enumerate(dues):
        sleep_until(t0 + due)
        run_blocking(records, body, i)


class Threads:
    """A thread per task, and a wait for them all, as Go's sync.WaitGroup. Not
    a list of threads to join: it would keep every ended Thread object (a few
    KiB each) until the last task ends, memory that no waiting task needs; at
    100,000 sleeps it was most of the peak."""

    def __init__(self, n):
        self.left, self.none_left = n, threading.Condition()

    def start(self, *args):
        threading.Thread(target=self.run, args=args).start()

    def run(self, *args):
        try:
            run_blocking(*args)
        finally:
            with self.none_left:
                self.left -= 1
                if self.left == 0:
                    self.none_left.notify()

    def wait(self):
        with self.none_left:
            self.none_left.wait_for(lambda: self.left == 0)


def threads(records, body, t0, dues):
    workers = Threads(len(dues))
    for i, due in enumerate(dues):
        sleep_until(t0 + due)
        workers.start(records, body, i)
    workers.wait()


async def dispatch(records, body, t0, dues):
    async with asyncio.TaskGroup() as group:
        for i, due in enumerate(dues):
            await asleep_until(t0 + due)
            group.create_task(run_async(records, body, i))


# serve's tasks come as connections instead: task i is the i-th connection
# accepted, and starts when it is. simul's servers set TCP_NODELAY on each
# (bench/net/accept.cpp); asyncio's and uvloop's transports already do.

async def serve_async(records, handle, listener):
    """asyncio's own server, a handler task per connection, until n
    connections have been accepted and closed."""
    n = len(records.start)
    accepted = closed = 0
    all_closed = asyncio.Event()

    async def connection(reader, writer):
        nonlocal accepted, closed
        i, accepted = accepted, accepted + 1
        if i == n - 1:
            server.close()  # stop listening: the load's reconnects are not tasks
        if i >= n:  # accepted in the same batch as the last task
            writer.close()
            return
        await run_async(records, lambda _: handle(reader, writer), i)
        closed += 1
        if closed == n:
            all_closed.set()

    server = await asyncio.start_server(connection, sock=listener)
    await all_closed.wait()


def serve_threads(records, handle, listener):
    """A thread per connection, started by this thread, which accepts."""
    listener.setblocking(True)  # simul's socket is non-blocking; this thread waits in accept
    workers = Threads(len(records.start))
    for i in range(len(records.start)):
        conn, _ = listener.accept()
        started = time.monotonic_ns()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        workers.start(records, lambda _, c=conn: handle(c), i, started)
    workers.wait()


# ---- the protocol -----------------------------------------------------------

def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def hear(expected):
    line = sys.stdin.buffer.readline()
    if line != expected.encode() + b"\n":
        die(f"expected {expected!r} from simul, read {line!r}")
    return time.monotonic_ns()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in FLAVOURS:
        die(f"usage: peer.py {'|'.join(FLAVOURS)}")
    flavour = sys.argv[1]
    if os.environ.get("SIMUL_PEER") != "1":
        die("SIMUL_PEER is not 1: this peer speaks version 1 of docs/PEERS.md")
    try:
        workload = os.environ["SIMUL_WORKLOAD"]
        n = int(os.environ["SIMUL_TASKS"])
        params = dict(kv.split("=", 1) for kv in os.environ.get("SIMUL_PARAMS", "").split())
    except (KeyError, ValueError) as e:
        die(f"a bad or missing SIMUL_ variable ({e})")
    # file_read's checksum sees every bit through 64-bit multiplies
    # (support/file_hash.hpp, docs/PEERS.md): measured once here, pure Python
    # hashes about 40 MB/s of it (struct.unpack and a loop per lane, the
    # fastest we found), a hundredth of what a read from the page cache gives.
    if workload == "file_read":
        say("skip file_read: the checksum of every byte runs at about 40 MB/s in pure Python, against GB/s from "
            "the page cache: the case would measure the interpreter's arithmetic, not its IO")
        return
    if workload not in WORKLOADS:
        say(f"skip {workload}: not written for the Python peer")
        return
    # The lesson's 12 hours against 1: sequential is there for the story.
    # Elsewhere it would wait N × D (100,000 sleeps: hours), and simul, which
    # takes every peer's shape to be all tasks at once, could not skip it.
    if flavour == "sequential" and workload != "chess":
        say(f"skip {workload}: the sequential flavour plays the chess story only (one task after another)")
        return
    try:
        blocking, coroutine = WORKLOADS[workload](params)
    except (KeyError, ValueError) as e:
        die(f"a bad or missing parameter in SIMUL_PARAMS={params} ({e})")
    if flavour == "uvloop":
        try:
            import uvloop
        except ImportError:
            die("uvloop is not installed (install python3-uvloop: scripts/peers.sh --install)")

    due_file = os.environ.get("SIMUL_DUE_FILE")
    try:
        dues = [int(due) for due in Path(due_file).read_text().split()] if due_file else [0] * n
    except (OSError, ValueError) as e:
        die(f"cannot read SIMUL_DUE_FILE: {e}")
    if len(dues) != n:
        die(f"SIMUL_DUE_FILE has {len(dues)} lines for {n} tasks")
    records = Records(n)
    if workload == "serve":
        try:
            listener = socket.socket(fileno=int(os.environ["SIMUL_LISTEN_FD"]))
        except (KeyError, ValueError, OSError) as e:
            die(f"serve needs SIMUL_LISTEN_FD, the descriptor of a listening socket ({e})")

    if flavour in ("asyncio", "uvloop"):
        factory = uvloop.new_event_loop if flavour == "uvloop" else None
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.get_loop()  # the loop is made now: start-up, not the measured part
            say("ready")
            t0 = hear("go")
            if workload == "serve":
                runner.run(serve_async(records, coroutine, listener))
            else:
                runner.run(dispatch(records, coroutine, t0, dues))
    else:
        say("ready")
        t0 = hear("go")
        if workload == "serve":
            serve_threads(records, blocking, listener)
        else:
            (threads if flavour == "threads" else sequential)(records, blocking, t0, dues)
    say("done")
    hear("send")
    sys.stdout.writelines(records.lines(t0))
    say("end")


if __name__ == "__main__":
    main()
