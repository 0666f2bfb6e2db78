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
    ]
)
NAMES = st.lists(st.one_of(TEXT, RUNTIME), min_size=1, max_size=4, unique=True)


@settings(
    max_examples=int(os.environ.get("SPECGEN_HYPOTHESIS_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(params=NAMES, fields=NAMES, description=TEXT, op_id=TEXT)
def test_arbitrary_names_generate_type_check_and_round_trip(
    params: list[str], fields: list[str], description: str, op_id: str
) -> None:
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
                    summary=description,
                )
            }
        }
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
            f"    getattr(c, {endpoint['names']['attribute']!r})(**{kwargs!r})\n"
            "    sent = s.requests[-1]\n"
            "    print(json.dumps([sent.query, sent.json]))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=out, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        sent_query, sent_body = json.loads(done.stdout)
        assert set(sent_query) == set(params)
        assert set(sent_body) == set(fields)
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
