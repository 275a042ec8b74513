"""Release the assignment, grade the bundled example class, print the summary and the gradebook.

    python examples/demo.py OUTDIR        # what `make demo` runs; output under OUTDIR/grading

Example::

    $ python examples/demo.py demo-out
    released layers-and-blocks into exercises/release/layers-and-blocks; no leaks found
    ...
    ada   18/20  graded
"""

from __future__ import annotations

import sys
from pathlib import Path

from d2lblocks_grade.datatypes import Limits
from d2lblocks_grade.pipeline import Options, autograde

EXAMPLES = Path(__file__).resolve().parent / "submissions"
COURSE = Path(__file__).resolve().parent.parent / "exercises"
ASSIGNMENT = "layers-and-blocks"


def gradebook_table(out: Path, opts: Options) -> str:
    from d2lblocks_grade.course.master import load_course
    from d2lblocks_grade.records.export import totals
    from d2lblocks_grade.records.gradebook import GradebookWriter
    with GradebookWriter(opts.database, load_course(opts.course, opts.assignment)) as gb:
        rows, students = gb.rows(), gb.students()
    lines = [f"{'student':<10}{'score':>8}  {'status':<18}reason"]
    for t in totals(rows, students):
        reason = students[t["student"]]["reason"]
        lines.append(f"{t['student']:<10}{t['score'] + '/' + t['max_score']:>8}  {t['status']:<18}{reason[:70]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "demo-out").resolve() / "grading"
    from d2lblocks_grade.course.release import release
    folder, leaks = release(COURSE, ASSIGNMENT)
    print(f"released {ASSIGNMENT} into {folder}; " + (f"LEAKS: {leaks}" if leaks else "no leaks found"))
    # Short limits so the example that never finishes costs seconds, not minutes.
    # A gradebook of the demo's own: the course's configured one (exercises/gradebook.db) is the class's.
    opts = Options(EXAMPLES, out, COURSE, ASSIGNMENT, db_url=f"sqlite:///{out / 'gradebook.db'}", regrade=True,
                   limits=Limits(cell_timeout_s=10, wall_timeout_s=40))
    summary = autograde(opts)
    print("\n" + summary.text())
    print("\n" + gradebook_table(out, opts))
    print(f"\ngrades.csv, feedback/, gradebook.db and grade-distribution.svg/.png are in {out}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
