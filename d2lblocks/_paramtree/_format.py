"""Number formatting, and each badge's word and meaning, shared by every view."""
from __future__ import annotations

from ..i18n import N_, gettext, translate

# Badges are known by these names in the data (TreeNode.badges, CSS classes); views show the word.
BADGE_LABELS = {
    "shared": N_("shared"),
    "reused": N_("reused"),
    "unregistered": N_("unregistered"),
    "constant": N_("constant"),
    "lazy": N_("lazy"),
    "frozen": N_("frozen"),
}
# What each badge tells a student, shown as a tooltip in HTML and in the widget.
BADGE_HELP = {
    "shared": N_("the same object is reachable by more than one path; it is counted once"),
    "reused": N_("this module runs more than once in one forward pass (its parameters are used again)"),
    "unregistered": N_("PyTorch cannot see this: it is missing from parameters(), state_dict() and .to(device)"),
    "constant": N_("a tensor that is not a parameter: the optimizer never changes it"),
    "lazy": N_("uninitialised lazy parameter: its shape is fixed by the first forward pass"),
    "frozen": N_("requires_grad=False: gradients are not computed, training leaves it unchanged"),
}
BADGE_ORDER = tuple(BADGE_HELP)
_ONE_PARAM = N_("1 param")
_PARAMS = N_("{count} params")


def badge_label(name: str) -> str:
    """The badge's word in the language in force: ``'shared'``, or ``'共有'`` in Japanese."""
    return gettext(BADGE_LABELS[name])


def badge_help(name: str) -> str:
    """What the badge means, in the language in force."""
    return gettext(BADGE_HELP[name])


def params(n: int) -> str:
    """``'1 param'``, ``'1,280 params'``: a parameter count with its noun in the right number."""
    return translate(_ONE_PARAM) if n == 1 else translate(_PARAMS, count=count(n))


def count(n: int) -> str:
    """Exact count with thousands separators: ``count(124439808) == '124,439,808'``."""
    return f"{n:,}"


def short_count(n: int) -> str:
    """Compact count for summaries: ``short_count(1117184) == '1.12 M'``."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return str(n)


def nbytes(n: int) -> str:
    """Bytes in binary units: ``nbytes(2048) == '2.0 KiB'``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def bytes_by_dtype(by_dtype: dict[str, int]) -> str:
    """``'43.3 KiB float32'``; several dtypes are joined with ``+``."""
    return " + ".join(f"{nbytes(b)} {dtype}" for dtype, b in sorted(by_dtype.items())) or "0 B"


def shape(shape_: tuple[int, ...] | None) -> str:
    """``(64, 20)``; ``(?)`` for a lazy tensor whose shape is not known yet."""
    if shape_ is None:
        return "(?)"
    return "(" + ", ".join(map(str, shape_)) + ("," if len(shape_) == 1 else "") + ")"


def ordered(badges) -> list[str]:
    """Badges in a fixed, readable order."""
    return [b for b in BADGE_ORDER if b in badges]
