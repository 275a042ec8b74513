"""Write the bundled example submissions from the course (run again when the assignment changes).

    .venv/bin/python examples/make_examples.py [--course exercises]

Students: ada solves everything; ben makes the list pitfall in exercise 1 and
skips exercises 3-4; cy's file is truncated (not a notebook); dee's exercise 3
never finishes (and ignores Ctrl-C); eli uploads a renamed copy via the LMS.
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ComputeChecksums

from d2lblocks_grade.course.master import load_course

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ASSIGNMENT = "layers-and-blocks"
LIST_PITFALL = '''class MySequential(nn.Module):
    """Chain blocks: each block's output is the next block's input."""

    def __init__(self, *blocks):
        super().__init__()
        self.blocks = list(blocks)  # a plain list: PyTorch never sees these blocks

    def forward(self, X):
        for block in self.blocks:
            X = block(X)
        return X'''
STUCK = '''import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)  # ignores the grader's interrupt
def replicate(block_factory, n):
    while True:
        pass
replicate(nn.ReLU, 2)'''


def _solved(course) -> dict[str, str]:
    source = nbformat.read(course.root / "source" / ASSIGNMENT / course.notebook_name, as_version=4)
    answers = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", cell.source + "\n").rstrip()
    answers["ex1_explain"] = ("It prints 9 and ['out.weight', 'out.bias']: the layers in the plain Python list are not "
                              "registered, so parameters() and state_dict() never see them. Only out is trained and saved; "
                              "a reloaded Tower gets new random hidden layers. self.hidden = nn.ModuleList([...]) fixes it "
                              "(225 parameters, eight names).")
    return answers


def make_examples(course_dir: Path, out: Path) -> list[Path]:
    course = load_course(course_dir, ASSIGNMENT)
    release, _ = ClearHiddenTests().preprocess(copy.deepcopy(course.master), {})
    release, _ = ComputeChecksums().preprocess(release, {})
    solved = _solved(course)

    def notebook(answers: dict[str, str]) -> bytes:
        nb = copy.deepcopy(release)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
        return nbformat.writes(nb).encode()

    partial = {k: v for k, v in solved.items() if k.startswith(("ex1", "ex2"))}
    partial["ex1_sequential"] = LIST_PITFALL
    files = {
        "ada/layers-and-blocks.ipynb": notebook(solved),
        "ben/layers-and-blocks.ipynb": notebook(partial),
        "cy/layers-and-blocks.ipynb": notebook(solved)[:700],
        "dee/layers-and-blocks.ipynb": notebook({**solved, "ex3_factory": STUCK}),
        "eli/layers-and-blocks (1).ipynb": notebook(solved),
    }
    written = []
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course", default=str(ROOT / "exercises"))
    parser.add_argument("--out", default=str(HERE / "submissions"))
    args = parser.parse_args(argv)
    for path in make_examples(Path(args.course), Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
