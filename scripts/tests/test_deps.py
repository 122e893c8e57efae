"""Everything the scripts import or run comes from a Debian package that
scripts/deps.sh installs (issue 10, item 1): a module or command is covered
when its owning package (dpkg -S) is in simul_packages, is one of those
packages' dependencies (apt-cache depends --recurse), or is Essential or of
required priority (on every Debian system). Before python3-matplotlib and python3-pytest were
listed, the imports of matplotlib and pytest failed this test."""

import ast
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import SCRIPTS

SHELL = [SCRIPTS / n for n in ("bench.sh", "test.sh", "reference.sh", "deps.sh", "session.sh")]
# Programs the shell scripts run (the test below checks each is really named
# in a script), and the build tool that CMake's preset runs.
COMMANDS = ["cmake", "ctest", "g++", "setsid", "mkfifo", "tee", "dpkg-query", "apt-get", "df", "nproc", "python3"]
BUILD_TOOLS = ["ninja"]
# Programs the Python scripts run: valgrind (instructions.py).
SCRIPT_COMMANDS = ["valgrind"]
# Modules the tests run as programs (python3 -m), not import.
RUN_MODULES = ["pyflakes"]

pytestmark = pytest.mark.skipif(shutil.which("dpkg") is None, reason="not a Debian system")


def simul_packages():
    out = subprocess.run(["bash", "-c", 'source "$1"; printf "%s\\n" "${simul_packages[@]}"', "_",
                          str(SCRIPTS / "deps.sh")], capture_output=True, text=True, check=True)
    return out.stdout.split()


@functools.lru_cache(maxsize=None)
def covered_packages():
    listed = simul_packages()
    deps = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                           "--no-breaks", "--no-replaces", "--no-enhances", *listed],
                          capture_output=True, text=True).stdout
    return set(listed) | {l.strip() for l in deps.splitlines() if l and not l.startswith(" ")}


def owner(path):
    """The package that installed path (the path as given, then resolved), or None."""
    merged = re.sub(r"^/usr/(s?bin)/", r"/\1/", str(path))  # usrmerge: dpkg may know /bin/df, not /usr/bin/df
    for p in dict.fromkeys([str(path), merged, os.path.realpath(path)]):
        done = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0].split(",")[0].strip()
    return None


def essential(package):
    """On every Debian system: Essential, or of required priority."""
    done = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", package], capture_output=True, text=True)
    return done.stdout.split()[:1] == ["yes"] or done.stdout.split()[1:] == ["required"]


def imported_modules():
    local = {p.stem for p in SCRIPTS.glob("*.py")} | {p.stem for p in SCRIPTS.glob("tests/*.py")}
    names = set()
    for path in list(SCRIPTS.glob("*.py")) + list(SCRIPTS.glob("tests/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return sorted(names - local - set(sys.stdlib_module_names))


def test_the_scripts_import_matplotlib_and_pytest():
    assert {"matplotlib", "pytest"} <= set(imported_modules())


def test_every_module_listed_as_run_is_run_by_a_test():
    text = "\n".join(p.read_text() for p in SCRIPTS.glob("tests/*.py"))
    for module in RUN_MODULES:
        assert f'"-m", "{module}"' in text, module


@pytest.mark.parametrize("module", imported_modules() + RUN_MODULES)
def test_every_module_the_scripts_import_comes_from_a_listed_package(module):
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin, f"{module} is not installed"
    package = owner(spec.origin)
    assert package, f"{module} ({spec.origin}) is not from a Debian package: deps.sh cannot install it"
    assert package in covered_packages() or essential(package), \
        f"{module} comes from {package}; add it to simul_packages in scripts/deps.sh"


def test_every_command_listed_here_is_run_by_a_script():
    text = "\n".join(p.read_text() for p in SHELL)
    for cmd in COMMANDS:
        assert re.search(rf"(^|[\s(|;$]){re.escape(cmd)}(\s|$|\))", text, re.M), cmd
    assert '"generator": "Ninja"' in (SCRIPTS.parent / "CMakePresets.json").read_text()


@pytest.mark.parametrize("cmd", COMMANDS + BUILD_TOOLS + SCRIPT_COMMANDS)
def test_every_command_the_scripts_run_comes_from_a_listed_package(cmd):
    path = shutil.which(cmd, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    assert path, f"{cmd} is not installed"
    package = owner(path)
    assert package, f"{cmd} ({path}) is not from a Debian package"
    assert package in covered_packages() or essential(package), \
        f"{cmd} comes from {package}; add it to simul_packages in scripts/deps.sh"
