"""Every error this client raises. None of them carries the API key."""

from __future__ import annotations

from collections.abc import Mapping
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
    constraint: (
        str  # "required", "minimum", "maximum", "enum", "type", "file_type", ...
    )
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
    """The server could not be reached, or its answer broke off. `maybe_sent` tells whether the
    request may have arrived. A submit whose answer was cut short or unreadable raises this with
    `maybe_sent=True` and `request_id` set to whatever id the partial answer carried (or None):
    the job may exist, so it was not sent again."""

    def __init__(
        self, message: str, *, maybe_sent: bool, request_id: str | None = None
    ) -> None:
        self.maybe_sent = maybe_sent
        self.request_id = request_id
        super().__init__(message)


class UntrustedURLError(ClientError):
    """The server pointed at a URL on another origin than the base URL (and not on a host in
    `allowed_hosts`); it was not followed and no credential was sent there."""

    def __init__(self, url: str, request_id: str | None) -> None:
        self.url = url
        self.request_id = request_id
        super().__init__(
            f"refused to follow {excerpt(url, 200)}: not on the base URL's origin or an allowed host"
        )


class APIError(ClientError):
    """The server answered with an error status. `parsed`: the body as the documented model of
    that status (plain endpoints), else None; `body` is always the data as sent.

    `error_type` is the service's category (`X-Fal-Error-Type`, or `error_type` in the body);
    `retryable` is what `X-Fal-Retryable` says (None when the server did not say)."""

    parsed: Any = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None,
        body: Any,
        error_type: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.status_code = status_code
        self.request_id = request_id
        self.body = body
        self.error_type = error_type
        self.retryable = retryable
        self.detail = message
        super().__init__(
            f"HTTP {status_code}: {message}"
            + (f" (request {request_id})" if request_id else "")
        )


class MalformedResponseError(APIError):
    """The server answered, but not in a form this client reads: not JSON, or not the documented
    shape. `body` is a bounded, printable excerpt of what came; `content_type` its declared type.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None,
        body: Any,
        content_type: str = "",
    ) -> None:
        self.content_type = content_type
        super().__init__(
            message, status_code=status_code, request_id=request_id, body=body
        )


class ResponseValidationError(MalformedResponseError):
    """The answer is JSON but does not fit the documented model: `data` holds it as parsed,
    `problems` the broken fields ("loc: message")."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None,
        body: Any,
        data: Any,
        problems: list[str],
        content_type: str = "",
    ) -> None:
        self.data = data
        self.problems = problems
        super().__init__(
            message,
            status_code=status_code,
            request_id=request_id,
            body=body,
            content_type=content_type,
        )


class ValidationError(APIError):
    """422: the server rejected the input; `errors` is its parsed `detail` list."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        return (
            [item for item in detail if isinstance(item, dict)]
            if isinstance(detail, list)
            else []
        )


class AuthenticationError(APIError):
    """401 or 403: the key is missing, wrong or not allowed here."""


class NotFoundError(APIError):
    """404: no such endpoint or request."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` is the server's hint in seconds, if it gave one."""

    retry_after: float | None = None


class ServerError(APIError):
    """5xx: the service failed."""


class RequestFailedError(APIError):
    """The request was taken and failed on the service: its COMPLETED status carried an error,
    or its result answered one. `error` is the service's message, `error_type` its category.
    """

    @property
    def error(self) -> str:
        return self.detail


class InfrastructureError(RequestFailedError, ServerError):
    """The service's own failure (fal's flat `{"detail", "error_type"}` errors), not the model's."""


class ServiceRequestTimeoutError(InfrastructureError, TimeoutError):
    """`request_timeout`: the request did not finish in the service's time."""


class StartTimeoutError(ServiceRequestTimeoutError):
    """Your `start_timeout` passed before a runner took the request (504,
    `X-Fal-Request-Timeout-Type: user`)."""


class StartupTimeoutError(InfrastructureError, TimeoutError):
    """`startup_timeout`: the runner did not start in time."""


class RunnerError(InfrastructureError):
    """`runner_*`: the runner could not be scheduled, reached or kept."""


class RunnerSchedulingError(RunnerError):
    """`runner_scheduling_failure`."""


class RunnerConnectionTimeoutError(RunnerError):
    """`runner_connection_timeout`."""


class RunnerDisconnectedError(RunnerError):
    """`runner_disconnected`."""


class RunnerConnectionRefusedError(RunnerError):
    """`runner_connection_refused`."""


class NotReadyError(ClientError):
    """The result was asked for before the request completed; `status` is where it is now."""

    def __init__(self, request_id: str, status: Any) -> None:
        self.request_id = request_id
        self.status = status
        super().__init__(
            f"request {request_id} has not completed yet ({type(status).__name__}); wait for it or use result(wait=True)"
        )


class UploadError(ClientError):
    """A file could not be stored: the CDN and the fallback repository both failed."""


class MissingDependencyError(ClientError, ImportError):
    """An optional feature needs a package that is not installed."""


class WebhookVerificationError(ClientError):
    """A webhook delivery failed verification: do not trust its body."""


class WebhookHeaderError(WebhookVerificationError):
    """A required `X-Fal-Webhook-*` header is missing or malformed."""


class WebhookSignatureError(WebhookVerificationError):
    """The signature does not match the body under any published key (tampered, or another signer)."""


class WebhookTimestampError(WebhookVerificationError):
    """The delivery's timestamp is outside the tolerance: stale, or from the future."""


class WebhookReplayError(WebhookVerificationError):
    """This exact delivery (same signature) was verified before."""


_ERROR_TYPES: dict[str, type[InfrastructureError]] = {
    "request_timeout": ServiceRequestTimeoutError,
    "startup_timeout": StartupTimeoutError,
    "runner_scheduling_failure": RunnerSchedulingError,
    "runner_connection_timeout": RunnerConnectionTimeoutError,
    "runner_disconnected": RunnerDisconnectedError,
    "runner_connection_refused": RunnerConnectionRefusedError,
}


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in ("1", "true", "yes")


class RequestTimeoutError(ClientError, TimeoutError):
    """The overall timeout passed before the request completed. `cancelled`: a cancel was sent
    (the request was still running). `request_id` is None when the submit itself got no answer
    in time; `maybe_sent` then tells whether it may have reached the server."""

    def __init__(
        self,
        request_id: str | None,
        timeout: float,
        *,
        cancelled: bool = True,
        maybe_sent: bool = True,
    ) -> None:
        self.request_id = request_id
        self.timeout = timeout
        self.cancelled = cancelled
        self.maybe_sent = maybe_sent
        if request_id is None:
            sent = (
                "the request may have reached the server"
                if maybe_sent
                else "nothing was sent"
            )
            message = f"the submit got no answer within {timeout:g} s; {sent}"
        else:
            message = f"request {request_id} did not complete within {timeout:g} s" + (
                "; it was cancelled" if cancelled else ""
            )
        super().__init__(message)


def error_for(
    status_code: int,
    body: Any,
    request_id: str | None,
    retry_after: float | None,
    headers: Mapping[str, str] | None = None,
) -> APIError:
    """The typed error for an HTTP error response (`headers` with lower-case names)."""
    try:
        message = _message(body)
    except RecursionError:  # a hostile body nested too deep to show
        message = "error"
    headers = headers or {}
    error_type = (
        body.get("error_type")
        if isinstance(body, dict) and isinstance(body.get("error_type"), str)
        else None
    )
    error_type = error_type or headers.get("x-fal-error-type")
    retryable = _flag(headers.get("x-fal-retryable", headers.get("x-fal-needs-retry")))
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "request_id": request_id,
        "body": body,
        "error_type": error_type,
        "retryable": retryable,
    }
    if (
        status_code == 504
        and headers.get("x-fal-request-timeout-type", "").lower() == "user"
    ):
        return StartTimeoutError(message, **kwargs)
    if (
        status_code >= 500 and error_type in _ERROR_TYPES
    ):  # a 4xx keeps its status's meaning
        return _ERROR_TYPES[error_type](message, **kwargs)
    if (
        status_code >= 500
        and error_type is not None
        and error_type.startswith("runner_")
    ):
        return RunnerError(message, **kwargs)
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


def excerpt(body: bytes | str, limit: int = 300) -> str:
    """The first `limit` characters of an answer, printable: control, bidi and other invisible
    characters escaped, so a hostile body cannot rewrite a terminal or a log line."""
    text = (
        body[: limit * 4].decode("utf-8", "replace")
        if isinstance(body, bytes)
        else body[: limit * 4]
    )
    shown, used = "", 0
    for used, ch in enumerate(text, 1):
        shown += ch if ch.isprintable() else repr(ch)[1:-1]
        if len(shown) >= limit:
            break
    shown = shown[:limit]
    return shown + ("..." if used < len(text) or len(body) > limit * 4 else "")
