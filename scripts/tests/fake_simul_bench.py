"""A stand-in for simul-bench, for test_bench_sh.py: bench.sh runs it when
SIMUL_BENCH points at a wrapper that calls this. What it does is set by
FAKE_MODE:
  ok         writes the fixture's chess rows to --benchmark_out, exit 0
  truncated  writes the first 4,096 bytes of them (a full disk), exit 0
  hang       writes its PID and its helper's PID to FAKE_PIDS, then sleeps
FAKE_ARGS, if set, names a file where it writes its network namespace
(/proc/self/ns/net) and its arguments, one a line, before anything else.
--list prints one case, or none with --benchmark_filter=nothing; --help
prints a line. Neither writes anything."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "run.json"


def main(args):
    flags = dict(a.split("=", 1) if "=" in a else (a, "") for a in args)
    if os.environ.get("FAKE_ARGS") and "--list" not in flags:
        Path(os.environ["FAKE_ARGS"]).write_text("\n".join([os.readlink("/proc/self/ns/net"), *args]) + "\n")
    if "--help" in flags:
        print("usage: fake simul-bench")
        return 0
    if "--list" in flags:
        if flags.get("--benchmark_filter") != "nothing":
            print("chess/sequential/boards:4/moves:2/think_us:50/reply_us:200      ideal 0.002 s")
        return 0
    mode = os.environ.get("FAKE_MODE", "ok")
    if mode == "hang":
        helper = subprocess.Popen(["sleep", "300"])  # like the delay server simul-bench starts
        Path(os.environ["FAKE_PIDS"]).write_text(f"{os.getpid()} {helper.pid}\n")
        time.sleep(300)
        return 0
    data = json.loads(FIXTURE.read_text())
    data["benchmarks"] = [b for b in data["benchmarks"] if b["name"].startswith("chess/")]
    text = json.dumps(data, indent=1)
    if mode == "truncated":
        text = text[:4096]
    print("[1/1] chess/sequential/boards:4/moves:2/think_us:50/reply_us:200")
    Path(flags["--benchmark_out"]).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
