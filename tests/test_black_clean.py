"""Black is the style authority, but generation does not run it on what is already black-clean:
the runtime files are stored formatted, the templates emit black's layout, and `layout` hands
black only the statements it cannot vouch for. These tests run black itself over the whole
output of the seeds (test_lint_clean does the same for every export in both corpora and
openapi-python-client's documents) and require that it changes nothing; and check `layout`
against black on hand-made cases.
"""

from __future__ import annotations

import black
import pytest

from generator import config, formatting, layout, pipeline, render
from generator.diagnostics import Report, SpecError
from tests.helpers import ROOT

MODE = formatting.black_mode()  # what `black --check generated/` uses
# Black over the output of every corpus document is in test_lint_clean, which generates each
# document once for black, ruff and pyright.


def _not_black_clean(files: dict[str, bytes]) -> list[str]:
    changed = []
    for path, data in sorted(files.items()):
        if path.endswith(".py"):
            text = data.decode("utf-8")
            if black.format_str(text, mode=MODE) != text:
                changed.append(path)
    return changed


def _build(cfg: config.Config) -> dict[str, bytes]:
    try:
        return pipeline.build(cfg, Report(), use_cache=False)[1]
    except SpecError as error:  # an export the generator refuses has no output to check
        pytest.skip(f"not generated: {error}")


def test_black_changes_nothing_in_the_seeds_output() -> None:
    cfg = config.load(ROOT / "pyproject.toml")
    assert _not_black_clean(_build(cfg)) == []


def test_the_runtime_files_are_stored_black_formatted() -> None:
    folder = ROOT / "templates" / "client" / "runtime"
    for name in render.RUNTIME_FILES:
        text = (folder / name).read_text(encoding="utf-8")
        assert black.format_str(text, mode=MODE) == text, name


# Docstrings and lines as the templates may hand them over, from spec text of any shape.
CASES = {
    "indented continuation": 'def f() -> None:\n    """Title\n\n  body line\n      deeper\n    """\n',
    "unindented continuation": 'class A:\n    """Title\nnext line\n\n    Args:\n        x: y\n    """\n',
    "trailing spaces and tabs": 'def f() -> None:\n    """Title   \n\n\tbody\t\n    """\n',
    "ends in a quote": 'def f() -> None:\n    """He said \\"hi\\""""\n',
    "starts with a quote": '"""\\"quoted\\" first"""\n',
    "ends in a backslash": 'def f() -> None:\n    """a path C:\\\\"""\n',
    "only spaces": 'def f() -> None:\n    """   """\n',
    "long last line": 'def f() -> None:\n    """Title\n\n    '
    + "word " * 17
    + 'end."""\n',
    "wide characters": 'def f() -> None:\n    """标题\n\n    '
    + "说明" * 30
    + '\n    """\n',
    "single quotes": "def f() -> None:\n    'not triple'\n",
    "long code line": "X = {"
    + ", ".join(f'"key{i}": {i}' for i in range(12))
    + "}\n\n\ndef f() -> None:\n    return None\n",
    "long line in a function": 'def f(a: int) -> int:\n    """Doc."""\n    return a + '
    + " + ".join(f"a * {i}" for i in range(20))
    + "\n",
    "long wide comment": "X = 1  # " + "注释" * 50 + "\n" + "# " + "注释" * 50 + "\n",
    "backslash newline": 'def f() -> None:\n    """one \\\n    two\n    """\n',
    "decorated": "@dataclass(frozen=True)\nclass A:\n    '''x'''\n\n    a: int = "
    + " + ".join(str(i) for i in range(40))
    + "\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layout_and_black_agree(name: str) -> None:
    source = CASES[name]
    assert formatting.format_python({"m.py": source}, None)["m.py"] == (
        black.format_str(source, mode=MODE)
    )


def test_only_the_statements_layout_cannot_vouch_for_go_to_black() -> None:
    short = 'def f() -> None:\n    """Doc."""\n\n\n'
    long = "X = [" + ", ".join(str(i) for i in range(40)) + "]\n"
    pieces = layout.pieces("m.py", short + long)
    assert pieces == [(False, short), (True, long)]


def test_code_that_does_not_parse_is_a_template_bug_naming_the_file() -> None:
    with pytest.raises(SpecError) as caught:
        formatting.format_python({"pkg/broken.py": "def f(:\n"}, None)
    assert "pkg/broken.py" in str(caught.value)
    assert "template" in str(caught.value)
