"""Rebuild feedback pages from a finished run (gradebook + executed notebooks), e.g. after hand grading.

Example::

    >>> regenerate_feedback(Options(None, "grading-out"))   # doctest: +SKIP
    16
"""

from __future__ import annotations

from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.datatypes import CellResult, GradeResult
from d2lblocks_grade.pipeline import Options, write_student_files
from d2lblocks_grade.records.gradebook import GradebookWriter

NOTHING_GRADED = ("{out} holds no graded students for {assignment}; run "
                  "`d2lblocks-grade autograde SUBMISSIONS --out {out}` first")


def regenerate_feedback(opts: Options) -> int:
    """Write OUT/feedback/<student>/... again for every recorded student; returns how many."""
    course = load_course(opts.course, opts.assignment)
    with GradebookWriter(opts.database, course) as gb:
        rows, students = gb.rows(), gb.students()
    if not students:
        raise FileNotFoundError(NOTHING_GRADED.format(out=opts.out_dir, assignment=course.assignment_id))
    hidden = hidden_test_lines(course.master, course.markers)
    for student, info in students.items():
        cells = [CellResult(**{k: r[k] for k in ("grade_id", "score", "max_score", "status", "reason", "kind")})
                 for r in rows if r["student"] == student]
        executed = opts.out_dir / "autograded" / student / course.assignment_id / course.notebook_name
        result = GradeResult(student, course.assignment_id, info["status"], info["reason"], cells,
                             executed.read_bytes() if executed.exists() else None)
        write_student_files(opts.out_dir, course, result, hidden)
    return len(students)
