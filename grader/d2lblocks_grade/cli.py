"""`d2lblocks-grade`: release, autograde, feedback, export and audit for the Layers-and-Blocks course.

Example::

    $ d2lblocks-grade release
    $ d2lblocks-grade autograde submissions/ --out grading-out
    $ d2lblocks-grade export --out grading-out --roster roster.csv
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from d2lblocks_grade.datatypes import GiB, Limits
from d2lblocks_grade.kernel.jail import SandboxUnavailable
from d2lblocks_grade.own_environment import database_url, restart_without_secrets
from d2lblocks_grade.pipeline import Options

STATUS_HELP = ("status column: graded, timeout, invalid-notebook, missing, ambiguous, wrong-assignment, "
               "missing-cell, tampered, crashed, needs-grading")


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
    p.add_argument("--assignment", help="assignment id (default: the course's only assignment)")


def _out_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="grading-out", help="output folder (default: %(default)s)")
    p.add_argument("--db-env", metavar="NAME", help="read the gradebook URL from this environment variable")
    p.add_argument("--db-file", metavar="PATH", help="read the gradebook URL from the first line of this file")
    p.add_argument("--db", dest="db_url", help="gradebook URL, e.g. postgresql://user@host/grades "
                   "(default: sqlite OUT/gradebook.db)")


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
    p.add_argument("--cell-timeout", type=_positive(float), default=60.0, help="seconds per cell (default 60)")
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

    p = sub.add_parser("export", help="totals per student as CSV for an LMS")
    _out_args(p)
    _course_args(p)
    p.add_argument("--roster", help="CSV with columns student,lms_user_id")
    p.add_argument("--to", help="where to write (default: OUT/totals.csv; '-' for stdout)")

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
    from d2lblocks_grade.pipeline import autograde
    limits = Limits(cell_timeout_s=args.cell_timeout, wall_timeout_s=args.timeout,
                    memory_bytes=int(args.memory_gb * GiB))
    opts = Options(args.submissions, args.out, args.course, args.assignment, args.workers, args.db_url,
                   args.scheduler, limits, args.regrade, tuple(args.student), not args.quiet,
                   unsafe_no_sandbox=args.unsafe_no_sandbox)
    summary = autograde(opts)
    print(summary.text())
    print(f"grades: {opts.out_dir / 'grades.csv'}  picture: {opts.out_dir / 'grade-distribution.svg'}")
    return 0


def _feedback(args) -> int:
    from d2lblocks_grade.records.regenerate import regenerate_feedback
    count = regenerate_feedback(Options(None, args.out, args.course, args.assignment, db_url=args.db_url))
    print(f"wrote feedback for {count} students under {Path(args.out) / 'feedback'}")
    return 0


def _export(args) -> int:
    from d2lblocks_grade.course.master import load_course
    from d2lblocks_grade.records.export import read_roster, totals, write_totals_csv
    from d2lblocks_grade.records.gradebook import GradebookWriter
    opts = Options(None, args.out, args.course, args.assignment, db_url=args.db_url)
    roster = read_roster(args.roster) if args.roster else None
    with GradebookWriter(opts.database, load_course(opts.course, opts.assignment)) as gb:
        rows, students = gb.rows(), gb.students()
    if args.to == "-":
        import csv
        writer = csv.DictWriter(sys.stdout, fieldnames=list(totals(rows, students, roster)[0]) if students else [])
        writer.writeheader()
        writer.writerows(totals(rows, students, roster))
        return 0
    path = write_totals_csv(rows, students, args.to or opts.out_dir / "totals.csv", roster)
    print(f"wrote {len(students)} students to {path}")
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
    handler = {"release": _release, "autograde": _autograde, "feedback": _feedback, "export": _export}
    try:
        return handler[args.command](args)
    except (FileNotFoundError, NotADirectoryError, ValueError, RuntimeError, SandboxUnavailable) as err:
        print(f"d2lblocks-grade {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
