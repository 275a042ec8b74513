"""The verifier of the layers-and-blocks assignment (English and Japanese editions alike).

`CHECKS` maps each test cell's grade id to its probe, challenge and judge;
`PROBES` are the sources run inside the kernel; `CELLS` replaces the setup cell,
whose in-notebook test helpers import the course library, by the imports the
answers use. See `d2lblocks_grade.verify` for how the grader uses them.
"""
from importlib.resources import files

from .judges import ex1, ex2, ex3, ex4
from .probes import MODULES

# Through importlib.resources, not __file__: the grader imports this package from memory, never from disk.
HERE = files(__name__)
PROBES = {name: (HERE / "probes" / f"{name}.py").read_text(encoding="utf-8") for name in MODULES}
CHECKS = {**ex1.CHECKS, **ex2.CHECKS, **ex3.CHECKS, **ex4.CHECKS}
CELLS = {"setup": (HERE / "setup_cell.txt").read_text(encoding="utf-8")}
