"""Run independent tasks here, on local processes, or on a Dask cluster.

Some plugins cut their work into independent, picklable tasks: the flow
analysis reads parts of capture files, a distributed port scan would probe
slices of the address space. :func:`run_tasks` runs ``func(task)`` for each
task and gives the results back in task order, wherever the work happens:

* ``jobs=1`` and no scheduler: in this process, one task after the other;
* ``jobs=N``: on N local worker processes (``concurrent.futures``; forked
  when this process runs a single thread, else started by a fork server so
  that no thread's state is copied);
* ``scheduler="tcp://HOST:PORT"``: on an existing Dask distributed cluster
  (the optional ``distributed`` package, imported only then). The workers
  must be able to import ``func``'s module and reach whatever the tasks
  name (for files: the same paths on a shared file system).

``func`` must be a module-level function and tasks and results picklable.
``on_done(index, result)``, when given, is called in this process as each
task finishes (in completion order), e.g. to advance a progress bar.

Failures: an exception raised by a task is raised again here (the first
one, after the other tasks are cancelled); a scheduler that cannot be
reached or a missing ``distributed`` package raise
:class:`~netprobe.errors.RuntimeProblem` /
:class:`~netprobe.errors.EnvironmentProblem` with one clear line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from netprobe.errors import EnvironmentProblem, RuntimeProblem, UsageError

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

#: seconds to wait for a Dask scheduler to answer
CONNECT_TIMEOUT = 10.0


def run_tasks(func: Callable[[T], R], tasks: Sequence[T], *, jobs: int = 1,
              scheduler: str | None = None,
              on_done: Callable[[int, R], None] | None = None) -> list[R]:
    """``[func(t) for t in tasks]``, computed where the options say (see the module)."""
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    if scheduler:
        return _run_dask(func, tasks, scheduler, on_done)
    if jobs == 1 or len(tasks) <= 1:
        return _in_order(((i, func(task)) for i, task in enumerate(tasks)), len(tasks), on_done)
    return _run_local(func, tasks, jobs, on_done)


def _in_order(finished: Iterable[tuple[int, R]], count: int,
              on_done: Callable[[int, R], None] | None) -> list[R]:
    """The results of ``count`` tasks, given as ``(index, result)`` in the order they
    finish (``on_done`` called on each then), back in task order."""
    results: dict[int, R] = {}
    for i, result in finished:
        results[i] = result
        if on_done is not None:
            on_done(i, result)
    return [results[i] for i in range(count)]


def _run_local(func: Callable[[T], R], tasks: Sequence[T], jobs: int,
               on_done: Callable[[int, R], None] | None) -> list[R]:
    import multiprocessing
    import threading
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        # a single-threaded process forks safely, and its workers start at once
        # with everything already imported
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([func.__module__])
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures = {pool.submit(func, task): i for i, task in enumerate(tasks)}
        pending = set(futures)

        def finished() -> Iterator[tuple[int, R]]:
            nonlocal pending
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for fut in done:
                    yield futures[fut], fut.result()  # raises the task's exception

        try:
            return _in_order(finished(), len(tasks), on_done)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def connect(scheduler: str) -> Client:
    """A ``distributed.Client`` of the cluster at ``scheduler`` (close it when done).

    Missing package: EnvironmentProblem; unreachable: RuntimeProblem; a
    malformed address: UsageError; each one clear line.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise EnvironmentProblem(
            "--scheduler needs the 'distributed' package (pip install 'dask[distributed]')"
        ) from exc
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RuntimeProblem(f"cannot reach the Dask scheduler at {scheduler}: "
                             f"{_reason(exc)}") from None
    except ValueError as exc:
        raise UsageError(f"bad scheduler address {scheduler!r}: {exc}") from None


def worker_count(scheduler: str) -> int:
    """How many workers the cluster at ``scheduler`` has (at least one, or RuntimeProblem)."""
    client = connect(scheduler)
    try:
        n = len(client.scheduler_info().get("workers", {}))
    finally:
        client.close()
    if n < 1:
        raise RuntimeProblem(f"the Dask cluster at {scheduler} has no workers")
    return n


def _run_dask(func: Callable[[T], R], tasks: Sequence[T], scheduler: str,
              on_done: Callable[[int, R], None] | None) -> list[R]:
    from distributed import as_completed

    client = connect(scheduler)
    try:
        # pure=False: two equal tasks are still two pieces of work
        futures = client.map(func, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        return _in_order(((index[f.key], f.result())
                          for f in as_completed(futures, loop=client.loop)), len(tasks), on_done)
    except (OSError, TimeoutError) as exc:
        raise RuntimeProblem(f"the Dask cluster at {scheduler} failed: {_reason(exc)}") from exc
    finally:
        client.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
