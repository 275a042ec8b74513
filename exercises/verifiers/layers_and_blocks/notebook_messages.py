"""The in-notebook tests' messages that no judge shares, so that `make catalogue` finds them.

The assignment's setup cell and visible test cells (both editions) mark their messages with
``N_`` and render them with ``translate`` in the language in force: English in
layers-and-blocks, Japanese in layers-and-blocks-ja (its setup cell calls
``reference.set_language("ja")``). Most of those messages are the judges' own msgids, and
the catalogue already has them; the ones below exist only in the notebook: hint()'s texts
and its concrete fixes (FIXES). Each is the notebook's text character for character;
tests/course/test_notebook_messages.py checks that every message the notebook marks is in
the catalogue. The grader never renders these.
"""
from d2lblocks.i18n import N_

# A failing visible test's last sentence, and hint()'s printouts.
STUCK = N_("{message} Stuck after your next try? Run hint(\"{exercise}\") in a new cell.")
FAILED_AGAIN = N_("{message} This check has failed {count} times now: run hint(\"{exercise}\") in a new cell for the "
                  "concrete fix.")
NOT_FAILED = N_("No test of {exercise} has failed in this session. hint() only knows the failures of this kernel: "
                "run {exercise}'s test cells first (again after a kernel restart).")
LATEST = N_("{exercise}, latest failing test: {message}")
FAILED_ONCE = N_("It has failed once. Reread its message and the notebook section it names, change your answer, then "
                 "run your cell and the test again. If the test fails a second time, hint(\"{exercise}\") shows the "
                 "concrete fix.")
CONCRETE_FIX = N_("Concrete fix: {fix}")
LIBRARY_VERSION = N_("{name} is the course library's version; write your own {name} in the exercise cell instead of "
                     "importing it from d2lblocks.")

# FIXES: the concrete fix hint() prints once a test has failed twice, by fix key.
FIXES = {
    "stale": N_("in forward, compute the output from X with the blocks on every call and return it; remove the "
                "dictionary or attribute that keeps earlier outputs."),
    "string-names": N_("give every block a string name: self.add_module(str(i), block) for the i-th block."),
    "ex1-register": N_("in __init__, after super().__init__(): for i, block in enumerate(blocks): "
                       "self.add_module(str(i), block) (or self.blocks = nn.ModuleList(blocks)); each position gets "
                       "its own string name."),
    "ex1-children": N_("in forward, loop over self._modules.values() instead of self.children(): for block in "
                       "self._modules.values(): X = block(X), then return X."),
    "ex1-order": N_("loop forward, not backward: for block in self._modules.values(): X = block(X) (no reversed())."),
    "ex1-chain": N_("assign each output back to X and return X after the loop: for block in self._modules.values(): "
                    "X = block(X)."),
    "ex1-all": N_("loop over all the blocks, with no slice or range(len(...) - 1): for block in "
                  "self._modules.values(): X = block(X)."),
    "ex1-return": N_("end forward with return X, after the loop that runs the blocks."),
    "ex1-loop": N_("for block in self._modules.values(): X = block(X), then return X."),
    "ex1-subclass": N_("class MySequential(nn.Module): with your own __init__ (register the blocks) and forward (run "
                       "them in turn)."),
    "ex2-register": N_("in __init__, after super().__init__(): self.net1 = net1 and self.net2 = net2 (the objects "
                       "themselves, no copies)."),
    "ex2-cat": N_("return torch.cat((self.net1(X), self.net2(X)), dim=-1): both networks on the same X, joined along "
                  "the last dimension."),
    "ex2-order": N_("put net1's output first: torch.cat((self.net1(X), self.net2(X)), dim=-1)."),
    "ex3-sequential": N_("return nn.Sequential(*[block_factory() for _ in range(n)])."),
    "ex3-fresh": N_("call the factory inside the loop, once per copy, and do not reseed or copy: "
                    "nn.Sequential(*[block_factory() for _ in range(n)])."),
    "ex3-deep": N_("deep_net = nn.Sequential(replicate(lambda: nn.Sequential(nn.Linear(8, 8), nn.ReLU()), 4), "
                   "nn.Linear(8, 1)), then deep_out = deep_net(torch.rand(2, 8))."),
    "ex4-buffer": N_("in __init__: self.register_buffer('rand_weight', torch.rand(20, 20))."),
    "ex4-forward": N_("keep forward exactly as given: linear, F.relu(X @ self.rand_weight + 1), linear again, halve "
                      "while X.abs().sum() > 1, return X.sum()."),
    "ex4-dtype": N_("draw the constant with the default dtype: torch.rand(20, 20), registered with "
                    "self.register_buffer('rand_weight', ...)."),
}
