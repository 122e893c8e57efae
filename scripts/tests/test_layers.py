"""The folders are layers (docs/ARCHITECTURE.md): a unit includes only its own
layer and those below it, so that each concern can be read, and replaced,
without the ones above it. This test reads every #include "..." of the C++
tree and checks it against the table below."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each folder and the folders it may include from (its own is implied).
# models/task.hpp and models/arrivals.hpp are the task interface: the network
# and IO layers speak it without knowing any model.
TASKS = ("models/task.hpp", "models/arrivals.hpp")
MAY_INCLUDE = {
    "support": (),
    "models": ("support",),
    "bench/net": ("support",) + TASKS,
    "bench/io": ("support",) + TASKS,
    "bench/case": ("support", "models"),
    "bench/workloads": ("support", "models", "bench/net", "bench/io", "bench/case"),
    # A case under a peer (docs/PEERS.md): the case's parts, and a helper
    # process to run the peer in.
    "bench/peer": ("support", "models", "bench/net", "bench/case"),
    # The harness finds workloads through bench/case/registry.hpp, by name:
    # it never names one, so a new workload needs no edit above its folder.
    "bench/harness": ("support", "models", "bench/net", "bench/io", "bench/case", "bench/peer"),
    "bench/tools": ("support", "models", "bench/net"),
    "bench/baselines": ("support",),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """The longest folder of MAY_INCLUDE that holds path, or None."""
    best = None
    for folder in MAY_INCLUDE:
        if (path == folder or path.startswith(folder + "/")) and (best is None or len(folder) > len(best)):
            best = folder
    return best


def sources():
    for folder in MAY_INCLUDE:
        for p in sorted((ROOT / folder).rglob("*")):
            if p.suffix in (".hpp", ".cpp", ".def"):
                yield p.relative_to(ROOT).as_posix()


def violations():
    found = []
    for source in sources():
        own = layer_of(source)
        allowed = (own,) + MAY_INCLUDE[own]
        for target in INCLUDE.findall((ROOT / source).read_text()):
            if not (ROOT / target).exists():
                continue  # a file of the build folder, or a typo the compiler names
            if not any(target == a or target.startswith(a + "/") for a in allowed):
                found.append(f"{source} includes {target}")
    return found


def test_every_include_points_down_or_sideways_within_its_layer():
    assert violations() == []


def test_the_checker_sees_an_upward_include(tmp_path, monkeypatch):
    # The same walk over a tree with one bad include: the check can fail.
    for folder in ("bench/net", "bench/harness"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "bench/harness/cli.hpp").write_text("#pragma once\n")
    (tmp_path / "bench/net/http.cpp").write_text('#include "bench/harness/cli.hpp"\n')
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert violations() == ["bench/net/http.cpp includes bench/harness/cli.hpp"]


def test_every_folder_of_the_table_exists():
    for folder in MAY_INCLUDE:
        assert (ROOT / folder).is_dir(), folder
