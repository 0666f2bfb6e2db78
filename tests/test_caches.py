"""The caches only save time: a regeneration that reuses them (models, ruff's import fixes,
black's layout) writes byte for byte what a run without any cache writes, after any change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import ROOT


def _document(summary: str, extra_field: bool) -> dict[str, Any]:
    """A small REST API with component models, a list answer and a query parameter."""
    pet: dict[str, Any] = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer", "format": "int64"},
            "name": {"type": "string", "maxLength": 40},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    if extra_field:
        pet["properties"]["born"] = {"type": "string", "format": "date"}
    ref = {"$ref": "#/components/schemas/Pet"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "summary": summary,
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "responses": answer({"type": "array", "items": ref}),
                },
                "post": {
                    "operationId": "addPet",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": ref}},
                    },
                    "responses": answer(ref),
                },
            },
            "/pets/{petId}": {
                "get": {
                    "operationId": "getPet",
                    "parameters": [
                        {
                            "name": "petId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": answer(ref),
                }
            },
        },
        "components": {"schemas": {"Pet": pet}},
    }


def answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": schema}},
        }
    }


def _generate(
    root: Path, document: dict[str, Any], cache: Path | None
) -> dict[str, bytes]:
    spec = root / "pets.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "generator",
        "generate",
        "-q",
        "--input",
        str(spec),
    ]
    command += ["--out", str(root / "generated"), "--package", "pets_api"]
    env = dict(os.environ)
    if cache is None:
        command.append("--no-cache")
    else:
        env["SPECGEN_CACHE_DIR"] = str(cache)
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = root / "generated"
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def test_a_cached_regeneration_writes_what_an_uncached_one_writes(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    cached_root, fresh_root = tmp_path / "cached", tmp_path / "fresh"
    cached_root.mkdir()
    fresh_root.mkdir()
    first = _generate(cached_root, _document("List the pets", False), cache)
    assert any(cache.rglob("runs/*.json")), "the run cache was not written"
    # one endpoint's text changes; then a model changes too
    for summary, extra_field in (("List every pet", False), ("List every pet", True)):
        document = _document(summary, extra_field)
        cached = _generate(cached_root, document, cache)
        fresh = _generate(fresh_root, document, None)
        assert cached == fresh
        assert cached != first
    assert b"born" in cached["pets_api/models.py"]
    # a run cache that does not read back is ignored, not trusted
    for last_run in cache.rglob("runs/*.json"):
        last_run.write_text('{"tidy": {"x": 1}, "settled": [', "utf-8")
    document = _document("List all the pets", True)
    assert _generate(cached_root, document, cache) == _generate(
        fresh_root, document, None
    )


def test_an_endpoint_broken_after_its_neighbours_were_validated_is_named_exactly(
    tmp_path: Path,
) -> None:
    import copy

    import pytest

    from generator import registry
    from generator.diagnostics import SpecError
    from generator.runcache import RunCache

    reg = json.loads((ROOT / "generated" / "registry.json").read_text("utf-8"))
    assert len(reg["endpoints"]) >= 3
    last_run = tmp_path / "run.json"
    first = RunCache(last_run)
    registry.validate(reg, first)  # every endpoint remembered as valid
    first.save()
    broken = copy.deepcopy(reg)
    last = len(broken["endpoints"]) - 1
    broken["endpoints"][last]["method"] = "get"  # the schema wants capitals
    with pytest.raises(SpecError) as caught:
        registry.validate(broken, RunCache(last_run))
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.pointer == f"/endpoints/{last}/method", diagnostic
    # and without the cache, the same verdict
    with pytest.raises(SpecError) as again:
        registry.validate(broken)
    assert [d.pointer for d in again.value.diagnostics] == [diagnostic.pointer]
