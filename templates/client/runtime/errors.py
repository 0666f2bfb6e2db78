"""Every error this client raises. None of them carries the API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ClientError(Exception):
    """Base of every error raised by this package."""


class MissingCredentialsError(ClientError):
    """No API key was passed and the environment variable holding it is unset."""


@dataclass(frozen=True)
class FieldProblem:
    """One broken constraint of one input field."""

    field: str
    constraint: str  # "required", "minimum", "maximum", "enum", "type", "file_type", ...
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.constraint}]"


class InputValidationError(ClientError, ValueError):
    """The arguments break the documented schema; nothing was sent."""

    def __init__(self, endpoint: str, problems: list[FieldProblem]) -> None:
        self.endpoint = endpoint
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"invalid input for {endpoint}:\n{lines}")

    @property
    def fields(self) -> list[str]:
        return [problem.field for problem in self.problems]


class ConnectionFailedError(ClientError):
    """The server could not be reached. `maybe_sent` tells whether the request may have arrived."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        self.maybe_sent = maybe_sent
        super().__init__(message)


class APIError(ClientError):
    """The server answered with an error status. `parsed`: the body as the documented model of
    that status (plain endpoints), else None; `body` is always the data as sent."""

    parsed: Any = None

    def __init__(self, message: str, *, status_code: int, request_id: str | None, body: Any) -> None:
        self.status_code = status_code
        self.request_id = request_id
        self.body = body
        super().__init__(f"HTTP {status_code}: {message}" + (f" (request {request_id})" if request_id else ""))


class ValidationError(APIError):
    """422: the server rejected the input; `errors` is its parsed `detail` list."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        return [item for item in detail if isinstance(item, dict)] if isinstance(detail, list) else []


class AuthenticationError(APIError):
    """401 or 403: the key is missing, wrong or not allowed here."""


class NotFoundError(APIError):
    """404: no such endpoint or request."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` is the server's hint in seconds, if it gave one."""

    retry_after: float | None = None


class ServerError(APIError):
    """5xx: the service failed."""


class RequestFailedError(ClientError):
    """The request ran and failed: its COMPLETED status carried an error."""

    def __init__(self, request_id: str, error: str, error_type: str | None) -> None:
        self.request_id = request_id
        self.error = error
        self.error_type = error_type
        super().__init__(f"request {request_id} failed: {error}" + (f" ({error_type})" if error_type else ""))


class RequestTimeoutError(ClientError, TimeoutError):
    """The overall timeout passed before the request completed; a cancel was sent."""

    def __init__(self, request_id: str, timeout: float) -> None:
        self.request_id = request_id
        self.timeout = timeout
        super().__init__(f"request {request_id} did not complete within {timeout:g} s; it was cancelled")


def error_for(status_code: int, body: Any, request_id: str | None, retry_after: float | None) -> APIError:
    """The typed error for an HTTP error response."""
    message = _message(body)
    kwargs: dict[str, Any] = {"status_code": status_code, "request_id": request_id, "body": body}
    if status_code == 422:
        return ValidationError(message, **kwargs)
    if status_code in (401, 403):
        return AuthenticationError(message, **kwargs)
    if status_code == 404:
        return NotFoundError(message, **kwargs)
    if status_code == 429:
        error = RateLimitError(message, **kwargs)
        error.retry_after = retry_after
        return error
    if status_code >= 500:
        return ServerError(message, **kwargs)
    return APIError(message, **kwargs)


def _message(body: Any) -> str:
    if isinstance(body, dict):
        detail = body.get("detail", body.get("message", body.get("status")))
        if isinstance(detail, list):
            return "; ".join(_detail_line(item) for item in detail) or "error"
        if detail is not None:
            return str(detail)
    text = str(body) if body not in (None, "") else "no body"
    return text[:500]


def _detail_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = ".".join(str(part) for part in item.get("loc", []) if part != "body")
    return f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", ""))
