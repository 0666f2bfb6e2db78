"""The whole job as one pure step: configuration in, (`Registry`, {output path: bytes}) out."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import manifest, models, models_worker, runcache
from generator.config import Config
from generator.diagnostics import Report, fail
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


def build(
    config: Config,
    report: Report,
    use_cache: bool = True,
    progress: Progress = SILENT,
) -> tuple[Registry, dict[str, bytes]]:
    """(registry, every output file, the manifest included). Raises SpecError and writes
    nothing on bad input."""
    recipe = manifest.ingredients(config)
    cache = cache_root() if use_cache else None
    worker = models_worker.Worker()
    if not _models_likely_cached(cache, recipe):
        worker.start()
    try:
        return _build(config, report, recipe, cache, worker, progress)
    finally:
        worker.stop()


def _models_likely_cached(cache: Path | None, recipe: dict[str, Any]) -> bool:
    """A guess, for speed only: a cache of this generator's models exists, so the worker's
    warm-up would likely be wasted."""
    return cache is not None and (_fingerprint_cache(cache, recipe) / "models").is_dir()


def _project_key(config: Config) -> str:
    """One project's runs apart from another's (their last runs differ)."""
    return runcache.key(str(config.root.resolve()), str(config.out_dir.resolve()))[:16]


def _fingerprint_cache(cache: Path, recipe: dict[str, Any]) -> Path:
    # keyed by the generator's own code too: its options shape the output
    return cache / str(recipe["fingerprint"])[:16]


def _build(
    config: Config,
    report: Report,
    recipe: dict[str, Any],
    cache: Path | None,
    worker: models_worker.Worker,
    progress: Progress,
) -> tuple[Registry, dict[str, bytes]]:
    from generator import formatting, imports, registry, render

    own = _fingerprint_cache(cache, recipe) if cache else None
    black_cache = cache / "black" if cache else None
    runs = own / "runs" / _project_key(config) if own else None
    run_cache = runcache.RunCache(runs.with_suffix(".json") if runs else None)
    started: list[tuple[dict[str, Any], Callable[[], str]]] = []

    def start_models(unvalidated: Registry) -> None:
        wanted = models.schemas(unvalidated)
        job = models_worker.ModelsJob(
            wanted,
            unvalidated["package"],
            own / "models" if own else None,
            black_cache,
            runs.with_suffix(".models.json") if runs else None,
        )
        started.append((wanted, worker.submit(job)))

    progress.step("reading the inputs")
    # Without overlays the registry is the normalizer's own, and the models can start while
    # its schema check runs; an overlay's edits are checked before anything reads them.
    reg = registry.build(
        config,
        report,
        run_cache,
        before_validation=None if config.overlay_files() else start_models,
    )
    if not reg["endpoints"]:
        raise fail(
            ", ".join(recipe["inputs"]) or "inputs",
            None,
            "the inputs describe no endpoint: expected at least one operation; "
            "nothing is generated from an empty API (check `inputs` and the export)",
        )
    progress.step("rendering")
    if own:
        render.keep_compiled_templates(own / "templates")
    package = reg["package"]
    if not started:
        start_models(reg)
    [(wanted, models_text)] = started
    texts = render.outputs(reg, with_models=False, wanted=wanted)
    texts = imports.tidy(
        texts,
        package,
        render.runtime_paths(package),
        cache=run_cache,
    )
    formatted = formatting.format_python(
        texts,
        black_cache,
        progress,
        verbatim=render.verbatim(package),
        settled=run_cache,
    )
    formatted[f"{package}/models.py"] = models_text()
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
    run_cache.save()
    return reg, dict(sorted(files.items()))
