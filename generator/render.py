"""Registry -> {output path: text}. A pure function: writing, `check` and benchmarks reuse it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from generator import escape, models
from generator.registry import dumps
from generator.views import endpoint_view

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
RUNTIME_FILES = ("errors.py", "_protocol.py", "_http.py", "_files.py", "_endpoint.py", "_rest.py", "_base.py", "_sample.py", "testing.py")
VERSION = "0.1.0"
LIVE_ENV = "SPECGEN_LIVE"  # opt-in: the generated contract tests also run against the real service


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(escape.FILTERS)
    return env


def outputs(registry: dict[str, Any]) -> dict[str, str]:
    """Every generated file, unformatted, keyed by its path below the output directory."""
    package = registry["package"]
    endpoints = [endpoint_view(e, registry) for e in registry["endpoints"]]
    context = {
        "package": package,
        "endpoints": endpoints,
        "queue_endpoints": [e for e in endpoints if e["is_queue"]],
        "rest_endpoints": [e for e in endpoints if not e["is_queue"]],
        "registry": registry,
        "version": VERSION,
        "live_env": LIVE_ENV,
    }
    files: dict[str, str] = {"registry.json": dumps(registry)}
    for name in RUNTIME_FILES:
        files[f"{package}/{name}"] = (TEMPLATES / "client" / "runtime" / name).read_text(encoding="utf-8")
    files[f"{package}/py.typed"] = ""
    files[f"{package}/models.py"] = models.source(registry)
    for template, target in (
        ("client/__init__.py.j2", f"{package}/__init__.py"),
        ("client/_meta.py.j2", f"{package}/_meta.py"),
        ("client/_spec.py.j2", f"{package}/_spec.py"),
        ("client/client.py.j2", f"{package}/client.py"),
        ("docs/index.md.j2", "docs/index.md"),
        ("tests/conftest.py.j2", "tests/conftest.py"),
    ):
        files[target] = render(template, context)
    for endpoint in endpoints:
        own = {**context, "ep": endpoint}
        files[f"docs/{endpoint['names']['doc_page']}"] = render("docs/endpoint.md.j2", own)
        files[f"tests/{endpoint['names']['test_module']}.py"] = render("tests/test_endpoint.py.j2", own)
    return files


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)
