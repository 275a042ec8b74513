"""Trusted mode judges submissions side by side in threads: a right answer passes however the judges interleave.

Some judges rerun the course's reference under a fixed seed (a dropout mask, freshly drawn weights) on torch's
global random generator, which every thread of the grading process shares.
"""
from __future__ import annotations

import copy
import importlib
import threading

import nbformat
import torch
from project_paths import ASSIGNMENT, COURSE

from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.verify import course_verifier
from d2lblocks_grade.verify.judging import judge_all
from d2lblocks_grade.verify.kernel_side import MIME
from d2lblocks_grade.verify.plan import make_plan
from d2lblocks_grade.verify.wire import dumps

SEEDED = ("ex1_to_eval", "ex3_independent")  # judges whose reference runs under torch.manual_seed
THREADS, ROUNDS = 4, 15


def answered_plan():
    """The real course's plan with the reference's own (right) response in each seeded test's cell."""
    course = load_course(COURSE, ASSIGNMENT)
    verifier = course_verifier.load(course.verifier)
    nb, plan = make_plan(course.master, verifier, course.markers)
    answers = importlib.import_module(f"{verifier.__name__}.reference").ANSWERS
    for cell in nb.cells:
        test = plan.tests.get(cell.get("id"))
        if test is None or test.grade_id not in SEEDED:
            continue
        module, function = verifier.CHECKS[test.grade_id].probe.split(".")
        probe = getattr(importlib.import_module(f"{verifier.__name__}.probes.{module}"), function)
        with torch.random.fork_rng(devices=[]):
            response = probe(test.challenge, answers)
        text = dumps({"nonce": test.nonce, "test": test.grade_id, "response": response})
        cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: text})]
    return nb, plan, verifier


def test_right_answers_pass_when_judged_in_several_threads_at_once():
    nb, plan, verifier = answered_plan()
    failed: list[str] = []
    start = threading.Barrier(THREADS)

    def grade() -> None:
        start.wait()
        for _ in range(ROUNDS):
            verdicts, _ = judge_all(copy.deepcopy(nb), plan, verifier, "en")
            failed.extend(test for test in SEEDED if not verdicts[test].passed)

    threads = [threading.Thread(target=grade) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
