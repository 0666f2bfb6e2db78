"""Lift constraints that live only in prose ("默认值:0.95 范围值0.01-1") into JSON Schema keywords.

Each lifted keyword keeps the snippet it came from, so the registry can say where it came from.
Patterns run in a fixed order and blank out what they matched, so one phrase is read once
(the file types list is not read again as an enum, a default's value is not read as a range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NUM = r"-?\d+(?:\.\d+)?"
_VALUE = r"\"[^\"]*\"|'[^']*'|“[^”]*”|[^\s,，。;；、)）]+"
_LIST_END = r"(?=[。;；\n]|默认|\bdefault\s*(?:value|is|:|：)|$)"
_SEP = r"\s*(?:-|~|～|到|至|–|—|\bto\b|\band\b)\s*"
_CI = re.IGNORECASE

FILE_TYPES = re.compile(
    r"(?:接受的文件类型|支持的文件类型|文件类型|accepted file types|allowed file types|supported file types|file types)"
    r"\s*(?:are|is)?\s*[:：]?\s*(?P<list>.+?)" + _LIST_END,
    _CI,
)
DEFAULT = re.compile(
    r"(?:默认值|默认为|默认|(?<![\w-])defaults?(?:\s+value)?(?:\s+(?:is|to))?)\s*[:：=]?\s*(?P<value>"
    + _VALUE
    + ")",
    _CI,
)
RANGE = re.compile(
    r"(?:范围值|取值范围|范围|(?<!\w)range|(?<!\w)between)\s*(?:is|of|from)?\s*[:：]?\s*[\[(（]?\s*"
    r"(?P<low>" + _NUM + ")" + _SEP + r"(?P<high>" + _NUM + r")",
    _CI,
)
MINIMUM = re.compile(
    r"(?:最小值|(?<!\w)min(?:imum)?)\s*(?:is)?\s*[:：=]?\s*(?P<value>" + _NUM + ")", _CI
)
MAXIMUM = re.compile(
    r"(?:最大值|(?<!\w)max(?:imum)?)\s*(?:is)?\s*[:：=]?\s*(?P<value>" + _NUM + ")", _CI
)
ENUM = re.compile(
    r"(?:枚举值|可选值|可选项|支持|(?<!\w)one of|(?<!\w)possible values(?: are)?|(?<!\w)allowed values(?: are)?"
    r"|(?<!\w)valid values(?: are)?|(?<!\w)supported values(?: are)?|(?<!\w)options(?: are)?|(?<!\w)enum)"
    r"\s*[:：]?\s*(?P<list>.+?)" + _LIST_END,
    _CI,
)
_SPLIT = re.compile(r"\s*(?:、|,|，|/|\||\bor\b)\s*", _CI)
_QUOTES = "\"'“”‘’`"


@dataclass(frozen=True)
class Lifted:
    keyword: str  # "default", "minimum", "maximum", "enum" or "x-file-types"
    value: Any
    text: str  # the snippet of prose it came from


def find(description: str) -> list[Lifted]:
    """Every constraint the prose states, values still as written (strings)."""
    text = description
    found: list[Lifted] = []

    def take(pattern: re.Pattern[str], build: Any) -> None:
        nonlocal text
        match = pattern.search(text)
        if match is None:
            return
        lifted = build(match)
        if lifted:
            found.extend(lifted)
            start, end = match.span()
            text = text[:start] + " " * (end - start) + text[end:]

    take(FILE_TYPES, lambda m: _file_types(m))
    take(DEFAULT, lambda m: [Lifted("default", m.group("value"), m.group(0).strip())])
    take(
        RANGE,
        lambda m: [
            Lifted("minimum", m.group("low"), m.group(0).strip()),
            Lifted("maximum", m.group("high"), m.group(0).strip()),
        ],
    )
    if not any(item.keyword == "minimum" for item in found):
        take(
            MINIMUM, lambda m: [Lifted("minimum", m.group("value"), m.group(0).strip())]
        )
        take(
            MAXIMUM, lambda m: [Lifted("maximum", m.group("value"), m.group(0).strip())]
        )
    take(ENUM, lambda m: _enum(m))
    return found


def _values(raw: str) -> list[str]:
    values = [
        part.strip().strip(_QUOTES).strip()
        for part in _SPLIT.split(raw.strip().rstrip("."))
    ]
    return [value for value in values if value]


def _file_types(match: re.Match[str]) -> list[Lifted]:
    kinds = [value.lower().lstrip(".") for value in _values(match.group("list"))]
    kinds = [kind for kind in kinds if re.fullmatch(r"[a-z0-9+]{1,10}", kind)]
    return [Lifted("x-file-types", kinds, match.group(0).strip())] if kinds else []


def _enum(match: re.Match[str]) -> list[Lifted]:
    values = _values(match.group("list"))
    # A single value is prose ("支持 base64 编码的数据"), not a list of choices.
    if len(values) < 2 or any(len(value) > 40 for value in values):
        return []
    return [Lifted("enum", values, match.group(0).strip())]


class CoercionError(ValueError):
    pass


def coerce(raw: str, declared_type: str | None) -> Any:
    """A value written in prose, as the field's declared JSON type."""
    quoted = len(raw) >= 2 and raw[0] in _QUOTES and raw[-1] in _QUOTES
    text = raw[1:-1] if quoted else raw.rstrip(".")
    if declared_type == "string":
        return text
    if quoted and declared_type is None:
        return text
    if declared_type == "boolean" or (
        declared_type is None and text.lower() in ("true", "false")
    ):
        lowered = text.lower()
        if lowered in ("true", "是"):
            return True
        if lowered in ("false", "否"):
            return False
        raise CoercionError(f"{raw!r} is not a valid boolean")
    if declared_type in ("integer", "number", None):
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(_NUM, text):
            if declared_type == "integer":
                number = float(text)
                if number.is_integer():
                    return int(number)
                raise CoercionError(f"{raw!r} is not a valid integer")
            return float(text)
        if declared_type is None:
            return text
        raise CoercionError(f"{raw!r} is not a valid {declared_type}")
    raise CoercionError(f"a {declared_type} cannot take the value {raw!r}")
