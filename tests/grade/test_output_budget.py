"""Every message a kernel sends passes one budget: streams, displays and their updates, results, errors, widgets.

Each test runs real cells in a real kernel through `CappedNotebookClient`, the client the grader uses, and
checks what a user would notice: the executed notebook stays within the caps whatever kind of output
flooded it, honest output is kept as it was sent, and the record says what was dropped.
"""
from __future__ import annotations

import nbformat
import pytest

from d2lblocks_grade.kernel.notebook_client import MAX_MESSAGE_BYTES, CappedNotebookClient
from d2lblocks_grade.kernel.output_budget import MAX_COMMS, MAX_DISPLAY_IDS, REPORT_BYTES, OutputBudget, message_bytes

CELL, TOTAL = 64 << 10, 256 << 10
COMM = "from comm import create_comm\n"
REPORT = "application/vnd.d2lblocks.response"


def run(*sources: str, cell_bytes: int = CELL, total_bytes: int = TOTAL, message_bytes: int | None = None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    client = CappedNotebookClient(nb, output_bytes=cell_bytes, total_output_bytes=total_bytes,
                                  kernel_name="python3", timeout=60, allow_errors=True)
    if message_bytes:
        client.max_message_bytes = message_bytes
    client.execute()
    client.set_widgets_metadata()
    return nb, client


def weight(nb) -> int:
    return len(nbformat.writes(nb))


def texts(cell) -> str:
    return "".join(str(o.get("text", "")) + str(o.get("data", "")) for o in cell.outputs)


FLOODS = {
    "stream": "for i in range(2000):\n    print('x' * 1000, flush=True)",
    "update_display_data": "h = display('small', display_id=True)\nfor i in range(100):\n    h.update('y' * 100_000)",
    "display_data with a known id": "h = display('small', display_id=True)\n"
                                    "for i in range(40):\n    display('z' * 100_000, display_id=h.display_id)",
    "one id shown many times": "h = display('s', display_id=True)\nfor i in range(300):\n    h.display('s')\n"
                               "h.update('w' * 20_000)",
    "execute_result": "'r' * 3_000_000",
    "error": "raise ValueError('e' * 3_000_000)",
    "comm_msg state": COMM + "c = create_comm(target_name='flood', data={'state': {'a': 1}, 'buffer_paths': []})\n"
                      "for i in range(100):\n    c.send({'method': 'update', 'state': {f'k{i}': 'v' * 100_000},"
                      " 'buffer_paths': []})",
    "comm_msg buffers": COMM + "c = create_comm(target_name='flood', data={'state': {}, 'buffer_paths': []})\n"
                        "for i in range(50):\n    c.send({'method': 'update', 'state': {}, 'buffer_paths': [[f'b{i}']]},"
                        " buffers=[b'x' * 100_000])",
    "clear_output and redisplay": "from IPython.display import clear_output\nfor i in range(200):\n"
                                  "    clear_output(wait=True)\n    print('p' * 50_000)",
    "wide characters": "print('\\U0001F600' * 300_000)",
    "empty lines": "print('\\n' * 200_000)",
    "a report in disguise": "from IPython.display import publish_display_data\nfor i in range(100):\n"
                            f"    publish_display_data({{'{REPORT}': 'q' * 100_000}}, transient={{'display_id': 'd'}})",
}


@pytest.mark.parametrize("flood", FLOODS.values(), ids=list(FLOODS))
def test_no_kind_of_output_grows_the_notebook_past_the_caps(flood):
    nb, client = run(flood, flood, flood, flood, flood)
    assert weight(nb) < TOTAL + 64 << 10
    assert all(weight(nbformat.v4.new_notebook(cells=[cell])) < CELL + 16 << 10 for cell in nb.cells)
    assert client.budget.dropped, "the flood went unnoticed"
    assert "output truncated by the grader" in texts(nb.cells[0])


def test_honest_output_of_every_kind_is_kept_as_sent():
    nb, client = run("print('hello')", "h = display('first', display_id=True)\nh.update('second')", "6 * 7",
                     COMM + "c = create_comm(target_name='ok', data={'state': {'value': 1}, 'buffer_paths': []})\n"
                     "c.send({'method': 'update', 'state': {'value': 2}, 'buffer_paths': []})")
    assert nb.cells[0].outputs[0]["text"] == "hello\n"
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "'second'"
    assert nb.cells[2].outputs[0]["data"]["text/plain"] == "42"
    assert not client.budget.dropped
    assert "truncated" not in "".join(texts(cell) for cell in nb.cells)


def test_a_notebook_may_open_only_so_many_display_ids_and_comms():
    nb, client = run(f"for i in range({MAX_DISPLAY_IDS + 50}):\n    display(i, display_id=f'id{{i}}')",
                     COMM + f"comms = [create_comm(target_name='many') for _ in range({MAX_COMMS + 50})]",
                     cell_bytes=8 << 20, total_bytes=32 << 20)
    assert len(client.budget.display_ids) == MAX_DISPLAY_IDS
    assert len(client.budget.comms) == MAX_COMMS
    assert client.budget.dropped.messages["display_data"] == 50
    assert client.budget.dropped.messages["comm_open"] == 50


def test_the_record_names_what_was_dropped_and_how_much():
    _, client = run(FLOODS["update_display_data"])
    described = client.budget.dropped.describe()
    assert "update_display_data messages" in described and "MiB" in described


def test_the_grader_reports_keep_a_budget_of_their_own():
    """A student's flood does not cost a probe its answer, and a report larger than a report may be is dropped."""
    nb, client = run(FLOODS["stream"], "from IPython.display import publish_display_data\n"
                     f"publish_display_data({{'{REPORT}': 'answer'}})\n"
                     f"publish_display_data({{'{REPORT}': 'x' * {REPORT_BYTES + 10}}})",
                     cell_bytes=8 << 10, total_bytes=16 << 10)
    reports = [o for o in nb.cells[1].outputs if REPORT in o.get("data", {})]
    assert [o["data"][REPORT] for o in reports] == ["answer"]


def test_a_message_larger_than_any_report_ends_the_connection_without_sinking_the_client():
    nb, client = run(f"print('x' * {MAX_MESSAGE_BYTES + 1024})", "print('after')", cell_bytes=1 << 20,
                     total_bytes=8 << 20)
    assert weight(nb) < 8 << 20


def test_the_budget_refuses_nonsense_with_a_clear_error():
    with pytest.raises(ValueError, match="cell_bytes.*positive whole number of bytes"):
        OutputBudget(0, 10)
    with pytest.raises(ValueError, match="notebook_bytes"):
        OutputBudget(10, "lots")


def test_a_message_costs_its_content_and_its_buffers_as_base64():
    assert message_bytes({"content": {"a": "x" * 10}, "buffers": [b"y" * 300]}) == len(str({"a": "x" * 10})) + 400


def test_printing_a_huge_list_by_mistake_is_truncated_and_the_next_cells_still_report():
    nb, client = run("print(list(range(3_000_000)))", "print('after')")
    assert "output truncated by the grader" in texts(nb.cells[0])
    assert nb.cells[1].outputs[0]["text"] == "after\n"


def test_a_message_of_many_buffers_is_cut_to_the_size_of_one_message():
    """ZMQ caps each frame; a message may have any number: past the size of one message the frames are thrown
    away as they arrive, the message itself still arrives, and the record says so."""
    nb, client = run(COMM + "c = create_comm(target_name='x', data={})\nbig = bytes(3 << 20)\n"
                     "c.send({}, buffers=[big] * 6)\nprint('still here')", message_bytes=4 << 20)
    assert "frames past the size of one message" in client.budget.dropped.describe()
    assert nb.cells[0].outputs[-1]["text"] == "still here\n"


def test_a_forged_status_message_cannot_plant_an_execution_count():
    nb, _ = run("import time\nk = get_ipython().kernel\n"
                "k.session.send(k.iopub_socket, 'status', {'execution_state': 'busy', 'execution_count': 'Z' * 100_000},"
                " parent=k.get_parent())\ntime.sleep(0.5)")
    assert nb.cells[0].execution_count is None or type(nb.cells[0].execution_count) is int
    assert weight(nb) < 20_000
