"""`Registry` -> {output path: text}. A pure function: writing, `check` and benchmarks reuse it."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2

from generator import docviews, escape, layout, models
from generator.diagnostics import fail
from generator.registry import dumps
from generator.registry_types import Registry
from generator.views import EndpointView, endpoint_view, namespace_views


def templates() -> Traversable:
    """The templates/ folder: package data of `generator.templates`, found the same way in a
    clone, an editable install and an installed wheel."""
    return resources.files("generator.templates")


def template_text(name: str) -> str:
    node = templates()
    for part in name.split("/"):
        node = node / part
    return node.read_text(encoding="utf-8")


RUNTIME_FILES = (
    "errors.py",
    "_protocol.py",
    "_log.py",
    "_http.py",
    "_files.py",
    "_endpoint.py",
    "_rest.py",
    "_resource.py",
    "_auth.py",
    "_base.py",
    "_sample.py",
    "_storage.py",
    "_handles.py",
    "_webhooks.py",
    "testing.py",
    "contract.py",
)


def runtime_paths(package: str) -> frozenset[str]:
    """Where the runtime files land in the output: copied verbatim, never rewritten."""
    return frozenset(f"{package}/{name}" for name in RUNTIME_FILES)


LIVE_ENV = "SPECGEN_LIVE"  # opt-in: the generated contract tests also run against the real service
LIVE_WRITES_ENV = (
    "SPECGEN_LIVE_WRITES"  # and, live, plain endpoints that are not read-only too
)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(escape.FILTERS)
    env.filters["dist_name"] = dist_name
    # statements whose layout depends on the spec's values, laid out as black would
    env.globals["black_assignment"] = layout.assignment
    env.globals["black_call"] = layout.call
    return env


def keep_compiled_templates(directory: Path) -> None:
    """Compiled templates kept in `directory` (jinja's own atomic, version-checked cache):
    a regeneration skips compiling them again."""
    directory.mkdir(parents=True, exist_ok=True)
    environment().bytecode_cache = jinja2.FileSystemBytecodeCache(str(directory))


def dist_name(package: str) -> str:
    """The generated package's distribution name: its import name, normalized as PEP 503 does."""
    return package.replace("_", "-")


def _load_template(name: str) -> tuple[str, None, Any]:
    try:
        return template_text(name), None, lambda: True
    except FileNotFoundError:
        raise jinja2.TemplateNotFound(name) from None


def verbatim(package: str) -> frozenset[str]:
    """Outputs copied as stored, already black-formatted: the runtime files."""
    return frozenset(f"{package}/{name}" for name in RUNTIME_FILES)


def foreign(package: str) -> frozenset[str]:
    """Outputs laid out by another tool: datamodel-code-generator's models."""
    return frozenset({f"{package}/models.py"})


def outputs(
    registry: Registry,
    cache_dir: Path | None = None,
    with_models: bool = True,
    wanted: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Every generated file, unformatted, keyed by its path below the output directory
    (models.py left out when not `with_models`: the pipeline makes it beside the rest).
    `wanted`: `models.schemas(registry)` when the caller has it already.
    """
    package = registry["package"]
    roots = models.list_roots(models.schemas(registry) if wanted is None else wanted)
    endpoints = [endpoint_view(e, registry, roots) for e in registry["endpoints"]]
    namespaces = namespace_views(endpoints)
    context = {
        "package": package,
        "endpoints": endpoints,
        "queue_endpoints": [e for e in endpoints if e["is_queue"]],
        "rest_endpoints": [e for e in endpoints if not e["is_queue"]],
        # plain endpoints on the client itself, and the namespaces (parents first)
        "client_methods": [
            e
            for e in endpoints
            if not e["is_queue"] and not e["names"].get("namespace")
        ],
        "namespaces": namespaces,
        "top_namespaces": [n for n in namespaces if len(n["path"]) == 1],
        "registry": registry,
        "version": registry["package_version"],
        "live_env": LIVE_ENV,
        "live_writes_env": LIVE_WRITES_ENV,
    }
    files: dict[str, str] = {"registry.json": dumps(registry)}
    for name in RUNTIME_FILES:
        files[f"{package}/{name}"] = template_text(f"client/runtime/{name}")
    files[f"{package}/py.typed"] = ""
    files[f"{package}/endpoints/__init__.py"] = (
        '"""One module per endpoint. Generated by specgen; do not edit."""\n'
    )
    files[f"{package}/_spec.json"] = json_data(spec_data(registry, endpoints))
    if with_models:
        files[f"{package}/models.py"] = models.source(
            registry, cache_dir / "models" if cache_dir else None
        )
    for template, target in (
        ("client/__init__.py.j2", f"{package}/__init__.py"),
        ("client/_meta.py.j2", f"{package}/_meta.py"),
        ("client/_spec.py.j2", f"{package}/_spec.py"),
        ("client/client.py.j2", f"{package}/client.py"),
        ("tests/conftest.py.j2", "tests/conftest.py"),
        ("package/pyproject.toml.j2", "pyproject.toml"),
        ("package/README.md.j2", "README.md"),
    ):
        files[target] = render(template, context)
    if namespaces:
        files[f"{package}/resources.py"] = render("client/resources.py.j2", context)
    for endpoint in endpoints:
        own = {**context, "ep": endpoint}
        files[f"{package}/endpoints/{endpoint['names']['attribute']}.py"] = render(
            "client/endpoint.py.j2", own
        )
        files[f"tests/cases/{endpoint['names']['attribute']}.json"] = json_data(
            case_data(endpoint)
        )
        files[f"tests/{endpoint['names']['test_module']}.py"] = render(
            "tests/test_endpoint.py.j2", own
        )
    files.update(docs_files(registry, endpoints, context))
    distinct(files)
    return files


def docs_files(
    registry: Registry, endpoints: list[dict[str, Any]], context: dict[str, Any]
) -> dict[str, str]:
    """docs/: the index, one page per endpoint and the models page (see docviews)."""
    entries = docviews.model_entries(registry, endpoints)
    links = docviews.model_links(entries, "")
    files = {
        "docs/index.md": render(
            "docs/index.md.j2",
            {**context, "doc": docviews.index_view(registry, endpoints, bool(entries))},
        ),
        f"docs/{docviews.MODELS_PAGE}": render(
            "docs/models.md.j2",
            {**context, "models": docviews.models_view(registry, entries)},
        ),
    }
    for endpoint in endpoints:
        files[f"docs/{endpoint['names']['doc_page']}"] = render(
            "docs/endpoint.md.j2",
            {
                **context,
                "ep": endpoint,
                "doc": docviews.endpoint_docs(endpoint, registry, links),
            },
        )
    return files


def distinct(files: dict[str, str]) -> None:
    """No two outputs may land on one file: paths equal after Unicode normalization and case
    folding are one file on macOS and Windows. Names are made distinct upstream; this guard
    makes a clash an error instead of a silently overwritten file."""
    seen: dict[str, str] = {}
    for path in sorted(files):
        key = unicodedata.normalize("NFC", path).casefold()
        if key in seen:
            raise fail(
                "registry.json",
                None,
                f"two outputs map to one file: {seen[key]!r} and {path!r} "
                "(equal on case-insensitive file systems); rename one endpoint",
            )
        seen[key] = path


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)


def json_data(value: Any) -> str:
    """Data files: JSON needs no formatter, which keeps large schemas out of black's way."""
    return escape.json_text(value, indent=1) + "\n"


def spec_data(registry: Registry, endpoints: list[EndpointView]) -> dict[str, Any]:
    """What the mock server knows of each endpoint."""
    return {
        "endpoints": {
            e["path"]: {
                "method": e["method"],
                "app_id": e["queue"]["app_id"],
                "input_model": e["names"]["input_model"],
                "output_schema": e["output_schema"],
            }
            for e in endpoints
            if e["is_queue"]
        },
        "routes": [
            {
                "method": e["method"],
                "path": e["path"],
                "pattern": e["path_pattern"],
                "params": e["param_specs"],
                "params_model": e["names"]["params_model"],
                "styles": {py: [style, explode] for py, style, explode in e["styles"]},
                "input_model": e["names"]["input_model"],
                "encoding": e["encoding"],
                "content_type": e["content_type"],
                "body_required": bool(e["request"] and e["request"]["required"]),
                "also": (e["request"] or {}).get("also", []),
                "required_files": [a["wire"] for a in e["file_args"] if a["required"]],
                "file_fields": [a["wire"] for a in e["file_args"]],
                "answer": e["answer"],
                "responses": e["mock_responses"],
                "security": e["security"],
            }
            for e in endpoints
            if not e["is_queue"]
        ],
        "schemas": registry["schemas"],
    }


def case_data(endpoint: EndpointView) -> dict[str, Any]:
    """The contract test's data: schemas, examples, the expected request and answer."""
    data = {
        "request_schema": endpoint["request_schema"],
        "example": endpoint["example"],
        "expected_body": endpoint["expected_body"],
        "negative_cases": [
            [c["py"], c["field"], c["constraint"], c["value"]]
            for c in endpoint["negative_cases"]
        ],
        "response_examples": endpoint["response_examples"],
    }
    if endpoint["file_args"]:  # sent as file parts: not fields of the input model
        data["file_fields"] = [a["wire"] for a in endpoint["file_args"]]
    if not endpoint["is_queue"]:
        data.update(
            expected_path=endpoint["expected_path"],
            expected_query=endpoint["expected_query"],
            security=endpoint["security"],
            own_names=[[a["location"], a["wire"]] for a in endpoint["param_args"]],
            answer=endpoint["answer"]["body"],
            answer_code=endpoint["answer"]["code"],
            # what a live service may answer: the documented statuses, ranges ("4XX"), default
            documented=sorted(
                {str(r.get("range") or r["code"]) for r in endpoint["responses"]}
            ),
        )
    return data
