"""Regenerates `generator/registry_types.py`, the registry's named types, from
`generator/registry.schema.json` with datamodel-code-generator: `python -m generator.typegen`.

The schema is the single source: after editing it, run the command and commit both files
(`tests/test_registry_types.py` fails while they disagree). `--check` exits 1 when the module
is stale, without writing.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import black
from datamodel_code_generator import (
    InputFileType,
    LiteralType,
    PythonVersion,
    generate,
)
from datamodel_code_generator.enums import DataModelType
from datamodel_code_generator.format import Formatter

MODULE = Path(__file__).with_name("registry_types.py")

# The names datamodel-code-generator derives from a property name, where that name says less
# than it could (or shadows a builtin): {derived name: the type's name}. The rest keep theirs.
RENAMES = {
    "Warning": "RegistryWarning",
    "Server": "NamedServer",
    "Source": "SourceLocation",
    "Field": "RequestField",
    "Queue": "QueueFacts",
    "SecuritySchemes": "SecurityScheme",
}

HEADER = '''"""The registry's named types (TypedDicts: the registry stays the JSON-shaped document that
`generated/registry.json` holds and `generator/registry.schema.json` describes).

Generated from generator/registry.schema.json by datamodel-code-generator; do not edit.
Regenerate after changing the schema: `python -m generator.typegen`.
"""'''


def source() -> str:
    """The module's text as the current schema and datamodel-code-generator make it."""
    schema = resources.files("generator").joinpath("registry.schema.json")
    text = generate(
        schema.read_text(encoding="utf-8"),
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.TypingTypedDict,
        formatters=[Formatter.BUILTIN],
        class_name="Registry",
        model_name_map=RENAMES,
        disable_timestamp=True,
        reuse_model=True,
        collapse_reuse_models=True,
        enum_field_as_literal=LiteralType.All,
        use_double_quotes=True,
        target_python_version=PythonVersion.PY_310,
        custom_file_header=HEADER,
    )
    assert isinstance(text, str)
    mode = black.Mode(target_versions={black.mode.TargetVersion.PY310})
    return black.format_str(text, mode=mode)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    wanted = source()
    current = MODULE.read_text(encoding="utf-8") if MODULE.exists() else ""
    if "--check" in args:
        if current != wanted:
            print(f"{MODULE.name} is stale: run `python -m generator.typegen`")
            return 1
        return 0
    if current != wanted:
        MODULE.write_text(wanted, encoding="utf-8")
        print(f"wrote {MODULE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
