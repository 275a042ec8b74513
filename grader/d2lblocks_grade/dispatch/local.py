"""Where jobs run. The interface every executor offers (the Dask one in `d2lblocks_grade.dispatch.dask_cluster` too):

    future = executor.submit(job)            # concurrent.futures.Future[GradeResult]
    for future in executor.as_completed(futures): ...
    executor.close()

`LocalExecutor` runs `workers` grading threads on this machine. Each thread
owns one pre-started kernel (booting and importing torch while the previous
submission runs), uses it for exactly one submission, kills it, and takes the
next. Kernels are separate processes, so the threads grade in parallel.

Example::

    >>> with LocalExecutor(workers=2) as ex:                       # doctest: +SKIP
    ...     futures = [ex.submit(job) for job in jobs]
    ...     results = [f.result() for f in ex.as_completed(futures)]
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future, as_completed as _as_completed
from typing import Callable, Iterable, Iterator, Protocol

from jupyter_core.utils import ensure_event_loop

from d2lblocks_grade.datatypes import GradeJob, GradeResult
from d2lblocks_grade.grading.grade_one import grade_one
from d2lblocks_grade.kernel.execute import Kernel, start_kernel
from d2lblocks_grade.kernel.fork_server import Zygote

DEFAULT_WARM_MODULES = ("torch", "torch._dynamo")  # torch's first optimizer imports _dynamo: seconds
BAD_WORKERS = "--workers must be a whole number of at least 1 (the CPU cores to use), got {value!r}"
NO_CLUSTER = ("--scheduler needs the cluster executor (d2lblocks_grade.dispatch.dask_cluster), which could not be "
              "loaded: {error}. "
              "Grade on this machine by leaving out --scheduler.")

WORKERS_DIED = ("every grading process that took this notebook up died while grading it (out of memory, or a crash), "
                "so it is recorded as failed and the rest of the class was graded; read the workers' logs, then grade "
                "it again with --student {student} --regrade. Dask said: KilledWorker: {error}")

log = logging.getLogger(__name__)


class Executor(Protocol):
    def submit(self, job: GradeJob) -> Future: ...
    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]: ...
    def close(self) -> None: ...


class LocalExecutor:
    """Parallel grading on this machine, one fresh pre-warmed kernel per submission."""

    def __init__(self, workers: int | None = None, *, warm: bool = True,
                 kernel_factory: Callable[[], Kernel] | None = None, warm_modules=DEFAULT_WARM_MODULES,
                 memory_bytes: int | None = None, sandboxed: bool = True):
        workers = (os.cpu_count() or 1) if workers is None else workers
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(BAD_WORKERS.format(value=workers))
        self.workers, self.warm = workers, warm
        self.zygote = None
        if kernel_factory is None and warm and hasattr(os, "fork"):
            # One fork server imports torch and the course's modules once for every kernel.
            self.zygote = Zygote(list(dict.fromkeys([*DEFAULT_WARM_MODULES, *warm_modules])))
        self.memory_bytes, self.sandboxed = memory_bytes, sandboxed
        self.kernel_factory = kernel_factory or self._forked_or_new
        self._queue: queue.Queue = queue.Queue()
        self._closing = threading.Event()
        self._threads = [threading.Thread(target=self._serve, name=f"grade-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, job: GradeJob) -> Future:
        if self._closing.is_set():
            raise RuntimeError("this executor is closed; create a new one to grade more submissions")
        future: Future = Future()
        self._queue.put((job, future))
        return future

    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]:
        return _as_completed(list(futures))

    def close(self) -> None:
        self._closing.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        if self.zygote is not None:
            self.zygote.close()

    def _forked_or_new(self) -> Kernel:
        if self.zygote is not None:
            try:
                return start_kernel(zygote=self.zygote, memory_bytes=self.memory_bytes, sandboxed=self.sandboxed)
            except RuntimeError as err:  # the fork server died: keep grading with ordinary kernels
                log.warning("%s; each kernel now starts cold (slower, same grades)", err)
                zygote, self.zygote = self.zygote, None
                if zygote is not None:
                    zygote.close()  # what is left of it, its folder included
        return start_kernel(memory_bytes=self.memory_bytes, sandboxed=self.sandboxed)

    def _start(self) -> Kernel | None:
        try:
            return self.kernel_factory()
        except Exception:  # grade_one starts its own kernel and reports the failure per student
            return None

    def _serve(self) -> None:
        # A kernel must be driven from the thread (event loop) that started it.
        spare = self._start() if self.warm else None
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                job, future = item
                kernel, spare = spare, None
                if not future.set_running_or_notify_cancel():
                    continue
                if self.warm and not (self._closing.is_set() and self._queue.empty()):
                    spare = self._start()  # boots while this submission runs
                try:
                    future.set_result(grade_one(job, kernel))
                except BaseException as err:  # grade_one reports bad input itself; this is a bug
                    future.set_exception(err)
        finally:
            if spare is not None:
                spare.kill()
            ensure_event_loop().close()  # this thread's loop; left open it leaks its self-pipe


LOCAL_CLUSTER = "local"  # --scheduler local: an embedded Dask LocalCluster


def make_executor(workers: int | None = None, scheduler: str | None = None, *, warm_modules=(),
                  memory_bytes: int | None = None, sandboxed: bool = True) -> Executor:
    """A `LocalExecutor`, or the Dask cluster executor when a scheduler is named.

    ``scheduler="local"`` starts an embedded Dask LocalCluster on this machine (the
    same code path as a real cluster); a ``tcp://HOST:PORT`` address joins an existing one.
    """
    if scheduler is None:
        return LocalExecutor(workers, warm_modules=warm_modules, memory_bytes=memory_bytes, sandboxed=sandboxed)
    try:
        from d2lblocks_grade.dispatch import dask_cluster as cluster  # imported only when asked for: Dask start-up is slow
        return cluster.make_executor(scheduler=None if scheduler == LOCAL_CLUSTER else scheduler, workers=workers)
    except (ImportError, AttributeError) as err:
        raise RuntimeError(NO_CLUSTER.format(error=err)) from None


def result_of(future: Future, job: GradeJob) -> GradeResult:
    """The future's result; an executor failure becomes a `crashed` result, never a lost student."""
    try:
        return future.result()
    except Exception as err:
        from d2lblocks_grade.grading.grade_one import crashed_result
        if type(err).__name__ == "KilledWorker":  # Dask gave the task up: it took its workers down with it
            return crashed_result(job, WORKERS_DIED.format(student=job.student_id, error=err))
        return crashed_result(job, f"the grader failed on this notebook: {type(err).__name__}: {err}")
