"""-h and --help: every script a user runs says how to use it and exits 0,
having installed, built and run nothing. baselines.py's --help once died on
a "%" in a help text; peers.sh's installed the runtimes and built the peers
first, and reference.sh's went on to replace results/reference."""

import subprocess
import sys

import pytest

from conftest import SCRIPTS, fake_commands


def watching(tmp_path, marker):
    """The environment with fake installers and build tools first on PATH:
    each writes its name into marker, and fails."""
    return fake_commands(tmp_path, **{name: f'#!/bin/sh\necho {name} >> "{marker}"\nexit 1\n'
                                      for name in ("apt-get", "sudo", "cmake", "cargo", "go")})


def header(script):
    """The script's header comment: the lines after #! up to the first that is not a comment."""
    lines = []
    for line in (SCRIPTS / script).read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("script", ["anchors.sh", "baselines.sh", "deps.sh", "peers.sh", "reference.sh", "test.sh"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_a_shell_script_prints_its_header_and_runs_nothing(tmp_path, script, flag):
    marker = tmp_path / "called"
    env = watching(tmp_path, marker)
    done = subprocess.run(["bash", str(SCRIPTS / script), flag], env=env, capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == header(script)
    assert not marker.exists(), marker.read_text()


@pytest.mark.parametrize("script", ["peers.sh", "reference.sh"])
def test_help_after_arguments_that_go_on_to_bench_sh(tmp_path, script):
    marker = tmp_path / "called"
    env = watching(tmp_path, marker)
    done = subprocess.run(["bash", str(SCRIPTS / script), "--scale=full", "--help"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, header(script)), done.stderr
    assert not marker.exists()


def test_deps_sh_refuses_an_argument(tmp_path):
    done = subprocess.run(["bash", str(SCRIPTS / "deps.sh"), "--quick"], env=fake_commands(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "deps.sh: unknown argument '--quick' (it takes none; --help says what it does)"]


@pytest.mark.parametrize("script", ["anchors.py", "baselines.py", "compare.py", "instructions.py",
                                    "peers_meter_check.py", "report.py"])
def test_a_python_script_prints_its_usage(script):
    done = subprocess.run([sys.executable, str(SCRIPTS / script), "--help"], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.startswith("usage: ")
    assert "--" in done.stdout
