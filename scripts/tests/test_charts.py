"""The charts a reader sees: one colour per model, timelines from the traces,
file modes, small values, and resident + kernel memory (issues 11 and 12)."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

import charts
import report
import simul_results as sr
import simul_style as style
import simul_workload as sw
import timeline
from conftest import BUILD, FIXTURE, FIXTURES, SCRIPTS, copy_fixture, run_script


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """(folder, chart → model → colours drawn) for the fixture."""
    folder = tmp_path_factory.mktemp("run")
    run = sr.load([copy_fixture(folder)])
    _, colors = report.report(run, folder)
    return folder, colors


def test_a_model_has_one_colour_in_every_chart(drawn):
    _, colors = drawn
    models = {m for chart in colors.values() for m in chart}
    assert {"sequential", "thread_per_task", "thread_pool:2", "coroutine_loop"} <= models
    for chart, per_model in colors.items():
        for model, used in per_model.items():
            assert used == {style.model_color(model)}, (chart, model, used)
            assert style.LIMIT_COLOR not in used


def test_the_palette_keeps_families_and_leaves_red_to_limits():
    models = ["sequential", "thread_per_task", "thread_pool:2", "thread_pool:24", "thread_pool:256",
              "coroutine_loop", "coroutine_loop:4", "shared_loop:4", "stackful_loop", "stackful_loop/stack:16",
              "stackful_loop:2", "stackful_loop:2/stack:16/guarded", "some_new_model"]
    colors = [style.model_color(m) for m in models]
    assert len(set(colors)) == len(colors)
    assert style.LIMIT_COLOR not in colors
    # Pools darken as P grows: the sum of RGB falls.
    shade = lambda c: sum(int(c[i:i + 2], 16) for i in (1, 3, 5))
    pools = [shade(style.model_color(f"thread_pool:{p}")) for p in (2, 24, 256)]
    assert pools == sorted(pools, reverse=True)
    # Legend order is fixed whatever order the models come in.
    assert sorted(reversed(models), key=style.model_key) == models


def test_a_stackful_models_options_stay_with_the_model():
    assert sr.parse_name("sleep/stackful_loop:2/stack:16/guarded/tasks:10/wait_ms:5/iterations:1/manual_time") == (
        "sleep", "stackful_loop:2/stack:16/guarded", {"tasks": "10", "wait_ms": "5"})
    assert sr.parse_name("sleep/stackful_loop/tasks:10") == ("sleep", "stackful_loop", {"tasks": "10"})
    # The options' shade is the model's family, darker.
    shade = lambda c: sum(int(c[i:i + 2], 16) for i in (1, 3, 5))
    assert shade(style.model_color("stackful_loop/stack:16")) < shade(style.model_color("stackful_loop"))
    assert shade(style.model_color("stackful_loop/guarded")) < shade(style.model_color("stackful_loop/stack:16"))


def test_variants_of_a_model_share_its_colour_in_file_read(drawn):
    _, colors = drawn
    assert colors["file_read"]["coroutine_loop"] == {style.model_color("coroutine_loop")}
    w = sw.Workload("file_read", [c for c in sr.load([FIXTURE]).cases.values()
                                      if c.workload == "file_read"])
    hatches = {h for _, h in style.variant_styles(w.variant(c) for c in w.cases).values()}
    assert len(hatches) == len({w.variant(c) for c in w.cases}) > 1


def test_chess_has_a_timeline_with_one_panel_per_model(drawn):
    folder, _ = drawn
    w = sw.Workload("chess", [c for c in sr.load([FIXTURE]).cases.values()
                                  if c.workload == "chess"])
    files, x, panels = timeline.draw(w, folder / "traces", folder / "charts", charts.saver(folder / "charts"))
    assert x == 4
    assert panels == ["sequential", "thread_per_task", "thread_pool:2", "coroutine_loop"]
    assert (folder / "charts" / "chess_timeline.png").stat().st_size > 1000
    svg = (folder / "charts" / "chess_timeline.svg").read_text()
    for model in panels:
        assert f"{model}: at most" in svg


def test_lanes_make_a_staircase_for_sequential_and_two_for_a_pool_of_2():
    rows = lambda model: timeline.read_trace(
        FIXTURES / "traces" / timeline.trace_file_name(f"chess/{model}/boards:4/moves:2/think_us:50/reply_us:200"))
    assert timeline.ordered(rows("sequential"))[1] == 1
    assert timeline.ordered(rows("thread_pool:2"))[1] == 2
    assert timeline.ordered(rows("coroutine_loop"))[1] == 4


def test_the_report_links_the_timeline(drawn):
    folder, _ = drawn
    text = (folder / "REPORT.md").read_text()
    assert "](charts/chess_timeline.png)" in text
    assert (folder / "charts" / "chess_timeline.png").is_file()


def test_a_case_over_the_trace_limit_has_no_file_and_the_report_says_why(drawn):
    folder, _ = drawn
    big = "sleep/thread_per_task/tasks:200/wait_ms:2"
    assert not (folder / "traces" / timeline.trace_file_name(big)).exists()
    assert f"- `{big}`: not traced: 200 tasks is over the limit of 100" in (folder / "REPORT.md").read_text()


def test_simul_bench_writes_traces_up_to_the_limit(tmp_path):
    bench = BUILD / "simul-bench"
    if not bench.is_file():
        pytest.skip(f"no simul-bench in {BUILD}")
    done = subprocess.run([bench, "--benchmark_filter=^chess/", "--set=boards:2,3", "--set=moves:1",
                           "--set=think_us:10", "--set=reply_us:10", "--models=sequential",
                           f"--trace-dir={tmp_path / 't'}", "--trace-limit=2",
                           f"--benchmark_out={tmp_path / 'run.json'}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    small = tmp_path / "t" / timeline.trace_file_name("chess/sequential/boards:2/moves:1/think_us:10/reply_us:10")
    rows = timeline.read_trace(small)
    assert [r[0] for r in rows] == [0, 1]
    assert all(r[1] <= r[2] <= r[3] and not r[4] for r in rows)
    assert oct(small.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    assert "boards:3" in (tmp_path / "t" / "not_traced.txt").read_text()
    assert not (tmp_path / "t" / timeline.trace_file_name(
        "chess/sequential/boards:3/moves:1/think_us:10/reply_us:10")).exists()


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_report_files_get_the_umasks_modes(tmp_path, mask):
    src = copy_fixture(tmp_path)
    done = run_script("report.py", src, preexec_fn=lambda: os.umask(mask))
    assert done.returncode == 0, done.stderr
    files = [tmp_path / "REPORT.md"] + list((tmp_path / "charts").iterdir())
    assert len(files) > 10
    for f in files:
        assert f.stat().st_mode & 0o777 == 0o666 & ~mask, f


def test_memory_under_a_page_reads_less_than_4_kib(drawn):
    folder, _ = drawn
    run = sr.load([FIXTURE])
    tiny = [c for c in run.cases.values() if c.runs and c.median("mem_peak_bytes") < 4096]
    assert tiny, "the fixture should have a case under one page"
    assert "< 4 KiB in all" in (folder / "REPORT.md").read_text()
    assert "&lt; 4 KiB" in (folder / "charts" / "file_read.svg").read_text()  # SVG escapes "<"


def with_kernel_counters(b):
    """The counters another change adds, made up from the row's own figures."""
    if b.get("run_type") == "iteration" and "mem_peak_bytes" in b:
        in_flight = b["mem_peak_bytes"] / b["mem_per_task_bytes"] if b["mem_per_task_bytes"] else 1
        b["mem_kernel_bytes"] = 16384.0 * b["threads_peak"]
        b["mem_total_per_task_bytes"] = (b["mem_peak_bytes"] + b["mem_kernel_bytes"]) / max(in_flight, 1)
        b["cpu_total_s"] = b["cpu_user_s"] + b["cpu_sys_s"]


def test_runs_with_kernel_memory_show_both_parts(tmp_path):
    src = copy_fixture(tmp_path, with_kernel_counters)
    run = sr.load([src])
    _, colors = report.report(run, tmp_path)
    text = (tmp_path / "REPORT.md").read_text()
    assert "resident / kernel" in text
    case = run.cases["chess/thread_pool:2/boards:4/moves:2/think_us:50/reply_us:200"]
    kernel, small = sw.memory(case, "kernel")
    assert not small and kernel == pytest.approx(case.median("mem_total_per_task_bytes")
                                                 - case.median("mem_per_task_bytes"))
    row = next(l for l in text.split("## chess")[1].splitlines() if l.startswith("| thread_pool:2 |"))
    assert f"/ {sw.fmt(kernel)} |" in row
    assert "kernel dotted" in (tmp_path / "charts" / "sleep.svg").read_text()
    for per_model in colors.values():
        for model, used in per_model.items():
            assert used == {style.model_color(model)}


def without_kernel_counters(b):
    """A row as simul-bench wrote it before it measured kernel memory."""
    for k in ("mem_kernel_bytes", "mem_pte_bytes", "mem_kstack_bytes", "mem_sock_bytes", "mem_total_per_task_bytes"):
        b.pop(k, None)


def test_runs_without_kernel_memory_say_resident_only(tmp_path):
    report.report(sr.load([copy_fixture(tmp_path, without_kernel_counters)]), tmp_path)
    text = (tmp_path / "REPORT.md").read_text()
    assert "memory per task, resident (B)" in text and "resident / kernel" not in text
    assert "*Kernel* memory" in text  # the methodology says what each part is


# ---- a workload's own counters decide how it is shown, not its name ----------

NEW_NAMES = {"sleep": "doze", "chess": "simultaneous_games", "fetch": "download", "file_read": "scan",
             "serve": "http_echo"}


def renamed(b):
    """The row under a workload name the scripts have never seen."""
    for key in ("name", "run_name"):
        if key in b:
            workload, rest = b[key].split("/", 1)
            b[key] = f"{NEW_NAMES[workload]}/{rest}"


def rename_traces(folder):
    for f in list((folder / "traces").iterdir()):
        workload, sep, rest = f.name.partition("__")
        if sep:
            f.rename(f.with_name(f"{NEW_NAMES[workload]}__{rest}"))
    listed = folder / "traces" / "not_traced.txt"
    listed.write_text("".join(f"{NEW_NAMES[line.split('/')[0]]}/{line.split('/', 1)[1]}"
                              for line in listed.read_text().splitlines(keepends=True)))


def workloads(run):
    names = list(dict.fromkeys(sw.group(c) for c in run.cases.values()))
    return [sw.Workload(n, [c for c in run.cases.values() if sw.group(c) == n]) for n in names]


def test_a_workload_with_a_new_name_gets_the_panels_of_the_one_whose_counters_it_has(tmp_path):
    old = workloads(sr.load([FIXTURE]))
    new = workloads(sr.load([copy_fixture(tmp_path, renamed)]))
    def new_name(old_name):  # chess_rate → simultaneous_games_rate
        base = old_name.removesuffix("_rate")
        return NEW_NAMES[base] + old_name[len(base):]
    assert [w.name for w in new] == [new_name(w.name) for w in old]
    for a, b in zip(old, new):
        assert charts.panels_for(b) == charts.panels_for(a), b.name
        assert charts.files_are_lines(b) == charts.files_are_lines(a), b.name
        assert (b.rate, b.x, b.others, b.throughput) == (a.rate, a.x, a.others, a.throughput)
    scan = next(w for w in new if w.name == "scan")
    assert "efficiency" not in [p[0] for p in charts.panels_for(scan)] and scan.reads_files
    # File reads at two sizes are still bars (cold against warm, per model):
    # because of mib_per_s, which only they carry.
    sizes = [dataclasses.replace(c, params=dict(c.params, chunk_kib=k)) for c in scan.cases for k in ("64", "1024")]
    assert sw.Workload("scan", sizes).x == "chunk_kib" and not charts.files_are_lines(sw.Workload("scan", sizes))
    without = [dataclasses.replace(c, runs=[{k: v for k, v in r.items() if k != "mib_per_s"} for r in c.runs])
               for c in sizes]
    assert charts.files_are_lines(sw.Workload("scan", without))
    assert "efficiency" in [p[0] for p in charts.panels_for(sw.Workload("scan", without))]


def test_a_workload_with_a_new_name_is_reported_as_the_one_whose_counters_it_has(drawn, tmp_path):
    folder, _ = drawn
    src = copy_fixture(tmp_path, renamed)
    rename_traces(tmp_path)
    report.report(sr.load([src]), tmp_path)
    before = (folder / "REPORT.md").read_text().replace(str(folder), "RUN")
    after = (tmp_path / "REPORT.md").read_text().replace(str(tmp_path), "RUN")
    for old, new in NEW_NAMES.items():
        assert new not in before
        after = after.replace(new, old)
    assert after == before  # the chess story's table and timeline included
    assert "story's units" in after and "](charts/simultaneous_games_timeline.png)" in \
        (tmp_path / "REPORT.md").read_text()


# ---- a model kind simul_style.py has never heard of ---------------------------

def fiber_models(b):
    """coroutine_loop's rows as fiber_loop's, thread_pool:2's as fiber_loop:4's."""
    for key in ("name", "run_name"):
        if key in b:
            b[key] = b[key].replace("/coroutine_loop/", "/fiber_loop/").replace("/thread_pool:2/", "/fiber_loop:4/")


def test_an_unknown_model_kind_is_drawn_in_a_stable_spare_colour(tmp_path):
    src = copy_fixture(tmp_path, fiber_models)
    for f in list((tmp_path / "traces").iterdir()):
        f.rename(f.with_name(f.name.replace("__coroutine_loop__", "__fiber_loop__")
                             .replace("__thread_pool-2__", "__fiber_loop-4__")))
    _, colors = report.report(sr.load([src]), tmp_path)
    text = (tmp_path / "REPORT.md").read_text()
    assert "| fiber_loop | 8 |" in text and "| fiber_loop:4 | 8 |" in text
    assert "](charts/chess_timeline.png)" in text
    families = [f"{kind}:{p}" for kind in ("thread_pool", "coroutine_loop", "shared_loop", "stackful_loop")
                for p in (2, 4, 24, 256, 1024)]
    known = {style.model_color(m) for m in ["sequential", "thread_per_task", "coroutine_loop", "stackful_loop"] +
             families}
    spare = {m: style.model_color(m) for m in ("fiber_loop", "fiber_loop:4")}
    for model, color in spare.items():
        assert color not in known | {style.LIMIT_COLOR}, model
        for chart in ("sleep", "chess", "fetch", "file_read"):
            assert colors[chart][model] == {color}, (chart, model)
    # Stable: the same colour in another process, whatever its hash seed.
    done = subprocess.run([sys.executable, "-c", "import simul_style as s; print(s.model_color('fiber_loop'), "
                           "s.model_color('fiber_loop:4'))"], cwd=SCRIPTS, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONHASHSEED="12345"), timeout=60)
    assert done.stdout.split() == [spare["fiber_loop"], spare["fiber_loop:4"]], done.stderr


# ---- other runtimes (docs/PEERS.md) ------------------------------------------

PEERS = ["python_asyncio", "python_uvloop", "python_threads", "python_sequential", "go", "node",
         "tokio_current_thread", "tokio_multi_thread"]  # the ones scripts/peers.sh ships, in legend order


def hue_and_shade(color):
    import colorsys
    h, _, v = colorsys.rgb_to_hsv(*(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    return h * 360, v


def test_each_runtime_has_a_hue_of_its_own_and_its_flavours_shades_of_it():
    families = [f"{kind}:{p}" for kind in ("thread_pool", "coroutine_loop", "shared_loop", "stackful_loop")
                for p in (2, 4, 24, 256, 1024)]
    models = {style.model_color(m) for m in ["sequential", "thread_per_task", "coroutine_loop", "stackful_loop",
                                             "stackful_loop/guarded"] + families}
    peers = [style.model_color(p) for p in PEERS]
    assert len(set(peers)) == len(peers) and not set(peers) & (models | {style.LIMIT_COLOR})
    assert style.model_color("fiber_loop") not in peers  # the spare list stays apart from them too
    for flavours in (PEERS[:4], PEERS[6:]):  # Python's, Tokio's: one hue, darker down the list
        hues, shades = zip(*(hue_and_shade(style.model_color(p)) for p in flavours))
        assert max(hues) - min(hues) < 12, flavours
        assert list(shades) == sorted(shades, reverse=True), flavours
    runtimes = [hue_and_shade(style.model_color(p))[0] for p in ("python_asyncio", "go", "node", "tokio_multi_thread")]
    apart = [min(abs(a - b), 360 - abs(a - b)) for i, a in enumerate(runtimes) for b in runtimes[i + 1:]]
    assert min(apart) > 30, runtimes  # degrees round the colour wheel
    # After simul's models in the legend, runtime by runtime; a kind nobody knows last.
    order = ["coroutine_loop", "stackful_loop:2"] + PEERS + ["fiber_loop"]
    assert sorted(reversed(order), key=style.model_key) == order


def test_peers_are_more_series_in_their_colours_and_an_unknown_one_gets_a_spare(tmp_path):
    data = json.loads((FIXTURES / "peers.json").read_text())
    for b in data["benchmarks"]:  # a runtime simul_style.py has never heard of
        for key in ("name", "run_name"):
            b[key] = b[key].replace("/node/", "/erlang_beam/")
    (tmp_path / "run.json").write_text(json.dumps(data))
    _, colors = report.report(sr.load([tmp_path / "run.json"]), tmp_path)
    for peer in PEERS[:5] + PEERS[6:] + ["erlang_beam"]:
        for chart in ("sleep", "chess"):
            if peer == "python_sequential" and chart == "sleep":
                continue  # it skips sleep: no bar
            assert colors[chart][peer] == {style.model_color(peer)}, (chart, peer)
    assert style.model_color("erlang_beam") not in {style.model_color(p) for p in PEERS}
    text = (tmp_path / "REPORT.md").read_text()
    assert "| erlang_beam | 1 |" in text.split("## Other runtimes")[1]  # a peer by its start-up, not its name
