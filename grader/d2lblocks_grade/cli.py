"""`d2lblocks-grade`: release, autograde, feedback, export, similarity and audit for the Layers-and-Blocks course.

The course's nbgrader_config.py supplies the defaults (delimiters, cell timeout, gradebook URL,
late-penalty plugin); an option given here wins over it.

Example::

    $ d2lblocks-grade release
    $ d2lblocks-grade autograde submissions/ --out grading-out --due 2026-12-01T23:59
    $ d2lblocks-grade export --out grading-out --format canvas --roster canvas-gradebook.csv
    $ d2lblocks-grade similarity submissions/ --out grading-out
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from d2lblocks_grade.course.locate import ASSIGNMENT_HELP
from d2lblocks_grade.datatypes import GiB, Limits
from d2lblocks_grade.kernel.jail import SandboxUnavailable
from d2lblocks_grade.own_environment import database_url, restart_without_secrets
from d2lblocks_grade.pipeline import Options

EXPORT_FORMATS = ("generic", "canvas", "moodle", "gradescope")
STATUS_HELP = ("status column: graded, timeout, invalid-notebook, missing, ambiguous, wrong-assignment, "
               "missing-cell, tampered, crashed, needs-grading, uses-reference, no-response")


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return parse


def _course_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", help="nbgrader course folder (holds nbgrader_config.py and source/); "
                   "default: exercises/ in the current folder")
    p.add_argument("--assignment", help=ASSIGNMENT_HELP)


def _out_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="grading-out", help="output folder (default: %(default)s)")
    p.add_argument("--db-env", metavar="NAME", help="read the gradebook URL from this environment variable")
    p.add_argument("--db-file", metavar="PATH", help="read the gradebook URL from the first line of this file")
    p.add_argument("--db", dest="db_url", help="gradebook URL, e.g. postgresql://user@host/grades "
                   "(default: the course's CourseDirectory.db_url if nbgrader_config.py sets one, else "
                   "sqlite OUT/gradebook.db)")


def configure_logging(level: int) -> None:
    """Diagnostics go to stderr through logging: notes by default, -q warnings only, -qq errors, -v debugging."""
    levels = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO}
    logging.basicConfig(format="d2lblocks-grade: %(levelname)s: %(message)s",
                        level=levels.get(max(level, -2), logging.DEBUG))
    # nbclient and jupyter_client report a student's dead kernel as their own error; the grade says it better.
    for noisy in ("traitlets", "nbclient", "jupyter_client"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level > 1 else logging.CRITICAL)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="d2lblocks-grade", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more diagnostics (-vv: debugging)")
    parser.add_argument("-q", dest="quiet_logs", action="count", default=0, help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="generate the student version into release/ and check it for leaks")
    _course_args(p)

    p = sub.add_parser("autograde", help="grade a class of submissions in parallel",
                       description="Grade SUBMISSIONS/<student>/<assignment>.ipynb (or flat <student>.ipynb "
                                   "files, or a zip). Writes the gradebook, feedback and OUT/grades.csv. "
                                   + STATUS_HELP)
    p.add_argument("submissions", help="folder (or zip) with one notebook per student")
    _out_args(p)
    _course_args(p)
    p.add_argument("--workers", type=_positive(int), help="submissions graded at once (default: CPU cores)")
    p.add_argument("--scheduler", help="grade on Dask: a scheduler address tcp://HOST:PORT, or 'local' for an embedded "
                        "LocalCluster (default: a local process pool, no Dask)")
    p.add_argument("--cell-timeout", type=_positive(float),
                   help="seconds per cell (default: the course's ExecutePreprocessor.timeout, else 60)")
    p.add_argument("--due", metavar="WHEN", help="the assignment's due date, e.g. 2026-12-01T23:59 (UTC) or "
                   "2026-12-01T23:59-05:00; stored in the gradebook as nbgrader's due date (default: the "
                   "gradebook's, if any)")
    p.add_argument("--timeout", type=_positive(float), default=300.0,
                   help="wall-clock seconds per submission; the kernel is killed after (default 300)")
    p.add_argument("--memory-gb", type=_positive(float), default=4.0, help="memory cap per submission (GiB)")
    p.add_argument("--regrade", action="store_true", help="grade again students already graded")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="grade only this student, again even if unchanged (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run submissions without the OS sandbox (bubblewrap); only for a class you trust")

    p = sub.add_parser("feedback", help="write per-student feedback HTML (no hidden tests) again")
    _out_args(p)
    _course_args(p)

    p = sub.add_parser("export", help="grades for an LMS: generic CSV, Canvas, Moodle, or a Gradescope autograder",
                       description="generic: totals.csv (student,lms_user_id,score,...). canvas: Canvas's gradebook "
                                   "import CSV. moodle: Moodle's grading worksheet. gradescope: an autograder zip "
                                   "for Gradescope (needs no graded class). Scores are after late penalties.")
    _out_args(p)
    _course_args(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="generic", help="default: %(default)s")
    p.add_argument("--roster", help="who is who in the LMS: a CSV with columns student,lms_user_id, or the LMS's "
                   "own download (Canvas gradebook export, Moodle grading worksheet)")
    p.add_argument("--column", help="canvas: the assignment's column title as Canvas spells it, e.g. "
                   "'Layers and Blocks (98765)' (default: the roster's column for this assignment, else the "
                   "assignment id, which Canvas imports as a new assignment)")
    p.add_argument("--to", help="where to write (default: OUT/totals.csv, OUT/canvas-grades.csv, "
                   "OUT/moodle-grades.csv or OUT/gradescope-autograder.zip; '-' for stdout)")

    p = sub.add_parser("similarity", help="flag pairs of students whose answers are near-duplicates",
                       description="Compare every student's code answers with the template, comments and names "
                                   "they chose removed; write OUT/similarity.html (flagged pairs side by side) "
                                   "and OUT/similarity.csv.")
    p.add_argument("submissions", help="folder (or zip) with one notebook per student, as for autograde")
    _course_args(p)
    p.add_argument("--out", default="grading-out", help="output folder (default: %(default)s)")
    p.add_argument("--threshold", type=_positive(float), default=None,
                   help="share of the smaller answer's fingerprints two students must share (0-1, default 0.5)")
    p.add_argument("--min-shared", type=_positive(int), default=None,
                   help="fingerprints two students must share at least (default 4)")

    sub.add_parser("audit", help="audit the exercises' tests against a bank of submissions", add_help=False)
    return parser


def _release(args) -> int:
    from d2lblocks_grade.course.locate import assignment_id, course_dir
    from d2lblocks_grade.course.release import release
    args.course = course_dir(args.course)
    args.assignment = assignment_id(args.course, args.assignment)
    folder, leaks = release(args.course, args.assignment)
    for line in leaks:
        print(f"LEAK: the release still contains {line!r}", file=sys.stderr)
    print(f"released {args.assignment} into {folder}" + (" (leaks found)" if leaks else "; no leaks found"))
    return 1 if leaks else 0


def _autograde(args) -> int:
    from d2lblocks_grade.pipeline import autograde, cell_timeout
    from d2lblocks_grade.records.late import parse_due, show_time
    due = parse_due(args.due) if args.due else None
    opts = Options(args.submissions, args.out, args.course, args.assignment, args.workers, args.db_url,
                   args.scheduler, Limits(), args.regrade, tuple(args.student), not args.quiet,
                   unsafe_no_sandbox=args.unsafe_no_sandbox, due=due)
    opts.limits = Limits(cell_timeout_s=cell_timeout(args.cell_timeout, opts.settings), wall_timeout_s=args.timeout,
                         memory_bytes=int(args.memory_gb * GiB))
    summary = autograde(opts)
    print(summary.text())
    if due is not None:
        print(f"due date stored in the gradebook: {show_time(due)}")
    print(f"grades: {opts.out_dir / 'grades.csv'}  picture: {opts.out_dir / 'grade-distribution.svg'}  "
          f"gradebook: {_shown(opts.database)}")
    return 0


def _shown(db_url: str) -> str:
    """A gradebook URL fit to print: no password."""
    import re
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", db_url)


def _feedback(args) -> int:
    from d2lblocks_grade.records.regenerate import regenerate_feedback
    count = regenerate_feedback(Options(None, args.out, args.course, args.assignment, db_url=args.db_url))
    print(f"wrote feedback for {count} students under {Path(args.out) / 'feedback'}")
    return 0


DEFAULT_EXPORT = {"generic": "totals.csv", "canvas": "canvas-grades.csv", "moodle": "moodle-grades.csv",
                  "gradescope": "gradescope-autograder.zip"}


def _export(args) -> int:
    from d2lblocks_grade.course.master import load_course
    opts = Options(None, args.out, args.course, args.assignment, db_url=args.db_url)
    course = load_course(opts.course, opts.assignment)
    target = args.to or opts.out_dir / DEFAULT_EXPORT[args.format]
    if args.format == "gradescope":
        from d2lblocks_grade.lms.gradescope import write_bundle
        if target == "-":
            raise ValueError("--to -: a Gradescope autograder is a zip file; name one, e.g. --to autograder.zip")
        path = write_bundle(course, target)
        print(f"wrote the Gradescope autograder for {course.assignment_id} to {path}; upload it as the assignment's "
              "autograder (Configure Autograder > Zip file upload)")
        return 0
    from d2lblocks_grade.pipeline import refresh_penalties
    from d2lblocks_grade.records.gradebook import GradebookWriter
    from d2lblocks_grade.records.late import LatePolicy
    with GradebookWriter(opts.database, course) as gb:
        refresh_penalties(gb, LatePolicy.from_config(course.config, course.root))
        rows, students = gb.rows(), gb.students()
    text, left_out = _export_text(args, course.assignment_id, rows, students)
    if target == "-":
        sys.stdout.write(text)
    else:
        from d2lblocks_grade.records.atomic import write_atomic
        write_atomic(target, text.encode())
        print(f"wrote {len(students) - len(left_out)} students to {target}")
    if left_out:
        print(f"left out {len(left_out)} student(s) the LMS could not match, having no {args.format} user id: "
              f"{', '.join(left_out[:20])}. Pass --roster with the LMS's own CSV (matched by name) or a CSV "
              "student,lms_user_id", file=sys.stderr)
    return 0


def _export_text(args, assignment: str, rows: list[dict], students: dict[str, dict]) -> tuple[str, list[str]]:
    from d2lblocks_grade.lms.gradebooks import canvas_csv, moodle_csv
    from d2lblocks_grade.lms.roster import canvas_assignment_column, match, read_lms_roster
    from d2lblocks_grade.records.export import TOTAL_COLUMNS, csv_text, totals
    entries = read_lms_roster(args.roster) if args.roster else None
    if args.format == "generic":
        roster = {s: entry.lms_user_id for s, info in students.items()
                  if (entry := match(entries or [], s, info)) is not None and entry.lms_user_id}
        return csv_text(TOTAL_COLUMNS, totals(rows, students, roster)), []
    if args.format == "canvas":
        column = args.column or (canvas_assignment_column(args.roster, assignment) if args.roster else None) or assignment
        return canvas_csv(rows, students, column, entries)
    return moodle_csv(rows, students, entries)


def _similarity(args) -> int:
    from d2lblocks_grade.course.locate import assignment_id, course_dir
    from d2lblocks_grade.course.master import load_course
    from d2lblocks_grade.similarity.compare import DEFAULT_MIN_SHARED, DEFAULT_THRESHOLD, compare_class
    from d2lblocks_grade.similarity.report import write_report
    root = course_dir(args.course)
    course = load_course(root, assignment_id(root, args.assignment))
    report = compare_class(args.submissions, course, args.threshold or DEFAULT_THRESHOLD,
                           args.min_shared or DEFAULT_MIN_SHARED)
    page, table = write_report(report, course.assignment_id, args.out)
    for pair in report.flagged:
        print(f"{pair.a} & {pair.b}: {100 * pair.score:.0f}% of the smaller answer, {pair.shared} shared fingerprints")
    print(f"{len(report.flagged)} flagged pair(s) among {len(report.students)} students; see {page} (all pairs: {table})")
    for student, why in report.skipped.items():
        print(f"not compared: {student}: {why}", file=sys.stderr)
    return 0


def strip_db_options(argv: list[str]) -> list[str]:
    """argv without its gradebook options (the URL travels separately, never on a command line)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--db", "--db-env", "--db-file"):
            skip = True
        elif not arg.startswith(("--db=", "--db-env=", "--db-file=")):
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the command line; ``argv`` given (tests, scripts) means this process is not the command's own."""
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["audit"]:
        from d2lblocks_grade.audit.run import main as audit_main  # the exercises' own tool, loaded only when asked for
        return audit_main(argv[1:])
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose - args.quiet_logs)
    try:
        if hasattr(args, "db_url"):
            args.db_url = database_url(args.db_url, args.db_env, args.db_file)
    except ValueError as err:
        print(f"d2lblocks-grade {args.command}: {err}", file=sys.stderr)
        return 2
    if args.command == "autograde" and from_command_line:  # the command that starts what students control
        restart_without_secrets(strip_db_options(argv), args.db_url)
    handler = {"release": _release, "autograde": _autograde, "feedback": _feedback, "export": _export,
               "similarity": _similarity}
    try:
        return handler[args.command](args)
    except (FileNotFoundError, NotADirectoryError, ValueError, RuntimeError, SandboxUnavailable) as err:
        print(f"d2lblocks-grade {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
