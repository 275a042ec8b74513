"""The course notebooks: stored clean, covering the chapter and its pitfalls, and running without error."""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
sys.path.insert(0, str(NOTEBOOK_DIR))  # the helpers are scripts in notebooks/, next to what they run

import clean_notebooks  # noqa: E402
import run_notebooks  # noqa: E402

COURSE = ["01-layers-and-blocks", "02-pitfalls", "03-looking-inside"]
# The Japanese edition (notebooks/ja/): the same code cells, so what they print is checked in both editions,
# except where the text comes from the library, which prints in the edition's language.
JA_COURSE = [f"ja/{name}" for name in COURSE]
BOTH_EDITIONS = COURSE + JA_COURSE
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# What each notebook must show, as code or prose a reader will find in it.
REQUIRED = {
    "01-layers-and-blocks": [
        "nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))",  # the Sequential MLP
        "class MLP(nn.Module)", "def forward(self, X)", "super().__init__()",  # a custom block
        "ResNet-152", "block_figure(figure_model)", "module._modules.items()",  # Fig. 5.1.1, drawn from a model
        "created once, in `__init__`", "net_a, net_b = MLP().to(device), MLP().to(device)",  # one model per instance
        "loss.backward()", "inputs.grad",  # the block's gradient duty
        "class MySequential(nn.Module)", "self.add_module(str(idx), module)", "self._modules[str(idx)] = module",
        "for module in self._modules.values():", "`children()` de-duplicates", "MySequential(layer, layer)",
        "class FixedHiddenMLP(nn.Module)", "register_buffer", "X = self.linear(X)", "while X.abs().sum() > 1",
        r"f(\mathbf{x}, \mathbf{w}) = c \cdot \mathbf{w}^\top \mathbf{x}", "not useful in real tasks",
        "class NestMLP(nn.Module)", "chimera = nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP())",
        "d2lblocks.show(chimera, X)",  # the widget where the text talks about nesting
        "## Efficiency", "Python overhead", "torch.get_num_threads()", "torch.__version__",
        "batch_verdict(per_call, blocks)", "torch.compile(chimera)", "speed-up", "compile_verdict(",
        "graph_break_verdict(", "except torch._dynamo.exc.BackendCompilerFailed", "What did your table show?",
        "torch._dynamo.explain(FixedHiddenMLP()", "graph break", "torch.frexp(total)", "torch.ldexp(X",
        "MXNet Gluon", "Keras", "`nn.Block`", "`call(self, X)`", "`self._children`", "`self._modules`",
        "`net.add(block)`", "nn.LazyLinear", "net.initialize()", "hybridize",
        "### If you read another edition", "self._modules[block] = block", "X.norm().item() > 1",
        "self.modules = []", "applies `self.dense` only once", "activation='relu'", "modernisation",
        "## Summary", "## Exercises", "exercises/release/layers-and-blocks/layers-and-blocks.ipynb",
        "**ex1", "**ex2", "**ex3", "Python list", "Parallel", "replicate",
    ],
    "02-pitfalls": [
        "d2lblocks.ListSequential(", "torch.optim.SGD(net.parameters()",
        "d2lblocks.demonstrate_list_pitfall(module_keyed=False)",
        "d2lblocks.find_unregistered(net)", "nn.ModuleList(",
        "self._modules[block] = block", "d2lblocks.ModuleKeyedSequential(",
        "[nn.Linear(8, 8)] * 3", "d2lblocks.find_shared_parameters(net)", "d2lblocks.replicate(lambda:",
        "d2lblocks.FixedHiddenMLPPlainTensor()", ".to(torch.float64)", "torch.save(", "load_state_dict(",
        'register_buffer("rand_weight"',
        "# no super().__init__() before this line",
        "self.modules = nn.ModuleList(blocks)",
        "**Why.**", "**Fix.**",
    ],
    "03-looking-inside": [
        "d2lblocks.param_tree(mlp)", "tree.num_params", "d2lblocks.show(chimera, X)",
        "shared = nn.Linear(8, 8)", "d2lblocks.show(tied)", "torch.allclose(total, first_use + second_use)",
        "d2lblocks.LazyMLP()", "lazy(X)", "d2lblocks.show(lazy)",
        "view = d2lblocks.show(model)", "optimizer.step()", "view.refresh()",
    ],
}


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)


def source(name: str, cell_type: str | None = None) -> str:
    return "\n".join(c.source for c in read(name).cells if cell_type in (None, c.cell_type))


def test_the_course_is_three_notebooks_in_reading_order():
    """A student sees the three notebooks of the course, numbered in the order to read them, in each edition."""
    runs = [p.relative_to(NOTEBOOK_DIR).with_suffix("").as_posix() for p in clean_notebooks.course_notebooks()]
    assert runs == BOTH_EDITIONS


@pytest.mark.parametrize("name", COURSE)
def test_notebooks_are_stored_without_outputs_or_execution_counts(name):
    """Opening a notebook shows no stale results: every code cell is stored unexecuted."""
    code = [c for c in read(name).cells if c.cell_type == "code"]
    assert code
    assert [c.outputs for c in code if c.outputs] == []
    assert [c.execution_count for c in code if c.execution_count is not None] == []


@pytest.mark.parametrize("name", COURSE)
def test_notebooks_are_stored_in_the_diff_friendly_form(name):
    """Each notebook is byte for byte what the cleaner writes: indent 1, one source line per item, stable ids."""
    stored = (NOTEBOOK_DIR / f"{name}.ipynb").read_text(encoding="utf-8")
    assert stored == clean_notebooks.clean_text(nbformat.reads(stored, as_version=4)), (
        f"{name}.ipynb is not clean; run: python notebooks/clean_notebooks.py")
    assert stored.endswith("}\n") and '\n "cells": [\n' in stored


@pytest.mark.parametrize("name", COURSE)
def test_every_required_example_and_pitfall_appears(name):
    """The chapter's examples, the pitfalls and the widget are all in the notebook a student reads."""
    text = source(name)
    assert [needle for needle in REQUIRED[name] if needle not in text] == []


def test_the_first_notebook_follows_the_chapter_in_order():
    """The chapter's examples come in the book's order, then the other editions, the summary and exercises."""
    text = source("01-layers-and-blocks")
    order = ["block_figure(figure_model)", "nn.Sequential(nn.LazyLinear(256)", "class MLP(nn.Module)",
             "net_a, net_b", "loss.backward()", "class MySequential(nn.Module)", "class FixedHiddenMLP(nn.Module)",
             "class NestMLP(nn.Module)", "## Efficiency", "torch.compile(", "MXNet Gluon and Keras",
             "### If you read another edition", "## Summary", "## Exercises"]
    positions = [text.find(needle) for needle in order]
    assert -1 not in positions and positions == sorted(positions)


@pytest.mark.parametrize("name", COURSE)
def test_notebooks_pick_their_device_with_try_gpu_and_never_hard_code_one(name):
    """The same notebook runs on a GPU machine and a laptop without an edit."""
    code = source(name, "code")
    assert "device = d2lblocks.try_gpu()" in code
    # .cuda(), .to("cuda"), torch.device("cuda:0"), device="cuda"; comparing device.type == "cuda" is fine
    assert re.findall(r"\.cuda\(\)|\(\s*[\"']cuda|(?<![=!])=\s*[\"']cuda", code) == []


@pytest.mark.parametrize("name", COURSE)
def test_pitfall_cells_catch_the_specific_error_they_demonstrate(name):
    """A demonstrated error is caught by its type, so an unexpected error still stops the notebook."""
    code = source(name, "code")
    assert re.findall(r"except\s*(Exception\b|BaseException\b|:)", code) == []


@pytest.mark.parametrize("name", COURSE)
def test_links_between_notebooks_and_to_the_assignment_resolve(name):
    """Every relative link in the prose points to a file that exists in the repository."""
    links = re.findall(r"\]\(([^)#:]+\.ipynb)\)", source(name, "markdown"))
    assert [link for link in links if not (NOTEBOOK_DIR / link).resolve().is_file()] == []


def test_cleaning_strips_results_and_editor_state_and_is_stable():
    """A notebook saved after running becomes clean, and cleaning twice changes nothing."""
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=7,
                                     outputs=[nbformat.v4.new_output("stream", text="1\n")])
    cell.metadata = {"scrolled": True, "tags": ["keep"]}
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("# Title\n")])
    nb.metadata["widgets"] = {"state": {}}
    first = clean_notebooks.clean_text(nb)
    again = clean_notebooks.clean(nbformat.reads(first, as_version=4))
    assert clean_notebooks.clean_text(nbformat.reads(first, as_version=4)) == first
    assert again.cells[0].outputs == [] and again.cells[0].execution_count is None
    assert again.cells[0].metadata == {"tags": ["keep"]} and "widgets" not in again.metadata
    assert again.cells[1].source == "# Title"


def test_cleaning_keeps_existing_cell_ids_so_edits_do_not_renumber():
    """A cell keeps its id when its text changes; a cell without one gets one from its content."""
    kept = nbformat.v4.new_markdown_cell("before")
    kept.id = "intro"
    nb = clean_notebooks.clean(nbformat.v4.new_notebook(cells=[kept]))
    nb.cells[0].source = "after"
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    del nb.cells[1]["id"]
    ids = [c.id for c in clean_notebooks.clean(nb).cells]
    assert ids[0] == "intro" and re.fullmatch(r"[0-9a-f]{8}", ids[1])


def test_the_cleaner_check_mode_names_an_unclean_notebook(tmp_path, capsys):
    """`clean_notebooks.py --check` fails on a notebook with outputs and passes once it is cleaned."""
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", execution_count=1)]), path)
    assert clean_notebooks.main(["--check", str(path)]) == 1
    assert "dirty.ipynb: not clean" in capsys.readouterr().out
    assert clean_notebooks.main([str(path)]) == 0
    assert clean_notebooks.main(["--check", str(path)]) == 0


def test_cleaning_something_that_is_not_a_notebook_says_what_to_pass():
    """Passing a path string instead of a notebook explains the difference."""
    with pytest.raises(TypeError, match=r"got str.*clean_file\(\)"):
        clean_notebooks.clean("notebooks/01-layers-and-blocks.ipynb")


def test_a_missing_notebook_is_named_with_where_notebooks_live(tmp_path):
    """A mistyped notebook path says which path was wrong and where the course notebooks are."""
    missing = tmp_path / "01-layers.ipynb"
    with pytest.raises(FileNotFoundError, match=r"01-layers\.ipynb.*01-layers-and-blocks\.ipynb"):
        run_notebooks.execute_notebook(missing)
    with pytest.raises(FileNotFoundError, match="01-layers.ipynb"):
        clean_notebooks.clean_file(missing)


def test_a_bad_timeout_is_rejected_before_a_kernel_starts():
    """A zero or non-numeric per-cell timeout is refused with an example of a good one."""
    for timeout in (0, -5, "60", True):
        with pytest.raises(ValueError, match="positive number of seconds"):
            run_notebooks.execute_notebook(NOTEBOOK_DIR / "02-pitfalls.ipynb", timeout=timeout)


def test_rendering_html_without_an_output_folder_says_to_pass_one():
    """Asking for HTML without saying where to write it fails at once, naming out_dir."""
    with pytest.raises(ValueError, match="out_dir"):
        run_notebooks.execute_all(render_html=True)


def test_the_timing_table_totals_the_notebooks_and_marks_unknown_cpu_time():
    """The report lists each notebook's wall and CPU seconds with totals; unknown CPU time shows as '?'."""
    runs = [run_notebooks.NotebookRun("01-a", 10.0, None, cpu_seconds=8.0),
            run_notebooks.NotebookRun("02-b", 5.5, None, cpu_seconds=4.5)]
    assert run_notebooks.timing_table(runs).splitlines()[-1].split() == ["total", "15.5", "12.5"]
    unknown = [run_notebooks.NotebookRun("01-a", 10.0, None)]
    assert run_notebooks.timing_table(unknown).splitlines()[-1].split() == ["total", "10.0", "?"]


# --- executed in real Jupyter kernels -------------------------------------------------------------


@pytest.fixture(scope="module")
def executed(tmp_path_factory, request):
    """Every notebook of both editions executed once, top to bottom, in a fresh python3 kernel, and rendered."""
    out_dir = tmp_path_factory.mktemp("executed-notebooks")
    runs = run_notebooks.execute_all(out_dir=out_dir, render_html=True)
    # Reported past pytest's output capture, so every run (CI included) shows how long the course takes.
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\ncourse notebooks, executed in real kernels:\n" + run_notebooks.timing_table(runs))
    return {run.name: run for run in runs}


def outputs(run, output_type=None):
    return [o for c in run.notebook.cells if c.cell_type == "code" for o in c.outputs
            if output_type in (None, o.output_type)]


def visible_text(page: str) -> str:
    """What a reader sees of some HTML: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def printed(run) -> str:
    return "".join(o.text for o in outputs(run, "stream") if o.name == "stdout")


@pytest.mark.slow
@pytest.mark.parametrize("name", BOTH_EDITIONS)
def test_every_notebook_runs_top_to_bottom_without_errors_or_warnings(executed, name):
    """A student pressing "Run all" sees every cell finish, with no error and no warning printed."""
    run = executed[name]
    assert outputs(run, "error") == []
    stderr = "".join(o.text for o in outputs(run, "stream") if o.name == "stderr")
    assert "Warning" not in stderr, stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-layers-and-blocks", "03-looking-inside", "ja/01-layers-and-blocks",
                                  "ja/03-looking-inside"])
def test_the_parameter_tree_widget_is_displayed(executed, name):
    """The widget shows up as a live view, carrying a static tree for readers without a kernel."""
    widgets = [o for o in outputs(executed[name]) if WIDGET_VIEW in o.get("data", {})]
    assert widgets
    assert all(o.data["text/plain"].startswith("net: ") and o.data["text/html"] for o in widgets)


def cell_outputs(run, cell_id: str) -> list:
    return next(c for c in run.notebook.cells if c.get("id") == cell_id).outputs


def shown(run, cell_id: str) -> str:
    """Everything one cell printed or displayed as text, with whitespace collapsed (sentences are wrapped)."""
    texts = [o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell_outputs(run, cell_id)]
    return " ".join("".join(texts).split())


def verdict_for(ratio: float) -> str:
    """The word the efficiency section must use for a measured eager/compiled ratio."""
    return "faster" if ratio >= 1.1 else "slower" if ratio <= 1 / 1.1 else "about the same"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-layers-and-blocks", "ja/01-layers-and-blocks"])
def test_the_efficiency_section_prints_a_speed_up_table_and_the_graph_break(executed, name):
    """The reader sees measured times with ratios, and that the data-dependent loop breaks the graph."""
    text = printed(executed[name])
    rows = re.findall(r"^(chimera|loop-free chimera)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x$", text, re.M)
    assert [r[0] for r in rows] == ["chimera", "loop-free chimera"]
    for _, eager, compiled, ratio in rows:
        assert float(ratio) == pytest.approx(float(eager) / float(compiled), rel=0.02, abs=0.01)  # printed rounded
    breaks = [int(n) for n in re.findall(r"graph breaks?:\s+(\d+)", text)]
    assert breaks[0] >= 1 and breaks[-1] == 0  # the while loop breaks it; the loop-free rewrite does not
    assert "while X.abs().sum() > 1" in text  # the break is traced back to the loop's line


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-layers-and-blocks", "ja/01-layers-and-blocks"])
def test_the_efficiency_section_says_what_its_own_numbers_show(executed, name):
    """Each conclusion printed under a measurement is the one its printed numbers support, on this machine."""
    run = executed[name]
    assert re.search(r"timing on .+, torch \S+, \d+ CPU threads? for PyTorch", shown(run, "01-25"))
    table = "".join(o.text for o in cell_outputs(run, "01-27") if o.output_type == "stream")
    per_call = {int(b): float(us) for b, us in re.findall(r"^\s*(\d+)\s+([\d.]+)\s+[\d.]+$", table, re.M)}
    assert sorted(per_call) == [1, 16, 256]
    slowdown = re.search(r"A batch 256x larger took ([\d.]+)x as long per call", shown(run, "01-27")).group(1)
    assert float(slowdown) == pytest.approx(per_call[256] / per_call[1], rel=0.02, abs=0.06)  # printed rounded
    compile_cell = shown(run, "01-29")
    assert re.search(r"first call of the compiled x \+ 1 \(compiling it\): [\d.]+ s", compile_cell)
    assert re.search(r"first call of the compiled chimera \(compiling it\): [\d.]+ s", compile_cell)
    table = shown(run, "01-35")
    for name, eager, compiled, ratio in re.findall(r"(chimera|loop-free chimera) ([\d.]+) ([\d.]+) ([\d.]+)x", table):
        sentence = re.search(rf"{name}: compiled ran (?:only )?{ratio}x as fast as eager[^.]*", table).group(0)
        assert verdict_for(float(eager) / float(compiled)) in sentence


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-layers-and-blocks", "ja/01-layers-and-blocks"])
def test_the_chapter_examples_print_what_the_prose_says_they_show(executed, name):
    """Repeated blocks, separate instances, gradients and the exact loop-free rewrite, as printed in notebook 01."""
    run = executed[name]
    assert [o for o in cell_outputs(run, "01-01b") if "image/svg+xml" in o.get("data", {})]  # Fig. 5.1.1
    assert "same initial hidden weights: False" in shown(run, "01-09b")
    assert "training net_a changed net_a's hidden weights: True" in shown(run, "01-09b")
    assert "training net_a changed net_b's hidden weights: False" in shown(run, "01-09b")
    assert re.search(r"input gradient \(2, 20\) norm \d", shown(run, "01-09d"))
    repeated = shown(run, "01-11b")
    assert "entries in _modules: 2 | blocks from children(): 1" in repeated
    assert "MySequential(layer, layer) matches nn.Sequential(layer, layer): True" in repeated
    assert "applying layer once would match: False" in repeated
    loop_free = shown(run, "01-33")
    loop, exact, log2 = map(int, re.search(
        r"the loop halves (\d+) times, halvings\(\) says (\d+), ceil\(log2\(sum\)\) says (\d+)", loop_free).groups())
    assert loop == exact != log2  # the sum shown is one where ceil(log2) is wrong, as the prose says
    assert "same output: True" in loop_free


@pytest.mark.slow
@pytest.mark.parametrize("name", ["03-looking-inside", "ja/03-looking-inside"])
def test_the_shared_gradient_is_shown_to_be_the_sum_of_both_uses(executed, name):
    """Notebook 03 shows numerically that a layer used twice gets the sum of the gradients of its uses."""
    text = shown(executed[name], "03-11")
    assert "untied computes the same function: True" in text
    assert "shared gradient == sum of the two uses: True" in text
    assert "shared gradient == either use alone: False" in text


@pytest.mark.slow
def test_the_first_pitfall_table_shows_only_what_has_been_introduced(executed):
    """Pitfall 1's evidence table has no rows about pitfall 2's bug, and counts are in plain English."""
    table = shown(executed["02-pitfalls"], "02-07")
    assert "parameters()" in table and "_modules[block]" not in table
    assert "print(net) lists 4 child blocks" in table and "print(net) lists 0 child blocks" in table


@pytest.mark.slow
@pytest.mark.parametrize("name", ["02-pitfalls", "ja/02-pitfalls"])
def test_the_pitfalls_fail_visibly_then_their_fixes_work(executed, name):
    """Each pitfall prints its real error or wrong result, and each fix prints the right one."""
    text = printed(executed[name])
    for evidence in ["ValueError: optimizer got an empty parameter list",
                     "parameters()  TypeError: can only concatenate str",
                     "parameters: 72 ", "parameters: 216",
                     "same constant after reloading: False", "same constant after reloading: True",
                     "same output after reloading: True",
                     "AttributeError: cannot assign module before Module.__init__() call",
                     "TypeError: 'method' object is not iterable"]:
        assert evidence in text


@pytest.mark.slow
def test_the_rendered_html_shows_the_static_tree(executed):
    """The HTML pages written for the demo show the parameter tree without a kernel or network."""
    assert sorted(executed) == sorted(BOTH_EDITIONS)
    for name, run in executed.items():
        html_files = [p for p in run.written if p.suffix == ".html"]
        assert len(html_files) == 1 and html_files[0].stat().st_size > 0
        assert html_files[0].as_posix().endswith(f"/{name}.html")  # the Japanese edition under OUT/ja/
        language = "ja" if name.startswith("ja/") else "en"
        assert f'<html lang="{language}"' in html_files[0].read_text(encoding="utf-8")
    for name in ["01-layers-and-blocks", "03-looking-inside", "ja/01-layers-and-blocks", "ja/03-looking-inside"]:
        run = executed[name]
        page = next(p for p in run.written if p.suffix == ".html").read_text(encoding="utf-8")
        fallbacks = [visible_text(o.data["text/html"]) for o in outputs(run) if WIDGET_VIEW in o.get("data", {})]
        assert fallbacks and all(fallback in visible_text(page) for fallback in fallbacks)
        assert WIDGET_VIEW not in page  # no live-widget placeholder that would stay blank offline
