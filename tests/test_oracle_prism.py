"""Prism as the oracle of the client side: every endpoint of every OpenAPI document is called
through its generated client with the contract tests' arguments, against `prism mock` of the same
document. Prism validates each request (security, parameters, body, content type) and answers the
documented examples; every request must be accepted and every 2xx answer must parse into the
typed model, unless the document's own example contradicts its schema (then the spec is wrong).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote
from xml.etree import ElementTree

import httpx
import jsonschema
import pytest
import yaml

from generator.readers.openapi import OAS_METHODS
from tests.oracles import (
    OPENAPI_DOCUMENTS,
    Package,
    Prism,
    document_id,
    generated_cache,
    generated_once,
    import_package,
    imported,
    known_gap,
    prism_or_skip,
)

__all__ = ["generated_cache", "imported"]  # fixtures, used by name


# Prism's own limits when it answers (binary media, objects documented as text): its request
# validation came first and passed.
PRISM_CANNOT_ANSWER = ("Cannot find serializer", "Cannot serialise complex objects")


def prism_verdict(response: httpx.Response | None) -> str | None:
    """Why Prism rejected the request, or None when it accepted it."""
    if response is None:
        return "no answer from prism"
    violations = response.headers.get("sl-violations")
    if violations:
        # Violations located in the response are the document's own examples breaking its
        # schema; only those in the request are the client's.
        found = [
            v
            for v in json.loads(violations)
            if v.get("severity", "Error") == "Error"
            and (v.get("location") or ["request"])[0] == "request"
        ]
        if found:
            return "; ".join(
                f"{'.'.join(map(str, v.get('location', [])))}: {v.get('message')}"
                for v in found
            )
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        problem = response.json()
        if "stoplight.io/prism/errors" in str(problem.get("type", "")):
            detail = problem.get("detail") or problem.get("title")
            if str(detail).startswith(PRISM_CANNOT_ANSWER):
                # the request passed validation; Prism cannot build this kind of answer
                return None
            issues = problem.get("validation") or []
            return f"{response.status_code} {detail} " + "; ".join(
                f"{'.'.join(map(str, i.get('location', [])))}: {i.get('message')}"
                for i in issues
            )
    return None


def prism_violations(response: httpx.Response) -> list[tuple[list[str], str]]:
    """(location, message) of each request violation Prism reports, in either of its forms
    (the `sl-violations` header, or a problem+json 422 when no documented answer fits).
    """
    found = []
    violations = response.headers.get("sl-violations")
    if violations:
        found = [
            (["request", *map(str, v.get("location", [])[1:])], str(v.get("message")))
            for v in json.loads(violations)
            if v.get("severity", "Error") == "Error"
            and (v.get("location") or ["request"])[0] == "request"
        ]
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        found += [
            (["request", *map(str, i.get("location", []))], str(i.get("message")))
            for i in response.json().get("validation") or []
        ]
    return found


REQUIRED_QUERY = re.compile(r"Request query must have required property '([^']+)'")
MUST_BE_OBJECT = re.compile(r"Request body property (\S+) must be object(,null)?$")


def prism_excuse(
    response: httpx.Response, endpoint: dict[str, Any], package: Package
) -> str | None:
    """ "prism-wrong" or "spec-wrong" when every request violation Prism reports is, provably
    from the request sent and the document, Prism's own limit or a requirement no request can
    meet; None when any is the client's."""
    violations = prism_violations(response)
    if not violations:
        return None
    kinds = [_excuse(v, response.request, endpoint, package) for v in violations]
    if None in kinds:
        return None
    return "spec-wrong" if "spec-wrong" in kinds else "prism-wrong"


def _excuse(
    violation: tuple[list[str], str],
    request: httpx.Request,
    endpoint: dict[str, Any],
    package: Package,
) -> str | None:
    _, message = violation
    required = REQUIRED_QUERY.search(message)
    if required:
        name = required.group(1)
        sent = {key for key, _ in parse_qsl(request.url.query.decode(), True)}
        if "%" in name and unquote(name) in sent:
            # Prism looks a parameter whose name has reserved characters (a space) up by its
            # percent-encoded name; the request carries it under its own name
            return "prism-wrong"
        param = next(
            (
                p
                for p in endpoint["parameters"]
                if p["in"] == "query" and p["name"] == name and p["required"]
            ),
            None,
        )
        if param and _only_null(param["schema"], package.registry["schemas"]):
            # null is undefined in a query (RFC 6570 §2.3, OpenAPI's serialization): a required
            # parameter that takes nothing but null (or arrays of it) can never be sent
            return "spec-wrong"
        return None
    if (
        message.endswith("must match exactly one schema in oneOf")
        and violation[0] == ["request", "body"]
        and _duplicate_one_of(package.document, endpoint)
    ):
        # the body's oneOf lists one schema twice: no value is valid against exactly one
        return "spec-wrong"
    not_object = MUST_BE_OBJECT.search(message)
    if not_object and request.headers.get("content-type", "").startswith("multipart/"):
        part = not_object.group(1)
        disposition = f'name="{part}"'.encode()
        if re.search(
            re.escape(disposition) + rb"\r\nContent-Type: application/json\r\n",
            request.content,
        ):
            # Prism reads every multipart part as text: it does not decode the JSON part
            # OpenAPI prescribes for an object property (encoding's default contentType)
            return "prism-wrong"
        if _ref_siblings_read(package.document, endpoint):
            # the body's schema is a $ref with siblings (`properties: {}`), which OpenAPI 3.0
            # says to ignore; Prism applies them, and the referenced properties fall to
            # additionalProperties
            return "prism-wrong"
    return None


def _only_null(schema: Any, defs: dict[str, Any], depth: int = 0) -> bool:
    """Whether a schema admits null and nothing else (an array: items that are only null)."""
    if not isinstance(schema, dict) or depth > 8:
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _only_null(defs.get(ref.rsplit("/", 1)[-1]), defs, depth + 1)
    if schema.get("type") == "array":
        return _only_null(schema.get("items"), defs, depth + 1)
    enum = schema.get("enum")
    return (isinstance(enum, list) and enum == [None]) or (
        "const" in schema and schema["const"] is None
    )


@functools.cache
def _raw_document(document: Path) -> Any:
    return yaml.safe_load(document.read_text(encoding="utf-8"))


def _request_schemas(document: Path, endpoint: dict[str, Any]) -> list[Any]:
    """The request body schemas of an operation, as the document writes them."""
    operation = _raw_document(document)["paths"][endpoint["path"]][
        endpoint["method"].lower()
    ]
    content = (operation.get("requestBody") or {}).get("content") or {}
    return [media.get("schema") or {} for media in content.values()]


def _duplicate_one_of(document: Path, endpoint: dict[str, Any]) -> bool:
    for schema in _request_schemas(document, endpoint):
        branches = [json.dumps(b, sort_keys=True) for b in schema.get("oneOf") or []]
        if len(set(branches)) < len(branches):
            return True
    return False


def _ref_siblings_read(document: Path, endpoint: dict[str, Any]) -> bool:
    """An OpenAPI 3.0 document whose request body schema is a $ref with sibling keys."""
    if not str(_raw_document(document).get("openapi", "")).startswith("3.0"):
        return False
    return any(
        "$ref" in schema and len(schema) > 1
        for schema in _request_schemas(document, endpoint)
    )


def _impossible_path_parameter(rejected: str, endpoint: dict[str, Any]) -> bool:
    """Prism requires a path parameter the path template does not have: no request can
    satisfy the document (specgen warns and sends it in the query)."""
    match = re.search(r"Request path must have required property '([^']+)'", rejected)
    return bool(match) and "{" + match.group(1) + "}" not in endpoint["path"]


# OpenAPI 3.x, Parameter Object: a header parameter of these names "SHALL be ignored"; Prism
# validates it all the same.
IGNORED_HEADERS = ("accept", "content-type", "authorization")
# Prism parses JSON, form-urlencoded and multipart bodies; any other reaches its validator as
# text, so against a schema that is not a string no such body can pass.
PRISM_PARSES = ("json", "x-www-form-urlencoded", "multipart/")


def _violations(response: httpx.Response | None) -> list[dict[str, Any]]:
    """The request violations Prism listed in its 422 problem document."""
    if response is None or response.status_code != 422:
        return []
    try:
        problem = response.json()
    except ValueError:
        return []
    found = problem.get("validation") if isinstance(problem, dict) else None
    return [v for v in found or [] if isinstance(v, dict)]


def _ignored_header_only(
    response: httpx.Response | None, endpoint: dict[str, Any]
) -> bool:
    """Prism refused only a header parameter that OpenAPI says is ignored (so the registry
    left it out, with a warning): no request can satisfy both."""
    kept = {p["name"].lower() for p in endpoint["parameters"] if p["in"] == "header"}
    found = _violations(response)
    return bool(found) and all(
        (_header_named(v) or "") in IGNORED_HEADERS and _header_named(v) not in kept
        for v in found
    )


def _header_named(violation: dict[str, Any]) -> str | None:
    """The header a violation is about: ["header", name], or ["header"] with "must have
    required property 'name'" (how Prism reports a missing one); lower-cased."""
    location = violation.get("location") or []
    if location[:1] != ["header"]:
        return None
    if len(location) == 2:
        return str(location[1]).lower()
    missing = re.search(r"required property '([^']+)'", str(violation.get("message")))
    return missing.group(1).lower() if len(location) == 1 and missing else None


def _unparsed_body_only(
    response: httpx.Response | None, endpoint: dict[str, Any]
) -> str | None:
    """Why Prism's only complaint is that a body it does not parse (XML, text) is not the
    documented object: None when that is not the case. The body must still be what the
    document says: sent with the declared media type, and well-formed when XML."""
    found = _violations(response)
    request = endpoint["request"]
    if (
        response is None
        or request is None
        or not found
        or any(
            (v.get("location") or [None])[0] != "body" or v.get("code") != "type"
            for v in found
        )
    ):
        return None
    sent = response.request.headers.get("content-type", "").split(";")[0].strip()
    if any(kind in sent for kind in PRISM_PARSES) or sent != request["content_type"]:
        return None
    if sent.endswith("xml"):
        ElementTree.fromstring(response.request.content)  # raises when not well-formed
    return f"Prism does not parse a {sent} body; sent as declared"


def call_endpoint(
    package: Package, prism: Prism, endpoint: dict[str, Any]
) -> tuple[str, str]:
    """(outcome, detail): accepted | rejected | example-wrong | client-error."""
    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    if endpoint["method"].lower() not in OAS_METHODS:
        # an Apifox export may carry WebDAV methods (COPY, PROPFIND); Prism serves only
        # OpenAPI's own, so it has nothing to say of them
        return "not-openapi", endpoint["method"]
    kwargs = package.kwargs(endpoint)
    http = httpx.Client(timeout=30, event_hooks={"response": [keep]})
    client = package.client(prism.url, http_client=http)
    try:
        names = endpoint["names"]
        method = functools.reduce(
            getattr, [*names["namespace"], names["method"]], client
        )  # client.user.login, or client.get_user when flat
        method(**kwargs)
        error: Exception | None = None
    except Exception as raised:  # the classification below says whose fault it was
        error = raised
    finally:
        http.close()
    response = seen[-1] if seen else None
    if response is None and error is not None:
        return (
            "client-error",
            f"nothing sent: {type(error).__name__}: {str(error)[:300]}",
        )
    rejected = prism_verdict(response)
    if rejected and _impossible_path_parameter(rejected, endpoint):
        return "spec-wrong", rejected
    if rejected and _ignored_header_only(response, endpoint):
        return "spec-wrong", rejected
    unparsed = _unparsed_body_only(response, endpoint) if rejected else None
    if unparsed:
        return "prism-unparsed", unparsed
    excuse = prism_excuse(response, endpoint, package) if rejected else None
    if excuse:
        assert response is not None and rejected is not None
        return excuse, rejected
    if rejected:
        return "rejected", rejected
    assert response is not None
    if error is None:
        return "accepted", ""
    if not 200 <= response.status_code < 300:
        return "accepted", f"documented error status {response.status_code}"
    documented = next(
        (r for r in endpoint["responses"] if r["code"] == response.status_code), None
    )
    if documented is not None and documented["schema"]:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        validator = jsonschema.Draft202012Validator(
            {**documented["schema"], "$defs": package.registry["schemas"]}
        )
        problem = next(iter(validator.iter_errors(body)), None)
        if problem is not None:
            return (
                "example-wrong",
                f"prism answered the documented example: {problem.message[:200]}",
            )
    return "client-error", f"{type(error).__name__}: {str(error)[:300]}"


@pytest.mark.parametrize("document", OPENAPI_DOCUMENTS, ids=document_id)
def test_prism_accepts_every_request_and_the_client_parses_every_answer(
    document: Path, imported: Path, generated_cache: Path
) -> None:
    prism_or_skip()
    package = generated_once(document, generated_cache)
    import_package(package)
    if not package.rest_endpoints:
        pytest.skip(
            "the document has no operations to call (Prism refuses to serve it)"
        )
    prism = Prism(document, imported / "prism.log")
    outcomes: dict[str, tuple[str, str]] = {}
    try:
        for endpoint in package.rest_endpoints:
            outcomes[endpoint["id"]] = call_endpoint(package, prism, endpoint)
    finally:
        prism.stop()
    counts = {
        kind: sum(1 for o, _ in outcomes.values() if o == kind)
        for kind in (
            "accepted",
            "rejected",
            "example-wrong",
            "spec-wrong",
            "prism-wrong",
            "prism-unparsed",
            "client-error",
        )
    }
    print(f"\nPRISM {document_id(document)} endpoints={len(outcomes)} {counts}")
    failures, gaps = [], []
    for endpoint_id, (outcome, detail) in sorted(outcomes.items()):
        if outcome in ("prism-wrong", "spec-wrong"):
            print(f"  {outcome.upper()} {endpoint_id}: {detail[:300]}")
        if outcome in (
            "accepted",
            "example-wrong",
            "spec-wrong",
            "prism-wrong",
            "prism-unparsed",
            "not-openapi",
        ):
            continue
        reason = known_gap(document, endpoint_id)
        (gaps if reason else failures).append(f"{endpoint_id}: {outcome}: {detail}")
        print(f"  {'GAP ' if reason else 'FAIL'} {endpoint_id}: {outcome}: {detail}")
    assert not failures, "\n".join(failures)
    if gaps:
        pytest.xfail(f"{len(gaps)} known client gap(s): " + "; ".join(gaps)[:500])
