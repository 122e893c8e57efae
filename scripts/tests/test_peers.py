"""Other runtimes (docs/PEERS.md) through simul-bench, as users run them:
each peer that scripts/peers.sh finds here runs sleep, chess, fetch, serve
and file_read with the checksums of simul's own loop, or skips with its
reason; a peer that is not installed is a visible skip; a failing peer fails
its own cases, and the sweep goes on with nothing left behind."""

import json
import subprocess

import pytest
from conftest import BUILD, SCRIPTS

BENCH = BUILD / "simul-bench"
FAKE = SCRIPTS.parent / "tests" / "peers" / "fake_peer.py"
# Every peer this project ships; the chess story's sequential flavour plays chess only.
PEERS = ["python_asyncio", "python_uvloop", "python_threads", "python_sequential", "go", "node",
         "tokio_current_thread", "tokio_multi_thread"]
# file_read's checksum of every byte is too slow in pure Python and in Node's
# BigInt for the case to measure their IO (docs/PEERS.md): they say so.
SKIPS_FILE_READ = ("python_", "node")


def installed_peers():
    """name → --peer flag, for the peers scripts/peers.sh says can run here."""
    out = subprocess.run(["bash", str(SCRIPTS / "peers.sh"), "--flags"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return {line.split("=", 2)[1]: line for line in out.splitlines() if line.startswith("--peer=")}


def run_bench(tmp_path, *args):
    out = tmp_path / "run.json"
    proc = subprocess.run([str(BENCH), "--scale=smoke", "--rounds=1", f"--benchmark_out={out}", *args],
                          capture_output=True, text=True, timeout=600)
    rows = {b["name"].split("/iterations")[0]: b for b in json.loads(out.read_text())["benchmarks"]} \
        if out.exists() else {}
    return proc, rows


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """One smoke sweep of sleep, chess, fetch, serve and file_read (smoke: 8 files of 256 KiB, cold,
    direct:0, io:native): coroutine_loop and every installed peer."""
    peers = installed_peers()
    proc, rows = run_bench(tmp_path_factory.mktemp("peers"), "--models=coroutine_loop",
                           "--benchmark_filter=^(sleep|chess|fetch|serve|file_read)/", *peers.values())
    assert proc.returncode == 0, proc.stderr[-2000:]
    return peers, rows


def case(rows, workload, model):
    return next(b for name, b in rows.items() if name.startswith(f"{workload}/{model}/"))


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("workload", ["sleep", "chess", "fetch", "serve", "file_read"])
def test_each_installed_runtime_gives_the_loops_checksum(sweep, peer, workload):
    peers, rows = sweep
    if peer not in peers:
        pytest.skip(f"{peer}: its runtime is not installed or not built here (scripts/peers.sh --install)")
    got = case(rows, workload, peer)
    if workload == "file_read":  # the one case a peer runs: through the page cache, its own way
        assert "/direct:0/io:native/" in got["name"]
    if workload == "file_read" and peer.startswith(SKIPS_FILE_READ):
        assert got["error_message"].startswith(f"skipped: {peer} says: file_read: the checksum of every byte")
        assert "measure" in got["error_message"]  # why: the case would measure arithmetic, not IO
        return
    if peer == "python_sequential" and workload != "chess":
        assert got["error_message"].startswith("skipped: python_sequential says:")
        return
    assert not got.get("error_occurred"), got.get("error_message")
    assert got["failed"] == 0, got.get("label")
    assert got["checksum"] == case(rows, workload, "coroutine_loop")["checksum"]
    assert got["tasks"] == case(rows, workload, "coroutine_loop")["tasks"]
    assert got["startup_s"] > 0 and got["threads_peak"] >= 1
    if workload == "serve":  # the load generator's side: every request answered
        assert got["rate_achieved"] > 0.9 * got["rate_offered"]


def test_a_failing_peer_fails_its_cases_and_the_sweep_goes_on(tmp_path):
    proc, rows = run_bench(tmp_path, "--models=coroutine_loop", "--benchmark_filter=^sleep/",
                           f"--peer=broken=/usr/bin/python3 {FAKE} crash", f"--peer=fine=/usr/bin/python3 {FAKE} good")
    assert proc.returncode == 0, proc.stderr[-2000:]
    broken, fine = case(rows, "sleep", "broken"), case(rows, "sleep", "fine")
    assert broken["error_message"].startswith("failed: peer broken exited with code 3 before it said 'done'")
    assert fine["checksum"] == case(rows, "sleep", "coroutine_loop")["checksum"]
    left = subprocess.run(["pgrep", "-f", str(FAKE)], capture_output=True, text=True).stdout
    assert left == ""


@pytest.mark.parametrize("flag, says", [
    ("--peer=go=/no/such/peer", "'/no/such/peer' is not a program this machine can run"),
    ("--peer=thread_pool=/bin/true", "is the name of one of simul's models"),
    ("--peer=no command", "is not NAME=COMMAND"),
])
def test_a_bad_peer_flag_is_one_line_and_exit_2(flag, says):
    proc = subprocess.run([str(BENCH), flag, "--list"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert says in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_the_meter_agrees_with_gnu_time_and_says_which_peer_does_not_sleep(tmp_path):
    """scripts/peers_meter_check.py on the asyncio peer (Debian's python3 is
    always here) and the sequential one, which plays chess only."""
    out = tmp_path / "meter_check.md"
    proc = subprocess.run(["/usr/bin/python3", str(SCRIPTS / "peers_meter_check.py"), f"--build={BUILD}",
                           "--tasks=3000", "--wait-ms=300", "--peers=python_asyncio,python_sequential",
                           f"--out={out}"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {cells[0]: cells[1:] for cells in
            ([c.strip() for c in line.strip("|").split("|")] for line in out.read_text().splitlines()
             if line.startswith("| python_"))}
    simul_mib, time_mib, ratio = (float(v) for v in rows["python_asyncio"][:3])
    assert simul_mib > 0 and time_mib > 0
    # The table rounds MiB to a tenth: its ratio is the unrounded one.
    assert abs(float(ratio) - 1) <= 0.10 and simul_mib / time_mib == pytest.approx(float(ratio), rel=0.03)
    assert rows["python_sequential"][0].startswith("skipped: python_sequential says: sleep:")


def test_the_meter_check_refuses_bad_arguments(tmp_path):
    proc = subprocess.run(["/usr/bin/python3", str(SCRIPTS / "peers_meter_check.py"), f"--build={tmp_path}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no simul-bench" in proc.stderr


def test_peers_sh_names_each_installed_runtimes_version():
    """What a run records as simul_runtimes, and the report shows."""
    versions = subprocess.run(["bash", str(SCRIPTS / "peers.sh"), "--versions"], capture_output=True, text=True,
                              check=True, timeout=60).stdout.strip()
    peers = installed_peers()
    assert versions.startswith("python 3.")
    assert ("(uvloop " in versions) == ("python_uvloop" in peers)
    assert ("; go1." in versions) == ("go" in peers)
    assert ("; node v" in versions) == ("node" in peers)
    assert ("; tokio 1." in versions and "(rustc 1." in versions) == ("tokio_current_thread" in peers)
    assert "," not in versions  # Google Benchmark's --benchmark_context splits at commas
