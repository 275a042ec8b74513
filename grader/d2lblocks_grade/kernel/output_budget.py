"""One budget for everything a kernel sends while it runs a notebook.

Every iopub message a kernel publishes ends up in the grader's memory and in the
autograded notebook: streams, displays, *updates* of displays shown earlier,
results, errors, clear_output, widget (comm) traffic. nbclient applies some of
them (display updates, widget state) to the notebook before any output hook
sees them, so the budget is asked *first*, for every message, by
`d2lblocks_grade.kernel.notebook_client.CappedNotebookClient`.

What a message costs is what keeping it would store: its content, its binary
buffers as the base64 text a notebook holds, and, for a display with a
``display_id``, once for every output that shows that id (an update rewrites
each of them). A message that does not fit the cell's or the notebook's budget
is dropped whole, and so is a new display id or comm past the notebook's count;
`OutputBudget.dropped` says what went, for the grader's record.

Example::

    >>> budget = OutputBudget(cell_bytes=100, notebook_bytes=150)
    >>> budget.admit(0, "stream", 80), budget.admit(0, "stream", 80), budget.admit(1, "stream", 60)
    (True, False, True)
    >>> budget.admit(2, "display_data", 20)
    False
    >>> budget.dropped.describe()
    '1 stream message (80 B), 1 display_data message (20 B)'
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from d2lblocks_grade.datatypes import MiB

MAX_DISPLAY_IDS = 256  # distinct display ids one notebook may open (each can be updated in place)
MAX_COMMS = 256  # comms (widgets) one notebook may open
REPORT_BYTES = 8 * MiB  # one grader report or probe response (verify.wire.MAX_TEXT)
REPORTS_BYTES = 64 * MiB  # all of one notebook's
# Cost nothing: they carry no output and the client needs them (``idle`` ends a cell).
FREE_KINDS = frozenset({"status", "execute_input"})


LINE_BYTES = 8  # a notebook stores text line by line, each line a quoted, indented JSON string


def message_bytes(msg: dict) -> int:
    """What storing `msg` costs: its content as UTF-8 text, each line's JSON overhead, its buffers as base64."""
    text = str(msg.get("content", ""))
    buffers = msg.get("buffers") or ()
    return len(text.encode("utf-8", "surrogatepass")) + LINE_BYTES * text.count("\\n") \
        + sum(4 * ((memoryview(b).nbytes + 2) // 3) for b in buffers)


@dataclass
class Dropped:
    """What the budget turned away, by message type."""

    messages: Counter = field(default_factory=Counter)
    bytes: Counter = field(default_factory=Counter)

    def add(self, kind: str, size: int) -> None:
        self.messages[kind] += 1
        self.bytes[kind] += size

    def __bool__(self) -> bool:
        return bool(self.messages)

    def describe(self) -> str:
        """One line: "3 update_display_data messages (1.5 MiB), 1 comm_msg message (20 B)"."""
        parts = []
        for kind, count in self.messages.items():
            parts.append(f"{count} {kind} message{'s' if count != 1 else ''} ({human_size(self.bytes[kind])})")
        return ", ".join(parts)


def human_size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


class OutputBudget:
    """Bytes per cell and per notebook, display ids and comms per notebook, and the grader's own reports."""

    def __init__(self, cell_bytes: int, notebook_bytes: int, *, display_ids: int = MAX_DISPLAY_IDS,
                 comms: int = MAX_COMMS, report_bytes: int = REPORT_BYTES, reports_bytes: int = REPORTS_BYTES):
        for name, value in (("cell_bytes", cell_bytes), ("notebook_bytes", notebook_bytes)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"OutputBudget({name}=...) must be a positive whole number of bytes, got {value!r}")
        self.cell_bytes, self.notebook_bytes = cell_bytes, notebook_bytes
        self.max_display_ids, self.max_comms = display_ids, comms
        self.report_bytes, self.reports_bytes = report_bytes, reports_bytes
        self.per_cell: Counter = Counter()  # bytes kept, by cell index
        self.kept = self.reports = 0
        self.display_ids: set[str] = set()
        self.comms: set[str] = set()
        self.dropped = Dropped()
        self.noticed: set[int] = set()  # cells already told that output was dropped
        self.refusal = ""  # the cap the last refused message ran into, in words

    def admit(self, cell_index: int, kind: str, size: int) -> bool:
        """Whether a message of `size` bytes from cell `cell_index` may be kept; if so it is counted."""
        if kind in FREE_KINDS:
            return True
        if self.per_cell[cell_index] + size <= self.cell_bytes and self.kept + size <= self.notebook_bytes:
            self.per_cell[cell_index] += size
            self.kept += size
            return True
        return self._refuse(kind, size, f"{self.cell_bytes} bytes in this cell"
                            if self.per_cell[cell_index] + size > self.cell_bytes
                            else f"{self.notebook_bytes} bytes in the notebook")

    def admit_report(self, kind: str, size: int) -> bool:
        """The grader's own reports have a budget of their own, so a student's long printout never costs a
        test its answer (bounded too: a submission could dress its output up as a report)."""
        if size <= self.report_bytes and self.reports + size <= self.reports_bytes:
            self.reports += size
            return True
        return self._refuse(kind, size, f"{self.reports_bytes} bytes of grader reports in the notebook")

    def admit_display_id(self, display_id: str, kind: str, size: int) -> bool:
        """Whether output under `display_id` may be kept: an id seen before, or a new one within the count."""
        if display_id in self.display_ids:
            return True
        if len(self.display_ids) < self.max_display_ids:
            self.display_ids.add(display_id)
            return True
        return self._refuse(kind, size, f"{self.max_display_ids} display ids in the notebook")

    def admit_comm(self, comm_id: str, kind: str, size: int) -> bool:
        """Whether a message of comm `comm_id` may be kept: a known comm, or a new one within the count."""
        if comm_id in self.comms:
            return True
        if kind == "comm_open" and len(self.comms) < self.max_comms:
            self.comms.add(comm_id)
            return True
        return self._refuse(kind, size, f"{self.max_comms} widgets (comms) in the notebook")

    def _refuse(self, kind: str, size: int, cap: str) -> bool:
        """Record a dropped message and the cap it ran into (for the cell's notice); always False."""
        self.dropped.add(kind, size)
        self.refusal = cap
        return False


__all__ = ["OutputBudget", "Dropped", "message_bytes", "MAX_DISPLAY_IDS", "MAX_COMMS", "REPORT_BYTES",
           "REPORTS_BYTES", "human_size"]
