"""bench.sh --netns (issue 24): simul-bench in one network namespace, its
helpers in another, joined by a veth pair; the same checksums as on
loopback; nothing left behind however it ends. Each test makes namespaces of
its own name (SIMUL_NETNS_PREFIX), so that none meets a real run's. Skipped,
with the reason, where namespaces cannot be made."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BUILD, SCRIPTS, TESTS

FAKE = TESTS / "fake_simul_bench.py"


def can_make_namespaces():
    try:
        made = subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0
        has_ip = subprocess.run(["ip", "-V"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False
    return made and has_ip


needs_netns = pytest.mark.skipif(not can_make_namespaces(),
                                 reason="network namespaces cannot be made here (needs root: CAP_SYS_ADMIN, and ip)")


def namespaces():
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


def links():
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


@pytest.fixture
def prefix():
    p = f"simul-t{os.getpid() % 100000}"
    yield p
    for ns in (f"{p}-a", f"{p}-b"):  # a failed test leaves nothing either
        subprocess.run(["ip", "netns", "pids", ns], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture
def env(tmp_path, prefix):
    wrapper = tmp_path / "simul-bench"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    wrapper.chmod(0o755)
    return dict(os.environ, SIMUL_BENCH=str(wrapper), SIMUL_RESULTS=str(tmp_path / "results"),
                SIMUL_NETNS_PREFIX=prefix)


def bench(env, *args, **kw):
    return subprocess.run(["bash", str(SCRIPTS / "bench.sh"), *args], env=env, capture_output=True, text=True,
                          timeout=300, **kw)


def left_behind(prefix):
    return ({n for n in namespaces() if n.startswith(prefix)}, {n for n in links() if n.startswith(prefix)})


@needs_netns
def test_simul_bench_runs_in_a_and_is_told_where_its_helpers_are(env, prefix, tmp_path):
    args = tmp_path / "args"
    r = bench(dict(env, FAKE_ARGS=str(args)), "--netns", "--link-rate=1gbit")
    assert r.returncode == 0, r.stderr
    seen = args.read_text().splitlines()
    assert seen[0] != os.readlink("/proc/self/ns/net")  # not this namespace: simul-a's
    assert f"--helper-netns={prefix}-b" in seen
    assert "--serve-bind=10.77.0.1" in seen and "--delay-bind=10.77.0.2" in seen
    assert any(a.startswith("--benchmark_context=simul_link=") and "TBF 1gbit" in a for a in seen)
    assert left_behind(prefix) == (set(), set())


@needs_netns
def test_a_failure_inside_the_set_up_leaves_nothing_behind(env, prefix):
    # tc refuses a rate of 0 after the namespaces, the veth pair and the
    # addresses are made: all of them must go.
    r = bench(env, "--netns", "--link-rate=0bit")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "tc refused --link-rate=0bit" in r.stderr, r.stderr
    assert left_behind(prefix) == (set(), set())
    assert not Path(env["SIMUL_RESULTS"]).exists()  # no run, no folder


@needs_netns
def test_a_namespace_in_use_is_refused_and_a_leftover_removed(env, prefix):
    subprocess.run(["ip", "netns", "add", f"{prefix}-b"], check=True)
    holder = subprocess.Popen(["ip", "netns", "exec", f"{prefix}-b", "sleep", "60"])
    try:
        for _ in range(100):  # until the sleeper is inside (a guard, not a timing)
            if subprocess.run(["ip", "netns", "pids", f"{prefix}-b"], capture_output=True, text=True).stdout:
                break
            time.sleep(0.05)
        r = bench(env, "--netns")
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "in use" in r.stderr, r.stderr
        assert holder.poll() is None  # another run's: not ours to stop
        assert left_behind(prefix)[0] == {f"{prefix}-b"}  # nor to remove
    finally:
        holder.kill()
        holder.wait()
    # Now empty: what a killed run leaves. Removed, said, and the run goes on.
    r = bench(env, "--netns")
    assert r.returncode == 0, r.stderr
    assert f"removed network namespace {prefix}-b" in r.stderr
    assert left_behind(prefix) == (set(), set())


@needs_netns
def test_a_signal_during_a_netns_run_leaves_nothing_behind(env, prefix, tmp_path):
    pids = tmp_path / "pids"
    proc = subprocess.Popen(["bash", str(SCRIPTS / "bench.sh"), "--netns"],
                            env=dict(env, FAKE_MODE="hang", FAKE_PIDS=str(pids)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until the fake has started its helper (a guard, not a timing)
            if pids.exists() and pids.read_text().endswith("\n"):
                break
            time.sleep(0.1)
        assert left_behind(prefix)[0] == {f"{prefix}-a", f"{prefix}-b"}
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    for pid in map(int, pids.read_text().split()):
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert left_behind(prefix) == (set(), set())


@needs_netns
def test_without_the_privilege_it_says_so_in_one_line(env):
    if os.getuid() != 0:
        pytest.skip("needs root to become another user")
    r = bench(env, "--netns", preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "privilege" in r.stderr, r.stderr


def test_link_flags_without_netns_are_refused(env):
    for flag in ("--link-rate=1gbit", "--ipv6"):
        r = bench(env, flag)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--netns" in r.stderr, r.stderr


# ---- the real thing: serve and fetch under every model, across the link ----

def checksums(run_json):
    rows = json.loads(Path(run_json).read_text())["benchmarks"]
    out = {}
    for b in rows:
        assert not b.get("error_occurred"), (b["name"], b.get("error_message"))
        assert b["failed"] == 0, (b["name"], b.get("label"))
        out[b["run_name"]] = b["checksum"]
    return out


@needs_netns
def test_serve_and_fetch_under_every_model_give_loopbacks_checksums(prefix, tmp_path):
    bench_path = BUILD / "simul-bench"
    if not bench_path.exists():
        pytest.skip(f"no simul-bench in {BUILD} (build it: cmake --build --preset release)")
    common = ["--scale=smoke", "--rounds=1", "--benchmark_filter=^(serve|fetch)/"]
    loopback = tmp_path / "loopback.json"
    r = subprocess.run([str(bench_path), *common, f"--benchmark_out={loopback}"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    env = dict(os.environ, SIMUL_BENCH=str(bench_path), SIMUL_RESULTS=str(tmp_path / "results"),
               SIMUL_NETNS_PREFIX=prefix)
    r = bench(env, "--netns", *common)
    assert r.returncode == 0, r.stderr[-2000:]
    netns = tmp_path / "results" / "latest" / "run.json"
    assert json.loads(netns.read_text())["context"]["simul_network"] == "netns"
    here, there = checksums(loopback), checksums(netns)
    assert here == there
    models = {name.split("/")[1] for name in here}
    assert len(models) >= 6 and {"serve", "fetch"} == {name.split("/")[0] for name in here}
    assert left_behind(prefix) == (set(), set())


def global_ipv4():
    """An address of this machine's other than loopback, or None."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True,
                         text=True).stdout.split()
    return out[out.index("inet") + 1].split("/")[0] if "inet" in out else None


def test_helpers_through_a_command_run_serve_and_fetch_as_on_loopback(tmp_path):
    """--helper-via, the two-host procedure of the README, with a script
    standing in for ssh (it notes each command, then runs it here):
    simul-load is started through it and read from its stdout, fetch asks a
    delay server started by hand (--delay-server), and the checksums are
    loopback's."""
    bench_path, address = BUILD / "simul-bench", global_ipv4()
    if not bench_path.exists():
        pytest.skip(f"no simul-bench in {BUILD} (build it: cmake --build --preset release)")
    if address is None:
        pytest.skip("this machine has no IPv4 address but loopback, which a helper elsewhere could not reach")
    common = ["--scale=smoke", "--rounds=1", "--models=coroutine_loop,thread_per_task",
              "--benchmark_filter=^(serve|fetch)/"]
    loopback = tmp_path / "loopback.json"
    r = subprocess.run([str(bench_path), *common, f"--benchmark_out={loopback}"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    via, noted = tmp_path / "via.sh", tmp_path / "via.log"
    via.write_text(f'#!/bin/sh\necho "$@" >> {noted}\nexec "$@"\n')
    via.chmod(0o755)
    delay = subprocess.Popen([str(BUILD / "simul-delay-server"), f"--bind={address}", "--port=0"],
                             stdout=subprocess.PIPE, text=True)
    try:
        port = delay.stdout.readline().split(":")[-1].split()[0]
        remote = tmp_path / "remote.json"
        r = subprocess.run([str(bench_path), *common, f"--benchmark_out={remote}", f"--helper-via={via}",
                            f"--helper-dir={BUILD}", f"--serve-bind={address}", f"--delay-server={address}:{port}"],
                           capture_output=True, text=True, timeout=300)
    finally:
        delay.terminate()
        delay.wait(timeout=10)
    assert r.returncode == 0, r.stderr[-2000:]
    context = json.loads(remote.read_text())["context"]
    assert context["simul_network"] == "remote" and f"through '{via}'" in context["simul_network_detail"]
    started = noted.read_text().splitlines()
    assert started and all(line.startswith(f"{BUILD}/simul-load ") for line in started)
    assert len(started) == len([n for n in checksums(remote) if n.startswith("serve/")])  # one per serve case
    assert checksums(loopback) == checksums(remote)
