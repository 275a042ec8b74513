"""Autograded notebooks hold no active content when an instructor opens them."""
import nbformat

from d2lblocks_grade.grading.inert import clean_markdown, make_inert


def code_cell_with(*outputs):
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def test_script_html_and_svg_outputs_are_removed_and_their_text_kept():
    nb = nbformat.v4.new_notebook(cells=[code_cell_with(
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": "<script>steal()</script>", "text/plain": "<IPython.core.display.HTML object>"}},
        {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": "steal()"}},
        {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
         "data": {"image/svg+xml": "<svg onload='steal()'/>", "image/png": "iVBORw0KGgo="}})])
    outputs = make_inert(nb).cells[0].outputs
    assert outputs[0].data == {"text/plain": "<IPython.core.display.HTML object>"}
    assert list(outputs[1].data) == ["text/plain"] and "removed by the grader" in outputs[1].data["text/plain"]
    assert set(outputs[2].data) == {"image/png", "text/plain"}


def test_raw_html_in_markdown_is_sanitised_and_plain_markdown_is_untouched():
    assert clean_markdown("**Blocks** in a list: a < b, x > y") == "**Blocks** in a list: a < b, x > y"
    cleaned = clean_markdown('<b onclick="x()">bold</b><script>x()</script><a href="javascript:x()">l</a>')
    assert "onclick" not in cleaned and "<script" not in cleaned and "javascript:" not in cleaned
    assert "<b>bold</b>" in cleaned


def test_widget_state_and_html_raw_cells_are_dropped():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell("<script>x()</script>",
                                                                  metadata={"format": "text/html"})])
    nb.metadata["widgets"] = {"state": {}}
    make_inert(nb)
    assert "widgets" not in nb.metadata and "format" not in nb.cells[0].metadata


def test_markdown_links_cannot_run_script_or_load_remote_images():
    cleaned = clean_markdown("[notes](javascript:fetch('/api'))\n![pixel](https://tracker.example/p.png)\n"
                             "![figure](figure.png)\n[ok](https://d2l.ai)\n[ref]: javascript:alert(1)\n")
    assert "javascript:" not in cleaned
    assert "![pixel]" not in cleaned and "[pixel](https://tracker.example/p.png)" in cleaned
    assert "![figure](figure.png)" in cleaned and "[ok](https://d2l.ai)" in cleaned
