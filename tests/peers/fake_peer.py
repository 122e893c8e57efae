#!/usr/bin/python3
"""A peer for the protocol's tests (docs/PEERS.md): sleep, chess and
file_read done the simplest honest way, and, by its one argument, each way a
peer can go wrong.

  good       every task as the protocol says
  crash      exits with code 3 after "go"
  hang       says "ready", then nothing (a grandchild it started hangs too,
             its pid in $FAKE_PEER_PID_FILE)
  garbage    prints something that is not "ready"
  few        reports three tasks and "end"
  skip       says it cannot do the workload
  checksum   reports every task with a checksum off by one
"""

import os
import struct
import subprocess
import sys
import time

M = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


def hash_block(words, offset):
    """file_read's hash of one 4 KiB block (support/file_hash.hpp), lane by lane."""
    h = 0
    for lane_no in range(16):
        lane = mix64(offset + lane_no)
        for word in words[lane_no::16]:
            x = ((lane + word) * 0x9E3779B185EBCA87) & M
            lane = ((x << 29) & M) | (x >> 35)
        h = mix64(h ^ lane)
    return h


def file_sum(path, size, chunk):
    """The file read whole in reads of `chunk` bytes, each 4 KiB block hashed."""
    total = 0
    with open(path, "rb", buffering=0) as f:
        for at in range(0, size, chunk):
            data = f.read(min(chunk, size - at))
            assert len(data) == min(chunk, size - at), f"{path} is short"
            for k in range(0, len(data), 4096):
                total += hash_block(struct.unpack_from("<512Q", data, k), at + k)
    return total & ((1 << 52) - 1)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    mode = sys.argv[1]
    n = int(os.environ["SIMUL_TASKS"])
    p = dict(kv.split("=") for kv in os.environ["SIMUL_PARAMS"].split())
    due_file = os.environ.get("SIMUL_DUE_FILE")
    dues = [int(x) for x in open(due_file).read().split()] if due_file else [0] * n
    if due_file and os.environ.get("FAKE_PEER_DUE_LOG"):
        open(os.environ["FAKE_PEER_DUE_LOG"], "w").write(due_file)
    if mode == "garbage":
        return say("hello")
    if mode == "skip":
        return say("skip the fake peer does not do this")
    if mode == "hang":
        child = subprocess.Popen(["sleep", "600"])
        open(os.environ["FAKE_PEER_PID_FILE"], "w").write(str(child.pid))
    say("ready")
    assert sys.stdin.readline() == "go\n"
    t0 = time.monotonic_ns()
    if mode == "hang":
        time.sleep(600)
    if mode == "crash":
        sys.exit(3)
    starts, ends, sums = [0] * n, [0] * n, [0] * n
    if os.environ["SIMUL_WORKLOAD"] == "sleep":
        # The tasks wait at once: each starts at its due time, and they end together.
        for i in range(n):
            time.sleep(max(0, t0 + dues[i] - time.monotonic_ns()) / 1e9)
            starts[i] = time.monotonic_ns() - t0
            sums[i] = mix64(i)
        time.sleep(int(p["wait_ms"]) / 1e3)
        ends = [time.monotonic_ns() - t0] * n
    elif os.environ["SIMUL_WORKLOAD"] == "file_read":  # one file after another
        size, chunk = int(p["file_kib"]) * 1024, int(p["chunk_kib"]) * 1024
        for i in range(n):
            starts[i] = time.monotonic_ns() - t0
            sums[i] = file_sum(os.path.join(os.environ["SIMUL_FILE_DIR"], f"f{i:05}.dat"), size, chunk)
            ends[i] = time.monotonic_ns() - t0
    else:  # chess, one board after another
        for b in range(n):
            starts[b] = time.monotonic_ns() - t0
            position = mix64(b)
            for _ in range(int(p["moves"])):
                begun = time.monotonic_ns()
                while time.monotonic_ns() - begun < int(p["think_us"]) * 1000:
                    pass
                position = mix64(position)
                time.sleep(int(p["reply_us"]) / 1e6)
            ends[b], sums[b] = time.monotonic_ns() - t0, position
    say("done")
    assert sys.stdin.readline() == "send\n"
    shown = 3 if mode == "few" else n
    off = 1 if mode == "checksum" else 0
    for i in range(shown):
        say(f"{i} {starts[i]} {ends[i]} ok {(sums[i] + off) & M}")
    say("end")


if __name__ == "__main__":
    main()
