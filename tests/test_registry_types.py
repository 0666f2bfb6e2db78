"""The registry's named types are what its schema says: generator/registry_types.py is exactly
what `python -m generator.typegen` makes from generator/registry.schema.json."""

from __future__ import annotations

import typing

from generator import registry, registry_types, typegen
from tests.helpers import run_cli, write_project


def test_types_are_regenerated_from_the_schema() -> None:
    committed = typegen.MODULE.read_text(encoding="utf-8")
    assert (
        committed == typegen.source()
    ), "generator/registry_types.py is stale: run `python -m generator.typegen`"


def test_check_mode_reports_a_stale_module(tmp_path, monkeypatch, capsys) -> None:
    stale = tmp_path / "registry_types.py"
    stale.write_text("# edited by hand\n", encoding="utf-8")
    monkeypatch.setattr(typegen, "MODULE", stale)
    assert typegen.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert stale.read_text(encoding="utf-8") == "# edited by hand\n"
    assert typegen.main([]) == 0
    assert typegen.main(["--check"]) == 0


def test_every_registry_key_has_a_typed_field() -> None:
    """The top-level and endpoint keys the schema lists are the TypedDicts' keys."""
    schema = registry.schema()
    top = typing.get_type_hints(registry_types.Registry)
    assert set(top) == set(schema["properties"])
    endpoint = typing.get_type_hints(registry_types.Endpoint)
    assert set(endpoint) == set(schema["$defs"]["endpoint"]["properties"])


OPENAPI = """{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/items": {"get": {
  "operationId": "list_items",
  "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
  "responses": {"200": {"description": "ok", "content": {"application/json": {
    "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}}}}}}"""


def test_an_overlay_cannot_make_a_schema_slot_a_boolean(tmp_path) -> None:
    """Every schema slot the emitters read is an object (`Schema`); an overlay that puts a
    boolean there is a schema error naming the registry (exit 2, nothing written), where it
    used to reach the views as a traceback."""
    write_project(tmp_path, {"api.json": OPENAPI}, package="demo")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace("specs/*.txt", "specs/*.json")
        + 'overlays = ["overlay.yaml"]\n',
        encoding="utf-8",
    )
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: 1.0.0}\nactions:\n"
        "  - target: $.endpoints[*].parameters[0]\n    update: {schema: true}\n",
        encoding="utf-8",
    )
    done = run_cli("generate", "--config", str(pyproject), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "registry does not match its schema" in done.stdout + done.stderr
    assert "/endpoints/0/parameters/0/schema" in done.stdout + done.stderr
    assert not (tmp_path / "generated").exists()
    overlay.write_text(overlay.read_text().replace("true", "{type: integer}"))
    done = run_cli("generate", "--config", str(pyproject), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
