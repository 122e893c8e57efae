"""Against nginx: simul-serve and nginx (one worker, the echo module) under
the same wrk command, alternating, with the load generator and the server on
separate CPUs where there are two or more. Also the servers' housekeeping:
each in a session of its own, stopped however the run ends."""

import os
import re
import resource
import select
import signal
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

from simul_results import CaseRunError as RunError  # one failed measurement: its row says why
from simul_stats import ratio

ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
# Where the servers listen and wrk connects, and what wrk runs inside: set by
# anchors.py (--host, --load-netns; anchors.sh --netns gives 10.77.0.1 and
# the helpers' namespace, this script itself running in the server's).
HOST = "127.0.0.1"
LOAD_PREFIX = []


def url_host():
    return f"[{HOST}]" if ":" in HOST else HOST
BODY_BYTES = 1023
SERVE_CONDITIONS = [(0, 50), (0, 1000), (10, 50), (10, 1000)]  # (backend wait ms, connections)
QUICK_CONDITIONS = [(0, 50), (10, 50)]


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
    with socket.socket(socket.AF_INET6 if ":" in HOST else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def wait_listening(port, process, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RunError(f"{what} exited with code {process.returncode} before it listened on port {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RunError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def get(port, path):
    with urllib.request.urlopen(f"http://{url_host()}:{port}{path}", timeout=5) as r:
        return r.read()


# ---- serve: nginx and simul-serve under wrk ------------------------------

def nginx_config(folder, port, body):
    """One worker on HOST:port; /delay answers body, after 10 ms when
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
    listen {url_host()}:{port};
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
    command = LOAD_PREFIX + on_cpus(load_cpus, ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency",
                                                "--timeout", "2s",
                                                f"http://{url_host()}:{port}/delay?ms={wait_ms}&bytes={BODY_BYTES}"])
    # wrk's CPU (user + system): what this process's reaped children used
    # across the run, and wrk (through taskset and ip netns exec, which
    # exec it) is the only child reaped meanwhile.
    # Its share is of the wall time wrk lived, which is longer than -d by
    # its start and its connections' set-up.
    before, began = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, preexec_fn=raise_nofile)
    except subprocess.TimeoutExpired:
        raise RunError("wrk did not finish in time")
    after, lived = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic() - began
    if out.returncode != 0:
        raise RunError(f"wrk exited {out.returncode}: {out.stderr.strip()[-200:]}")
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {**parse_wrk(out.stdout), "load_cpu_s": cpu_s, "load_cpu_share": cpu_s / lived}


def start_simul_serve(procs, build, model, port, server_cpus):
    command = [str(build / "simul-serve"), f"--model={model}", f"--port={port}", f"--bind={HOST}"]
    p = procs.start(on_cpus(server_cpus, command),
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
            "errors": max(r["errors"] for r in runs), "runs": len(runs),
            "load_cpu_share": statistics.median(r["load_cpu_share"] for r in runs)}
