"""The models module made beside the rest of the build, in a forked process.

datamodel-code-generator is the slowest stage: importing it takes about half a second and a
run on a big API a second or more. The worker is forked before the inputs are read, imports
it (and black) while this process reads and normalizes, and then builds, tidies and formats
`models.py` while this process renders and lays out everything else. With one core, no
`fork`, or when the models are cached, the same work runs here instead, with the same result.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from generator import models
from generator.diagnostics import Diagnostic, SpecError
from generator.runcache import RunCache


@dataclass(frozen=True)
class ModelsJob:
    """What the worker needs to finish `models.py`: the schemas and where the caches are."""

    wanted: dict[str, Any]
    package: str
    models_cache: Path | None
    black_cache: Path | None
    # the last run's tidied and laid-out models.py (see runcache)
    run_cache: Path | None


def finish(job: ModelsJob) -> str:
    """`models.py` as written: datamodel-code-generator's output (or the cached one) with its
    imports tidied and laid out as black leaves it."""
    from generator import formatting, imports, render

    path = f"{job.package}/models.py"
    cache = RunCache(job.run_cache)
    tidied = imports.tidy(
        {path: models.source_of(job.wanted, job.models_cache)},
        job.package,
        frozenset(),
        imports.MODEL_RULES,
        cache,
    )
    text = formatting.format_python(
        tidied,
        job.black_cache,
        foreign=render.foreign(job.package),
        settled=cache,
    )[path]
    cache.save()
    return text


class Worker:
    """A forked process waiting for one `ModelsJob`; `start` forks it (or does nothing where
    forking is not worth it), `submit` hands it the job and returns a call for the text.
    """

    def __init__(self) -> None:
        self._process: Any = None
        self._connection: Connection | None = None

    def start(self) -> None:
        if (
            os.cpu_count() or 1
        ) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        # not a daemon: formatting a very large models.py may start a pool of its own
        self._process = context.Process(
            target=_serve, args=(theirs,), name="specgen-models", daemon=False
        )
        self._process.start()
        theirs.close()
        self._connection = ours

    def submit(self, job: ModelsJob) -> Callable[[], str]:
        if models.cached_source(job.wanted, job.models_cache) is not None:
            self.stop()  # nothing slow left to do: finishing here is quicker
        if self._connection is None:
            return lambda: finish(job)
        connection = self._connection
        connection.send(job)

        def result() -> str:
            try:
                kind, value = connection.recv()
            except EOFError:
                raise RuntimeError(
                    "the models worker stopped without an answer"
                ) from None
            finally:
                self.stop()
            if kind == "error":
                raise SpecError(value)
            if kind == "crash":
                raise RuntimeError(f"building the models failed: {value}")
            return str(value)

        return result

    def stop(self) -> None:
        """Ends the worker, whatever it is doing (it writes nothing but cache files, and those
        atomically); safe to call twice."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None


def _serve(connection: Connection) -> None:
    # Warm up while the parent reads the inputs: these imports are most of a small run's time.
    import black  # noqa: F401
    import datamodel_code_generator  # noqa: F401

    try:
        job = connection.recv()
    except EOFError:
        return  # the parent needed no models from us
    answer: tuple[str, str | list[Diagnostic]]
    try:
        answer = ("text", finish(job))
    except (
        SpecError
    ) as error:  # its diagnostics travel; the exception would not unpickle
        answer = ("error", error.diagnostics)
    except Exception as error:  # a bug: reported by the parent, which owns the terminal
        answer = ("crash", "".join(traceback.format_exception(error))[-4000:])
    connection.send(answer)
    connection.close()
