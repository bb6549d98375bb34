"""Xero's errors: the exceptions the emulator raises and the bodies Xero answers them with.

Xero speaks two error dialects. The Accounting API's own errors are `{"ErrorNumber", "Type",
"Message", "Elements"}` (`ValidationException` is number 10, `PostDataInvalidException` 14,
`QueryParseException` 16); the gateway in front of it answers authentication, authorisation and
service problems as problem objects `{"Type": null, "Title", "Status", "Detail", "Instance",
"Extensions"}`. A rule broken by one element of a batch is not an HTTP error at all: the ledger
raises `ElementInvalid`, and the element is echoed with its `ValidationErrors`.
"""

# ruff: noqa: N818 (the exceptions carry Xero's own names: ValidationException, NotFound ...)
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response

ROUTE_NOT_FOUND = "The resource you have specified cannot be found"
XERO_500_DETAIL = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for "
    "current service status. Contact the API support team at api@xero.com for more assistance."
)


class ElementInvalid(Exception):
    """One element of a write breaks Xero's rules; `messages` are Xero's own words."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class XeroError(Exception):
    """An error answered for the whole request."""

    status = 500

    def body(self) -> Any:
        return problem("Internal Server Error", self.status, XERO_500_DETAIL)

    def headers(self) -> Mapping[str, str]:
        return {}

    def response(self) -> Response:
        body = self.body()
        if isinstance(body, str):
            response = Response(body, status=self.status, mimetype="text/plain")
        else:
            response = json_response(body, self.status)
        response.headers.update(self.headers())
        return response


class ValidationException(XeroError):
    """Xero's 400 for a write in which some elements were refused (summarizeErrors=true)."""

    status = 400

    def __init__(self, elements: Sequence[Mapping[str, Any]], message: str | None = None) -> None:
        super().__init__(message or "A validation exception occurred")
        self.elements = list(elements)
        self.message = message or "A validation exception occurred"

    def body(self) -> Any:
        return accounting_error(10, "ValidationException", self.message, self.elements)


class PostDataInvalid(XeroError):
    """A body Xero cannot read as the resource (bad JSON, wrong types)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> Any:
        return accounting_error(14, "PostDataInvalidException", self.message)


class QueryParseException(XeroError):
    """A `where`, `order` or other query parameter Xero cannot parse."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> Any:
        return accounting_error(16, "QueryParseException", self.message)


class BadRequest(XeroError):
    """A request refused as a whole with a plain message (e.g. a reused Idempotency-Key)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> Any:
        return accounting_error(10, "ValidationException", self.message)


class NotFound(XeroError):
    status = 404

    def body(self) -> Any:
        return ROUTE_NOT_FOUND


class Unauthorized(XeroError):
    """401 from Xero's gateway: no token, an unknown one, or an expired one."""

    status = 401

    def __init__(self, detail: str = "AuthenticationUnsuccessful") -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> Any:
        return problem("Unauthorized", self.status, self.detail)

    def headers(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Forbidden(XeroError):
    """403 from Xero's gateway: a tenant the token may not reach, or a missing tenant header."""

    status = 403

    def __init__(self, detail: str = "AuthenticationUnsuccessful") -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> Any:
        return problem("Forbidden", self.status, self.detail)


class RateLimited(XeroError):
    """429: a rate limit is used up. `problem` is Xero's `X-Rate-Limit-Problem` (`minute`,
    `day`, `appminute`, `concurrent`); `retry_after` real seconds to wait, when Xero says.
    """

    status = 429

    def __init__(
        self, problem: str, retry_after: int | None, limit_headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after
        self.limit_headers = dict(limit_headers or {})

    def body(self) -> Any:
        return ""

    def headers(self) -> Mapping[str, str]:
        headers = {**self.limit_headers, "X-Rate-Limit-Problem": self.problem}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class ServiceUnavailable(XeroError):
    status = 503

    def body(self) -> Any:
        return problem("Service Unavailable", self.status, "Organisation offline")


def accounting_error(
    number: int, kind: str, message: str, elements: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"ErrorNumber": number, "Type": kind, "Message": message}
    if elements is not None:
        body["Elements"] = list(elements)
    return body


def problem(title: str, status: int, detail: str) -> dict[str, Any]:
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }


def json_response(body: Any, status: int = 200) -> Response:
    """JSON in Xero's field order (Flask's own `jsonify` would be fine too, but this one is
    usable outside a request and never sorts keys).
    """
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )


def status_error(status: int) -> XeroError:
    """The error Xero answers with a given status, for injected faults."""
    known: dict[int, XeroError] = {
        400: BadRequest("A validation exception occurred"),
        401: Unauthorized(),
        403: Forbidden(),
        404: NotFound(),
        503: ServiceUnavailable(),
    }
    if status in known:
        return known[status]
    error = XeroError()
    error.status = status
    return error
