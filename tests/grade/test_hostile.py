"""Hostile submissions earn nothing: every case in the bank is graded and its outcome checked.

Each case is a student notebook for the fixture course (grader/hostile/course.py).
The whole bank is graded once, through the real pipeline (`LocalExecutor` ->
`grade_one` -> sandboxed kernels), while the coordinator holds secrets in its
environment and a gradebook and course source in its working folder.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from hostile import course
from hostile.bank import BANK, case_named
from project_paths import ASSIGNMENT, COURSE

from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.datatypes import GradeJob
from d2lblocks_grade.dispatch.local import LocalExecutor

pytestmark = pytest.mark.slow
REAL_COURSE = COURSE / "source" / ASSIGNMENT
SECRETS = {"DATABASE_URL": "postgresql://grader:hunter2@db/gradebook", "GITHUB_TOKEN": "ghp_secret",
           "NBGRADER_DB_URL": "sqlite:////srv/gradebook.db", "PGPASSWORD": "hunter2"}


def job_for(case) -> GradeJob:
    return GradeJob(student_id=case.name.replace("-", "_"),
                    notebook_bytes=nbformat.writes(case.notebook()).encode(),
                    submitted_name=course.NOTEBOOK, assignment_id=course.ASSIGNMENT,
                    master_notebook_bytes=nbformat.writes(course.master()).encode(),
                    assets={"data/weights.txt": b"asset"}, limits=case.limits)


@pytest.fixture(scope="module")
def coordinator(tmp_path_factory):
    """A coordinator folder with a gradebook and the course source, as an instructor's would be."""
    folder = tmp_path_factory.mktemp("coordinator")
    (folder / "gradebook.db").write_text("grades")
    (folder / "source").mkdir()
    return folder


@pytest.fixture(scope="module")
def results(coordinator):
    with pytest.MonkeyPatch.context() as mp:
        for name, value in SECRETS.items():
            mp.setenv(name, value)
        mp.chdir(coordinator)
        with LocalExecutor(workers=2) as executor:
            futures = {case.name: executor.submit(job_for(case)) for case in BANK}
            if (REAL_COURSE / "layers-and-blocks.ipynb").exists():
                futures["real-course-solution"] = executor.submit(real_course_solution())
            return {name: future.result() for name, future in futures.items()}


def real_course_solution() -> GradeJob:
    """The real assignment's own solution, submitted as a student, graded as the CLI grades it (its
    verifier judges the tests outside the kernel): full marks and no finding."""
    course = load_course(COURSE, ASSIGNMENT)
    return GradeJob(student_id="solution", notebook_bytes=(REAL_COURSE / "layers-and-blocks.ipynb").read_bytes(),
                    submitted_name="layers-and-blocks.ipynb", assignment_id="layers-and-blocks",
                    master_notebook_bytes=course.master_bytes, assets=course.assets, markers=course.markers,
                    verifier=course.verifier, language=course.language)


def outputs(result) -> list:
    nb = nbformat.reads(result.executed_notebook_bytes.decode(), as_version=4)
    return [(c.metadata.get("nbgrader", {}).get("grade_id"), o) for c in nb.cells for o in c.get("outputs", [])]


def printed(result) -> str:
    return "".join(o.get("text", "") for _, o in outputs(result))


@pytest.mark.parametrize("case", BANK, ids=[c.name for c in BANK])
def test_hostile_submission_earns_no_points_it_did_not_earn(case, results):
    """The status, the zeroed and kept tests, and the findings are what the bank promises."""
    result = results[case.name]
    scores = {c.grade_id: (c.score, c.max_score) for c in result.cells}
    said = " | ".join([result.reason, *result.findings, *(c.reason for c in result.cells)])
    assert result.status == case.expect_status, said
    for test in case.expect_zero:
        assert scores[test][0] == 0, f"{test} earned points: {said}"
    for test in case.expect_full:
        assert scores[test][0] == scores[test][1], f"{test} lost points: {said}"
    for words in case.expect_findings:
        assert words in said
    if case.expect_status != "tampered":
        assert not any("was replaced" in f or "was changed" in f for f in result.findings), said


def test_relative_paths_reach_no_course_file_and_no_secret_is_in_the_environment(results, coordinator):
    """The kernel's folder holds only the release's assets; the grader's secrets never reach it."""
    out = printed(results["relative-paths"])
    assert "FOUND []" in out
    here = eval(re.search(r"HERE (\[.*\])", out).group(1))
    assert [name for name in here if not name.startswith(".")] == ["data"]
    env = re.search(r"ENV (\[.*\])", out).group(1)
    assert not any(name in env for name in SECRETS) and "hunter2" not in out
    assert "SECRET VALUES 0" in out
    assert (coordinator / "gradebook.db").read_text() == "grades"


def test_no_process_a_submission_started_survives_grading(results):
    """A plain child and a double-forked, setsid, environment-less daemon are both killed.

    Their pids were printed from inside the sandbox's PID namespace, so they are found here by the
    unusual sleep times they were started with."""
    assert len(re.search(r"PIDS \[([\d, ]+)\]", printed(results["survivors"])).group(1).split(",")) == 2
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"1000.424" in command and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            alive.append(command)
    assert alive == []


def test_a_print_flood_is_truncated_to_the_output_cap(results):
    """30 MB of prints leave about the cap (64 KiB) in the graded notebook, with a notice."""
    out = printed(results["print-flood"])
    assert "output truncated by the grader" in out
    assert len(out) < 2 * case_named("print-flood").limits.output_bytes


def test_a_memory_bomb_fails_the_submission_not_the_machine(results):
    """Both allocations stop at the 3 GiB cap with MemoryError; the kernel lives on to run the tests."""
    errors = {gid: o.get("ename") for gid, o in outputs(results["memory-bomb"]) if o.get("output_type") == "error"}
    assert errors["ex1_answer"] == "MemoryError" and errors["ex2_answer"] == "MemoryError"
    assert {c.grade_id: c.status for c in results["memory-bomb"].cells} == {"ex1_test": "graded", "ex2_test": "graded"}


def test_the_real_assignment_solution_is_graded_in_full_with_no_finding(results):
    """Trusted mode raises no false alarm on the course's real tests (optimizers, hooks, seeds)."""
    if "real-course-solution" not in results:
        pytest.skip("the course's source notebook is not in this checkout")
    result = results["real-course-solution"]
    assert result.status == "graded", result.reason
    assert [f for f in result.findings if "was" in f] == []
    tests = [c for c in result.cells if c.kind == "test"]
    assert tests and all(c.score == c.max_score for c in tests), [(c.grade_id, c.reason) for c in tests]
