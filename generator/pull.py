"""`specgen pull`: fetch the API docs from where they live and update specs/, all or nothing.

Sources come from `[[tool.specgen.pull]]` in pyproject.toml, each one of:

- `apifox_project = 1234567`: Apifox's Open API export (`POST {api_base}/v1/projects/{id}/export-openapi`
  with `X-Apifox-Api-Version` and `Authorization: Bearer <token from $token_env>`);
- `url = "https://..."`: any export file or published doc page, fetched with GET.

What arrives must be something a reader understands (the reader runs on it; a login page or an
error body is refused), then every changed target is written at once, byte for byte as the
server sent it. Each source is reported `unchanged` or `changed (+N -M endpoints, K breaking)`
from the existing `diff`. The token goes into the Authorization header and nowhere else: not into
a message, a log line, a file or a repr.
"""

from __future__ import annotations

import email.utils
import fnmatch
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from generator import config as config_module
from generator import diff
from generator import registry as registry_module
from generator.config import Config
from generator.diagnostics import Diagnostic, Report, SpecError, fail
from generator.findings import Finding
from generator.registry_types import Registry

DEFAULT_API_BASE = "https://api.apifox.com"
API_BASE_ENV = "APIFOX_API_BASE"
DEFAULT_TOKEN_ENV = "APIFOX_ACCESS_TOKEN"
# The Open API is versioned by release date; a request without the header gets 422.
DEFAULT_API_VERSION = "2024-03-28"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = (
    120.0  # seconds: a longer Retry-After fails the pull instead of hanging a job
)
SCOPES = {
    "tags": ("SELECTED_TAGS", "selectedTags", str),
    "endpoints": ("SELECTED_ENDPOINTS", "selectedEndpointIds", int),
    "folders": ("SELECTED_FOLDERS", "selectedFolderIds", int),
}
APIFOX_KEYS = {
    "apifox_project",
    "to",
    "token_env",
    "api_base",
    "api_version",
    "module_id",
    "branch_id",
    "scope",
    "exclude_tags",
    "oas_version",
    "format",
    "locale",
    "include_apifox_extensions",
    "add_folders_to_tags",
    "timeout",
    "retries",
}
URL_KEYS = {"url", "to", "timeout", "retries"}


@dataclass(frozen=True)
class Source:
    """One `[[tool.specgen.pull]]` entry, checked."""

    index: int  # 1-based position in the config, for messages
    to: str  # relative to the project root, POSIX
    timeout: float
    retries: int
    url: str = ""  # a plain GET source
    project: int | None = None  # an Apifox Open API export
    token_env: str = DEFAULT_TOKEN_ENV
    api_base: str = DEFAULT_API_BASE
    api_version: str = DEFAULT_API_VERSION
    locale: str = "zh-CN"
    body: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        """How messages name the source: never with a query string (it may hold a secret)."""
        if self.project is not None:
            return f"apifox project {self.project}"
        parts = urlsplit(self.url)  # without user:password@ and ?query
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"

    def request(self) -> tuple[str, str, dict[str, str], bytes | None]:
        """(method, url, headers without the token, body)."""
        if self.project is None:
            return "GET", self.url, {"Accept": "*/*"}, None
        url = f"{self.api_base.rstrip('/')}/v1/projects/{self.project}/export-openapi?locale={quote(self.locale)}"
        headers = {
            "X-Apifox-Api-Version": self.api_version,
            "Content-Type": "application/json",
            "Accept": "application/json, application/yaml, */*",
        }
        return "POST", url, headers, json.dumps(self.body).encode("utf-8")


@dataclass
class Pulled:
    source: Source
    data: bytes
    before: bytes | None  # what the target held (None: no such file)
    findings: list[Finding]
    added: int
    removed: int

    @property
    def changed(self) -> bool:
        return self.before != self.data

    @property
    def breaking(self) -> int:
        return sum(1 for f in self.findings if f.level == "breaking")

    def summary(self) -> str:
        if not self.changed:
            return "unchanged"
        if self.before is None:
            return f"new (+{self.added} endpoints)"
        return f"changed (+{self.added} \u2212{self.removed} endpoints, {self.breaking} breaking)"


# --- configuration ------------------------------------------------------------------------------


def sources(config: Config, where: str = "pyproject.toml") -> list[Source]:
    """The checked `[[tool.specgen.pull]]` entries; a bad one is an error naming its key."""
    entries = config.pull
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise fail(
            where,
            None,
            "tool.specgen.pull: expected an array of tables ([[tool.specgen.pull]])",
        )
    if not entries:
        raise fail(
            where,
            None,
            "no [[tool.specgen.pull]] sources: add one with apifox_project or url, and to",
        )
    found = [_source(entry, index, where) for index, entry in enumerate(entries, 1)]
    targets = [s.to for s in found]
    for target in targets:
        if targets.count(target) > 1:
            raise fail(
                where,
                None,
                f"tool.specgen.pull: two sources write {target!r}; give each its own `to`",
            )
    return found


def _source(entry: dict[str, Any], index: int, where: str) -> Source:
    def bad(key: str, expected: str) -> SpecError:
        return fail(
            where,
            None,
            f"tool.specgen.pull[{index}].{key}: expected {expected}, got {_shown(entry.get(key))}",
        )

    def get(
        key: str, kind: type | tuple[type, ...], expected: str, default: Any
    ) -> Any:
        if key not in entry:
            return default
        value = entry[key]
        if not isinstance(value, kind) or (
            isinstance(value, bool) and kind in (int, float, (int, float))
        ):
            raise bad(key, expected)
        return value

    if ("apifox_project" in entry) == ("url" in entry):
        raise fail(
            where,
            None,
            f"tool.specgen.pull[{index}]: expected exactly one of apifox_project (an Apifox Open API export) or url",
        )
    known = APIFOX_KEYS if "apifox_project" in entry else URL_KEYS
    unknown = sorted(set(entry) - known)
    if unknown:
        raise fail(
            where,
            None,
            f"tool.specgen.pull[{index}]: unknown keys {unknown}; expected only {sorted(known)}",
        )
    to = get("to", str, "a path relative to pyproject.toml", None)
    if to is None:
        raise bad(
            "to", "a path relative to pyproject.toml (where the export is written)"
        )
    target = PurePosixPath(to)
    if not to or target.is_absolute() or ".." in target.parts or "\\" in to:
        raise bad("to", "a relative path inside the project (no '..')")
    timeout = float(get("timeout", (int, float), "a number of seconds", 60))
    retries = get("retries", int, "a whole number of retries", 3)
    if timeout <= 0:
        raise bad("timeout", "a positive number of seconds")
    if retries < 0:
        raise bad("retries", "0 or more")
    common = {"index": index, "to": str(target), "timeout": timeout, "retries": retries}
    if "url" in entry:
        url = get("url", str, "an http(s) URL", "")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise bad("url", "an http(s) URL")
        return Source(url=url, **common)
    project = entry["apifox_project"]
    if isinstance(project, str) and project.isdigit():
        project = int(project)
    if not isinstance(project, int) or isinstance(project, bool) or project <= 0:
        raise bad("apifox_project", "the project id (a positive integer)")
    api_base = get(
        "api_base",
        str,
        "the Open API base URL",
        os.environ.get(API_BASE_ENV) or DEFAULT_API_BASE,
    )
    if urlsplit(api_base).scheme not in ("http", "https"):
        raise bad("api_base", "an http(s) URL such as https://api.apifox.com")
    oas = get("oas_version", str, '"2.0", "3.0" or "3.1"', "3.1")
    if oas not in ("2.0", "3.0", "3.1"):
        raise bad("oas_version", '"2.0", "3.0" or "3.1"')
    export_format = get("format", str, '"json" or "yaml"', "json")
    if export_format.lower() not in ("json", "yaml"):
        raise bad("format", '"json" or "yaml"')
    body: dict[str, Any] = {
        "scope": _scope(entry, get, bad),
        "options": {
            "includeApifoxExtensionProperties": get(
                "include_apifox_extensions", bool, "true or false", True
            ),
            "addFoldersToTags": get("add_folders_to_tags", bool, "true or false", True),
        },
        "oasVersion": oas,
        "exportFormat": export_format.upper(),
    }
    for key, wire in (("branch_id", "branchId"), ("module_id", "moduleId")):
        value = get(key, int, "an integer id", None)
        if value is not None:
            body[wire] = value
    return Source(
        project=project,
        token_env=get(
            "token_env", str, "the name of an environment variable", DEFAULT_TOKEN_ENV
        ),
        api_base=api_base,
        api_version=get(
            "api_version",
            str,
            "an Open API version such as 2024-03-28",
            DEFAULT_API_VERSION,
        ),
        locale=get("locale", str, "a locale such as zh-CN or en-US", "zh-CN"),
        body=body,
        **common,
    )


def _scope(entry: dict[str, Any], get: Any, bad: Any) -> dict[str, Any]:
    """`scope = "all"` (default) or `{tags = [...]}` / `{endpoints = [ids]}` / `{folders = [ids]}`."""
    scope = entry.get("scope", "all")
    expected = '"all" or a table with one of tags, endpoints, folders'
    if scope == "all":
        result: dict[str, Any] = {"type": "ALL"}
    elif isinstance(scope, dict) and len(scope) == 1 and next(iter(scope)) in SCOPES:
        key, values = next(iter(scope.items()))
        kind, wire, item = SCOPES[key]
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, item) and not isinstance(v, bool) for v in values)
        ):
            raise bad("scope", f"{key} = a non-empty list of {item.__name__}s")
        result = {"type": kind, wire: list(values)}
    else:
        raise bad("scope", expected)
    excluded = get("exclude_tags", list, "a list of tag names", [])
    if not all(isinstance(tag, str) for tag in excluded):
        raise bad("exclude_tags", "a list of tag names")
    if excluded:
        result["excludedByTags"] = list(excluded)
    return result


def _shown(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def not_read(config: Config, found: list[Source]) -> list[str]:
    """Targets that `[tool.specgen] inputs` does not match: generate would never read them."""
    return [
        s.to
        for s in found
        if not any(fnmatch.fnmatchcase(s.to, pattern) for pattern in config.inputs)
    ]


# --- fetching -----------------------------------------------------------------------------------


class PullError(Exception):
    """A source that could not be fetched or is not an export; the message names the source."""


def fetch(
    source: Source,
    client: httpx.Client,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The body as the server sent it, after retries on 429/5xx and dropped connections."""
    method, url, headers, content = source.request()
    token = ""
    if source.project is not None:
        token = os.environ.get(source.token_env, "").strip()
        if not token:
            raise PullError(
                f"{source.label}: ${source.token_env} is not set; put an Apifox access token there "
                "(Apifox: avatar -> Account settings -> API access token)"
            )
        headers = {**headers, "Authorization": f"Bearer {token}"}
    delay = 1.0
    for attempt in range(source.retries + 1):
        last = attempt == source.retries
        try:
            response = client.request(
                method, url, headers=headers, content=content, timeout=source.timeout
            )
        except httpx.TimeoutException:
            problem = f"no answer within {source.timeout:g}s (timeout)"
        except httpx.TransportError as exc:
            problem = f"the connection failed ({type(exc).__name__})"
        else:
            if response.status_code < 300:
                return response.content
            if response.status_code not in RETRY_STATUSES:
                raise PullError(_refused(source, response, token))
            if last:
                said = _server_message(response)
                raise PullError(
                    _scrub(
                        f"{source.label}: HTTP {response.status_code} after {source.retries + 1} attempts; "
                        "the service is overloaded or down, try again later"
                        + (f" (server: {said})" if said else ""),
                        token,
                    )
                )
            wait = _retry_after(response.headers.get("retry-after"))
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise PullError(
                    f"{source.label}: HTTP {response.status_code}, and the server asks to wait "
                    f"{wait:g}s (Retry-After); try again later"
                )
            problem = f"HTTP {response.status_code}"
            if wait is not None:
                sleep(wait)
                continue
        if last:
            raise PullError(
                f"{source.label}: {problem} after {source.retries + 1} attempts; "
                f"check that {_scrub(urlsplit(url).netloc, token)} is reachable"
            )
        sleep(delay * (0.5 + random.random() / 2))  # jitter keeps parallel jobs apart
        delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _refused(source: Source, response: httpx.Response, token: str) -> str:
    """What the status means for this source, what to fix, and the server's own words."""
    code = response.status_code
    apifox = source.project is not None
    advice = {
        401: (
            f"the access token in ${source.token_env} was refused (expired or revoked?); create a new one"
            if apifox
            else "the server wants credentials; use an export URL that needs none"
        ),
        403: (
            f"the token's account may not export project {source.project}"
            + (
                " (or this module/branch)"
                if {"moduleId", "branchId"} & set(source.body)
                else ""
            )
            + "; ask for access to the project"
            if apifox
            else "the server refuses access to this URL"
        ),
        404: (
            f"no project {source.project} at {source.api_base}: check apifox_project"
            + (
                ", module_id, branch_id"
                if {"moduleId", "branchId"} & set(source.body)
                else ""
            )
            + f" (and api_base or ${API_BASE_ENV} for a self-hosted Apifox)"
            if apifox
            else "no such page: check the url"
        ),
        422: (
            f"the Open API refused the request; check api_version (sent {source.api_version!r}; "
            "a missing or retired X-Apifox-Api-Version gets 422) and the export options"
            if apifox
            else "the server refused the request"
        ),
    }.get(code, "the server refused the request")
    said = _server_message(response)
    return _scrub(
        f"{source.label}: HTTP {code}: {advice}"
        + (f" (server: {said})" if said else ""),
        token,
    )


def _server_message(response: httpx.Response) -> str:
    """The message of a JSON error body (Apifox: errorMessage / errorCode), cut short."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [
        str(body[key])
        for key in ("errorCode", "errorMessage", "message", "error", "detail")
        if body.get(key) not in (None, "")
    ]
    return " ".join(" ".join(parts).split())[:200]


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "[token]") if token else text


# --- checking and writing -----------------------------------------------------------------------


def endpoints_of(data: bytes, name: str, package: str) -> Registry:
    """The registry of one export, read by the readers (raises SpecError when it is not one)."""
    with tempfile.TemporaryDirectory(prefix="specgen-pull-") as folder:
        path = Path(folder) / (PurePosixPath(name).name or "export")
        path.write_bytes(data)
        single = config_module.from_arguments(Path(folder), [path.name], None, package)
        return registry_module.build(single, Report())


def examine(source: Source, data: bytes, root: Path, package: str) -> Pulled:
    """Read what arrived (refusing anything that is not an export) and diff it with the target."""
    try:
        new = endpoints_of(data, source.to, package)
    except SpecError as error:
        first = error.diagnostics[0] if error.diagnostics else None
        kind = _looks_like(data)
        detail = (
            f"{first.message}"
            + (f" (line {first.line})" if first and first.line else "")
            if first
            else ""
        )
        raise PullError(
            f"{source.label}: what arrived is not an API export{kind}; nothing was written. The reader said: {detail}"
        ) from None
    target = root / source.to
    before = target.read_bytes() if target.is_file() else None
    if before == data:
        return Pulled(source, data, before, [], 0, 0)
    old = diff.empty()
    if before is not None:
        try:
            old = endpoints_of(before, source.to, package)
        except SpecError:
            old = diff.empty()  # the old file was broken: everything counts as new
    found = diff.compare(old, new)
    return Pulled(
        source,
        data,
        before,
        found,
        sum(1 for f in found if f.rule == "endpoint-added"),
        sum(1 for f in found if f.rule == "endpoint-removed"),
    )


def _looks_like(data: bytes) -> str:
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return " (an HTML page: a login page or an error page?)"
    if not data.strip():
        return " (an empty body)"
    return ""


def write_all(root: Path, pulled: list[Pulled]) -> list[str]:
    """Write every changed target, all or nothing: staged beside each target, then renamed."""
    changed = [p for p in pulled if p.changed]
    staged: list[tuple[Path, Path]] = []
    try:
        for item in changed:
            target = root / item.source.to
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f".{target.name}.", dir=target.parent
            )
            with os.fdopen(handle, "wb") as stream:
                stream.write(item.data)
            staged.append((Path(name), target))
        done: list[tuple[Path, bytes | None]] = []
        try:
            for (temp, target), item in zip(staged, changed, strict=True):
                os.replace(temp, target)
                done.append((target, item.before))
        except BaseException:
            for target, before in done:  # put back what was replaced
                if before is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(before)
            raise
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [item.source.to for item in changed]


# --- the command --------------------------------------------------------------------------------


@dataclass
class Outcome:
    pulled: list[Pulled]
    written: list[str]

    @property
    def changed(self) -> bool:
        return any(p.changed for p in self.pulled)


def run(
    config: Config,
    check: bool = False,
    out: Callable[[str], None] = print,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    where: str = "pyproject.toml",
) -> Outcome:
    """Fetch and examine every source first; write (unless `check`) only when all succeeded."""
    found = sources(config, where)
    own = client is None
    http = client or httpx.Client(follow_redirects=True, trust_env=True)
    pulled: list[Pulled] = []
    problems: list[str] = []
    try:
        for source in found:
            try:
                data = fetch(source, http, sleep)
                pulled.append(examine(source, data, config.root, config.package))
            except PullError as error:
                problems.append(str(error))
    finally:
        if own:
            http.close()
    if problems:
        raise SpecError(
            [Diagnostic("error", where, None, problem) for problem in problems]
        )
    for item in pulled:
        out(f"{item.source.to} ({item.source.label}): {item.summary()}")
        shown = [
            f
            for f in item.findings
            if f.level != "info" or f.rule.startswith("endpoint-")
        ]
        for finding in shown:
            subject = f"{finding.endpoint}: " if finding.endpoint else ""
            out(f"  {finding.level} {finding.rule}: {subject}{finding.message}")
        if len(item.findings) > len(shown):
            out(
                f"  and {len(item.findings) - len(shown)} other compatible changes (`specgen diff` lists them)"
            )
    written = [] if check else write_all(config.root, pulled)
    return Outcome(pulled, written)
