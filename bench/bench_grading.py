"""Grading a class: `d2lblocks-grade autograde` against stock nbgrader's one-student-at-a-time loop.

Both grade the same 16 submissions of the course's assignment (solved, partly
solved, untouched), in the same run, interleaved round by round:

- anchor: 16 sequential `nbgrader autograde --assignment layers-and-blocks --student S --force`
- ours:   one `d2lblocks-grade autograde SUBMISSIONS` with its defaults (workers = CPU cores), every
          submission in its own bubblewrap sandbox, its tests judged outside the kernel (trusted mode)
- unsafe: the same with `--unsafe-no-sandbox`, to put a number on what the sandbox costs

Prints the median wall time of each, the ratio, the sandbox's cost per submission, and the CPU time
(user + system, every process of the run: grader, fork server, kernels, sandboxes) per submission. Run:

    .venv/bin/python bench/bench_grading.py [--rounds 3] [--students 16] [--course exercises]
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ComputeChecksums

ROOT = Path(__file__).resolve().parent.parent

from d2lblocks_grade.course.master import load_course  # noqa: E402
from d2lblocks_grade.nbgrader_cli import tools_env  # noqa: E402

ASSIGNMENT = "layers-and-blocks"


def _env() -> dict:
    return tools_env()


def make_submissions(course_dir: Path, folder: Path, count: int) -> list[str]:
    """count students: every third untouched, every third with one answer reverted, the rest solved."""
    course = load_course(course_dir, ASSIGNMENT)
    source = nbformat.read(course.root / "source" / ASSIGNMENT / course.notebook_name, as_version=4)
    solved, _ = ClearHiddenTests().preprocess(copy.deepcopy(source), {})
    release, _ = ClearHiddenTests().preprocess(copy.deepcopy(course.master), {})
    release, _ = ComputeChecksums().preprocess(release, {})
    answers = [i for i, c in enumerate(release.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    students = [f"student{i:02d}" for i in range(count)]
    for i, student in enumerate(students):
        nb = copy.deepcopy(release)
        for index in answers:
            nb.cells[index].source = solved.cells[index].source
        if i % 3 == 1:
            nb.cells[answers[i % len(answers)]].source = release.cells[answers[i % len(answers)]].source
        elif i % 3 == 2:
            nb = copy.deepcopy(release)
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / course.notebook_name)
    return students


def stock_course(course_dir: Path, work: Path, subs: Path, students: list[str]) -> Path:
    """A copy of the course set up for `nbgrader autograde`: generated assignment and submitted/."""
    course = work / "stock-course"
    shutil.copytree(course_dir / "source", course / "source")
    if (course_dir / "nbgrader_config.py").exists():
        shutil.copy(course_dir / "nbgrader_config.py", course / "nbgrader_config.py")
    # --assignment works for any course (a bare id is refused where a config sets CourseDirectory.assignment_id)
    subprocess.run(["nbgrader", "generate_assignment", f"--assignment={ASSIGNMENT}", "--force"], cwd=course, env=_env(),
                   check=True, capture_output=True)
    for student in students:
        target = course / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        for nb in (subs / student).glob("*.ipynb"):
            shutil.copy(nb, target / nb.name)
    return course


def _cpu() -> float:
    """CPU seconds of every finished descendant of this process (the kernels' too, once reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_stock(course: Path, students: list[str]) -> tuple[float, float]:
    start, cpu = time.perf_counter(), _cpu()
    for student in students:
        subprocess.run(["nbgrader", "autograde", f"--assignment={ASSIGNMENT}", "--student", student, "--force"], cwd=course,
                       env=_env(), check=True, capture_output=True)
    return time.perf_counter() - start, _cpu() - cpu


def time_ours(course_dir: Path, subs: Path, out: Path, *extra: str) -> tuple[float, float]:
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run([str(Path(sys.executable).parent / "d2lblocks-grade"), "-q", "autograde", str(subs), "--out",
                    str(out), "--course", str(course_dir), "--db", f"sqlite:///{out / 'gradebook.db'}", "--quiet",
                    *extra], env=_env(), check=True,
                   capture_output=True)
    return time.perf_counter() - start, _cpu() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--course", default=str(ROOT / "exercises"))
    args = parser.parse_args(argv)
    course_dir = Path(args.course).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        work = Path(tmp)
        subs = work / "submissions"
        students = make_submissions(course_dir, subs, args.students)
        stock = stock_course(course_dir, work, subs, students)
        ours_t, unsafe_t, stock_t = [], [], []
        ours_c, unsafe_c, stock_c = [], [], []
        for r in range(args.rounds):  # interleaved, so machine load hits all alike
            for times, cpus, (wall, cpu) in (
                    (ours_t, ours_c, time_ours(course_dir, subs, work / f"out{r}")),
                    (unsafe_t, unsafe_c, time_ours(course_dir, subs, work / f"unsafe{r}", "--unsafe-no-sandbox")),
                    (stock_t, stock_c, time_stock(stock, students))):
                times.append(wall)
                cpus.append(cpu)
            print(f"round {r + 1}: ours {ours_t[-1]:6.1f} s   unsandboxed {unsafe_t[-1]:6.1f} s   "
                  f"nbgrader {stock_t[-1]:6.1f} s", file=sys.stderr)
    ours, unsafe, anchor = statistics.median(ours_t), statistics.median(unsafe_t), statistics.median(stock_t)
    n = args.students
    print(f"\nGrading {n} submissions of {ASSIGNMENT} ({os.cpu_count()} CPU cores, median of {args.rounds})")
    cpu = {name: statistics.median(values) / n for name, values in
           (("stock", stock_c), ("ours", ours_c), ("unsafe", unsafe_c))}
    print(f"{'method':<46}{'total s':>9}{'s/student':>11}{'speed-up':>10}{'core-s/student':>16}")
    print(f"{'nbgrader autograde --student S (sequential)':<46}{anchor:>9.1f}{anchor / n:>11.2f}{1.0:>9.2f}x"
          f"{cpu['stock']:>16.2f}")
    print(f"{'d2lblocks-grade autograde (defaults, sandboxed)':<46}{ours:>9.1f}{ours / n:>11.2f}{anchor / ours:>9.2f}x"
          f"{cpu['ours']:>16.2f}")
    print(f"{'d2lblocks-grade autograde --unsafe-no-sandbox':<46}{unsafe:>9.1f}{unsafe / n:>11.2f}"
          f"{anchor / unsafe:>9.2f}x{cpu['unsafe']:>16.2f}")
    cores = os.cpu_count() or 1
    print(f"sandbox cost: {(ours - unsafe) / n * 1000:+.0f} ms wall per submission "
          f"(about {(ours - unsafe) / n * cores * 1000:+.0f} ms of core time on {cores} cores)")
    per_round = statistics.median(a / o for a, o in zip(stock_t, ours_t))
    print(f"median of the per-round speed-ups: {per_round:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
