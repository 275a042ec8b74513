"""``demonstrate_list_pitfall``: run both Sequentials side by side and collect the evidence."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from ._pitfalls import ListSequential, ModuleKeyedSequential
from ._sequential import MySequential
from .i18n import N_, columns, pad, translate

BAD_SEED = N_("demonstrate_list_pitfall(seed) needs a whole number seed such as 0, got {seed!r}.")
# The table's headers and the evidence in its cells; code (parameters(), .eval()) stays as written.
_CHECK = N_("check")
_REGISTERED = N_("MySequential (registered)")
_BROKEN = N_("broken container")
_OPTIMIZER_STEP = N_("optimizer step")
_SAVE_LOAD = N_("save + load")
_PARAMS = N_("{count} parameters in {tensors} tensors")
_STEP_UPDATED = N_("SGD step updated {changed} of {total} tensors")
_RELOADED_MATCHES = N_("{count} tensors saved; reloaded copy matches")
_RELOADED_DIFFERS = N_("{count} tensors saved; reloaded copy DIFFERS")
_DTYPE_AFTER_TO = N_("first layer dtype after .to(float64): {dtype}")
_TRAINING_AFTER_EVAL = N_("Dropout.training after .eval(): {training}")
_ONE_CHILD = N_("print(net) lists 1 child block")
_CHILDREN = N_("print(net) lists {count} child blocks")


@dataclass(frozen=True)
class PitfallRow:
    """One consequence of the pitfall, with what each container actually did."""

    check: str
    registered: str     # what MySequential did
    pitfall: str        # what the broken container did
    broken: bool        # True when the broken container's behaviour differs for the worse


@dataclass(frozen=True)
class PitfallReport:
    """The evidence, computed when ``demonstrate_list_pitfall`` ran; prints as a table."""

    rows: tuple[PitfallRow, ...]

    def __repr__(self) -> str:
        check, registered, broken = translate(_CHECK), translate(_REGISTERED), translate(_BROKEN)
        widths = [max(columns(r.check) for r in self.rows), max(columns(r.registered) for r in self.rows)]
        header = f"{pad(check, widths[0])} | {pad(registered, widths[1])} | {broken}"
        lines = [header, "-" * columns(header)]
        lines += [f"{pad(r.check, widths[0])} | {pad(r.registered, widths[1])} | {r.pitfall}" for r in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><td>{html.escape(r.check)}</td><td>{html.escape(r.registered)}</td>"
            f"<td style='color:{'#b00' if r.broken else 'inherit'}'>{html.escape(r.pitfall)}</td></tr>"
            for r in self.rows
        )
        headers = "".join(f"<th>{html.escape(translate(h))}</th>" for h in (_CHECK, _REGISTERED, _BROKEN))
        return f"<table><thead><tr>{headers}</tr></thead><tbody>{cells}</tbody></table>"


def _build(kind: type[nn.Module]) -> nn.Module:
    return kind(nn.Linear(20, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))


def _outcome(action: Callable[[], object]) -> str:
    try:
        return str(action())
    except Exception as error:  # the evidence IS the error, so every kind is shown
        return f"{type(error).__name__}: {error}"


def _params(net: nn.Module) -> str:
    return translate(_PARAMS, count=sum(p.numel() for p in net.parameters()), tensors=len(list(net.parameters())))


def _optimizer_step(net: nn.Module, X: torch.Tensor) -> str:
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    before = [p.detach().clone() for p in net.parameters()]
    net(X).sum().backward()
    optimizer.step()
    changed = sum(not torch.equal(b, p) for b, p in zip(before, net.parameters()))
    return translate(_STEP_UPDATED, changed=changed, total=len(before))


def _save_load(kind: type[nn.Module], net: nn.Module, X: torch.Tensor) -> str:
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    buffer.seek(0)
    restored = _build(kind)  # fresh, differently initialised weights
    restored.load_state_dict(torch.load(buffer))
    net.eval()
    restored.eval()
    same = torch.equal(net(X), restored(X))
    return translate(_RELOADED_MATCHES if same else _RELOADED_DIFFERS, count=len(net.state_dict()))


def _first(net: nn.Module, kind: type[nn.Module]) -> nn.Module:
    # Found through the container's own storage, so hidden blocks are found too.
    blocks = net.blocks if isinstance(net, ListSequential) else cast(Iterable[nn.Module], net)
    return next(block for block in blocks if isinstance(block, kind))


def _children_printed(net: nn.Module) -> str:
    # print(net) puts each registered child on its own line as "  (name): ...".
    count = repr(net).count("\n  (")
    return translate(_ONE_CHILD) if count == 1 else translate(_CHILDREN, count=count)


def _evidence(kind: type[nn.Module], X: torch.Tensor) -> list[str]:
    net = _build(kind)
    return [
        _params(net),
        _outcome(lambda: _optimizer_step(_build(kind), X)),
        _outcome(lambda: _save_load(kind, _build(kind), X)),
        _outcome(lambda: translate(_DTYPE_AFTER_TO, dtype=_first(net.to(torch.float64), nn.Linear).weight.dtype)),
        _outcome(lambda: translate(_TRAINING_AFTER_EVAL, training=_first(net.eval(), nn.Dropout).training)),
        _outcome(lambda: _children_printed(net)),
    ]


def demonstrate_list_pitfall(seed: int = 0, *, module_keyed: bool = True) -> PitfallReport:
    """Show, with evidence computed now, what goes wrong when blocks live in a Python list.

    Builds the same 20-256-10 network with Dropout twice, as ``MySequential``
    and as ``ListSequential``, and checks parameters(), an optimizer step,
    saving and loading, ``.to(float64)``, ``.eval()`` and ``print``. With
    ``module_keyed`` (the default) three more rows show the older edition's
    ``_modules[block] = block`` bug; pass ``module_keyed=False`` for the list
    pitfall alone, e.g. before that bug has been introduced.

    Example::

        >>> report = demonstrate_list_pitfall()
        >>> [row.check for row in report.rows if row.broken][:2]
        ['parameters()', 'optimizer step']
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(translate(BAD_SEED, seed=seed))
    torch.manual_seed(seed)
    X = torch.rand(4, 20)
    checks = ["parameters()", translate(_OPTIMIZER_STEP), translate(_SAVE_LOAD), ".to(float64)", ".eval()", "print(net)"]
    good, bad = _evidence(MySequential, X), _evidence(ListSequential, X)
    rows = [PitfallRow(c, g, b, g != b) for c, g, b in zip(checks, good, bad)]
    if not module_keyed:
        return PitfallReport(tuple(rows))
    keyed = ModuleKeyedSequential(nn.Linear(20, 10))
    rows += [
        PitfallRow("_modules[block] = block: forward", _outcome(lambda: tuple(MySequential(nn.Linear(20, 10))(X).shape)),
                   _outcome(lambda: tuple(keyed(X).shape)), False),
        PitfallRow("_modules[block] = block: parameters()", _params(MySequential(nn.Linear(20, 10))),
                   _outcome(lambda: _params(keyed)), True),
        PitfallRow("_modules[block] = block: print(net)", _children_printed(MySequential(nn.Linear(20, 10))),
                   _outcome(lambda: repr(keyed)), True),
    ]
    return PitfallReport(tuple(rows))
