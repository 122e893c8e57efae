#!/usr/bin/env python3
"""The harness's extra work on a loop, counted: instructions a task under callgrind, simul against the bare program.

baselines.py times each bare program against simul's case; on a shared
machine a time varies by 10 to 20% from run to run, and a few percent of
harness cost hides in that. callgrind (valgrind) counts the instructions a
program executes instead: for the same binary and input, the same count
to within 0.2% run after run, whatever else the machine does (the rest is
how often the loop wakes, which timing decides). It counts instructions, not
cycles (a cache miss or a locked instruction counts as one), so it says
where extra work is and how much; time says what it costs.

The rows are baselines.py's sleep rows on one Asio loop (coroutine_loop,
stackful_loop): on both sides the whole run, the tasks' spawning too, is
Asio's scheduler::run on one thread, so counting only inside it
(--toggle-collect) leaves out the same things from both, the process's
start and end, simul's set-up, summary and meter sampler, and the bare
program's own measuring. Writes instructions.json and instructions.md into
--out.

Usage: instructions.py --build DIR --out DIR [--rows REGEX] [--quick]
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import baselines as bl
import simul_results as sr

MODELS = ("coroutine_loop", "stackful_loop")
# Under callgrind a program runs some 50 times slower: the 1,000,000 row
# takes about 80 s a side, so it is left out unless --rows asks for it.
DEFAULT_ROWS = r"tasks:(10000|100000)/"
# What still varies between runs is how often the loop wakes, which timing
# decides: with 300 tasks waiting 5 ms, 0.3%. A wait far shorter than the
# spawning under valgrind (1 ms against some 50) has every timer expired
# when the loop first looks, and the count repeats exactly.
QUICK = {"tasks": 1000, "wait_ms": 1}
TOGGLE = "boost::asio::detail::scheduler::run*"


def rows(pattern, quick):
    chosen = [(m, w, p) for m, w, p in bl.ROWS
              if m in MODELS and w == "sleep" and re.search(pattern, bl.row_name(m, w, p))]
    if quick:  # one size a model
        chosen = list({m: (m, w, dict(QUICK)) for m, w, _ in chosen}.values())
    return chosen


def sanitized(build):
    """True if `build` was configured with a sanitizer (the sanitize and tsan
    presets): valgrind cannot run such a program."""
    cache = Path(build) / "CMakeCache.txt"
    return cache.exists() and "-fsanitize" in cache.read_text(encoding="utf-8", errors="replace")


def callgrind(out_file):
    return ["valgrind", "--tool=callgrind", f"--toggle-collect={TOGGLE}", f"--callgrind-out-file={out_file}"]


def total_instructions(out_file):
    """The instruction total of a callgrind output file (its `totals:` line)."""
    for line in Path(out_file).read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise sr.CaseRunError(f"{out_file}: no totals line; callgrind did not finish")


def count_bare(build, model, params, tmp):
    out_file = Path(tmp) / "bare.out"
    command = bl.bare_command(build, model, "sleep", params, None, None)
    run = subprocess.run(callgrind(out_file) + command, capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        raise sr.CaseRunError(f"{Path(command[0]).name} under valgrind exited {run.returncode}: "
                              f"{run.stderr.strip()[-300:]}")
    r = json.loads(run.stdout.strip().splitlines()[-1])
    return total_instructions(out_file), r["tasks"], r["checksum"]


def count_simul(build, model, params, tmp):
    out_file = Path(tmp) / "simul.out"
    b = sr.run_case(build, model, "sleep", params, prefix=callgrind(out_file))
    return total_instructions(out_file), int(b["tasks"]), int(b["checksum"])


def measure(build, chosen):
    results = []
    begun = time.monotonic()
    for k, (model, workload, params) in enumerate(chosen):
        name = bl.row_name(model, workload, params)
        left = "" if k == 0 else f" (about {(time.monotonic() - begun) / k * (len(chosen) - k) / 60:.0f} min left)"
        print(f"[{k + 1}/{len(chosen)}] {name}{left}", file=sys.stderr, flush=True)
        row = {"name": name, "model": model, "params": params, "error": ""}
        try:
            with tempfile.TemporaryDirectory() as tmp:
                bare, bare_tasks, bare_sum = count_bare(build, model, params, tmp)
                simul, simul_tasks, simul_sum = count_simul(build, model, params, tmp)
            if (bare_tasks, bare_sum) != (simul_tasks, simul_sum):
                raise sr.CaseRunError(f"not the same work: bare {bare_tasks} tasks, checksum {bare_sum}; "
                                      f"simul {simul_tasks} tasks, checksum {simul_sum}")
            row.update(tasks=bare_tasks, bare_instructions=bare, simul_instructions=simul,
                       bare_per_task=bare / bare_tasks, simul_per_task=simul / simul_tasks,
                       ratio=simul / bare)
        except (sr.CaseRunError, subprocess.TimeoutExpired, ValueError, KeyError, OSError) as e:
            row["error"] = str(e)
            print(f"instructions: {name}: {e}", file=sys.stderr, flush=True)
        results.append(row)
    return results


def markdown(results):
    lines = ["| case | bare, a task | simul, a task | simul − bare | simul ÷ bare |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for r in results:
        if r["error"]:
            lines.append(f"| `{r['name']}` | failed: {r['error']} | | | |")
            continue
        lines.append(f"| `{r['name']}` | {r['bare_per_task']:,.0f} | {r['simul_per_task']:,.0f} | "
                     f"{r['simul_per_task'] - r['bare_per_task']:,.0f} | {r['ratio']:.3f} |")
    return "\n".join(lines) + (
        "\n\nInstructions a task (callgrind's total inside Asio's scheduler::run, over the tasks), one run "
        "of each side: the count repeats to within 0.2% (how often the loop wakes is left to timing). "
        "Instructions, not time: a cache miss or a locked instruction counts as one.\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, required=True, help="the build folder with simul-bench and bare-*")
    ap.add_argument("--out", type=Path, required=True, help="where instructions.json and instructions.md go")
    ap.add_argument("--rows", default=DEFAULT_ROWS, metavar="REGEX",
                    help=f"the loop sleep rows whose name matches (default: '{DEFAULT_ROWS}')")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK['tasks']} tasks a row, to check that it runs")
    args = ap.parse_args(argv)
    try:
        chosen = rows(args.rows, args.quick)
    except re.error as e:
        ap.error(f"--rows: not a regular expression: {e}")
    if not chosen:
        ap.error(f"--rows: '{args.rows}' matches no loop sleep row (ROWS in scripts/baselines.py)")
    if shutil.which("valgrind") is None:
        print("instructions: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    error = bl.setup_error("instructions", args.build, args.out,
                           ["simul-bench"] + sorted({bl.bare_program(m, w) for m, w, _ in chosen}))
    if error:
        print(error, file=sys.stderr)
        return 2
    if sanitized(args.build):
        print(f"instructions: {args.build} is a sanitizer build, which valgrind cannot run; "
              "use a release build (cmake --build --preset release)", file=sys.stderr)
        return 2
    bl.stop_on_term()  # valgrind is killed on the way out
    try:
        results = measure(args.build, chosen)
    except KeyboardInterrupt:
        print("instructions: interrupted; nothing was written", file=sys.stderr)
        return 130
    sr.write_atomic(args.out / "instructions.json", json.dumps({"quick": args.quick, "rows": results}, indent=1) + "\n")
    table = markdown(results)
    sr.write_atomic(args.out / "instructions.md", table)
    print(table, end="")
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
