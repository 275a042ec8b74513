"""The nbclient that runs a submission: every message the kernel sends passes one budget first.

`CappedNotebookClient` asks `d2lblocks_grade.kernel.output_budget.OutputBudget`
about every iopub message *before* nbclient applies it to the notebook, whatever
its type, so neither the autograded notebook nor the grader's memory grows past
the caps, however a submission publishes its output. It also:

* reads the kernel's sockets with a cap on one message's size, so a kernel
  publishing gigabytes at once is cut off before the budget could even look;
* deletes the kernel's connection file once the kernel has read it, so a
  submission running beside it cannot find the file and drive this kernel.

Example::

    >>> client = CappedNotebookClient(nb, output_bytes=1 << 20, total_output_bytes=8 << 20, km=km)  # doctest: +SKIP
    >>> client.execute(cleanup_kc=False); client.budget.dropped.describe()                     # doctest: +SKIP
    '2 update_display_data messages (3.0 MiB)'
"""
from __future__ import annotations

import os

import zmq
import zmq.asyncio
from nbclient import NotebookClient
from nbclient.util import run_sync
from nbformat import from_dict

from d2lblocks_grade.datatypes import MiB
from d2lblocks_grade.integrity.harness import MIME as HARNESS_MIME
from d2lblocks_grade.kernel.output_budget import FREE_KINDS, REPORT_BYTES, OutputBudget, message_bytes
from d2lblocks_grade.verify.kernel_side import MIME as RESPONSE_MIME

# Outputs of these kinds alone are the grader's own reports from inside the kernel (probe responses, the
# integrity harness's): they have a budget of their own while they are small.
REPORT_TYPES = frozenset({RESPONSE_MIME, HARNESS_MIME})
# One message from the kernel; a bigger one ends the connection (and the rest of the notebook's output is lost
# with it). ipykernel sends everything a cell prints within 0.2 s as one message, so an honest print loop can
# make one of 100 MB; the budget then keeps the first MiB. The cap bounds what the grader holds for a kernel
# at any moment (one message), never gigabytes.
MAX_MESSAGE_BYTES = 32 * REPORT_BYTES
DISPLAY_KINDS = frozenset({"display_data", "execute_result", "update_display_data"})


class CappedNotebookClient(NotebookClient):
    """An nbclient whose every kernel message passes an `OutputBudget` before nbclient stores it."""

    max_message_bytes = MAX_MESSAGE_BYTES

    def __init__(self, nb, *, output_bytes: int = 1 * MiB, total_output_bytes: int = 8 * MiB, **kwargs):
        super().__init__(nb, **kwargs)
        self.budget = OutputBudget(int(output_bytes), int(total_output_bytes))
        self.context: zmq.asyncio.Context | None = None

    # --- the budget ----------------------------------------------------------------------------------------------
    def process_message(self, msg, cell, cell_index):
        kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type", "")
        content = msg.get("content")
        if not isinstance(content, dict):
            return None
        if "execution_count" in content and type(content["execution_count"]) is not int:
            del content["execution_count"]  # nbclient copies it into the cell from any message, free ones too
        if kind in FREE_KINDS or self._admit(msg, kind, cell_index):
            return super().process_message(msg, cell, cell_index)
        if cell_index not in self.budget.noticed:  # the first message over a cap: say so, once per cell
            self.budget.noticed.add(cell_index)
            cell.outputs.append(from_dict({"output_type": "stream", "name": "stdout", "text":
                                           f"\n... [output truncated by the grader after {self.budget.refusal}]\n"}))
        return None

    def _admit(self, msg: dict, kind: str, cell_index: int) -> bool:
        content = msg["content"]
        size = message_bytes(msg)
        transient = content.get("transient")
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if kind.startswith("comm"):
            comm_id = content.get("comm_id")
            return isinstance(comm_id, str) and self.budget.admit_comm(comm_id, kind, size) \
                and self.budget.admit(cell_index, kind, size)
        if display_id is not None and kind in DISPLAY_KINDS:
            if not isinstance(display_id, str) or not self.budget.admit_display_id(display_id, kind, size):
                return False
            # nbclient writes the data into every output that shows this id, so each copy is paid for.
            shown = sum(len(places) for places in self._display_id_map.get(display_id, {}).values())
            return self.budget.admit(cell_index, kind, size * max(1, shown + (kind != "update_display_data")))
        data = content.get("data")
        if kind == "display_data" and isinstance(data, dict) and data and set(data) <= REPORT_TYPES:
            return self.budget.admit_report(kind, size)
        return self.budget.admit(cell_index, kind, size)

    # --- sockets and connection file --------------------------------------------------------------------------
    def close_context(self) -> None:
        """Close the sockets' context (after the client's channels are stopped)."""
        if self.context is not None:
            self.context.destroy(linger=0)
            self.context = None

    async def _async_cleanup_kernel(self) -> None:
        try:
            await super()._async_cleanup_kernel()
        finally:  # also when nbclient cleans up by itself (execute() with its default cleanup)
            self.close_context()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    async def async_start_new_kernel_client(self):
        # The client's sockets come from a context of our own whose sockets drop a peer that sends a
        # message over MAX_MESSAGE_BYTES: a kernel publishing gigabytes would otherwise fill the grader's
        # memory before the budget could look at it.
        self.context = zmq.asyncio.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        make_client = self.km.client
        self.km.client = lambda **kwargs: make_client(context=self.context, **kwargs)
        try:
            client = await super().async_start_new_kernel_client()
        finally:
            self.km.client = make_client
        for channel in (client.iopub_channel, client.shell_channel, client.stdin_channel, client.control_channel):
            _receive_bounded(channel.socket, self.max_message_bytes, self.budget.dropped)
        for path in (self.km.connection_file, getattr(self.km.provisioner, "inside_connection_file", None)):
            try:
                os.remove(path)
            except (OSError, TypeError):
                pass
        return client


def _receive_bounded(socket: zmq.asyncio.Socket, limit: int, dropped) -> None:
    """Make `socket` keep at most `limit` bytes of one message. ZMQ's MAXMSGSIZE caps each frame, but a message
    may have any number of frames (its binary buffers). Past the limit, the remaining frames are read and thrown
    away one by one: the header, metadata and content frames come first and carry the message's signature, so the
    message stays valid, only without its extra buffers."""
    receive = socket.recv

    async def recv_multipart(flags: int = 0, copy: bool = True, track: bool = False) -> list:
        frames, total = [], 0
        while True:
            frame = await receive(flags=flags, copy=False)
            total += len(frame.buffer)
            if total <= limit:
                frames.append(frame.bytes if copy else frame)
            if not socket.getsockopt(zmq.RCVMORE):
                break
        if total > limit:
            dropped.add("frames past the size of one message", total - sum(map(len, frames)))
        return frames

    socket.recv_multipart = recv_multipart  # type: ignore[method-assign]


__all__ = ["CappedNotebookClient", "MAX_MESSAGE_BYTES", "REPORT_TYPES"]
