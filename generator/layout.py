"""Python as black leaves it, decided without running black where it can be.

The templates lay their code out as black would, whatever the spec's values are (exploded
calls end in a magic trailing comma, strings take black's quotes). Two things still depend on
the values, and they are settled here: docstrings are normalized as black normalizes them (the
same code path, `_black_docstring`), and a top-level statement with a line wider than black's
limit (outside docstrings and comments) is handed to black, alone. `pieces` splits a file
accordingly; `generator.formatting` formats only the pieces that need black. Black stays the
style authority: tests/test_black_clean.py runs it over whole outputs and requires no change.
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Any

from generator import escape
from generator.diagnostics import fail

LINE_LENGTH = 88  # black's default, the mode `black --check generated/` uses
_BACKSLASH_NEWLINE = re.compile(r"\\\s*\n")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
QUOTES = '"""'


def parse(path: str, text: str) -> ast.Module:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise fail(
            path,
            exc.lineno,
            f"generated code does not parse ({exc}); this is a bug in a template",
        ) from None


def pieces(path: str, text: str, strict: bool = False) -> list[tuple[bool, str]]:
    """The file as consecutive pieces, (needs black, text): joined, black's output for the
    ones that need it and the others as they are make the file as black would leave it.
    `strict` is for code not laid out by our templates (datamodel-code-generator's): there a
    statement split over several lines may be one black would join, so it goes to black too.
    """
    tree = parse(path, text)
    # lines as the parser counts them: "\n" only (str.splitlines would also break at
    # U+2028, form feeds, ... which a docstring may hold)
    lines = [line for line in re.split(r"(?<=\n)", text) if line]
    exempt: set[int] = set()  # 0-based lines inside docstrings
    forced: set[int] = set()  # lines of docstrings only black may settle
    replaced: dict[int, tuple[int, str]] = {}  # first line -> (end line, new text)
    for node in _docstrings(tree):
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        exempt.update(range(first, last + 1))
        # ast's columns count UTF-8 bytes; what precedes a docstring is indentation
        start = node.col_offset
        ending = lines[last].encode("utf-8")
        tail = ending[node.end_col_offset or 0 :].decode("utf-8")
        literal = lines[first][start:] + "".join(lines[first + 1 : last + 1])
        literal = literal[: len(literal) - len(tail)]
        settled = _black_docstring(literal, " " * start)
        if settled is None:  # not a plain triple-quoted string: black decides
            forced.add(first)
        elif settled != literal:
            replaced[first] = (last, lines[first][:start] + settled + tail)
    out: list[tuple[bool, str]] = []
    position = 0
    for statement in tree.body:
        first = min(
            [statement.lineno]
            + [d.lineno for d in getattr(statement, "decorator_list", [])]
        )
        first, last = first - 1, (statement.end_lineno or statement.lineno) - 1
        span = range(first, last + 1)
        if (
            any(i in forced for i in span)
            or any(
                i not in exempt
                and _too_wide(lines[i])
                and (strict or not _LONE_STRING.match(lines[i]))
                for i in span
            )
            or (strict and _split_over_lines(statement, exempt))
        ):
            out.append((False, _settled(lines, position, first, replaced)))
            out.append((True, "".join(lines[first : last + 1])))
            position = last + 1
    out.append((False, _settled(lines, position, len(lines), replaced)))
    return [piece for piece in out if piece[1]]


def _settled(
    lines: list[str], start: int, stop: int, replaced: dict[int, tuple[int, str]]
) -> str:
    parts: list[str] = []
    index = start
    while index < stop:
        if index in replaced:
            last, text = replaced[index]
            parts.append(text)
            index = last + 1
        else:
            parts.append(lines[index])
            index += 1
    return "".join(parts)


def _split_over_lines(top: ast.stmt, docstring_lines: set[int]) -> bool:
    """A simple statement (a docstring aside), or a compound statement's header, that spans
    more than one line."""
    for node in ast.walk(top):
        if not isinstance(node, ast.stmt):
            continue
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            header_end = min(
                [body[0].lineno]
                + [d.lineno for d in getattr(body[0], "decorator_list", [])]
            )
            if header_end - node.lineno > 1:
                return True
        elif (node.end_lineno or node.lineno) > node.lineno and (
            node.lineno - 1 not in docstring_lines
        ):
            return True
    return False


# A line that is one string literal (a dict item's key may precede it), ending the item with
# a comma or not: black splits no string, so however long it stays as it is.
_STRING = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
_LONE_STRING = re.compile(rf"^ *(?:{_STRING}: )?{_STRING},?\n?$")


def _too_wide(line: str) -> bool:
    """Wider than black allows, counting every non-ASCII character as two columns (black's own
    table never counts more); a comment-only line is left alone by black however long.
    """
    body = line.rstrip("\r\n")
    if len(body) <= LINE_LENGTH // 2:
        return False
    width = len(body) if body.isascii() else len(body) + sum(ord(c) > 127 for c in body)
    return width > LINE_LENGTH and not body.lstrip().startswith("#")


def _docstrings(tree: ast.Module) -> list[ast.Constant]:
    """The string statements black treats as docstrings: the first statement of the module and
    of every indented block."""
    found: list[ast.Constant] = []
    stack: list[list[ast.stmt]] = [tree.body]
    while stack:
        body = stack.pop()
        head = body[0] if body else None
        if (
            isinstance(head, ast.Expr)
            and isinstance(head.value, ast.Constant)
            and isinstance(head.value.value, str)
        ):
            found.append(head.value)
        for statement in body:
            for field in ("body", "orelse", "finalbody"):
                block = getattr(statement, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    stack.append(block)
            for handler in getattr(statement, "handlers", []):
                stack.append(handler.body)
            for case in getattr(statement, "cases", []):
                stack.append(case.body)
    return found


def _black_docstring(literal: str, indent: str) -> str | None:
    """What black makes of a triple-double-quoted docstring at `indent` (black's linegen
    `visit_STRING` and `fix_multiline_docstring`, for the plain string literals we emit);
    None for any other literal."""
    if not (
        literal.startswith(QUOTES)
        and literal.endswith(QUOTES)
        and len(literal) >= 6
        and QUOTES not in literal[3:-3]
    ):
        return None
    if _BACKSLASH_NEWLINE.search(literal):
        return literal  # black leaves these alone
    docstring = literal[3:-3]
    started_empty = not docstring
    if "\n" in literal:
        docstring = _fix_multiline(docstring, indent)
    else:
        docstring = docstring.strip()
    trailing_backslash = False
    if docstring:
        if docstring[0] == '"':
            docstring = " " + docstring
        if docstring[-1] == '"':
            docstring += " "
        if docstring[-1] == "\\":
            count = len(docstring) - len(docstring.rstrip("\\"))
            if count % 2:
                docstring += " "
                trailing_backslash = True
    elif not started_empty:
        docstring = " "
    lines = docstring.splitlines()
    last = len(lines[-1]) if docstring and not docstring.endswith("\n") else 0
    if (
        len(lines) > 1
        and last + 3 > LINE_LENGTH
        and len(indent) + 3 <= LINE_LENGTH
        and not trailing_backslash
    ):
        if literal[-4] == "\n":
            return QUOTES + docstring + QUOTES
        return QUOTES + docstring + "\n" + indent + QUOTES
    return QUOTES + docstring + QUOTES


def _fix_multiline(docstring: str, prefix: str) -> str:
    lines = []
    for line in _LINE_BREAK.split(docstring):
        stripped = line.lstrip()
        if not stripped or stripped == line:
            lines.append(line)
        else:
            lead = len(line) - len(stripped)
            lines.append(line[:lead].expandtabs(4) + stripped)
    indent = sys.maxsize
    for line in lines[1:]:
        stripped = line.lstrip()
        if stripped:
            indent = min(indent, len(line) - len(stripped))
    trimmed = [lines[0].strip()]
    if indent < sys.maxsize:
        last_index = len(lines) - 2
        for index, line in enumerate(lines[1:]):
            stripped_line = line[indent:].rstrip()
            if stripped_line or index == last_index:
                trimmed.append(prefix + stripped_line)
            else:
                trimmed.append("")
    return "\n".join(trimmed)


# --- laying out values' code as black would, so it need not run ---------------------------


def _widths(text: str) -> tuple[int, int]:
    """(fewest, most) columns black can count for `text`: its table gives a non-ASCII
    character 0, 1 or 2 columns."""
    if text.isascii():
        return len(text), len(text)
    wide = sum(ord(c) > 127 for c in text)
    return len(text) - wide, len(text) + wide


def literal_lines(head: str, value: Any, tail: str, indent: int) -> str:
    """`head + <value as a Python literal> + tail`, indented by `indent` spaces, laid out as
    black lays it out: on one line when it fits, else the dict or list exploded, one item per
    line with a trailing comma (which black keeps), or a lone item on a line of its own
    (which black joins back only if it fits, so that split is made only when it surely
    does not). Where black's count of columns is in doubt the line is left whole and long,
    and `pieces` sends it to black."""
    pad = " " * indent
    whole = pad + head + escape.py_literal(value) + tail
    fewest, most = _widths(whole)
    if most <= LINE_LENGTH or not isinstance(value, (dict, list)) or not value:
        return whole
    items: list[tuple[str, Any]] = (
        [(escape.py_str(str(key)) + ": ", item) for key, item in value.items()]
        if isinstance(value, dict)
        else [("", item) for item in value]
    )
    if len(items) == 1 and fewest <= LINE_LENGTH:
        return whole  # black may find it fits
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    comma = "," if len(items) > 1 else ""
    inner = [literal_lines(key, item, comma, indent + 4) for key, item in items]
    return f"{pad}{head}{opening}\n" + "\n".join(inner) + f"\n{pad}{closing}{tail}"


def assignment(
    target: str, expression: str, indent: int = 0, split_before: str = ""
) -> str:
    """`target = expression` as black lays it out when the expression has no brackets of its
    own that black would split at (a name, an attribute, `f(x) / "b"`): one line when it
    fits, else the expression in parentheses on a line of its own, else (when it has the
    operator `split_before` at its top level, once) split before that operator. Left long
    where black's count is in doubt or none of these fits (`pieces` then asks black)."""
    pad = " " * indent
    whole = f"{pad}{target} = {expression}"
    if _widths(whole)[0] <= LINE_LENGTH:
        return whole  # fits, or black may find it fits: then `pieces` asks black
    inner = f"{pad}    {expression}"
    if _widths(inner)[1] <= LINE_LENGTH:
        return f"{pad}{target} = (\n{inner}\n{pad})"
    if split_before and expression.count(split_before) == 1:
        left, right = expression.split(split_before)
        if _widths(inner)[0] > LINE_LENGTH:
            op = split_before.strip()
            return f"{pad}{target} = (\n{pad}    {left}\n{pad}    {op} {right}\n{pad})"
    return whole


def call(callee: str, arguments: str, tail: str, indent: int) -> str:
    """`callee(arguments)` + `tail` as black lays it out when the arguments are one item
    (no comma of their own): one line when it fits, else split at the call's parentheses,
    as black splits it even when the first line stays long."""
    pad = " " * indent
    whole = f"{pad}{callee}({arguments}){tail}"
    if _widths(whole)[0] <= LINE_LENGTH:
        return whole  # fits, or black may find it fits: then `pieces` asks black
    return f"{pad}{callee}(\n{pad}    {arguments}\n{pad}){tail}"
