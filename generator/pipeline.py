"""The whole job as one pure step: configuration in, {output path: bytes} out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from generator import manifest
from generator.config import Config
from generator.diagnostics import Report, fail
from generator.progress import SILENT, Progress

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
) -> tuple[dict[str, Any], dict[str, bytes]]:
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
    texts = render.outputs(reg, cache / recipe["fingerprint"][:16] if cache else None)
    texts = imports.tidy(texts, reg["package"], render.runtime_paths(reg["package"]))
    formatted = formatting.format_python(
        texts, cache / "black" if cache else None, progress
    )
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
