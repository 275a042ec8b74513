"""Work the fork server does once, before it forks any kernel: torch's lazy first calls.

The first forward, backward, optimizer step, ``state_dict`` round trip, dtype
conversion and hook of a process cost about a second of one-off setup inside
torch (dispatch tables, autograd, the optimizer's compiled paths). Done here,
every forked kernel inherits it. The workload builds its own small networks
from fixed numbers and holds nothing of any course or student: a kernel that
reads this process's memory finds only torch's caches.

Example::

    >>> exercise_torch()   # doctest: +SKIP
"""
from __future__ import annotations

import importlib


def exercise_torch() -> None:
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(0)
    X = torch.rand(3, 4)
    body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 4), nn.Identity())
    handle = body[0].register_forward_pre_hook(lambda module, args: None)
    out = torch.cat((body(X), F.relu(X @ torch.rand(4, 4) + 1)), dim=-1)
    handle.remove()
    optimizer = torch.optim.SGD(body.parameters(), lr=0.1)
    out.sum().backward()
    optimizer.step()
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 4), nn.Identity())
    other.load_state_dict(body.state_dict())
    other.register_buffer("constant", torch.rand(2, 2))
    other.eval()
    other.to(torch.float64)(X.double()).abs().sum()
    torch.allclose(X, X), torch.equal(X, X), torch.stack([X, X]).flatten()
    torch.frombuffer(bytearray(X.numpy().tobytes()), dtype=torch.float32).reshape(3, 4).clone()
    nn.Linear(2, 2).to("meta")
    nn.ModuleList([nn.Linear(2, 2)]), nn.ModuleDict({"a": nn.Linear(2, 2)})


def warm(modules: tuple[str, ...] = ("d2lblocks_grade.verify.kernel_side", "IPython.display")) -> None:
    """Import the trusted mode's kernel side and run `exercise_torch`; a failure only costs speed."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    try:
        exercise_torch()
    except Exception:
        pass
