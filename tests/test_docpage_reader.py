"""The doc-page reader on both real layouts, and its errors on malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.diagnostics import Report, SpecError
from generator.readers import read_file
from tests.helpers import SEEDS

PIPE_TABLE = "flux-lora.txt"  # `| Method | POST |`, one-line JSON
RUN_TOGETHER = "flux-pro-kontext.txt"  # `MethodPOST`, pretty JSON, blank lines


def read(path: Path):
    [endpoint] = read_file(path, path.name, Report()).endpoints
    return endpoint


@pytest.mark.parametrize("name", [PIPE_TABLE, RUN_TOGETHER])
def test_both_layouts_give_method_path_body_and_responses(name: str) -> None:
    endpoint = read(SEEDS / name)
    assert endpoint.method == "POST"
    assert endpoint.path.startswith("/fal-ai/")
    assert endpoint.request.content_type == "application/json"
    assert "prompt" in endpoint.request.schema["properties"]
    assert endpoint.meta == {
        "Folder": "61445274",
        "Module": "2102810",
        "Status": "1",
        "Type": "http",
    }
    [example] = endpoint.request.examples
    assert (
        isinstance(example, dict) and "prompt" in example
    )  # a JSON string with CRLF, parsed
    [response] = endpoint.responses
    assert response.code == 200
    assert response.examples[0]["status"] == "IN_QUEUE"


def test_every_seed_reads() -> None:
    paths = sorted(endpoint.path for endpoint in map(read, sorted(SEEDS.glob("*.txt"))))
    assert paths == [
        "/fal-ai/flux-1/dev/image-to-image",
        "/fal-ai/flux-lora",
        "/fal-ai/flux-lora/inpainting",
        "/fal-ai/flux-pro/kontext",
        "/fal-ai/qwen-image-edit-lora",
    ]


def _broken(seed: str, old: str, new: str) -> str:
    text = (SEEDS / seed).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _without_body(seed: str) -> str:
    lines = (SEEDS / seed).read_text(encoding="utf-8").split("\n")
    at = lines.index("请求体")
    return "\n".join(lines[:at] + lines[at + 2 :])  # the header and its one-line JSON


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("case", "make", "line_needle", "message"),
    [
        (
            "truncated JSON, one-line layout",
            lambda: _broken(
                PIPE_TABLE, '"required": [ "prompt" ]', '"required": [ "prompt"'
            ),
            "请求体\n",
            "invalid JSON",
        ),
        (
            "truncated JSON, pretty layout",
            lambda: _broken(
                RUN_TOGETHER,
                '  "mediaType": "",\n  "oasExtensions"',
                '  "mediaType": "",,\n  "oasExtensions"',
            ),
            '"mediaType": "",,',
            "invalid JSON",
        ),
        (
            "missing request body",
            lambda: _without_body(PIPE_TABLE),
            None,
            "no 请求体 section",
        ),
        (
            "no path",
            lambda: _broken(PIPE_TABLE, "| Path | /fal-ai/flux-lora |\n", "").replace(
                "POST /fal-ai/flux-lora\n", "\n"
            ),
            "概览",
            "no path",
        ),
        (
            "unknown method",
            lambda: _broken(
                RUN_TOGETHER,
                "MethodPOST\nPath/fal-ai/flux-pro/kontext\nTypehttp\nStatus1\nModule2102810\nFolder61445274\n\n参数",
                "MethodFETCH\nPath/fal-ai/flux-pro/kontext\nTypehttp\nStatus1\nModule2102810\nFolder61445274\n\n参数",
            ),
            "MethodFETCH",
            "unknown HTTP method 'FETCH'",
        ),
    ],
)
def test_malformed_input_names_file_line_and_expectation(
    tmp_path: Path, case: str, make, line_needle: str | None, message: str
) -> None:
    text = make()
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        read_file(path, "specs/bad.txt", Report())
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.file == "specs/bad.txt"
    assert message in diagnostic.message
    if line_needle is not None:
        expected = _line_of(text, line_needle)
        # a JSON error points at the line inside the block; a section error at its header
        assert diagnostic.line is not None and abs(diagnostic.line - expected) <= 1, (
            case,
            diagnostic,
        )
    assert str(diagnostic).startswith("specs/bad.txt")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    data = (
        (SEEDS / RUN_TOGETHER)
        .read_bytes()
        .replace("生成图像的提示".encode(), b"\xff\xfe bad", 1)
    )
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(SpecError) as caught:
        read_file(path, "bad.txt", Report())
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.line == data[: data.index(b"\xff")].count(b"\n") + 1
    assert "invalid UTF-8" in diagnostic.message
