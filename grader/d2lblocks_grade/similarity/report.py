"""The similarity report: an HTML page showing each flagged pair side by side (escaped), and a CSV of every pair.

Example::

    >>> html_page = render_report(report, "layers-and-blocks")   # doctest: +SKIP
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from d2lblocks_grade.records.atomic import write_atomic
from d2lblocks_grade.records.export import csv_text
from d2lblocks_grade.similarity.compare import Pair, Report

PAIR_COLUMNS = ("student_a", "student_b", "score", "shared_fingerprints", "flagged")


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("d2lblocks_grade.similarity", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("similarity.html.j2")


def _side(report: Report, pair: Pair, student: str) -> dict:
    answers = report.answers[student]
    hits = pair.lines.get(student, {})
    return {"student": student,
            "cells": {gid: [{"text": text, "hit": number in hits.get(gid, set())}
                            for number, text in enumerate(source.splitlines(), 1)]
                      for gid, source in answers.full.items()}}


def render_report(report: Report, assignment: str) -> str:
    """The page: a table of flagged pairs, then each pair's answers side by side, shared lines highlighted."""
    flagged: list[dict] = []
    for pair in report.flagged:
        cells = [gid for gid in report.answers[pair.a].full if pair.lines[pair.a].get(gid) or pair.lines[pair.b].get(gid)]
        flagged.append({"a": pair.a, "b": pair.b, "score": pair.score, "shared": pair.shared, "cells": cells,
                        "sides": [_side(report, pair, pair.a), _side(report, pair, pair.b)]})
    for item in flagged:  # both sides list every compared cell, even one a student left out
        sides: list[dict] = item["sides"]
        for side in sides:
            for gid in item["cells"]:
                side["cells"].setdefault(gid, [{"text": "(no answer)", "hit": False}])
    return _template().render(assignment=assignment, students=len(report.students), skipped=report.skipped,
                              flagged=flagged, min_shared=report.min_shared, percent=round(100 * report.threshold))


def write_report(report: Report, assignment: str, out: str | Path) -> tuple[Path, Path]:
    """OUT/similarity.html and OUT/similarity.csv (every pair that shares anything, flagged or not)."""
    out = Path(out)
    page = write_atomic(out / "similarity.html", render_report(report, assignment).encode())
    flagged = {(p.a, p.b) for p in report.flagged}
    rows = [{"student_a": p.a, "student_b": p.b, "score": f"{p.score:.3f}", "shared_fingerprints": p.shared,
             "flagged": "yes" if (p.a, p.b) in flagged else "no"} for p in report.pairs]
    table = write_atomic(out / "similarity.csv", csv_text(PAIR_COLUMNS, rows).encode())
    return page, table
