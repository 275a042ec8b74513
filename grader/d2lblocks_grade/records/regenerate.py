"""Rebuild feedback pages from a finished run (gradebook + executed notebooks), e.g. after hand grading.

Late penalties are computed again first, from each student's current score (hand grades
included), since nbgrader's plugins may take a share of the score.

Example::

    >>> regenerate_feedback(Options(None, "grading-out"))   # doctest: +SKIP
    16
"""

from __future__ import annotations

from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.pipeline import Options, refresh_penalties, stored_result, write_student_files
from d2lblocks_grade.records.gradebook import GradebookWriter
from d2lblocks_grade.records.late import LatePolicy

NOTHING_GRADED = ("{out} holds no graded students for {assignment}; run "
                  "`d2lblocks-grade autograde SUBMISSIONS --out {out}` first")


def regenerate_feedback(opts: Options) -> int:
    """Write OUT/feedback/<student>/... again for every recorded student; returns how many."""
    course = load_course(opts.course, opts.assignment)
    policy = LatePolicy.from_config(course.config, course.root)
    with GradebookWriter(opts.database, course) as gb:
        late = refresh_penalties(gb, policy)
        rows, students = gb.rows(), gb.students()
    if not students:
        raise FileNotFoundError(NOTHING_GRADED.format(out=opts.out_dir, assignment=course.assignment_id))
    hidden = hidden_test_lines(course.master, course.markers)
    for student, info in students.items():
        result = stored_result(opts.out_dir, course, student, info, rows)
        write_student_files(opts.out_dir, course, result, hidden, late.get(student))
    return len(students)
