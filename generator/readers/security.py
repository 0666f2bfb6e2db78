"""Security schemes in one form for every reader: where a credential goes and how it is written.

A scheme read from OpenAPI `components.securitySchemes`, Swagger 2.0 `securityDefinitions` or an
Apifox `auth` block / `securitySchemeCollection` becomes a *placement*:

    {"type": <as the source says>, "in": "header" | "query" | "cookie", "name": <wire name>,
     "prefix": "Bearer" | "Basic" | "" | <other HTTP scheme>, "basic": bool, "description": str}

- `http` + `bearer` (and `oauth2`, `openIdConnect`, Apifox `jwt`): `Authorization: Bearer <token>`.
- `http` + `basic`: `Authorization: Basic base64(user:password)`.
- `http` + any other scheme name (RFC 7235: `Authorization: <scheme> <credentials>`): the name is
  the prefix (`Key` for fal).
- `apiKey`: the value itself under its `name` in the header, query or cookie.
Schemes that need a signature or a challenge (digest, oauth1, hawk, mutualTLS, ...) cannot be
sent from a stored credential: `placement` returns None and the caller warns.

Requirements are lists of alternatives, each a list of scheme ids that must all be sent
(OpenAPI: `[{a: [], b: []}, {c: []}]` = (a and b) or c); `[]` = no credentials at all; an
empty alternative (`{}`) makes the credentials optional.
"""

from __future__ import annotations

import re
from typing import Any

# Names Apifox and OpenAPI use for "a token in the Authorization header".
BEARER_TYPES = ("oauth2", "openidconnect", "jwt", "bearer")
LOCATIONS = ("header", "query", "cookie")
TOKEN = re.compile(
    r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
)  # RFC 9110 token: header names, auth schemes


def placement(raw: Any) -> dict[str, Any] | None:
    """The placement of an OpenAPI/Swagger security scheme object, or None (unsupported)."""
    if not isinstance(raw, dict):
        return None
    kind = str(raw.get("type") or "").strip()
    lowered = kind.lower()
    description = str(raw.get("description") or "")
    if lowered == "http":
        scheme = str(raw.get("scheme") or "").strip()
        if not scheme or scheme.lower() in (
            "digest",
            "hoba",
            "mutual",
            "negotiate",
            "vapid",
            "scram-sha-256",
            "oauth",
        ):
            return None
        if scheme.lower() == "basic":
            return _header(kind, "Basic", description, basic=True)
        if scheme.lower() == "bearer":
            return _header(kind, "Bearer", description)
        return _header(kind, scheme, description) if TOKEN.fullmatch(scheme) else None
    if lowered == "basic":  # Swagger 2.0
        return _header(kind, "Basic", description, basic=True)
    if lowered == "apikey":
        where = str(raw.get("in") or "header").lower()
        name = str(raw.get("name") or "").strip()
        if where not in LOCATIONS or not name:
            return None
        if where != "query" and not TOKEN.fullmatch(name):
            return None  # not a header or cookie name any HTTP client can send
        return {
            "type": kind,
            "in": where,
            "name": name,
            "prefix": "",
            "basic": False,
            "description": description,
        }
    if lowered in BEARER_TYPES:
        return _header(kind, "Bearer", description)
    return None


def _header(
    kind: str, prefix: str, description: str, basic: bool = False
) -> dict[str, Any]:
    return {
        "type": kind,
        "in": "header",
        "name": "Authorization",
        "prefix": prefix,
        "basic": basic,
        "description": description,
    }


def apifox_placement(auth: Any) -> dict[str, Any] | None:
    """An Apifox `auth` block of the old kind (`bearer`, `basic`, `apikey`) as a placement.
    The token stored beside it is the author's own and is never read."""
    if not isinstance(auth, dict):
        return None
    kind = str(auth.get("type") or "").lower()
    if kind in ("bearer", "jwt", "oauth2"):
        return _header(kind, "Bearer", "")
    if kind == "basic":
        return _header(kind, "Basic", "", basic=True)
    if kind == "apikey":
        found = auth.get("apikey")
        spec: dict[str, Any] = found if isinstance(found, dict) else {}
        return placement(
            {
                "type": "apiKey",
                "in": spec.get("in") or "header",
                "name": spec.get("key"),
            }
        )
    return None


def requirements(raw: Any, known: set[str]) -> tuple[list[list[str]], list[str]] | None:
    """OpenAPI `security` as alternatives of known scheme ids, and the unknown names met.
    None when `raw` is not a list (absent: the caller applies the default)."""
    if not isinstance(raw, list):
        return None
    alternatives: list[list[str]] = []
    unknown: list[str] = []
    extensions_only = bool(raw)
    for requirement in raw:
        if not isinstance(requirement, dict):
            continue
        names = [str(name) for name in requirement if not str(name).startswith("x-")]
        if not names and any(str(name).startswith("x-") for name in requirement):
            continue  # Apifox's `{"x-apifox": {...}}` item says nothing on its own
        extensions_only = False
        missing = [name for name in names if name not in known]
        if missing:
            unknown += missing
            continue  # an alternative the client cannot satisfy
        if names not in alternatives:
            alternatives.append(names)
    if extensions_only:
        return None
    return alternatives, unknown
