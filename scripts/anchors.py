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

This file is the command line and the run's order; anchors_serve.py and
anchors_files.py measure, anchors_report.py writes the tables.

Usage: anchors.py --build DIR --out DIR [--repetitions K] [--duration S] [--quick]
                  [--models LIST] [--waits MS,..] [--conns C,..] [--nginx-port N] [--simul-port N]
                  [--no-fio] [--no-serve]
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import anchors_files
import anchors_report
import anchors_serve
from simul_results import CaseRunError as RunError


class UsageError(Exception):
    """Bad input or a missing tool: one line, exit code 2."""


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
    tools = [("nginx", "nginx-light"), ("wrk", "wrk"), ("taskset", "util-linux")]
    tools += [("fio", "fio")] if need_fio else []
    for tool, package in tools:
        if shutil.which(tool) is None:
            raise UsageError(f"{tool} is not installed (scripts/anchors.sh installs it: apt-get install {package})")
    if not anchors_serve.ECHO_MODULE.exists():
        raise UsageError(f"nginx's echo module is not installed ({anchors_serve.ECHO_MODULE}; "
                         "apt-get install libnginx-mod-http-echo)")


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
    ap.add_argument("--host", default="127.0.0.1", help="where the servers listen and wrk connects (IPv6 too)")
    ap.add_argument("--load-netns", help="run wrk in this network namespace (anchors.sh --netns)")
    ap.add_argument("--network", default="loopback", help="what the tables say of the network between them")
    ap.add_argument("--no-fio", action="store_true", help="serve only")
    ap.add_argument("--no-serve", action="store_true", help="file_read only")
    ap.add_argument("--quick", action="store_true", help="1 s runs, the loop only, small files: checks that it runs")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    log = lambda m: print(m, file=sys.stderr, flush=True)
    procs = anchors_serve.Processes()

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    try:
        anchors_serve.HOST = args.host.strip("[]")
        anchors_serve.LOAD_PREFIX = ["ip", "netns", "exec", args.load_netns] if args.load_netns else []
        if args.repetitions < 1 or args.duration < 1:
            raise UsageError("--repetitions and --duration must be at least 1")
        for n in ("simul-bench", "simul-serve"):
            if not (args.build / n).exists():
                raise UsageError(f"{n} is not in {args.build} (build it: cmake --build --preset release)")
        if not args.out.is_dir():
            raise UsageError(f"--out {args.out} is not a folder")
        for name, port in (("--nginx-port", args.nginx_port), ("--simul-port", args.simul_port)):
            if not 1 <= port <= 65535 or not anchors_serve.port_free(port):
                raise UsageError(f"port {port} is taken or not a port (choose another with {name}=N)")
        if args.nginx_port == args.simul_port:
            raise UsageError("--nginx-port and --simul-port must differ")
        if args.quick:
            args.duration, args.repetitions = 1, 1
        models = args.models.split(",") if args.models else (["coroutine_loop"] if args.quick else default_models())
        conditions = anchors_serve.QUICK_CONDITIONS if args.quick else anchors_serve.SERVE_CONDITIONS
        if args.waits or args.conns:
            waits = whole_numbers(args.waits, "--waits", {0, 10}) if args.waits else sorted({w for w, _ in conditions})
            conns = whole_numbers(args.conns, "--conns", None) if args.conns else sorted({c for _, c in conditions})
            conditions = [(w, c) for w in waits for c in conns]
        do_fio = not args.no_fio and shutil.which("fio") is not None
        check_tools(need_fio=not args.no_fio and not args.quick)
        build, split = args.build.resolve(), anchors_serve.cpu_split()
        doc = {"pinning": split[2], "network": args.network, "repetitions": args.repetitions,
               "duration_s": args.duration,
               "quick": args.quick, "models": models, "loadavg_before": loadavg(), "skipped": []}
        doc["serve"] = []
        if args.no_serve:
            doc["skipped"].append("serve against nginx (--no-serve)")
        else:
            with tempfile.TemporaryDirectory(prefix="simul-anchors-") as tmp:
                doc["serve"] = anchors_serve.measure_serve(procs, build, models, conditions, args, split, Path(tmp),
                                                           log)
        if do_fio:
            file_set, chunks = ((anchors_files.QUICK_FILE_SET, anchors_files.QUICK_CHUNKS_KIB) if args.quick
                                else (anchors_files.FILE_SET, anchors_files.CHUNKS_KIB))
            doc["file_set"] = file_set
            doc["file_read"] = anchors_files.measure_files(build, models, args, file_set, chunks, build / "data", log)
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
    print(anchors_report.write(args.out, doc))
    failed = [r for r in doc["serve"] + doc.get("file_read", []) if r["error"]]
    if failed:
        print(f"anchors: {len(failed)} rows failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
