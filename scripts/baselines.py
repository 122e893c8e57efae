#!/usr/bin/env python3
"""The harness, checked: each bare program against the same case in simul-bench.

For every row (a model, a workload and its size) it runs the bare program from
bench/baselines/ and simul-bench's case, alternating which goes first, a few
times each, and writes the medians side by side with simul ÷ bare for makespan
and memory per task in flight. A ratio near 1 says simul's figure is the
model's, not the harness's. Writes baselines.json and baselines.md into --out.

Usage: baselines.py --build DIR --out DIR [--repetitions K] [--quick]
"""

import argparse
import json
import signal
import statistics
import subprocess
import sys
from pathlib import Path

import simul_results as sr

# (model as simul names it, workload, parameters). Sizes are chosen so that
# each run takes seconds: sequential and the pool get shorter waits, since
# 10,000 waits of 100 ms take 1,000 s one at a time.
ROWS = [
    ("sequential", "sleep", {"tasks": 1000, "wait_ms": 1}),
    ("thread_per_task", "sleep", {"tasks": 10000, "wait_ms": 100}),
    ("thread_per_task", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("thread_pool:256", "sleep", {"tasks": 10000, "wait_ms": 10}),
    ("thread_pool:256", "sleep", {"tasks": 100000, "wait_ms": 10}),
    ("coroutine_loop", "sleep", {"tasks": 10000, "wait_ms": 100}),
    ("coroutine_loop", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("coroutine_loop", "sleep", {"tasks": 1000000, "wait_ms": 100}),
    ("stackful_loop", "sleep", {"tasks": 10000, "wait_ms": 100}),
    ("stackful_loop", "sleep", {"tasks": 100000, "wait_ms": 100}),
    ("sequential", "chess", {"boards": 24, "moves": 30, "think_us": 500, "reply_us": 5500}),
    ("coroutine_loop", "chess", {"boards": 24, "moves": 30, "think_us": 500, "reply_us": 5500}),
] + [(m, "file_read", {"files": 64, "file_kib": 1024, "chunk_kib": 64, "cache": "warm", "io": "native"})
     for m in ("sequential", "thread_per_task", "thread_pool:2", "coroutine_loop")]

# A warm pass over the file set takes about 10 ms: both sides make this many
# passes in one process, each from a warm cache, and the median pass counts.
FILE_PASSES = 9

# --quick: the same rows at sizes a test can afford.
QUICK = {"tasks": 20, "wait_ms": 5, "boards": 3, "moves": 2, "think_us": 100, "reply_us": 1000,
         "files": 8, "file_kib": 256, "chunk_kib": 64, "cache": "warm", "io": "native"}

# Below this peak a memory ratio says nothing: a few pages of stack or heap
# either way (sequential holds one task, so its whole peak is a page or two).
MEMORY_FLOOR = 1 << 20


def row_name(model, workload, params):
    return f"{workload}/{model}/" + "/".join(f"{k}:{v}" for k, v in params.items())


def bare_command(build, model, workload, params, steps):
    kind, _, size = model.partition(":")
    exe = build / f"bare-{kind}-{workload}"
    if workload == "sleep":
        args = [params["tasks"], params["wait_ms"]] + ([size] if size else [])
    elif workload == "file_read":
        args = [data_dir(build) / "file_read" / f"{params['files']}x{params['file_kib']}KiB", params["files"],
                params["file_kib"], params["chunk_kib"], FILE_PASSES] + ([size] if size else [])
    else:
        args = [params["boards"], params["moves"], steps, params["reply_us"]]
    return [str(exe)] + [str(a) for a in args]


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


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def measure(build, rows, repetitions):
    results = []
    total = len(rows) * repetitions * 2
    step = 0
    for model, workload, params in rows:
        name = row_name(model, workload, params)
        bare_runs, simul_runs, error = [], [], ""
        try:
            for rep in range(repetitions):
                # Alternate which goes first, so neither always runs on a
                # machine the other has just warmed (or heated).
                for side in (("simul", "bare") if rep % 2 == 0 else ("bare", "simul")):
                    step += 1
                    print(f"[{step}/{total}] {side:5} {name}", file=sys.stderr, flush=True)
                    if side == "simul":
                        simul_runs.append(run_simul(build, model, workload, params))
                    else:
                        # Chess thinks in steps calibrated per process: the bare
                        # program thinks as many as simul's first run did (the
                        # first repetition runs simul first).
                        steps = int(simul_runs[0]["think_steps"] or 0) if workload == "chess" else 0
                        bare_runs.append(run_bare(bare_command(build, model, workload, params, steps)))
        except (sr.CaseRunError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, OSError) as e:
            error = str(e)
            print(f"  failed: {error}", file=sys.stderr, flush=True)
        row = {"name": name, "model": model, "workload": workload, "params": params, "error": error}
        if not error:
            for side, runs in (("bare", bare_runs), ("simul", simul_runs)):
                row[side] = {k: median(runs, k) for k in ("makespan_s", "mem_per_task_bytes", "mem_peak_bytes")}
                row[side]["tasks"] = runs[0]["tasks"]
                row[side]["checksum"] = runs[0]["checksum"]
            row["makespan_ratio"] = row["simul"]["makespan_s"] / row["bare"]["makespan_s"]
            big = max(row["bare"]["mem_peak_bytes"], row["simul"]["mem_peak_bytes"]) >= MEMORY_FLOOR
            bare_mem = row["bare"]["mem_per_task_bytes"]
            row["mem_ratio"] = row["simul"]["mem_per_task_bytes"] / bare_mem if big and bare_mem > 0 else None
            if workload == "file_read":  # the peak is the read buffers, and the programs count tasks differently
                row["mem_ratio"] = None
            row["checksums_agree"] = row["bare"]["checksum"] == row["simul"]["checksum"]
        results.append(row)
    return results


def fmt_seconds(s):
    return f"{s:.3f} s" if s >= 0.1 else f"{s * 1e3:.2f} ms"


def fmt_bytes(b):
    return f"{b / 1024:,.1f} KiB" if b >= 10 * 1024 else f"{b:,.0f} B"


def markdown(results, repetitions):
    lines = [
        "| case | bare makespan | simul makespan | simul ÷ bare | bare mem/task | simul mem/task | simul ÷ bare |"
        " checksums |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        if r["error"]:
            lines.append(f"| `{r['name']}` | failed: {r['error']} | | | | | | |")
            continue
        mem_ratio = (f"{r['mem_ratio']:.3f}" if r["mem_ratio"] is not None
                     else "— (read buffers)" if r["workload"] == "file_read" else "— (peak under 1 MiB)")
        lines.append(
            f"| `{r['name']}` | {fmt_seconds(r['bare']['makespan_s'])} | {fmt_seconds(r['simul']['makespan_s'])} | "
            f"{r['makespan_ratio']:.3f} | {fmt_bytes(r['bare']['mem_per_task_bytes'])} | "
            f"{fmt_bytes(r['simul']['mem_per_task_bytes'])} | {mem_ratio} | "
            f"{'equal' if r['checksums_agree'] else '**differ**'} |")
    lines += ["", f"Medians of {repetitions} runs each, bare and simul alternating. Memory per task is the peak "
              "resident memory above the start, measured the same way in both, divided by the most tasks in "
              "flight at once."]
    return "\n".join(lines) + "\n"


def report_section(folder):
    """REPORT.md's "The harness, checked" lines from folder/baselines.json; none if it is not there."""
    path = Path(folder) / "baselines.json"
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        table = markdown(doc["rows"], doc["repetitions"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return ["## The harness, checked", "", f"`{path.name}` could not be read: {e}", ""]
    return ["## The harness, checked", "",
            "Each model's smallest honest program (`bench/baselines/`), with no harness at all, against the "
            "same case in simul-bench (`scripts/baselines.sh`). A ratio near 1 says that simul's figure is the "
            "model's and not the harness's." + (" These are `--quick` sizes: they check that everything runs "
                                                "and measure nothing." if doc.get("quick") else ""),
            "", table]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, required=True, help="the build folder with simul-bench and bare-*")
    ap.add_argument("--out", type=Path, required=True, help="where baselines.json and baselines.md go")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to check that everything runs")
    args = ap.parse_args(argv)
    if args.repetitions < 1:
        ap.error("--repetitions must be at least 1")
    missing = [n for n in ["simul-bench"] + sorted({f"bare-{m.split(':')[0]}-{w}" for m, w, _ in ROWS})
               if not (args.build / n).exists()]
    if missing:
        print(f"baselines: {', '.join(missing)} not in {args.build} (build them: cmake --build --preset release)",
              file=sys.stderr)
        return 2
    if not args.out.is_dir():
        print(f"baselines: --out {args.out} is not a folder", file=sys.stderr)
        return 2
    rows = ROWS
    if args.quick:  # the sizes collapse, so drop the rows that repeat
        rows = [(m, w, {k: QUICK[k] for k in p}) for m, w, p in ROWS]
        rows = [r for i, r in enumerate(rows) if rows.index(r) == i]
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # TERM as INT: both stop the run with one line, no traceback; the
    # program measuring at that moment is killed by subprocess.run.
    signal.signal(signal.SIGTERM, interrupted)
    try:
        results = measure(args.build, rows, args.repetitions)
    except KeyboardInterrupt:
        print("baselines: interrupted; nothing was written", file=sys.stderr)
        return 130
    doc = {"repetitions": args.repetitions, "quick": args.quick, "rows": results}
    sr.write_atomic(args.out / "baselines.json", json.dumps(doc, indent=1) + "\n")
    sr.write_atomic(args.out / "baselines.md", markdown(results, args.repetitions))
    print(markdown(results, args.repetitions))
    failed = [r["name"] for r in results if r["error"] or not r["checksums_agree"]]
    if failed:
        print(f"baselines: {len(failed)} rows failed or disagree: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
