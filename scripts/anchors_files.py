"""Against fio: each model's file_read case run by simul-bench against fio
on the same files, block size, page-cache state and job count, alternating.
File reads run unpinned on both sides."""

import json
import os
import statistics
import subprocess
import tempfile

import simul_results as sr
from simul_results import CaseRunError as RunError  # one failed measurement: its row says why
from simul_stats import ratio

# file_read: 64 files of 1 MiB (the workload's default), read in 64 KiB and
# 1 MiB chunks; --quick: a small set.
FILE_SET = {"files": 64, "file_kib": 1024}
QUICK_FILE_SET = {"files": 8, "file_kib": 256}
CHUNKS_KIB = [64, 1024]
QUICK_CHUNKS_KIB = [64]
# fio's io_uring depth is the loop's own reads in flight, which depend on the
# chunk (file_read.cpp's read slots: about 512 KiB in flight, 2 to 16 reads).
LOOP_READS_IN_FLIGHT = "loop"
# fio counts whole milliseconds, and one pass over a warm set takes about 10,
# so a warm fio run reads the files over and over for this many seconds: every
# job reads the whole set, each starting at another file, so that the jobs
# overlap for the whole run (the group's MiB/s is then their true sum) and no
# job rereads a set small enough to stay in the CPU's caches. Cold runs read
# each file once, shared out among the jobs: a second pass would be warm.
WARM_SECONDS = 2


def fio_depth(depth, chunk_kib, files):
    if depth == LOOP_READS_IN_FLIGHT:
        depth = min(16, max(2, 512 // chunk_kib))
    return min(depth, files)


def file_rows(models):
    """(simul side, fio side) pairs: the pattern each model is held to. The
    loop is held to one psync job (it runs on one thread) and to io_uring at
    its own depth; a pool of P to P psync jobs; thread-per-task to one job
    per file."""
    rows = []
    for m in models:
        kind, _, size = m.partition(":")
        if kind == "sequential":
            rows.append(((m, None), ("psync", 1, 1)))
        elif kind == "coroutine_loop" and not size:
            rows.append(((m, "native"), ("psync", 1, 1)))
            rows.append(((m, "native"), ("io_uring", 1, LOOP_READS_IN_FLIGHT)))
            rows.append(((m, "offload"), ("psync", 1, 1)))
        elif kind == "thread_pool":
            rows.append(((m, None), ("psync", int(size), 1)))
        elif kind == "thread_per_task":
            rows.append(((m, None), ("psync", "files", 1)))
    return rows


def data_files(data_dir, files, kib):
    folder = data_dir / "file_read" / f"{files}x{kib}KiB"
    names = sorted(p.name for p in folder.glob("f*.dat"))
    if len(names) != files:
        raise RunError(f"the data set in {folder} has {len(names)} files, not {files} (simul-bench makes it)")
    return folder, names


def read_through(folder, names):
    for n in names:
        with open(folder / n, "rb") as f:
            while f.read(1 << 20):
                pass


def fio_job(folder, names, engine, jobs, depth, chunk_kib, cache, warm_seconds=WARM_SECONDS):
    """A fio job file: `jobs` jobs reading files whole, in order, in chunk_kib
    blocks; cold: the files shared out (file i to job i mod jobs), one pass;
    warm: each job the whole set from file j·K/jobs on, for warm_seconds."""
    warm = cache == "warm"
    lines = ["[global]", f"directory={folder}", f"ioengine={engine}", "rw=read", f"bs={chunk_kib}k",
             f"iodepth={depth}", "direct=0", f"invalidate={0 if warm else 1}",
             *(["time_based=1", f"runtime={warm_seconds}"] if warm else ["loops=1"]),
             "thread=1", "group_reporting=1",
             # io_uring at depth D across D files keeps one read per file in
             # flight, as the loop does; psync reads a file to its end first.
             f"file_service_type={'roundrobin' if depth > 1 else 'sequential'}", ""]
    for j in range(jobs):
        start = j * len(names) // jobs
        mine = names[start:] + names[:start] if warm else names[j::jobs]
        lines += [f"[job{j}]", "filename=" + ":".join(mine), ""]
    return "\n".join(lines)


def run_fio(job_text, folder, names, cache):
    if cache == "warm":
        read_through(folder, names)
    with tempfile.NamedTemporaryFile("w", suffix=".fio", delete=False) as f:
        f.write(job_text)
    try:
        out = subprocess.run(["fio", "--output-format=json", f.name], capture_output=True, text=True, timeout=600)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise RunError(f"fio exited {out.returncode}: {out.stderr.strip()[-200:]}")
    doc = json.loads(out.stdout[out.stdout.find("{"):])
    read = doc["jobs"][0]["read"]
    runtime_s = read.get("runtime", 0) / 1e3
    mib = read["io_bytes"] / runtime_s / (1 << 20) if runtime_s > 0 else read["bw_bytes"] / (1 << 20)
    return {"mib_per_s": mib}


# One pass over the set takes about 10 ms warm: simul-bench makes that many
# passes in one process (each case prepares the cache state again) and the
# median is the figure, as fio's is a long run's average.
SIMUL_PASSES = 9


def run_simul_file(build, model, io, cache, chunk_kib, file_set, data_dir, passes=SIMUL_PASSES):
    b = sr.run_case(build, model, "file_read", {
        "files": file_set["files"], "file_kib": file_set["file_kib"], "chunk_kib": chunk_kib,
        "cache": cache, "io": io or "native"}, [f"--data-dir={data_dir}"], repetitions=passes)
    # ideal_s: the checksum alone, spread over the model's CPUs.
    return {"mib_per_s": b["mib_per_s"], "checksum_s": b["ideal_s"], "label": b.get("label", "")}


def measure_files(build, models, args, file_set, chunks, data_dir, log):
    pairs = file_rows(models)
    simul_sides = list(dict.fromkeys(s for s, _ in pairs))
    fio_sides = list(dict.fromkeys(f for _, f in pairs))
    rows = []
    groups = [(cache, chunk) for chunk in chunks for cache in ("cold", "warm")]
    total = len(groups) * args.repetitions * (len(simul_sides) + len(fio_sides))
    step = 0
    for cache, chunk in groups:
        runs, errors = {}, {}
        for rep in range(args.repetitions):
            # simul first in the first repetition: it makes the data set.
            order = [("simul", s) for s in simul_sides] + [("fio", f) for f in fio_sides]
            for side in (order if rep % 2 == 0 else order[::-1]):
                step += 1
                log(f"[{step}/{total}] {side[0]} {side[1]}, {cache}, {chunk} KiB chunks")
                if side in errors:
                    continue
                try:
                    if side[0] == "simul":
                        model, io = side[1]
                        r = run_simul_file(build, model, io, cache, chunk, file_set, data_dir,
                                           1 if args.quick else SIMUL_PASSES)
                    else:
                        engine, jobs, depth = side[1]
                        folder, names = data_files(data_dir, file_set["files"], file_set["file_kib"])
                        jobs = file_set["files"] if jobs == "files" else min(jobs, file_set["files"])
                        job = fio_job(folder, names, engine, jobs, fio_depth(depth, chunk, file_set["files"]), chunk,
                                      cache, 1 if args.quick else WARM_SECONDS)
                        r = run_fio(job, folder, names, cache)
                    runs.setdefault(side, []).append(r)
                except (RunError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, OSError) as e:
                    errors[side] = str(e)
                    log(f"  failed: {e}")
        for (model, io), (engine, jobs, depth) in pairs:
            s, f = ("simul", (model, io)), ("fio", (engine, jobs, depth))
            jobs_n = file_set["files"] if jobs == "files" else min(jobs, file_set["files"])
            row = {"model": model, "io": io or "", "cache": cache, "chunk_kib": chunk,
                   "fio_pattern": {"engine": engine, "numjobs": jobs_n,
                                   "iodepth": fio_depth(depth, chunk, file_set["files"])},
                   "error": errors.get(s) or errors.get(f, "")}
            if not row["error"]:
                row["simul_mib_per_s"] = statistics.median(r["mib_per_s"] for r in runs[s])
                row["fio_mib_per_s"] = statistics.median(r["mib_per_s"] for r in runs[f])
                row["ratio"] = ratio(row["simul_mib_per_s"], row["fio_mib_per_s"])
                # What simul's pass takes beyond fio's time for the same bytes,
                # against what its checksum alone takes.
                mib = file_set["files"] * file_set["file_kib"] / 1024
                row["gap_ms"] = 1e3 * (mib / row["simul_mib_per_s"] - mib / row["fio_mib_per_s"])
                row["checksum_ms"] = 1e3 * statistics.median(r["checksum_s"] for r in runs[s])
                row["simul_label"] = runs[s][0]["label"]
            rows.append(row)
    return rows
