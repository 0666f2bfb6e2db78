"""The whole job as one pure step: configuration in, (`Registry`, {output path: bytes}) out."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from generator import manifest, models
from generator.config import Config
from generator.diagnostics import Diagnostic, Report, SpecError, fail
from generator.progress import SILENT, Progress
from generator.registry_types import Registry

CACHE_ENV = "SPECGEN_CACHE_DIR"


def cache_root() -> Path:
    """Where formatter and model output is cached: $SPECGEN_CACHE_DIR, else the platform's user
    cache folder (never inside the project, where it would be committed or trusted by CI).
    """
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_cache_dir("specgen", appauthor=False))


def _models_beside(wanted: dict[str, Any], cache_dir: Path | None) -> Callable[[], str]:
    """The models module, made in a forked process while this one renders and lays out the
    rest (datamodel-code-generator takes seconds; with two cores the work overlaps), or here
    when it is cached, there is one core, or no fork. Call the result for the text."""
    known = models.cached_source(wanted, cache_dir)
    if known is not None:
        return lambda: known
    if (
        os.cpu_count() or 1
    ) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: models.source_of(wanted, cache_dir)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(_models_job, wanted, cache_dir)

    def result() -> str:
        try:
            _, value = future.result()
        finally:
            pool.shutdown()
        if isinstance(value, list):
            raise SpecError(value)
        return value

    return result


def _models_job(
    wanted: dict[str, Any], cache_dir: Path | None
) -> tuple[str, str | list[Diagnostic]]:
    try:
        return "text", models.source_of(wanted, cache_dir)
    except (
        SpecError
    ) as error:  # its diagnostics travel; the exception would not unpickle
        return "error", error.diagnostics


def build(
    config: Config,
    report: Report,
    use_cache: bool = True,
    progress: Progress = SILENT,
) -> tuple[Registry, dict[str, bytes]]:
    """(registry, every output file, the manifest included). Raises SpecError and writes
    nothing on bad input."""
    from generator import formatting, imports, registry, render

    progress.step("reading the inputs")
    recipe = manifest.ingredients(config)
    reg = registry.build(config, report)
    if not reg["endpoints"]:
        raise fail(
            ", ".join(recipe["inputs"]) or "inputs",
            None,
            "the inputs describe no endpoint: expected at least one operation; "
            "nothing is generated from an empty API (check `inputs` and the export)",
        )
    cache = cache_root() if use_cache else None
    progress.step("rendering")
    # The models' cache is keyed by the generator's own code too: its options shape the output.
    models_cache = cache / recipe["fingerprint"][:16] / "models" if cache else None
    models_text = _models_beside(models.schemas(reg), models_cache)
    texts = render.outputs(reg, with_models=False)
    texts = imports.tidy(texts, reg["package"], render.runtime_paths(reg["package"]))
    black_cache = cache / "black" if cache else None
    settled = cache / recipe["fingerprint"][:16] / "settled" if cache else None
    package = reg["package"]
    formatted = formatting.format_python(
        texts,
        black_cache,
        progress,
        verbatim=render.verbatim(package),
        settled_cache=settled,
    )
    models_path = f"{package}/models.py"
    tidied_models = imports.tidy(
        {models_path: models_text()}, package, frozenset(), imports.MODEL_RULES
    )
    formatted[models_path] = formatting.format_python(
        tidied_models,
        black_cache,
        foreign=render.foreign(package),
        settled_cache=settled,
    )[models_path]
    render.distinct(formatted)
    files = {path: text.encode("utf-8") for path, text in sorted(formatted.items())}
    size, limit = sum(map(len, files.values())), config.limits.max_output_bytes
    if size > limit:
        raise fail(
            config.inputs[0] if len(config.inputs) == 1 else "[tool.specgen] inputs",
            None,
            f"the outputs would take {size} bytes, more than the limit of {limit} "
            "(raise [tool.specgen.limits] max_output_bytes to write them)",
        )
    files[manifest.NAME] = manifest.render(recipe, files)
    return reg, dict(sorted(files.items()))
