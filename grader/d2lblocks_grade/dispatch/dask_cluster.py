"""Grade on a Dask cluster: the same executor interface as `LocalExecutor`, on many machines.

Workers share no filesystem with the coordinator: each task carries a whole
`GradeJob` (the student's notebook, the master notebook and the release's
assets as bytes) and returns a `GradeResult`; only the coordinator writes the
gradebook. Every job becomes one Dask task keyed by student, submission
digest and what grades it, so submitting the same submission twice yields the same task (graded
once) while a fixed test makes a new one, and a worker lost mid-run has its tasks re-run elsewhere by the
scheduler (a task that kills `ALLOWED_FAILURES` workers in a row is given up and
recorded as crashed, so one hostile notebook cannot take the class down).

Example::

    >>> with make_executor(scheduler="tcp://10.0.0.5:8786") as ex:   # doctest: +SKIP
    ...     futures = [ex.submit(job) for job in jobs]
    ...     results = [f.result() for f in ex.as_completed(futures)]
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import Future, as_completed as _as_completed
from typing import Iterable, Iterator

from d2lblocks_grade.datatypes import GradeJob
from d2lblocks_grade.grading.grade_one import grade_one
from d2lblocks_grade.kernel.jail import SandboxUnavailable

_zygote = None  # this worker process's fork server, started by its first job
_zygote_lock = threading.Lock()

ALLOWED_FAILURES = 3
BAD_ADDRESS = ("--scheduler must be a Dask scheduler address such as tcp://10.0.0.5:8786 "
               "(start one with `dask scheduler`), got {value!r}")
BAD_JOB = "submit() needs a d2lblocks_grade.datatypes.GradeJob, got {value!r}"
CLOSED = "this cluster executor is closed; create a new one to grade more submissions"
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx)://\S+$")


def task_key(job: GradeJob) -> str:
    """The task's name on the cluster: one per student, submission content and grading inputs."""
    return f"grade-{job.student_id}-{job.submission_digest[:16] or 'none'}-{job.graded_with[:12] or 'none'}"


class DaskExecutor:
    """Submit grading jobs to a Dask scheduler (an existing one, or a LocalCluster it starts)."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        if scheduler is not None and (not isinstance(scheduler, str) or not _ADDRESS.match(scheduler)):
            raise ValueError(BAD_ADDRESS.format(value=scheduler))
        import dask
        from distributed import Client, LocalCluster

        self._cluster = None
        if scheduler is None:  # embedded: one single-threaded worker process per core
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
                self._cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                             threads_per_worker=1, processes=True, dashboard_address=None)
            scheduler = self._cluster.scheduler_address
        self.client = Client(scheduler)
        self._tasks: dict[str, tuple[object, Future]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, job: GradeJob) -> Future:
        """A Future of the job's GradeResult; the same submission twice gives the same Future."""
        if not isinstance(job, GradeJob):
            raise TypeError(BAD_JOB.format(value=job))
        if self._closed:
            raise RuntimeError(CLOSED)
        key = task_key(job)
        with self._lock:
            if key in self._tasks:
                return self._tasks[key][1]
            result: Future = Future()
            result.set_running_or_notify_cancel()
            task = self.client.submit(grade_on_worker, job, pure=False, key=key)
            self._tasks[key] = (task, result)
        task.add_done_callback(lambda done: _settle(done, result))
        return result

    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]:
        return _as_completed(list(futures))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def grade_on_worker(job: GradeJob):
    """`grade_one` on a Dask worker, its kernel forked from the worker's warm server (torch
    imported once per worker, not once per submission); a fresh kernel if that fails."""
    global _zygote
    kernel = None
    try:
        from d2lblocks_grade.kernel.execute import start_kernel
        from d2lblocks_grade.kernel.fork_server import Zygote

        with _zygote_lock:
            if _zygote is None and hasattr(os, "fork"):
                _zygote = Zygote()  # exits with this worker: it reads its requests from our pipe
        if _zygote is not None:
            kernel = start_kernel(zygote=_zygote, memory_bytes=job.limits.memory_bytes, sandboxed=job.sandboxed)
    except SandboxUnavailable as error:  # this worker cannot sandbox: say so for every job it gets
        from d2lblocks_grade.grading.grade_one import crashed_result

        return crashed_result(job, f"the grading machine cannot run submissions safely: {error}")
    except Exception:  # grade_one starts a cold kernel instead (same sandbox)
        kernel = None
    try:
        return grade_one(job, kernel)
    except BaseException as error:  # a grader bug: one student's crashed result, never an exception through Dask,
        # whose client can hang for good on a traceback the worker could not send
        from d2lblocks_grade.grading.grade_one import crashed_result

        return crashed_result(job, f"the grader failed on this worker: {type(error).__name__}: {str(error)[:500]}")


def _settle(task, result: Future) -> None:
    """Move a finished Dask task's outcome into the plain Future the coordinator holds."""
    try:
        result.set_result(task.result())
    except BaseException as err:  # KilledWorker, a lost scheduler...: result_of() records `crashed`
        result.set_exception(err)


def make_executor(scheduler: str | None = None, workers: int | None = None) -> DaskExecutor:
    """The cluster executor `d2lblocks-grade autograde --scheduler ADDRESS` uses."""
    return DaskExecutor(scheduler=scheduler, workers=workers)


__all__ = ["DaskExecutor", "make_executor", "task_key", "grade_on_worker", "ALLOWED_FAILURES"]
