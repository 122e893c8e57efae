#!/usr/bin/env python3
"""The harness, checked: each bare program against the same case in simul-bench.

For every row (a model, a workload and its size) it runs the bare program from
bench/baselines/ and simul-bench's case back to back, a pair at a time, in
rounds that take one pair of each row in a shuffled order, and writes
simul ÷ bare for makespan and memory per task in flight, each with its
95% interval. A ratio near 1 says simul's figure is the model's, not the
harness's. Writes baselines.json and baselines.md into --out.

Usage: baselines.py --build DIR --out DIR [--repetitions K] [--rows REGEX] [--seed N] [--quick]
       baselines.py --compare OLD/baselines.json NEW/baselines.json
"""

import argparse
import json
import math
import mmap
import os
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import simul_results as sr
import simul_stats as st

# (model as simul names it, workload, parameters). Sizes are chosen so that
# each run takes seconds: sequential and the pool get shorter waits, since
# 10,000 waits of 100 ms take 1,000 s one at a time. Every kind of model in
# models/kinds.cpp has a row (a test checks it).
ROWS = [
    ("sequential", "sleep", {"tasks": 1000, "wait_ms": 1}),
    ("thread_per_task", "sleep", {"tasks": 10000, "wait_ms": 100}),
    ("thread_per_task", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("thread_pool:256", "sleep", {"tasks": 10000, "wait_ms": 10}),
    ("thread_pool:256", "sleep", {"tasks": 100000, "wait_ms": 10}),
    ("coroutine_loop", "sleep", {"tasks": 10000, "wait_ms": 100}),
    ("coroutine_loop", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("coroutine_loop", "sleep", {"tasks": 1000000, "wait_ms": 100}),
    ("coroutine_loop:2", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("shared_loop:2", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("stackful_loop", "sleep", {"tasks": 10000, "wait_ms": 100}),
    ("stackful_loop", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("sequential", "chess", {"boards": 24, "moves": 30, "think_us": 500, "reply_us": 5500}),
    ("coroutine_loop", "chess", {"boards": 24, "moves": 30, "think_us": 500, "reply_us": 5500}),
] + [(m, "file_read", {"files": 64, "file_kib": 1024, "chunk_kib": 64, "cache": "warm", "io": "native"})
     for m in ("sequential", "thread_per_task", "thread_pool:2", "coroutine_loop")] + [
    ("sequential", "fetch", {"tasks": 20, "delay_ms": 50, "bytes": 1024}),  # 1 s, one request at a time
    ("thread_per_task", "fetch", {"tasks": 1000, "delay_ms": 50, "bytes": 1024}),
    ("coroutine_loop", "fetch", {"tasks": 1000, "delay_ms": 50, "bytes": 1024}),
]

# A warm pass over the file set takes about 10 ms: both sides make this many
# passes in one process, each from a warm cache, and the median pass counts.
# With 9, the file rows' intervals stayed wider than ±5% after 15 pairs.
FILE_PASSES = 21

# --quick: the same rows at sizes a test can afford, and a fixed number of
# pairs (tiny runs are noisy: adding pairs until ±3% would only take long).
QUICK = {"tasks": 20, "wait_ms": 5, "boards": 3, "moves": 2, "think_us": 100, "reply_us": 1000,
         "files": 8, "file_kib": 256, "chunk_kib": 64, "cache": "warm", "io": "native",
         "delay_ms": 5, "bytes": 256}
QUICK_PAIRS = 3

# Below this peak a memory ratio says nothing: a few pages of stack or heap
# either way (sequential holds one task, so its whole peak is a page or two).
MEMORY_FLOOR = 1 << 20

# The intervals. A repetition is a pair: the bare program and simul's case
# back to back, which goes first alternating, so that neither always runs on
# a machine the other has just warmed (or heated). The pair's ratio
# simul ÷ bare cancels whatever drifts slower than a pair (a neighbour's load,
# the CPU's clock); the row's ratio is the median of its pairs' ratios, and
# its 95% interval comes from order statistics (the sign test's:
# simul_stats.paired_ratio, as compare.py's model-against-model ratios).
# Exact and distribution-free: it assumes only that the pairs are independent
# and each as likely above the true median as below, not that the ratios are
# normal (a makespan on a shared machine is skewed: a neighbour slows a run,
# never speeds it). Order statistics reach 95% from 6 pairs on (with fewer,
# the interval is the range of the ratios, and its coverage, 75% for 3, is
# shown), so by default a row runs 6 pairs and adds one while the makespan
# ratio's interval reaches further than ±3% from it, up to 40 pairs. With
# a cap of 15, the warm file rows (a pass of about 15 ms) ended at ±4 to 5%;
# with 30 and the pairs spread over the run, at ±3 to 5%; with 40, three of
# the four reached ±3% in each of two runs, not the same three
# (docs/MEASUREMENTS.md). A pair of those rows takes about 2 s, where one of
# thread-per-task at 100,000 takes 17: so a row may go on to 100 pairs while
# its runs so far took under 2 minutes in all, and only to 40 after that.
MIN_PAIRS = 6
MAX_PAIRS = 40
CHEAP_MAX_PAIRS, CHEAP_ROW_S = 100, 120.0
TARGET_HALF_WIDTH = 0.03

# The pairs run in rounds: one pair of every row that wants one, in an order
# shuffled anew each round, as Google Benchmark's
# --benchmark_enable_random_interleaving does for its repetitions. Run one
# row after another, a row's pairs all fell within a minute or two: its
# interval said how much the machine varied in that minute, not over the
# run, and two runs an hour apart disagreed by more than their intervals (the
# pool's warm file reads gave medians of 1.018 to 1.076 over six runs,
# docs/MEASUREMENTS.md). Spread over the whole run, a row's pairs see what
# the machine did during all of it, and follow a different row each round,
# so no row always inherits the same neighbour's leftovers (a freed gigabyte,
# 100,000 exited threads). Two runs each way agreed as often (14 rows of 21,
# "Rounds" in docs/MEASUREMENTS.md): what rounds change is what an interval
# speaks for, the whole run. The seed makes a run's order repeatable.
SEED = 1

# Memory, primed. This VM gives the memory a process frees back to its host
# (free page reporting: /sys/module/page_reporting), and a run whose pages
# the host has taken back faults each in again through the host: after 3 s
# idle, the bare loop's 1,000,000 sleeps took 0.75 to 1.74 s so, and 0.63
# to 0.75 s right after 1 GiB had been touched and freed (six runs each,
# alternating, 2026-12-04). Whether the host had a run's memory depended on
# what ran before it: another row, for the first run of a pair, and the
# same row for the second. So at 1,000,000 sleeps the side that ran first
# was the slow one: the pairs with simul first had a median ratio of 1.42,
# those with the bare program first 1.04, and the ratios ran from 0.62 to
# 2.38 (55 pairs). Now the script touches and frees as much memory as the
# row's runs have used (their largest peak, a quarter more and 32 MiB) just
# before each run: whatever the host took back, the script faults in, not
# the run. Primed, the same row gave medians of 1.18 with simul first and
# 1.16 with the bare program first, the ratios from 0.98 to 1.44 (33 pairs;
# docs/MEASUREMENTS.md, "Memory the host took back"). An unmeasured
# run of simul's case opens each row and sizes the primer.
PRIME_EXTRA, PRIME_FLOOR = 0.25, 32 << 20


def row_name(model, workload, params):
    return f"{workload}/{model}/" + "/".join(f"{k}:{v}" for k, v in params.items())


def bare_program(model, workload):
    """The bare program's name: bare-<model kind>-<workload>, except that simul
    runs coroutine_loop:P as P loops, one a thread (models/loop_per_thread)."""
    kind, _, size = model.partition(":")
    if kind == "coroutine_loop" and size:
        kind = "loop_per_thread"
    return f"bare-{kind}-{workload}"


def bare_command(build, model, workload, params, steps, port):
    size = model.partition(":")[2]
    exe = build / bare_program(model, workload)
    if workload == "sleep":
        args = [params["tasks"], params["wait_ms"]] + ([size] if size else [])
    elif workload == "file_read":
        args = [data_dir(build) / "file_read" / f"{params['files']}x{params['file_kib']}KiB", params["files"],
                params["file_kib"], params["chunk_kib"], FILE_PASSES] + ([size] if size else [])
    elif workload == "fetch":
        args = [port, params["tasks"], params["delay_ms"], params["bytes"]]
    else:
        args = [params["boards"], params["moves"], steps, params["reply_us"]]
    return [str(exe)] + [str(a) for a in args]


def prime_memory(nbytes):
    """Touches nbytes of fresh memory, a byte a page, and frees it (see PRIME_EXTRA)."""
    with mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS) as m:
        m[::mmap.PAGESIZE] = b"\1" * len(range(0, nbytes, mmap.PAGESIZE))


def run_bare(command):
    out = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise sr.CaseRunError(f"{Path(command[0]).name} exited {out.returncode}: {out.stderr.strip()[:300]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"makespan_s": r["makespan_s"], "mem_per_task_bytes": r["mem_per_task_bytes"],
            "mem_peak_bytes": r["mem_peak_bytes"], "tasks": r["tasks"], "checksum": r["checksum"]}


def data_dir(build):
    return Path(build) / "data"


def run_simul(build, model, workload, params):
    if workload == "file_read":
        b = sr.run_case(build, model, workload, params, [f"--data-dir={data_dir(build)}"], repetitions=FILE_PASSES)
    else:
        b = sr.run_case(build, model, workload, params)
    return {"makespan_s": b["real_time"] / 1e3,  # manual time, in ms
            "mem_per_task_bytes": b["mem_per_task_bytes"], "mem_peak_bytes": b["mem_peak_bytes"],
            "tasks": b["tasks"], "checksum": b["checksum"],
            "think_steps": b.get("think_steps")}


class DelayServerError(Exception):
    """The delay server did not start; the message says why."""


def start_delay_server(build):
    """simul-delay-server on a free port, for the bare fetch clients (simul-bench
    starts its own for each case): (process, port). It cannot outlive this
    script: main stops it in a finally, and SIMUL_PARENT_PID has it ask the
    kernel to kill it when this process dies, even of SIGKILL
    (die_with_parent, bench/net/helper.cpp)."""
    env = dict(os.environ, SIMUL_PARENT_PID=str(os.getpid()))
    try:
        server = subprocess.Popen([str(Path(build) / "simul-delay-server"), "--port=0"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, env=env)
    except OSError as e:
        raise DelayServerError(f"cannot start simul-delay-server: {e}")
    try:
        # It prints "listening on 127.0.0.1:PORT" once it accepts connections.
        ready = select.select([server.stdout], [], [], 10)[0]
        line = server.stdout.readline().decode(errors="replace").strip() if ready else "nothing in 10 s"
        m = re.fullmatch(r"listening on [\d.]+:(\d+)", line)
        if not m:
            raise DelayServerError(f"simul-delay-server said '{line}', not where it listens")
        print(f"delay server: pid {server.pid}, port {m.group(1)}", file=sys.stderr, flush=True)
        return server, int(m.group(1))
    except BaseException:
        stop_delay_server(server)
        raise


def stop_delay_server(server):
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.stdout.close()


class Row:
    """One row's plan and what it has measured so far, as the rounds go."""

    def __init__(self, model, workload, params, planned, settled=False):
        self.model, self.workload, self.params = model, workload, params
        self.name = row_name(model, workload, params)
        self.planned = planned  # pairs; grows while the interval is wide
        self.pairs, self.error = [], ""
        self.settled = settled  # its plan will not grow: a fixed number of pairs, or its interval is narrow
        self.steps = 0  # chess: the thinking steps of simul's first run
        self.runs, self.seconds = 0, 0.0  # its pace, for the time left
        self.warmed, self.peak = False, 0  # the unmeasured first run made; the largest peak of any run

    def runs_left(self, half=0, pairs=None):
        """Runs still planned (or to `pairs` pairs), the unmeasured first one included; half: runs of
        the pair under way already made."""
        pairs = self.planned if pairs is None else pairs
        return 0 if self.error else 2 * (pairs - len(self.pairs)) - half + (not self.warmed)

    def prime_bytes(self):
        return int(self.peak * (1 + PRIME_EXTRA)) + PRIME_FLOOR

    def most_pairs(self, pace):
        """The pairs the row ends with at the most, at `pace` seconds a run: its plan once settled, or
        else as many as room() would allow if its interval stayed wide."""
        if self.error or self.settled:
            return self.planned
        by_time = math.ceil(CHEAP_ROW_S / (2 * pace)) if pace > 0 else CHEAP_MAX_PAIRS
        return max(self.planned, MAX_PAIRS, min(CHEAP_MAX_PAIRS, by_time))


class Progress:
    """'[k/N] side row, pair p (about M min left, up to L)': N is the runs
    planned (it grows when a row adds pairs, and shrinks when one fails); the
    time left counts each row's runs still planned at that row's own pace so
    far, and a row not yet run at the pace of every run so far. A row whose
    interval is still wide may add pairs up to its cap: L counts those too."""

    def __init__(self, plan):
        self.plan, self.done, self.seconds = plan, 0, 0.0

    def run(self, row, side, half, work, *args):
        """work(*args), announced first; half: runs of row's pair already made."""
        self.done += 1
        mean = self.seconds / (self.done - 1) if self.done > 1 else math.nan
        pace = {r: r.seconds / r.runs if r.runs else mean for r in self.plan}
        left = sum(r.runs_left(half if r is row else 0) * pace[r] for r in self.plan)  # this run too
        most = sum(r.runs_left(half if r is row else 0, r.most_pairs(pace[r])) * pace[r] for r in self.plan)
        planned = self.done - 1 + sum(r.runs_left(half if r is row else 0) for r in self.plan)
        about = ""
        if not math.isnan(left):
            up_to = f", up to {math.ceil(most / 60)}" if math.ceil(most / 60) > math.ceil(left / 60) else ""
            about = f" (about {math.ceil(left / 60)} min left{up_to})"
        print(f"[{self.done}/{planned}] {side:5} {row.name}, pair {len(row.pairs) + 1}{about}", file=sys.stderr,
              flush=True)
        begun = time.monotonic()
        try:
            return work(*args)
        finally:
            took = time.monotonic() - begun
            self.seconds += took
            row.seconds += took
            row.runs += 1


def paired(pairs, key):
    """The interval of the median of simul ÷ bare over the (bare, simul) pairs (simul_stats)."""
    return st.paired_ratio([(b[key], s[key]) for b, s in pairs])


def room(row):
    """True while the row may have one more pair: up to 40, or up to 100 while its runs took under 2 minutes."""
    n = len(row.pairs)
    return n < MAX_PAIRS or (n < CHEAP_MAX_PAIRS and row.seconds < CHEAP_ROW_S)


def wide(pairs):
    """True while the makespan ratio's interval is not yet a 95% one within ±3%."""
    i = paired(pairs, "makespan_s")
    return not i.full or not i.half_width <= TARGET_HALF_WIDTH


def run_primed(row, work, *args):
    """work(*args) right after the memory it needs was touched and freed; its peak sizes the next."""
    prime_memory(row.prime_bytes())
    result = work(*args)
    row.peak = max(row.peak, result["mem_peak_bytes"])
    return result


def run_pair(build, row, progress, port, server_error, begun):
    """One more pair of the row: its bare program and simul's case, back to back, each primed. A row
    opens with an unmeasured run of simul's case: it sizes the primer, and chess thinks in steps
    calibrated per process, which the bare program then thinks as many of."""
    if row.workload == "fetch" and port is None:
        raise sr.CaseRunError(f"no delay server: {server_error}")
    simul = (run_primed, row, run_simul, build, row.model, row.workload, row.params)
    if not row.warmed:
        warm = progress.run(row, "warm", 0, *simul)
        row.warmed, row.steps = True, int(warm["think_steps"] or 0)
    pair = {}
    for side in (("simul", "bare") if len(row.pairs) % 2 == 0 else ("bare", "simul")):
        at = round(time.monotonic() - begun, 1)
        if side == "simul":
            pair[side] = progress.run(row, side, len(pair), *simul)
        else:
            command = bare_command(build, row.model, row.workload, row.params, row.steps, port)
            pair[side] = progress.run(row, side, len(pair), run_primed, row, run_bare, command)
        pair[side]["at_s"] = at
    row.pairs.append((pair["bare"], pair["simul"]))


def measure(build, rows, repetitions, port=None, server_error="", seed=SEED):
    """The rows, each run in `repetitions` pairs, or adaptively (None), in
    rounds: a round runs one pair of each row that wants one, in an order
    shuffled anew each round (from `seed`)."""
    plan = [Row(m, w, p, repetitions or MIN_PAIRS, settled=repetitions is not None) for m, w, p in rows]
    progress = Progress(plan)
    order = random.Random(seed)
    begun = time.monotonic()
    while due := [r for r in plan if not r.error and len(r.pairs) < r.planned]:
        order.shuffle(due)
        for row in due:
            try:
                run_pair(build, row, progress, port, server_error, begun)
            except (sr.CaseRunError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, OSError) as e:
                row.error = str(e)
                print(f"  failed: {row.name}: {row.error}", file=sys.stderr, flush=True)
        for row in due:
            if repetitions is None and not row.error and len(row.pairs) == row.planned and room(row) and \
                    wide(row.pairs):
                row.planned += 1
            elif len(row.pairs) == row.planned:
                row.settled = True
    return [summarize(r.model, r.workload, r.params, r.pairs, r.error) for r in plan]


def summarize(model, workload, params, pairs, error):
    """A row of baselines.json: each side's medians and runs, the ratios with
    their intervals and the number of pairs; or the error."""
    row = {"name": row_name(model, workload, params), "model": model, "workload": workload, "params": params,
           "error": error}
    if error:
        return row
    keys = ("makespan_s", "mem_per_task_bytes", "mem_peak_bytes")
    for k, side in enumerate(("bare", "simul")):
        runs = [p[k] for p in pairs]
        row[side] = {key: statistics.median(r[key] for r in runs) for key in keys}
        row[side]["tasks"] = runs[0]["tasks"]
        row[side]["checksum"] = runs[0]["checksum"]
        # at_s: when the run began, in seconds from the start of the whole run.
        row[side]["runs"] = [{key: r[key] for key in keys + ("at_s",) if key in r} for r in runs]
    row["repetitions"] = len(pairs)
    m = paired(pairs, "makespan_s")
    row["makespan_ratio"], row["makespan_interval"] = m.median, [m.lo, m.hi]
    row["interval_coverage"] = round(m.coverage, 4)  # of both intervals: they have as many pairs
    big = max(row["bare"]["mem_peak_bytes"], row["simul"]["mem_peak_bytes"]) >= MEMORY_FLOOR
    mem = paired(pairs, "mem_per_task_bytes")
    # file_read: the peak is the read buffers, and the programs count tasks differently.
    if big and mem.n > 0 and workload != "file_read":
        row["mem_ratio"], row["mem_interval"] = mem.median, [mem.lo, mem.hi]
    else:
        row["mem_ratio"], row["mem_interval"] = None, None
    # Every run of a side alike, and the first pair's two alike; not every
    # chess run of simul's: each process calibrates its own thinking steps
    # (the bare program thinks as many as simul's first run).
    steady = [0] if workload == "chess" else [0, 1]
    row["checksums_agree"] = (pairs[0][0]["checksum"] == pairs[0][1]["checksum"] and
                              all(len({p[k]["checksum"] for p in pairs}) == 1 for k in steady))
    return row


def fmt_seconds(s):
    return f"{s:.3f} s" if s >= 0.1 else f"{s * 1e3:.2f} ms"


def fmt_bytes(b):
    return f"{b / 1024:,.1f} KiB" if b >= 10 * 1024 else f"{b:,.0f} B"


def fmt_ratio(r, key):
    """'1.013 [0.998, 1.027], n=7' (with the coverage when it is under 95%); a
    row from before the intervals has the ratio only."""
    interval = r.get(key.replace("ratio", "interval"))
    if interval is None:
        return f"{r[key]:.3f}"
    text = f"{r[key]:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"
    if key == "makespan_ratio":
        text += f", n={r['repetitions']}"
        if r["interval_coverage"] < st.LEVEL:
            text += f" ({r['interval_coverage']:.0%})"
    return text


def markdown(results, repetitions, seed=None, primed=False):
    """The table and how it was made; seed: the rounds' shuffle (None: a run from before the rounds);
    primed: each run followed the memory primer (False: a run from before it)."""
    lines = [
        "| case | bare makespan | simul makespan | simul ÷ bare | bare mem/task | simul mem/task | simul ÷ bare |"
        " checksums |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        if r["error"]:
            lines.append(f"| `{r['name']}` | failed: {r['error']} | | | | | | |")
            continue
        mem_ratio = (fmt_ratio(r, "mem_ratio") if r["mem_ratio"] is not None
                     else "— (read buffers)" if r["workload"] == "file_read" else "— (peak under 1 MiB)")
        lines.append(
            f"| `{r['name']}` | {fmt_seconds(r['bare']['makespan_s'])} | {fmt_seconds(r['simul']['makespan_s'])} | "
            f"{fmt_ratio(r, 'makespan_ratio')} | {fmt_bytes(r['bare']['mem_per_task_bytes'])} | "
            f"{fmt_bytes(r['simul']['mem_per_task_bytes'])} | {mem_ratio} | "
            f"{'equal' if r['checksums_agree'] else '**differ**'} |")
    if not any("makespan_interval" in r for r in results):  # a table from before the intervals
        lines += ["", f"Medians of {repetitions} runs each, bare and simul alternating. Memory per task is the peak "
                  "resident memory above the start, measured the same way in both, divided by the most tasks in "
                  "flight at once."]
        return "\n".join(lines) + "\n"
    runs = (f"{repetitions} pairs of runs per row" if repetitions else
            f"{MIN_PAIRS} pairs of runs per row, and one more while the makespan ratio's interval reached further "
            f"than ±{TARGET_HALF_WIDTH:.0%} from it, up to {MAX_PAIRS} ({CHEAP_MAX_PAIRS} while the row's runs "
            f"so far took under {CHEAP_ROW_S / 60:.0f} min)")
    rounds = (" The pairs ran in rounds, one pair of each row a round in a shuffled order (seed "
              f"{seed}), so that a row's pairs are spread over the whole run." if seed is not None else "")
    if primed:
        rounds += (" Each run started right after the script had touched and freed as much memory as the row's "
                   f"runs used ({1 + PRIME_EXTRA:g}× their largest peak, and {PRIME_FLOOR >> 20} MiB), so that none "
                   "paid for faulting in memory that the VM's host had taken back; an unmeasured run of simul's "
                   "case opened each row.")
    lines += ["", f"Makespan and memory are each side's medians over {runs}: a pair is the bare program and simul's "
              f"case back to back, which goes first alternating.{rounds} simul ÷ bare is the median of the pairs' "
              "ratios, in brackets its 95% interval from order statistics (exact, and assuming no distribution; "
              "with fewer than 6 pairs it is the range of the ratios, with the coverage shown); n is the number of "
              "pairs. "
              "Memory per task is the peak resident memory above the start, measured the same way in both, "
              "divided by the most tasks in flight at once."]
    return "\n".join(lines) + "\n"


def agreement(old, new):
    """How one row's makespan ratio in two runs relates: 'agree' when each
    median lies in the other's interval, 'overlap' when only the intervals
    meet, 'moved' when they do not."""
    (lo0, hi0), (lo1, hi1) = old["makespan_interval"], new["makespan_interval"]
    if lo0 <= new["makespan_ratio"] <= hi0 and lo1 <= old["makespan_ratio"] <= hi1:
        return "agree"
    return "overlap" if lo0 <= hi1 and lo1 <= hi0 else "moved"


def compare_markdown(old_doc, new_doc, old_name, new_name):
    """Two runs' tables side by side, each row's ratios with their intervals
    and whether they agree (rows from before the intervals are left out)."""
    old = {r["name"]: r for r in old_doc["rows"]}
    lines = [f"| case | {old_name} | {new_name} | |", "| --- | ---: | ---: | --- |"]
    counts = {}
    for r in new_doc["rows"]:
        o = old.pop(r["name"], None)
        if o is None:
            ratio = "failed" if r["error"] else fmt_ratio(r, "makespan_ratio")
            lines.append(f"| `{r['name']}` | — | {ratio} | only in {new_name} |")
            continue
        if o["error"] or r["error"] or "makespan_interval" not in o or "makespan_interval" not in r:
            lines.append(f"| `{r['name']}` | | | failed, or without an interval |")
            continue
        verdict = agreement(o, r)
        counts[verdict] = counts.get(verdict, 0) + 1
        lines.append(f"| `{r['name']}` | {fmt_ratio(o, 'makespan_ratio')} | {fmt_ratio(r, 'makespan_ratio')} | "
                     f"{'**moved**' if verdict == 'moved' else verdict} |")
    lines += [f"| `{name}` | {fmt_ratio(o, 'makespan_ratio')} | — | only in {old_name} |"
              for name, o in old.items() if "makespan_interval" in o]
    total = sum(counts.values())
    lines += ["", f"Of {total} rows in both, {counts.get('agree', 0)} agree (each median inside the other run's "
              f"95% interval), {counts.get('overlap', 0)} overlap (only the intervals meet) and "
              f"{counts.get('moved', 0)} moved (the intervals are apart)."]
    return "\n".join(lines) + "\n"


def compare_files(old_path, new_path):
    """--compare OLD NEW: prints the two tables side by side; 2 if one cannot be read."""
    try:
        old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (old_path, new_path))
        table = compare_markdown(old, new, Path(old_path).parent.name or "old", Path(new_path).parent.name or "new")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"baselines: --compare: {old_path} and {new_path} must both be baselines.json files: "
              f"{type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(table, end="")
    return 0


def report_section(folder):
    """REPORT.md's "The harness, checked" lines from folder/baselines.json; none if it is not there."""
    path = Path(folder) / "baselines.json"
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        table = markdown(doc["rows"], doc["repetitions"], doc.get("seed"), doc.get("memory_primed", False))
    except (OSError, ValueError, KeyError, TypeError) as e:
        return ["## The harness, checked", "", f"`{path.name}` could not be read: {e}", ""]
    return ["## The harness, checked", "",
            "Each model's smallest honest program (`bench/baselines/`), with no harness at all, against the "
            "same case in simul-bench (`scripts/baselines.sh`). A ratio near 1 says that simul's figure is the "
            "model's and not the harness's; its interval, that the run was long enough to tell." +
            (" These are `--quick` sizes: they check that everything runs and measure nothing."
             if doc.get("quick") else ""),
            "", table]


def setup_error(tool, build, out, programs):
    """The one line that says why `tool` cannot run: a program not built in
    `build`, or --out not a folder; None if it can."""
    missing = [n for n in programs if not (Path(build) / n).exists()]
    if missing:
        return f"{tool}: {', '.join(missing)} not in {build} (build them: cmake --build --preset release)"
    if not Path(out).is_dir():
        return f"{tool}: --out {out} is not a folder"
    return None


def stop_on_term():
    """TERM as INT: both stop the run with one line, no traceback, and the
    program measuring at that moment is killed by subprocess.run."""
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    signal.signal(signal.SIGTERM, interrupted)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, help="the build folder with simul-bench and bare-* (required)")
    ap.add_argument("--out", type=Path, help="where baselines.json and baselines.md go (required)")
    ap.add_argument("--repetitions", type=int, default=None,
                    help=f"pairs of runs per row (default: {MIN_PAIRS}, and more while the makespan ratio's 95%% "
                    f"interval is wider than ±{TARGET_HALF_WIDTH:.0%}%, up to {MAX_PAIRS}, or {CHEAP_MAX_PAIRS} while "
                    f"the row's runs took under {CHEAP_ROW_S / 60:.0f} min; --quick: {QUICK_PAIRS})")
    ap.add_argument("--rows", default=None, metavar="REGEX",
                    help="only the rows whose name (e.g. sleep/coroutine_loop/tasks:1000000/wait_ms:100) matches")
    ap.add_argument("--seed", type=int, default=SEED,
                    help=f"the shuffle of the rows in each round (default: {SEED}); the same seed, the same order")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to check that everything runs")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                    help="measure nothing: show two runs' baselines.json side by side, and which rows agree")
    args = ap.parse_args(argv)
    if args.compare:
        return compare_files(*args.compare)
    if args.build is None or args.out is None:
        ap.error("--build and --out are required (or --compare OLD NEW)")
    if args.repetitions is not None and args.repetitions < 1:
        ap.error("--repetitions must be at least 1")
    try:
        chosen = [r for r in ROWS if args.rows is None or re.search(args.rows, row_name(*r))]
    except re.error as e:
        ap.error(f"--rows: not a regular expression: {e}")
    if not chosen:
        ap.error(f"--rows: '{args.rows}' matches no row (they are ROWS in scripts/baselines.py)")
    repetitions = args.repetitions or (QUICK_PAIRS if args.quick else None)
    fetch = any(w == "fetch" for _, w, _ in chosen)
    error = setup_error("baselines", args.build, args.out, ["simul-bench"] + (["simul-delay-server"] if fetch else [])
                        + sorted({bare_program(m, w) for m, w, _ in chosen}))
    if error:
        print(error, file=sys.stderr)
        return 2
    rows = chosen
    if args.quick:  # the sizes collapse, so drop the rows that repeat
        rows = [(m, w, {k: QUICK[k] for k in p}) for m, w, p in chosen]
        rows = [r for i, r in enumerate(rows) if rows.index(r) == i]
    stop_on_term()  # the delay server is stopped on the way out
    server, port, server_error = None, None, ""
    try:
        if fetch:
            try:
                server, port = start_delay_server(args.build)
            except DelayServerError as e:  # the fetch rows fail, the others run
                server_error = str(e)
                print(f"baselines: {e}", file=sys.stderr, flush=True)
        results = measure(args.build, rows, repetitions, port, server_error, args.seed)
    except KeyboardInterrupt:
        print("baselines: interrupted; nothing was written", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            stop_delay_server(server)
    doc = {"repetitions": repetitions, "quick": args.quick, "seed": args.seed, "memory_primed": True,
           "adaptive": None if repetitions else {"min_pairs": MIN_PAIRS, "max_pairs": MAX_PAIRS,
                                                 "cheap_max_pairs": CHEAP_MAX_PAIRS, "cheap_row_s": CHEAP_ROW_S,
                                                 "half_width": TARGET_HALF_WIDTH},
           "rows": results}
    sr.write_atomic(args.out / "baselines.json", json.dumps(doc, indent=1) + "\n")
    table = markdown(results, repetitions, args.seed, primed=True)
    sr.write_atomic(args.out / "baselines.md", table)
    print(table)
    failed = [r["name"] for r in results if r["error"] or not r["checksums_agree"]]
    if failed:
        print(f"baselines: {len(failed)} rows failed or disagree: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
