#!/usr/bin/env python3
"""The meter checked from outside, for each peer (docs/PEERS.md): simul's
resident memory for one sleep case against GNU time's, on the same program.

simul's figure is the peer's resident high-water mark at "done" minus its
mark at "ready" (reset there). Outside, /usr/bin/time -v gives a process's
peak RSS for its whole life, start-up included; so the outside figure for
N tasks is the peak at N minus the peak of the same program at one task,
which holds the same start-up. The peer runs under time through this
script's own few lines of the protocol, and is killed at "done": what it
allocates to send its records comes after the measured run (Node's blocks
of record lines add 4 MiB at 10,000 tasks), so it is in neither figure.
Both sides are medians of three runs (a thread per task peaks at a number of
threads that varies from run to run). The two should agree within 10%.

Usage: peers_meter_check.py --build DIR [--tasks N] [--wait-ms D] [--peers a,b] [--out FILE]
Writes a markdown table (to --out, atomically, and to stdout); exit 1 if a
row is off by more than 10%, 2 for bad arguments.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def peer_flags(only):
    out = subprocess.run(["bash", str(SCRIPTS / "peers.sh"), "--flags"], capture_output=True, text=True,
                         check=True).stdout
    flags = {line.split("=", 2)[1]: line for line in out.splitlines() if line.startswith("--peer=")}
    return {name: flag for name, flag in flags.items() if not only or name in only}


def simul_figure(build, flag, tasks, wait_ms):
    """simul-bench's mem_peak_bytes for sleep/<peer>/tasks:N/wait_ms:D (median of 3 rounds)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        subprocess.run([str(Path(build) / "simul-bench"), "--rounds=3", f"--set=tasks:{tasks}",
                        f"--set=wait_ms:{wait_ms}", "--models=sequential", flag, "--arrival=burst",
                        f"--benchmark_filter=^sleep/{flag.split('=', 2)[1]}/", f"--benchmark_out={out}"],
                       capture_output=True, text=True, check=True)
        rows = json.loads(out.read_text())["benchmarks"]
        skipped = [b["error_message"] for b in rows if b.get("error_message", "").startswith("skipped:")]
        if skipped:
            raise Skipped(skipped[0])
        rows = [b for b in rows if not b.get("error_occurred")]
        if not rows:
            raise RuntimeError("the peer's case did not run")
        return median(b["mem_peak_bytes"] for b in rows)


class Skipped(Exception):
    """The peer does not run this workload, and said why."""


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def outside_peak(flag, tasks, wait_ms):
    """GNU time's maximum resident set of the peer running one sleep case up
    to "done", in bytes: the median of three runs."""
    return median(outside_peak_once(flag, tasks, wait_ms) for _ in range(3))


def outside_peak_once(flag, tasks, wait_ms):
    command = flag.split("=", 2)[2].split()
    env = dict(os.environ, SIMUL_PEER="1", SIMUL_WORKLOAD="sleep", SIMUL_TASKS=str(tasks),
               SIMUL_PARAMS=f"tasks={tasks} wait_ms={wait_ms}")
    with tempfile.NamedTemporaryFile("r") as report:
        peer = subprocess.Popen(["/usr/bin/time", "-v", "-o", report.name, *command], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env)
        for expect in ("ready", "done"):
            line = peer.stdout.readline().strip()
            if line != expect:
                peer.kill()
                peer.wait()
                raise RuntimeError(f"said '{line}' where '{expect}' was due")
            if expect == "ready":
                peer.stdin.write("go\n")
                peer.stdin.flush()
        # At "done", before the records: time still reports the peak of a
        # child that a signal ended. Its pid is time's child, so kill that.
        os.kill(child_of(peer.pid), 9)
        peer.wait()
        kib = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read())
        return int(kib.group(1)) * 1024


def child_of(pid):
    """The one child of /usr/bin/time: the peer itself."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"/usr/bin/time has {len(children)} children, not the one peer")
    return int(children[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--wait-ms", type=int, default=1000)
    ap.add_argument("--peers", default="")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.tasks < 2 or a.wait_ms < 1:
        ap.error("--tasks must be 2 or more and --wait-ms 1 or more")
    if not (Path(a.build) / "simul-bench").exists():
        ap.error(f"no simul-bench in {a.build} (cmake --build --preset release)")
    peers = peer_flags(set(filter(None, a.peers.split(","))))
    lines = [f"sleep, {a.tasks:,} tasks × {a.wait_ms} ms: resident memory of the tasks, simul's meter against "
             "GNU time (peak at N tasks − peak at 1 task)", "",
             "| peer | simul (MiB) | /usr/bin/time (MiB) | simul ÷ time |", "| --- | --- | --- | --- |"]
    worst = 0.0
    for name, flag in peers.items():
        try:
            inside = simul_figure(a.build, flag, a.tasks, a.wait_ms)
            outside = outside_peak(flag, a.tasks, a.wait_ms) - outside_peak(flag, 1, a.wait_ms)
        except Skipped as e:
            lines.append(f"| {name} | {e} | | |")
            continue
        except (RuntimeError, subprocess.CalledProcessError) as e:
            lines.append(f"| {name} | failed: {str(e).splitlines()[0][:80]} | | |")
            continue
        ratio = inside / outside if outside > 0 else float("inf")
        worst = max(worst, abs(ratio - 1))
        lines.append(f"| {name} | {inside / 2**20:.1f} | {outside / 2**20:.1f} | {ratio:.3f} |")
        print(f"peers_meter_check: {name} done", file=sys.stderr)
    text = "\n".join(lines) + "\n"
    if a.out:
        tmp = Path(a.out).with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, a.out)
    print(text)
    return 1 if worst > 0.10 else 0


if __name__ == "__main__":
    sys.exit(main())
