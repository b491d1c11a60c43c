"""The client's failures: one exception type per thing that can go wrong with a request, each
with the `ErrorKind` the status line and the state panel act on. Plain Python: the status can
name a kind without importing the HTTP stack."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, as the user is told about it."""

    BAD_REQUEST = "bad_request"
    BAD_KEY = "bad_key"
    PLAN_TOO_LOW = "plan_too_low"
    SYMBOL_NOT_FOUND = "symbol_not_found"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION_FAILED = "connection_failed"
    BAD_DATA = "bad_data"


class ApiError(Exception):
    """Base of every client failure. `str()` is one short line, safe to show and log."""

    kind = ErrorKind.SERVER_ERROR  # what the user is told to do about it (`PollStatus.reason`)
    retryable = True
    fatal = False  # polling this source again cannot help (bad key, plan too low)
    status: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    kind = ErrorKind.BAD_REQUEST
    status = 400
    retryable = False
    fatal = True


class BadKey(ApiError):
    kind = ErrorKind.BAD_KEY
    status = 401
    retryable = False
    fatal = True


class PlanTooLow(ApiError):
    kind = ErrorKind.PLAN_TOO_LOW
    status = 403
    retryable = False
    fatal = True

    def __init__(self, message: str, current_plan: str | None, required_plan: str | None):
        super().__init__(message)
        self.current_plan = current_plan
        self.required_plan = required_plan


class SymbolNotFound(ApiError):
    kind = ErrorKind.SYMBOL_NOT_FOUND
    status = 404
    retryable = False
    fatal = True


class RateLimited(ApiError):
    kind = ErrorKind.RATE_LIMITED
    status = 429

    def __init__(
        self,
        message: str,
        retry_after: float | None,
        reset_at: datetime | None = None,
        *,
        quota_exhausted: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, already capped at MAX_SERVER_WAIT
        self.reset_at = reset_at  # when the server says the quota resets, if it said
        self.quota_exhausted = quota_exhausted  # the day's quota, not a burst limit


class ServerError(ApiError):
    """5xx, or any other unexpected status."""

    kind = ErrorKind.SERVER_ERROR


class RequestTimeout(ApiError):
    kind = ErrorKind.TIMEOUT


class ConnectionFailed(ApiError):
    kind = ErrorKind.CONNECTION_FAILED


class BadData(ApiError):
    """A 200 whose body is not usable data: not JSON, HTML from a proxy, truncated, wrong types,
    too big, or an answer to another question (another symbol, side or bar size)."""

    kind = ErrorKind.BAD_DATA


class BodyTooLarge(BadData):
    pass
