"""Grading on a real Dask cluster: a lost worker loses no student and grades no one twice."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from hostile import course

from d2lblocks_grade.datatypes import GradeJob, Limits
from d2lblocks_grade.dispatch.dask_cluster import DaskExecutor, make_executor, task_key
from d2lblocks_grade.dispatch.local import LocalExecutor
from d2lblocks_grade.kernel.fork_server import is_alive

DASK = Path(sys.executable).with_name("dask")
ANSWERS = {
    "ada": {},
    "bo": {"ex1_answer": "def double(x):\n    return x + x"},
    "cy": {"ex1_answer": "def double(x):\n    return x"},
    "dee": {"ex2_answer": "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                          "        self.lin = [nn.Linear(4, 2)]\n    def forward(self, X):\n        return X[:, :2]"},
    "eve": {"ex1_answer": "import time\ntime.sleep(3)\ndef double(x):\n    return 2 * x"},
    "fay": {"ex1_answer": "def double(x):\n    return 3 * x"},
}


def jobs() -> list[GradeJob]:
    master = nbformat.writes(course.master()).encode()
    return [GradeJob(student_id=name, notebook_bytes=nbformat.writes(course.submission(answers)).encode(),
                     submitted_name=course.NOTEBOOK, assignment_id=course.ASSIGNMENT,
                     master_notebook_bytes=master, limits=Limits(cell_timeout_s=30, wall_timeout_s=120))
            for name, answers in ANSWERS.items()]


def scores(results) -> dict:
    return {r.student_id: (r.status, tuple((c.grade_id, c.score) for c in r.cells)) for r in results}


def start(args, cwd) -> subprocess.Popen:
    return subprocess.Popen([str(DASK), *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def loopback_cluster(tmp_path: Path, nanny: bool, preload: Path | None = None):
    """`dask scheduler` and two `dask worker`s on loopback, each worker in its own empty folder (nothing shared
    with the coordinator; `preload` run in each worker process); yields (address, {name: worker process}, every
    process); kills what is left at exit."""
    scheduler_file = tmp_path / "scheduler.json"
    procs = [start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(scheduler_file)], tmp_path)]
    try:
        wait_for(lambda: scheduler_file.exists() and scheduler_file.read_text().strip(), "the scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        workers = {}
        for name in ("w1", "w2"):
            (tmp_path / name).mkdir()
            workers[name] = start(["worker", address, "--nthreads", "1", "--no-dashboard", "--name", name,
                                   "--host", "127.0.0.1", *([] if nanny else ["--no-nanny"]),
                                   *(["--preload", str(preload)] if preload else [])], tmp_path / name)
            procs.append(workers[name])
        yield address, workers, procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def wait_for(predicate, what: str, tries: int = 600):
    for _ in range(tries):
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


@pytest.mark.slow
def test_a_class_graded_on_dask_survives_a_killed_worker(tmp_path):
    """Two `dask worker`s on loopback; one is SIGKILLed while grading. Every student is graded
    exactly once, with the same scores as on this machine."""
    with LocalExecutor(workers=2) as local:
        expected = scores(f.result() for f in [local.submit(j) for j in jobs()])

    before = fork_servers()
    with loopback_cluster(tmp_path, nanny=False) as (address, workers, _):
        with make_executor(scheduler=address) as executor:
            wait_for(lambda: len(executor.client.scheduler_info()["workers"]) == 2, "two workers")
            futures = {j.student_id: executor.submit(j) for j in jobs()}
            busy = wait_for(lambda: [w for w, keys in executor.client.processing().items() if keys],
                            "a worker to start grading")
            victim = executor.client.scheduler_info()["workers"][busy[0]]["name"]
            victim_tasks = executor.client.processing()[busy[0]]
            workers[victim].send_signal(signal.SIGKILL)
            results = [futures[name].result(timeout=240) for name in ANSWERS]
            survivors = executor.client.scheduler_info()["workers"]
    assert victim_tasks, "the killed worker was grading when it died"
    assert len(survivors) == 1
    assert [r.student_id for r in results] == list(ANSWERS)  # everyone, once
    assert scores(results) == expected
    assert expected["ada"][1] == (("ex1_test", 1.0), ("ex2_test", 1.0))  # the run graded for real
    assert expected["cy"][1][0] == ("ex1_test", 0.0)
    _no_fork_server_left(before)


def _no_fork_server_left(before: set[int]) -> None:
    deadline = time.monotonic() + 15
    while fork_servers() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not fork_servers() - before, "a worker's fork server outlived the cluster"


def test_the_same_submission_twice_is_one_task(monkeypatch):
    """Submitting a student's submission again returns the same Future: never graded twice."""
    job = jobs()[0]

    class FakeTask:
        def add_done_callback(self, callback):
            self.callback = callback

    class FakeClient:
        submitted = []

        def submit(self, fn, job, pure, key):
            self.submitted.append(key)
            return FakeTask()

    executor = DaskExecutor.__new__(DaskExecutor)
    executor.client, executor._tasks, executor._closed = FakeClient(), {}, False
    import threading
    executor._lock = threading.Lock()
    assert executor.submit(job) is executor.submit(job)
    assert FakeClient.submitted == [task_key(job)]


def test_a_wrong_scheduler_address_says_what_an_address_looks_like():
    with pytest.raises(ValueError, match="tcp://10.0.0.5:8786"):
        make_executor(scheduler="10.0.0.5")


def test_submit_names_a_wrong_job():
    executor = DaskExecutor.__new__(DaskExecutor)
    executor._closed = False
    with pytest.raises(TypeError, match="GradeJob"):
        executor.submit({"student_id": "ada"})


@pytest.mark.slow
def test_without_a_scheduler_the_executor_starts_its_own_local_cluster():
    """The embedded default: a LocalCluster of single-threaded worker processes grades for real."""
    job = jobs()[0]
    with make_executor(workers=1) as executor:
        assert len(executor.client.scheduler_info()["workers"]) == 1
        result = executor.submit(job).result(timeout=240)
    assert result.student_id == "ada" and result.status == "graded"
    assert [(c.grade_id, c.score) for c in result.cells] == [("ex1_test", 1.0), ("ex2_test", 1.0)]


@pytest.mark.slow
def test_scheduler_local_on_the_command_line_means_an_embedded_dask_cluster():
    from d2lblocks_grade.dispatch.local import make_executor as make_grading_executor

    with make_grading_executor(workers=1, scheduler="local") as executor:
        assert isinstance(executor, DaskExecutor)
        assert len(executor.client.scheduler_info()["workers"]) == 1


def fork_servers() -> set[int]:
    """Live fork-server processes on this machine (tests run one at a time, so new ones are this test's)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"d2lblocks_grade.kernel.fork_server" in command and is_alive(int(entry.name)):
            found.add(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_stopping_a_cluster_with_nannies_leaves_no_fork_server(tmp_path, stop):
    """`dask scheduler` and two `dask worker`s (each with its nanny, as an instructor starts them) grade a class;
    then the cluster is stopped the ordinary way (SIGTERM to all) or killed (SIGKILL to the worker processes):
    no fork server of theirs is left, reparented and holding torch."""
    before = fork_servers()
    with loopback_cluster(tmp_path, nanny=True) as (address, _, procs):
        with make_executor(scheduler=address) as executor:
            wait_for(lambda: len(executor.client.scheduler_info()["workers"]) == 2, "two workers")
            results = [f.result(timeout=240) for f in [executor.submit(j) for j in jobs()]]
            worker_pids = list(executor.client.run(os.getpid).values())
        started = fork_servers() - before
        assert started, "the workers graded through their fork servers"
        if stop == "SIGKILL":  # a worker process lost: its nanny sees it die
            for pid in worker_pids:
                os.kill(pid, signal.SIGKILL)
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    assert {r.student_id for r in results} == set(ANSWERS)
    _no_fork_server_left(before)


# Stands in for a submission that kills the process grading it (memory, a crash in native code): the worker
# process dies the moment it takes up this student's job, on every worker, every time.
KILLS_ITS_WORKER = """\
import os, signal
from d2lblocks_grade.dispatch import dask_cluster

if not hasattr(dask_cluster, "real_grade_one"):  # a worker may run its preload more than once
    dask_cluster.real_grade_one = dask_cluster.grade_one


def grade_one(job, kernel=None):
    if job.student_id == "poison":
        os.kill(os.getpid(), signal.SIGKILL)
    return dask_cluster.real_grade_one(job, kernel)


dask_cluster.grade_one = grade_one
"""


@pytest.mark.slow
def test_a_submission_that_kills_every_worker_it_meets_is_recorded_and_sinks_no_one(tmp_path):
    """Through the real CLI on a loopback cluster with nannies: the poison submission kills each worker that
    takes it up until the scheduler gives it up; it is recorded as failed with the reason, everyone else is
    graded with full marks, grades.csv is written for all, and a rerun finishes without trying it again."""
    from grader_fixtures import CORRECT, NOTEBOOK, grades, make_course, recorded, student_notebook

    course = make_course(tmp_path)
    subs = tmp_path / "submissions"
    for name in ("ada", "bo", "poison", "cy"):
        (subs / name).mkdir(parents=True)
        (subs / name / NOTEBOOK).write_bytes(student_notebook(course, CORRECT))
    preload = tmp_path / "kills_its_worker.py"
    preload.write_text(KILLS_ITS_WORKER)
    out = tmp_path / "out"
    with loopback_cluster(tmp_path, nanny=True, preload=preload) as (address, _, _procs):
        def autograde():
            return subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(subs), "--course",
                                   str(course), "--out", str(out), "--scheduler", address, "--quiet"],
                                  capture_output=True, text=True, timeout=600, cwd=tmp_path)
        first = autograde()
        assert first.returncode == 0, first.stderr[-3000:]
        rows = grades(out)
        again = autograde()
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(rows) == {"ada", "bo", "poison", "cy"}
    for name in ("ada", "bo", "cy"):
        assert all(row["status"] == "graded" and float(row["score"] or 0) == float(row["max_score"])
                   for gid, row in rows[name].items() if gid != "ex1_explain"), rows[name]
    assert {row["status"] for row in rows["poison"].values()} == {"crashed"}
    assert "KilledWorker" in first.stdout + first.stderr + (out / "grades.csv").read_text() + recorded(out, "poison", "reason")
    assert grades(out) == rows  # the rerun changed nothing and graded no one again

