"""The generated docs hold what they promise: every Python and curl example on every page runs
against the package's own MockServer and succeeds; every internal link and anchor resolves
(the Markdown rendered with markdown-it-py, anchors as GitHub makes them); no page shows a
`\\uXXXX` escape or a raw `$ref`, and spec text never becomes HTML.

curl examples run through the real `curl` binary when there is one (argv from shlex, no
shell); without it (or with `via="httpx"`) the same argv is read and sent with httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from markdown_it import MarkdownIt

from tests.helpers import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "apifox"
CURL = shutil.which("curl")
# One input per format, beside the seeds: native JSON, OpenAPI (security schemes, inline
# models), Markdown, OpenAPI YAML with folders.
CORPUS = [
    FIXTURES / "native" / "blog_server.apifox.json",
    FIXTURES / "openapi" / "TaleVoice.默认模块.openapi.json",
    FIXTURES / "markdown" / "KinhRelay-HTTP-API.md",
    FIXTURES / "openapi" / "kubernetes_management_system.openapi.json",
]
ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")
RAW_REF = re.compile(
    r'"\$ref"\s*:'
)  # an unresolved reference object, not the word in data


# -- reading the pages ------------------------------------------------------------------------


def github_slug(text: str) -> str:
    """GitHub's anchor for a heading's text (github-slugger): lower case, everything but
    letters, marks, numbers, `_`, `-` and spaces dropped, spaces become `-`."""
    kept = "".join(
        c
        for c in text.strip().lower()
        if c in " -_" or unicodedata.category(c)[0] in "LNM"
    )
    return kept.replace(" ", "-")


class Page:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.tokens = MarkdownIt("commonmark").enable("table").parse(self.text)
        self.anchors: set[str] = set()
        counts: dict[str, int] = {}
        for index, token in enumerate(self.tokens):
            if token.type == "heading_open":
                inline = self.tokens[index + 1]
                text = "".join(
                    child.content
                    for child in inline.children or []
                    if child.type in ("text", "code_inline", "html_inline")
                )
                base = github_slug(text)
                anchor = base if base not in counts else f"{base}-{counts[base]}"
                counts[base] = counts.get(base, 0) + 1
                self.anchors.add(anchor)

    def blocks(self, language: str) -> list[str]:
        return [
            t.content
            for t in self.tokens
            if t.type == "fence" and t.info.strip() == language
        ]

    def links(self) -> list[str]:
        found = []
        for token in self.tokens:
            for child in token.children or []:
                if child.type == "link_open":
                    found.append(str(child.attrs.get("href", "")))
        return found

    def html(self) -> list[str]:
        found = []
        for token in self.tokens:
            if token.type == "html_block":
                found.append(token.content)
            for child in token.children or []:
                if child.type == "html_inline":
                    found.append(child.content)
        return found


def pages(docs: Path) -> dict[str, Page]:
    return {p.name: Page(p) for p in sorted(docs.glob("*.md"))}


def check_pages(docs: Path) -> dict[str, Page]:
    found = pages(docs)
    assert "index.md" in found
    problems = []
    for name, page in found.items():
        # text stays readable; only controls, bidi overrides and line separators (which a
        # viewer or terminal would act on) are written as escapes
        readable = [
            m.group()
            for m in ESCAPE.finditer(page.text)
            if unicodedata.category(chr(int(m.group()[2:], 16)))
            not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
        ]
        if readable:
            problems.append(f"{name}: readable text as escapes: {readable[:5]}")
        if RAW_REF.search(page.text):
            problems.append(f"{name}: a raw $ref: {RAW_REF.search(page.text)}")
        extra = [h for h in page.html() if h.strip().lower() not in ("<br>",)]
        if extra:
            problems.append(f"{name}: HTML from the text: {extra[:3]}")
        for href in page.links():
            if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
                continue  # an external link (http:, mailto:)
            target, _, anchor = unquote(href).partition(
                "#"
            )  # markdown-it encodes hrefs
            other = found.get(target) if target else page
            if other is None:
                problems.append(f"{name}: link to a missing page {href!r}")
            elif anchor and anchor not in other.anchors:
                problems.append(f"{name}: link to a missing anchor {href!r}")
    assert not problems, "\n".join(problems[:20])
    return found


# -- running the examples ---------------------------------------------------------------------


def credentials(package_dir: Path) -> dict[str, str]:
    """A credential in every variable the package reads (the mock accepts any)."""
    registry = json.loads(
        (package_dir.parent / "registry.json").read_text(encoding="utf-8")
    )
    env = {registry["auth_env"]: "test-key"}
    for scheme in registry["security_schemes"].values():
        env[scheme["env"]] = "user:password" if scheme["basic"] else "test-key"
    return env


def run_python(code: str, where: str) -> str:
    output = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__docs_example__"}
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(code, where, "exec"), namespace)
    except Exception as error:  # the example failed: say which and why
        raise AssertionError(f"{where} failed: {error!r}\n{code}") from error
    return output.getvalue()


def expand(command: str, env: dict[str, str]) -> list[str]:
    """argv of a documented curl command: `$NAME` and `"$NAME"` expand outside single
    quotes (as a shell would), line continuations join, then shlex splits."""
    parts = re.split(r"('(?:[^']*)')", command)
    joined = "".join(
        (
            part
            if part.startswith("'")
            else re.sub(
                r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                lambda m: env[m.group(1)],
                part.replace("\\\n", ""),
            )
        )
        for part in parts
    )
    return shlex.split(joined)


def curl_request(argv: list[str], cwd: Path) -> tuple[int, bytes]:
    """Send what the curl argv says with httpx: the options the docs use."""
    assert argv[0] == "curl"
    method, url = "GET", ""
    headers: list[tuple[str, str]] = []
    query: list[tuple[str, str]] = []
    data: bytes | None = None
    form: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    auth: tuple[str, str] | None = None
    words = iter(argv[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(":")
            headers.append((name.strip(), value.strip()))
        elif word == "-b":
            headers.append(("Cookie", next(words)))
        elif word == "-u":
            user, _, password = next(words).partition(":")
            auth = (user, password)
        elif word == "--url-query":
            name, _, value = next(words).partition("=")
            query.append((name, value))
        elif word in ("--data-raw", "--data-binary"):
            data = next(words).encode("utf-8")
        elif word == "--data-urlencode":
            name, _, value = next(words).partition("=")
            form.append((name, value))
        elif word == "--form-string":
            name, _, value = next(words).partition("=")
            fields[name] = value
        elif word == "-F":
            name, _, value = next(words).partition("=")
            assert value.startswith("@"), value
            files[name] = (value[1:], (cwd / value[1:]).read_bytes())
        elif word.startswith("-"):
            raise AssertionError(f"an option the docs should not use: {word}")
        else:
            url = word
    with httpx.Client(timeout=30) as client:
        request = client.build_request(
            method,
            url,
            headers=headers,
            params=httpx.URL(url).params.merge(query) if query else None,
            content=data,
            data=dict(form) if form else (fields or None),
            files=files or None,
        )
        if auth is not None:
            request = next(httpx.BasicAuth(*auth).auth_flow(request))
        answer = client.send(request)
        return answer.status_code, answer.content


def run_curl(
    command: str, env: dict[str, str], base: str, mock: str, cwd: Path, via: str
) -> tuple[int, bytes]:
    argv = expand(command, env)
    argv = [
        mock + word[len(base) :] if word.startswith(base) else word for word in argv
    ]
    if via == "curl":
        done = subprocess.run(
            [*argv, "-sS", "-o", "-", "-w", "\n%{http_code}"],
            cwd=cwd,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode()
        body, _, code = done.stdout.rpartition(b"\n")
        return int(code), body
    return curl_request(argv, cwd)


def run_page_examples(
    page: Page, package: str, registry: dict[str, Any], cwd: Path, via: str
) -> int:
    """Run every example of one page against a fresh mock; the number run."""
    testing = importlib.import_module(f"{package}.testing")
    ran = 0
    # an endpoint whose docs list no success answers what they list (as its page says)
    own = [e for e in registry["endpoints"] if e["names"]["doc_page"] == page.path.name]
    codes = [r["code"] for r in own[0]["responses"]] if own else []
    answers = (
        {min(codes)} if codes and not any(200 <= c < 300 for c in codes) else set()
    )
    with testing.MockServer() as server:
        env = {registry["base_url_env"]: server.url, **credentials(cwd / package)}
        with _environment(env):
            for index, code in enumerate(page.blocks("python")):
                run_python(code, f"{page.path.name} python #{index + 1}")
                ran += 1
        request_id = ""
        for index, command in enumerate(page.blocks("bash")):
            if command.startswith("pip install"):
                continue
            lines = [c for c in re.split(r"\n(?=curl )", command.strip()) if c]
            for line in lines:
                base = next(
                    word
                    for word in expand(line, {**env, "REQUEST_ID": "x"})
                    if word.startswith("http")
                )
                base = _documented_base(base, registry)
                status, body = run_curl(
                    line,
                    {**env, "REQUEST_ID": request_id},
                    base,
                    server.url,
                    cwd,
                    via,
                )
                if (
                    "$REQUEST_ID" in line and "/status" in line
                ):  # poll until the queue request completes, as the page says
                    deadline = time.monotonic() + 20
                    while json.loads(body).get("status") != "COMPLETED":
                        assert time.monotonic() < deadline, body
                        status, body = run_curl(
                            line,
                            {**env, "REQUEST_ID": request_id},
                            base,
                            server.url,
                            cwd,
                            via,
                        )
                where = f"{page.path.name} curl #{index + 1}"
                assert (
                    200 <= status < 300 or status in answers
                ), f"{where}: {status} {body[:500]!r}\n{line}"
                if not request_id and body[:1] == b"{":
                    request_id = str(json.loads(body).get("request_id") or "")
                ran += 1
    return ran


def _documented_base(url: str, registry: dict[str, Any]) -> str:
    """The base URL the command starts with: one of the registry's servers."""
    candidates = [registry["base_url"]] + [
        e.get("base_url") or "" for e in registry["endpoints"]
    ]
    found = [c.rstrip("/") for c in candidates if c and url.startswith(c.rstrip("/"))]
    assert found, f"{url} starts with no documented base URL"
    return max(found, key=len)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Any:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_examples(out: Path, package: str, via: str) -> int:
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    (out / "upload.bin").write_bytes(b"file content")
    sys.path.insert(0, str(out))
    try:
        total = 0
        for page in check_pages(out / "docs").values():
            total += run_page_examples(page, package, registry, out, via)
        return total
    finally:
        sys.path.remove(str(out))
        for name in [
            m for m in sys.modules if m == package or m.startswith(package + ".")
        ]:
            del sys.modules[name]
        asyncio.set_event_loop(None)


def generate(inputs: list[Path], out: Path, package: str) -> None:
    arguments = [
        "generate",
        "--out",
        str(out),
        "--package",
        package,
        "--no-cache",
        "-q",
    ]
    for path in inputs:
        arguments += ["--input", str(path)]
    done = run_cli(*arguments, cwd=out.parent)
    assert done.returncode == 0, done.stderr


# -- the tests --------------------------------------------------------------------------------


def test_committed_fal_docs_run_and_link(tmp_path: Path) -> None:
    """The seeds' docs in generated/ (queue endpoints: run, submit/status/result, curl)."""
    out = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", out, ignore=shutil.ignore_patterns("tests"))
    ran = check_examples(out, "fal_api", "curl" if CURL else "httpx")
    assert ran >= 5 * 4  # per endpoint: two Python, submit, status and result


@pytest.mark.parametrize("export", CORPUS, ids=lambda p: p.name)
def test_corpus_docs_run_and_link(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    generate([export], out, "docs_api")
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    ran = check_examples(out, "docs_api", "curl" if CURL else "httpx")
    # every endpoint page: sync and async Python and a curl command, and the index's two
    assert ran >= 3 * len(registry["endpoints"]) + 2


def test_curl_without_the_binary_sends_the_same_requests(tmp_path: Path) -> None:
    """The httpx reading of the curl argv (what runs where curl is missing)."""
    out = tmp_path / "generated"
    generate(
        [FIXTURES / "openapi" / "TaleVoice.默认模块.openapi.json"], out, "tale_docs"
    )
    assert check_examples(out, "tale_docs", "httpx") > 0


HOSTILE = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "tags": [{"name": "用户 <b>|x|</b>"}],
    "paths": {
        "/users/{id}": {
            "get": {
                "operationId": "getUser",
                "tags": ["用户 <b>|x|</b>"],
                "summary": "# 读取 <script>alert(1)</script> | `x`",
                "description": "# not a heading\n```\nnot a fence\n<img src=x onerror=alert(1)>\n[local](nowhere.md)",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                        "example": 42,
                    },
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "description": "a | pipe and `tick` and 中文",
                        "schema": {"type": "string", "enum": ["a|b", "中文'\"$(x)"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "成功 <i>ok</i>",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "name": {
                                            "type": "string",
                                            "description": "名字 ``` | <br>",
                                        },
                                        "tags": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "label": {"type": "string"}
                                                },
                                            },
                                        },
                                    },
                                },
                                "example": {"name": "张三 ```\n# x", "tags": []},
                            }
                        },
                    }
                },
            }
        }
    },
}


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    """Spec text with HTML, pipes, backticks, fences, headings and a relative link in it: no
    HTML, no split table cell, no fake heading, no dead link, examples still run; Chinese
    readable."""
    spec = tmp_path / "hostile.json"
    spec.write_text(json.dumps(HOSTILE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "generated"
    generate([spec], out, "hostile_api")
    page = Page(out / "docs" / "get_user.md")
    assert "读取" in page.text and "张三" in page.text
    assert set(page.html()) <= {"<br>"}
    headings = [
        page.tokens[i + 1].content
        for i, t in enumerate(page.tokens)
        if t.type == "heading_open"
    ]
    assert not any("not a heading" in h for h in headings), headings
    assert "nowhere.md" not in page.links()
    cells = [
        page.tokens[i + 1].content
        for i, t in enumerate(page.tokens)
        if t.type == "td_open"
    ]
    assert any("a | pipe" in c and "中文" in c for c in cells), cells
    assert any("名字" in c and "&lt;br&gt;" in c for c in cells), cells
    assert check_examples(out, "hostile_api", "curl" if CURL else "httpx") >= 3


def test_markdown_is_parsed_as_github_would(tmp_path: Path) -> None:
    """The link checker itself: a missing anchor and a missing page are found."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "# 标题 One\n\n## Two\n\n## Two\n\n[a](#标题-one) [b](#two-1) [c](other.md#x)\n",
        encoding="utf-8",
    )
    (docs / "other.md").write_text("# Other\n\n[d](index.md#three)\n", encoding="utf-8")
    with pytest.raises(AssertionError) as failure:
        check_pages(docs)
    text = str(failure.value)
    assert "other.md#x" in text and "index.md#three" in text
    assert "#标题-one" not in text and "#two-1" not in text
    assert urlsplit("index.md#x").fragment == "x"
