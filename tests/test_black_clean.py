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


# --- the layouts the templates take from `layout`, against black on generated values ------

import keyword  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(
    # ASCII mostly, with CJK, accents, combining marks and emoji: black counts them 2, 1, 0, 2
    st.sampled_from("abcdefghij_- .:/\"'\\") | st.sampled_from("汉字テ éü\u0301😀"),
    max_size=60,
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | _TEXT,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=20,
)


def _vouched_or_black_agrees(source: str) -> None:
    """What `pieces` lets through without black is what black writes."""
    plan = layout.pieces("m.py", source)
    if not any(needs_black for needs_black, _ in plan):
        assert black.format_str(source, mode=MODE) == source


@settings(max_examples=300, deadline=None)
@given(
    items=st.dictionaries(
        st.from_regex(r"[a-z_]{1,30}", fullmatch=True), _JSON, min_size=1
    )
)
def test_literal_lines_lay_out_kwargs_as_black_does(items: dict[str, object]) -> None:
    body = "".join(
        layout.literal_lines(f'"{key}": ', value, ",", indent=4) + "\n"
        for key, value in items.items()
    )
    _vouched_or_black_agrees("KWARGS: dict[str, Any] = {\n" + body + "}\n")


@settings(max_examples=200, deadline=None)
@given(
    name=st.from_regex(r"[a-z_]{1,90}", fullmatch=True).filter(
        lambda name: not keyword.iskeyword(name)  # `client.if` does not parse
    ),
    model=st.from_regex(r"[A-Z][A-Za-z0-9]{0,99}", fullmatch=True),
)
def test_assignments_and_calls_lay_out_as_black_does(name: str, model: str) -> None:
    case_file = layout.assignment(
        "CASE_FILE",
        f'Path(__file__).with_name("cases") / "{name}.json"',
        split_before=" / ",
    )
    answer = layout.assignment("ANSWER_MODEL: Any", f"models.{model}")
    call = layout.call(f"lambda: client.{name}.{name}", "**KWARGS", ",", indent=8)
    _vouched_or_black_agrees(case_file + "\n" + answer + "\n")
    _vouched_or_black_agrees(
        "def f() -> None:\n    answer = contract.answer_of(\n"
        + call
        + '\n        CASE["answer_code"],\n    )\n'
    )
