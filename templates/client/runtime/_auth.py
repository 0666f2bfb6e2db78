"""Credentials per security scheme, sent exactly where each operation's requirement says.

Every scheme the docs declare (see `SECURITY_SCHEMES` in `_meta.py`) takes its credential from
`Client(credentials={"<scheme>": ...})`, else from `key=` (one key for every scheme), else from
its own environment variable. A requirement is a tuple of alternatives, each a tuple of scheme
ids that must all be sent; `()` sends nothing; an empty alternative makes credentials optional.
Secrets live in `_Secret` holders: no repr, str, log line or error ever shows them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ._meta import SECURITY_SCHEMES
from .errors import MissingCredentialsError

# A token or key; for basic auth (username, password).
Credential = str | tuple[str, str]
Requirement = tuple[tuple[str, ...], ...]


class _Secret:
    """Holds a credential; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


@dataclass(frozen=True)
class Scheme:
    location: str  # "header" | "query" | "cookie"
    name: str  # header, query parameter or cookie name
    prefix: str  # "Bearer", "Basic", "Key", ... or "" (the value as is)
    basic: bool  # base64("username:password")
    env: str  # the environment variable that holds the credential


SCHEMES: dict[str, Scheme] = {
    ident: Scheme(*spec) for ident, spec in SECURITY_SCHEMES.items()
}


def wire_value(scheme: Scheme, secret: str) -> str:
    """What goes on the wire for `secret`: basic credentials are "username:password"."""
    if scheme.basic:
        secret = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    return f"{scheme.prefix} {secret}" if scheme.prefix else secret


def credentials_for(
    key: str | None, given: Mapping[str, Credential] | None
) -> dict[str, _Secret]:
    """One secret per scheme that has a credential: given, else `key`, else its variable."""
    unknown = sorted(set(given or {}) - set(SCHEMES))
    if unknown:
        raise ValueError(
            f"no security scheme named {unknown}: expected one of {sorted(SCHEMES)}"
        )
    found: dict[str, _Secret] = {}
    for ident, scheme in SCHEMES.items():
        value = (given or {}).get(ident)
        if value is None:
            value = key if key is not None else os.environ.get(scheme.env)
        if isinstance(value, tuple):
            value = f"{value[0]}:{value[1]}"
        if value:
            found[ident] = _Secret(value)
    return found


def placed(
    requirement: Requirement, credentials: Mapping[str, _Secret], where: str
) -> list[tuple[str, str, str]]:
    """(location, name, wire value) of each credential the requirement needs: the first
    alternative whose schemes all have a credential; MissingCredentialsError when none has.
    """
    if not requirement:
        return []
    for alternative in requirement:
        if alternative and all(ident in credentials for ident in alternative):
            return [_place(ident, credentials[ident]) for ident in alternative]
    if () in requirement:
        return []  # the credentials are optional here
    options = " or ".join(
        " and ".join(f"{i!r} (${SCHEMES[i].env})" for i in alt) for alt in requirement
    )
    raise MissingCredentialsError(
        f"{where} needs credentials: pass credentials={{...}} or key=..., or set {options}"
    )


def _place(ident: str, secret: _Secret) -> tuple[str, str, str]:
    scheme = SCHEMES[ident]
    return scheme.location, scheme.name, wire_value(scheme, secret.reveal())
