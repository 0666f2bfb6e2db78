"""The registry's named types are what its schema says: generator/registry_types.py is exactly
what `python -m generator.typegen` makes from generator/registry.schema.json."""

from __future__ import annotations

import typing

from generator import registry, registry_types, typegen


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
