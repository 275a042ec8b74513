"""The end-of-run summary, the grade-distribution picture, feedback pages and LMS exports."""

import io

import nbformat
import pytest

from d2lblocks_grade.datatypes import CellResult, GradeResult
from d2lblocks_grade.records.export import read_roster, totals, write_grades_csv, write_totals_csv
from d2lblocks_grade.records.feedback import REDACTED, find_leaks, render_feedback
from d2lblocks_grade.records.report import histogram_png, histogram_svg, summarize

HIDDEN = 'assert double(-3) == -6, "double must handle negative numbers"'


def _row(student, gid, score, max_score=1.0, status="graded"):
    return {"student": student, "grade_id": gid, "score": score, "max_score": max_score,
            "status": status, "reason": "", "kind": "test"}


ROWS = [_row("a", "ex1_t", 2.0, 2.0), _row("a", "ex2_t", 1.0), _row("b", "ex1_t", 0.0, 2.0, "timeout"),
        _row("b", "ex2_t", 0.0, 1.0, "timeout"), _row("c", "ex1_t", 1.0, 2.0), _row("c", "ex2_t", None)]
STUDENTS = {"a": {"status": "graded"}, "b": {"status": "timeout"}, "c": {"status": "graded"}}


def test_summary_counts_failures_and_means_per_exercise():
    """Graded vs not, the mean total, and each exercise's share of points earned."""
    s = summarize(ROWS, STUDENTS)
    assert (s.graded, s.failed, s.max_total) == (2, {"timeout": 1}, 3.0)
    assert s.mean == pytest.approx((3 + 0 + 1) / 3)
    assert s.per_exercise == {"ex1": pytest.approx(3 / 6), "ex2": pytest.approx(1 / 3)}
    assert "1 timeout" in s.text() and "ex1: 50%" in s.text()


def test_distribution_png_and_svg_are_a_labelled_histogram():
    """Both pictures are matplotlib's: the PNG decodes and holds the bars' colour; the SVG names its axes and title."""
    from PIL import Image

    image = Image.open(io.BytesIO(histogram_png([0.0, 3.0, 3.0], 3.0))).convert("RGB")
    assert image.format is None or image.size[0] > 300
    assert (58, 123, 213) in {colour for _, colour in image.getcolors(maxcolors=1 << 16)}
    svg = histogram_svg([0.0, 3.0, 3.0], 3.0)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("Grade distribution (3 students)", "total score (out of 3)", "students"):
        assert label in svg, label
    assert histogram_svg([0.0, 3.0, 3.0], 3.0) == svg, "the same class draws the same file"


def test_no_hand_written_image_encoder_is_left():
    """The pictures come from matplotlib; the module writes no PNG chunks of its own."""
    import inspect

    from d2lblocks_grade.records import report
    source = inspect.getsource(report)
    assert "zlib" not in source and "IHDR" not in source and "matplotlib" in source


def test_grades_and_totals_csv(tmp_path):
    """grades.csv has the documented columns; totals carry the roster's LMS ids and pending manual grades."""
    path = write_grades_csv(ROWS, tmp_path / "grades.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "student,grade_id,score,max_score,status,reason" and len(lines) == 7
    assert "c,ex2_t,,1,graded," in lines
    dated = {**STUDENTS, "a": {"status": "graded", "due": "2026-12-01", "seconds_late": 90.4, "late_penalty": 1.0}}
    lines = write_grades_csv(ROWS, tmp_path / "dated.csv", dated).read_text().splitlines()
    assert lines[0] == "student,grade_id,score,max_score,status,reason,seconds_late,late_penalty"
    assert "a,ex1_t,2,2,graded,,90,1" in lines and "c,ex2_t,,1,graded,,0,0" in lines
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_user_id\na,1001\nb,1002\n")
    rows = totals(ROWS, STUDENTS, read_roster(roster))
    assert rows[0] == {"student": "a", "lms_user_id": "1001", "score": "3", "max_score": "3",
                       "status": "graded", "needs_manual_grading": 0, "late_penalty": "0", "seconds_late": "0",
                       "submitted_at": ""}
    assert rows[2]["needs_manual_grading"] == 1
    assert write_totals_csv(ROWS, STUDENTS, tmp_path / "t.csv").read_text().startswith("student,lms_user_id")


def test_roster_without_student_column_names_the_fix(tmp_path):
    """A roster in the wrong shape says which columns it needs."""
    bad = tmp_path / "roster.csv"
    bad.write_text("name,id\na,1\n")
    with pytest.raises(ValueError, match="student,lms_user_id"):
        read_roster(bad)


def _executed(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    return nbformat.writes(nb).encode()


def _test_cell(source, error=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": "ex2_test", "grade": True, "solution": False, "locked": True,
                                 "points": 1, "schema_version": 3}
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=error,
                                               traceback=[f"----> 3 {HIDDEN}", "AssertionError: " + error])]
    return cell


def test_feedback_shows_code_and_message_but_never_the_hidden_test():
    """A failed hidden test: the page has the student's code and the message, not the test or traceback."""
    test = _test_cell(f'assert double(2) == 4\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS',
                      error="double must handle negative numbers")
    result = GradeResult("amy", "hw", "graded", cells=[CellResult("ex2_test", 0.0, 1.0, "graded",
                                                                   "AssertionError: double must handle negative numbers")],
                         executed_notebook_bytes=_executed(nbformat.v4.new_code_cell("def double(x):\n    return x + x"), test))
    page, leaks = render_feedback(result, [HIDDEN])
    assert leaks == [] and find_leaks(page, [HIDDEN]) == []
    assert "return x + x" in page and "double must handle negative numbers" in page
    assert "assert double(2) == 4" in page and "hidden tests run here" in page


def test_feedback_redacts_a_hidden_test_the_student_printed():
    """Student code that prints the kernel's input history cannot carry hidden tests into the page."""
    spy = nbformat.v4.new_code_cell("print(_ih)")
    spy.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"['', '{HIDDEN}']")]
    result = GradeResult("eve", "hw", "graded", executed_notebook_bytes=_executed(spy))
    page, leaks = render_feedback(result, [HIDDEN])
    assert leaks == [HIDDEN] and find_leaks(page, [HIDDEN]) == [] and REDACTED in page
