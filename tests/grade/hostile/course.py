"""A two-exercise fixture assignment, small enough to grade a hostile submission in seconds.

The hostile bank is written against this course: its tests lean on exactly the
tools the families attack (`torch.allclose`, `torch.equal`,
`torch.testing.assert_close`, `==` on tensors, `nn.Module.parameters`,
`isinstance`, `len`). `master()` is the instructor's notebook with solutions,
`release()` the student's copy, `submission(...)` a student's notebook.

Example::

    >>> nb = submission({"ex1_answer": "def double(x):\\n    return 2 * x"})
    >>> [c.metadata.nbgrader["grade_id"] for c in nb.cells]
    ['imports', 'ex1_answer', 'ex1_test', 'ex2_answer', 'ex2_test']
"""

from __future__ import annotations

import nbformat

ASSIGNMENT = "hostile-fixture"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

IMPORTS = "import torch\nfrom torch import nn"
SOLUTIONS = {
    "ex1_answer": "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
    "ex2_answer": ("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                   "        ### BEGIN SOLUTION\n        self.lin = nn.Linear(4, 2)\n"
                   "        ### END SOLUTION\n\n    def forward(self, X):\n"
                   "        ### BEGIN SOLUTION\n        return self.lin(X)\n        ### END SOLUTION"),
}
STUBS = {
    "ex1_answer": "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    "ex2_answer": ("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                   "        # YOUR CODE HERE\n        raise NotImplementedError()"),
}
TESTS = {
    "ex1_test": ("x = torch.arange(3.0)\nexpected = torch.tensor([0.0, 2.0, 4.0])\n"
                 "assert isinstance(double(x), torch.Tensor), 'double must return a tensor'\n"
                 "assert torch.allclose(double(x), expected)\n"
                 "assert torch.equal(double(x), expected)\n"
                 "assert bool((double(x) == expected).all())\n"
                 "torch.testing.assert_close(double(x), expected)"),
    "ex2_test": ("net = Net()\nassert isinstance(net, nn.Module)\n"
                 "assert len(list(net.parameters())) == 2, 'Net must register its Linear layer'\n"
                 "X = torch.ones(3, 4)\nout = net(X)\nassert out.shape == (3, 2)\n"
                 "assert torch.allclose(out, X @ net.lin.weight.T + net.lin.bias)"),
}


def _cell(grade_id: str, source: str, *, solution=False, grade=False, locked=False, points=0):
    cell = nbformat.v4.new_code_cell(source)
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
            "schema_version": 3}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _notebook(answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [_cell("imports", IMPORTS, locked=True)]
    for n in (1, 2):
        nb.cells.append(_cell(f"ex{n}_answer", answers[f"ex{n}_answer"], solution=True))
        nb.cells.append(_cell(f"ex{n}_test", TESTS[f"ex{n}_test"], grade=True, locked=True, points=1))
    return nb


def master() -> nbformat.NotebookNode:
    """The instructor's notebook: solutions and tests."""
    return _notebook(SOLUTIONS)


def release() -> nbformat.NotebookNode:
    """What students receive: stubs in the answer cells."""
    return _notebook(STUBS)


def submission(answers: dict[str, str] | None = None, honest: bool = True) -> nbformat.NotebookNode:
    """A student's notebook: `answers` by grade id over the solutions (honest) or the stubs."""
    base = dict(SOLUTIONS if honest else STUBS)
    unknown = set(answers or {}) - set(base)
    if unknown:
        raise KeyError(f"submission() knows the answer cells {sorted(base)}, not {sorted(unknown)}")
    base.update(answers or {})
    return _notebook(base)
