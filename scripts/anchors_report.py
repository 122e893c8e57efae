"""anchors.json and anchors.md, and REPORT.md's "Against the best tools"
section made from them."""

import json
from pathlib import Path

import simul_results as sr
from anchors_serve import BODY_BYTES


def fmt(v, digits=2):
    return "–" if v is None else f"{v:,.{digits}f}"


def load_share(side):
    share = side.get("load_cpu_share")  # absent in anchors.json written before wrk's CPU was kept
    if share is None:
        return "–"
    return f"{share:.2f}" + (" *saturated*" if share >= sr.LOAD_SATURATED else "")


def markdown(doc):
    lines = [f"Network (serve): {doc.get('network', 'loopback')}. "
             f"Pinning (serve; file reads run unpinned on both sides): {doc['pinning']}. Medians of "
             f"{doc['repetitions']} runs each, rival and simul alternating"
             f" (which goes first flips every repetition). Load average before and after: {doc['loadavg_before']}"
             f" / {doc['loadavg_after']}.", ""]
    if doc.get("serve"):
        lines += ["**serve**: `wrk -t1 -cC -dT --latency` against nginx (one worker, the echo module) and "
                  f"`simul-serve --model=M`, {doc['duration_s']} s each, `GET /delay?ms=D&bytes={BODY_BYTES}`. nginx "
                  "answers the same bytes (chunked; simul-serve sends a Content-Length).", "",
                  "| wait | conns | model | nginx req/s | simul req/s | simul ÷ nginx | nginx p99 | simul p99 |"
                  " p99 simul ÷ nginx | errors nginx / simul | wrk's CPU share, nginx / simul |",
                  "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in doc["serve"]:
            head = f"| {r['wait_ms']} ms | {r['conns']:,} | `{r['model']}` |"
            if r["error"]:
                lines.append(f"{head} failed: {r['error']} | | | | | | | |")
                continue
            n, s = r["nginx"], r["simul"]
            lines.append(f"{head} {fmt(n['rps'], 0)} | {fmt(s['rps'], 0)} | {fmt(r['rps_ratio'])} | "
                         f"{fmt(n['p99_ms'])} ms | {fmt(s['p99_ms'])} ms | {fmt(r['p99_ratio'])} | "
                         f"{n['errors']} / {s['errors']} | {load_share(n)} / {load_share(s)} |")
        lines += ["", "errors: wrk's socket errors (timeouts at 2 s included) and non-2xx answers, the most of any "
                  "run. A model that serves fewer connections than wrk opens (sequential, a pool smaller than C) "
                  "leaves the rest waiting: timeouts, not a fault. wrk's CPU share: its user + system time over "
                  f"the time it ran, on its one core; at {sr.LOAD_SATURATED} or more (marked *saturated*) wrk was the "
                  "limit, and the row's req/s is the load generator's, not the server's.", ""]
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



def write(out, doc):
    """anchors.json and anchors.md into the folder out; returns the markdown."""
    text = markdown(doc)
    sr.write_atomic(out / "anchors.json", json.dumps(doc, indent=1) + "\n")
    sr.write_atomic(out / "anchors.md", text)
    return text
