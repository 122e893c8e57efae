#!/usr/bin/env python3
"""Against the best tools: simul's servers against nginx, its file reads against fio.

serve: nginx with one worker (the echo module answering the same 1,023 bytes
as /delay?ms=0&bytes=1023, after an echo_sleep for 10 ms) against simul-serve
for every model, each under the same wrk command, at 0 and 10 ms of backend
wait and 50 and 1,000 connections: requests/s and p99, simul ÷ nginx.
file_read: fio on the same files, block size, page-cache state and job count
against each model's file_read case run by simul-bench: MiB/s, simul ÷ fio.

Rival and simul alternate (which goes first flips every repetition) and the
medians are reported. Where the machine has two CPUs or more, the load
generator (wrk) runs on the first and the server under test (nginx or
simul-serve) on the others, as the serve workload does; file reads run
unpinned on both sides. Writes anchors.json and anchors.md into --out.

Usage: anchors.py --build DIR --out DIR [--repetitions K] [--duration S] [--quick]
                  [--models LIST] [--waits MS,..] [--conns C,..] [--nginx-port N] [--simul-port N]
                  [--no-fio] [--no-serve]
"""

import argparse
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import simul_results as sr

ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
BODY_BYTES = 1023
SERVE_CONDITIONS = [(0, 50), (0, 1000), (10, 50), (10, 1000)]  # (backend wait ms, connections)
QUICK_CONDITIONS = [(0, 50), (10, 50)]
# file_read: 64 files of 1 MiB (the workload's default), read in 64 KiB and
# 1 MiB chunks; --quick: a small set.
FILE_SET = {"files": 64, "file_kib": 1024}
QUICK_FILE_SET = {"files": 8, "file_kib": 256}
CHUNKS_KIB = [64, 1024]
QUICK_CHUNKS_KIB = [64]
# fio's io_uring depth is the loop's own reads in flight, which depend on the
# chunk (file_read.cpp's read slots: about 512 KiB in flight, 2 to 16 reads).
LOOP_READS_IN_FLIGHT = "loop"


def fio_depth(depth, chunk_kib, files):
    if depth == LOOP_READS_IN_FLIGHT:
        depth = min(16, max(2, 512 // chunk_kib))
    return min(depth, files)
# fio counts whole milliseconds, and one pass over a warm set takes about 10,
# so a warm fio run reads the files over and over for this many seconds: every
# job reads the whole set, each starting at another file, so that the jobs
# overlap for the whole run (the group's MiB/s is then their true sum) and no
# job rereads a set small enough to stay in the CPU's caches. Cold runs read
# each file once, shared out among the jobs: a second pass would be warm.
WARM_SECONDS = 2


class UsageError(Exception):
    """Bad input or a missing tool: one line, exit code 2."""


# One measurement failed (simul-bench's or a rival's): its row says why and
# the run goes on.
RunError = sr.CaseRunError


# ---- CPUs and processes --------------------------------------------------

def cpu_split():
    """(load CPUs, server CPUs, description); both None on one CPU. The same
    split as the serve workload (bench/net/pinning.hpp): the first allowed
    CPU for the load, the rest for the server."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None, f"not pinned: {len(allowed)} CPU"
    load, server = allowed[:1], allowed[1:]
    return load, server, f"pinned: server on CPU {','.join(map(str, server))}, load on CPU {load[0]}"


def on_cpus(cpus, command):
    return (["taskset", "-c", ",".join(map(str, cpus))] if cpus else []) + command


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Processes:
    """Every server this script starts, each in a session of its own, so that
    stopping it stops its children too (nginx's worker); all are stopped on
    the way out, however the script ends."""

    def __init__(self):
        self.running = []

    def start(self, command, **kw):
        p = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True, **kw)
        self.running.append(p)
        return p

    def stop(self, p, grace=5.0):
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # The group may outlive its leader (a worker whose master died first).
        deadline = time.monotonic() + 5
        while group_alive(p.pid) and time.monotonic() < deadline:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        if p in self.running:
            self.running.remove(p)

    def stop_all(self):
        for p in list(self.running):
            self.stop(p, grace=2.0)


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_listening(port, process, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RunError(f"{what} exited with code {process.returncode} before it listened on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RunError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read()


# ---- serve: nginx and simul-serve under wrk ------------------------------

def nginx_config(folder, port, body):
    """One worker on 127.0.0.1:port; /delay answers body, after 10 ms when
    ms=10. Keep-alive connections are not closed after nginx's default of
    1,000 requests (simul-serve closes none either)."""
    text = body.decode("ascii")
    return f"""load_module {ECHO_MODULE};
worker_processes 1;
worker_rlimit_nofile 8192;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  default_type text/plain;
  server {{
    listen 127.0.0.1:{port};
    location = /delay {{
      if ($arg_ms = "10") {{ echo_sleep 0.010; echo -n "{text}"; }}
      echo -n "{text}";
    }}
  }}
}}
"""


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(text):
    """Requests/s, p99 (ms) and errors from wrk --latency's report."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    if not rps:
        raise RunError(f"wrk printed no requests/s: {text.strip()[-200:]}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return {"rps": float(rps.group(1)), "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)] if p99 else None,
            "errors": errors + (int(non2xx.group(1)) if non2xx else 0)}


def run_wrk(port, wait_ms, conns, duration, load_cpus):
    command = on_cpus(load_cpus, ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "2s",
                                  f"http://127.0.0.1:{port}/delay?ms={wait_ms}&bytes={BODY_BYTES}"])
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, preexec_fn=raise_nofile)
    except subprocess.TimeoutExpired:
        raise RunError("wrk did not finish in time")
    if out.returncode != 0:
        raise RunError(f"wrk exited {out.returncode}: {out.stderr.strip()[-200:]}")
    return parse_wrk(out.stdout)


def start_simul_serve(procs, build, model, port, server_cpus):
    p = procs.start(on_cpus(server_cpus, [str(build / "simul-serve"), f"--model={model}", f"--port={port}"]),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready, _, _ = select.select([p.stdout], [], [], 10)
    line = p.stdout.readline().decode(errors="replace") if ready else ""
    if "listening on" not in line:
        procs.stop(p)
        raise RunError(f"simul-serve --model={model} did not start: {p.stderr.read().decode(errors='replace')[-200:]}")
    return p


def measure_serve(procs, build, models, conditions, args, split, folder, log):
    load_cpus, server_cpus, _ = split
    serve = start_simul_serve(procs, build, "coroutine_loop", args.simul_port, server_cpus)
    try:
        body = get(args.simul_port, f"/delay?ms=0&bytes={BODY_BYTES}")
    finally:
        procs.stop(serve)
    (folder / "nginx.conf").write_text(nginx_config(folder, args.nginx_port, body))
    nginx = procs.start(on_cpus(server_cpus, ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                              "-e", str(folder / "error.log")]),
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rows = []
    try:
        wait_listening(args.nginx_port, nginx, "nginx")
        for wait_ms in sorted({w for w, _ in conditions}):
            if get(args.nginx_port, f"/delay?ms={wait_ms}&bytes={BODY_BYTES}") != body:
                raise RunError(f"nginx's answer at {wait_ms} ms is not simul's body")
        total = len(conditions) * args.repetitions * (len(models) + 1)
        step = 0
        for wait_ms, conns in conditions:
            runs = {m: [] for m in ["nginx"] + models}
            errors = {}
            for rep in range(args.repetitions):
                order = ["nginx"] + models if rep % 2 == 0 else models + ["nginx"]
                for side in order:
                    step += 1
                    log(f"[{step}/{total}] {side} at {wait_ms} ms, {conns} connections")
                    if side in errors:
                        continue
                    try:
                        if side == "nginx":
                            runs[side].append(run_wrk(args.nginx_port, wait_ms, conns, args.duration, load_cpus))
                            continue
                        p = start_simul_serve(procs, build, side, args.simul_port, server_cpus)
                        try:
                            runs[side].append(run_wrk(args.simul_port, wait_ms, conns, args.duration, load_cpus))
                        finally:
                            procs.stop(p)
                    except RunError as e:
                        errors[side] = str(e)
                        log(f"  failed: {e}")
            rival = summarize(runs["nginx"])
            for m in models:
                row = {"wait_ms": wait_ms, "conns": conns, "model": m, "nginx": rival, "simul": summarize(runs[m]),
                       "error": errors.get(m) or errors.get("nginx", "")}
                if not row["error"]:
                    row["rps_ratio"] = ratio(row["simul"]["rps"], rival["rps"])
                    row["p99_ratio"] = ratio(row["simul"]["p99_ms"], rival["p99_ms"])
                rows.append(row)
        if nginx.poll() is not None:
            raise RunError(f"nginx exited during the run (code {nginx.returncode})")
    finally:
        procs.stop(nginx)
    return rows


def summarize(runs):
    if not runs:
        return None
    p99s = [r["p99_ms"] for r in runs if r["p99_ms"] is not None]
    return {"rps": statistics.median(r["rps"] for r in runs), "p99_ms": statistics.median(p99s) if p99s else None,
            "errors": max(r["errors"] for r in runs), "runs": len(runs)}


def ratio(a, b):
    return a / b if a is not None and b else None


# ---- file_read: fio and simul-bench --------------------------------------

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
                        job = fio_job(folder, names, engine, jobs, fio_depth(depth, chunk, file_set["files"]), chunk, cache,
                                      1 if args.quick else WARM_SECONDS)
                        r = run_fio(job, folder, names, cache)
                    runs.setdefault(side, []).append(r)
                except (RunError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, OSError) as e:
                    errors[side] = str(e)
                    log(f"  failed: {e}")
        for (model, io), (engine, jobs, depth) in pairs:
            s, f = ("simul", (model, io)), ("fio", (engine, jobs, depth))
            jobs_n = file_set["files"] if jobs == "files" else min(jobs, file_set["files"])
            row = {"model": model, "io": io or "", "cache": cache, "chunk_kib": chunk,
                   "fio_pattern": {"engine": engine, "numjobs": jobs_n, "iodepth": fio_depth(depth, chunk, file_set["files"])},
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


# ---- output --------------------------------------------------------------

def fmt(v, digits=2):
    return "–" if v is None else f"{v:,.{digits}f}"


def markdown(doc):
    lines = [f"Pinning (serve; file reads run unpinned on both sides): {doc['pinning']}. Medians of {doc['repetitions']} runs each, rival and simul alternating"
             f" (which goes first flips every repetition). Load average before and after: {doc['loadavg_before']}"
             f" / {doc['loadavg_after']}.", ""]
    if doc.get("serve"):
        lines += ["**serve**: `wrk -t1 -cC -dT --latency` against nginx (one worker, the echo module) and "
                  f"`simul-serve --model=M`, {doc['duration_s']} s each, `GET /delay?ms=D&bytes={BODY_BYTES}`. nginx "
                  "answers the same bytes (chunked; simul-serve sends a Content-Length).", "",
                  "| wait | conns | model | nginx req/s | simul req/s | simul ÷ nginx | nginx p99 | simul p99 |"
                  " p99 simul ÷ nginx | errors nginx / simul |",
                  "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in doc["serve"]:
            head = f"| {r['wait_ms']} ms | {r['conns']:,} | `{r['model']}` |"
            if r["error"]:
                lines.append(f"{head} failed: {r['error']} | | | | | | |")
                continue
            n, s = r["nginx"], r["simul"]
            lines.append(f"{head} {fmt(n['rps'], 0)} | {fmt(s['rps'], 0)} | {fmt(r['rps_ratio'])} | "
                         f"{fmt(n['p99_ms'])} ms | {fmt(s['p99_ms'])} ms | {fmt(r['p99_ratio'])} | "
                         f"{n['errors']} / {s['errors']} |")
        lines += ["", "errors: wrk's socket errors (timeouts at 2 s included) and non-2xx answers, the most of any "
                  "run. A model that serves fewer connections than wrk opens (sequential, a pool smaller than C) "
                  "leaves the rest waiting: timeouts, not a fault.", ""]
    if doc.get("file_read"):
        fs = doc["file_set"]
        lines += [f"**file_read**: {fs['files']} files of {fs['file_kib']} KiB, read whole; fio on the same files "
                  "(`rw=read`, `direct=0`, threads; cold: `invalidate=1`, the same fadvise DONTNEED simul's "
                  "eviction makes, one pass, the files shared out among the jobs; warm: read once before, "
                  "`invalidate=0`, every job reading the whole set over and over for 1 to 2 s from its own "
                  "starting file, since one pass is shorter than fio's millisecond clock can time) against "
                  "simul-bench's case (the median of several passes in one process, each preparing the cache "
                  "state again; a pass's makespan includes starting the model's threads, where fio starts its "
                  "jobs before its clock). fio does not touch the data; simul checksums every byte: *gap* is "
                  "what simul's pass takes beyond fio's time for the same bytes, *checksum* what hashing them "
                  "alone takes on the model's CPUs (its ideal makespan). With many jobs on few CPUs a cold pass "
                  "can be overstated: fio divides the bytes by the longest job's time, as if the jobs had "
                  "overlapped.", "",
                  "| cache | chunk | model | fio | fio MiB/s | simul MiB/s | simul ÷ fio | gap, ms | checksum, ms |",
                  "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in doc["file_read"]:
            p = r["fio_pattern"]
            pattern = f"{p['engine']}, {p['numjobs']} job{'s' if p['numjobs'] > 1 else ''}" + \
                (f", iodepth {p['iodepth']}" if p["iodepth"] > 1 else "")
            model = f"`{r['model']}`" + (f" ({r['io']})" if r["io"] else "")
            head = f"| {r['cache']} | {r['chunk_kib']} KiB | {model} | {pattern} |"
            if r["error"]:
                lines.append(f"{head} failed: {r['error']} | | | | |")
            else:
                lines.append(f"{head} {fmt(r['fio_mib_per_s'], 0)} | {fmt(r['simul_mib_per_s'], 0)} | "
                             f"{fmt(r['ratio'])} | {fmt(r.get('gap_ms'), 1)} | {fmt(r.get('checksum_ms'), 1)} |")
        lines.append("")
    for why in doc.get("skipped", []):
        lines += [f"Not measured: {why}.", ""]
    return "\n".join(lines)


def report_section(folder):
    """REPORT.md's "Against the best tools", from anchors.json in folder: []
    when there is none, one line when it cannot be read."""
    path = Path(folder) / "anchors.json"
    if not path.exists():
        return []
    head = ["## Against the best tools", ""]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        body = markdown(doc)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        return head + [f"`anchors.json` could not be read ({e.__class__.__name__}: {e}); "
                       "run scripts/anchors.sh again.", ""]
    return head + ["From `anchors.json` (`scripts/anchors.sh`): the same work done by the best tools for it, on "
                   "the same machine in the same run. A ratio near 1 says the model, not simul's code, sets its "
                   "figure.", "", body]


def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def default_models():
    p = len(os.sched_getaffinity(0))
    return ["sequential", "thread_per_task", "thread_pool:2", "thread_pool:24", "coroutine_loop",
            f"coroutine_loop:{p}", f"shared_loop:{p}"]


def whole_numbers(text, flag, allowed):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or any(v < 1 and flag == "--conns" for v in values) or (allowed and not set(values) <= allowed):
        raise UsageError(f"{flag} '{text}' is not a list of " + ("0 and/or 10 (what nginx's config answers)"
                                                                 if allowed else "positive whole numbers"))
    return values


def check_tools(need_fio):
    tools = [("nginx", "nginx-light"), ("wrk", "wrk"), ("taskset", "util-linux")] + ([("fio", "fio")] if need_fio else [])
    for tool, package in tools:
        if shutil.which(tool) is None:
            raise UsageError(f"{tool} is not installed (scripts/anchors.sh installs it: apt-get install {package})")
    if not ECHO_MODULE.exists():
        raise UsageError(f"nginx's echo module is not installed ({ECHO_MODULE}; apt-get install libnginx-mod-http-echo)")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, required=True, help="the build folder with simul-bench and simul-serve")
    ap.add_argument("--out", type=Path, required=True, help="where anchors.json and anchors.md go")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5, help="seconds of wrk per run")
    ap.add_argument("--models", help="comma-separated models (default: every model, pools of 2 and 24, loops of "
                                     "P = the CPUs)")
    ap.add_argument("--waits", help="backend waits in ms, comma-separated (default: 0,10)")
    ap.add_argument("--conns", help="wrk connections, comma-separated (default: 50,1000)")
    ap.add_argument("--nginx-port", type=int, default=18080)
    ap.add_argument("--simul-port", type=int, default=18081)
    ap.add_argument("--no-fio", action="store_true", help="serve only")
    ap.add_argument("--no-serve", action="store_true", help="file_read only")
    ap.add_argument("--quick", action="store_true", help="1 s runs, the loop only, small files: checks that it runs")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    procs = Processes()

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    try:
        if args.repetitions < 1 or args.duration < 1:
            raise UsageError("--repetitions and --duration must be at least 1")
        for n in ("simul-bench", "simul-serve"):
            if not (args.build / n).exists():
                raise UsageError(f"{n} is not in {args.build} (build it: cmake --build --preset release)")
        if not args.out.is_dir():
            raise UsageError(f"--out {args.out} is not a folder")
        for name, port in (("--nginx-port", args.nginx_port), ("--simul-port", args.simul_port)):
            if not 1 <= port <= 65535 or not port_free(port):
                raise UsageError(f"port {port} is taken or not a port (choose another with {name}=N)")
        if args.nginx_port == args.simul_port:
            raise UsageError("--nginx-port and --simul-port must differ")
        if args.quick:
            args.duration, args.repetitions = 1, 1
        models = args.models.split(",") if args.models else (["coroutine_loop"] if args.quick else default_models())
        conditions = QUICK_CONDITIONS if args.quick else SERVE_CONDITIONS
        if args.waits or args.conns:
            waits = whole_numbers(args.waits, "--waits", {0, 10}) if args.waits else sorted({w for w, _ in conditions})
            conns = whole_numbers(args.conns, "--conns", None) if args.conns else sorted({c for _, c in conditions})
            conditions = [(w, c) for w in waits for c in conns]
        do_fio = not args.no_fio and shutil.which("fio") is not None
        check_tools(need_fio=not args.no_fio and not args.quick)
        build, split = args.build.resolve(), cpu_split()
        doc = {"pinning": split[2], "repetitions": args.repetitions, "duration_s": args.duration,
               "quick": args.quick, "models": models, "loadavg_before": loadavg(), "skipped": []}
        doc["serve"] = []
        if args.no_serve:
            doc["skipped"].append("serve against nginx (--no-serve)")
        else:
            with tempfile.TemporaryDirectory(prefix="simul-anchors-") as tmp:
                doc["serve"] = measure_serve(procs, build, models, conditions, args, split, Path(tmp), log)
        if do_fio:
            file_set = QUICK_FILE_SET if args.quick else FILE_SET
            doc["file_set"] = file_set
            doc["file_read"] = measure_files(build, models, args, file_set,
                                             QUICK_CHUNKS_KIB if args.quick else CHUNKS_KIB,
                                             build / "data", log)
        else:
            doc["skipped"].append("file_read against fio (" + ("--no-fio" if args.no_fio else "fio is not installed")
                                  + ")")
        doc["loadavg_after"] = loadavg()
    except UsageError as e:
        print(f"anchors: {e}", file=sys.stderr)
        return 2
    except RunError as e:
        print(f"anchors: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("anchors: interrupted; every server it started is stopped", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
    sr.write_atomic(args.out / "anchors.json", json.dumps(doc, indent=1) + "\n")
    sr.write_atomic(args.out / "anchors.md", markdown(doc))
    print(markdown(doc))
    failed = [r for r in doc["serve"] + doc.get("file_read", []) if r["error"]]
    if failed:
        print(f"anchors: {len(failed)} rows failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
