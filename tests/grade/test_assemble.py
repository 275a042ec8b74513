"""Building the notebook that is graded, and refusing files that are not this assignment's notebook."""

import nbformat
import pytest
from grader_fixtures import ASSIGNMENT, CORRECT, HIDDEN_LINE, NOTEBOOK, make_course, student_notebook

from d2lblocks.i18n import translate
from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.course.submission_file import EMPTY_FILE, BadNotebook, parse_submission
from d2lblocks_grade.datatypes import INVALID, MISSING_CELL, TAMPERED, WRONG_ASSIGNMENT, GradeJob, Limits
from d2lblocks_grade.grading.grade_one import precheck
from d2lblocks_grade.integrity.assemble import TEST_EDITED, assemble, grade_id


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def master(course):
    return load_course(course, ASSIGNMENT).master


def _nb(data: bytes):
    return parse_submission(data)


def _source_of(nb, gid):
    return next(c.source for c in nb.cells if grade_id(c) == gid)


def test_master_keeps_hidden_tests_and_clears_solutions(master):
    """The master runs the hidden tests but never contains the instructor's solution."""
    assert HIDDEN_LINE in _source_of(master, "ex2_test_double")
    assert "return 2 * x" not in _source_of(master, "ex2_double")
    assert hidden_test_lines(master) == [
        'assert net(torch.ones(1, 2)).shape == (1, 3), "the output must have 3 features"', HIDDEN_LINE]


def test_answers_come_from_the_student_and_tests_from_the_master(course, master):
    """An honest submission: its answers, the master's tests including the hidden ones, no findings."""
    graded = assemble(_nb(student_notebook(course, CORRECT)), master)
    assert _source_of(graded.notebook, "ex2_double") == CORRECT["ex2_double"]
    assert HIDDEN_LINE in _source_of(graded.notebook, "ex2_test_double")
    assert graded.findings == [] and graded.overrides == {}


def test_edited_test_is_replaced_and_scores_zero(course, master):
    """A student who weakens a test still runs the original, and that test is marked tampered."""
    def weaken(nb):
        next(c for c in nb.cells if grade_id(c) == "ex2_test_double").source = "pass"
    graded = assemble(_nb(student_notebook(course, CORRECT, edit=weaken)), master)
    assert HIDDEN_LINE in _source_of(graded.notebook, "ex2_test_double")
    assert graded.overrides["ex2_test_double"][0] == TAMPERED
    assert "edited" in graded.overrides["ex2_test_double"][1]


def test_deleted_and_duplicated_tests_are_restored_once_and_flagged(course, master):
    """Deleting one test and copying another: each original runs exactly once, both are flagged."""
    def edit(nb):
        test1 = next(c for c in nb.cells if grade_id(c) == "ex1_test_net")
        copied = nbformat.from_dict(dict(test1, id="copy1"))
        nb.cells = [c for c in nb.cells if grade_id(c) != "ex2_test_double"] + [copied]
    graded = assemble(_nb(student_notebook(course, CORRECT, edit=edit)), master)
    ids = [grade_id(c) for c in graded.notebook.cells]
    assert ids.count("ex1_test_net") == 1 and ids.count("ex2_test_double") == 1
    assert "deleted" in graded.overrides["ex2_test_double"][1]
    assert "2 times" in graded.overrides["ex1_test_net"][1]


def test_missing_answer_cell_marks_its_tests(course, master):
    """An answer cell whose metadata was stripped leaves its tests `missing-cell`, with the fix."""
    def strip(nb):
        next(c for c in nb.cells if grade_id(c) == "ex2_double").metadata.pop("nbgrader")
    graded = assemble(_nb(student_notebook(course, CORRECT, edit=strip)), master)
    status, reason = graded.overrides["ex2_test_double"]
    assert status == MISSING_CELL and "ex2_double" in reason and "YOUR CODE HERE" in reason
    assert "ex1_test_net" not in graded.overrides


def test_student_helper_cells_run_before_the_answer_that_follows_them(course, master):
    """A helper cell the student added keeps its place among the graded cells."""
    def add_helper(nb):
        at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "ex2_double")
        nb.cells.insert(at, nbformat.v4.new_code_cell("def helper():\n    return 2"))
    graded = assemble(_nb(student_notebook(course, CORRECT, edit=add_helper)), master)
    sources = [c.source for c in graded.notebook.cells]
    helper = sources.index("def helper():\n    return 2")
    assert helper < [grade_id(c) for c in graded.notebook.cells].index("ex2_double")


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', "nbformat 3"),
    (b"[1, 2]", "not a Jupyter notebook"),
])
def test_broken_files_are_invalid_notebooks_with_a_reason(data, words):
    """Each kind of broken file is named, so the student knows what to fix."""
    with pytest.raises(BadNotebook) as info:
        parse_submission(data)
    assert info.value.status == INVALID and words in info.value.reason


def test_notebook_of_another_assignment_is_recognised(course):
    """A notebook whose graded cells belong to another assignment gets `wrong-assignment`, every row."""
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    other.cells[0].metadata["nbgrader"] = {"grade_id": "hw3_q1", "solution": True, "grade": False,
                                           "locked": False, "schema_version": 3}
    c = load_course(course, ASSIGNMENT)
    job = GradeJob("zoe", nbformat.writes(other).encode(), NOTEBOOK, ASSIGNMENT, c.master_bytes, limits=Limits())
    result = precheck(job)
    assert result.status == WRONG_ASSIGNMENT and "hw3_q1" in result.reason
    assert {cell.status for cell in result.cells} == {WRONG_ASSIGNMENT} and len(result.cells) == 3


def test_a_japanese_assignment_gives_its_reasons_in_japanese(course, master):
    """The job's language reaches the reasons students read (a test's override, a refused notebook, the
    result's language); the instructor's findings stay English."""
    def weaken(nb):
        next(c for c in nb.cells if grade_id(c) == "ex2_test_double").source = "pass"
    graded = assemble(_nb(student_notebook(course, CORRECT, edit=weaken)), master, language="ja")
    status, reason = graded.overrides["ex2_test_double"]
    assert status == TAMPERED and reason == translate(TEST_EDITED, "ja", test="ex2_test_double") != \
        TEST_EDITED.format(test="ex2_test_double")
    assert graded.findings == [TEST_EDITED.format(test="ex2_test_double")]
    job = GradeJob("zoe", b"", NOTEBOOK, ASSIGNMENT, load_course(course, ASSIGNMENT).master_bytes, language="ja")
    result = precheck(job)
    assert result.language == "ja" and result.status == INVALID and result.reason == translate(EMPTY_FILE, "ja")
    assert {cell.reason for cell in result.cells} == {translate(EMPTY_FILE, "ja")}


def test_precheck_lets_real_notebooks_through(course):
    """A good notebook needs a kernel: precheck returns None for it."""
    c = load_course(course, ASSIGNMENT)
    job = GradeJob("amy", student_notebook(course, CORRECT), NOTEBOOK, ASSIGNMENT, c.master_bytes)
    assert precheck(job) is None


def test_limits_reject_nonsense():
    """A zero or negative limit is refused with the field's name."""
    with pytest.raises(ValueError, match="cell_timeout_s"):
        Limits(cell_timeout_s=0)
