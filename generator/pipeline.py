"""The whole job as one pure step: configuration in, {output path: bytes} out."""

from __future__ import annotations

from typing import Any

from generator import formatting, registry, render
from generator.config import Config
from generator.diagnostics import Report, fail


def build(
    config: Config, report: Report, use_cache: bool = True
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(registry, every output file). Raises SpecError and writes nothing on bad input."""
    reg = registry.build(config, report)
    cache = config.root / ".specgen-cache" if use_cache else None
    texts = render.outputs(reg, cache)
    formatted = formatting.format_python(texts, cache / "black" if cache else None)
    files = {path: text.encode("utf-8") for path, text in sorted(formatted.items())}
    size, limit = sum(map(len, files.values())), config.limits.max_output_bytes
    if size > limit:
        raise fail(
            config.inputs[0] if len(config.inputs) == 1 else "[tool.specgen] inputs",
            None,
            f"the outputs would take {size} bytes, more than the limit of {limit} "
            "(raise [tool.specgen.limits] max_output_bytes to write them)",
        )
    return reg, files
