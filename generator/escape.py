"""One escaping function per destination. Spec text reaches generated files only through these.

Identifiers are not escaped here: they are rebuilt from safe characters in `naming` and checked
by the registry schema. Everything else a spec says is data, written as a literal or as text.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _is_unsafe(char: str) -> bool:
    # Control, format (bidi overrides: "Trojan Source") and line-separator characters.
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _unsafe_in(text: str) -> set[str]:
    """The distinct unsafe characters of `text`: each is looked up once, not once per use."""
    if text.isascii() and text.isprintable():
        return set()
    return {char for char in set(text) if _is_unsafe(char)}


def _replaced(text: str, chars: set[str], by: str) -> str:
    return text.translate({ord(char): by for char in chars}) if chars else text


def py_str(text: str) -> str:
    """A Python string literal that evaluates to exactly `text`, quoted as black quotes it:
    double quotes, unless the text holds more double quotes than single ones."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    if (
        text.isascii() and text.isprintable()
    ):  # only the quote and backslashes to escape
        body = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
        return quote + body + quote
    out = [quote]
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + quote)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif _is_unsafe(char):
            code = ord(char)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
        else:
            out.append(char)
    out.append(quote)
    return "".join(out)


def py_bytes(text: str) -> str:
    """A bytes literal that evaluates to `text` in UTF-8: printable ASCII as it is, every other
    byte as `\\xNN`, in black's quotes (double, unless single ones need fewer escapes).
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = ["b", quote]
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in ("\\", quote):
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    out.append(quote)
    return "".join(out)


def py_literal(value: Any) -> str:
    """Python source for a JSON value (dicts, lists, strings, numbers, booleans, null)."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        return repr(value).replace("e+", "e")  # 1e+20 as black writes it: 1e20
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{py_str(str(k))}: {py_literal(v)}" for k, v in value.items())
            + "}"
        )
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def docstring(text: str) -> str:
    """Text safe inside a triple-double-quoted docstring: no escapes, no closing quotes."""
    cleaned = text.replace("\r\n", "\n")
    cleaned = _replaced(cleaned, _unsafe_in(cleaned) - {"\n"}, " ")
    cleaned = cleaned.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if cleaned.endswith('"'):
        cleaned += " "
    return cleaned.strip()


def comment(text: str) -> str:
    """One line of text for after a `#`: line breaks and controls become spaces."""
    return " ".join(_replaced(text, _unsafe_in(text) | {"\n", "\t"}, " ").split())


def md_text(text: str) -> str:
    """Markdown prose that renders as text: HTML is escaped, controls removed."""
    cleaned = text.replace("\r\n", "\n")
    cleaned = _replaced(cleaned, _unsafe_in(cleaned) - {"\n"}, " ")
    return (
        cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").strip()
    )


def md_heading(text: str) -> str:
    """One line of heading text: line breaks become spaces (a newline in a summary cannot start
    a new block, a fake heading or a code fence), HTML and Markdown markers are escaped.
    """
    line = " ".join(md_text(text).split())
    line = re.sub(r"([`*\[\]|\\])", r"\\\1", line)
    return line or "(untitled)"


def md_cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return md_text(text).replace("|", "\\|").replace("\n", "<br>")


def md_code(text: str) -> str:
    """Inline code span that cannot be broken out of by backticks in `text`."""
    cleaned = comment(text)
    fence = "`"
    while fence in cleaned:
        fence += "`"
    return (
        f"{fence} {cleaned} {fence}"
        if cleaned.startswith("`") or cleaned.endswith("`")
        else f"{fence}{cleaned}{fence}"
    )


def sh_quote(text: str) -> str:
    """One shell word, quoted so that nothing in it expands."""
    return "'" + comment(text).replace("'", "'\\''") + "'"


def json_text(value: Any, indent: int = 2) -> str:
    """JSON text for a data file: readable (CJK stays as it is), but controls, bidi overrides
    and line separators are written as `\\uXXXX` escapes, so no viewer or terminal acts on
    them; non-finite numbers are refused (the readers never let one through)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False)
    unsafe = _unsafe_in(text) - {"\n"}
    if not unsafe:
        return text
    return text.translate({ord(c): _json_escape(c) for c in unsafe})


def _json_escape(char: str) -> str:
    """`\\uXXXX`, as a surrogate pair beyond the Basic Multilingual Plane (JSON's only form)."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def toml_str(text: str) -> str:
    """A TOML basic string that reads back as exactly `text`."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F or _is_unsafe(char):
            code = ord(char)
            out.append(f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def sh_arg(text: str, multiline: bool = False) -> str:
    """One shell word that is exactly `text` (no trimming, unlike `sh_quote`): single-quoted,
    so nothing in it expands; controls become spaces (line breaks kept when `multiline`).
    """
    unsafe = _unsafe_in(text) - ({"\n"} if multiline else set())
    cleaned = _replaced(text, unsafe, " ")
    return "'" + cleaned.replace("'", "'\\''") + "'"


def md_fence(text: str, info: str = "") -> str:
    """A fenced code block holding `text` verbatim: the fence is longer than any run of
    backticks inside, so no content closes it early; controls become spaces."""
    text = text.replace("\r\n", "\n")
    cleaned = _replaced(text, _unsafe_in(text) - {"\n"}, " ").rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", cleaned)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{cleaned}\n{fence}"


def md_link_text(text: str) -> str:
    """Text inside `[...]` of a link, in a table cell: one line, brackets, pipes and HTML escaped."""
    return md_heading(text)


FILTERS = {
    "toml_str": toml_str,
    "sh_quote": sh_quote,
    "py_str": py_str,
    "py_bytes": py_bytes,
    "py_literal": py_literal,
    "docstring": docstring,
    "comment": comment,
    "md_text": md_text,
    "md_cell": md_cell,
    "md_heading": md_heading,
    "md_code": md_code,
    "md_fence": md_fence,
    "md_link_text": md_link_text,
    "sh_arg": sh_arg,
}
