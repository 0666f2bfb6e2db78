"""What the client logs, through the standard `logging` module under the package's own name:
`logging.getLogger("<package>").setLevel(logging.DEBUG)` (plus a handler) shows it.

- DEBUG, one line per HTTP exchange: method, URL, status (or why no answer came), attempt,
  elapsed seconds.
- INFO, one line per retry: what failed, the pause before the next attempt, attempts left.

Never a credential, a header, a cookie or a body: the values of query parameters that carry a
credential (the API's own apiKey-in-query schemes, and any parameter named like a key, token,
secret, password, signature or session) show as `***`, user info is dropped from URLs, and a
credential that would reach a line anyway (a server echoing it into an error message) is
masked. The package adds only a `NullHandler`: where the output goes is the application's
choice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from ._auth import SCHEMES

if TYPE_CHECKING:
    from ._protocol import HttpCall

PACKAGE = __name__.rpartition(".")[0] or __name__
log = logging.getLogger(PACKAGE)
log.addHandler(logging.NullHandler())

MASK = "***"
MAX_URL = 2000  # characters of a URL shown; the rest is cut
MIN_SECRET = (
    4  # shorter values are not searched for in messages (they would mask digits)
)
# The declared credentials' own parameter, header and cookie names.
_CREDENTIAL_NAMES = frozenset(scheme.name.lower() for scheme in SCHEMES.values())
# Words of a name (snake_case, kebab-case, camelCase, UPPER) that mark a secret value.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_SECRET_WORDS = frozenset(
    {
        "auth",
        "authorization",
        "cookie",
        "credential",
        "credentials",
        "jwt",
        "pwd",
        "sig",
    }
)
_SECRET_ENDINGS = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "session",
    "sessionid",
)


def sensitive(name: str) -> bool:
    """Whether a parameter, header or cookie of this name may carry a credential."""
    if name.lower() in _CREDENTIAL_NAMES:
        return True
    return any(
        word in _SECRET_WORDS or word.endswith(_SECRET_ENDINGS)
        for word in (w.lower() for w in _WORD.findall(name))
    )


def _pairs(call: HttpCall) -> Iterator[tuple[str, str]]:
    """Every query parameter the call sends: in its URL, `params` and `query`."""
    yield from parse_qsl(urlsplit(call.url).query, keep_blank_values=True)
    for name, value in call.params.items():
        for item in value if isinstance(value, list) else [value]:
            yield name, item
    yield from call.query


def shown_url(call: HttpCall) -> str:
    """The call's URL with its query, credentials masked and user info left out."""
    parts = urlsplit(call.url)
    query = "&".join(
        f"{quote(name, safe='')}={MASK if sensitive(name) else quote(value, safe='')}"
        for name, value in _pairs(call)
    )
    netloc = parts.netloc.rpartition("@")[2]
    url = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    return url if len(url) <= MAX_URL else url[:MAX_URL] + "..."


def _secrets(call: HttpCall) -> Iterable[str]:
    """The credential values in the call: sensitive headers (and their token after a scheme
    word such as `Bearer`), every cookie value, sensitive query values."""
    for name, value in call.headers.items():
        if name.lower() == "cookie":
            for cookie in value.split(";"):
                yield cookie.partition("=")[2].strip()
        elif sensitive(name):
            yield value
            yield value.partition(" ")[2].strip()
    for name, value in _pairs(call):
        if sensitive(name):
            yield value
            yield quote(value, safe="")


def masked(call: HttpCall, text: str) -> str:
    """`text` with every credential value of the call replaced by `***`."""
    for secret in sorted(
        {s for s in _secrets(call) if len(s) >= MIN_SECRET}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    return text


def exchange(
    call: HttpCall, attempt: int, elapsed: float, status: int | None, failure: str = ""
) -> None:
    """The DEBUG line of one exchange: its answer's status, or why none came."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    outcome = str(status) if status is not None else f"no answer ({failure})"
    log.debug(
        "%s %s -> %s (attempt %d, %.3fs)",
        call.method,
        masked(call, shown_url(call)),
        masked(call, outcome),
        attempt,
        elapsed,
        extra={"http_status": status, "attempt": attempt, "elapsed": elapsed},
    )


def retry(call: HttpCall, attempt: int, limit: int, pause: float, reason: str) -> None:
    """The INFO line of a retry: why, how long the pause is, how many attempts are left."""
    if not log.isEnabledFor(logging.INFO):
        return
    log.info(
        "%s %s: %s; retrying in %.2fs (attempt %d of %d)",
        call.method,
        masked(call, shown_url(call)),
        masked(call, reason),
        pause,
        attempt + 1,
        limit,
        extra={"attempt": attempt, "retry_in": pause},
    )
