"""The similarity report flags students who handed in the same answers, and nobody who merely wrote the
template, the expected solution or the one obvious idiom."""

import copy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from project_paths import ASSIGNMENT, COURSE, EXAMPLES

from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.similarity.compare import compare_class, without_template
from d2lblocks_grade.similarity.fingerprint import fingerprints, normalise
from d2lblocks_grade.similarity.report import render_report

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SEQ_HEAD = ('class MySequential(nn.Module):\n    """Chain blocks: each block\'s output is the next block\'s input."""\n\n'
            "    def __init__(self, *blocks):\n        super().__init__()\n")
PAR_HEAD = ('class Parallel(nn.Module):\n    """Run two networks on the same input; concatenate their outputs '
            'feature-wise."""\n\n    def __init__(self, net1, net2):\n        super().__init__()\n')
REP_HEAD = ('def replicate(block_factory, n):\n    """Chain n fresh blocks, each built by its own call of '
            'block_factory()."""\n')
MLP_HEAD = ('class FixedHiddenMLP(nn.Module):\n    """The chapter\'s FixedHiddenMLP, with a constant weight that is saved '
            'and moved with the model."""\n\n    def __init__(self):\n        super().__init__()\n')
MLP_TAIL = ("        self.linear = nn.Linear(20, 20)\n\n    def forward(self, X):\n        X = self.linear(X)\n"
            "        X = F.relu(X @ self.rand_weight + 1)\n"
            "        X = self.linear(X)  # the same layer again: one set of weights used twice\n"
            "        while X.abs().sum() > 1:\n            X = X / 2\n        return X.sum()")
IDIOM = PAR_HEAD + ("        self.net1 = net1\n        self.net2 = net2\n\n    def forward(self, X):\n"
                    "        return torch.cat((self.net1(X), self.net2(X)), dim=-1)")

# Independent correct answers, each written its own way; several share the obvious Parallel idiom.
INDEPENDENT = {
    "ana": {
        "ex1_sequential": SEQ_HEAD + "        self.layers = nn.ModuleList(blocks)\n\n    def forward(self, X):\n"
                                     "        for layer in self.layers:\n            X = layer(X)\n        return X",
        "ex2_parallel": IDIOM,
        "ex3_factory": REP_HEAD + "    layers = []\n    for _ in range(n):\n        layers.append(block_factory())\n"
                                  "    return nn.Sequential(*layers)",
        "ex3_network": "net = nn.Sequential(replicate(lambda: nn.Linear(8, 8), 3), nn.ReLU(), nn.Linear(8, 2))\n"
                       "net(torch.rand(4, 8)).shape",
        "ex4_constant": MLP_HEAD + '        self.register_buffer("rand_weight", torch.rand(20, 20))\n' + MLP_TAIL,
    },
    "bo": {
        "ex1_sequential": SEQ_HEAD + "        for position, module in enumerate(blocks):\n"
                                     '            setattr(self, f"block{position}", module)\n'
                                     "        self.count = len(blocks)\n\n    def forward(self, X):\n"
                                     "        for position in range(self.count):\n"
                                     '            X = getattr(self, f"block{position}")(X)\n        return X',
        "ex2_parallel": IDIOM.replace("# ", "# both ") + "  # feature-wise",
        "ex3_factory": REP_HEAD + "    return nn.Sequential(*(block_factory() for _ in range(n)))",
        "ex3_network": "tower = nn.Sequential(replicate(lambda: nn.Sequential(nn.Linear(16, 16), nn.Tanh()), 5))\n"
                       "print(tower(torch.zeros(1, 16)))",
        "ex4_constant": MLP_HEAD + "        self.rand_weight = nn.Parameter(torch.rand(20, 20), requires_grad=False)\n"
                        + MLP_TAIL,
    },
    "cai": {
        "ex1_sequential": SEQ_HEAD + "        from collections import OrderedDict\n"
                                     "        named = OrderedDict((str(i), b) for i, b in enumerate(blocks))\n"
                                     "        self.chain = nn.Sequential(named)\n\n"
                                     "    def forward(self, X):\n        out = X\n"
                                     "        for name, child in self.chain.named_children():\n"
                                     "            out = child(out)\n        return out",
        "ex2_parallel": PAR_HEAD + "        self.branches = nn.ModuleList([net1, net2])\n\n    def forward(self, X):\n"
                                   "        outputs = [branch(X) for branch in self.branches]\n"
                                   "        return torch.cat(outputs, dim=-1)",
        "ex3_factory": REP_HEAD + "    seq = nn.Sequential()\n    for index in range(n):\n"
                                  "        seq.add_module(str(index), block_factory())\n    return seq",
        "ex3_network": "deep = replicate(lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU()), 6)\n"
                       "y = deep(torch.randn(3, 4))\ny.sum()",
        "ex4_constant": MLP_HEAD + "        weight = torch.rand(20, 20)\n"
                                   "        self.register_buffer('rand_weight', weight, persistent=True)\n" + MLP_TAIL,
    },
    "dov": {
        "ex1_sequential": SEQ_HEAD + "        self.steps = nn.ModuleDict({f'step_{k}': m for k, m in enumerate(blocks)})\n\n"
                                     "    def forward(self, X):\n        import functools\n"
                                     "        return functools.reduce(lambda h, m: m(h), self.steps.values(), X)",
        "ex2_parallel": PAR_HEAD + '        self.add_module("left", net1)\n        self.add_module("right", net2)\n\n'
                                   "    def forward(self, X):\n        a, b = self.left(X), self.right(X)\n"
                                   "        return torch.concat([a, b], dim=a.dim() - 1)",
        "ex3_factory": REP_HEAD + "    return nn.Sequential(*map(lambda _: block_factory(), range(n)))",
        "ex3_network": "model = nn.Sequential(nn.Linear(10, 32), replicate(nn.ReLU, 2), nn.Linear(32, 1))\n"
                       "model(torch.ones(5, 10))",
        "ex4_constant": MLP_HEAD + "        self.register_buffer('rand_weight', torch.empty(20, 20))\n"
                                   "        nn.init.uniform_(self.rand_weight)\n" + MLP_TAIL,
    },
}
# An unusual, long answer set, and a copy of it with every name it chose renamed and its comments rewritten.
ORIGINAL = {
    "ex1_sequential": SEQ_HEAD + "        # keep the blocks in a numbered registry\n"
                                 "        self.total = 0\n        for item in blocks:\n"
                                 "            self.add_module('unit%d' % self.total, item)\n            self.total += 1\n\n"
                                 "    def forward(self, X):\n        index = 0\n        result = X\n"
                                 "        while index < self.total:\n"
                                 "            result = self._modules['unit%d' % index](result)\n            index += 1\n"
                                 "        return result",
    "ex2_parallel": PAR_HEAD + "        self.pair = nn.ModuleList()\n        self.pair.append(net1)\n"
                               "        self.pair.append(net2)\n\n    def forward(self, X):\n"
                               "        first = self.pair[0](X)\n        second = self.pair[1](X)\n"
                               "        width = first.shape[-1] + second.shape[-1]\n"
                               "        joined = first.new_zeros(*first.shape[:-1], width)\n"
                               "        joined[..., :first.shape[-1]] = first\n"
                               "        joined[..., first.shape[-1]:] = second\n        return joined",
    "ex3_factory": REP_HEAD + "    if n == 0:\n        return nn.Sequential()\n"
                              "    rest = replicate(block_factory, n - 1)\n"
                              "    return nn.Sequential(block_factory(), *rest.children())",
    "ex3_network": "stack = replicate(lambda: nn.Sequential(nn.Linear(6, 6), nn.GELU()), 7)\n"
                   "sample = torch.rand(9, 6)\nprint(stack(sample).mean())",
    "ex4_constant": MLP_HEAD + "        fixed = torch.rand(20, 20)  # drawn once\n"
                               "        fixed.requires_grad_(False)\n"
                               "        self.register_buffer('rand_weight', fixed.clone())\n" + MLP_TAIL,
}
RENAMES = [("self.total", "self.size"), ("item", "blk"), ("unit%d", "part%d"), ("index", "k"), ("result", "h"),
           ("self.pair", "self.duo"), ("first", "lhs"), ("second", "rhs"), ("width", "w"), ("joined", "combined"),
           ("rest", "tail"), ("stack", "model"), ("sample", "inp"), ("fixed", "constant")]
COMMENTS = [("# keep the blocks in a numbered registry", "# register everything with a counter"),
            ("# drawn once", "# a random constant")]


def copied(answers: dict[str, str]) -> dict[str, str]:
    out = {}
    for gid, source in answers.items():
        for old, new in COMMENTS + RENAMES:
            source = source.replace(old, new)
        out[gid] = source
    return out


def _submission(release, answers: dict[str, str] | None) -> nbformat.NotebookNode:
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            cell.source = answers[gid]
    return nb


def write_students(folder: Path, students: dict[str, dict[str, str] | None]) -> Path:
    release = nbformat.read(COURSE / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student, answers in students.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(_submission(release, answers), folder / student / NOTEBOOK)
    return folder


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE, ASSIGNMENT)


def test_renamed_names_and_rewritten_comments_leave_the_fingerprints_unchanged():
    """What a copier changes first (names they chose, comments, docstrings, literals) changes no fingerprint;
    what a solution does (which library calls it makes) does."""
    kept = {"nn", "torch", "blocks", "X"}
    a = ('def f(blocks):\n    """Doc."""\n    out = []  # store\n    for b in blocks:\n        out.append(b(X) * 2)\n'
         "    return nn.Sequential(*out)")
    b = ("def g(blocks):\n    total = []  # keep them\n    for item in blocks:\n        total.append(item(X) * 3)\n"
         "    return nn.Sequential(*total)")
    c = a.replace("nn.Sequential", "nn.ModuleList").replace("append", "extend")
    assert fingerprints(normalise(a, kept)).keys() == fingerprints(normalise(b, kept)).keys()
    assert fingerprints(normalise(a, kept)).keys() != fingerprints(normalise(c, kept)).keys()
    assert [t.text for t in normalise("self.layers = list(blocks)", {"blocks"})] == \
        ["self", ".", "V", "=", "list", "(", "blocks", ")", ";"]


def test_code_that_is_not_python_is_read_line_by_line():
    """IPython magics and a syntax error do not stop the comparison of the lines that are Python."""
    tokens = normalise("%time x = 1\ny = (\nz = torch.zeros(3)\n", {"torch"})
    assert "torch" in [t.text for t in tokens]


def test_template_lines_are_removed_before_comparison():
    text, lines = without_template("class A:\n    # YOUR CODE HERE\n    x = 1\n", "class A:\n    # YOUR CODE HERE\n")
    assert (text, lines) == ("    x = 1", [3])


def test_a_copied_pair_among_independent_correct_answers_is_the_only_flag(tmp_path, course):
    """Four students with their own correct answers (three share the cat idiom), two who handed in the template,
    and one copy with renamed names and rewritten comments: exactly the copied pair is flagged."""
    subs = write_students(tmp_path, {**INDEPENDENT, "pia": ORIGINAL, "pio": copied(ORIGINAL), "tia": None, "tom": None})
    started = time.perf_counter()
    report = compare_class(subs, course)
    print(f"similarity over {len(report.students)} students: {1000 * (time.perf_counter() - started):.0f} ms")
    assert [(p.a, p.b) for p in report.flagged] == [("pia", "pio")]
    (pair,) = report.flagged
    assert pair.score > 0.8 and set(pair.lines["pia"]) == set(INDEPENDENT["ana"]), "every answer cell matched"
    assert len(report.students) == 8 and not report.skipped


def test_the_bundled_example_class_plus_one_copy_flags_only_the_copy(tmp_path, course):
    """ada, dee and eli hand in the instructor's solution (no evidence), ben the list pitfall, cy a damaged
    file; a copy of dee's never-ending answer, names changed, is the one pair found."""
    subs = tmp_path / "class"
    shutil.copytree(EXAMPLES, subs)
    dee = nbformat.read(subs / "dee" / NOTEBOOK, as_version=4)
    for cell in dee.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex3_factory":
            cell.source = (cell.source.replace("import signal", "import signal as sg").replace("signal.", "sg.")
                           .replace("# ignores the grader's interrupt", "# no interrupts please")
                           .replace("replicate(nn.ReLU, 2)", "replicate(nn.Tanh, 5)"))
    (subs / "dex").mkdir()
    nbformat.write(dee, subs / "dex" / NOTEBOOK)
    report = compare_class(subs, course)
    assert [(p.a, p.b) for p in report.flagged] == [("dee", "dex")]
    assert list(report.skipped) == ["cy"] and "not valid JSON" in report.skipped["cy"]


def test_the_page_shows_each_flagged_pair_side_by_side_escaped(tmp_path, course):
    hostile = {gid: src + "\n# </pre><script>alert('x')</script>" for gid, src in ORIGINAL.items()}
    subs = write_students(tmp_path, {"pia": hostile, "pio": copied(hostile), "ana": INDEPENDENT["ana"]})
    page = render_report(compare_class(subs, course), ASSIGNMENT)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert page.count('class="side"') == 5 and "pia &amp; pio" in page and 'class="hit"' in page
    assert "ana" not in page.split("<table")[1].split("</table>")[0]


def test_a_threshold_outside_0_to_1_names_the_fix(tmp_path, course):
    with pytest.raises(ValueError, match="must be a share between 0 and 1"):
        compare_class(tmp_path, course, threshold=5)


def test_the_similarity_command_writes_the_page_and_the_table(tmp_path):
    subs = write_students(tmp_path / "subs", {"pia": ORIGINAL, "pio": copied(ORIGINAL), **INDEPENDENT})
    run = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "similarity", str(subs), "--course", str(COURSE),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "pia & pio" in run.stdout and "1 flagged pair(s) among 6 students" in run.stdout
    assert (tmp_path / "out" / "similarity.html").exists()
    table = (tmp_path / "out" / "similarity.csv").read_text().splitlines()
    assert table[0] == "student_a,student_b,score,shared_fingerprints,flagged" and table[1].startswith("pia,pio,")
    bad = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "similarity", str(subs), "--course", str(COURSE),
                          "--threshold", "2"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "between 0 and 1" in bad.stderr
