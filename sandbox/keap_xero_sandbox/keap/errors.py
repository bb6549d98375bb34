"""Keap's error bodies, which come in two shapes.

Calls that reach the application fail with the spec's `Error` object, `{code, message, status}`.
Calls that Keap's gateway (Apigee) refuses itself — a missing or bad credential, a rate limit, a
backend that is down — fail with Apigee's `{"fault": {"faultstring", "detail": {"errorcode"}}}`,
which no spec describes. The token endpoint answers in OAuth2's `{error, error_description}`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class KeapError(Exception):
    """A call the application refuses, with the HTTP status and message Keap gives."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message)


class BadRequestError(KeapError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class NotFoundError(KeapError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class GatewayError(Exception):
    """A call the gateway refuses before the application sees it."""

    def __init__(self, status: int, faultstring: str, errorcode: str) -> None:
        super().__init__(faultstring)
        self.status = status
        self.faultstring = faultstring
        self.errorcode = errorcode

    def body(self) -> dict[str, Any]:
        return fault_body(self.faultstring, self.errorcode)


class OAuthError(Exception):
    """A refusal of the token endpoint."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"code": status, "message": message, "status": phrase(status)}


def fault_body(faultstring: str, errorcode: str) -> dict[str, Any]:
    return {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}


# The gateway's refusals of credentials, by what was wrong (Apigee's own error codes).
MISSING_TOKEN = GatewayError(401, "Invalid access token", "oauth.v2.InvalidAccessToken")
INVALID_TOKEN = GatewayError(
    401, "Invalid Access Token", "keymanagement.service.invalid_access_token"
)
EXPIRED_TOKEN = GatewayError(
    401, "Access Token expired", "keymanagement.service.access_token_expired"
)
INVALID_API_KEY = GatewayError(401, "Invalid ApiKey", "oauth.v2.InvalidApiKey")

# What the gateway answers when the backend behind it fails.
GATEWAY_FAILURES = {
    502: ("Unexpected EOF at target", "messaging.adaptors.http.flow.UnexpectedEOFAtTarget"),
    503: (
        "The Service is temporarily unavailable",
        "messaging.adaptors.http.flow.ServiceUnavailable",
    ),
    504: ("Gateway Timeout", "messaging.adaptors.http.flow.GatewayTimeout"),
}


def quota_violation(identifier: str) -> dict[str, Any]:
    """The 429 body of a spent per-minute or per-day quota."""
    return fault_body(
        f"Rate limit quota violation. Quota limit  exceeded. Identifier : {identifier}",
        "policies.ratelimit.QuotaViolation",
    )


def spike_arrest(per_second: int) -> dict[str, Any]:
    """The 429 body of the per-second spike arrest."""
    return fault_body(
        "Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod="
        f"{per_second}, periodInMicroseconds=1000000, maxBurstMessageCount=1.0}}",
        "policies.ratelimit.SpikeArrestViolation",
    )
