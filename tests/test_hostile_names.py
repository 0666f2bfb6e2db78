"""Property: whatever the names and texts in a spec, generation succeeds, the package passes
`mypy --strict` and its own contract tests, and the wire carries the spec's names exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import naming
from tests.hostile_corpus import Case, openapi_json, operation, query
from tests.test_hostile_inputs import generate, make_project

# Printable text of any script (no controls, no surrogates): names a spec may hold.
TEXT = st.text(
    alphabet=st.characters(
        whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters="\x85"
    ),
    min_size=1,
    max_size=12,
)
RUNTIME = st.sampled_from(
    [
        "models",
        "rest",
        "protocol",
        "prepare",
        "self",
        "json",
        "params",
        "body",
        "id",
        "type",
        "format",
        "class",
        "from",
        "import",
        "cast",
        "Any",
        "files",
        "call",
        # a model's scope: pydantic's attributes, builtins its annotations use, odd shapes
        "model_config",
        "model_dump",
        "model_fields",
        "schema",
        "copy",
        "dict",
        "fields",
        "validate",
        "register",
        "mro",
        "str",
        "int",
        "list",
        "Field",
        "BaseModel",
        "_private",
        "__dunder__",
        "a-b",
        "a_b",
        "A B",
    ]
)
NAMES = st.lists(st.one_of(TEXT, RUNTIME), min_size=1, max_size=4, unique=True)
NESTED = "the nested"  # the answer's inline object


@settings(
    max_examples=int(os.environ.get("SPECGEN_HYPOTHESIS_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(params=NAMES, fields=NAMES, description=TEXT, op_id=TEXT)
def test_arbitrary_names_generate_type_check_and_round_trip(
    params: list[str], fields: list[str], description: str, op_id: str
) -> None:
    # The answer is a model of its own (scoped names) holding an inline object (named by
    # datamodel-code-generator): both with the arbitrary field names.
    inner = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in fields},
        "required": list(fields),
    }
    answer = {
        "type": "object",
        "properties": {
            **{name: {"type": "string"} for name in fields},
            NESTED: inner,
        },
        "required": [*fields, NESTED],
    }
    spec = openapi_json(
        paths={
            "/things": {
                "post": operation(
                    op_id,
                    parameters=[
                        query(name, description=description) for name in params
                    ],
                    body={
                        "type": "object",
                        "properties": {
                            name: {"type": "string", "description": description}
                            for name in fields
                        },
                        "required": list(fields),
                    },
                    response={"$ref": "#/components/schemas/Answer"},
                    summary=description,
                )
            }
        },
        schemas={"Answer": answer},
    )
    with tempfile.TemporaryDirectory() as folder:
        pyproject = make_project(Path(folder), Case("names", {"api.json": spec}, "ok"))
        code, err = generate(pyproject)
        assert code == 0, err
        out = pyproject.parent / "generated"
        registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
        [endpoint] = registry["endpoints"]
        py_params = {p["name"]: p["python_name"] for p in endpoint["parameters"]}
        py_fields = {f["name"]: f["python_name"] for f in endpoint["request"]["fields"]}
        assert set(py_params) == set(params) and set(py_fields) == set(fields)
        kwargs = {py: f"q{index}" for index, py in enumerate(py_params.values())}
        kwargs.update({py: f"b{index}" for index, py in enumerate(py_fields.values())})
        script = (
            "import json, sys\n"
            "from hostile_api import Client\n"
            "from hostile_api.testing import MockServer\n"
            "with MockServer() as s, Client(key='k', base_url=s.url) as c:\n"
            f"    got = getattr(c, {endpoint['names']['attribute']!r})(**{kwargs!r})\n"
            "    sent = s.requests[-1]\n"
            "    inner = getattr(got, [n for n, f in type(got).model_fields.items()"
            f" if f.alias == {NESTED!r} or n == {NESTED!r}][0])\n"
            "    from hostile_api import models\n"
            "    classes = [n for n, v in vars(models).items() if isinstance(v, type)"
            " and v.__module__ == models.__name__]\n"
            "    print(json.dumps([sent.query, sent.json, got.model_dump(mode='json', by_alias=True),"
            " list(type(got).model_fields), list(type(inner).model_fields), classes]))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=out, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        sent_query, sent_body, received, own, nested, classes = json.loads(done.stdout)
        scope = frozenset([*classes, NESTED])  # what a field could shadow
        assert set(sent_query) == set(params)
        assert set(sent_body) == set(fields)
        # the answer's models: the wire names exactly (aliases), the Python names naming's
        assert set(received) == set(answer["properties"])
        if isinstance(received[NESTED], dict):
            assert set(received[NESTED]) == set(fields)
        decided = naming.field_names(list(answer["properties"]), scope)
        assert own == list(decided.values())
        assert set(nested) == set(naming.field_names(fields, scope).values())
        assert all(name.isascii() and name.isidentifier() for name in own + nested)
        assert not set(own + nested) & (naming.MODEL_FIELD_RESERVED | set(classes))
        typed = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--no-incremental",
                "hostile_api",
            ],
            cwd=out,
            capture_output=True,
            text=True,
        )
        assert typed.returncode == 0, typed.stdout[-3000:]
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            cwd=out,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert tests.returncode == 0, tests.stdout[-3000:]
