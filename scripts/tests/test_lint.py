"""The scripts as ruff.toml (at the repository's root) asks for them. ruff is
not in Debian 12 and the project installs only Debian packages, so this runs
Debian's pyflakes (python3-pyflakes, in scripts/deps.sh) instead: ruff.toml's
F rules, over the same files; and its line length."""

import subprocess
import sys
import tomllib

from conftest import SCRIPTS


def python_files():
    return sorted(SCRIPTS.glob("*.py")) + sorted(SCRIPTS.glob("tests/*.py"))


def test_pyflakes_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "pyflakes", *map(str, python_files())],
                          capture_output=True, text=True, timeout=300)
    assert "No module named pyflakes" not in done.stderr, "apt-get install python3-pyflakes (scripts/deps.sh lists it)"
    assert (done.returncode, done.stdout + done.stderr) == (0, ""), done.stdout + done.stderr


def test_no_line_is_longer_than_ruff_toml_allows():
    limit = tomllib.loads((SCRIPTS.parent / "ruff.toml").read_text())["line-length"]
    long = [f"{p.relative_to(SCRIPTS)}:{n}" for p in python_files()
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if len(line) > limit]
    assert long == []
