"""Processes a test started, found through /proc: for the tests that a
script, however it is stopped, leaves nothing running."""

from pathlib import Path


def _state_and_parent(pid_dir):
    fields = (pid_dir / "stat").read_text().rsplit(") ", 1)[1].split()
    return fields[0], int(fields[1])


def descendants(pid):
    """Live processes under pid (children, theirs, ...), whatever their session."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                state, ppid = _state_and_parent(d)
            except (OSError, IndexError):
                continue
            if state != "Z":
                parent[int(d.name)] = ppid
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    return found


def alive(pids):
    """Those of pids that still run (a zombie has ended; only its parent's wait is due)."""
    out = []
    for p in pids:
        try:
            if _state_and_parent(Path("/proc") / str(p))[0] != "Z":
                out.append(p)
        except (OSError, IndexError):
            pass
    return out
