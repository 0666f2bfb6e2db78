"""Lift constraints that live only in prose ("默认值:0.95 范围值0.01-1") into JSON Schema keywords.

Each lifted keyword keeps the snippet it came from, so the registry can say where it came from.
Patterns run in a fixed order and blank out what they matched, so one phrase is read once
(the file types list is not read again as an enum, a default's value is not read as a range).

Forms read, Chinese and English, full-width digits and punctuation included:
- ranges: `范围值0.01-1`, `取值范围 [1, 5]`, `between 1 and 5`, `长度 1-64`, and without a
  range word when the separator can only mean one (`0.5~2`, `0.5～2`, `0.5 到 2`, `1—5`);
- one-sided bounds: `最小值: 0`, `最大 100`, `>= 1`, `≥1`, `不超过 10 个字符`, `at most 8`, and the
  strict ones (`> 0`, `小于 5`) as exclusiveMinimum/exclusiveMaximum;
- a scale stated by its ends (`1 表示最严格,5 表示最宽松`): a range, or for a string field the
  enum of the values in between;
- enums (`支持:jpeg、png`, `one of: a, b`, also a single value after a colon: `支持:jpeg`),
  defaults and accepted file types.
A bound with a unit of length (`个字符`, `characters`) on a string field is a minLength/maxLength,
any bound on an array field a minItems/maxItems. Numbers that are part of a name (`SHA-256`,
`ISO 8601`, `HTTP/2`, `v1`, `base64`, `utf-8`, `MD5`, `1.2.3`) are never read as constraints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NUM = r"-?\d+(?:\.\d+)?"
_VALUE = r"\"[^\"]*\"|'[^']*'|“[^”]*”|[^\s,，。;；、)）]+"
_LIST_END = r"(?=[。;；\n]|默认|\bdefault\s*(?:value|is|:|：)|$)"
_SEP = r"\s*(?:-|~|～|〜|到|至|–|—|,|，|和|与|\bto\b|\band\b)\s*"
# Separators that only ever join the two ends of a range, so no range word is needed.
_BARE_SEP = r"\s*(?:~|～|〜|到|至|–|—)\s*"
_CI = re.IGNORECASE
# A unit after a bound: length (for strings) or a count (for arrays). Bytes are not characters.
_UNIT = (
    r"(?:\s*(?P<unit>个字符|个汉字|字符|个字|字|位|characters?|chars?|letters?"
    r"|个|张|项|条|组|份|items?|elements?|entries|values|images?|files?)(?![A-Za-z]))?"
)
LENGTH_UNITS = re.compile(
    r"^(?:个字符|个汉字|字符|个字|字|位|characters?|chars?|letters?)$", _CI
)
_LENGTH_WORD = r"(?P<length>长度|字数|字符数|(?<!\w)length)?\s*"

FILE_TYPES = re.compile(
    r"(?:接受的文件类型|支持的文件类型|文件类型|accepted file types|allowed file types|supported file types|file types)"
    r"\s*(?:are|is)?\s*[:：]?\s*(?P<list>.+?)" + _LIST_END,
    _CI,
)
# The word ends where a letter cannot follow ("defaults", "default values", never "default
# value" + "s"), and the value is never the word "value(s)" itself.
DEFAULT = re.compile(
    r"(?:默认值|默认为|默认|(?<![\w-])defaults?(?![A-Za-z])(?:\s+values?(?![A-Za-z]))?"
    r"(?:\s+(?:is|to))?)\s*[:：=]?\s*(?!values?(?![A-Za-z]))(?P<value>" + _VALUE + ")",
    _CI,
)
# "1 表示最严格,5 表示最宽松", "1 = strict, 5 = lenient": the two ends of a scale.
SCALE = re.compile(
    r"(?<![\w.-])(?P<low>"
    + _NUM
    + r")\s*(?:表示|代表|为|=|means|is)\s*[^,，;；。\n\d]{1,30}?"
    r"\s*[,，;；]\s*(?:而\s*)?(?P<high>"
    + _NUM
    + r")\s*(?:表示|代表|为|=|means|is)\s*[^,，;；。\n\d]{1,30}"
    # ... and no third value after it: "400=Bad Request, 401=Unauthorized, etc." is a list
    r"(?=[,，;；。.\n)）]|$)(?![,，;；]\s*(?:etc|等|\d))",
    _CI,
)
_RANGE_WORD = (
    r"(?:范围值|取值范围|范围|取值|区间|介于|(?<!\w)range|(?<!\w)between|(?<!\w)from)"
)
RANGE = re.compile(
    r"(?:(?P<length>长度|字数|字符数|(?<!\w)length)\s*"
    + _RANGE_WORD
    + "?|"
    + _RANGE_WORD
    + r")\s*(?:is|of|from|in)?\s*[:：为是]?\s*"
    r"[\[(（]?\s*(?P<low>"
    + _NUM
    + ")"
    + _SEP
    + r"(?P<high>"
    + _NUM
    + r")\s*[\])）]?"
    + _UNIT,
    _CI,
)
BARE_RANGE = re.compile(
    _LENGTH_WORD
    + r"(?<![\w.-])(?P<low>"
    + _NUM
    + ")"
    + _BARE_SEP
    + r"(?P<high>"
    + _NUM
    + r")(?![\w.])"
    + _UNIT,
    _CI,
)
_AT = r"\s*(?:is|of)?\s*[:：=为是]?\s*"
# A comparator sign right after a name is a condition on that name (`status≥2`, `remaining>0`),
# and `>` at the start of a line is a Markdown quote.
_SIGN = r"(?<![A-Za-z0-9_`\n])"
MINIMUM = re.compile(
    _LENGTH_WORD
    + r"(?:最小值|最小|最少|至少|不少于|不小于|不低于|大于等于|大于或等于|"
    + _SIGN
    + r"(?:>=|≥)|(?<!\w)min(?:imum)?|(?<!\w)at least|(?<!\w)no (?:less|fewer) than)"
    + _AT
    + r"(?P<value>"
    + _NUM
    + ")"
    + _UNIT,
    _CI,
)
MAXIMUM = re.compile(
    _LENGTH_WORD
    + r"(?:最大值|最大|最多|至多|不超过|不多于|不大于|不高于|小于等于|小于或等于|"
    + _SIGN
    + r"(?:<=|≤)|(?<!\w)max(?:imum)?|(?<!\w)at most|(?<!\w)no (?:more|greater) than|(?<!\w)up to)"
    + _AT
    + r"(?P<value>"
    + _NUM
    + ")"
    + _UNIT,
    _CI,
)
EXCLUSIVE_MINIMUM = re.compile(
    _LENGTH_WORD
    + r"(?:大于|超过|多于|"
    + _SIGN
    + r">|(?<!\w)greater than|(?<!\w)more than)"
    + _AT
    + r"(?P<value>"
    + _NUM
    + ")"
    + _UNIT,
    _CI,
)
EXCLUSIVE_MAXIMUM = re.compile(
    _LENGTH_WORD
    + r"(?:小于|少于|低于|"
    + _SIGN
    + r"<|(?<!\w)less than|(?<!\w)fewer than)"
    + _AT
    + r"(?P<value>"
    + _NUM
    + ")"
    + _UNIT,
    _CI,
)
ENUM = re.compile(
    r"(?:枚举值|可选值|可选项|支持|(?<!\w)one of|(?<!\w)possible values(?: are)?|(?<!\w)allowed values(?: are)?"
    r"|(?<!\w)valid values(?: are)?|(?<!\w)supported values(?: are)?|(?<!\w)options(?: are)?|(?<!\w)enum)"
    r"\s*(?P<colon>[:：])?\s*(?P<list>.+?)" + _LIST_END,
    _CI,
)
_SPLIT = re.compile(r"\s*(?:、|,|，|/|\||\bor\b)\s*", _CI)
_QUOTES = "\"'“”‘’`"
_TOKEN = re.compile(r"[A-Za-z0-9_.+-]{1,40}")

# Numbers inside names: standards and algorithms (SHA-256, ISO 8601, HTTP/2, UTF-8, RFC 3339),
# letters and digits run together (v1, base64, MD5, H.264), dotted versions (1.2.3), dates and
# times (2024-01-01, 12:30).
NAMES = re.compile(
    r"(?<![A-Za-z0-9])(?:sha|md|crc|utf|ucs|http|https|iso|rfc|ieee|ecma|gb(?:/t)?|ipv|tls|ssl|aes|rsa|des|"
    r"hmac|base|int|uint|float|es|h|mp|ecmascript|python|java|node|oauth|x)[-/ _.]?\d+(?:[-./]\d+)*"
    r"|(?<![A-Za-z0-9_.])[A-Z]{2,}[-/]\d+(?:\.\d+)*"
    r"|[A-Za-z_]+\d+[A-Za-z0-9_]*|\d+[A-Za-z_][A-Za-z0-9_]*"
    r"|(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])"
    r"|(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?|(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])",
    _CI,
)

# Full-width forms as their ASCII twins, one character for one (spans stay valid).
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},
        "．": ".",
        "－": "-",
        "＋": "+",
        "＜": "<",
        "＞": ">",
        "＝": "=",
        "−": "-",
    }
)


@dataclass(frozen=True)
class Lifted:
    # "default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
    # "maxLength", "minItems", "maxItems", "enum" or "x-file-types"
    keyword: str
    value: Any
    text: str  # the snippet of prose it came from


def without_names(text: str) -> str:
    """`text` with every number that is part of a name blanked out (same length)."""
    return NAMES.sub(lambda m: " " * len(m.group(0)), text)


def find(description: str, declared: str | None = None) -> list[Lifted]:
    """Every constraint the prose states, values still as written (strings).

    `declared` is the field's JSON type: it decides whether a bound is a value's (minimum), a
    string's length (minLength, when the prose gives a unit of length) or an array's size
    (minItems), and whether a scale becomes a range or an enum."""
    original = description
    plain = description.translate(_FULL_WIDTH)
    texts = [plain, without_names(plain)]  # names only matter to the numeric patterns
    found: list[Lifted] = []

    def take(pattern: re.Pattern[str], build: Any, numeric: bool = True) -> bool:
        match = pattern.search(texts[1 if numeric else 0])
        if match is None:
            return False
        start, end = match.span()
        snippet = original[start:end].strip()
        lifted = build(match, snippet)
        if not lifted:
            return False
        found.extend(lifted)
        for index, text in enumerate(texts):
            texts[index] = text[:start] + " " * (end - start) + text[end:]
        return True

    def bounds(match: re.Match[str], snippet: str) -> list[Lifted]:
        unit = _unit(match)
        return [
            _bound("minimum", match.group("low"), snippet, unit, declared),
            _bound("maximum", match.group("high"), snippet, unit, declared),
        ]

    def one(keyword: str) -> Any:
        return lambda m, snippet: [
            _bound(keyword, m.group("value"), snippet, _unit(m), declared)
        ]

    take(FILE_TYPES, _file_types, numeric=False)
    take(
        DEFAULT,
        lambda m, snippet: [Lifted("default", m.group("value"), snippet)],
        numeric=False,
    )
    ranged = (
        take(SCALE, lambda m, snippet: _scale(m, snippet, declared))
        or take(RANGE, bounds)
        or take(BARE_RANGE, bounds)
    )
    if not ranged:
        for pattern, keyword in (
            (MINIMUM, "minimum"),
            (MAXIMUM, "maximum"),
            (EXCLUSIVE_MINIMUM, "exclusiveMinimum"),
            (EXCLUSIVE_MAXIMUM, "exclusiveMaximum"),
        ):
            if not any(_side(item.keyword) == _side(keyword) for item in found):
                take(pattern, one(keyword))
    take(ENUM, _enum, numeric=False)
    return found


def _unit(match: re.Match[str]) -> str | None:
    """ "length" (a unit of length, or the word 长度 before), "count" (another unit) or None."""
    unit = match.groupdict().get("unit")
    if match.groupdict().get("length") or (unit and LENGTH_UNITS.match(unit)):
        return "length"
    return "count" if unit else None


def _side(keyword: str) -> str:
    return "low" if keyword.lower().startswith(("min", "exclusivemin")) else "high"


BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
SIZES = ("minLength", "maxLength", "minItems", "maxItems")
_SIZE = {
    ("string", "low"): "minLength",
    ("string", "high"): "maxLength",
    ("array", "low"): "minItems",
    ("array", "high"): "maxItems",
}


def _bound(
    keyword: str, value: str, snippet: str, unit: str | None, declared: str | None
) -> Lifted:
    """A bound as the keyword the field's type takes: a length for a string measured in
    characters, a size for an array; a strict bound on a size is the next whole number.
    """
    kind = (
        "array"
        if declared == "array" and unit != "length"
        else "string" if declared == "string" and unit == "length" else None
    )
    if kind is None:
        return Lifted(keyword, value, snippet)
    side = _side(keyword)
    if keyword.startswith("exclusive") and re.fullmatch(r"-?\d+", value):
        value = str(int(value) + (1 if side == "low" else -1))
    elif keyword.startswith("exclusive"):
        return Lifted(keyword, value, snippet)
    return Lifted(_SIZE[(kind, side)], value, snippet)


def _scale(match: re.Match[str], snippet: str, declared: str | None) -> list[Lifted]:
    low, high = match.group("low"), match.group("high")
    if declared == "string":
        if not (re.fullmatch(r"\d+", low) and re.fullmatch(r"\d+", high)):
            return []
        if not 0 < int(high) - int(low) <= 20:
            return []
        return [
            Lifted("enum", [str(n) for n in range(int(low), int(high) + 1)], snippet)
        ]
    if declared not in ("integer", "number", None) or float(low) >= float(high):
        return []
    return [Lifted("minimum", low, snippet), Lifted("maximum", high, snippet)]


def _values(raw: str) -> list[str]:
    values = [
        part.strip().strip(_QUOTES).strip()
        for part in _SPLIT.split(raw.strip().rstrip("."))
    ]
    return [value for value in values if value]


def _file_types(match: re.Match[str], snippet: str) -> list[Lifted]:
    kinds = [value.lower().lstrip(".") for value in _values(match.group("list"))]
    kinds = [kind for kind in kinds if re.fullmatch(r"[a-z0-9+]{1,10}", kind)]
    return [Lifted("x-file-types", kinds, snippet)] if kinds else []


def _enum(match: re.Match[str], snippet: str) -> list[Lifted]:
    values = _values(match.group("list"))
    if any(len(value) > 40 for value in values) or not values:
        return []
    # A single value is a list only after a colon and when it is a token ("支持:jpeg");
    # otherwise it is prose ("支持 base64 编码的数据").
    if len(values) == 1 and not (match.group("colon") and _TOKEN.fullmatch(values[0])):
        return []
    return [Lifted("enum", values, snippet)]


class CoercionError(ValueError):
    pass


def typed(lifted: Lifted, declared: str | None) -> Any:
    """A lifted keyword's value as the field's declared type takes it (CoercionError if not)."""
    if lifted.keyword == "x-file-types":
        return lifted.value
    if lifted.keyword == "enum":
        return [coerce(value, declared or "string") for value in lifted.value]
    if lifted.keyword in SIZES:
        return coerce(lifted.value, "integer")
    if lifted.keyword in BOUNDS:
        if declared not in ("integer", "number", None):
            raise CoercionError(f"a range does not apply to a {declared}")
        return coerce(lifted.value, declared or "number")
    return coerce(lifted.value, declared)


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
