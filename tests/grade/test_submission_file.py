"""What a student's file must be before the grader works with it; each refusal names the problem and the fix."""
import json

import nbformat
import pytest

from d2lblocks_grade.course.submission_file import BadNotebook, json_depth, parse_submission


def notebook(**cell_fields) -> dict:
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None,
            **cell_fields}
    return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def refused(data: bytes, **kwargs) -> str:
    with pytest.raises(BadNotebook) as info:
        parse_submission(data, **kwargs)
    assert info.value.status == "invalid-notebook"
    return info.value.reason


def test_a_proper_notebook_is_read_and_its_outputs_are_dropped():
    nb = parse_submission(json.dumps(notebook(outputs=[{"output_type": "weird"}])).encode())
    assert nb.cells[0].source == "x = 1" and nb.cells[0].outputs == []
    assert isinstance(nb, nbformat.NotebookNode)


@pytest.mark.parametrize("data, words", [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "not valid JSON"),
    (b"[" * 5000 + b"]" * 5000, "levels deep"),
    (b'{"cells": "none"}', "no list of cells"),
    (b'{"nbformat": 3, "worksheets": []}', "nbformat 3"),
])
def test_files_that_are_not_notebooks_are_refused_with_the_reason(data, words):
    assert words in refused(data)


@pytest.mark.parametrize("fields, words", [
    ({"metadata": "x"}, "metadata is not a JSON object"),
    ({"metadata": {"nbgrader": "x"}}, "nbgrader metadata is not a JSON object"),
    ({"metadata": {"nbgrader": {"grade_id": ["ex1"]}}}, "grade_id is not text"),
    ({"metadata": {"nbgrader": {"grade_id": "ex1", "points": "2"}}}, "points are not a number"),
    ({"metadata": {"nbgrader": {"grade_id": "ex1", "grade": "yes"}}}, "'grade' flag is not true or false"),
    ({"source": {"a": 1}}, "source is not text"),
    ({"cell_type": "widget"}, "unknown cell type"),
])
def test_a_damaged_cell_is_named_by_its_position(fields, words):
    reason = refused(json.dumps(notebook(**fields)).encode())
    assert "cell 1 is damaged" in reason and words in reason and "fix or delete that cell" in reason


def test_size_and_cell_count_are_capped():
    assert "more than the 1 MiB" in refused(json.dumps(notebook(source="x" * (2 << 20))).encode(), max_bytes=1 << 20)
    many = {"cells": [notebook()["cells"][0]] * 6000, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert "6000 cells" in refused(json.dumps(many).encode())


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"a": "[[[[", "b": [1, [2]]}') == 3
