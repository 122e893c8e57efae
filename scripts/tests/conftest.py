"""What the tests share: where the scripts, the fixture run and the builds
are, the scripts on sys.path, and a few helpers. Test files import these
names (from conftest import ...); the helpers that are whole subjects of
their own stay modules beside this file (synthetic.py, processes.py)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SCRIPTS = TESTS.parent
FIXTURES = TESTS / "fixtures"
# A real simul-bench run: every workload, 4 models, 8 rounds, cases skipped
# by the budget; traces/ beside it holds its per-task traces.
FIXTURE = FIXTURES / "run.json"
# The build the tests run: test.sh points SIMUL_BUILD_DIR at its preset's.
BUILD = Path(os.environ.get("SIMUL_BUILD_DIR", SCRIPTS.parent / "build" / "release")).resolve()
# The build that bench.sh, baselines.sh and anchors.sh make and run, whatever SIMUL_BUILD_DIR says.
REPO_BUILD = SCRIPTS.parent / "build" / "release"

# The scripts import one another by name, as they do when run from scripts/;
# the tests import the helper modules beside this file.
for folder in (SCRIPTS, TESTS):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def run_script(name, *args, timeout=300, **kw):
    """scripts/name run as a program, as bench.sh runs it; output captured as text."""
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, **kw)


def copy_fixture(folder, transform=None, traces=True):
    """The fixture run (and its traces) in folder; transform(benchmark) may edit each row."""
    data = json.loads(FIXTURE.read_text())
    if transform:
        for b in data["benchmarks"]:
            transform(b)
    (folder / "run.json").write_text(json.dumps(data))
    if traces:
        shutil.copytree(FIXTURES / "traces", folder / "traces")
    return folder / "run.json"


INSTALLED = '#!/bin/sh\nprintf "install ok installed"\n'


def fake_commands(tmp_path, **programs):
    """The environment with tmp_path/bin first on PATH, holding each program
    (name → shell script text): by default a dpkg-query that finds every
    package installed and a cmake that does nothing, so that a script's own
    steps run without apt-get or a build."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, text in {"dpkg-query": INSTALLED, "cmake": "#!/bin/sh\nexit 0\n", **programs}.items():
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    return dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
