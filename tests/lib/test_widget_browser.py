"""The parameter-tree widget in a real JupyterLab, in headless Chromium, with the network off."""
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import require_program

import d2lblocks

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOTEBOOK_CELLS = [
    "import torch, d2lblocks\nmodel = d2lblocks.chimera()\nw = d2lblocks.show(model, torch.rand(2, 20))\nw",
]
# The same tree after set_language("ja"): the browser must show the words Python sends.
JAPANESE_CELLS = [
    "import torch, d2lblocks\nd2lblocks.set_language('ja')\nw = d2lblocks.show(d2lblocks.chimera(), torch.rand(2, 20))\nw",
]
# A training-like update run in the same kernel after the tree is on screen.
UPDATE = "with torch.no_grad():\n    model[2].linear.weight.add_(3.0)\nw.refresh()"
KERNEL_READY = """() => {
  const kernel = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
RUN_IN_KERNEL = """(code) => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel
  .requestExecute({code}).done.then((reply) => reply.content.status)"""


def write_notebook(path: Path, cells: list[str]) -> None:
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                           "outputs": [], "source": source} for i, source in enumerate(cells)],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium; assertions wait up to 30 s, as a busy CI machine can be slow to answer a click."""
    playwright = pytest.importorskip("playwright.sync_api")
    playwright.expect.set_options(timeout=30_000)
    return require_program("chromium")


@contextmanager
def notebook_running(chromium: str, tmp_path: Path, cells: list[str], app: str, page_path: str):
    """A notebook of ``cells`` opened in ``app`` and run; yields the page once the kernel has started."""
    from e2e.browser import offline_chromium
    from e2e.jupyter_server import jupyter_server
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    (tmp_path / "notebooks").mkdir()
    write_notebook(tmp_path / "notebooks" / "tree.ipynb", cells)
    with jupyter_server(tmp_path / "notebooks", app=app) as server, sync_playwright() as p, \
            offline_chromium(p, chromium, tmp_path / "profile") as context:
        page = context.new_page()
        page.goto(server.url_for(page_path))
        # The toolbar's "idle" can show before a kernel exists; wait on the kernel itself.
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        yield page


@pytest.mark.parametrize("app, page_path", [("lab", "lab/tree/tree.ipynb"), ("notebook", "notebooks/tree.ipynb")])
def test_the_widget_renders_expands_on_click_and_updates_after_refresh(chromium, tmp_path, app, page_path):
    """In JupyterLab 4 and Notebook 7: run the cell, click through the tree, refresh after an update."""
    from playwright.sync_api import expect

    with notebook_running(chromium, tmp_path, NOTEBOOK_CELLS, app, page_path) as page:
        widget = page.locator(".d2lpt-w")
        expect(widget.locator(".d2lpt-row")).to_have_count(4, timeout=60_000)
        expect(widget.locator(".d2lpt-summary")).to_contain_text("4,712 parameters")

        widget.locator('.d2lpt-row[data-id="net[2]"]').click()
        expect(widget.locator('.d2lpt-row[data-id="net[2].linear"]')).to_contain_text("reused")
        expect(widget.locator(".d2lpt-details")).to_contain_text("FixedHiddenMLP")
        widget.locator('.d2lpt-row[data-id="net[2].linear"]').click()
        widget.locator('.d2lpt-row[data-id="net[2].linear.weight"]').click()
        expect(widget.locator(".d2lpt-details svg.d2lpt-hist rect")).to_have_count(24)
        mean_before = widget.locator(".d2lpt-details tr", has_text="mean").inner_text()

        assert page.evaluate(RUN_IN_KERNEL, UPDATE) == "ok"
        expect(widget.locator(".d2lpt-details tr", has_text="mean")).not_to_have_text(mean_before)
        page.screenshot(path=str(ARTIFACTS / f"paramtree-widget-{app}.png"), full_page=True)
        widget.locator("input.d2lpt-filter").fill("linear.weight")
        expect(widget.locator(".d2lpt-row")).to_have_count(7)
        expect(widget.locator(".d2lpt-row").nth(2)).to_have_attribute("data-id", "net[0].linear")
        # The widget's output also carries the static view, for notebooks opened without a kernel.
        bundle = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.model.cells
            .get(0).sharedModel.toJSON().outputs.flatMap((o) => Object.keys(o.data || {}))""")
        assert {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"} <= set(bundle)


def test_the_widget_shows_japanese_badges_and_words_after_set_language(chromium, tmp_path):
    """In JupyterLab, with set_language("ja") run first: badges, summary, details and filter are Japanese."""
    from playwright.sync_api import expect

    with notebook_running(chromium, tmp_path, JAPANESE_CELLS, "lab", "lab/tree/tree.ipynb") as page:
        widget = page.locator(".d2lpt-w")
        expect(widget.locator(".d2lpt-row")).to_have_count(4, timeout=60_000)
        expect(widget.locator(".d2lpt-summary")).to_contain_text("パラメータ 4,712 個")
        expect(widget.locator("input.d2lpt-filter")).to_have_attribute("placeholder", "パスで絞り込み（例: weight、net[0]）")
        expect(widget.locator(".d2lpt-info").first).to_contain_text("注: 呼び出し回数は")
        expect(widget.locator(".d2lpt-details")).to_contain_text("行をクリックすると詳細が表示されます。")

        widget.locator('.d2lpt-row[data-id="net[2]"]').click()
        expect(widget.locator('.d2lpt-row[data-id="net[2].linear"] .d2lpt-b-reused')).to_have_text("再利用")
        expect(widget.locator('.d2lpt-row[data-id="net[2].rand_weight"] .d2lpt-b-constant')).to_have_text("定数")
        expect(widget.locator(".d2lpt-details tr", has_text="順伝播での呼び出し回数")).to_be_visible()
        widget.locator('.d2lpt-row[data-id="net[2].rand_weight"]').click()
        expect(widget.locator(".d2lpt-details .d2lpt-b-constant")).to_have_text("定数")
        expect(widget.locator(".d2lpt-details tr", has_text="役割")).to_contain_text("バッファ")
        expect(widget.locator(".d2lpt-details tr", has_text="平均")).to_be_visible()
        expect(widget.locator(".d2lpt-details")).not_to_contain_text("mean")
        page.screenshot(path=str(ARTIFACTS / "paramtree-widget-ja.png"), full_page=True)


def test_the_static_html_view_renders_from_a_file_with_the_network_off(chromium, tmp_path):
    from e2e.browser import offline_chromium
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    page_file = ARTIFACTS / "paramtree-static.html"
    tree = d2lblocks.param_tree(d2lblocks.chimera())
    page_file.write_text(f"<!doctype html><meta charset='utf-8'><title>chimera</title>{tree.to_html()}",
                         encoding="utf-8")
    with sync_playwright() as p, offline_chromium(p, chromium, tmp_path / "profile") as context:
        page = context.new_page()
        context.set_offline(True)
        page.goto(page_file.as_uri())
        summary = page.locator("summary", has_text="net[2]: FixedHiddenMLP")
        expect(summary).to_be_visible()
        child = page.locator("summary", has_text="net[2].linear")
        expect(child).to_be_hidden()
        summary.click()
        expect(child).to_be_visible()
        expect(page.locator(".b-reused, .b-constant").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "paramtree-static.png"), full_page=True)


def test_a_notebook_exported_to_html_shows_the_static_tree_with_the_network_off(chromium, tmp_path):
    """Run in a real kernel, saved without widget state (JupyterLab's default), exported with nbconvert."""
    import nbclient
    import nbconvert
    import nbformat
    from e2e.browser import offline_chromium
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(NOTEBOOK_CELLS[0]))
    nbclient.NotebookClient(notebook, kernel_name="python3", store_widget_state=False, timeout=120).execute()
    page_file = ARTIFACTS / "paramtree-exported-notebook.html"
    page_file.write_text(nbconvert.HTMLExporter().from_notebook_node(notebook)[0], encoding="utf-8")
    with sync_playwright() as p, offline_chromium(p, chromium, tmp_path / "profile") as context:
        page = context.new_page()
        context.set_offline(True)
        page.goto(page_file.as_uri())
        summary = page.locator(".d2lpt summary", has_text="net[2]: FixedHiddenMLP")
        expect(summary).to_be_visible()
        summary.click()
        expect(page.locator(".d2lpt .b-reused")).to_be_visible()
