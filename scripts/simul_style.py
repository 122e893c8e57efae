"""One look for every chart: a fixed colour per model, in every chart and run.

Each kind of model has its own hue; sizes of one kind (thread_pool:2/24/256)
are shades of it, light to dark as P grows, so a family reads as one.
Variants of one model (cache:cold/warm, io:native/offload) keep the model's
colour and differ by hatch (bars) or marker (lines). Red is kept for the
rings that mark a limit, so no model is red. coroutine_loop:P (P loops,
one per thread) and shared_loop:P (one loop run by P threads) have families
of their own, teal and purple; the stackful loops are brown, and their
stack options (stackful_loop/stack:16, /guarded) darken the model's shade,
guarded stacks more. Other runtimes (peers, docs/PEERS.md) come after
simul's models, a hue per runtime that no model family has: Python gold, Go
blue, Node olive green, Tokio magenta; a runtime's flavours (python_asyncio,
tokio_multi_thread) are shades of its hue. A kind or peer this file does not
know gets a colour from a spare list, picked by a checksum of its name: the
same in every chart and run, and none of the known ones.
"""

import re
import zlib

LIMIT_COLOR = "#d62728"

# Kinds in legend order; ("kind", sized) where sized: a kind:P family.
_ORDER = [("sequential", False), ("thread_per_task", False), ("thread_pool", True),
          ("coroutine_loop", False), ("coroutine_loop", True), ("shared_loop", True),
          ("stackful_loop", False), ("stackful_loop", True)]
_SINGLE = {"sequential": "#555555", "thread_per_task": "#e8890c", "coroutine_loop": "#2ca02c",
           "stackful_loop": "#8c564b"}
# (light, dark) ends of a family's shades, for P = 2 and P = 1024.
_SHADES = {"thread_pool": ("#9ecae1", "#08306b"), "coroutine_loop": ("#99d8c9", "#00585a"),
           "shared_loop": ("#c7b9e2", "#3f007d"), "stackful_loop": ("#d9b99b", "#4a2410")}
# The peers scripts/peers.sh ships, in legend order: runtime, its flavours
# (shades from the light end to the dark one), light, dark.
_RUNTIMES = [("python", ["asyncio", "uvloop", "threads", "sequential"], "#ffd43b", "#8a6100"),
             ("go", [""], "#2121d9", "#2121d9"), ("node", [""], "#587a1e", "#587a1e"),
             ("tokio", ["current_thread", "multi_thread"], "#e040e0", "#a0129f")]
_SPARE = ["#e377c2", "#bcbd22", "#7f7f7f", "#17becf"]

MARKERS = ["o", "s", "^", "D", "v", "P"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "++", "--", "||", "**", "OO", "///..."]


def _split(model):
    form = model.partition("/")[0]  # without options such as /stack:16
    kind, _, size = form.partition(":")
    return kind, int(size) if size.isdigit() else None


def model_key(model):
    """Sort key: the legend order (simul's models, the peers, then kinds this
    file does not know), then size, then options (none first)."""
    kind, size = _split(model)
    family = (kind, size is not None)
    if family in _ORDER:
        return (_ORDER.index(family), "", size or 0, model.partition("/")[2])
    if model in _PEERS:
        return (len(_ORDER), f"{list(_PEERS).index(model):03d}", 0, "")
    return (len(_ORDER) + 1, kind, size or 0, model.partition("/")[2])


def _mix(light, dark, t):
    a = [int(light[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(dark[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


_PEERS = {runtime + (f"_{flavour}" if flavour else ""): _mix(light, dark, i / max(1, len(flavours) - 1))
          for runtime, flavours, light, dark in _RUNTIMES for i, flavour in enumerate(flavours)}


def model_color(model):
    kind, size = _split(model)
    if "/" in model and (kind in _SINGLE or kind in _SHADES):  # options: guarded stacks darker still
        return _mix(model_color(model.partition("/")[0]), "#000000", 0.55 if "/guarded" in model else 0.3)
    if size is None and kind in _SINGLE:
        return _SINGLE[kind]
    if size is not None and kind in _SHADES:
        import math
        t = min(1.0, max(0.0, math.log2(max(size, 2)) - 1) / 9)  # 2 → 0, 1024 → 1
        return _mix(*_SHADES[kind], 0.15 + 0.85 * t)
    if model in _PEERS:
        return _PEERS[model]
    return _SPARE[zlib.crc32(model.encode()) % len(_SPARE)]


def natural(text):
    """Sort key that puts rate:200 before rate:1000."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def variant_styles(variants):
    """variant text → (marker, hatch), in natural order so a chart is stable."""
    ordered = sorted(set(variants), key=natural)
    return {v: (MARKERS[i % len(MARKERS)], HATCHES[i % len(HATCHES)]) for i, v in enumerate(ordered)}
