"""Prose -> JSON Schema: the phrases of the seeds and their English counterparts."""

from __future__ import annotations

from typing import Any

import pytest

from generator import prose
from generator.diagnostics import Report
from generator.normalize import _lift
from generator.readers.source import SourceEndpoint

CASES: list[tuple[str, str, dict[str, Any]]] = [
    # seed phrases
    (
        "number",
        "初始图像的强度。强度值越高,该模型的效果越好。默认值:0.95 范围值0.01-1",
        {"default": 0.95, "minimum": 0.01, "maximum": 1},
    ),
    (
        "integer",
        "要执行的推理步骤数。默认值:40 范围值10-50",
        {"default": 40, "minimum": 10, "maximum": 50},
    ),
    ("integer", "范围值:2-100", {"minimum": 2, "maximum": 100}),
    (
        "number",
        "CFG(无分类器引导)量表。默认值:3.5  范围值1-20",
        {"default": 3.5, "minimum": 1, "maximum": 20},
    ),
    (
        "integer",
        "生成的图像数量。默认值:1   范围值1-4",
        {"default": 1, "minimum": 1, "maximum": 4},
    ),
    (
        "string",
        '生成图片的格式。默认值:"jpeg" 支持default、png、jpeg',
        {"default": "jpeg", "enum": ["default", "png", "jpeg"]},
    ),
    ("string", "输出图片格式,支持:jpeg、png", {"enum": ["jpeg", "png"]}),
    (
        "string",
        "图片尺寸,枚举值:square、square pro、landscape_4_3、landscape_16_9、portrait_3_4",
        {
            "enum": [
                "square",
                "square pro",
                "landscape_4_3",
                "landscape_16_9",
                "portrait_3_4",
            ]
        },
    ),
    (
        "string",
        "图像生成的加速级别。枚举值: 'none', 'regular','high'",
        {"enum": ["none", "regular", "high"]},
    ),
    (
        "string",
        '生成图像的安全容差级别。1 表示最严格,5 表示最宽松。默认值:"2"',
        {"default": "2", "enum": ["1", "2", "3", "4", "5"]},
    ),
    ("boolean", "启用安全检查,默认值:true", {"default": True}),
    (
        "string",
        "图片url,接受的文件类型:jpg、jpeg、png、webp、gif、avif",
        {"x-file-types": ["jpg", "jpeg", "png", "webp", "gif", "avif"]},
    ),
    ("string", "在此处拖放文件,或提供 base64 编码的数据 URL", {}),
    # English
    (
        "number",
        "Strength of the edit. Default: 0.8. Range: 0 to 1.",
        {"default": 0.8, "minimum": 0, "maximum": 1},
    ),
    (
        "integer",
        "Number of steps, between 1 and 50 (default 28)",
        {"default": 28, "minimum": 1, "maximum": 50},
    ),
    (
        "string",
        "One of: square_hd, square, portrait_4_3",
        {"enum": ["square_hd", "square", "portrait_4_3"]},
    ),
    ("string", "Possible values are 'a', 'b' or 'c'.", {"enum": ["a", "b", "c"]}),
    ("integer", "Minimum 1, maximum 8", {"minimum": 1, "maximum": 8}),
    ("boolean", "Defaults to false", {"default": False}),
    ("string", "Accepted file types: jpg, png.", {"x-file-types": ["jpg", "png"]}),
    ("integer", "Seed, range -1-100", {"minimum": -1, "maximum": 100}),
    # ranges without a range word, where the separator can only join two ends
    ("number", "引导强度 0.5~2", {"minimum": 0.5, "maximum": 2}),
    ("number", "引导强度 0.5～2", {"minimum": 0.5, "maximum": 2}),
    ("number", "引导强度 0.5 到 2", {"minimum": 0.5, "maximum": 2}),
    ("integer", "步数 1—5", {"minimum": 1, "maximum": 5}),
    ("integer", "步数 1–5 之间", {"minimum": 1, "maximum": 5}),
    ("integer", "取值范围 [1, 10]", {"minimum": 1, "maximum": 10}),
    ("integer", "介于 1 和 5 之间", {"minimum": 1, "maximum": 5}),
    ("integer", "a value between 1 and 5", {"minimum": 1, "maximum": 5}),
    ("integer", "from 2 to 8", {"minimum": 2, "maximum": 8}),
    # one-sided bounds
    ("integer", "seed >= 1", {"minimum": 1}),
    ("integer", "取值≥1", {"minimum": 1}),
    ("number", "must be <= 2.5", {"maximum": 2.5}),
    ("integer", "最大 100", {"maximum": 100}),
    ("integer", "最小值: 0", {"minimum": 0}),
    ("integer", "最小值: 0,最大值: 9", {"minimum": 0, "maximum": 9}),
    ("integer", "至少 2 个,最多 8 个", {"minimum": 2, "maximum": 8}),
    ("integer", "at least 1, at most 8", {"minimum": 1, "maximum": 8}),
    ("number", "必须大于 0", {"exclusiveMinimum": 0}),
    ("number", "must be less than 1", {"exclusiveMaximum": 1}),
    ("number", "> 0", {"exclusiveMinimum": 0}),
    # full-width digits and punctuation
    ("integer", "范围值：１－１００", {"minimum": 1, "maximum": 100}),
    ("integer", "默认值：３", {"default": 3}),
    ("integer", "最大值＝１０", {"maximum": 10}),
    # lengths of strings, sizes of arrays
    ("string", "名称,不超过 10 个字符", {"maxLength": 10}),
    ("string", "长度 1-64", {"minLength": 1, "maxLength": 64}),
    ("string", "昵称长度不超过 20", {"maxLength": 20}),
    ("string", "at most 255 characters", {"maxLength": 255}),
    ("string", "at least 8 chars", {"minLength": 8}),
    ("string", "少于 10 个字符", {"maxLength": 9}),
    ("string", "6 到 12 位", {"minLength": 6, "maxLength": 12}),
    ("array", "最多 4 张图片", {"maxItems": 4}),
    ("array", "1-4 items, range 1-4", {"minItems": 1, "maxItems": 4}),
    ("array", "at least 1 item", {"minItems": 1}),
    ("array", "不少于 2 项", {"minItems": 2}),
    # a scale stated by its ends: a range for numbers, the values in between for strings
    ("integer", "1 表示最严格,5 表示最宽松", {"minimum": 1, "maximum": 5}),
    ("string", "1 表示最严格,5 表示最宽松", {"enum": ["1", "2", "3", "4", "5"]}),
    ("integer", "0 = off, 3 = strongest", {"minimum": 0, "maximum": 3}),
    # a single value after a colon is a one-value list
    ("string", "输出格式,支持:jpeg", {"enum": ["jpeg"]}),
    ("string", "Allowed values: json", {"enum": ["json"]}),
    # false friends: numbers that are part of a name
    ("string", "密码,SHA-256加密发送", {}),
    ("string", "时间,ISO 8601 格式", {}),
    ("string", "协议版本 HTTP/2", {}),
    ("string", "接口版本 v1", {}),
    ("string", "图片的 base64 编码", {}),
    ("string", "文本编码 utf-8", {}),
    ("string", "签名为 MD5 摘要", {}),
    ("string", "客户端版本号,如 1.2.3", {}),
    ("string", "RFC 3339 时间,如 2024-01-01", {}),
    ("string", "支持 base64 编码的数据", {}),
    ("string", "支持中文", {}),
    # false friends: a condition on another name, a Markdown quote, a list of meanings
    ("boolean", "为 true 时仅当简历已提交(status≥2)才返回", {}),
    ("string", "返回仍有剩余名额(`remaining>0`)的场次", {}),
    ("string", "## 引用格式\n>1.时序图支持\n>2.公式支持", {}),
    ("integer", "Error code (400=Bad Request, 401=Unauthorized, etc.)", {}),
    ("integer", "If you run the search with default values, you see how many", {}),
    ("string", "defaultValue of the form", {}),
]


def lift(declared: str, description: str) -> tuple[dict[str, Any], Report]:
    prop: dict[str, Any] = {"type": declared, "description": description}
    report = Report()
    source = SourceEndpoint(
        file="spec.txt",
        line=1,
        title="t",
        method="POST",
        path="/x",
        source_text='"field"\n',
    )
    _lift(prop, "field", source, report, "/properties/field")
    return prop, report


@pytest.mark.parametrize(
    ("declared", "description", "expected"), CASES, ids=[c[1][:30] for c in CASES]
)
def test_prose_becomes_schema(
    declared: str, description: str, expected: dict[str, Any]
) -> None:
    prop, report = lift(declared, description)
    lifted = {
        key: value
        for key, value in prop.items()
        if key not in ("type", "description", "x-provenance")
    }
    assert lifted == expected
    assert report.warnings == []
    assert prop["description"] == description  # the original text is kept
    assert set(prop.get("x-provenance", {})) == set(expected)
    for _keyword, snippet in prop.get("x-provenance", {}).items():
        assert snippet in description


def test_values_take_the_declared_type() -> None:
    prop, _ = lift("number", "默认值:3 范围值1-20")
    assert prop["default"] == 3 and isinstance(prop["default"], int)
    prop, _ = lift("string", "默认值:2")
    assert prop["default"] == "2"


@pytest.mark.parametrize(
    ("declared", "description", "warning", "absent"),
    [
        ("integer", "默认值:99 范围值1-4", "outside the range", "default"),
        ("string", '默认值:"webp" 支持:jpeg、png', "is not one of", "default"),
        ("integer", "枚举值:low、high", "is not a valid integer", "enum"),
        ("integer", "默认值:2.5", "is not a valid integer", "default"),
    ],
)
def test_conflicts_are_warnings_not_crashes(
    declared: str, description: str, warning: str, absent: str
) -> None:
    prop, report = lift(declared, description)
    assert absent not in prop
    [message] = [w.message for w in report.warnings]
    assert warning in message and "'field'" in message


def test_declared_keywords_win_over_prose() -> None:
    prop: dict[str, Any] = {"type": "integer", "description": "默认值:5", "default": 4}
    report = Report()
    source = SourceEndpoint(
        file="spec.txt", line=1, title="t", method="POST", path="/x"
    )
    _lift(prop, "field", source, report, "")
    assert prop["default"] == 4
    assert "kept the schema's" in report.warnings[0].message


def test_find_reads_each_phrase_once() -> None:
    # the file-type list is not read again as an enum, the default's value not as a range
    found = prose.find("接受的文件类型:jpg、png 默认值:1-2")
    assert [item.keyword for item in found] == ["x-file-types", "default"]
