"""Why a container does not register exactly the blocks it was given, from a probe's ``registry`` report.

The report only chooses the message: a block's points come from the numbers it
computes on the challenge, so a report that lies can change the words, never
the score.
"""
from __future__ import annotations

from d2lblocks.i18n import N_, Message

from .common import CHAPTER, PITFALLS

NAMES = N_("{name} registers its blocks under {key_type} objects instead of string names: PyTorch builds parameter "
           "names such as '0.weight' by joining the names with '.', so parameters(), state_dict() and print() crash on "
           "a name that is not a string. See {notebook}, section '{section}'.")
HIDDEN = N_("{name} keeps self.{attribute} {where}, where PyTorch cannot see it: parameters(), state_dict(), .to() "
            "and .eval() skip the blocks inside, so an optimizer never trains them and saving loses them. {fix} "
            "See {notebook}, section '{section}'.")
IN_A = N_("in a {container}")
AS_ATTRIBUTE = N_("as a plain attribute")
FIX_CONTAINER = N_("Register them: nn.ModuleList or nn.ModuleDict instead of a {container}, or add_module.")
FIX_ATTRIBUTE = N_("Register it: assign it with self.{attribute} = block after super().__init__(), or add_module.")
COPIES = N_("{name} registers copies of the blocks it was given (copy.deepcopy, or new blocks with the same numbers), "
            "not the blocks themselves. The copies start out equal, but training, .to() and .eval() on {name} now "
            "change only the copies: the blocks the caller passed in, and still holds, never change. Register the "
            "very objects passed to __init__. See {notebook}, section '{section}'.")
LOST = N_("{name} kept only {kept} of the {total} blocks it was given: the others are not registered at all, so "
          "forward cannot run them and parameters() misses them. Either they were never stored, or they were stored "
          "under a name already in use: registering a block under a taken name (the same attribute or add_module "
          "name twice, e.g. self.block = block in a loop) replaces the block registered before. Every block needs a "
          "name of its own. See {notebook}, section '{section}'.")
PARAMETERS = N_("{name}.parameters() gives {found} tensors, but the blocks it was given hold {wanted}{extra}: an "
                "optimizer built from {name}.parameters() must receive exactly the blocks' own weights and biases. "
                "See {notebook}, section '{section}'.")
EXTRA = N_(" ({count} of yours are not the blocks' own: layers or parameters made inside {name})")

SECTIONS = {"MySequential": N_("The Sequential block"), "Parallel": N_("A custom block")}
LIST_PITFALL = {"notebook": Message(PITFALLS), "section": Message(N_("1. Blocks stored in a Python list"))}
KEY_PITFALL = {"notebook": Message(PITFALLS), "section": Message(N_("2. The module used as its own key"))}


def problem(report: dict, pool_size: int, name: str, owners: list[int] | None = None,
            wanted_parameters: int | None = None) -> tuple[str, str, dict] | None:
    """(kind, msgid, fields) when the report shows the container does not hold exactly its blocks."""
    own = {"notebook": Message(CHAPTER), "section": Message(SECTIONS[name])}
    odd = [kind for kind in report.get("key_types", []) if kind != "str"]
    if odd:
        return "names", NAMES, {"name": name, "key_type": odd[0], **KEY_PITFALL}
    hidden = report.get("hidden", [])
    if hidden:
        first = hidden[0]
        attribute, container = first.get("name"), first.get("container")
        plain = container == "attribute"
        return "hidden", HIDDEN, {
            "name": name, "attribute": attribute,
            "where": Message(AS_ATTRIBUTE if plain else IN_A, {"container": container}),
            "fix": Message(FIX_ATTRIBUTE if plain else FIX_CONTAINER, {"container": container, "attribute": attribute}),
            **LIST_PITFALL}
    registered = set(report.get("registered", []))
    missing = [i for i in range(pool_size) if i not in registered]
    if missing:
        if set(missing) & set(report.get("copies", [])):
            return "copies", COPIES, {"name": name, **own}
        return "lost", LOST, {"name": name, "kept": pool_size - len(missing), "total": pool_size, **own}
    if owners is not None and wanted_parameters is not None:
        extra = sum(owner < 0 for owner in owners)
        if extra or len(owners) != wanted_parameters:
            return "parameters", PARAMETERS, {"name": name, "found": len(owners), "wanted": wanted_parameters,
                                              "extra": Message(EXTRA, {"count": extra, "name": name}) if extra else "",
                                              **own}
    return None
