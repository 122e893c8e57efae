"""Processes a test started, found through /proc: for the tests that a
script, however it is stopped, leaves nothing running."""

import signal
import time
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


def cmdline(pid):
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def check_interrupted(p, under, sig):
    """After sig was sent to the script p: it ended with 128 + sig and one
    last line (no traceback), and none of `under`, what it had started, is
    still running 10 s later. Returns its stderr."""
    err = p.stderr.read()
    assert p.returncode == (130 if sig == signal.SIGINT else 143), err
    assert "interrupted" in err.splitlines()[-1] and "Traceback" not in err, err  # progress, then one line
    deadline = time.monotonic() + 10
    while alive(under) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(under) == [], [cmdline(q) for q in alive(under)]
    return err
