"""The concrete fixes hint() prints once a check has failed twice, by fix key.

They are the only place that spells out an answer, so they live here, in the course library, and never in
the student's notebook: `d2lblocks-grade release` fails when code of one of them (what stands between
backticks) appears in a released notebook.

    >>> sorted(FIXES)[:3]
    ['ex1-all', 'ex1-chain', 'ex1-children']
"""
from d2lblocks.i18n import N_

FIXES = {
    "stale": N_("in forward, compute the output from X with the blocks on every call and return it; remove the "
                "dictionary or attribute that keeps earlier outputs."),
    "ex1-register": N_("in __init__, after super().__init__(): `for i, block in enumerate(blocks): "
                       "self.add_module(str(i), block)` (or `self.blocks = nn.ModuleList(blocks)`); each position gets "
                       "its own string name."),
    "string-names": N_("give every block a string name: `self.add_module(str(i), block)` for the i-th block."),
    "ex1-children": N_("in forward, loop over self._modules.values() instead of self.children(): `for block in "
                       "self._modules.values(): X = block(X)`, then return X."),
    "ex1-order": N_("loop forward, not backward: `for block in self._modules.values(): X = block(X)` (no reversed())."),
    "ex1-chain": N_("assign each output back to X and return X after the loop: `for block in self._modules.values(): "
                    "X = block(X)`."),
    "ex1-all": N_("loop over all the blocks, with no slice or range(len(...) - 1): `for block in "
                  "self._modules.values(): X = block(X)`."),
    "ex1-return": N_("end forward with return X, after the loop that runs the blocks."),
    "ex1-loop": N_("`for block in self._modules.values(): X = block(X)`, then return X."),
    "ex1-subclass": N_("class MySequential(nn.Module): with your own __init__ (register the blocks) and forward (run "
                       "them in turn)."),
    "ex2-register": N_("in __init__, after super().__init__(): `self.net1 = net1` and `self.net2 = net2` (the objects "
                       "themselves, no copies)."),
    "ex2-cat": N_("`return torch.cat((self.net1(X), self.net2(X)), dim=-1)`: both networks on the same X, joined "
                  "along the last dimension."),
    "ex2-order": N_("put net1's output first: `torch.cat((self.net1(X), self.net2(X)), dim=-1)`."),
    "ex3-sequential": N_("`return nn.Sequential(*[block_factory() for _ in range(n)])`."),
    "ex3-fresh": N_("call the factory inside the loop, once per copy, and do not reseed or copy: "
                    "`nn.Sequential(*[block_factory() for _ in range(n)])`."),
    "ex3-deep": N_("`deep_net = nn.Sequential(replicate(lambda: nn.Sequential(nn.Linear(8, 8), nn.ReLU()), 4), "
                   "nn.Linear(8, 1))`, then `deep_out = deep_net(torch.rand(2, 8))`."),
    "ex4-buffer": N_("in __init__: `self.register_buffer('rand_weight', torch.rand(20, 20))`."),
    "ex4-forward": N_("keep forward exactly as given: linear, F.relu(X @ self.rand_weight + 1), linear again, halve "
                      "while X.abs().sum() > 1, return X.sum()."),
    "ex4-dtype": N_("draw the constant with the default dtype: torch.rand(20, 20), registered with "
                    "`self.register_buffer('rand_weight', ...)`."),
}
