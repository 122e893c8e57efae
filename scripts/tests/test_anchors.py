"""anchors.sh / anchors.py (nginx and fio against simul) and the serve
workload's CPU pinning. The short runs check that everything runs, that the
tables hold the ratios of what was measured, that no server is left behind
and what the pinning says; never how fast anything is."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import anchors_files
import anchors_report
import anchors_serve
from conftest import BUILD, FIXTURES, REPO_BUILD, SCRIPTS, copy_fixture, fake_commands, run_script
from processes import check_interrupted, descendants

have_build = pytest.mark.skipif(not (BUILD / "simul-serve").exists(), reason=f"no build in {BUILD}")
have_nginx = pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("wrk") is None
                                or not anchors_serve.ECHO_MODULE.exists(),
                                reason="nginx-light, libnginx-mod-http-echo and wrk (scripts/deps.sh) not installed")


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def anchors_cmd(out, *extra, cpus=None):
    nginx_port, simul_port = free_ports(2)
    command = [sys.executable, str(SCRIPTS / "anchors.py"), "--build", str(BUILD), "--out", str(out),
               f"--nginx-port={nginx_port}", f"--simul-port={simul_port}", *extra]
    return (["taskset", "-c", cpus] if cpus else []) + command, (nginx_port, simul_port)


def leftovers(ports):
    """Processes of ours still running: an nginx or simul-serve on these ports."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if state == "Z":
            continue
        if "simul-anchors-" in cmd or any(f"--port={p}" in cmd or f"127.0.0.1:{p}/" in cmd for p in ports):
            found.append(f"{d.name}: {cmd}")
    return found


def port_listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@have_build
@have_nginx
def test_a_quick_run_holds_its_ratios_and_leaves_no_server_behind(tmp_path):
    command, ports = anchors_cmd(tmp_path, "--quick", "--no-fio")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "anchors.json").read_text())
    assert [(r["wait_ms"], r["conns"], r["model"]) for r in doc["serve"]] == \
        [(0, 50, "coroutine_loop"), (10, 50, "coroutine_loop")]
    for r in doc["serve"]:
        assert r["error"] == ""
        assert r["nginx"]["rps"] > 0 and r["simul"]["rps"] > 0
        assert r["rps_ratio"] == pytest.approx(r["simul"]["rps"] / r["nginx"]["rps"])
        assert r["p99_ratio"] == pytest.approx(r["simul"]["p99_ms"] / r["nginx"]["p99_ms"])
        for side in ("nginx", "simul"):  # wrk's CPU, one core: it worked, and no more than the core
            assert 0 < r[side]["load_cpu_share"] <= 1
    if len(os.sched_getaffinity(0)) >= 2:
        assert doc["pinning"].startswith("pinned: server on CPU")
    assert "fio" in " ".join(doc["skipped"])
    table = (tmp_path / "anchors.md").read_text()
    assert f"{doc['serve'][0]['rps_ratio']:.2f}" in table and "simul ÷ nginx" in table
    first = doc["serve"][0]
    assert f"{first['nginx']['load_cpu_share']:.2f}" in table and "wrk's CPU share" in table
    assert leftovers(ports) == []


@have_build
@have_nginx
def test_on_one_cpu_nothing_is_pinned_and_the_json_says_so(tmp_path):
    command, ports = anchors_cmd(tmp_path, "--quick", "--no-fio", cpus="0")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "anchors.json").read_text())
    assert doc["pinning"] == "not pinned: 1 CPU"
    assert "not pinned: 1 CPU" in (tmp_path / "anchors.md").read_text()
    assert leftovers(ports) == []


@have_build
@have_nginx
def test_sigterm_mid_run_stops_every_server(tmp_path):
    command, ports = anchors_cmd(tmp_path, "--no-fio", "--models=coroutine_loop", "--duration=3", "--repetitions=1")
    p = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not port_listening(ports[0]) and time.monotonic() < deadline:  # nginx is up
            time.sleep(0.05)
        assert port_listening(ports[0]), "nginx never listened"
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode != 0
    assert "interrupted" in p.stderr.read()
    assert leftovers(ports) == []
    assert not (tmp_path / "anchors.json").exists()  # nothing half-measured is written


@have_build
def test_a_taken_port_is_one_line_and_exit_code_2(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        done = run_script("anchors.py", "--build", BUILD, "--out", tmp_path, f"--nginx-port={taken}", "--quick",
                          timeout=60)
    assert done.returncode == 2
    assert f"port {taken} is taken" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "anchors.json").exists()


def test_a_tool_that_cannot_be_installed_is_one_line_and_exit_code_2(tmp_path):
    # dpkg-query says fio is missing, and apt-get cannot install it.
    env = fake_commands(tmp_path, **{
        "dpkg-query": '#!/bin/sh\nfor a; do last=$a; done\n'
                      'case "$last" in fio) exit 1 ;; *) printf "install ok installed" ;; esac\n',
        "apt-get": '#!/bin/sh\ncase "$*" in *update*) exit 0 ;; esac\n'
                   'echo "E: Unable to locate package fio" >&2; exit 100\n'})
    (tmp_path / "out").mkdir()
    done = subprocess.run(["bash", str(SCRIPTS / "anchors.sh"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "cannot install" in done.stderr and "Unable to locate package fio" in done.stderr
    assert done.stderr.count("\n") == 1


def test_wrk_reports_are_read_in_any_unit():
    text = """Running 1s test @ http://127.0.0.1:1/delay?ms=0&bytes=1023
  1 threads and 50 connections
  Latency Distribution
     50%  640.00us
     99%    1.20s
  1000 requests in 1.00s, 1.2MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:   1000.50
"""
    r = anchors_serve.parse_wrk(text)
    assert r == {"rps": 1000.5, "p99_ms": 1200.0, "errors": 9}


def test_fio_jobs_share_the_files_out_and_match_the_cache_state(tmp_path):
    names = [f"f{i:05}.dat" for i in range(5)]
    job = anchors_files.fio_job(tmp_path, names, "psync", 2, 1, 64, "cold")
    assert "invalidate=1" in job and "loops=1" in job and "time_based" not in job and "bs=64k" in job
    assert "file_service_type=sequential" in job
    assert "filename=f00000.dat:f00002.dat:f00004.dat" in job and "filename=f00001.dat:f00003.dat" in job
    warm = anchors_files.fio_job(tmp_path, names, "io_uring", 1, 5, 1024, "warm")
    assert "invalidate=0" in warm and "time_based=1" in warm and "iodepth=5" in warm
    assert "file_service_type=roundrobin" in warm
    spread = anchors_files.fio_job(tmp_path, names, "psync", 2, 1, 64, "warm")  # every job the whole set, rotated
    assert "filename=f00000.dat:f00001.dat:f00002.dat:f00003.dat:f00004.dat" in spread
    assert "filename=f00002.dat:f00003.dat:f00004.dat:f00000.dat:f00001.dat" in spread


def test_each_model_is_held_to_the_fio_pattern_of_its_shape():
    rows = anchors_files.file_rows(["sequential", "coroutine_loop", "thread_pool:4", "thread_per_task"])
    assert (("sequential", None), ("psync", 1, 1)) in rows
    assert (("coroutine_loop", "native"), ("io_uring", 1, anchors_files.LOOP_READS_IN_FLIGHT)) in rows
    assert (("coroutine_loop", "offload"), ("psync", 1, 1)) in rows
    assert (("thread_pool:4", None), ("psync", 4, 1)) in rows
    assert (("thread_per_task", None), ("psync", "files", 1)) in rows


def test_the_report_has_the_section_and_its_ratios(tmp_path):
    # fixtures/anchors.json: a real anchors.py --quick run (serve and fio).
    copy_fixture(tmp_path, traces=False)
    shutil.copy(FIXTURES / "anchors.json", tmp_path / "anchors.json")
    done = run_script("report.py", tmp_path / "run.json")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "REPORT.md").read_text()
    section = text[text.index("## Against the best tools"):]
    doc = json.loads((tmp_path / "anchors.json").read_text())
    for r in doc["serve"]:
        assert f"| {r['rps_ratio']:.2f} |" in section and f"| {r['p99_ratio']:.2f} |" in section
    for r in doc["file_read"]:
        assert f"| {r['ratio']:.2f} |" in section
    assert doc["pinning"] in section


def test_a_report_without_anchors_has_no_section_and_a_broken_one_says_so(tmp_path):
    assert anchors_report.report_section(tmp_path) == []
    (tmp_path / "anchors.json").write_text("{not json")
    lines = anchors_report.report_section(tmp_path)
    assert lines[0] == "## Against the best tools" and "could not be read" in lines[2]


# ---- the serve workload's own pinning (simul-bench) ----------------------

def serve_label(cpus=None):
    command = [str(BUILD / "simul-bench"), "--models=coroutine_loop", "--arrival=burst",
               "--benchmark_filter=^serve/coroutine_loop/", "--rounds=1", "--set=conns:5", "--set=rate:100",
               "--set=duration_s:1", "--benchmark_format=json"]
    done = subprocess.run((["taskset", "-c", cpus] if cpus else []) + command, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    b = json.loads(done.stdout)["benchmarks"]
    assert len(b) == 1
    return b[0]["label"], b[0]["pinned"]


@have_build
def test_the_serve_workload_is_not_pinned_on_one_cpu_and_says_so():
    label, pinned = serve_label(cpus="0")
    assert label.startswith("not pinned: 1 CPU") and pinned == 0


@have_build
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing to split")
def test_the_serve_workload_splits_load_and_server_and_says_where():
    label, pinned = serve_label()
    first = min(os.sched_getaffinity(0))
    assert label.startswith("pinned: server on CPU ") and f"load on CPU {first}" in label and pinned == 1


# ---- anchors.sh, the script: signals and what it points at ------------------

@pytest.mark.skipif(not (REPO_BUILD / "simul-serve").exists(), reason=f"no build in {REPO_BUILD}")
@have_nginx
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_anchors_sh_stops_anchors_py_and_its_servers(tmp_path, sig):
    # Before, SIGTERM killed only the shell (anchors.py, nginx and wrk ran on
    # for minutes) and SIGINT waited for the whole run.
    out = tmp_path / "out"
    out.mkdir()
    nginx_port, simul_port = free_ports(2)
    p = subprocess.Popen(["bash", str(SCRIPTS / "anchors.sh"), "--out", str(out), "--no-fio",
                          "--models=coroutine_loop", "--duration=30", "--repetitions=1",
                          f"--nginx-port={nginx_port}", f"--simul-port={simul_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=fake_commands(tmp_path))
    try:
        deadline = time.monotonic() + 60
        while not port_listening(nginx_port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert port_listening(nginx_port), "nginx never listened"
        time.sleep(0.5)
        under = descendants(p.pid)
        assert under, "anchors.py is not running"
        p.send_signal(sig)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    check_interrupted(p, under, sig)
    assert leftovers([nginx_port, simul_port]) == []


@pytest.mark.skipif(not (REPO_BUILD / "simul-serve").exists(), reason=f"no build in {REPO_BUILD}")
def test_anchors_sh_with_its_port_taken_does_not_point_at_an_older_report(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    copy_fixture(out, traces=False)
    shutil.copy(FIXTURES / "anchors.json", out / "anchors.json")  # an older run's
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        done = subprocess.run(["bash", str(SCRIPTS / "anchors.sh"), "--out", str(out), "--quick",
                               f"--nginx-port={taken}"],
                              capture_output=True, text=True, timeout=120, env=fake_commands(tmp_path))
    assert done.returncode == 2
    assert f"port {taken} is taken" in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "REPORT.md" not in done.stdout + done.stderr
    assert not (out / "REPORT.md").exists()
